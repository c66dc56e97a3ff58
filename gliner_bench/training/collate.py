"""Training batches: each example prompted with a sampled label set, and its gold spans as label tensors.

Label sets follow the reference's collator (brief section 5): the batch's types are the negative pool; each
example takes its own gold types plus ``randint(0, max_neg_type_ratio) x (number of gold types)`` negatives,
shuffled, at most ``max_types``. One difference: an example without entities gets at least one negative type
(upstream prompts it with an empty label), so it still teaches the model to find nothing.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..evaluation.data import Example
from ..processing import LabelSet, prompt_words, subtoken_counts, tokenize_batch


@dataclass
class Batch:
    inputs: dict[str, torch.Tensor]  # input_ids, attention_mask, words_mask, text_lengths
    labels: torch.Tensor  # span models (B, W, K, C); token models (B, W, C, 3)
    label_sets: list[list[str]]
    dropped_entities: int  # gold spans wider than max_width, of a type left out, or cut with the text
    # bi-encoders: the batch's distinct labels through the labels tokenizer, and each row's slots in them
    label_inputs: dict[str, torch.Tensor] | None = None  # input_ids, attention_mask (N, T)
    label_index: torch.Tensor | None = None  # (B, C) rows of the N label vectors
    label_mask: torch.Tensor | None = None  # (B, C) real slots


def sample_label_sets(examples: Sequence[Example], rng: random.Random, max_types: int = 25,
                      max_neg_type_ratio: int = 1, pool_size: int = 100) -> list[list[str]]:
    pool = sorted({label for ex in examples for *_, label in ex.entities})
    pool = rng.sample(pool, min(pool_size, len(pool)))
    out = []
    for ex in examples:
        positives = list(dict.fromkeys(label for *_, label in ex.entities))
        candidates = [t for t in pool if t not in positives]
        rng.shuffle(candidates)
        n_neg = len(positives) * rng.randint(0, max_neg_type_ratio)
        if not positives:
            n_neg = max(1, max_neg_type_ratio)
        types = positives + candidates[:n_neg]
        rng.shuffle(types)
        out.append(types[:max_types] or ["entity"])
    return out


def fit_words(tokenizer, tokens: Sequence[str], prompt: Sequence[str], max_words: int, max_tokens: int,
              num_special: int) -> int:
    """How many leading words fit the encoder with the prompt: at most ``max_words`` and the token budget."""
    budget = max_tokens - num_special - sum(subtoken_counts(tokenizer, list(prompt)))
    used = n = 0
    for count in subtoken_counts(tokenizer, list(tokens[:max_words])):
        if used + count > budget:
            break
        used += count
        n += 1
    return n


def make_batch(model, examples: Sequence[Example], label_sets: Sequence[Sequence[str]]) -> Batch:
    """Tokenised inputs (prompted for uni-encoders) and label tensors for a span or token model."""
    cfg = model.config
    if model.is_bi_encoder:  # labels go to the label encoder, not into the text
        prompts = [[] for _ in label_sets]
    else:
        prompts = [prompt_words(LabelSet(list(ls), list(ls)), cfg.ent_token, cfg.sep_token) for ls in label_sets]
    special = model.tokenizer.num_special_tokens_to_add(pair=False)
    lengths = [fit_words(model.tokenizer, ex.tokens, p, cfg.max_len, model.max_tokens, special)
               for ex, p in zip(examples, prompts)]
    words = [ex.tokens[:n] for ex, n in zip(examples, lengths)]
    inputs = tokenize_batch(model.tokenizer, words, prompts, cfg.subtoken_pooling, model.max_tokens)
    B, W, C, K = len(examples), max(lengths + [1]), max(len(ls) for ls in label_sets), cfg.max_width
    token = cfg.is_token_level
    labels = torch.zeros((B, W, C, 3) if token else (B, W, K, C))
    dropped = 0
    for b, (ex, ls, n) in enumerate(zip(examples, label_sets, lengths)):
        index = {name: i for i, name in enumerate(ls)}
        for s, e, label in ex.entities:
            c = index.get(label)
            if c is None or e >= n or (not token and e - s >= K):
                dropped += 1
                continue
            if token:
                labels[b, s, c, 0] = 1
                labels[b, e, c, 1] = 1
                labels[b, s:e + 1, c, 2] = 1
            else:
                labels[b, s, e - s, c] = 1
    batch = Batch(inputs, labels, [list(ls) for ls in label_sets], dropped)
    if model.is_bi_encoder:
        distinct = list(dict.fromkeys(name for ls in label_sets for name in ls))
        position = {name: i for i, name in enumerate(distinct)}
        enc = model.labels_tokenizer(distinct, truncation=True, padding="longest", return_tensors="pt")
        batch.label_inputs = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
        batch.label_index = torch.zeros(B, C, dtype=torch.long)
        batch.label_mask = torch.zeros(B, C, dtype=torch.bool)
        for b, ls in enumerate(label_sets):
            batch.label_index[b, : len(ls)] = torch.tensor([position[n] for n in ls])
            batch.label_mask[b, : len(ls)] = True
    return batch
