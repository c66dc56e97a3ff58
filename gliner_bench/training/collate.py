"""Training batches: each example prompted with a sampled label set, and its gold spans as label tensors.

Label sets follow the reference's collator (gliner 0.2.29): the batch's types are the negative pool; each
example takes its own gold types plus ``randint(0, max_neg_type_ratio) x (number of gold types)`` negatives,
shuffled, at most ``max_types``. One difference: an example without entities gets at least one negative type
(upstream prompts it with an empty label), so it still teaches the model to find nothing.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from ..evaluation.data import Example
from ..processing import subtoken_counts, tokenize_batch


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


def sample_label_sets(examples: Sequence[Example], rng: random.Random, max_types: int = 25,
                      max_neg_type_ratio: int = 1, pool_size: int = 100, relations: bool = False,
                      synonyms: Mapping[str, str] | None = None, min_negatives: int = 0,
                      corpus_types: Sequence[str] = (), corpus_negatives: int = 0) -> list[list[str]]:
    """Entity types per example (``relations``: relation types, from the examples' relations).

    ``synonyms`` maps a type name to its group (e.g. "human" and "person" to PERSON): a name of a positive's
    group is never drawn as a negative, which would teach the model that "human" is wrong for a person.
    ``min_negatives``: at least that many negatives when the pool has them (ours, not upstream's: a sentence with one
    entity type and ratio 1 gets no negative half the time, and only negatives teach types apart).
    ``corpus_negatives``: that many more negatives drawn from ``corpus_types`` (every type of the training set,
    ours: names the batch never holds still get rejected), never a positive's synonym."""
    synonyms = synonyms or {}
    def gold(ex: Example) -> list[str]:
        return [t for *_, t in (ex.relations if relations else ex.entities)]

    pool = sorted({label for ex in examples for label in gold(ex)})
    pool = rng.sample(pool, min(pool_size, len(pool)))
    out = []
    for ex in examples:
        positives = list(dict.fromkeys(gold(ex)))
        taken = {synonyms.get(t, t) for t in positives}
        candidates = [t for t in pool if synonyms.get(t, t) not in taken]
        rng.shuffle(candidates)
        n_neg = max(min_negatives, len(positives) * rng.randint(0, max_neg_type_ratio))
        if not positives:
            n_neg = max(1, max_neg_type_ratio, min_negatives)
        types = positives + candidates[:n_neg]
        if corpus_negatives and corpus_types:
            chosen = set(types)
            extra = [t for t in rng.sample(corpus_types, min(len(corpus_types), 2 * corpus_negatives))
                     if t not in chosen and synonyms.get(t, t) not in taken]
            types += extra[:corpus_negatives]
        rng.shuffle(types)
        out.append(types[:max_types] or ([] if relations else ["entity"]))
    return out


def share_label_sets(examples: Sequence[Example], label_sets: Sequence[Sequence[str]], max_types: int = 25,
                     synonyms: Mapping[str, str] | None = None) -> list[list[str]]:
    """A bi-encoder batch's labels: every row is scored against the batch's pool of sampled types (upstream: one
    shared pool per batch, capped at ``max_types`` x rows), less the synonyms of the row's own positives (a
    "human" drawn for another row is not a wrong answer for this row's person)."""
    synonyms = synonyms or {}
    pool = list(dict.fromkeys(t for ls in label_sets for t in ls))[:max_types * len(label_sets)]
    out = []
    for ex, own in zip(examples, label_sets):
        positives = {t for *_, t in ex.entities}
        groups = {synonyms.get(t, t) for t in positives}
        row = [t for t in pool if t in own or t in positives or synonyms.get(t, t) not in groups]
        out.append(row + [t for t in own if t not in row])  # a positive cut from the pool keeps its slot
    return out


def synonym_groups(paraphrases: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Type name -> group key from ``{type: [names...]}``; types sharing a name (GPE and LOC both say
    "location") form one group."""
    parent = {t: t for t in paraphrases}

    def root(t: str) -> str:
        while parent[t] != t:
            t = parent[t]
        return t

    owner: dict[str, str] = {}
    for t, names in paraphrases.items():
        for name in names:
            if name in owner:
                parent[root(t)] = root(owner[name])
            else:
                owner[name] = t
    return {name: root(t) for name, t in owner.items()}


def synonyms_beside(data: str | Path) -> dict[str, str]:
    """The synonym groups of a corpus built by ``build-data`` (its ``manifest.json`` beside the data file);
    empty for other data."""
    manifest = Path(data).parent / "manifest.json"
    try:
        paraphrases = json.loads(manifest.read_text(encoding="utf-8")).get("paraphrases") or {}
    except (OSError, ValueError, AttributeError):
        return {}
    return synonym_groups(paraphrases) if isinstance(paraphrases, dict) else {}


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
        from .objectives import objective_for

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
