"""The deployment package leaves out files no function reads (infra/stacks/package_contents.py): dnspython,
which the email check never uses, the Swagger UI page of a router the app does not use, pip's lists of
installed files, type stubs. Everything else stays as
Chalice packaged it, the libraries' metadata and licences included, and the package still works alone."""

from __future__ import annotations

import importlib.metadata
import zipfile
from pathlib import Path

from infra.stacks import package_contents
from tests.infra.conftest import Synthesized
from tests.infra.test_layers import run_as_on_lambda

KEPT = (
    "app.py",
    "email_validator/__init__.py",
    "pydantic-2.14.4.dist-info/METADATA",
    "pydantic-2.14.4.dist-info/entry_points.txt",
    "pydantic-2.14.4.dist-info/licenses/LICENSE",
    "markupsafe/_speedups.so",
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/html.py",
)
LEFT_OUT = (
    "dns/resolver.py",
    "dnspython-2.9.2.dist-info/METADATA",
    "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js",
    "pydantic-2.14.4.dist-info/RECORD",
    "pydantic_core/core_schema.pyi",
)


def test_the_trimmed_package_keeps_every_other_file_as_it_was(tmp_path):
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, name in enumerate(KEPT + LEFT_OUT):
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, number))
            info.external_attr = 0o755 << 16
            archive.writestr(info, f"{name}\n" * 100, compress_type=zipfile.ZIP_DEFLATED)
    before = {info.filename: info for info in zipfile.ZipFile(package).infolist()}

    saved = package_contents.trim(package)

    with zipfile.ZipFile(package) as trimmed:
        assert trimmed.namelist() == list(KEPT)
        for info in trimmed.infolist():
            was = before[info.filename]
            assert trimmed.read(info) == f"{info.filename}\n".encode() * 100
            assert (info.date_time, info.external_attr, info.compress_type) == (
                was.date_time,
                was.external_attr,
                was.compress_type,
            )
    # Their data and more: each entry also has its headers.
    assert saved > sum(before[name].compress_size for name in LEFT_OUT)


# A service request with an email, checked as the form's is; and the libraries' versions as importlib.metadata
# reads them (pydantic lists every installed distribution).
EMAIL_AND_METADATA = """
import sys, importlib.metadata, pydantic.version
from chalicelib.domain.intake import ServiceRequestInput
example = ServiceRequestInput.model_config["json_schema_extra"]["examples"][0]
print(ServiceRequestInput(**example, email="Wang.Gong@Example.COM").email)
try:
    ServiceRequestInput(**example, email="wang.gong@")
except pydantic.ValidationError as error:
    print(error.errors()[0]["type"])
assert "dns" not in sys.modules
print(importlib.metadata.version("email-validator"), "pydantic-core" in pydantic.version.version_info())
"""


def test_the_package_carries_none_of_them_and_checks_emails_and_reads_versions_alone(
    synthesized: Synthesized, tmp_path: Path
):
    [package] = synthesized.out_dir.glob("asset.*.zip")
    task = tmp_path / "task"
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        archive.extractall(task)
    # Powertools' router reads the Swagger UI files when it serves their page: the app never asks it to.
    asks_for_swagger = [
        path for path in task.rglob("*.py") if "enable_swagger" in path.read_text(encoding="utf-8", errors="replace")
    ]
    # email-validator looks up mail servers (with dnspython) unless told not to: the app always tells it.
    email_checks = [
        line
        for path in (task / "chalicelib").rglob("*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if "validate_email(" in line
    ]

    checked = run_as_on_lambda(EMAIL_AND_METADATA, task)

    assert [name for name in names if package_contents.left_out(name)] == []
    assert {path.relative_to(task).parts[0] for path in asks_for_swagger} <= {"aws_lambda_powertools"}
    assert email_checks and all("check_deliverability=False" in line for line in email_checks), email_checks
    distributions = {name.split("/")[0] for name in names if ".dist-info/" in name}
    assert {f"{folder}/METADATA" for folder in distributions} <= set(names)
    assert [name for name in names if name.startswith("pydantic-") and "/licenses/" in name]
    assert checked.returncode == 0, checked.stderr
    version = importlib.metadata.version("email-validator")  # this machine's, pinned as the package's
    assert checked.stdout.split() == ["Wang.Gong@example.com", "email_invalid", version, "True"]
