"""Relex parity with the reference gliner==0.2.29 (fixtures ``tests/fixtures/parity/relex_*``, built by
scripts/parity/build_relex_fixtures.py).

Span relex with the adjacency heads dot, mlp, attention, bilinear, gcn, gat and none, and two triple scorers
(DistMult, ComplEx); token relex with dot. The reference's outputs are those of each text on its
own: its token relex takes candidates from batch padding, which changes context-dependent heads (gcn) when
texts are batched. Ours are batch-invariant, so every batch size is compared with those.

Documented difference: the token model lists a span once per label, so the reference can return the same
relation twice and relate an entity to itself; we return each relation once and never a self relation.
The expected lists are normalised the same way before comparing (``normalise``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from gliner_bench import GLiNER
from gliner_bench.inference.tokenization import tokenize_batch
from gliner_bench.text.labels import normalize_labels
from gliner_bench.text.prompts import relex_prompt_words
from gliner_bench.text.words import split_words

FIXTURES = Path(__file__).parent / "fixtures" / "parity"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.name.startswith("relex_") and (p / "expected.json").is_file())
TOL = 1e-5


def load(case: str):
    return GLiNER.from_pretrained(FIXTURES / case), json.loads((FIXTURES / case / "expected.json").read_text())


def normalise(relations: list[dict]) -> list[dict]:
    """The reference's relations without self relations and repeats (first kept), as ours are."""
    out, seen = [], set()
    for r in relations:
        key = (r["head"]["entity_idx"], r["relation"], r["tail"]["entity_idx"])
        if key[0] == key[2] or key in seen:
            continue
        seen.add(key)
        out.append(r)
    return out


def assert_same(got_entities, got_relations, want_entities, want_relations):
    assert len(got_entities) == len(want_entities)
    for got, want in zip(got_entities, want_entities):
        assert [(e["start"], e["end"], e["label"]) for e in got] == [(e["start"], e["end"], e["label"]) for e in want]
        assert all(abs(a["score"] - b["score"]) <= TOL for a, b in zip(got, want))
    for got, want in zip(got_relations, want_relations):
        want = normalise(want)
        strip = lambda r: (r["head"], r["relation"], r["tail"])
        assert [strip(r) for r in got] == [strip(r) for r in want]
        assert all(abs(a["score"] - b["score"]) <= TOL for a, b in zip(got, want))


def test_fixtures_cover_the_adjacency_heads_and_both_models():
    configs = [json.loads((FIXTURES / c / "gliner_config.json").read_text()) for c in CASES]
    assert {c["relations_layer"] for c in configs} >= {"dot", "mlp", "attention", "bilinear", "gcn", "gat", "none"}
    assert {c["triples_layer"] for c in configs} >= {None, "DistMult", "ComplEx"}
    assert {c["span_mode"] for c in configs} == {"markerV0", "token_level"}
    assert any(c.get("triples_layer") for c in configs)


@pytest.mark.parametrize("case", CASES)
def test_entities_and_relations_match_reference(case):
    model, expected = load(case)
    compared = 0
    for run in expected["runs"]:
        kwargs = {"threshold": expected["threshold"], "adjacency_threshold": expected["adjacency_threshold"],
                      "relation_threshold": expected["relation_threshold"], "flat_ner": run["flat_ner"],
                      "multi_label": run["multi_label"]}
        for batch_size in (1, 8):
            entities, relations = model.inference(expected["texts"], expected["labels"],
                                                  relations=expected["relations"], batch_size=batch_size, **kwargs)
            assert_same(entities, relations, run["entities"], run["relations"])
        compared += sum(len(r) for r in run["relations"])
    assert compared > 0, "the fixture has no relations: the comparison would be empty"


@pytest.mark.parametrize("case", CASES)
def test_candidates_pairs_and_relation_logits_match_reference(case):
    model, expected = load(case)
    cfg = model.config
    labels, relations = normalize_labels(expected["labels"]), normalize_labels(expected["relations"])
    prompt = relex_prompt_words(labels, relations, cfg.ent_token, cfg.sep_token, cfg.rel_token)
    for fwd in expected["forward"]:
        words = split_words(fwd["text"]).tokens
        batch = tokenize_batch(model.tokenizer, [words], [prompt], cfg.subtoken_pooling)
        with torch.inference_mode():
            out = model.model(batch, threshold=expected["threshold"],
                              adjacency_threshold=expected["adjacency_threshold"])
        want = torch.tensor(fwd["logits"], dtype=torch.float64)
        got = out["logits"][0].double()
        assert got.shape == want.shape
        assert ((got - want).abs() - (TOL + TOL * want.abs())).max() <= 0
        relex = out["relex"][0]
        want_spans = [tuple(s) for s in fwd["entity_spans"]]
        if not relex.spans:  # the reference pads an empty candidate list with one (0, 0)
            assert not fwd["rel_idx"]
            continue
        assert relex.spans == want_spans[: len(relex.spans)]
        assert [list(p) for p in relex.pairs] == fwd["rel_idx"]
        want_rel = torch.sigmoid(torch.tensor(fwd["rel_logits"], dtype=torch.float64))
        assert torch.allclose(relex.probs.double(), want_rel.view_as(relex.probs), atol=TOL)
