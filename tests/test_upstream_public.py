"""The reference's public-API tests (urchade/GLiNER tests/ at c2bb58d), adapted to a local checkpoint with their
assertions kept (``upstream_public_checks.py``), run on gliner_bench and, marked ``reference``, on gliner 0.2.29
(issue 28, item 6). The checkpoint is the bundled uni-span saved with the reference's word splitter, which both
packages load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import upstream_public_checks as checks

SCRIPT = Path(__file__).with_name("upstream_public_checks.py")
NAMES = [c.__name__ for c in checks.CHECKS]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    from gliner_bench import GLiNER

    root = tmp_path_factory.mktemp("upstream")
    GLiNER.from_pretrained("bundled:uni-span").save_pretrained(root / "ckpt", word_splitter="whitespace")
    (root / "empty").mkdir()
    return root / "ckpt", root / "empty"


def _run(python: str, package: str, folders) -> dict[str, str]:
    done = subprocess.run([python, str(SCRIPT), package, *map(str, folders)], check=False, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def ours(folders):
    return _run(sys.executable, "gliner_bench", folders)


@pytest.mark.parametrize("name", NAMES)
def test_gliner_bench_passes_the_upstream_public_test(ours, name):
    assert ours[name] == "ok", ours[name]


@pytest.mark.reference
def test_the_reference_passes_the_same_checks(folders):
    """Needs GLINER_REF_PYTHON: a python with gliner==0.2.29 (bash scripts/parity/make_fixtures.sh)."""
    ref_python = os.environ.get("GLINER_REF_PYTHON")
    if not ref_python:
        pytest.skip("set GLINER_REF_PYTHON to a python with gliner==0.2.29")
    theirs = _run(ref_python, "gliner", folders)
    assert theirs == dict.fromkeys(NAMES, "ok"), {k: v for k, v in theirs.items() if v != "ok"}


class Lenient:
    """Accepts any loading keyword and any quantize() argument, and finds nothing."""

    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        return cls()

    def quantize(self, dtype="int8"):
        return None

    def predict_entities(self, text, labels, **kwargs):
        return []


class CaseSensitive(Lenient):
    """gliner_bench before issue 28: quantize() took "int8" only, spelt so."""

    def quantize(self, dtype="int8"):
        if dtype != "int8":
            raise ValueError(f"quantize({dtype!r}): only 'int8' is a quantisation")


@pytest.mark.parametrize("check", checks.CHECKS, ids=NAMES)
def test_each_check_fails_on_a_model_that_breaks_it(tmp_path, check):
    """The checks can fail: each on a stand-in that breaks what it checks."""
    model = CaseSensitive if check is checks.quantize_takes_int8_in_any_case else Lenient
    with pytest.raises((AssertionError, ValueError)):  # a failed assertion, or the error a check runs into
        check(model, tmp_path, tmp_path)
