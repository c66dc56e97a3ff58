"""Model families, dispatched explicitly on ``config.architecture``."""

from __future__ import annotations

from torch import nn

from ..config import GLiNERConfig
from .bi import BiEncoderSpan, BiEncoderToken
from .decoder import UniEncoderSpanDecoder, UniEncoderTokenDecoder
from .relex import UniEncoderSpanRelex, UniEncoderTokenRelex
from .uni import UniEncoderSpan, UniEncoderToken

MODEL_CLASSES: dict[str, type[nn.Module]] = {
    "UniEncoderSpan": UniEncoderSpan,
    "UniEncoderToken": UniEncoderToken,
    "BiEncoderSpan": BiEncoderSpan,
    "BiEncoderToken": BiEncoderToken,
    "UniEncoderSpanDecoder": UniEncoderSpanDecoder,
    "UniEncoderTokenDecoder": UniEncoderTokenDecoder,
    "UniEncoderSpanRelex": UniEncoderSpanRelex,
    "UniEncoderTokenRelex": UniEncoderTokenRelex,
}


def build_model(config: GLiNERConfig) -> nn.Module:
    """An untrained module tree for ``config`` (weights are loaded separately)."""
    if config.architecture not in MODEL_CLASSES:
        raise NotImplementedError(
            f"Architecture {config.architecture!r} is not implemented in this version of gliner-bench; "
            f"implemented: {', '.join(MODEL_CLASSES)}."
        )
    return MODEL_CLASSES[config.architecture](config)
