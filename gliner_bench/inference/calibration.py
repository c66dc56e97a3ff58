"""Entity scores a user can read as probabilities: a checkpoint's fitted map from the head's raw sigmoid scores.

A checkpoint may carry ``score_calibration`` (``{"scale": a, "shift": b}``, config field): every entity score
``p`` the head gives becomes ``sigmoid(a * logit(p) + b)`` (Platt scaling of the logit). The map is monotone, so
it changes no ranking: the pipeline finds candidates at the raw threshold that maps onto the threshold asked for
(``raw_threshold``), decodes them as before, then reports mapped scores and keeps those above the threshold asked
for. A span's score and a token model's (the minimum of its start, end and inside probabilities) map the same way,
since a monotone map commutes with the minimum. Relation scores are not mapped.

How the map is fitted (on validation splits) is ``evaluation/calibration.py``; docs/documents.md has the figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_EPS = 1e-12  # raw scores are clamped to [eps, 1 - eps] before the logit: 0 and 1 stay 0 and 1 in effect


@dataclass(frozen=True)
class ScoreCalibration:
    """``sigmoid(scale * logit(p) + shift)``; the identity when ``scale`` is 1 and ``shift`` 0."""

    scale: float = 1.0
    shift: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.scale) and self.scale > 0 and math.isfinite(self.shift)):
            raise ValueError(f"A score calibration needs a finite scale > 0 and a finite shift, got scale "
                             f"{self.scale!r}, shift {self.shift!r}.")

    @classmethod
    def from_field(cls, value: dict | None) -> ScoreCalibration:
        """The map a config's ``score_calibration`` field describes (null: the identity)."""
        if value is None:
            return cls()
        return cls(float(value["scale"]), float(value["shift"]))

    @property
    def is_identity(self) -> bool:
        return self.scale == 1.0 and self.shift == 0.0

    def score(self, raw: float) -> float:
        """The calibrated score of a raw score in [0, 1]."""
        if self.is_identity:
            return raw
        return _sigmoid(self.scale * _logit(raw) + self.shift)

    def raw_threshold(self, threshold: float) -> float:
        """The raw score that maps onto ``threshold``: candidates above it are those whose calibrated score can
        pass. 0 and 1 (and anything outside) are returned as they are."""
        if self.is_identity or not 0.0 < threshold < 1.0:
            return threshold
        return _sigmoid((_logit(threshold) - self.shift) / self.scale)


def _logit(p: float) -> float:
    p = min(max(p, _EPS), 1.0 - _EPS)
    return math.log(p / (1.0 - p))


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
