"""The pure functions behind scripts/bench/document_scores.py (issue 26's diagnosis)."""

from collections import Counter

import pytest

from gliner_bench.evaluation.document_diagnosis import (
    RIVALS,
    decoding_losses,
    rival_kind,
    score_pairs,
    sentence_offsets,
    summarise,
)


def test_sentence_offsets_are_the_lengths_before():
    assert sentence_offsets([3, 5, 2]) == [0, 3, 8]
    assert sentence_offsets([]) == []


def test_score_pairs_shift_each_sentence_by_the_words_before_it():
    gold = [[(0, 1, "person")], [(1, 1, "location"), (2, 3, "person")]]
    alone = [[(0, 1, "person", 0.8)], [(1, 1, "location", 0.6)]]  # the second person was not returned alone
    in_doc = [(0, 1, "person", 0.7), (5, 5, "location", 0.4), (6, 7, "person", 0.55), (1, 1, "location", 0.9)]
    assert score_pairs(gold, alone, in_doc, [4, 6]) == [(0.8, 0.7, 0), (0.6, 0.4, 5), (0.0, 0.55, 6)]


def test_score_pairs_refuses_mismatched_sentences():
    with pytest.raises(ValueError, match="must be equal"):
        score_pairs([[]], [[], []], [], [3])


@pytest.mark.parametrize("rival, kind", [
    ((2, 9, "person"), RIVALS[0]),           # spans word 5, the second sentence's first word
    ((1, 4, "person"), RIVALS[1]),
    ((2, 3, "location"), RIVALS[2]),
    ((3, 3, "person"), RIVALS[3]),
    ((3, 4, "person"), RIVALS[3]),
])
def test_rival_kind(rival, kind):
    assert rival_kind((2, 3, "person"), rival, boundaries=[5]) == kind


def test_decoding_losses_only_counts_gold_above_the_threshold_that_flat_decoding_dropped():
    gold = [(0, 1, "person"), (3, 3, "location"), (6, 6, "person")]
    scores = [(0, 1, "person", 0.6), (0, 4, "person", 0.7), (3, 3, "location", 0.45), (6, 6, "person", 0.8)]
    kept = [(0, 4, "person"), (6, 6, "person")]
    losses = decoding_losses(gold, scores, kept, 0.5, boundaries=[3])
    # (3, 3) scored below the threshold: a score loss, not a decoding loss; (6, 6) was kept
    assert losses == [((0, 1, "person"), [((0, 4, "person"), RIVALS[0])])]
    assert decoding_losses(gold, scores, kept, 0.5) == [((0, 1, "person"), [((0, 4, "person"), RIVALS[1])])]


def test_summarise_counts_and_shifts():
    pairs = [(0.6, 0.4, 0), (0.7, 0.65, 60), (0.2, 0.1, 400)]
    out = summarise(pairs, 0.5, losses_alone=1, losses_document=3, rival_counts=Counter({RIVALS[0]: 2}))
    assert out["gold"] == 3
    assert (out["above_threshold_alone"], out["above_threshold_in_document"]) == (2, 1)
    assert out["mean_shift"] == pytest.approx(-0.117, abs=1e-3)
    assert out["mean_score_by_first_word"]["300-end"] == {"gold": 1, "alone": 0.2, "document": 0.1}
    assert "150-300" not in out["mean_score_by_first_word"]
    assert out["document_rivals"][RIVALS[0]] == 2 and out["document_rivals"][RIVALS[3]] == 0
    with pytest.raises(ValueError, match="no gold entities"):
        summarise([], 0.5, 0, 0, Counter())
