"""Strict micro precision, recall and F1 as pure functions on plain data, as the reference's evaluator computes them.

Entities match on (text index, start, end, label); relations on (text index, head span, tail span,
relation). Sets, so a prediction repeated counts once, as upstream.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted: int
    gold: int


def prf(predicted: Iterable, gold: Iterable) -> PRF:
    """Micro P/R/F1 of two collections of hashable items (duplicates ignored); 0.0 where undefined."""
    p, g = set(predicted), set(gold)
    tp = len(p & g)
    precision = tp / len(p) if p else 0.0
    recall = tp / len(g) if g else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PRF(precision, recall, f1, tp, len(p), len(g))


def _check_docs(predicted: Sequence, gold: Sequence) -> None:
    if len(predicted) != len(gold):
        raise ValueError(f"predicted has {len(predicted)} texts but gold has {len(gold)}; pass one list per text.")


def entity_prf(predicted: Sequence[Sequence[dict]], gold: Sequence[Sequence[dict]]) -> PRF:
    """Strict entity match: ``{"start", "end", "label"}`` per entity (char offsets or word indices, as long
    as both sides use the same), one list per text."""
    _check_docs(predicted, gold)

    def keys(docs):
        return [(i, e["start"], e["end"], e["label"]) for i, doc in enumerate(docs) for e in doc]

    return prf(keys(predicted), keys(gold))


def relation_prf(predicted: Sequence[Sequence[dict]], gold: Sequence[Sequence[dict]]) -> PRF:
    """Strict relation match: head span, tail span and relation type. Each relation is
    ``{"head": {"start", "end"}, "tail": {"start", "end"}, "relation"}`` (the relex output format; entity
    types and scores are not compared), one list per text. Direction matters: (a, r, b) is not (b, r, a)."""
    _check_docs(predicted, gold)

    def keys(docs):
        return [(i, (r["head"]["start"], r["head"]["end"]), (r["tail"]["start"], r["tail"]["end"]), r["relation"])
                for i, doc in enumerate(docs) for r in doc]

    return prf(keys(predicted), keys(gold))


def as_dict(x: PRF) -> dict:
    return {"precision": x.precision, "recall": x.recall, "f1": x.f1, "true_positives": x.true_positives,
            "predicted": x.predicted, "gold": x.gold}


def entity_report(predicted: Sequence[Iterable[tuple]], gold: Sequence[Iterable[tuple]],
                  labels: Sequence[str] | None = None) -> dict:
    """Micro, macro and per-label strict P/R/F1 of ``(start, end, label)`` tuples, one collection per text.

    Micro is the reference's figure (every entity counts once). Macro averages the per-label F1 over
    ``labels`` (default: every label in gold or predictions), so rare types weigh as much as common ones.
    """
    _check_docs(predicted, gold)
    pred = {(i, *e) for i, doc in enumerate(predicted) for e in doc}
    true = {(i, *e) for i, doc in enumerate(gold) for e in doc}
    names = list(labels) if labels is not None else sorted({k[3] for k in pred | true})
    per_label = {name: as_dict(prf({k for k in pred if k[3] == name}, {k for k in true if k[3] == name}))
                 for name in names}
    macro = sum(v["f1"] for v in per_label.values()) / len(per_label) if per_label else 0.0
    return {"micro": as_dict(prf(pred, true)), "macro_f1": macro, "per_label": per_label}


def agreement(reference: Sequence[Iterable[tuple]], other: Sequence[Iterable[tuple]]) -> dict:
    """How many of ``reference``'s entities ``other`` reproduces exactly (same text, span and label), e.g. an fp32
    run against an int8 one: ``kept`` (the fraction of the reference's), ``identical``, ``only_reference``,
    ``only_other``."""
    _check_docs(other, reference)
    ref = {(i, *e) for i, doc in enumerate(reference) for e in doc}
    oth = {(i, *e) for i, doc in enumerate(other) for e in doc}
    same = len(ref & oth)
    return {"kept": same / len(ref) if ref else 1.0, "identical": same, "only_reference": len(ref - oth),
            "only_other": len(oth - ref)}


def calibration_pairs(predicted: Sequence[Iterable[tuple]], gold: Sequence[Iterable[tuple]]
                      ) -> tuple[list[float], list[bool]]:
    """Each predicted ``(start, end, label, score)`` as (score, whether gold has exactly that span and label),
    one collection per text: the input of ``expected_calibration_error``."""
    _check_docs(predicted, gold)
    scores, correct = [], []
    for doc, truth in zip(predicted, gold):
        true = set(truth)
        for *entity, score in doc:
            scores.append(float(score))
            correct.append(tuple(entity) in true)
    return scores, correct


def expected_calibration_error(scores: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """ECE: the mean over equal-width score bins of |accuracy - mean score|, weighted by the bin's share of the
    predictions (0.0: a score of 0.7 is right 70% of the time). 0.0 when there are no predictions."""
    if len(scores) != len(correct):
        raise ValueError(f"{len(scores)} scores but {len(correct)} correctness flags; pass one per prediction.")
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}.")
    if not scores:
        return 0.0
    totals = [[0, 0.0, 0] for _ in range(bins)]  # count, summed score, correct
    for s, ok in zip(scores, correct):
        if not 0.0 <= s <= 1.0:
            raise ValueError(f"score {s} is outside [0, 1]; pass probabilities.")
        b = min(int(s * bins), bins - 1)
        totals[b][0] += 1
        totals[b][1] += s
        totals[b][2] += bool(ok)
    return sum(abs(n_ok / n - total / n) * n for n, total, n_ok in totals if n) / len(scores)
