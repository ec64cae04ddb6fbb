"""The synth is kept by a hash of what it reads: any change to its inputs, tools or region synthesizes
again; files it never reads (compiled Python, Chalice's deployment records) do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.synth_cache import CACHE_DIR, cached_synth, synth_key

VERSIONS = ["aws-cdk 2.1148.1", "node v20", "aws-cdk-lib==2.275.0"]
REGION = {"AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in {
        "app.py": "from chalice import Chalice\n",
        "requirements.txt": "pydantic\n",
        "chalicelib/settings.py": "TABLE = 'service-desk'\n",
        "infra/app.py": "import aws_cdk\n",
        "infra/stages.py": "STAGES = {}\n",
        "infra/stacks/service_desk.py": "class ServiceDeskStack: ...\n",
        "infra/package-lock.json": "{}\n",
        ".chalice/config.json": "{}\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def key(project: Path, versions: list[str] = VERSIONS, environment: dict[str, str] = REGION) -> str:
    return synth_key(project, versions, environment)


@pytest.mark.parametrize(
    "changed",
    [
        "app.py",
        "requirements.txt",
        "chalicelib/settings.py",
        "chalicelib/new_module.py",
        "infra/app.py",
        "infra/stages.py",
        "infra/stacks/service_desk.py",
        "infra/package-lock.json",
        ".chalice/config.json",
    ],
)
def test_a_changed_or_added_input_gives_another_key(project, changed):
    before = key(project)
    path = project / changed
    path.write_text((path.read_text() if path.exists() else "") + "# changed\n")
    assert key(project) != before


def test_a_moved_input_gives_another_key(project):
    before = key(project)
    (project / "chalicelib/settings.py").rename(project / "chalicelib/config.py")
    assert key(project) != before


def test_files_the_synth_never_reads_leave_the_key_as_it_was(project):
    before = key(project)
    (project / "chalicelib/__pycache__").mkdir()
    (project / "chalicelib/__pycache__/settings.cpython-311.pyc").write_bytes(b"\0")
    (project / ".chalice/deployed").mkdir()
    (project / ".chalice/deployed/dev.json").write_text("{}")
    (project / "tests").mkdir()
    (project / "tests/test_new.py").write_text("def test(): ...\n")
    (project / "README.md").write_text("docs\n")
    assert key(project) == before


def test_another_tool_library_or_region_gives_another_key(project):
    before = key(project)
    assert key(project, versions=["aws-cdk 2.1149.0", *VERSIONS[1:]]) != before
    assert key(project, versions=[*VERSIONS[:2], "aws-cdk-lib==2.276.0"]) != before
    assert key(project, environment={"AWS_DEFAULT_REGION": "cn-north-1"}) != before
    assert key(project, environment={**REGION, "AWS_REGION": "eu-west-1"}) != before


class Synth:
    def __init__(self, fails: bool = False):
        self.runs = 0
        self.fails = fails

    def __call__(self, out_dir: Path) -> None:
        self.runs += 1
        (out_dir / "ServiceDesk-dev.template.json").write_text(f'{{"run": {self.runs}}}')
        if self.fails:
            pytest.fail("cdk synth failed")


def test_the_same_inputs_read_the_kept_synth_and_new_ones_synthesize_again(project):
    synth = Synth()
    first = cached_synth(project, key(project), synth)
    assert cached_synth(project, key(project), synth) == first
    assert synth.runs == 1

    (project / "chalicelib/settings.py").write_text("TABLE = 'other'\n")
    second = cached_synth(project, key(project), synth)
    assert synth.runs == 2 and second != first
    assert [p.name for p in (project / CACHE_DIR).iterdir()] == [second.name]  # only the newest is kept


def test_a_failed_synth_keeps_nothing(project):
    with pytest.raises(pytest.fail.Exception):
        cached_synth(project, key(project), Synth(fails=True))
    assert list((project / CACHE_DIR).iterdir()) == []
    synth = Synth()
    cached_synth(project, key(project), synth)
    assert synth.runs == 1
