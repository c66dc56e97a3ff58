"""Uni-encoders (UniEncoderSpan, UniEncoderToken): every step is ``Family``'s own."""

from __future__ import annotations

from .base import Family


class UniFamily(Family):
    """Vanilla GLiNER (span head) and GLiNER multitask (token head)."""
