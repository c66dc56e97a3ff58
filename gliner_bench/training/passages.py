"""Passages for training on more than a sentence: consecutive sentences of one document, joined.

The defaults trained on single sentences lose most of their entities on whole documents (docs/documents.md).
``build-data`` therefore also writes ``train_passages.jsonl``: every example of ``train.jsonl`` plus passages cut
from the Brown corpus's 500 documents in their order (nlp-corpus has no documents: its sentences are unrelated).
A passage is a run of consecutive sentences, at most a target length drawn per passage between ``min_words`` and
``max_words`` words; a run ends at its document's end and before any held-out sentence, so no held-out text is
trained on. Pure functions on plain data; the labelling is ``corpus.label`` (one paraphrase per passage).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Sequence


def passage_runs(documents: Sequence[Sequence[str]], excluded: Collection[str], seed: int, max_sentences: int,
                 min_words: int = 40, max_words: int = 200) -> tuple[list[list[str]], Counter]:
    """Passages (lists of consecutive sentences) from ``documents`` (each a list of sentences in order), drawn
    from documents in a seeded random order until ``max_sentences`` sentences are used. Sentences in
    ``excluded`` break a run and are never used. A passage holds at least two sentences; a sentence longer than
    ``max_words`` words alone, a lone sentence between breaks and an empty document are skipped and counted in
    the returned ``Counter``."""
    if not 0 < min_words <= max_words:
        raise ValueError(f"passage lengths: need 0 < min_words <= max_words, got {min_words} and {max_words}.")
    rng = random.Random(f"{seed}:passages")
    order = list(range(len(documents)))
    rng.shuffle(order)
    passages: list[list[str]] = []
    skipped: Counter = Counter()
    used = 0
    for d in order:
        if not documents[d]:
            skipped["empty documents"] += 1
            continue
        for run in _runs(documents[d], excluded, max_words, skipped):
            for passage in _pack(run, rng, min_words, max_words, skipped):
                passages.append(passage)
                used += len(passage)
                if used >= max_sentences:
                    return passages, skipped
    return passages, skipped


def _runs(sentences: Sequence[str], excluded: Collection[str], max_words: int, skipped: Counter
          ) -> list[list[str]]:
    """The document cut at excluded sentences and at sentences too long for any passage."""
    runs, current = [], []
    for s in sentences:
        if s in excluded:
            skipped["held-out sentences"] += 1
        elif len(s.split()) > max_words:
            skipped["sentences over max_words"] += 1
        else:
            current.append(s)
            continue
        runs.append(current)
        current = []
    runs.append(current)
    return [r for r in runs if r]


def _pack(run: list[str], rng: random.Random, min_words: int, max_words: int, skipped: Counter
          ) -> list[list[str]]:
    out, current, words, target = [], [], 0, rng.randint(min_words, max_words)
    for s in run:
        n = len(s.split())
        if current and words + n > target:
            out.append(current)
            current, words, target = [], 0, rng.randint(min_words, max_words)
        current.append(s)
        words += n
    out.append(current)
    skipped["lone sentences"] += sum(1 for p in out if len(p) == 1)
    return [p for p in out if len(p) > 1]


def join(examples: Sequence[dict]) -> dict:
    """Labelled sentences (``tokenized_text``, ``ner``, optional ``relations``) as one example: words
    concatenated, spans shifted by the words before them, relations re-indexed into the joined ``ner``."""
    tokens: list[str] = []
    ner: list[list] = []
    relations: list[list] = []
    for ex in examples:
        offset, first = len(tokens), len(ner)
        tokens += ex["tokenized_text"]
        ner += [[s + offset, e + offset, *rest] for s, e, *rest in ex["ner"]]
        relations += [[h + first, t + first, *rest] for h, t, *rest in ex.get("relations", [])]
    return {"tokenized_text": tokens, "ner": ner} | ({"relations": relations} if relations else {})
