"""gliner-bench: the GLiNER family of zero-shot NER models, reimplemented, benchmarked and demonstrated.

``GLiNER`` (and with it torch and transformers) loads on first use, so ``import gliner_bench`` and the torch-free
parts (the leaderboard, results files, metrics, decoding, the registry) stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import ARCHITECTURES, GLiNERConfig, registry

if TYPE_CHECKING:
    from .model import GLiNER

from .version import __version__

# the reference's class names, one per architecture of the registry (model.py defines them)
_ARCHITECTURE_CLASSES = tuple(a.reference_class for a in registry.ARCHITECTURES)
__all__ = ["ARCHITECTURES", "GLiNER", "GLiNERConfig", "__version__", *_ARCHITECTURE_CLASSES]

# name -> the module that defines it, imported on first access
_LAZY = {"GLiNER": ".model", **{name: ".model" for name in _ARCHITECTURE_CLASSES}}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # later accesses skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
