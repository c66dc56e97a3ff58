"""Relex behaviour beyond parity: bad input, edge cases, long texts, relation metrics, decoding helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gliner_bench import GLiNER
from gliner_bench.evaluation.metrics import entity_prf, relation_prf
from gliner_bench.inference.families import relex as family
from gliner_bench.spans.decoding import RelationCandidate, Span, attach_relations, merge_window_relations

FIXTURES = Path(__file__).parent / "fixtures" / "parity"
LABELS = ["person", "organization", "location", "date"]
RELATIONS = ["works for", "located in", "met"]
TEXT = ("On Monday, March 3, 2021, Angela Merkel met Emmanuel Macron and officials from the United Nations "
        "in Berlin before flying to Paris with Microsoft executives and reporters from Reuters.")
LOW = {"threshold": 0.3, "adjacency_threshold": 0.0, "relation_threshold": 0.0}  # many of each


@pytest.fixture(scope="module", params=["relex_span_dot", "relex_token_dot"])
def relex(request) -> GLiNER:
    return GLiNER.from_pretrained(FIXTURES / request.param)


def test_output_format_and_entity_idx(relex):
    entities, relations = relex.inference([TEXT], LABELS, relations=RELATIONS, **LOW)
    assert relations[0], "the low thresholds must give relations"
    for r in relations[0]:
        assert set(r) == {"head", "tail", "relation", "score"} and r["relation"] in RELATIONS
        for end in ("head", "tail"):
            e = entities[0][r[end]["entity_idx"]]
            assert (r[end]["start"], r[end]["end"], r[end]["text"], r[end]["type"]) == \
                   (e["start"], e["end"], e["text"], e["label"])
            assert TEXT[e["start"]:e["end"]] == e["text"]
        assert r["head"]["entity_idx"] != r["tail"]["entity_idx"]  # never an entity with itself
    keys = [(r["head"]["entity_idx"], r["relation"], r["tail"]["entity_idx"]) for r in relations[0]]
    assert len(keys) == len(set(keys))  # each relation once


def test_predict_relations_and_predict_entities(relex):
    entities, relations = relex.predict_relations(TEXT, LABELS, RELATIONS, **LOW)
    assert (entities, relations) == tuple(x[0] for x in relex.inference([TEXT], LABELS, relations=RELATIONS, **LOW))
    only = relex.predict_entities(TEXT, LABELS, relations=RELATIONS, threshold=0.3, adjacency_threshold=0.0)
    assert only == entities


def test_no_relation_labels_gives_entities_and_no_relations(relex):
    for none in (None, []):
        entities, relations = relex.inference([TEXT, "Paris"], LABELS, relations=none, **LOW)
        assert relations == [[], []] and entities[0]


def test_without_relation_labels_no_span_vector_is_computed(relex, monkeypatch):
    """At a threshold near 0 a long text has a candidate for nearly every span (a token head: every run), whose
    vectors took tens of GB when only entities were asked for; nothing needs them then."""
    expected = relex.inference([TEXT], LABELS, threshold=0.01)[0]

    def refuse(*args, **kwargs):
        raise AssertionError("span vectors computed with no relation label")

    monkeypatch.setattr(relex.model, "span_vectors", refuse)
    assert relex.inference([TEXT], LABELS, threshold=0.01)[0] == expected
    monkeypatch.setattr(family, "MAX_RELATION_SPANS", 10**6)  # the token head has ~2,200 candidates here
    with pytest.raises(AssertionError, match="span vectors computed"):  # they still are when relations are asked
        relex.inference([TEXT], LABELS, relations=RELATIONS, threshold=0.01)


def test_too_many_relation_candidates_are_refused_with_what_to_do(relex, monkeypatch):
    """E candidates make E^2 pairs: past the limit a call with relation labels says to raise the threshold, and
    one without relation labels (no pairs) still answers."""
    found = relex.inference([TEXT], LABELS, relations=RELATIONS, threshold=0.3)[0][0]
    assert len(found) > 3  # several candidates
    monkeypatch.setattr(family, "MAX_RELATION_SPANS", 3)
    with pytest.raises(ValueError, match=r"At threshold 0.3, \d+ entity candidates .* Raise the threshold"):
        relex.inference([TEXT], LABELS, relations=RELATIONS, threshold=0.3)
    assert relex.inference([TEXT], LABELS, threshold=0.3)[0][0]  # entities alone: no pairs, no limit


def test_relation_names_equal_to_entity_labels_are_prompted_separately(relex):
    _, relations = relex.inference([TEXT], LABELS, relations=["person", "location"], **LOW)
    assert {r["relation"] for r in relations[0]} <= {"person", "location"} and relations[0]


def test_texts_with_one_entity_or_none_have_no_relations(relex):
    entities, relations = relex.inference(["", "   ", "Paris"], LABELS, relations=RELATIONS, threshold=0.999999)
    assert entities[:2] == [[], []] and relations == [[], [], []]
    entities, relations = relex.inference(["Paris"], ["location"], relations=RELATIONS, threshold=0.0,
                                          adjacency_threshold=0.0, relation_threshold=0.0)
    assert len(entities[0]) == 1 and relations == [[]]


@pytest.mark.parametrize("kwargs, match", [
    ({"threshold": 1.5}, "threshold must be a number in"),
    ({"adjacency_threshold": -0.1}, "adjacency_threshold must be a number in"),
    ({"relation_threshold": 2}, "relation_threshold must be a number in"),
    ({"relation_threshold": "high"}, "relation_threshold must be a number in"),
    ({"relations": ["works for", ""]}, "Bad relation labels"),
    ({"relations": ["works for", 3]}, "Bad relation labels"),
])
def test_bad_relex_options_raise(relex, kwargs, match):
    with pytest.raises(ValueError, match=match):
        relex.inference([TEXT], LABELS, **({"relations": RELATIONS} | kwargs))


def test_duplicate_relation_labels_are_merged(relex):
    twice = relex.inference([TEXT], LABELS, relations=RELATIONS + ["met"], **LOW)
    assert twice == relex.inference([TEXT], LABELS, relations=RELATIONS, **LOW)


def test_relations_on_a_non_relex_model_raise(span_model):
    with pytest.raises(ValueError, match="relex models only"):
        span_model.inference([TEXT], LABELS, relations=RELATIONS)


def test_a_long_text_is_windowed_and_keeps_its_relations(relex):
    """The text repeated far past the encoder's window: entities and relations are found in the last copy,
    with offsets into the whole text."""
    filler = " ".join(["and"] * 30)
    long_text = " ".join([TEXT, filler] * 8)
    kwargs = {"threshold": 0.6, "adjacency_threshold": 0.5, "relation_threshold": 0.5}
    entities, relations = relex.inference([long_text], LABELS, relations=RELATIONS, **kwargs)
    assert len(long_text.split()) > relex.max_tokens  # more words than the encoder's window holds
    last_copy = long_text.rindex(TEXT)  # far past the first window: found only if nothing is truncated
    assert any(e["start"] >= last_copy for e in entities[0])
    assert any(r["head"]["start"] >= last_copy and r["tail"]["start"] >= last_copy for r in relations[0])
    assert all(long_text[r[end]["start"]:r[end]["end"]] == r[end]["text"] for r in relations[0]
               for end in ("head", "tail"))


def test_attach_relations_maps_bounds_drops_unkept_self_and_repeats():
    entities = [Span(0, 1, 0, 0.9), Span(3, 3, 1, 0.8), Span(3, 3, 2, 0.7)]
    rels = [RelationCandidate((0, 1), (3, 3), 0, 0.6),
            RelationCandidate((0, 1), (3, 3), 0, 0.6),  # the same span listed for two labels (token model)
            RelationCandidate((3, 3), (3, 3), 1, 0.9),  # itself
            RelationCandidate((5, 6), (0, 1), 1, 0.9),  # head not kept
            RelationCandidate((3, 3), (0, 1), 1, 0.5)]
    assert attach_relations(entities, rels) == [(0, 0, 1, 0.6), (1, 1, 0, 0.5)]


def test_merge_window_relations_shifts_and_keeps_the_most_central_copy():
    a = RelationCandidate((0, 0), (2, 3), 0, 0.7)  # window from word 2: the head sits on its edge
    b = RelationCandidate((2, 2), (4, 5), 0, 0.8)  # the same relation in a window from word 0, 2 words inside
    c = RelationCandidate((0, 0), (1, 1), 1, 0.6)
    merged = merge_window_relations([(2, 5, [a, c]), (0, 12, [b])])
    assert merged == [RelationCandidate((2, 2), (4, 5), 0, 0.8)]
    # c, (2, 2) -> (3, 3) in the text, sits on the first window's edge and 2 words inside the second: the second owns
    # it, and returned no copy (below the threshold there), so the edge copy is dropped
    assert merge_window_relations([(2, 5, [a, c]), (0, 12, [b, RelationCandidate((2, 2), (3, 3), 1, 0.4)])]) == [
        RelationCandidate((2, 2), (4, 5), 0, 0.8), RelationCandidate((2, 2), (3, 3), 1, 0.4)]


def test_relation_prf_is_strict_on_spans_type_and_direction():
    def rel(h, t, r):
        return {"head": {"start": h[0], "end": h[1]}, "tail": {"start": t[0], "end": t[1]}, "relation": r}

    gold = [[rel((0, 5), (10, 15), "works for"), rel((20, 25), (0, 5), "met")], []]
    pred = [[rel((0, 5), (10, 15), "works for"),  # right
             rel((0, 5), (20, 25), "met"),  # reversed direction
             rel((0, 4), (10, 15), "works for")],  # head span off by one
            [rel((1, 2), (3, 4), "met")]]
    score = relation_prf(pred, gold)
    assert (score.true_positives, score.predicted, score.gold) == (1, 4, 2)
    assert score.precision == 0.25 and score.recall == 0.5 and abs(score.f1 - 1 / 3) < 1e-12
    assert relation_prf([[]], [[]]).f1 == 0.0
    with pytest.raises(ValueError, match="one list per text"):
        relation_prf([[]], [[], []])


def test_entity_prf_counts_duplicates_once():
    gold = [[{"start": 0, "end": 5, "label": "person"}]]
    pred = [[{"start": 0, "end": 5, "label": "person"}, {"start": 0, "end": 5, "label": "person"},
             {"start": 0, "end": 5, "label": "location"}]]
    score = entity_prf(pred, gold)
    assert (score.true_positives, score.predicted, score.gold) == (1, 2, 1) and score.recall == 1.0


def test_token_relex_ignores_batch_padding():
    """The reference extracts token-relex candidates from padded words too (thousands for a short text batched
    with a long one); ours come from the text's own words, so batching changes nothing."""
    model = GLiNER.from_pretrained(FIXTURES / "relex_token_dot")
    short, long_text = "Angela Merkel met Emmanuel Macron in Paris.", TEXT + " " + TEXT
    kwargs = {"threshold": 0.6, "adjacency_threshold": 0.5, "relation_threshold": 0.5}
    alone = [model.inference([t], LABELS, relations=RELATIONS, **kwargs) for t in (short, long_text)]
    entities, relations = model.inference([short, long_text], LABELS, relations=RELATIONS, **kwargs)
    def key(r):
        return r["head"]["entity_idx"], r["relation"], r["tail"]["entity_idx"]

    for i, (want_entities, want_relations) in enumerate(alone):
        assert [(e["start"], e["end"], e["label"]) for e in entities[i]] == \
               [(e["start"], e["end"], e["label"]) for e in want_entities[0]]
        assert [key(r) for r in relations[i]] == [key(r) for r in want_relations[0]]
    assert relations[0] and relations[1]
    from gliner_bench.inference.tokenization import tokenize_batch
    from gliner_bench.text.labels import normalize_labels
    from gliner_bench.text.prompts import relex_prompt_words
    from gliner_bench.text.words import split_words

    cfg = model.config
    prompt = relex_prompt_words(normalize_labels(LABELS), normalize_labels(RELATIONS), cfg.ent_token, cfg.sep_token,
                                cfg.rel_token)
    words = [split_words(t).tokens for t in (short, long_text)]
    import torch

    with torch.inference_mode():
        both = model.model(tokenize_batch(model.tokenizer, words, [prompt] * 2), threshold=0.6)["relex"]
        one = model.model(tokenize_batch(model.tokenizer, words[:1], [prompt]), threshold=0.6)["relex"]
    assert both[0].spans == one[0].spans and all(e < len(words[0]) for s in both[0].spans for e in s)


@pytest.mark.parametrize("fields, error, match", [
    ({"triples_layer": "TransH"}, NotImplementedError, "triples_layer 'TransH' is not supported"),
    ({"triples_layer": "Nope"}, NotImplementedError, "triples_layer 'Nope' is not supported .*unknown"),
    ({"relations_layer": "cosine"}, NotImplementedError, "relations_layer 'cosine' is not known"),
])
def test_unsupported_relation_heads_name_what_is_missing(tmp_path, fields, error, match):
    import json
    import shutil

    case = tmp_path / "ckpt"
    shutil.copytree(FIXTURES / "relex_span_dot", case)
    config = json.loads((case / "gliner_config.json").read_text())
    (case / "gliner_config.json").write_text(json.dumps(config | fields))
    with pytest.raises(error, match=match):
        GLiNER.from_pretrained(case)


@pytest.mark.parametrize("case", ["relex_span_mlp", "relex_token_dot"])
def test_relex_checkpoint_round_trips(tmp_path, case):
    model = GLiNER.from_pretrained(FIXTURES / case)
    model.save_pretrained(tmp_path / "out")
    again = GLiNER.from_pretrained(tmp_path / "out")
    assert again.config.rel_token_index == model.config.rel_token_index
    kwargs = {"relations": RELATIONS, "threshold": 0.5}
    assert again.inference([TEXT], LABELS, **kwargs) == model.inference([TEXT], LABELS, **kwargs)


def test_fresh_relex_model_adds_the_relation_token(tiny_backbone):
    from conftest import make_model

    model = make_model(tiny_backbone, relations_layer="gcn")
    tok = model.tokenizer
    assert tok.convert_tokens_to_ids("<<REL>>") == model.config.rel_token_index == len(tok) - 1
    assert tok.convert_tokens_to_ids("<<ENT>>") == model.config.class_token_index == len(tok) - 3
    entities, relations = model.inference([TEXT], LABELS, relations=RELATIONS, threshold=0.5)
    assert isinstance(entities[0], list) and isinstance(relations[0], list)


def test_relation_candidates_are_strict_ordered_and_limited_to_kept_spans():
    import torch

    from gliner_bench.spans.candidates import relation_candidates

    spans = [(0, 1), (3, 3), (5, 6)]
    pairs = [(0, 1), (1, 0), (0, 2), (2, 1)]
    probs = torch.tensor([[0.9, 0.5], [0.2, 0.7], [0.8, 0.8], [0.6, 0.1]])
    got = relation_candidates(spans, pairs, probs, 0.5)
    assert [(c.head, c.tail, c.label) for c in got] == [
        ((0, 1), (3, 3), 0), ((3, 3), (0, 1), 1), ((0, 1), (5, 6), 0), ((0, 1), (5, 6), 1), ((5, 6), (3, 3), 0)]
    kept = relation_candidates(spans, pairs, probs, 0.5, keep_spans={(0, 1), (3, 3)})
    assert [(c.head, c.tail, c.label) for c in kept] == [((0, 1), (3, 3), 0), ((3, 3), (0, 1), 1)]
    assert relation_candidates(spans, [], torch.zeros(0, 2), 0.5) == []


def test_a_prompt_too_long_for_the_encoder_says_what_to_do(relex):
    labels = [f"entity type number {i}" for i in range(60)]  # the tiny encoder holds 128 tokens
    with pytest.raises(ValueError, match="relex model needs all of them in one pass"):
        relex.inference([TEXT], labels, relations=RELATIONS)


@pytest.mark.parametrize("case", ["relex_span_attention", "relex_span_gat"])
def test_attention_heads_with_no_entity_candidate(case):
    """The reference crashes here (nn.MultiheadAttention over zero entities returns no weights)."""
    model = GLiNER.from_pretrained(FIXTURES / case)
    entities, relations = model.inference(["Paris", TEXT], LABELS, relations=RELATIONS, threshold=0.999999)
    assert relations == [[], []] and all(e["score"] > 0.999999 for e in entities[1])


def test_mlp_adjacency_in_blocks_equals_the_concatenated_formula(monkeypatch):
    from gliner_bench.modeling import relation_layers

    torch.manual_seed(0)
    layer = relation_layers.MLPAdjacency(8)
    x, mask = torch.randn(2, 7, 8), torch.tensor([[1] * 7, [1] * 4 + [0] * 3], dtype=torch.bool)
    pairs = torch.cat([x[:, :, None].expand(2, 7, 7, 8), x[:, None].expand(2, 7, 7, 8)], dim=-1)  # (B, E, E, 2D)
    want = torch.sigmoid(layer.mlp(pairs).squeeze(-1)) * relation_layers.pair_mask(mask)
    monkeypatch.setattr(relation_layers, "ADJACENCY_BLOCK", 2 * 7 * 8 * 3)  # blocks of 3 rows
    assert torch.allclose(layer(x, mask), want, atol=1e-6)
    assert layer(x[:, :0], mask[:, :0]).shape == (2, 0, 0)
