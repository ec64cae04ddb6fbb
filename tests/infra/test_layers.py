"""What the stack's Lambda layers carry and which functions get them: the PDF font, its tools and the QR
code library for the function that draws PDFs and codes; cryptography for the one that verifies staff sign-in tokens (RS256) and signs the
stored files' links; the spreadsheet library for the ones that read or write .xlsx. The deployment package
every function shares carries none of them. Every function gets the compiled modules of the package, the
layers and the standard library, and Python is told where they are; no function passes Lambda's limits on
layers and on unpacked size."""

from __future__ import annotations

import importlib.util
import platform
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from infra.stacks import bytecode
from tests.infra.conftest import STAGES, Synthesized

# Staff sign-in and the stored files' links are served by the pages' and API's function.
NEEDS_CRYPTOGRAPHY = {"APIHandler"}
DRAWS_PDFS = {"APIHandler"}
# The archive's .xlsx imports are read by the pages' and API's function; the monthly report's .xlsx is
# written where its build is assembled, by a report part.
USES_SPREADSHEETS = {"APIHandler", "ReportPart"}
# Lambda's quotas: layers per function, and the function's code with all its layers, unpacked.
MAX_LAYERS = 5
MAX_UNPACKED_BYTES = 250 * 1024 * 1024


@pytest.fixture(params=STAGES)
def template(request: pytest.FixtureRequest, synthesized: Synthesized) -> dict[str, Any]:
    return synthesized.templates[request.param]


def layer(template: dict[str, Any], construct_id: str) -> tuple[str, dict[str, Any]]:
    [found] = [
        (logical_id, resource)
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Lambda::LayerVersion" and logical_id.startswith(construct_id)
    ]
    return found


def functions_given(template: dict[str, Any], layer_id: str) -> set[str]:
    return {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        and {"Ref": layer_id} in resource["Properties"].get("Layers", [])
    }


def contents(synthesized: Synthesized, resource: dict[str, Any]) -> Path:
    return synthesized.out_dir / resource["Metadata"]["aws:asset:path"]


def test_the_function_that_draws_pdfs_and_only_it_gets_the_font_layer(template, synthesized):
    layer_id, font_layer = layer(template, "PdfFontLayer")

    assert functions_given(template, layer_id) == DRAWS_PDFS
    # Lambda unpacks it under /opt, where chalicelib/services/pdf_font.py looks for the font.
    python = contents(synthesized, font_layer) / "python"
    assert (python.parent / "fonts" / "wqy-microhei.ttc").is_file()
    assert (python / "fontTools" / "subset").is_dir() and (python / "pypdfium2").is_dir()
    assert (python / "segno").is_dir()  # the QR codes the same function draws


def test_the_function_that_checks_staff_tokens_and_signs_file_links_and_only_it_gets_the_cryptography_layer(
    template, synthesized
):
    layer_id, cryptography_layer = layer(template, "CryptographyLayer")

    assert functions_given(template, layer_id) == NEEDS_CRYPTOGRAPHY
    python = contents(synthesized, cryptography_layer) / "python"
    assert (python / "cryptography" / "hazmat" / "primitives" / "asymmetric" / "rsa.py").is_file()
    assert list(python.glob("_cffi_backend.*.so")), "cryptography's bindings load cffi's backend"
    assert list(python.rglob("__pycache__")) == [] and list(python.rglob("*.pyc")) == []


def test_the_functions_that_read_or_write_spreadsheets_and_only_they_get_the_spreadsheet_layer(template, synthesized):
    layer_id, spreadsheet_layer = layer(template, "SpreadsheetLayer")

    assert functions_given(template, layer_id) == USES_SPREADSHEETS
    python = contents(synthesized, spreadsheet_layer) / "python"
    assert (python / "openpyxl" / "reader" / "excel.py").is_file() and (python / "et_xmlfile").is_dir()
    assert list(python.rglob("__pycache__")) == [] and list(python.rglob("*.pyc")) == []


def unpacked_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return sum(info.file_size for info in zipfile.ZipFile(path).infolist())


def test_no_function_has_more_layers_or_unpacks_to_more_than_lambda_allows(template, synthesized):
    resources = template["Resources"]
    [package] = synthesized.out_dir.glob("asset.*.zip")
    functions = {
        logical_id: resource["Properties"]
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Serverless::Function"
    }

    for logical_id, properties in functions.items():
        layers = [contents(synthesized, resources[ref["Ref"]]) for ref in properties["Layers"]]
        unpacked = unpacked_bytes(package) + sum(map(unpacked_bytes, layers))
        assert len(layers) <= MAX_LAYERS, logical_id
        assert unpacked <= MAX_UNPACKED_BYTES, f"{logical_id}: {unpacked:,} bytes unpacked"


def run_as_on_lambda(script: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    """``script`` in a Python that sees the standard library and ``paths`` only, as a function sees its
    package (/var/task) and then its layers (/opt/python): nothing of this machine's site-packages."""
    prelude = f"import sys; sys.path[:0] = {[str(p) for p in paths]!r}\n"
    return subprocess.run(
        [sys.executable, "-S", "-E", "-B", "-c", prelude + script], capture_output=True, text=True, timeout=120
    )


def unpacked_with(synthesized: Synthesized, tmp_path: Path, construct_id: str) -> tuple[Path, Path]:
    """The package unpacked (Lambda's /var/task), and the libraries of the layer ``construct_id`` (/opt/python)."""
    [package] = synthesized.out_dir.glob("asset.*.zip")
    task = tmp_path / "task"
    zipfile.ZipFile(package).extractall(task)
    _, found = layer(synthesized.templates[STAGES[0]], construct_id)
    return task, contents(synthesized, found) / "python"


# Signs and verifies an RS256 token as Cognito's and the app's would be, and says where cryptography came from.
RS256_ROUND_TRIP = """
import jwt, cryptography
from cryptography.hazmat.primitives.asymmetric import rsa
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
token = jwt.encode({"sub": "li.gong"}, key, algorithm="RS256")
assert jwt.decode(token, key.public_key(), algorithms=["RS256"]) == {"sub": "li.gong"}
print(cryptography.__file__)
"""


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the layers hold wheels built for Lambda's x86_64")
def test_with_its_layer_the_packaged_token_library_verifies_rs256_and_without_it_cannot(synthesized, tmp_path):
    task, python = unpacked_with(synthesized, tmp_path, "CryptographyLayer")

    with_layer = run_as_on_lambda(RS256_ROUND_TRIP, task, python)
    package_alone = run_as_on_lambda("import jwt.algorithms; print(jwt.algorithms.has_crypto)", task)

    assert with_layer.returncode == 0, with_layer.stderr
    assert Path(with_layer.stdout.strip()).is_relative_to(python)
    assert package_alone.stdout.strip() == "False", package_alone.stderr


# A report's rows written as the report writes them, read back as an archive import reads an upload; and
# where openpyxl came from.
XLSX_ROUND_TRIP = """
import io, openpyxl
from chalicelib.adapters.spreadsheets import SpreadsheetFiles
from chalicelib.reporting.tables import xlsx_cells
book = openpyxl.Workbook(write_only=True)
sheet = book.create_sheet("客户")
for row in (["姓名", "电话"], ["=王工", "13800138000"]):
    sheet.append(xlsx_cells(sheet, row))
out = io.BytesIO()
book.save(out)
rows = SpreadsheetFiles().rows(out.getvalue(), "xlsx", 10)
assert [row[:2] for row in rows] == [["姓名", "电话"], ["=王工", "13800138000"]], rows
print(openpyxl.__file__)
"""


def test_with_its_layer_the_packaged_spreadsheet_code_writes_and_reads_xlsx_and_without_it_cannot(
    synthesized, tmp_path
):
    task, python = unpacked_with(synthesized, tmp_path, "SpreadsheetLayer")

    with_layer = run_as_on_lambda(XLSX_ROUND_TRIP, task, python)
    package_alone = run_as_on_lambda("import openpyxl", task)

    assert with_layer.returncode == 0, with_layer.stderr
    assert Path(with_layer.stdout.strip()).is_relative_to(python)
    assert "No module named 'openpyxl'" in package_alone.stderr


def test_every_function_gets_the_bytecode_layer_and_python_is_told_where_it_is(template):
    layer_id, _ = layer(template, "BytecodeLayer")
    functions = {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }

    assert functions_given(template, layer_id) == set(functions)
    for properties in functions.values():
        assert properties["Environment"]["Variables"]["PYTHONPYCACHEPREFIX"] == bytecode.PREFIX


def test_the_bytecode_layer_holds_the_packages_modules_compiled_from_exactly_the_packaged_sources(
    template, synthesized
):
    _, bytecode_layer = layer(template, "BytecodeLayer")
    # Lambda unpacks the layer under /opt: its folder is the prefix.
    mirror = contents(synthesized, bytecode_layer) / PurePosixPath(bytecode.PREFIX).relative_to("/opt")
    [package] = synthesized.out_dir.glob("asset.*.zip")
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        sources = {name: archive.read(name) for name in names if name.endswith(".py")}

    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    for name in ("app.py", "chalicelib/wiring.py", "chalice/app.py", "pydantic/main.py"):
        compiled = (mirror / bytecode.cached_path(PurePosixPath(bytecode.TASK_ROOT, name))).read_bytes()
        # Flags 0b11: checked against the source's hash, which is the packaged source's.
        assert int.from_bytes(compiled[4:8], "little") == 0b11
        assert compiled[8:16] == importlib.util.source_hash(sources[name]), name
    # The layers' libraries, the SDK the layer brings, and the standard library, whose own __pycache__ the
    # prefix hides.
    assert (mirror.parent / "python" / "botocore" / "session.py").is_file()
    assert (mirror / bytecode.cached_path(PurePosixPath(bytecode.LAYERS_PYTHON, "botocore/session.py"))).is_file()
    assert (mirror / bytecode.cached_path(PurePosixPath(bytecode.LAYERS_PYTHON, "cryptography/x509/base.py"))).is_file()
    assert (mirror / bytecode.cached_path(PurePosixPath(bytecode.LAYERS_PYTHON, "segno/__init__.py"))).is_file()
    assert (mirror / bytecode.cached_path(PurePosixPath(bytecode.LAYERS_PYTHON, "openpyxl/__init__.py"))).is_file()
    assert (mirror / bytecode.cached_path(PurePosixPath(bytecode.RUNTIME_STDLIB, "json/__init__.py"))).is_file()
