"""The functions' compiled modules, shipped in a layer instead of compiled again on every cold start.

Lambda unpacks the package to a read-only /var/task, and the package carries no ``__pycache__``: so on each
cold start Python would compile the app and every library it imports from source, most of ``import app``.
With ``PYTHONPYCACHEPREFIX`` set, Python reads a module's .pyc from a mirror of the module's absolute path
under that folder (/var/task/app.py → <prefix>/var/task/app.cpython-311.pyc), and from nowhere else: not
from the standard library's own ``__pycache__`` either, so the layer carries the standard library's too.

Every .pyc is "checked-hash": Python hashes the source it finds and uses the .pyc only when the two match.
A layer out of step with the package, or a runtime whose standard library differs from this machine's,
costs the time of compiling what differs, never a wrong module.

Used by the stack (``BytecodeLayer``) and by ``bench.floor``, which builds the same mirror for the folder it
unpacks the package into. Plain Python: no CDK here.
"""

from __future__ import annotations

import py_compile
import sys
import sysconfig
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

# Where Lambda unpacks the layer's ``bytecode`` folder; the functions' PYTHONPYCACHEPREFIX.
PREFIX = "/opt/bytecode"
TASK_ROOT = "/var/task"  # the package
LAYERS_PYTHON = "/opt/python"  # the layers' libraries
# The runtime's standard library (Lambda's python3.x runtimes keep it under /var/lang).
RUNTIME_STDLIB = f"/var/lang/lib/python{sys.version_info[0]}.{sys.version_info[1]}"
# Parts of the standard library no function imports (tests, GUIs, installers) and what is not the stdlib.
STDLIB_LEFT_OUT = frozenset(
    {
        "test",
        "tests",
        "idlelib",
        "tkinter",
        "turtledemo",
        "lib2to3",
        "ensurepip",
        "site-packages",
        "venv",
    }
)


def cached_path(source: PurePosixPath) -> PurePosixPath:
    """Where Python looks for the .pyc of ``source`` (an absolute path) under the prefix, relative to it:
    what ``importlib.util.cache_from_source`` answers with ``sys.pycache_prefix`` set."""
    return PurePosixPath(*source.parent.parts[1:]) / f"{source.stem}.{sys.implementation.cache_tag}.pyc"


def compile_tree(source: Path, deployed: PurePosixPath, out: Path, left_out: Iterable[str] = ()) -> int:
    """Compiles every .py file under ``source`` as the file it is once deployed under ``deployed``, into the
    mirror at ``out``; folders named in ``left_out`` are skipped. Returns how many were compiled (a file
    that does not compile is left to its source, as Python would)."""
    skipped = set(left_out)
    compiled = 0
    for path in sorted(source.rglob("*.py")):
        relative = path.relative_to(source)
        if skipped & set(relative.parts[:-1]) or "__pycache__" in relative.parts:
            continue
        target = deployed / relative.as_posix()
        written = py_compile.compile(
            str(path),
            cfile=str(out / cached_path(target)),
            dfile=str(target),
            quiet=2,
            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
        )
        compiled += written is not None
    return compiled


def stdlib() -> Path:
    """This Python's standard library: the one the functions' runtime has, if the versions agree."""
    return Path(sysconfig.get_paths()["stdlib"])


def build(
    out: Path,
    package: Path,
    layers: Iterable[Path],
    task_root: str = TASK_ROOT,
    layers_python: str = LAYERS_PYTHON,
    runtime_stdlib: str = RUNTIME_STDLIB,
) -> None:
    """The mirror for an unpacked ``package`` at ``task_root``, the ``python`` folders of ``layers`` at
    ``layers_python``, and this Python's standard library at ``runtime_stdlib``, written under ``out``."""
    compile_tree(package, PurePosixPath(task_root), out)
    for layer in layers:
        compile_tree(layer / "python", PurePosixPath(layers_python), out)
    compile_tree(stdlib(), PurePosixPath(runtime_stdlib), out, STDLIB_LEFT_OUT)
