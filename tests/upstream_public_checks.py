"""The public behaviour the reference's own test suite checks (urchade/GLiNER, tests/ at c2bb58d), as checks that
run on either package: ``python upstream_public_checks.py <gliner_bench|gliner> <checkpoint dir> <empty dir>``
prints one JSON object, check name -> "ok" or the failure. Written here, not copied; each check keeps the
assertions of the upstream test it names, on a local checkpoint instead of a hub id. ``tests/test_upstream_public.py``
runs it on gliner_bench (default run) and on the reference (marked ``reference``). The upstream tests of internals,
and why they do not apply, are listed in docs/compatibility.md ("The reference's test suite").
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
import warnings

# A paragraph in the style of upstream's test text (a footballer's biography), with dates, awards and teams.
TEXT = ("Cristiano Ronaldo dos Santos Aveiro (born 5 February 1985) is a Portuguese professional footballer who "
        "plays as a forward for and captains both Saudi Pro League club Al Nassr and the Portugal national team.\n"
        "He has won five Ballon d'Or awards, a record three UEFA Men's Player of the Year Awards, and four European "
        "Golden Shoes. He has won 33 trophies in his career, including seven league titles and five UEFA Champions "
        "Leagues.")
LABELS = ["person", "award", "date", "competitions", "teams", "person"]  # "person" twice, as upstream
HALF = ("fp16", "float16", "half", "bf16", "bfloat16")
NOT_STRINGS = (True, False, 1, None, 3.14)


def _raises(kind, call, contains: str | None = None) -> None:
    try:
        call()
    except kind as err:
        assert contains is None or contains in str(err), f"{type(err).__name__} without {contains!r}: {err}"
        return
    raise AssertionError(f"no {kind.__name__} raised")


def span_model_predicts_entities(GLiNER, ckpt, empty):
    """test_models.py::test_span_model: a span model finds at least one entity in the paragraph, with default
    arguments and a label given twice. Also: every entity's text is its span of the paragraph, its label one of
    the labels."""
    model = GLiNER.from_pretrained(ckpt)
    entities = model.predict_entities(TEXT, LABELS)
    assert len(entities) > 0, "no entity"
    for e in entities:
        assert TEXT[e["start"]:e["end"]] == e["text"] and e["label"] in LABELS, e


def variant_and_dtype_that_disagree_raise_before_reading(GLiNER, ckpt, empty):
    """test_quantize_and_dtype.py::TestVariantDtypeConsistency::test_outer_dispatcher_mismatch_raises_before_probe
    (and test_mismatch_raises_value_error): a ValueError, from a folder holding nothing."""
    _raises(ValueError, lambda: GLiNER.from_pretrained(empty, variant="bf16", dtype="fp16"))


def an_integer_dtype_is_refused(GLiNER, ckpt, empty):
    """TestVariantDtypeConsistency::test_int_dtype_against_variant_rejected_by_dtype_parser: a ValueError."""
    import torch

    _raises(ValueError, lambda: GLiNER.from_pretrained(empty, variant="bf16", dtype=torch.int8))


def agreeing_variant_and_dtype_reach_the_missing_config(GLiNER, ckpt, empty):
    """TestVariantDtypeConsistency::test_aliases_normalize_before_compare: "bfloat16" and "bf16" agree, so loading
    goes on and fails on the empty folder with a FileNotFoundError naming the config."""
    _raises(FileNotFoundError, lambda: GLiNER.from_pretrained(empty, variant="bfloat16", dtype="bf16"), "config")


def quantize_takes_int8_in_any_case(GLiNER, ckpt, empty):
    """TestQuantizeInt8Only: quantize("int8") and quantize("INT8") quantise (here: return without error, and the
    model still predicts)."""
    for name in ("int8", "INT8"):
        model = GLiNER.from_pretrained(ckpt)
        model.quantize(name)
        assert isinstance(model.predict_entities(TEXT, LABELS, threshold=0.3), list)


def quantize_refuses_half_precisions_naming_dtype(GLiNER, ckpt, empty):
    """TestQuantizeInt8Only: fp16, float16, half, bf16 and bfloat16 raise a ValueError that points to dtype=."""
    model = GLiNER.from_pretrained(ckpt)
    for name in HALF:
        _raises(ValueError, lambda name=name: model.quantize(name), "dtype=")


def quantize_refuses_an_unknown_name(GLiNER, ckpt, empty):
    """TestQuantizeInt8Only: "qint4" raises a ValueError."""
    _raises(ValueError, lambda: GLiNER.from_pretrained(ckpt).quantize("qint4"))


def quantize_refuses_what_is_not_a_string(GLiNER, ckpt, empty):
    """TestQuantizeInt8Only and TestFromPretrainedQuantizeTrueRejection: True, False, 1, None, 3.14 raise a
    TypeError."""
    model = GLiNER.from_pretrained(ckpt)
    for value in NOT_STRINGS:
        _raises(TypeError, lambda value=value: model.quantize(value))


CHECKS = [span_model_predicts_entities, variant_and_dtype_that_disagree_raise_before_reading,
          an_integer_dtype_is_refused, agreeing_variant_and_dtype_reach_the_missing_config,
          quantize_takes_int8_in_any_case, quantize_refuses_half_precisions_naming_dtype,
          quantize_refuses_an_unknown_name, quantize_refuses_what_is_not_a_string]


def main(package: str, ckpt: str, empty: str) -> dict[str, str]:
    warnings.simplefilter("ignore")  # the checks are about results and errors, not warnings
    GLiNER = importlib.import_module(package).GLiNER
    results = {}
    for check in CHECKS:
        try:
            check(GLiNER, ckpt, empty)
            results[check.__name__] = "ok"
        except Exception as err:  # noqa: BLE001 - every check reports, one failure does not hide the others
            results[check.__name__] = f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=3)}"
    return results


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
