"""How each bundled default trains: its schedule and settings (``TrainConfig``), on top of its model config.

What a default is (its name, its order, its architecture's config on the packaged backbones, ``config_for``) is
``gliner_bench/defaults.py``, which loading and the app read without the training stack.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..config.defaults import CONFIGS, DEFAULTS, config_for, default
from ..config.registry import MINILM, SMOLLM2
from .trainer import TrainConfig

__all__ = ["CONFIGS", "MINILM", "RECIPES", "SMOLLM2", "Recipe", "config_for", "recipe", "train_config"]

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
    data: str = "train.jsonl"  # the file of `gliner-bench build-data`'s output folder it trains on


# Two LoRA'd encoders: rank 8 keeps a bi-encoder's delta under 8 MB. A bi-encoder step is ~4x cheaper (0.32 s:
# no label prompt in the text, label vectors once per batch), so it gets twice the steps in ~26 minutes.
# A decoder adds _enc2dec_proj (256 -> 576, 0.85M parameters): no LSTM, rank 8, and its LM stays frozen. Its step
# also runs the 135M-parameter LM over every entity's label (1.6 s per step at 2 threads), so it gets fewer steps.
# Relex trains on relex_train.jsonl, where 1,049 of 29,205 sentences have a relation: each of those three times
# per epoch (~11% of the rows drawn).
# decoder-token: 1,200 steps. decoder-span at 1,200 steps was under-confident (WNUT-16 17.2 micro-F1 at 0.5, 29.5
# at 0.4); 1,600 steps and a head learning rate of 2e-3 gave 17.7; with decoder_loss_coef 0.1 (defaults.CONFIGS)
# 38.5.
# corpus_negatives (10 more negative type names per sentence, drawn from every type of the corpus): uni-span's
# WNUT-16 micro-F1 went from 32.1 to 40.1 (precision 31.6 -> 47.3: without them it tagged hundreds of tweets'
# words "movie" or "tv show", names it had never seen as a negative), relex-token's from 37.4 to 40.4,
# decoder-span's from 38.5 to 39.2 (and Paris is no longer a date), uni-token's WNUT-16 dev from 35.5 to 41.1.
# See docs/training.md, "Trials".
# uni-span, fifth session: 4,800 steps instead of 2,400 (78.8 min on 1 thread beside another run): CoNLL-03 valid
# per sentence 56.6 -> 60.6, per document 53.7 -> 56.7, WNUT-16 dev 41.4 -> 42.1 (docs/documents.md).
_TRAIN_OVERRIDES = {"UniEncoderSpan": {"corpus_negatives": 10, "steps": 4800},
                    "BiEncoderSpan": {"lora_rank": 8, "lora_alpha": 16.0, "steps": 4800, "corpus_negatives": 10},
                    "UniEncoderSpanRelex": {"lora_rank": 8, "lora_alpha": 16.0, "relation_repeats": 3,
                                            "corpus_negatives": 10},
                    "UniEncoderTokenRelex": {"lora_rank": 8, "lora_alpha": 16.0, "relation_repeats": 3,
                                             "corpus_negatives": 10},
                    "BiEncoderToken": {"lora_rank": 8, "lora_alpha": 16.0, "steps": 4800},
                    # uni-token, 2026-12-07: WNUT-16 dev at 0.5 35.5 -> 41.1, CoNLL-03 valid per document 62.7 -> 62.4
                    "UniEncoderToken": {"corpus_negatives": 10},
                    "UniEncoderSpanDecoder": {"lora_rank": 8, "lora_alpha": 16.0, "steps": 1600, "lr_head": 2e-3,
                                              "corpus_negatives": 10},
                    "UniEncoderTokenDecoder": {"lora_rank": 8, "lora_alpha": 16.0, "steps": 1200}}

# uni-span, uni-token, bi-span and bi-token read passages (train.jsonl's sentences plus 5,653 runs of consecutive
# Brown sentences, median 112 words): CoNLL-03 valid per-document F1 20.8 -> 47.4 (uni-span, with isolate_prompt;
# passages alone 33.1), 54.5 -> 62.7 (uni-token, with isolate_prompt), 34.9 -> 51.3 (bi-span, with corpus_negatives,
# which kept WNUT-16 dev at 46.0 where passages alone gave 39.8), 55.4 -> 59.8 (bi-token) (docs/documents.md).
# relex-span (fifth session) reads relex_train.jsonl plus the same passages with their sentences' parse relations,
# with isolate_prompt and corpus_negatives: 25.3 -> 44.4 per document, relation F1 15.3 -> 17.1, WNUT-16 dev
# 39.5 -> 37.4 (a trial on passages without relations had halved the relation precision).
_DATA = {"UniEncoderSpan": "train_passages.jsonl", "UniEncoderToken": "train_passages.jsonl",
         "BiEncoderSpan": "train_passages.jsonl", "BiEncoderToken": "train_passages.jsonl",
         "UniEncoderSpanRelex": "relex_train_passages.jsonl",  # fifth session: passages with parse relations
         "UniEncoderTokenRelex": "relex_train.jsonl"}

RECIPES: dict[str, Recipe] = {
    arch: Recipe(arch, d.name, d.config, replace(_TRAIN, **_TRAIN_OVERRIDES.get(arch, {})),
                 _DATA.get(arch, "train.jsonl"))
    for arch, d in DEFAULTS.items()
}


def train_config(architecture: str, **overrides) -> TrainConfig:
    return replace(RECIPES[architecture].train, **overrides)


def recipe(name: str) -> Recipe:
    """A recipe by bundled name (``uni-span``) or architecture (``UniEncoderSpan``)."""
    return RECIPES[default(name).architecture]
