"""One ``Family`` per model family, found by ``config.family``: the steps of the pipeline that differ."""

from __future__ import annotations

from .base import DecodedText, Family, TextPrediction, UniModule, WindowOutput, module_device
from .bi import BiFamily, BiModule, LabelCache
from .decoder import DecoderFamily, DecoderModule
from .relex import RelexFamily, RelexModule
from .uni import UniFamily

# Each family of the registry (config/registry.py) by its name; tests/test_registry.py checks they match.
FAMILIES: dict[str, type[Family]] = {cls.name: cls for cls in (UniFamily, BiFamily, DecoderFamily, RelexFamily)}


def family_class(family: str) -> type[Family]:
    if family not in FAMILIES:
        raise ValueError(f"Unknown model family {family!r}; known: {', '.join(FAMILIES)}.")
    return FAMILIES[family]


__all__ = ["FAMILIES", "BiModule", "DecodedText", "DecoderModule", "Family", "LabelCache", "RelexModule",
           "TextPrediction", "UniModule", "WindowOutput", "family_class",
           "module_device"]
