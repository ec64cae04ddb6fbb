"""CDK app: one ServiceDeskStack per stage of stages.py.

``cdk deploy -c stage=prod`` builds only that stage; without ``-c stage`` every stage is synthesized
(what CI checks). Runs from infra/ with the project's .venv (cdk.json), so the Chalice app and its
table schema import as they do locally.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

INFRA_DIR = Path(__file__).resolve().parent
PROJECT_DIR = INFRA_DIR.parent
# The project directory comes first: the table definition is the app's (chalicelib/adapters/schema.py),
# so local and AWS cannot drift, and Chalice's packager imports the Chalice app as the module "app",
# which must be ../app.py and not this file.
sys.path[:] = [str(PROJECT_DIR), str(INFRA_DIR)] + [p for p in sys.path if Path(p or ".").resolve() != INFRA_DIR]

import aws_cdk as cdk  # noqa: E402
from stacks.service_desk import ServiceDeskStack  # noqa: E402
from stages import STAGES  # noqa: E402


def main() -> None:
    # Chalice's packager asks boto3 for a region only to spell service principals for the partition
    # (amazonaws.com or amazonaws.com.cn); synthesis needs no credentials and makes no AWS call.
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        os.environ["AWS_DEFAULT_REGION"] = os.environ.get("CDK_DEFAULT_REGION", "us-east-1")
    app = cdk.App()
    wanted = app.node.try_get_context("stage")
    if wanted is not None and wanted not in STAGES:
        raise SystemExit(f"unknown stage {wanted!r}: choose one of {', '.join(STAGES)} (infra/stages.py)")
    # Chalice's construct packages the app into ./chalice.out; keep that scratch out of the tree. It
    # packages a clean copy of what is deployed: Chalice takes every file under chalicelib/, and a
    # working copy's __pycache__ folders would ship (and change the package on every test run).
    with tempfile.TemporaryDirectory(prefix="chalice-out-") as scratch, contextlib.chdir(scratch):
        source = deployable_copy(Path(scratch) / "source")
        for name, stage in STAGES.items():
            if wanted in (None, name):
                ServiceDeskStack(app, f"ServiceDesk-{name}", stage=stage, source_dir=str(source))
        app.synth()


def deployable_copy(target: Path) -> Path:
    """What ``chalice package`` reads, without caches: the app, its library, settings and requirements."""
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "deployments", "deployed")
    target.mkdir()
    shutil.copy2(PROJECT_DIR / "app.py", target / "app.py")
    shutil.copy2(PROJECT_DIR / "requirements.txt", target / "requirements.txt")
    for folder in ("chalicelib", ".chalice", "vendor"):
        if (PROJECT_DIR / folder).is_dir():
            shutil.copytree(PROJECT_DIR / folder, target / folder, ignore=skip)
    return target


if __name__ == "__main__":
    main()
