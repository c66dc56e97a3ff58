"""Candidate search on score tensors: one window's probabilities or logits -> candidate spans (``Span``).

The tensor half of decoding (``decoding.py`` holds the pure-Python half: greedy selection, window merging,
relations). Candidates are listed in the reference's order (gliner 0.2.29, ``gliner/decoding``), so a stable sort
by score breaks ties as it does.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .decoding import RelationCandidate, Span


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
