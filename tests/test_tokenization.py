"""Batches assembled from ids tokenised once equal the tokenizer's own run on ``prompt + words``."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer

from gliner_bench.inference.tokenization import Row, WordTokenizer, tokenize_batch
from gliner_bench.text.words import split_words

FIXTURES = Path(__file__).parent / "fixtures" / "parity"
TEXTS = ["Angela Merkel met Emmanuel Macron in Paris on Tuesday.",
         "naïve café owners in São Paulo 2024 --- @handle #tag \u200b zero-width",
         "x"]
PROMPTS = [["<<ENT>>", "person", "<<ENT>>", "city", "<<SEP>>"], [], ["<<ENT>>", "organisation", "<<SEP>>"]]


def _tokenizers(tiny_backbone):
    yield "tiny-bert", AutoTokenizer.from_pretrained(tiny_backbone)
    for name in ("span_deberta", "bi_span", "token_default"):
        yield name, AutoTokenizer.from_pretrained(FIXTURES / name)


@pytest.mark.parametrize("pooling", ["first", "last", "mean"])
@pytest.mark.parametrize("max_tokens", [512, 12])  # 12: rows are truncated as the tokenizer truncates them
@pytest.mark.parametrize("case_types", [False, True])
def test_assembled_batches_equal_the_tokenizers_own(tiny_backbone, pooling, max_tokens, case_types):
    for name, tokenizer in _tokenizers(tiny_backbone):
        wt = WordTokenizer(tokenizer, max_tokens, pooling, case_types)
        assert wt.reuses_ids, name
        texts = [wt.pieces(split_words(t).tokens) for t in TEXTS]
        rows = [Row(wt.pieces(p), t, start, len(t.ids)) for p, t, start in zip(PROMPTS, texts, (2, 0, 0))]
        want = tokenize_batch(tokenizer, [r.text.words[r.start:r.end] for r in rows], [r.prompt.words for r in rows],
                              pooling, max_tokens, case_types)
        got = wt.batch(rows)
        assert set(got) == set(want)
        for key in want:
            assert torch.equal(got[key], want[key]), (name, key)


def test_a_tokenizer_that_cannot_reuse_ids_is_run_on_every_row(tiny_backbone):
    tokenizer = AutoTokenizer.from_pretrained(FIXTURES / "span_deberta")
    wt = WordTokenizer(tokenizer, 512)
    wt.reuses_ids = False  # as for a tokenizer whose first word is split differently (probed at init)
    words = split_words(TEXTS[0]).tokens
    row = Row(wt.pieces(PROMPTS[0]), wt.pieces(words), 0, len(words))
    want = tokenize_batch(tokenizer, [words], [PROMPTS[0]], "first", 512)
    assert all(torch.equal(wt.batch([row])[k], want[k]) for k in want)


def test_case_token_types_mark_every_subtoken_of_a_capitalised_text_word_only():
    tokenizer = AutoTokenizer.from_pretrained(FIXTURES / "token_default")  # uncased MiniLM WordPiece
    words = ["Schwarzenegger", "visited", "paris", "and", "@Obama", "NASA", "2024"]
    prompt = ["<<ENT>>", "Person", "<<SEP>>"]  # a capitalised label stays type 0: only text words carry case
    batch = tokenize_batch(tokenizer, [words], [prompt], case_types=True)
    types = batch["token_type_ids"][0].tolist()
    enc = tokenizer(prompt + words, is_split_into_words=True)
    want = [int(w is not None and w >= len(prompt) and words[w - len(prompt)] in ("Schwarzenegger", "@Obama", "NASA"))
            for w in enc.word_ids()]
    assert types == want
    assert sum(types) > 3  # Schwarzenegger is several subtokens, all marked
    lower = tokenize_batch(tokenizer, [[w.lower() for w in words]], [prompt], case_types=True)
    assert torch.equal(lower["input_ids"], batch["input_ids"])  # the uncased ids cannot tell them apart ...
    assert not lower["token_type_ids"].any()  # ... the token types can
    assert "token_type_ids" not in tokenize_batch(tokenizer, [words], [prompt])
