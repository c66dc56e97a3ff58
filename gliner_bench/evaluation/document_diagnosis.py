"""Where a model's document recall goes (issue 26): pure functions over predictions, no model.

A gold entity found in its sentence alone can be lost in its whole document in two ways:

- **its score falls**: the same span and type scores lower when the model reads the whole document
  (``score_pairs`` pairs each gold entity's score alone with its score in the document);
- **decoding drops it**: it still scores above the threshold, but flat (non-overlapping) decoding keeps an
  overlapping span that scores higher (``decoding_losses`` names the rival: a longer span, one that crosses a
  sentence boundary, the same span with another type, or a shorter / shifted one).

Spans are ``(start word, end word inclusive, label)``; scored ones add the score. Documents are sentences joined in
order (``harness.documents``), so a sentence's words start at the sum of the lengths before it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from statistics import mean, median

Span = tuple[int, int, str]
Scored = tuple[int, int, str, float]

RIVALS = ("crosses a sentence boundary", "longer, inside one sentence", "same span, other type", "shorter or shifted")


def sentence_offsets(lengths: Sequence[int]) -> list[int]:
    """The first word of each sentence in the joined document."""
    out, at = [], 0
    for n in lengths:
        out.append(at)
        at += n
    return out


def score_pairs(sentence_gold: Sequence[Sequence[Span]], sentence_scores: Sequence[Sequence[Scored]],
                document_scores: Sequence[Scored], lengths: Sequence[int]) -> list[tuple[float, float, int]]:
    """For each gold entity of one document's sentences: (score alone, score in the document, its first word in the
    document). A span the model did not return scores 0.0 (predictions are taken at a low threshold)."""
    if not (len(sentence_gold) == len(sentence_scores) == len(lengths)):
        raise ValueError(f"one document: {len(sentence_gold)} sentences of gold, {len(sentence_scores)} of scores, "
                         f"{len(lengths)} lengths; they must be equal.")
    in_doc = {(s, e, label): p for s, e, label, p in document_scores}
    pairs = []
    for offset, gold, scored in zip(sentence_offsets(lengths), sentence_gold, sentence_scores):
        alone = {(s, e, label): p for s, e, label, p in scored}
        for s, e, label in gold:
            pairs.append((alone.get((s, e, label), 0.0), in_doc.get((s + offset, e + offset, label), 0.0), s + offset))
    return pairs


def rival_kind(lost: Span, rival: Span, boundaries: Sequence[int]) -> str:
    """How a kept span that overlaps a lost gold span differs from it (one of ``RIVALS``); ``boundaries`` are the
    sentences' first words."""
    (s, e, label), (rs, re_, rlabel) = lost, rival
    if any(rs < b <= re_ for b in boundaries):
        return RIVALS[0]
    if (rs, re_) == (s, e):
        return RIVALS[2] if rlabel != label else "same"
    if rs <= s and re_ >= e:
        return RIVALS[1]
    return RIVALS[3]


def decoding_losses(gold: Sequence[Span], all_scores: Sequence[Scored], kept: Sequence[Span], threshold: float,
                    boundaries: Sequence[int] = ()) -> list[tuple[Span, list[tuple[Span, str]]]]:
    """Gold spans that score above ``threshold`` among every candidate (``all_scores``, non-flat) but are not among
    the flat decoding's ``kept`` spans, each with the kept spans that overlap it and how they differ."""
    scores = {(s, e, label): p for s, e, label, p in all_scores}
    kept_set = set(kept)
    out = []
    for span in gold:
        if scores.get(span, 0.0) > threshold and span not in kept_set:
            rivals = [r for r in kept if not (r[1] < span[0] or r[0] > span[1])]
            out.append((span, [(r, rival_kind(span, r, boundaries)) for r in rivals]))
    return out


def summarise(pairs: Sequence[tuple[float, float, int]], threshold: float,
              losses_alone: int, losses_document: int, rival_counts: Counter) -> dict:
    """One model's figures: gold entities above the threshold alone / in the document, the mean and median score
    shift, the shift by position in the document, and the decoding losses."""
    if not pairs:
        raise ValueError("no gold entities to summarise; give documents that have some.")
    by_position = {}
    for lo, hi in ((0, 50), (50, 150), (150, 300), (300, None)):
        sub = [p for p in pairs if p[2] >= lo and (hi is None or p[2] < hi)]
        if sub:
            by_position[f"{lo}-{hi or 'end'}"] = {"gold": len(sub), "alone": round(mean(p[0] for p in sub), 3),
                                                  "document": round(mean(p[1] for p in sub), 3)}
    return {
        "gold": len(pairs),
        "above_threshold_alone": sum(p[0] > threshold for p in pairs),
        "above_threshold_in_document": sum(p[1] > threshold for p in pairs),
        "median_score_alone": round(median(p[0] for p in pairs), 3),
        "median_score_in_document": round(median(p[1] for p in pairs), 3),
        "mean_shift": round(mean(p[1] - p[0] for p in pairs), 3),
        "mean_score_by_first_word": by_position,
        "lost_to_decoding_alone": losses_alone,
        "lost_to_decoding_in_document": losses_document,
        "document_rivals": {kind: rival_counts.get(kind, 0) for kind in RIVALS},
    }
