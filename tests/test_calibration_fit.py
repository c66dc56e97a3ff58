"""Fitting ``score_calibration`` (``evaluation/calibration.py``): pure functions on synthetic (score, correct)
pairs whose answers are known."""

from __future__ import annotations

import math

import pytest

from gliner_bench.evaluation import calibration as C
from gliner_bench.inference.calibration import ScoreCalibration


def under_confident(n_per_bin: int = 200, sharpness: float = 3.0, gold_extra: int = 300) -> C.Pairs:
    """Scores 0.05 ... 0.95; at score s a share sigmoid(sharpness * logit(s)) of the entities is right: a model
    whose scores sit too near 0.5 (sharpness > 1)."""
    scores, correct = [], []
    for i in range(1, 20):
        s = i / 20
        right = round(n_per_bin / (1 + math.exp(-sharpness * math.log(s / (1 - s)))))
        scores += [s] * n_per_bin
        correct += [True] * right + [False] * (n_per_bin - right)
    return C.Pairs(scores, correct, sum(correct) + gold_extra)


def test_f1_counts_entities_strictly_above_the_threshold():
    pairs = C.Pairs([0.9, 0.7, 0.5, 0.4], [True, False, True, True], gold=4)
    assert C.f1_above(pairs, 0.5) == pytest.approx(200 * 1 / (2 + 4))  # 0.5 itself is not above 0.5
    assert C.f1_above(pairs, 0.3) == pytest.approx(200 * 3 / (4 + 4))
    assert C.f1_above(C.Pairs([], [], 0), 0.5) == 0.0
    with pytest.raises(ValueError, match="2 scores but 1"):
        C.Pairs([0.1, 0.2], [True], 1)


def test_the_fit_sharpens_under_confident_scores_and_keeps_the_anchor_near_its_best():
    pairs = under_confident()
    fitted = C.fit({"a": pairs}, "a")
    assert fitted.scale > 1.5  # scores too near 0.5 are spread out
    assert C.ece_after(pairs, fitted) < 0.5 * C.ece_after(pairs, ScoreCalibration())
    best = max(C.f1_above(pairs, t) for t in C.RAW_THRESHOLDS)
    assert C.f1_above(pairs, fitted.raw_threshold(0.5)) >= best - 2.0


def test_the_threshold_serves_every_task_within_the_anchors_margin():
    anchor, other = under_confident(), under_confident(sharpness=1.0, gold_extra=3000)
    alone = C.fit({"a": anchor}, "a").raw_threshold(0.5)
    both = C.fit({"a": anchor, "b": other}, "a")
    assert both.raw_threshold(0.5) != pytest.approx(alone)  # the second task moved it
    best = max(C.f1_above(anchor, t) for t in C.RAW_THRESHOLDS)
    assert C.f1_above(anchor, both.raw_threshold(0.5)) >= best - 2.0
    strict = C.fit({"a": anchor, "b": other}, "a", within=0.0)
    assert C.f1_above(anchor, strict.raw_threshold(0.5)) == pytest.approx(best)


def test_the_report_reads_the_calibrated_scores():
    pairs = under_confident()
    fitted = C.fit({"a": pairs}, "a")
    raw, cal = C.report(pairs, ScoreCalibration()), C.report(pairs, fitted)
    assert cal["f1_at"]["0.5"] == pytest.approx(C.f1_above(pairs, fitted.raw_threshold(0.5)), abs=0.01)
    assert cal["ece"] < raw["ece"] and cal["best_f1"] == pytest.approx(raw["best_f1"], abs=0.5)


def test_an_unknown_anchor_is_refused():
    with pytest.raises(ValueError, match="anchor 'x' must be one of the tasks"):
        C.fit({"a": under_confident()}, "x")
