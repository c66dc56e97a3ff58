"""``score_calibration`` (issue 26): a checkpoint's monotone map of entity scores, ``sigmoid(a * logit(p) + b)``.
The map itself, then the pipeline on tiny random span and token models: the same spans as the raw model at the
matching raw threshold, the scores mapped, one pass at a low threshold filtered equal to a pass at a high one."""

from __future__ import annotations

import copy
import math

import pytest
from conftest import make_model

from gliner_bench import GLiNER, GLiNERConfig
from gliner_bench.config import ConfigError
from gliner_bench.inference.calibration import ScoreCalibration

LABELS = ["person", "city", "date"]
WORDS = ["Ada", "Lovelace", "met", "Charles", "Babbage", "in", "London", "on", "a", "wet", "Tuesday", "."]
CAL = {"scale": 2.0, "shift": -0.5}


def test_the_map_is_monotone_and_raw_threshold_is_its_inverse():
    cal = ScoreCalibration(2.0, -0.5)
    grid = [i / 100 for i in range(1, 100)]
    mapped = [cal.score(p) for p in grid]
    assert mapped == sorted(mapped) and len(set(mapped)) == len(mapped)
    assert cal.score(0.5) == pytest.approx(1 / (1 + math.exp(0.5)))  # logit 0 -> the shift alone
    for t in grid:
        assert cal.score(cal.raw_threshold(t)) == pytest.approx(t, abs=1e-12)
    assert (cal.raw_threshold(0.0), cal.raw_threshold(1.0)) == (0.0, 1.0)
    assert 0.0 <= cal.score(0.0) < 1e-12 and cal.score(1.0) > 1 - 1e-12


def test_the_identity_changes_nothing():
    cal = ScoreCalibration.from_field(None)
    assert cal.is_identity and cal.score(0.3141) == 0.3141 and cal.raw_threshold(0.5) == 0.5


@pytest.mark.parametrize("value", [{"scale": 0, "shift": 0}, {"scale": -1.0, "shift": 0}, {"scale": 1.0},
                                   {"scale": "2", "shift": 0}, {"scale": True, "shift": 0},
                                   {"scale": float("nan"), "shift": 0}, {"scale": 1.0, "shift": float("inf")}])
def test_a_bad_calibration_is_refused_with_what_to_do(tiny_backbone, value):
    with pytest.raises(ConfigError, match="score_calibration.*finite number 'scale' > 0"):
        GLiNERConfig(model_name=tiny_backbone, score_calibration=value)
    with pytest.raises(ConfigError, match="needs dict or null"):
        GLiNERConfig(model_name=tiny_backbone, score_calibration=[2.0, -0.5])


def _entities(model, threshold):
    return [(e["start"], e["end"], e["label"], e["score"]) for e in model.predict_entities(WORDS, LABELS,
                                                                                          threshold=threshold)]


def _calibrated(model, value):
    other = copy.deepcopy(model)
    other.config.score_calibration = value
    return other


# (model, a calibration that spreads its scores over the thresholds, thresholds where the raw model finds some)
@pytest.fixture(params=["span", "token"])
def case(request, tiny_backbone):
    if request.param == "token":  # the tiny token model scores ~0.03-0.08: a map that lifts them
        return make_model(tiny_backbone, spread=3.0, span_mode="token_level"), {"scale": 0.5, "shift": 1.5}, (0.3, 0.5)
    return make_model(tiny_backbone), CAL, (0.3, 0.5, 0.7)


def test_calibrated_entities_are_the_raw_ones_at_the_matching_threshold_with_mapped_scores(case):
    model, value, thresholds = case
    cal = ScoreCalibration(value["scale"], value["shift"])
    for threshold in thresholds:
        raw = _entities(model, cal.raw_threshold(threshold))
        got = _entities(_calibrated(model, value), threshold)
        assert raw, f"the tiny model should find something at {threshold}"
        assert [e[:3] for e in got] == [e[:3] for e in raw]
        assert [e[3] for e in got] == pytest.approx([cal.score(e[3]) for e in raw], abs=1e-9)
        assert all(score > threshold for *_, score in got)


def test_one_low_pass_filtered_equals_a_pass_at_the_threshold(case):
    model, value, thresholds = case
    calibrated = _calibrated(model, value)
    low = _entities(calibrated, 0.05)
    for threshold in thresholds:
        assert [e for e in low if e[3] > threshold] == _entities(calibrated, threshold)


def test_calibration_moves_scores_and_is_saved(case, tmp_path):
    model, value, _ = case
    calibrated = _calibrated(model, {**value, "fitted_on": "a test"})
    assert _entities(calibrated, 0.01) != _entities(model, 0.01)
    calibrated.save_pretrained(tmp_path / "m")
    loaded = GLiNER.from_pretrained(tmp_path / "m")
    assert loaded.config.score_calibration == {**value, "fitted_on": "a test"}
    assert _entities(loaded, 0.3) == _entities(calibrated, 0.3)
