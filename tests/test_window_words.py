"""``window_words`` (issue 26): the words per window our pipeline encodes on a long text, apart from ``max_len``
(which the reference reads as a truncation length). Tiny random backbone."""

from __future__ import annotations

import copy

import pytest
from conftest import make_model

from gliner_bench import GLiNER, GLiNERConfig
from gliner_bench.config import ConfigError

LABELS = ["person", "city"]
SENTENCE = ["Ada", "Lovelace", "met", "Charles", "Babbage", "in", "London", "on", "a", "wet", "Tuesday", "."]
DOCUMENT = SENTENCE * 6  # 72 words


def entities(model, words):
    return [(e["start"], e["end"], e["label"], round(e["score"], 5))
            for e in model.predict_entities(words, LABELS, threshold=0.3)]


def with_fields(model, **fields):
    other = copy.deepcopy(model)
    for name, value in fields.items():
        setattr(other.config, name, value)
    return other


def test_window_words_windows_a_long_text_as_max_len_would(tiny_backbone):
    model = make_model(tiny_backbone)
    windowed = with_fields(model, window_words=20)
    assert windowed.config.words_per_window == 20 and windowed.config.max_len == 384
    assert entities(windowed, DOCUMENT) == entities(with_fields(model, max_len=20), DOCUMENT)
    assert entities(windowed, DOCUMENT) != entities(model, DOCUMENT)  # one 72-word pass reads other context


def test_a_text_within_the_window_is_computed_as_before(tiny_backbone):
    model = make_model(tiny_backbone)
    assert entities(with_fields(model, window_words=20), SENTENCE) == entities(model, SENTENCE)


def test_the_window_is_at_most_max_len(tiny_backbone):
    assert make_model(tiny_backbone, window_words=64, max_len=32).config.words_per_window == 32
    assert make_model(tiny_backbone).config.words_per_window == 384


@pytest.mark.parametrize("value, match", [(4, "more words than the longest span"), ("64", "needs int or null"),
                                          (True, "needs int or null")])
def test_a_bad_window_is_refused_with_what_to_do(tiny_backbone, value, match):
    with pytest.raises(ConfigError, match=match):
        GLiNERConfig(model_name=tiny_backbone, max_width=4, window_words=value)


def test_the_window_is_saved_and_max_length_replaces_it(tiny_backbone, tmp_path):
    make_model(tiny_backbone, window_words=20).save_pretrained(tmp_path / "m")
    assert GLiNER.from_pretrained(tmp_path / "m").config.words_per_window == 20
    asked = GLiNER.from_pretrained(tmp_path / "m", max_length=50)  # the caller's window wins
    assert (asked.config.window_words, asked.config.words_per_window) == (None, 50)
