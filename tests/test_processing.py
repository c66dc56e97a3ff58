import itertools

import pytest

from gliner_bench.text.labels import normalize_labels
from gliner_bench.text.words import plan_windows, split_words


def test_split_words_matches_reference_regex_with_char_offsets():
    w = split_words("State-of-the-art GLiNER_v2 scored 91.5, in 2024!")
    assert w.tokens == ["State-of-the-art", "GLiNER_v2", "scored", "91", ".", "5", ",", "in", "2024", "!"]
    for tok, s, e in zip(w.tokens, w.starts, w.ends):
        assert w.text[s:e] == tok


def test_split_words_handles_emoji_and_cjk():
    w = split_words("東京 に 🙂 行く")
    assert w.tokens == ["東京", "に", "🙂", "行く"]


def test_labels_are_deduplicated_in_order():
    assert normalize_labels(["person", "location", "person"]).prompts == ["person", "location"]


def test_label_descriptions_prompt_the_description_and_return_the_name():
    ls = normalize_labels({"person": "a human being", "city": "a town"})
    assert ls.prompts == ["a human being", "a town"] and ls.names == ["person", "city"]


@pytest.mark.parametrize("bad", [[], None, ["person", 3], ["person", "  "], [""], {}])
def test_bad_labels_raise_value_error_saying_what_to_pass(bad):
    with pytest.raises(ValueError, match="(?i)label"):
        normalize_labels(bad)


def test_plan_windows_single_window_when_text_fits():
    assert plan_windows([1] * 10, max_words=384, max_text_tokens=500, min_overlap=13) == [(0, 10)]


def test_plan_windows_cover_every_span_of_max_width():
    counts = [1, 2, 1, 3] * 250  # 1000 words
    max_width = 12
    windows = plan_windows(counts, max_words=100, max_text_tokens=150, min_overlap=max_width + 1)
    assert windows[0][0] == 0 and windows[-1][1] == len(counts)
    for (s, e) in windows:
        assert e - s <= 100 and sum(counts[s:e]) <= 150
    for a, b in itertools.pairwise(windows):
        assert a[1] - b[0] > max_width  # overlap above max_width
    for start in range(len(counts) - max_width + 1):
        assert any(s <= start and start + max_width <= e for s, e in windows)


def test_words_mask_keeps_indices_when_a_word_has_no_subtoken(tiny_backbone):
    from transformers import AutoTokenizer

    from gliner_bench.inference.tokenization import tokenize_batch

    tok = AutoTokenizer.from_pretrained(tiny_backbone)
    words = ["tim", "\u200b", "cook"]  # the zero-width space is a word to the splitter, nothing to BERT
    assert split_words("tim \u200b cook").tokens == words
    batch = tokenize_batch(tok, [words], [["person", "[SEP]"]])
    marked = [int(x) for x in batch["words_mask"][0] if x > 0]
    assert marked == [1, 3]  # "cook" is still word 3 (the reference would call it word 2)
    assert batch["text_lengths"].tolist() == [3]


def test_words_mask_pooling_modes(tiny_backbone):
    from transformers import AutoTokenizer

    from gliner_bench.inference.tokenization import tokenize_batch

    tok = AutoTokenizer.from_pretrained(tiny_backbone)
    words = ["apple", "zyx"]  # "zyx" is not in the tiny vocabulary: three subtokens
    first = tokenize_batch(tok, [words], [["[SEP]"]], "first")["words_mask"][0].tolist()
    last = tokenize_batch(tok, [words], [["[SEP]"]], "last")["words_mask"][0].tolist()
    mean = tokenize_batch(tok, [words], [["[SEP]"]], "mean")["words_mask"][0].tolist()
    # [CLS] [SEP] apple z ##y ##x [SEP]
    assert first == [0, 0, 1, 2, 0, 0, 0]
    assert last == [0, 0, 1, 0, 0, 2, 0]
    assert mean == [0, 0, 1, 2, 2, 2, 0]
