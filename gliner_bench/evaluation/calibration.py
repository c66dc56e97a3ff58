"""Fitting a checkpoint's ``score_calibration`` on validation splits: pure functions over (score, correct) pairs.

Input per task: every entity a model predicts at a low raw threshold, as (raw score, whether gold has exactly that
span and type) (``metrics.calibration_pairs``), and the task's gold count. Greedy decoding keeps the highest
scores first, so the entities at any higher threshold are exactly the pairs above it: F1 at every threshold comes
from one pass.

The fit, in two steps (``fit``):
1. **Where 0.5 falls.** The raw threshold ``t`` that maximises the mean F1 over the tasks, among those at which
   the ``anchor`` task's F1 is within ``within`` points of its best (issue 26: CoNLL-03 valid documents; a default
   threshold that means something). The shift is then ``-scale * logit(t)``: a calibrated score of 0.5 is raw ``t``.
2. **How spread the scores are.** The scale that minimises the mean expected calibration error over the tasks
   (entities with a calibrated score of at least 0.1, ten bins, as ``scripts/bench/document_gap.py`` reports it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..inference.calibration import ScoreCalibration
from .metrics import expected_calibration_error

RAW_THRESHOLDS = tuple(round(0.2 + i / 100, 2) for i in range(61))  # 0.20 ... 0.80
SCALES = tuple(round(0.5 + i / 20, 2) for i in range(91))  # 0.50 ... 5.00
ECE_FLOOR = 0.1  # entities scored below this (calibrated) are not counted in the ECE


@dataclass(frozen=True)
class Pairs:
    """One task's predictions at a low raw threshold: ``scores[i]`` and whether entity i is right; ``gold``."""

    scores: Sequence[float]
    correct: Sequence[bool]
    gold: int

    def __post_init__(self) -> None:
        if len(self.scores) != len(self.correct):
            raise ValueError(f"{len(self.scores)} scores but {len(self.correct)} correctness flags.")


def f1_above(pairs: Pairs, threshold: float) -> float:
    """Micro-F1 (0-100) of the entities scored above ``threshold`` (strict, as the pipeline's)."""
    predicted = correct = 0
    for s, ok in zip(pairs.scores, pairs.correct):
        if s > threshold:
            predicted += 1
            correct += bool(ok)
    return 200.0 * correct / (predicted + pairs.gold) if predicted + pairs.gold else 0.0


def ece_after(pairs: Pairs, calibration: ScoreCalibration, floor: float = ECE_FLOOR) -> float:
    """ECE of the calibrated scores of the entities a model reports at ``floor``."""
    kept = [(calibration.score(s), ok) for s, ok in zip(pairs.scores, pairs.correct)]
    kept = [(s, ok) for s, ok in kept if s >= floor]
    return expected_calibration_error([s for s, _ in kept], [ok for _, ok in kept])


def fit(tasks: Mapping[str, Pairs], anchor: str, within: float = 2.0,
        raw_thresholds: Sequence[float] = RAW_THRESHOLDS, scales: Sequence[float] = SCALES) -> ScoreCalibration:
    """The calibration of the module docstring. ``anchor`` names one of ``tasks``."""
    if not tasks or anchor not in tasks:
        raise ValueError(f"anchor {anchor!r} must be one of the tasks {sorted(tasks)}.")
    best_anchor = max(f1_above(tasks[anchor], t) for t in raw_thresholds)
    allowed = [t for t in raw_thresholds if f1_above(tasks[anchor], t) >= best_anchor - within]
    # ties: the threshold nearest 0.5, then the lower
    threshold = max(allowed, key=lambda t: (round(sum(f1_above(p, t) for p in tasks.values()) / len(tasks), 9),
                                            -abs(t - 0.5), -t))
    logit = math.log(threshold / (1 - threshold))

    def mean_ece(scale: float) -> float:
        cal = ScoreCalibration(scale, -scale * logit)
        return sum(ece_after(p, cal) for p in tasks.values()) / len(tasks)

    scale = min(scales, key=lambda a: (round(mean_ece(a), 9), abs(a - 1.0)))
    return ScoreCalibration(scale, round(-scale * logit, 6))


def report(pairs: Pairs, calibration: ScoreCalibration, thresholds: Sequence[float] = (0.5,)) -> dict:
    """F1 at each calibrated threshold, the best F1 over a 0.1-0.9 sweep (and where), and the ECE."""
    at = {str(t): round(f1_above(pairs, calibration.raw_threshold(t)), 2) for t in thresholds}
    sweep = {t / 100: f1_above(pairs, calibration.raw_threshold(t / 100)) for t in range(10, 91)}
    best = max(sweep, key=lambda t: (sweep[t], -abs(t - 0.5)))
    return {"f1_at": at, "best_f1": round(sweep[best], 2), "best_threshold": best,
            "ece": round(ece_after(pairs, calibration), 4), "entities_at_0.1": sum(
                1 for s in pairs.scores if calibration.score(s) >= ECE_FLOOR)}
