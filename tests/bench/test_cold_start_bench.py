"""The cold-start benchmark's Lambda-like interpreter: it sees the function's folders and nothing of this
machine's libraries; both figures come from the newest synthesized package with the working copy's app."""

import zipfile
from pathlib import Path

import pytest

from bench import cold_start


def a_function(root: Path) -> cold_start.Lambda:
    function = cold_start.Lambda(root / "task", root / "opt" / "python", root / "runtime")
    for folder in (function.task, function.layers, function.runtime):
        folder.mkdir(parents=True)
    return function


def test_the_function_sees_its_package_and_layers_and_none_of_this_machines_libraries(tmp_path):
    function = a_function(tmp_path)
    (function.task / "app.py").write_text("import desk_layer\n")
    (function.layers / "desk_layer.py").write_text("import pydantic\n")

    with pytest.raises(SystemExit, match="No module named 'pydantic'"):
        cold_start.as_on_lambda(function, None)


def test_both_figures_are_measured_for_the_newest_synthesized_package(tmp_path, monkeypatch):
    synth = tmp_path / "synth" / "key"
    synth.mkdir(parents=True)
    with zipfile.ZipFile(synth / "asset.package.zip", "w") as package:
        package.writestr("desk_library.py", "WHO = 'dispatcher'\n")
    (synth / "asset.layer" / "python").mkdir(parents=True)
    monkeypatch.setattr(cold_start, "SYNTH_CACHE", tmp_path / "synth")
    # The app itself is the working copy's: a stand-in project whose app imports the packaged library.
    project = tmp_path / "project"
    (project / "chalicelib").mkdir(parents=True)
    (project / "app.py").write_text("import desk_library, chalicelib\n")
    (project / "chalicelib" / "__init__.py").write_text("")
    (project / "desk_library.py").write_text("WHO = 'dispatcher'\n")  # for the working copy's own figure
    monkeypatch.setattr(cold_start, "PROJECT", project)
    monkeypatch.setattr(cold_start, "RUNS", 1)

    figure = cold_start.measure()

    assert figure.package == synth / "asset.package.zip"
    assert figure.with_bytecode_ms is not None and figure.without_bytecode_ms is not None
    assert figure.goal_ms == figure.with_bytecode_ms
    assert cold_start.lines(figure)[1].split()[-2] == f"{figure.with_bytecode_ms:.0f}"
