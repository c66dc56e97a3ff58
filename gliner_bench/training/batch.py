"""What a training batch holds (``Batch``), what the batch builder worked out per row (``Rows``), and the relex
targets (``relation_targets``): shared by the batch builder (``collate.py``) and the objectives."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from ..text.records import Example


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
    # relex: the gold entities (deduplicated spans), training pairs and their relation targets
    relation_sets: list[list[str]] | None = None
    entity_spans: torch.Tensor | None = None  # (B, E, 2) inclusive word spans
    entity_mask: torch.Tensor | None = None  # (B, E)
    adjacency: torch.Tensor | None = None  # (B, E, E) 1 where a gold relation links head i to tail j
    pairs: torch.Tensor | None = None  # (B, N, 2) (head, tail) rows of entity_spans
    pair_mask: torch.Tensor | None = None  # (B, N)
    pair_labels: torch.Tensor | None = None  # (B, N, R) multi-hot over each row's relation_sets
    relation_mask: torch.Tensor | None = None  # (B, R) real relation slots
    # each row's gold spans (once each, first label): the names a decoder learns to generate
    decoder_spans: list[list[tuple[int, int, str]]] | None = None
    words: list[list[str]] | None = None  # each row's words as the encoder saw them
    span_classes: list[dict[tuple[int, int], list[int]]] | None = None  # each gold span's label slots


@dataclass
class Rows:
    """What ``make_batch`` worked out per row, from which an objective adds its family's batch fields."""
    examples: Sequence[Example]
    lengths: list[int]  # words of each row that fit the encoder
    words: list[list[str]]  # those words
    relation_sets: Sequence[Sequence[str]] | None
    rng: random.Random | None
    decoder_spans: list[list[tuple[int, int, str]]]  # each row's trainable gold spans, once each, first label
    span_classes: list[dict[tuple[int, int], list[int]]]  # each of those spans' label slots


def relation_targets(batch: Batch, examples: Sequence[Example], lengths: Sequence[int],
                     relation_sets: Sequence[Sequence[str]], max_width: int | None, rng: random.Random,
                     max_negative_ratio: int = 10) -> None:
    """Fill ``batch``'s relex fields, as the reference trains its relation head (gliner 0.2.29): the gold
    entities that fit (deduplicated by span), their adjacency matrix, and training pairs -- every gold pair,
    its reverse when that is not gold itself, and random other pairs, ``randint(1, max_negative_ratio)``
    per gold pair -- with multi-hot relation targets over the row's relation prompt."""
    rows = []
    for ex, n, rs in zip(examples, lengths, relation_sets):
        slot, spans = {}, []
        for i, (s, e, _) in enumerate(ex.entities):
            if e >= n or (max_width is not None and e - s >= max_width):
                continue
            slot[i] = spans.index((s, e)) if (s, e) in spans else len(spans)
            if slot[i] == len(spans):
                spans.append((s, e))
        index = {name: r for r, name in enumerate(rs)}
        gold: dict[tuple[int, int], set[int]] = {}
        for h, t, name in ex.relations:
            if h in slot and t in slot and slot[h] != slot[t] and name in index:
                gold.setdefault((slot[h], slot[t]), set()).add(index[name])
        pairs = list(gold)
        pairs += [(t, h) for h, t in gold if (t, h) not in gold]
        others = [(i, j) for i in range(len(spans)) for j in range(len(spans)) if i != j and (i, j) not in pairs]
        rng.shuffle(others)
        pairs += others[: len(gold) * rng.randint(1, max_negative_ratio)] if gold else others[:2]
        rows.append((spans, gold, pairs))
    B = len(rows)
    E = max([len(r[0]) for r in rows] + [1])
    N = max([len(r[2]) for r in rows] + [1])
    R = max([len(rs) for rs in relation_sets] + [1])
    batch.relation_sets = [list(rs) for rs in relation_sets]
    batch.entity_spans = torch.zeros(B, E, 2, dtype=torch.long)
    batch.entity_mask = torch.zeros(B, E, dtype=torch.bool)
    batch.adjacency = torch.zeros(B, E, E)
    batch.pairs = torch.zeros(B, N, 2, dtype=torch.long)
    batch.pair_mask = torch.zeros(B, N, dtype=torch.bool)
    batch.pair_labels = torch.zeros(B, N, R)
    batch.relation_mask = torch.zeros(B, R, dtype=torch.bool)
    for b, ((spans, gold, pairs), rs) in enumerate(zip(rows, relation_sets)):
        if spans:
            batch.entity_spans[b, : len(spans)] = torch.tensor(spans)
            batch.entity_mask[b, : len(spans)] = True
        for (h, t), rels in gold.items():
            batch.adjacency[b, h, t] = 1
            for r in rels:
                batch.pair_labels[b, pairs.index((h, t)), r] = 1
        if pairs:
            batch.pairs[b, : len(pairs)] = torch.tensor(pairs)
            batch.pair_mask[b, : len(pairs)] = True
        batch.relation_mask[b, : len(rs)] = True
