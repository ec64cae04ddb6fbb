"""``cdk synth`` takes some twenty seconds, and its templates follow only from its inputs: the stack's
sources, what Chalice packages (the app, ``chalicelib``, its settings and requirements), the installed
tools and libraries, and the region. So its output is kept under ``.cache/cdk-synth/<hash of those>``
(ignored by git), and a run whose inputs hash the same reads it instead of synthesizing again. A changed
file, tool, library or region gives another hash, hence a fresh synth; only the newest output is kept.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

# What the synth reads, relative to the project: files, and folders read whole.
INPUT_FILES = (
    "app.py",
    "requirements.txt",
    "infra/app.py",
    "infra/stages.py",
    "infra/cdk.json",
    "infra/cdk.context.json",
    "infra/package.json",
    "infra/package-lock.json",
    "infra/requirements.txt",
    "requirements-pdf-font.txt",  # what infra/install.sh puts in the PDF font layer
    "requirements-cryptography.txt",  # and in the cryptography layer
    "requirements-spreadsheet.txt",  # and in the spreadsheet layer
    "requirements-sdk.txt",  # and the AWS SDK in the bytecode layer
)
INPUT_FOLDERS = ("chalicelib", "infra/stacks", ".chalice", "vendor")
# Written by Python or Chalice's deployer, never read by the synth (infra/app.py packages without them).
NOT_INPUTS = ("__pycache__", "deployments", "deployed")
CACHE_DIR = Path(".cache") / "cdk-synth"
# Region settings the synth reads (infra/app.py); everything else in the environment it runs in is fixed.
REGION_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION", "CDK_DEFAULT_REGION")


def input_files(project: Path) -> Iterator[Path]:
    for name in INPUT_FILES:
        if (project / name).is_file():
            yield project / name
    for folder in INPUT_FOLDERS:
        for path in sorted((project / folder).rglob("*")):
            relative = path.relative_to(project)
            if path.is_file() and not path.name.endswith(".pyc") and not set(relative.parts) & set(NOT_INPUTS):
                yield path


def tool_versions(project: Path) -> list[str]:
    """The CDK CLI and Node.js that run the synth, and every Python distribution it may import."""
    cli = project / "infra" / "node_modules" / "aws-cdk" / "package.json"
    node = shutil.which("node")
    node_version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout if node else ""
    packages = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())
    return [cli.read_text() if cli.exists() else "no cdk cli", f"node {node_version.strip()}", sys.version, *packages]


def synth_key(project: Path, versions: list[str], environment: Mapping[str, str]) -> str:
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    for path in input_files(project):
        add(path.relative_to(project).as_posix(), path.read_bytes())
    for line in versions:
        add("version", line.encode())
    for name in REGION_VARIABLES:
        add(name, environment.get(name, "").encode())
    return digest.hexdigest()[:32]


def cached_synth(project: Path, key: str, synth: Callable[[Path], None]) -> Path:
    """The synth's output folder for ``key``: the kept one, or a new one ``synth(folder)`` fills. A synth
    that fails keeps nothing; older outputs are removed once a new one is kept."""
    cache = project / CACHE_DIR
    kept = cache / key
    if kept.is_dir():
        return kept
    cache.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="synth-", dir=cache))
    try:
        synth(scratch)
        scratch.rename(kept)  # whole or not at all, even if two runs synthesize at once
    except OSError:
        if not kept.is_dir():
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for older in cache.iterdir():
        if older != kept and not older.name.startswith("synth-"):
            shutil.rmtree(older, ignore_errors=True)
    return kept
