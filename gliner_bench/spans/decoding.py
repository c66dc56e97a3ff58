"""Decoding as pure functions on plain data: candidate spans -> greedy selection, window merging, relations.

No torch here: the search of score tensors for candidates is ``candidates.py``.

Semantics are the reference's (gliner 0.2.29, ``gliner/decoding``), including its tie-breaking: candidates
are listed in the reference's order and stably sorted by descending score, so equal scores keep that order.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import NamedTuple


class Span(NamedTuple):
    start: int  # first word
    end: int  # last word (inclusive)
    label: int  # index into the text's label list
    score: float


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


def _merge_most_central(windows: Sequence[tuple[int, int, list]], shift, key, margin, first) -> list:
    """Items of overlapping windows in text word indices, each key once, from its owner: the window extent, among
    all that hold the item whole, where ``margin`` (its distance from the extent's edges) is largest; the first
    such extent in ``windows`` wins ties. A copy from any other extent is dropped, even when the owner returned none
    (it scored below the threshold there), so what is kept never depends on the threshold. Windows of one extent
    (the label groups of one text window) share it. ``first``: an item's lowest word index."""
    if len(windows) == 1 and windows[0][0] == 0:
        return list(windows[0][2])
    extents = _Extents(list(dict.fromkeys((offset, length) for offset, length, _ in windows)))
    kept, seen = [], set()
    for offset, length, items in windows:
        for item in items:
            shifted = shift(item, offset)
            k = key(shifted)
            if k not in seen and extents.owner(shifted, shift, margin, first(shifted)) == (offset, length):
                seen.add(k)
                kept.append(shifted)
    return kept


class _Extents:
    """Window extents ``(offset, length)`` in order of first appearance, searchable by offset: only those starting
    within the longest window's length before an item's first word can hold it whole, so the owner of an item is
    found among a few extents instead of all of a long text's."""

    def __init__(self, extents: list[tuple[int, int]]):
        self.by_offset = sorted(range(len(extents)), key=lambda i: extents[i][0])  # positions into ``extents``
        self.offsets = [extents[i][0] for i in self.by_offset]
        self.extents, self.longest = extents, max((length for _, length in extents), default=0)

    def owner(self, item, shift, margin, first: int) -> tuple[int, int] | None:
        """The extent that owns ``item`` (text word indices): largest margin, then first position; None if none
        holds it whole (a negative margin)."""
        best = None  # (margin, -position)
        j = bisect_right(self.offsets, first)  # extents starting at or before the item's first word
        while j > 0 and self.offsets[j - 1] > first - self.longest:
            j -= 1
            pos = self.by_offset[j]
            offset, length = self.extents[pos]
            m = margin(shift(item, -offset), length)
            if m >= 0 and (best is None or (m, -pos) > best):
                best = (m, -pos)
        return None if best is None else self.extents[-best[1]]


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
        first=lambda it: it[0].start,
    )
    return merged if with_source else [span for span, _ in merged]


# ---------------------------------------------------------------------------------------------- relex
class RelationCandidate(NamedTuple):
    head: tuple[int, int]  # (start, end) words, inclusive
    tail: tuple[int, int]
    label: int  # index into the relation labels
    score: float


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
        first=lambda r: min(r.head[0], r.tail[0]),
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
