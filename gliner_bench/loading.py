"""What a model spec names: a checkpoint directory, a hub id, ``bundled:<name>`` (a default of ``defaults.py``,
trained by ``training/recipes.py`` and shipped in the package) or ``untrained:<Architecture>``."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

log = logging.getLogger("gliner_bench")

UNTRAINED_PREFIX = "untrained:"
BUNDLED_PREFIX = "bundled:"
BUNDLED_DIR = Path(__file__).parent / "models"  # compact checkpoints (delta.py) trained by training/recipes.py
# the trained uni-encoder span default once it is bundled; before that, its untrained twin (speed only)
DEFAULT_MODEL = (f"{BUNDLED_PREFIX}uni-span" if (BUNDLED_DIR / "uni-span" / "gliner_config.json").is_file()
                 else f"{UNTRAINED_PREFIX}UniEncoderSpan")


def load_model(spec: str, device: str = "cpu", precision: str = "fp32"):
    """A checkpoint directory or hub id; or ``untrained:<Architecture>``: fresh heads on the packaged
    all-MiniLM-L6-v2 (its outputs mean nothing; it exists to measure speed before trained weights).
    ``precision``: "fp32", "bf16" or "int8" encoders (``precision.py``)."""
    from .model import GLiNER

    if spec.startswith(UNTRAINED_PREFIX):
        from .defaults import config_for

        arch = spec[len(UNTRAINED_PREFIX):]
        log.warning("%s: heads are randomly initialised (seed 0); entities are meaningless", spec)
        return GLiNER.from_config(config_for(arch)).to(device).set_precision(precision)
    if spec.startswith(BUNDLED_PREFIX):
        spec = str(bundled_path(spec[len(BUNDLED_PREFIX):]))
    return GLiNER.from_pretrained(spec, map_location=device, precision=precision)


def bundled_names() -> list[str]:
    return sorted(p.name for p in BUNDLED_DIR.glob("*") if (p / "gliner_config.json").is_file())


def bundled_path(name: str) -> Path:
    path = BUNDLED_DIR / name
    if not (path / "gliner_config.json").is_file():
        raise ValueError(f"No bundled model {name!r}; bundled: {', '.join(bundled_names()) or 'none'}. Train one "
                         f"with `gliner-bench train --recipe {name} --data <built>/train.jsonl --output runs/{name} "
                         "--install`.")
    return path


def install_bundled(directory: str | Path, name: str) -> Path:
    """Copy a trained compact checkpoint into the package as ``bundled:<name>`` (replacing the old one)."""
    target = BUNDLED_DIR / name
    tmp = BUNDLED_DIR / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(directory, tmp, ignore=shutil.ignore_patterns(".*"))
    shutil.rmtree(target, ignore_errors=True)
    tmp.replace(target)
    return target
