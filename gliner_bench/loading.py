"""What a model spec names: a checkpoint directory, a hub id, ``bundled:<name>`` (a default of ``defaults.py``,
trained by ``training/recipes.py`` and shipped in the package; ``bundled.py``) or ``untrained:<Architecture>``."""

from __future__ import annotations

import logging

from .checkpoints.bundled import BUNDLED_DIR, BUNDLED_PREFIX, bundled_names, bundled_path, install_bundled

log = logging.getLogger("gliner_bench")

UNTRAINED_PREFIX = "untrained:"
# the trained uni-encoder span default once it is bundled; before that, its untrained twin (speed only)
DEFAULT_MODEL = (f"{BUNDLED_PREFIX}uni-span" if (BUNDLED_DIR / "uni-span" / "gliner_config.json").is_file()
                 else f"{UNTRAINED_PREFIX}UniEncoderSpan")

__all__ = ["BUNDLED_DIR", "BUNDLED_PREFIX", "DEFAULT_MODEL", "UNTRAINED_PREFIX", "bundled_names", "bundled_path",
           "install_bundled", "load_model"]


def load_model(spec: str, device: str = "cpu", precision: str = "fp32"):
    """A checkpoint directory or hub id; or ``untrained:<Architecture>``: fresh heads on the packaged
    all-MiniLM-L6-v2 (its outputs mean nothing; it exists to measure speed before trained weights).
    ``precision``: "fp32", "bf16" or "int8" encoders (``precision.py``)."""
    from .model import GLiNER

    if spec.startswith(UNTRAINED_PREFIX):
        from .config.defaults import config_for

        arch = spec[len(UNTRAINED_PREFIX):]
        log.warning("%s: heads are randomly initialised (seed 0); entities are meaningless", spec)
        return GLiNER.from_config(config_for(arch)).to(device).set_precision(precision)
    if spec.startswith(BUNDLED_PREFIX):
        spec = str(bundled_path(spec[len(BUNDLED_PREFIX):]))
    return GLiNER.from_pretrained(spec, map_location=device, precision=precision)
