"""Label sets for training batches: each example's gold types plus sampled negatives, and the synonym groups a
sampled negative must not come from.

Label sets follow the reference's collator (gliner 0.2.29): the batch's types are the negative pool; each
example takes its own gold types plus ``randint(0, max_neg_type_ratio) x (number of gold types)`` negatives,
shuffled, at most ``max_types``. One difference: an example without entities gets at least one negative type
(upstream prompts it with an empty label), so it still teaches the model to find nothing.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..text.records import Example


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
