"""Decoding as pure functions: scores of one text -> candidate spans -> greedy selection.

Semantics are the reference's (gliner 0.2.29, brief section 3), including its tie-breaking: candidates
are listed in the reference's order and stably sorted by descending score, so equal scores keep that order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import torch


class Span(NamedTuple):
    start: int  # first word
    end: int  # last word (inclusive)
    label: int  # index into the text's label list
    score: float


def span_candidates(probs: torch.Tensor, num_words: int, num_labels: int, threshold: float,
                    best_label_only: bool = False, label_offset: int = 0) -> list[Span]:
    """Spans of a span model above ``threshold``.

    ``probs`` (W, K, C): sigmoid scores for the span starting at word w with width k+1. A candidate has
    ``p > threshold`` (strict), lies inside the text, and has a label index < ``num_labels`` (classes padded
    for other rows of a batch are ignored). Order: start, width, label -- as ``torch.where`` lists them.

    ``best_label_only``: keep only each span's best label (the first on a tie). Greedy decoding without
    ``multi_label`` gives the same result from this list as from the full one: a lower-scored label of a
    span comes after the best one and is rejected by whatever kept or rejected the best one. With many
    labels this makes the list up to C times shorter. ``label_offset`` is added to every label index.
    """
    probs = probs[:num_words, :, :num_labels]
    if best_label_only and probs.numel():
        best, label = probs.max(dim=-1)  # (w, K): first maximum on ties
        s, k = torch.where(best > threshold)
        c = label[s, k]
    else:
        s, k, c = torch.where(probs > threshold)
    keep = s + k < num_words
    s, k, c = s[keep], k[keep], c[keep]
    scores = probs[s, k, c].tolist()
    return [Span(a, a + b, lab + label_offset, p)
            for a, b, lab, p in zip(s.tolist(), k.tolist(), c.tolist(), scores)]


def span_candidates_from_logits(logits: torch.Tensor, num_words: int, num_labels: int, threshold: float,
                                best_label_only: bool = False, label_offset: int = 0) -> list[Span]:
    """``span_candidates(sigmoid(logits), ...)``, computing sigmoids only where needed.

    With ``best_label_only``, a span passes when the sigmoid of its best logit does (sigmoid is monotone,
    so that is its best probability) and only the passing spans' label rows are turned into probabilities:
    C times fewer sigmoids, the same candidates, labels and scores.
    """
    logits = logits[:num_words, :, :num_labels]
    if not best_label_only or logits.numel() == 0:
        return span_candidates(torch.sigmoid(logits), num_words, num_labels, threshold, best_label_only,
                               label_offset)
    best = torch.sigmoid(logits.amax(dim=-1))  # (w, K)
    s, k = torch.where(best > threshold)
    keep = s + k < num_words
    s, k = s[keep], k[keep]
    score, label = torch.sigmoid(logits[s, k]).max(dim=-1)  # (n,): first maximum on ties
    return [Span(a, a + b, lab + label_offset, p)
            for a, b, lab, p in zip(s.tolist(), k.tolist(), label.tolist(), score.tolist())]


def token_candidates(probs: torch.Tensor, num_words: int, num_labels: int, threshold: float,
                     best_label_only: bool = False, label_offset: int = 0) -> list[Span]:
    """Entities of a token (BIO-style) model above ``threshold``.

    ``probs`` (W, C, 3): sigmoid [start, end, inside] scores. A start at word i and an end at word j >= i of
    the same label pair up when both exceed the threshold (strict) and every inside score from i to j is at
    least the threshold; the score is the minimum of those insides, the start and the end. Order: start word,
    label, then end word -- the reference's nested loops. ``best_label_only`` is accepted for a uniform
    signature and ignored; ``label_offset`` is added to every label index.
    """
    probs = probs[:num_words, :num_labels]
    start_p, end_p, inside_p = probs.unbind(-1)  # (W, C) each
    starts = torch.nonzero(start_p > threshold).tolist()  # [(word, label)], row-major
    is_end = (end_p > threshold).T.tolist()  # (C, W)
    start_l, end_l = start_p.tolist(), end_p.tolist()
    inside_l = inside_p.T.tolist()  # (C, W), python floats compared in float64 as upstream
    out = []
    for i, label in starts:
        inside_label, ends = inside_l[label], is_end[label]
        running = start_l[i][label]
        for j in range(i, num_words):
            if inside_label[j] < threshold:
                break  # every longer span from i contains this word too
            running = min(running, inside_label[j])
            if ends[j]:
                out.append(Span(i, j, label + label_offset, min(running, end_l[j][label])))
    return out


def greedy_decode(candidates: Iterable[Span], flat_ner: bool = True, multi_label: bool = False) -> list[Span]:
    """Keep the best-scoring spans that do not clash with a kept one; return them sorted by start.

    ``flat_ner``: no two kept spans overlap. Nested: spans may nest but not partially overlap. In both, the
    same (start, end) appears once unless ``multi_label``.
    """
    ordered = sorted(candidates, key=lambda x: -x.score)  # stable: ties keep candidate order
    kept = _greedy_flat(ordered, multi_label) if flat_ner else _greedy_nested(ordered, multi_label)
    return sorted(kept, key=lambda x: x.start)


def span_order(span: Span) -> tuple[int, int, int]:
    """The order a span model lists candidates in: start, width, label."""
    return span.start, span.end, span.label


def token_order(span: Span) -> tuple[int, int, int]:
    """The order a token model lists candidates in: start, label, end."""
    return span.start, span.label, span.end


def _greedy_flat(ordered: list[Span], multi_label: bool) -> list[Span]:
    """Flat selection with a per-word owner table: O(span width) per candidate instead of O(kept)."""
    owner: dict[int, tuple[int, int]] = {}  # word -> (start, end) of the kept span covering it
    kept = []
    for span in ordered:
        bounds = (span.start, span.end)
        clash = False
        for word in range(span.start, span.end + 1):
            other = owner.get(word)
            if other is not None and (other != bounds or not multi_label):
                clash = True
                break
        if not clash:
            kept.append(span)
            for word in range(span.start, span.end + 1):
                owner[word] = bounds
    return kept


def _greedy_nested(ordered: list[Span], multi_label: bool) -> list[Span]:
    kept: list[Span] = []
    for span in ordered:
        if not any(_clash_nested(span, other, multi_label) for other in kept):
            kept.append(span)
    return kept


def _clash_nested(a: Span, b: Span, multi_label: bool) -> bool:
    """Partial overlap only: nesting is allowed."""
    if (a.start, a.end) == (b.start, b.end):
        return not multi_label
    disjoint = a.start > b.end or b.start > a.end
    nested = (a.start <= b.start and a.end >= b.end) or (b.start <= a.start and b.end >= a.end)
    return not (disjoint or nested)


def _merge_most_central(windows: Sequence[tuple[int, int, list]], shift, key, margin) -> list:
    """Items of overlapping windows in text word indices, each key once, from the window where ``margin``
    (distance of the item from the window's edges) is largest; the first such window wins ties."""
    if len(windows) == 1 and windows[0][0] == 0:
        return list(windows[0][2])
    best: dict = {}
    order: list = []
    for offset, length, items in windows:
        for item in items:
            m, shifted = margin(item, length), shift(item, offset)
            k = key(shifted)
            if k not in best:
                order.append(k)
                best[k] = (m, shifted)
            elif m > best[k][0]:
                best[k] = (m, shifted)
    return [best[k][1] for k in order]


def merge_windows(window_candidates: Sequence[tuple[int, int, list[Span]]], with_source: bool = False) -> list:
    """Candidates of overlapping windows of one text -> one candidate list in text word indices.

    ``window_candidates``: ``(offset, window_length, candidates)`` with candidate words relative to the
    window. A span seen by several windows is kept once, from the window where it sits farthest from an
    edge (most context on both sides); the first such window wins ties. ``with_source``: ``(span, index of
    its window in window_candidates)`` pairs instead of spans.
    """
    tagged = [(off, length, [(c, w) for c in cands]) for w, (off, length, cands) in enumerate(window_candidates)]
    merged = _merge_most_central(
        tagged,
        shift=lambda it, off: (Span(it[0].start + off, it[0].end + off, it[0].label, it[0].score), it[1]),
        key=lambda it: (it[0].start, it[0].end, it[0].label),
        margin=lambda it, length: min(it[0].start, length - 1 - it[0].end),
    )
    return merged if with_source else [span for span, _ in merged]


def scored_span_candidates(spans: Sequence[tuple[int, int]], probs: torch.Tensor, num_labels: int,
                           threshold: float, best_label_only: bool = False, label_offset: int = 0) -> list[Span]:
    """Candidate spans scored per label (the token decoder's rescoring): ``probs`` (len(spans), C).

    Every (span, label) with ``p > threshold`` (strict) and label < ``num_labels``, in span order then label
    order; ``best_label_only`` keeps each span's best label (first on ties), as for ``span_candidates``.
    """
    if not spans or num_labels == 0:
        return []
    probs = probs[: len(spans), :num_labels]
    if best_label_only:
        best, label = probs.max(dim=-1)
        rows = torch.nonzero(best > threshold).flatten().tolist()
        return [Span(*spans[i], int(label[i]) + label_offset, float(best[i])) for i in rows]
    rows, cols = torch.where(probs > threshold)
    scores = probs[rows, cols].tolist()
    return [Span(*spans[i], c + label_offset, p) for i, c, p in zip(rows.tolist(), cols.tolist(), scores)]


# ---------------------------------------------------------------------------------------------- relex
def relex_span_candidates(probs: torch.Tensor, num_words: int, num_labels: int,
                          threshold: float) -> list[tuple[int, int]]:
    """A span relex model's entity candidates for relations: every span inside the text whose best label
    scores above ``threshold`` (strict), in flat (start, width) order -- before any greedy filtering.

    ``probs`` (W, K, C) as for ``span_candidates``.
    """
    if num_labels == 0 or num_words == 0:
        return []
    best = probs[:num_words, :, :num_labels].amax(dim=-1)  # (w, K)
    s, k = torch.where(best > threshold)
    keep = s + k < num_words
    return list(zip(s[keep].tolist(), (s[keep] + k[keep]).tolist()))


def relex_token_candidates(probs: torch.Tensor, num_words: int, num_labels: int,
                           threshold: float) -> list[tuple[int, int]]:
    """A token relex model's entity candidates: for each label, every start i and end j >= i above
    ``threshold`` with every inside score from i to j above it too (all strict, unlike BIO decoding's
    inside >= threshold), in (start, label, end) order. A span found for two labels appears twice, as
    upstream; only the words of the text are searched (upstream also searches batch padding).

    ``probs`` (W, C, 3) [start, end, inside] as for ``token_candidates``.
    """
    probs = probs[:num_words, :num_labels]
    is_start, is_end, is_inside = (probs > threshold).unbind(-1)  # (w, C) each
    ends = is_end.T.tolist()  # (C, w)
    inside = is_inside.T.tolist()
    out = []
    for i, label in torch.nonzero(is_start).tolist():
        for j in range(i, num_words):
            if not inside[label][j]:
                break
            if ends[label][j]:
                out.append((i, j))
    return out


class RelationCandidate(NamedTuple):
    head: tuple[int, int]  # (start, end) words, inclusive
    tail: tuple[int, int]
    label: int  # index into the relation labels
    score: float


def relation_candidates(spans: Sequence[tuple[int, int]], pairs: Sequence[tuple[int, int]],
                        probs: torch.Tensor, threshold: float,
                        keep_spans: set[tuple[int, int]] | None = None) -> list[RelationCandidate]:
    """Scored pairs -> relations above ``threshold`` (strict), in pair order then label order.

    ``spans``: the candidate entities; ``pairs``: (head, tail) indices into them; ``probs`` (len(pairs), R):
    the probability of relation r for pair n. ``keep_spans``: only pairs whose two spans are in it (the
    decoded entities: relations between other candidates would be dropped anyway, and there can be E^2).
    """
    if probs.numel() == 0 or not pairs:
        return []
    above = probs > threshold  # (N, R)
    if keep_spans is not None:
        ok = torch.tensor([tuple(s) in keep_spans for s in spans], dtype=torch.bool)  # (E,)
        index = torch.tensor(pairs, dtype=torch.long)  # (N, 2)
        above &= (ok[index[:, 0]] & ok[index[:, 1]])[:, None]
    n, r = torch.nonzero(above, as_tuple=True)  # row-major: pair, then label
    scores = probs[n, r].tolist()
    return [RelationCandidate(tuple(spans[pairs[i][0]]), tuple(spans[pairs[i][1]]), label, p)
            for i, label, p in zip(n.tolist(), r.tolist(), scores)]


def merge_window_relations(window_relations: Sequence[tuple[int, int, list[RelationCandidate]]]
                           ) -> list[RelationCandidate]:
    """As ``merge_windows`` for relations: text word indices, each (head, tail, label) once, from the window
    where both spans sit farthest from an edge."""
    return _merge_most_central(
        window_relations,
        shift=lambda r, off: RelationCandidate((r.head[0] + off, r.head[1] + off), (r.tail[0] + off, r.tail[1] + off),
                                               r.label, r.score),
        key=lambda r: (r.head, r.tail, r.label),
        margin=lambda r, length: min(r.head[0], r.tail[0], length - 1 - r.head[1], length - 1 - r.tail[1]),
    )


def attach_relations(entities: Sequence[Span], relations: Iterable[RelationCandidate]
                     ) -> list[tuple[int, int, int, float]]:
    """Relations between decoded entities: ``(head entity index, label, tail entity index, score)``.

    A candidate span maps to the first decoded entity with the same bounds (upstream's rule); relations
    whose head or tail was not kept are dropped. Unlike upstream, an entity is never related to itself and
    each (head, label, tail) is returned once (the token model lists a span once per label, so upstream
    returns duplicate and self relations).
    """
    first: dict[tuple[int, int], int] = {}
    for i, e in enumerate(entities):
        first.setdefault((e.start, e.end), i)
    out, seen = [], set()
    for rel in relations:
        head, tail = first.get(rel.head), first.get(rel.tail)
        if head is None or tail is None or head == tail or (head, rel.label, tail) in seen:
            continue
        seen.add((head, rel.label, tail))
        out.append((head, rel.label, tail, rel.score))
    return out
