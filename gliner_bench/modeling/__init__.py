"""Model families, dispatched explicitly on ``config.architecture``."""

from __future__ import annotations

from torch import nn

from ..config import GLiNERConfig, registry
from . import bi, decoder, relex, uni

# Each architecture's module class: the class of its name in modeling/<family>.py (config/registry.py).
FAMILY_MODULES = {"uni": uni, "bi": bi, "decoder": decoder, "relex": relex}
MODEL_CLASSES: dict[str, type[nn.Module]] = {
    a.name: getattr(FAMILY_MODULES[a.family], a.name) for a in registry.ARCHITECTURES}


def build_model(config: GLiNERConfig) -> nn.Module:
    """An untrained module tree for ``config`` (weights are loaded separately)."""
    if config.architecture not in MODEL_CLASSES:
        raise NotImplementedError(
            f"Architecture {config.architecture!r} is not implemented in this version of gliner-bench; "
            f"implemented: {', '.join(MODEL_CLASSES)}."
        )
    return MODEL_CLASSES[config.architecture](config)
