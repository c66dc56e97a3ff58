"""Bootstrap intervals of micro-F1 and paired comparisons (gliner_bench.measurement.bootstrap): numpy only, fast."""

from __future__ import annotations

import numpy as np
import pytest

from gliner_bench.measurement import bootstrap as bs

COUNTS = np.array([[1, 2, 2], [0, 1, 0], [3, 4, 3]])  # totals (4, 7, 5): F1 = 8 / 12


def test_micro_f1_by_hand():
    assert bs.micro_f1(COUNTS) == pytest.approx(8 / 12)
    assert bs.micro_f1([[0, 0, 0]]) == 0.0
    assert bs.micro_f1(np.zeros((0, 3), dtype=np.int64)) == 0.0
    assert bs.micro_f1([[0, 3, 0]]) == 0.0


def test_f1_of_weights_by_hand():
    weights = np.array([
        [1, 1, 1],  # (4, 7, 5): 8 / 12
        [3, 0, 0],  # (3, 6, 6): 6 / 12
        [0, 0, 3],  # (9, 12, 9): 18 / 21
        [2, 1, 0],  # (2, 5, 4): 4 / 9
        [0, 3, 0],  # (0, 3, 0): 0
        [0, 0, 0],  # (0, 0, 0): 0 by definition
    ])
    expected = [8 / 12, 6 / 12, 18 / 21, 4 / 9, 0.0, 0.0]
    np.testing.assert_allclose(bs.f1_of_weights(weights, COUNTS), expected)


def test_interval_linear_percentiles_by_hand():
    # n = 5 sorted [1, 2, 3, 4, 5]; level 0.95: q = 0.025 at position 4 * 0.025 = 0.1 -> 1 + 0.1 * (2 - 1) = 1.1;
    # q = 0.975 at position 3.9 -> 4 + 0.9 * (5 - 4) = 4.9.
    low, high = bs.interval(np.array([5.0, 1.0, 4.0, 2.0, 3.0]))
    assert (low, high) == (pytest.approx(1.1), pytest.approx(4.9))
    # level 0.5: q = 0.25 at position 1.0 -> 2; q = 0.75 at position 3.0 -> 4.
    assert bs.interval(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), level=0.5) == (pytest.approx(2.0), pytest.approx(4.0))


def test_unit_counts_sets():
    predicted = [[(0, 1, "PER"), (0, 1, "PER"), (3, 4, "LOC")], [], [(2, 3, "ORG")]]
    gold = [[(0, 1, "PER"), (5, 6, "LOC")], [(1, 2, "PER"), (1, 2, "PER")], [(2, 3, "LOC")]]
    counts = bs.unit_counts(predicted, gold)
    assert counts.dtype == np.int64
    assert counts.tolist() == [[1, 2, 2], [0, 0, 1], [0, 1, 1]]
    assert bs.unit_counts([], []).shape == (0, 3)
    with pytest.raises(ValueError, match="texts"):
        bs.unit_counts([[]], [[], []])


def test_group_counts_by_document():
    sentences = np.array([[1, 1, 2], [0, 2, 1], [2, 2, 2], [1, 3, 1], [0, 0, 0]])
    docs = bs.group_counts(sentences, [7, 7, 3, 7, 3])  # order of first appearance: 7, then 3
    assert docs.tolist() == [[2, 6, 4], [2, 2, 2]]
    assert bs.micro_f1(docs) == pytest.approx(bs.micro_f1(sentences))
    with pytest.raises(ValueError, match="one id per row"):
        bs.group_counts(sentences, [0, 1])


def test_resample_weights_shape_and_determinism():
    w = bs.resample_weights(7, resamples=50, seed=3)
    assert w.shape == (50, 7) and w.dtype == np.int64
    assert (w >= 0).all() and (w.sum(axis=1) == 7).all()
    np.testing.assert_array_equal(w, bs.resample_weights(7, resamples=50, seed=3))
    assert not np.array_equal(w, bs.resample_weights(7, resamples=50, seed=4))
    # The first resamples do not depend on how many are drawn.
    np.testing.assert_array_equal(w[:20], bs.resample_weights(7, resamples=20, seed=3))


def test_blocks_draw_the_same_weights(monkeypatch):
    rng = np.random.default_rng(5)
    gold = rng.integers(0, 4, 40)
    counts = np.stack([np.minimum(rng.integers(0, 4, 40), gold), gold, gold], axis=1)
    whole = bs.bootstrap_f1(counts, resamples=30, seed=1)
    weights = bs.resample_weights(40, resamples=30, seed=1)
    np.testing.assert_array_equal(whole, bs.f1_of_weights(weights, counts))
    monkeypatch.setattr(bs, "_BLOCK_CELLS", 40 * 7)  # blocks of 7 resamples
    np.testing.assert_array_equal(bs.resample_weights(40, resamples=30, seed=1), weights)
    np.testing.assert_array_equal(bs.bootstrap_f1(counts, resamples=30, seed=1), whole)


def _system(units: int, tp_pattern: list[int], gold: int = 2) -> np.ndarray:
    """Units with ``gold`` gold and ``gold`` predicted entities each, tp cycling through ``tp_pattern``."""
    tp = np.resize(np.array(tp_pattern), units)
    return np.stack([tp, np.full(units, gold), np.full(units, gold)], axis=1)


def test_f1_interval_deterministic_and_contains_point():
    counts = _system(200, [2, 1, 2, 0, 2])
    a = bs.f1_interval(counts)
    assert a == bs.f1_interval(counts)
    assert set(a) == {"f1", "low", "high", "resamples", "seed", "level", "units"}
    assert a["f1"] == pytest.approx(7 / 10)
    assert a["low"] < a["f1"] < a["high"]
    assert (a["resamples"], a["seed"], a["level"], a["units"]) == (bs.RESAMPLES, bs.SEED, bs.LEVEL, 200)
    assert bs.f1_interval(counts, seed=1) != a


def test_interval_widens_with_fewer_units():
    pattern = [2, 0, 1, 2, 2, 1, 0, 2, 1, 2]  # the same per-unit rates at both sizes
    small = bs.f1_interval(_system(50, pattern))
    large = bs.f1_interval(_system(5000, pattern))
    assert small["f1"] == pytest.approx(large["f1"])
    # Width scales like 1 / sqrt(units): about 10 times wider here.
    assert small["high"] - small["low"] > 5 * (large["high"] - large["low"]) > 0


def test_paired_same_weights_for_two_systems():
    a = _system(60, [2, 1, 0])
    b = _system(60, [0, 2, 2, 1])
    weights = bs.resample_weights(60, resamples=100, seed=0)
    d = bs.paired_difference(a, b, resamples=100, seed=0, level=0.9)
    samples = bs.f1_of_weights(weights, a) - bs.f1_of_weights(weights, b)
    assert (d["low"], d["high"]) == bs.interval(samples, level=0.9)
    np.testing.assert_array_equal(bs.bootstrap_f1(a, 100, 0) - bs.bootstrap_f1(b, 100, 0), samples)


def test_identical_systems_not_significant():
    a = _system(100, [2, 1, 0, 2])
    d = bs.paired_difference(a, a.copy())
    assert d["difference"] == 0.0 and d["low"] == 0.0 and d["high"] == 0.0
    assert d["p_value"] == 1.0 and d["significant"] is False


def test_clearly_better_system_is_significant():
    better = _system(500, [2, 2, 2, 2, 1])  # tp 900 of 1000: F1 0.9
    worse = _system(500, [2, 0])  # tp 500 of 1000: F1 0.5
    d = bs.paired_difference(better, worse)
    assert d["difference"] == pytest.approx(0.4)
    assert d["significant"] is True and 0 < d["low"] < 0.4 < d["high"]
    assert d["p_value"] < 0.01
    flipped = bs.paired_difference(worse, better)
    assert flipped["difference"] == pytest.approx(-0.4) and flipped["significant"] is True
    assert flipped["high"] < 0 and flipped["p_value"] == d["p_value"]


def test_close_systems_not_significant():
    a = _system(30, [2, 1, 2, 0, 2, 1])
    b = _system(30, [2, 1, 2, 0, 1, 2, 1])
    d = bs.paired_difference(a, b)
    assert d["low"] < 0 < d["high"] and d["significant"] is False and d["p_value"] > 0.05


def test_shared_ranks_chain():
    # A - B = [.06, -.02, .01, .04, .02] and B - C = [-.01, .06, .02, -.02, .04] straddle 0;
    # A - C = [.05, .04, .03, .02, .06] lies above 0 (its 2.5% linear quantile is 0.021).
    samples = {
        "A": np.array([0.80, 0.80, 0.80, 0.80, 0.80]),
        "B": np.array([0.74, 0.82, 0.79, 0.76, 0.78]),
        "C": np.array([0.75, 0.76, 0.77, 0.78, 0.74]),
    }
    point = {"C": 0.76, "B": 0.78, "A": 0.80}
    ranks = bs.shared_ranks(samples, point)
    assert ranks == {"A": 1, "B": 1, "C": 2}
    assert list(ranks) == ["A", "B", "C"]
    # All clearly apart: 1, 2, 3.
    apart = {"A": samples["A"], "B": samples["A"] - 0.1, "C": samples["A"] - 0.2}
    assert bs.shared_ranks(apart, {"A": 0.8, "B": 0.7, "C": 0.6}) == {"A": 1, "B": 2, "C": 3}


def test_shared_ranks_from_bootstrap():
    systems = {"good": _system(300, [2, 2, 2, 1]), "close": _system(300, [2, 2, 1, 2, 2, 2, 1]),
               "bad": _system(300, [2, 0, 1])}
    samples = {name: bs.bootstrap_f1(c) for name, c in systems.items()}
    point = {name: bs.micro_f1(c) for name, c in systems.items()}
    assert bs.shared_ranks(samples, point) == {"good": 1, "close": 1, "bad": 3}


def test_mean_f1_samples_per_task_seeds():
    tasks = [_system(40, [2, 1, 0]), _system(25, [2, 2, 1, 0])]
    mean = bs.mean_f1_samples(tasks, resamples=200, seed=4)
    expected = (bs.bootstrap_f1(tasks[0], 200, 4) + bs.bootstrap_f1(tasks[1], 200, 5)) / 2
    np.testing.assert_allclose(mean, expected)
    np.testing.assert_array_equal(bs.mean_f1_samples(tasks[:1], 200, 4), bs.bootstrap_f1(tasks[0], 200, 4))
    with pytest.raises(ValueError, match="at least one task"):
        bs.mean_f1_samples([])


def test_counts_json_round_trip():
    obj = bs.counts_to_json(COUNTS)
    assert obj == [[1, 2, 2], [0, 1, 0], [3, 4, 3]] and all(type(v) is int for row in obj for v in row)
    np.testing.assert_array_equal(bs.counts_from_json(obj), COUNTS)
    assert bs.counts_from_json([]).shape == (0, 3)


@pytest.mark.parametrize("bad, message", [
    ([[1, 2]], r"shape \(units, 3\)"),
    ([1, 2, 3], r"shape \(units, 3\)"),
    ([[1, 2, 3, 4]], r"shape \(units, 3\)"),
    ([[0, -1, 0]], "non-negative"),
    ([[3, 2, 5]], "must not exceed"),
    ([[1, 1, 0]], "must not exceed"),
    ([[0.5, 1, 1]], "whole numbers"),
])
def test_bad_counts(bad, message):
    with pytest.raises(ValueError, match=message):
        bs.micro_f1(bad)
    with pytest.raises(ValueError, match=message):
        bs.counts_to_json(bad)
    with pytest.raises(ValueError, match=message):
        bs.f1_interval(bad, resamples=10)


@pytest.mark.parametrize("bad, message", [
    ({"counts": []}, "must be a list"),
    ([[1, 2]], "3 integers"),
    ([[1, 2, 2.0]], "integers"),
    ([[True, 1, 1]], "integers"),
    ([[0, -2, 0]], "non-negative"),
    ([[2, 1, 3]], "must not exceed"),
])
def test_bad_counts_json(bad, message):
    with pytest.raises(ValueError, match=message):
        bs.counts_from_json(bad)


def test_bad_arguments():
    with pytest.raises(ValueError, match="same units: a has 3 units, b has 2"):
        bs.paired_difference(COUNTS, COUNTS[:2])
    with pytest.raises(ValueError, match="at least one unit"):
        bs.bootstrap_f1(np.zeros((0, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="resamples"):
        bs.resample_weights(3, resamples=0)
    with pytest.raises(ValueError, match="level"):
        bs.interval(np.array([1.0, 2.0]), level=95)
    with pytest.raises(ValueError, match="non-empty"):
        bs.interval(np.array([]))
    with pytest.raises(ValueError, match=r"shape \(resamples, 3\)"):
        bs.f1_of_weights(np.ones((2, 4), dtype=np.int64), COUNTS)
    with pytest.raises(ValueError, match="same length"):
        bs.shared_ranks({"A": np.zeros(5), "B": np.zeros(4)}, {"A": 0.5, "B": 0.4})
    with pytest.raises(ValueError, match="same systems"):
        bs.shared_ranks({"A": np.zeros(5)}, {"B": 0.4})
