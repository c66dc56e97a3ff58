"""Decoding is pure: checked on hand-made score tensors, no model."""

import pytest
import torch

from gliner_bench.spans.candidates import span_candidates, span_candidates_from_logits, token_candidates
from gliner_bench.spans.decoding import Span, greedy_decode, merge_windows


def span_probs(W, K, C, entries):
    p = torch.zeros(W, K, C)
    for (s, k, c), v in entries.items():
        p[s, k, c] = v
    return p


def test_span_candidates_threshold_is_strict_and_spans_stay_inside_text():
    p = span_probs(4, 3, 2, {(0, 0, 0): 0.5, (0, 1, 1): 0.9, (2, 2, 0): 0.99, (3, 0, 1): 0.7})
    got = span_candidates(p, num_words=4, num_labels=2, threshold=0.5)
    # (0,0,0) equals the threshold -> out; (2,2,0) ends at word 4 (outside a 4-word text) -> out
    assert [(s.start, s.end, s.label) for s in got] == [(0, 1, 1), (3, 3, 1)]
    assert abs(got[0].score - 0.9) < 1e-6


def test_span_candidates_ignore_padded_label_slots():
    p = span_probs(2, 1, 3, {(0, 0, 2): 0.9, (1, 0, 0): 0.8})
    got = span_candidates(p, num_words=2, num_labels=2, threshold=0.5)
    assert [(s.start, s.label) for s in got] == [(1, 0)]


def test_greedy_flat_keeps_best_non_overlapping_sorted_by_start():
    cands = [Span(0, 2, 0, 0.6), Span(1, 1, 1, 0.9), Span(3, 4, 0, 0.7), Span(4, 5, 1, 0.65)]
    got = greedy_decode(cands, flat_ner=True)
    assert got == [Span(1, 1, 1, 0.9), Span(3, 4, 0, 0.7)]


def test_greedy_nested_allows_nesting_but_not_partial_overlap():
    cands = [Span(0, 3, 0, 0.9), Span(1, 2, 1, 0.8), Span(2, 5, 0, 0.85)]
    got = greedy_decode(cands, flat_ner=False)
    assert got == [Span(0, 3, 0, 0.9), Span(1, 2, 1, 0.8)]


def test_same_span_twice_only_with_multi_label():
    cands = [Span(0, 1, 0, 0.9), Span(0, 1, 1, 0.8), Span(1, 2, 1, 0.7)]
    assert greedy_decode(cands, flat_ner=True) == [Span(0, 1, 0, 0.9)]
    # multi_label: the same span may carry several labels; a different overlapping span still clashes (flat)
    assert greedy_decode(cands, flat_ner=True, multi_label=True) == [Span(0, 1, 0, 0.9), Span(0, 1, 1, 0.8)]


def test_greedy_ties_keep_candidate_order():
    cands = [Span(0, 1, 1, 0.8), Span(0, 1, 0, 0.8)]
    assert greedy_decode(cands) == [Span(0, 1, 1, 0.8)]


def token_probs(W, C, starts=(), ends=(), insides=()):
    p = torch.zeros(W, C, 3)
    for idx, channel in ((starts, 0), (ends, 1), (insides, 2)):
        for (w, c), v in idx:
            p[w, c, channel] = v
    return p


def test_token_candidates_pairs_start_end_with_inside_run():
    p = token_probs(
        5, 2,
        starts=[((0, 0), 0.9), ((3, 1), 0.8)],
        ends=[((1, 0), 0.7), ((3, 0), 0.95), ((4, 1), 0.85)],
        insides=[((0, 0), 0.6), ((1, 0), 0.8), ((2, 0), 0.3), ((3, 0), 0.9), ((3, 1), 0.9), ((4, 1), 0.75)],
    )
    got = token_candidates(p, num_words=5, num_labels=2, threshold=0.5)
    # label 0: start 0, end 1 (inside 0.6, 0.8) ok; end 3 blocked by inside[2] = 0.3
    # label 1: start 3, end 4; score = min(insides 0.9, 0.75, start 0.8, end 0.85)
    assert [(s.start, s.end, s.label) for s in got] == [(0, 1, 0), (3, 4, 1)]
    assert abs(got[0].score - 0.6) < 1e-6 and abs(got[1].score - 0.75) < 1e-6


def test_token_inside_equal_to_threshold_passes_but_start_must_exceed():
    p = token_probs(2, 1, starts=[((0, 0), 0.5), ((1, 0), 0.6)], ends=[((1, 0), 0.6)], insides=[((1, 0), 0.5)])
    got = token_candidates(p, num_words=2, num_labels=1, threshold=0.5)
    assert [(s.start, s.end) for s in got] == [(1, 1)]


def test_merge_windows_shifts_and_dedupes_keeping_the_most_central_copy():
    w1 = (0, 10, [Span(8, 9, 0, 0.7), Span(1, 2, 0, 0.6)])  # (8, 9) sits at w1's right edge
    w2 = (6, 10, [Span(2, 3, 0, 0.8)])  # the same span (8, 9) in text words, well inside w2
    got = merge_windows([w1, w2])
    assert sorted(got) == [Span(1, 2, 0, 0.6), Span(8, 9, 0, 0.8)]


def test_merge_windows_does_not_depend_on_the_threshold():
    # (8, 9) is owned by w2, where it is most central; w2 scored it below the threshold (no copy), so w1's copy at
    # its edge is dropped too: predicting at 0.5 keeps what predicting at 0.1 and filtering at 0.5 keeps
    at_low = merge_windows([(0, 10, [Span(8, 9, 0, 0.7), Span(1, 2, 0, 0.6)]), (6, 10, [Span(2, 3, 0, 0.3)])])
    at_half = merge_windows([(0, 10, [Span(8, 9, 0, 0.7), Span(1, 2, 0, 0.6)]), (6, 10, [])])
    assert sorted(s for s in at_low if s.score > 0.5) == sorted(at_half) == [Span(1, 2, 0, 0.6)]


def test_flat_owner_table_agrees_with_pairwise_rule_on_random_candidates():
    import random

    rng = random.Random(0)

    def pairwise(cands, multi_label):
        kept = []
        for s in sorted(cands, key=lambda x: -x.score):
            ok = True
            for o in kept:
                if (s.start, s.end) == (o.start, o.end):
                    if not multi_label:
                        ok = False
                elif not (s.start > o.end or o.start > s.end):
                    ok = False
            if ok:
                kept.append(s)
        return sorted(kept, key=lambda x: x.start)

    for _ in range(200):
        cands = []
        for _ in range(rng.randint(0, 30)):
            a = rng.randint(0, 20)
            cands.append(Span(a, a + rng.randint(0, 4), rng.randint(0, 2), round(rng.random(), 2)))
        for ml in (False, True):
            assert greedy_decode(cands, flat_ner=True, multi_label=ml) == pairwise(cands, ml)


@pytest.mark.parametrize("flat_ner", [True, False])
def test_best_label_only_candidates_decode_like_the_full_list(flat_ner):
    """Without multi_label, listing only each span's best label cannot change greedy decoding."""
    gen = torch.Generator().manual_seed(3)
    for _ in range(20):
        probs = torch.rand(9, 4, 6, generator=gen)
        probs[probs > 0.9] = 0.95  # ties between labels of a span, and between spans
        full = span_candidates(probs, 9, 6, 0.5)
        short = span_candidates(probs, 9, 6, 0.5, best_label_only=True)
        assert len(short) < len(full)
        assert greedy_decode(short, flat_ner=flat_ner) == greedy_decode(full, flat_ner=flat_ner)


def test_candidates_from_logits_equal_those_from_probabilities():
    gen = torch.Generator().manual_seed(5)
    for _ in range(20):
        logits = torch.randn(9, 4, 6, generator=gen) * 8
        logits[logits > 14] = 30.0  # saturated: several labels of a span at probability 1.0 (first one wins)
        for best in (False, True):
            want = span_candidates(torch.sigmoid(logits), 7, 5, 0.6, best_label_only=best, label_offset=3)
            got = span_candidates_from_logits(logits, 7, 5, 0.6, best_label_only=best, label_offset=3)
            assert [s[:3] for s in got] == [s[:3] for s in want]
            assert all(abs(a.score - b.score) < 1e-6 for a, b in zip(got, want))  # sigmoid rounding by shape


def test_merge_finds_each_owner_among_nearby_windows_as_a_search_of_all_would():
    """The owner search looks only at windows starting within the longest window before a span; on a long text
    with windows in batch order (not offset order) it keeps what a search of every window keeps."""
    import random

    from gliner_bench.spans.decoding import Span, merge_windows
    from gliner_bench.text.words import plan_windows

    rng = random.Random(0)
    windows = []
    for off, end in plan_windows([rng.randint(1, 3) for _ in range(600)], 32, 60, 13):  # token budget: uneven
        n = end - off
        windows.append((off, n, [Span(s, min(n - 1, s + rng.randint(0, 3)), rng.randint(0, 2), rng.random())
                                 for s in rng.choices(range(n), k=20)]))
    rng.shuffle(windows)

    def brute_owner(start, end):  # every window, largest margin, first position on ties
        held = [(min(start - off, off + n - 1 - end), -i) for i, (off, n, _) in enumerate(windows)
                if off <= start and end < off + n]
        return -max(held)[1]

    expected, seen = [], set()
    for i, (off, n, spans) in enumerate(windows):
        for s in spans:
            span = Span(s.start + off, s.end + off, s.label, s.score)
            key = (span.start, span.end, span.label)
            if key not in seen and brute_owner(span.start, span.end) == i:
                seen.add(key)
                expected.append((span, i))
    assert merge_windows(windows, with_source=True) == expected and len(expected) > 100
