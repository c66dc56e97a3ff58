"""What a model spec names: a checkpoint directory, a hub id, or ``untrained:<Architecture>``."""

from __future__ import annotations

import logging

log = logging.getLogger("gliner_bench")

UNTRAINED_PREFIX = "untrained:"
DEFAULT_BACKBONE = "sentence-transformers/all-MiniLM-L6-v2"
DEFAULT_MODEL = f"{UNTRAINED_PREFIX}UniEncoderSpan"


def load_model(spec: str, device: str = "cpu"):
    """A checkpoint directory or hub id; or ``untrained:<Architecture>``: fresh heads on the packaged
    all-MiniLM-L6-v2 (its outputs mean nothing; it exists to measure speed before trained weights)."""
    from .config import GLiNERConfig
    from .model import GLiNER

    if spec.startswith(UNTRAINED_PREFIX):
        arch = spec[len(UNTRAINED_PREFIX):]
        span_mode = "token_level" if arch == "UniEncoderToken" else "markerV0"
        config = GLiNERConfig(model_name=DEFAULT_BACKBONE, hidden_size=384, span_mode=span_mode, architecture=arch)
        log.warning("%s: heads are randomly initialised (seed 0); entities are meaningless", spec)
        return GLiNER.from_config(config).to(device)
    return GLiNER.from_pretrained(spec, map_location=device)
