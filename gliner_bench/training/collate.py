"""Training batches: each example prompted with its label set, and its gold spans as label tensors.

The label sets come from ``labels.py``; the batch's fields are ``batch.Batch``; what differs by family (prompts,
extra targets) is the model's ``Objective`` (``objectives.py``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import torch

from ..inference.tokenization import subtoken_counts, tokenize_batch
from ..text.records import Example
from .batch import Batch, Rows
from .objectives import objective_for


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


BLANK_ENTITY = "entity"


def make_batch(model, examples: Sequence[Example], label_sets: Sequence[Sequence[str]],
               relation_sets: Sequence[Sequence[str]] | None = None, rng: random.Random | None = None,
               blank: Sequence[bool] | None = None, objective=None) -> Batch:
    """Tokenised inputs (prompted for uni-encoders) and label tensors for a span or token model; relex models
    also get ``relation_sets`` in the prompt and relation targets (``relation_targets``); decoders get their
    generation targets (``decoder_spans``). A ``blank`` row is prompted with the one label "entity" and every
    gold span is of that class, while the decoder still learns the real type (upstream's blank_entity_prob).
    ``objective``: the model's (``objectives.objective_for``; looked up when not given)."""
    if objective is None:
        objective = objective_for(model)
    cfg = model.config
    blank = list(blank) if blank is not None else [False] * len(examples)
    label_sets = [[BLANK_ENTITY] if b else ls for ls, b in zip(label_sets, blank)]
    prompts = objective.prompts(cfg, label_sets, relation_sets)
    special = model.tokenizer.num_special_tokens_to_add(pair=False)
    lengths = [fit_words(model.tokenizer, ex.tokens, p, cfg.max_len, model.max_tokens, special)
               for ex, p in zip(examples, prompts)]
    words = [ex.tokens[:n] for ex, n in zip(examples, lengths)]
    inputs = tokenize_batch(model.tokenizer, words, prompts, cfg.subtoken_pooling, model.max_tokens,
                            cfg.case_token_types)
    B, W, C, K = len(examples), max(lengths + [1]), max(len(ls) for ls in label_sets), cfg.max_width
    token = cfg.is_token_level
    labels = torch.zeros((B, W, C, 3) if token else (B, W, K, C))
    dropped = 0
    decoder_spans: list[list[tuple[int, int, str]]] = []
    seen: set[tuple[int, int, int]] = set()  # (row, start, end): a span is generated once, under its first type
    span_classes: list[dict[tuple[int, int], list[int]]] = []
    for b, (ex, ls, n) in enumerate(zip(examples, label_sets, lengths)):
        index = {name: i for i, name in enumerate(ls)}
        decoder_spans.append([])
        span_classes.append({})
        for s, e, label in ex.entities:
            c = index.get(BLANK_ENTITY if blank[b] else label)
            if c is None or e >= n or (not token and e - s >= K):
                dropped += 1
                continue
            if (b, s, e) not in seen:
                seen.add((b, s, e))
                decoder_spans[b].append((s, e, label))
            span_classes[b].setdefault((s, e), []).append(c)
            if token:
                labels[b, s, c, 0] = 1
                labels[b, e, c, 1] = 1
                labels[b, s:e + 1, c, 2] = 1
            else:
                labels[b, s, e - s, c] = 1
    batch = Batch(inputs, labels, [list(ls) for ls in label_sets], dropped)
    objective.add_targets(model, batch, Rows(examples, lengths, [list(w) for w in words], relation_sets, rng,
                                             decoder_spans, span_classes))
    return batch
