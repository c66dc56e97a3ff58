"""The bundled defaults: compact checkpoints (``delta.py``) trained by ``training/recipes.py`` and shipped in the
package, loaded as ``bundled:<name>``."""

from __future__ import annotations

import shutil
from pathlib import Path

BUNDLED_PREFIX = "bundled:"
BUNDLED_DIR = Path(__file__).parents[1] / "models"  # compact checkpoints (delta.py) trained by training/recipes.py


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
