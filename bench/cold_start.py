"""Cold start: the CPU time of ``import app`` as a Lambda function spends it, and as this working copy does.

    .venv/bin/python -m bench.cold_start

**As on Lambda** (the goal's figure): the newest package the infra tests synthesized (``.cache/cdk-synth``)
is unpacked into a scratch folder (the function's /var/task) with the working copy's app.py and
chalicelib/ over the package's own (so the figure follows the code, not the last synth), and the layers'
``python`` folders beside it (/opt/python, where the bytecode layer brings the AWS SDK). A fresh Python
then sees the standard library, those folders and, behind them, the SDK the Lambda runtime brings (this
venv's) and nothing else, and writes no .pyc, as on Lambda's read-only disk. Measured twice: with no bytecode for the package and
the layers (what a function without the bytecode layer does: compiles them on every cold start), and with
the bytecode layer's mirror (``infra/stacks/bytecode.py``) built for the scratch folder's paths and named
by ``-X pycache_prefix`` (what PYTHONPYCACHEPREFIX does on Lambda).

**This working copy**: ``import app`` in the project folder, with whatever ``__pycache__`` it has; it depends
on what ran before (this machine sets PYTHONDONTWRITEBYTECODE), so it is shown, not judged.

Each figure: CPU time of a fresh interpreter up to the end of ``import app``, less that of one that does not
import it, median of five. CPU, not wall time, so other work on the machine shifts it less; up to the end of
the import, not of the interpreter's exit (a function's start never tears its modules down). Lambda's CPU
is not this one.
"""

from __future__ import annotations

import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from infra.stacks import bytecode

PROJECT = Path(__file__).resolve().parents[1]
SYNTH_CACHE = PROJECT / ".cache" / "cdk-synth"
# What the Lambda runtime brings besides the standard library: the SDK and what it imports.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "dateutil", "urllib3", "six")
RUNS = 5


@dataclass(frozen=True)
class Lambda:
    """A function's folders, unpacked: the package, the layers' libraries, the runtime's SDK."""

    task: Path
    layers: Path
    runtime: Path

    def path(self) -> list[str]:
        return [str(self.task), str(self.layers), str(self.runtime)]


def newest_synth() -> Path | None:
    found = sorted(SYNTH_CACHE.glob("*/asset.*.zip"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


@contextmanager
def unpacked(package: Path) -> Iterator[Lambda]:
    with tempfile.TemporaryDirectory(prefix="cold-start-") as scratch:
        root = Path(scratch)
        function = Lambda(root / "task", root / "opt" / "python", root / "runtime")
        with zipfile.ZipFile(package) as archive:
            archive.extractall(function.task)
        for own in ("app.py", "chalicelib"):
            target = function.task / own
            shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
        shutil.copy2(PROJECT / "app.py", function.task / "app.py")
        shutil.copytree(
            PROJECT / "chalicelib", function.task / "chalicelib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        function.layers.mkdir(parents=True)
        for layer in sorted(package.parent.glob("asset.*/python")):
            shutil.copytree(layer, function.layers, dirs_exist_ok=True)
        function.runtime.mkdir()
        for name in RUNTIME_PROVIDED:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.origin is None:
                continue
            origin = Path(spec.origin)
            source = origin.parent if origin.name == "__init__.py" else origin
            (function.runtime / source.name).symlink_to(source, target_is_directory=source.is_dir())
        yield function


# Printed by the measured interpreter itself, which then ends at once: the CPU time it spent up to there, not
# that of tearing down every module at exit, which a Lambda function's start never does.
SPENT = (
    "\nimport os, resource, sys\nspent = resource.getrusage(resource.RUSAGE_SELF)\n"
    "print(spent.ru_utime + spent.ru_stime)\nsys.stdout.flush()\nos._exit(0)"
)


def cpu_ms(code: str, cwd: Path, flags: Sequence[str] = ()) -> float:
    """CPU time of a fresh interpreter started with ``flags`` up to the end of ``code``."""
    done = subprocess.run([sys.executable, *flags, "-c", code + SPENT], cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{code.splitlines()[-1]!r} failed in {cwd}:\n{done.stderr[-2000:]}")
    return float(done.stdout.split()[-1]) * 1000


def import_ms(cwd: Path, flags: Sequence[str] = (), prelude: str = "", runs: int = RUNS) -> float:
    """Median CPU time of ``import app`` less that of the same interpreter doing nothing."""
    return statistics.median(
        cpu_ms(f"{prelude}import app", cwd, flags) - cpu_ms(f"{prelude}pass", cwd, flags) for _ in range(runs)
    )


def as_on_lambda(function: Lambda, pycache_prefix: Path | None) -> float:
    # -S: no site-packages of this machine; -E: no PYTHON* settings; -B: no .pyc written.
    flags = ["-S", "-E", "-B"] + (["-X", f"pycache_prefix={pycache_prefix}"] if pycache_prefix else [])
    return import_ms(function.task, flags, f"import sys; sys.path[:0] = {function.path()!r}\n")


@dataclass(frozen=True)
class ColdStart:
    package: Path | None
    without_bytecode_ms: float | None  # as on Lambda, compiling the package and layers from source
    with_bytecode_ms: float | None  # as on Lambda, with the bytecode layer
    working_copy_ms: float  # this working copy, with whatever __pycache__ it has

    @property
    def goal_ms(self) -> float | None:
        """The goal's figure: a function as the stack deploys it (with the bytecode layer)."""
        return self.with_bytecode_ms


def measure() -> ColdStart:
    working_copy = import_ms(PROJECT)
    package = newest_synth()
    if package is None:
        return ColdStart(None, None, None, working_copy)
    with unpacked(package) as function:
        without = as_on_lambda(function, None)
        mirror = function.task.parent / "bytecode"
        bytecode.build(
            mirror,
            function.task,
            [function.layers.parent],
            task_root=str(function.task),
            layers_python=str(function.layers),
            runtime_stdlib=str(bytecode.stdlib()),
        )
        with_layer = as_on_lambda(function, mirror)
    return ColdStart(package, without, with_layer, working_copy)


def lines(figure: ColdStart) -> list[str]:
    if figure.package is None:
        return [
            "import app, as on Lambda: no package synthesized yet (the infra tests build it)",
            f"import app, this working copy (whatever __pycache__ it has): {figure.working_copy_ms:.0f} ms",
        ]
    return [
        f"import app, CPU time less the interpreter's start (package {figure.package.parent.name[:8]}, "
        "this working copy's app):",
        f"  as on Lambda, with the bytecode layer (the goal's figure)   {figure.with_bytecode_ms:>5.0f} ms",
        f"  as on Lambda, compiled from source (no bytecode layer)     {figure.without_bytecode_ms:>5.0f} ms",
        f"  this working copy, whatever __pycache__ it has             {figure.working_copy_ms:>5.0f} ms",
    ]


def main() -> int:
    for line in lines(measure()):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
