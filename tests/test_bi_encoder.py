"""Bi-encoder behaviour: label embedding cache, many labels, bad embeddings.

Runs on the reference-built bi-encoder fixtures (tiny random weights; see test_parity_bi.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gliner_bench import GLiNER
from gliner_bench.inference.families.bi import BiFamily, LabelCache
from gliner_bench.inference.options import CallOptions
from gliner_bench.inference.tokenization import Row
from gliner_bench.text.label_pool import label_pool
from gliner_bench.text.labels import normalize_labels
from gliner_bench.text.words import split_words

FIXTURES = Path(__file__).parent / "fixtures" / "parity"
TEXTS = [
    "Angela Merkel met Emmanuel Macron in Paris on Monday.",
    "Marie Curie won the Nobel Prize in 1903 and worked at the University of Paris.",
    "The river flows under the bridge to Berlin.",
]
LABELS = ["person", "organization", "location", "date"]


@pytest.fixture(params=["bi_span", "bi_token", "bi_span_fuser"])
def bi_model(request) -> GLiNER:
    return GLiNER.from_pretrained(FIXTURES / request.param)


@pytest.fixture
def bi_span() -> GLiNER:
    return GLiNER.from_pretrained(FIXTURES / "bi_span")


def count_label_encoder_calls(model: GLiNER) -> list[int]:
    """Wrap the label encoder; returns a list holding the number of labels in each call."""
    calls: list[int] = []
    encode = model.model.encode_labels

    def counting(input_ids, attention_mask):
        calls.append(input_ids.size(0))
        return encode(input_ids, attention_mask)

    model.model.encode_labels = counting
    return calls


def test_cached_and_uncached_paths_give_identical_outputs(bi_model):
    for kwargs in ({"threshold": 0.5}, {"threshold": 0.3, "flat_ner": False, "multi_label": True}):
        bi_model.clear_label_cache()
        uncached = bi_model.inference(TEXTS, LABELS, **kwargs)
        cached = bi_model.inference(TEXTS, LABELS, **kwargs)  # label vectors from the automatic cache
        emb = bi_model.encode_labels(LABELS)
        explicit = bi_model.inference(TEXTS, LABELS, label_embeddings=emb, **kwargs)
        assert uncached == cached == explicit
        assert sum(len(x) for x in uncached) > 0


def test_repeated_calls_do_not_encode_labels_again(bi_span):
    calls = count_label_encoder_calls(bi_span)
    bi_span.inference(TEXTS, LABELS)
    assert sum(calls) == len(LABELS)
    bi_span.inference(TEXTS[:1], LABELS)
    bi_span.predict_entities(TEXTS[2], ["location", "person"])
    assert sum(calls) == len(LABELS)  # all from the cache
    bi_span.inference(TEXTS, LABELS + ["city"])
    assert sum(calls) == len(LABELS) + 1  # only the new label
    bi_span.clear_label_cache()
    bi_span.inference(TEXTS, LABELS)
    assert sum(calls) == 2 * len(LABELS) + 1


def test_label_embeddings_skip_the_label_encoder(bi_span):
    emb = bi_span.encode_labels(LABELS)
    bi_span.clear_label_cache()
    calls = count_label_encoder_calls(bi_span)
    bi_span.inference(TEXTS, LABELS, label_embeddings=emb)
    bi_span.predict_with_embeds(TEXTS[0], emb, LABELS)
    assert calls == []


def test_label_cache_is_bounded_and_least_recently_used_goes_first():
    cache = LabelCache(max_entries=3)
    for name in "abc":
        cache.put(name, torch.zeros(2))
    assert cache.get("a") is not None  # a is now the most recent
    cache.put("d", torch.ones(2))
    assert len(cache) == 3 and cache.get("b") is None and cache.get("a") is not None


def test_encode_labels_rows_follow_the_labels_as_given(bi_span):
    emb = bi_span.encode_labels(["person", "date", "person"], batch_size=1)
    assert emb.shape == (3, bi_span.config.hidden_size)
    assert torch.equal(emb[0], emb[2])
    together = bi_span.encode_labels(["date", "person"])
    assert torch.allclose(together, emb[[1, 0]], atol=1e-6)  # batch and padding do not change a vector


def candidates(model: GLiNER, labels: list[str], threshold: float) -> list[list[tuple]]:
    """Every span above the threshold, before decoding: [(start, end, label name, score), ...] per text."""
    label_set = normalize_labels(labels)
    state = model.family.prepare([label_set], CallOptions.from_keywords(threshold))
    tok = model.pipeline.tokenizer
    pieces = [tok.pieces(split_words(t).tokens) for t in TEXTS]
    batch = tok.batch([Row(tok.pieces([]), p, 0, len(p.words)) for p in pieces])
    found = [out.candidates for out in model.family.score(batch, [0] * len(pieces), [label_set], threshold, True,
                                                          state)]
    return [sorted((s.start, s.end, labels[s.label], s.score) for s in row) for row in found]


def assert_same_candidates(a: list[tuple], b: list[tuple], threshold: float, tol: float = 1e-5) -> None:
    """Equal up to float rounding: the scores of shared candidates within ``tol``; a candidate in one list
    only must score within ``tol`` of the threshold (the sums are reassociated with the number of labels)."""
    da, db = {c[:3]: c[3] for c in a}, {c[:3]: c[3] for c in b}
    assert all(abs(da[k] - db[k]) < tol for k in da.keys() & db.keys())
    assert all(abs(d[k] - threshold) < tol for d in (da, db) for k in da.keys() ^ db.keys() if k in d)
    assert len(da.keys() & db.keys()) >= 0.99 * max(len(da), len(db))


def test_a_thousand_labels_in_one_call_score_every_label(bi_span, monkeypatch):
    """Without a cross-fuser a label's scores do not depend on the other labels, so the last labels of
    1,000 must get the candidates they get alone: nothing is truncated, chunks line up."""
    pool = [x for x in label_pool(1100) if x not in LABELS][:996]
    labels = pool + LABELS  # the real labels last: indices 996..999
    many = candidates(bi_span, labels, 0.3)
    alone = candidates(bi_span, LABELS, 0.3)
    assert sum(map(len, alone)) > 0
    for row_many, row_alone in zip(many, alone):
        assert_same_candidates([c for c in row_many if c[2] in LABELS], row_alone, 0.3)
    monkeypatch.setattr(BiFamily, "LABEL_CHUNK", 7)  # many small chunks: the same candidates
    for row_small, row_many in zip(candidates(bi_span, labels, 0.3), many):
        assert_same_candidates(row_small, row_many, 0.3)
    out = bi_span.inference(TEXTS, labels, threshold=0.3)  # and the public call returns late labels too
    assert any(labels.index(e["label"]) >= 900 for row in out for e in row)  # the last labels too


def test_cross_fuser_labels_interact_so_they_are_scored_together():
    model = GLiNER.from_pretrained(FIXTURES / "bi_span_fuser")
    kwargs = {"threshold": 0.3, "flat_ner": False, "multi_label": True}
    with_others = model.inference(TEXTS, LABELS, **kwargs)
    alone = model.inference(TEXTS, ["person"], **kwargs)
    person = [[e["score"] for e in row if e["label"] == "person"] for row in with_others]
    assert person != [[e["score"] for e in row] for row in alone]  # l2l attention mixes the labels


@pytest.mark.parametrize("make, match", [
    (lambda m: m.encode_labels(LABELS)[:3], r"shape \(3, 32\) but 4 labels .* need \(4, 32\)"),
    (lambda m: torch.zeros(4, 7), r"shape \(4, 7\) but 4 labels .* need \(4, 32\)"),
    (lambda m: torch.zeros(4, 32, 1), "2-D tensor"),
    (lambda m: [[0.0] * 32] * 4, "2-D tensor"),
])
def test_embeddings_that_do_not_match_the_labels_raise(bi_span, make, match):
    with pytest.raises(ValueError, match=match):
        bi_span.inference(TEXTS, LABELS, label_embeddings=make(bi_span))


def test_embeddings_need_one_shared_label_list(bi_span):
    emb = bi_span.encode_labels(LABELS)
    with pytest.raises(ValueError, match="one label list shared by all texts"):
        bi_span.inference(TEXTS[:2], [LABELS, LABELS], label_embeddings=emb)


def test_duplicate_labels_with_embeddings_take_the_first_row(bi_span):
    emb = bi_span.encode_labels(LABELS + ["person"])
    got = bi_span.inference(TEXTS, LABELS + ["person"], label_embeddings=emb, threshold=0.3)
    assert got == bi_span.inference(TEXTS, LABELS, threshold=0.3)


def test_uni_encoders_refuse_label_embeddings(span_model):
    with pytest.raises(ValueError, match="needs a bi-encoder"):
        span_model.encode_labels(LABELS)
    with pytest.raises(ValueError, match="only apply to bi-encoders"):
        span_model.inference(TEXTS, LABELS, label_embeddings=torch.zeros(4, 32))


def test_bad_labels_for_encode_labels(bi_span):
    for bad, match in (([], "at least one"), (["person", " "], "blank"), (["person", 3], "string")):
        with pytest.raises(ValueError, match=match):
            bi_span.encode_labels(bad)


def test_text_with_the_prompt_tokens_does_not_crash(bi_span):
    """The saved tokenizer knows <<ENT>> (the reference adds it), the text encoder has no row for it."""
    out = bi_span.predict_entities("Paris <<ENT>> Berlin <<SEP>> [FLERT]", LABELS, threshold=0.3)
    assert all(isinstance(e["score"], float) for e in out)


def test_empty_text_with_a_bi_encoder(bi_span):
    assert bi_span.inference(["", "  "], LABELS) == [[], []]
