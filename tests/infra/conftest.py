"""Synthesizes infra/ with the pinned CDK CLI, offline and without credentials: once per test session, and
not at all when its inputs are unchanged since the last synth (``synth_cache.py``).

The tools come from ``infra/install.sh`` (run by ``make install``); a missing tool fails the tests
with the command that installs it, it never skips them.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.infra.synth_cache import cached_synth, synth_key, tool_versions

PROJECT_DIR = Path(__file__).resolve().parents[2]
INFRA_DIR = PROJECT_DIR / "infra"
CDK = INFRA_DIR / "node_modules" / ".bin" / "cdk"
CHECKOV = INFRA_DIR / ".venv-checkov" / "bin" / "checkov"
STAGES = ("dev", "prod")
INSTALL_HINT = "run infra/install.sh (make install does) to install the CDK CLI, cfn-lint and checkov"


def require_tool(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path.relative_to(PROJECT_DIR)} is missing: {INSTALL_HINT}", pytrace=False)
    return path


def offline_env() -> dict[str, str]:
    """The environment of a machine with no AWS account: no credentials, no profile, no metadata service."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "CDK_")) or key in ("AWS_DEFAULT_REGION", "AWS_REGION")
    }
    env.update(
        AWS_EC2_METADATA_DISABLED="true",
        # jsii warns about the Node version on every run; the CLI and library still support it.
        JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
        CDK_DISABLE_VERSION_CHECK="1",
        CI="true",
    )
    return env


@dataclass(frozen=True)
class Synthesized:
    out_dir: Path
    templates: dict[str, dict[str, Any]]  # stage -> template

    def template_paths(self) -> list[Path]:
        return [self.out_dir / f"ServiceDesk-{stage}.template.json" for stage in STAGES]


@pytest.fixture(scope="session")
def synthesized() -> Synthesized:
    """Both stages' templates, from the synth kept for these inputs (``synth_cache.py``) or a new one."""
    cdk = require_tool(CDK)
    env = offline_env()

    def synth(out_dir: Path) -> None:
        result = subprocess.run(
            [str(cdk), "synth", "--no-notices", "--quiet", "--output", str(out_dir)],
            cwd=INFRA_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode != 0:
            pytest.fail(f"cdk synth failed ({result.returncode}):\n{result.stdout}\n{result.stderr}", pytrace=False)

    key = synth_key(PROJECT_DIR, tool_versions(PROJECT_DIR), env)
    out_dir = cached_synth(PROJECT_DIR, key, synth)
    templates = {
        stage: json.loads((out_dir / f"ServiceDesk-{stage}.template.json").read_text()) for stage in STAGES
    }
    return Synthesized(out_dir=out_dir, templates=templates)
