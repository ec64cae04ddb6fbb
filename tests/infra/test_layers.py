"""What the stack's Lambda layers carry and which functions get them: the PDF font, its tools and the QR
code library for the function that draws PDFs and codes; cryptography for the one that verifies staff sign-in tokens (RS256) and signs the
stored files' links. The deployment package every function shares carries neither. Every function gets the
compiled modules of the package, the layers and the standard library, and Python is told where they are."""

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


def run_as_on_lambda(script: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    """``script`` in a Python that sees the standard library and ``paths`` only, as a function sees its
    package (/var/task) and then its layers (/opt/python): nothing of this machine's site-packages."""
    prelude = f"import sys; sys.path[:0] = {[str(p) for p in paths]!r}\n"
    return subprocess.run(
        [sys.executable, "-S", "-E", "-B", "-c", prelude + script], capture_output=True, text=True, timeout=120
    )


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
    [package] = synthesized.out_dir.glob("asset.*.zip")
    task = tmp_path / "task"
    zipfile.ZipFile(package).extractall(task)
    _, cryptography_layer = layer(synthesized.templates[STAGES[0]], "CryptographyLayer")
    python = contents(synthesized, cryptography_layer) / "python"

    with_layer = run_as_on_lambda(RS256_ROUND_TRIP, task, python)
    package_alone = run_as_on_lambda("import jwt.algorithms; print(jwt.algorithms.has_crypto)", task)

    assert with_layer.returncode == 0, with_layer.stderr
    assert Path(with_layer.stdout.strip()).is_relative_to(python)
    assert package_alone.stdout.strip() == "False", package_alone.stderr


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
    assert (mirror / bytecode.cached_path(PurePosixPath(bytecode.RUNTIME_STDLIB, "json/__init__.py"))).is_file()
