"""One ``Family`` per model family, found by ``config.family``: the steps of the pipeline that differ."""

from __future__ import annotations

from .base import DecodedText, Family, TextPrediction, WindowOutput, module_device
from .bi import BiFamily, LabelCache
from .decoder import DecoderFamily
from .relex import RelexFamily
from .uni import UniFamily

FAMILIES: dict[str, type[Family]] = {
    "uni": UniFamily,
    "bi": BiFamily,
    "decoder": DecoderFamily,
    "relex": RelexFamily,
}


def family_class(family: str) -> type[Family]:
    if family not in FAMILIES:
        raise ValueError(f"Unknown model family {family!r}; known: {', '.join(FAMILIES)}.")
    return FAMILIES[family]


__all__ = ["FAMILIES", "DecodedText", "Family", "LabelCache", "TextPrediction", "WindowOutput", "family_class",
           "module_device"]
