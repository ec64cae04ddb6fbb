"""The bytecode layer's mirror (infra/stacks/bytecode.py): Python finds each compiled module where the
functions' PYTHONPYCACHEPREFIX sends it, uses it while the source is the one it was compiled from, and
compiles the source again when it is not."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path, PurePosixPath

from infra.stacks import bytecode


def test_each_module_is_compiled_to_where_python_looks_for_it_under_the_prefix(monkeypatch):
    monkeypatch.setattr(sys, "pycache_prefix", "/opt/bytecode")
    source = PurePosixPath("/var/task/chalicelib/web/customer.py")

    assert importlib.util.cache_from_source(str(source)) == f"/opt/bytecode/{bytecode.cached_path(source)}"


def imported_from(package: Path, mirror: Path) -> tuple[str, str]:
    """``python -v`` importing ``desk`` from ``package`` with ``mirror`` as the pycache prefix, no .pyc
    written (Lambda's disk is read-only): what the module says, and what Python told of its loading."""
    done = subprocess.run(
        [
            sys.executable,
            "-S",
            "-E",
            "-B",
            "-v",
            "-X",
            f"pycache_prefix={mirror}",
            "-c",
            "import desk; print(desk.WHO)",
        ],
        cwd=package,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip(), done.stderr


def test_a_function_imports_the_compiled_module_while_its_source_is_the_one_compiled(tmp_path):
    package, mirror = tmp_path / "task", tmp_path / "bytecode"
    package.mkdir()
    (package / "desk.py").write_text('WHO = "dispatcher"\n')

    assert bytecode.compile_tree(package, PurePosixPath(package), mirror) == 1
    said, told = imported_from(package, mirror)

    assert said == "dispatcher"
    assert f"code object from '{mirror}" in told


def test_a_module_whose_source_changed_since_it_was_compiled_is_compiled_again_from_its_source(tmp_path):
    package, mirror = tmp_path / "task", tmp_path / "bytecode"
    package.mkdir()
    (package / "desk.py").write_text('WHO = "dispatcher"\n')
    bytecode.compile_tree(package, PurePosixPath(package), mirror)
    (package / "desk.py").write_text('WHO = "supervisor"\n')

    said, told = imported_from(package, mirror)

    assert said == "supervisor"
    assert f"code object from '{mirror}" not in told


def test_the_standard_library_is_compiled_without_its_tests(tmp_path):
    stdlib = tmp_path / "lib"
    for name in ("json/__init__.py", "test/test_json.py", "idlelib/run.py"):
        (stdlib / name).parent.mkdir(parents=True, exist_ok=True)
        (stdlib / name).write_text("X = 1\n")

    compiled = bytecode.compile_tree(
        stdlib, PurePosixPath(bytecode.RUNTIME_STDLIB), tmp_path / "out", bytecode.STDLIB_LEFT_OUT
    )

    assert compiled == 1
    assert (
        tmp_path / "out" / bytecode.cached_path(PurePosixPath(bytecode.RUNTIME_STDLIB, "json/__init__.py"))
    ).is_file()
