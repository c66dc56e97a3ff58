"""Bi-encoder parity with the reference gliner==0.2.29 (fixtures ``tests/fixtures/parity/bi_*``).

Four checkpoints the reference built and saved: BiEncoderSpan, BiEncoderSpan with a cross-fuser
("l2l-l2t-t2t", ``.bin`` weights), BiEncoderToken, and an old-style BiEncoderSpan without ``labels_tokenizer/``
whose config names the label encoder by hub id. The label encoder (hidden 24) is narrower than the text
encoder (32), so every case has a ``labels_projection``; every case has saved-but-unused LSTM weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from parity_helpers import assert_same_entities, replay_run

from gliner_bench import GLiNER
from gliner_bench.checkpoints.files import CheckpointError
from gliner_bench.inference.tokenization import tokenize_batch

FIXTURES = Path(__file__).parent / "fixtures" / "parity"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.name.startswith("bi_") and (p / "expected.json").is_file())
STAND_IN = FIXTURES / "tiny_label_tokenizer"  # the legacy case's "hub" label tokenizer
ATOL = RTOL = 1e-5  # torch.allclose's rule; see test_parity.py


def load(case: str) -> tuple[GLiNER, dict]:
    expected = json.loads((FIXTURES / case / "expected.json").read_text())
    extra = {"labels_tokenizer": STAND_IN} if "labels_tokenizer_stand_in" in expected else {}
    return GLiNER.from_pretrained(FIXTURES / case, **extra), expected


def assert_close(got: torch.Tensor, want, what: str) -> None:
    want = torch.tensor(want, dtype=torch.float64)
    got = got.double()
    assert list(got.shape) == list(want.shape), what
    excess = ((got - want).abs() - (ATOL + RTOL * want.abs())).max().item()
    assert excess <= 0, f"{what} differ beyond tolerance by {excess:.2e}"


def test_fixtures_cover_span_token_fuser_and_legacy():
    configs = {c: json.loads((FIXTURES / c / "gliner_config.json").read_text()) for c in CASES}
    assert {c["span_mode"] for c in configs.values()} >= {"markerV0", "token_level"}
    assert any(c["post_fusion_schema"] for c in configs.values())
    assert any(not (FIXTURES / c / "labels_tokenizer").is_dir() for c in CASES)
    assert all(c["num_rnn_layers"] > 0 for c in configs.values())  # saved, never applied


@pytest.mark.parametrize("case", CASES)
def test_entities_match_reference(case):
    model, expected = load(case)
    compared = 0
    for run in expected["runs"]:  # predict_with_embeds: with the reference's encode_labels
        compared += assert_same_entities(*replay_run(model, expected["texts"], run))
    assert compared > 0, "fixture runs produced no entities: the comparison would be empty"


@pytest.mark.parametrize("case", CASES)
def test_our_label_embeddings_give_the_reference_outputs(case):
    model, expected = load(case)
    for run in expected["runs"]:
        if run["kind"] != "predict_with_embeds":
            continue
        ours = model.encode_labels(run["labels"])
        assert_close(ours, run["label_embeddings"], "label embeddings")
        got = model.batch_predict_with_embeds(expected["texts"], ours, run["labels"], threshold=run["threshold"],
                                              flat_ner=run["flat_ner"], multi_label=run["multi_label"],
                                              batch_size=run["batch_size"])
        assert_same_entities(got, run["output"])


def forward_records(expected: dict):
    yield from expected["forward"]
    yield expected["forward_per_text"]


@pytest.mark.parametrize("case", CASES)
def test_inputs_label_vectors_and_logits_match_reference(case):
    model, expected = load(case)
    for fwd in forward_records(expected):
        batch = tokenize_batch(model.tokenizer, fwd["words"], [[] for _ in fwd["words"]],
                               model.config.subtoken_pooling)
        for key in ("input_ids", "attention_mask", "words_mask"):
            assert batch[key].tolist() == fwd[key], key
        enc = model.labels_tokenizer(fwd["encoded_labels"], padding="longest", return_tensors="pt")
        assert enc["input_ids"].tolist() == fwd["labels_input_ids"]
        with torch.inference_mode():
            vectors = model.model.encode_labels(enc["input_ids"], enc["attention_mask"])  # (N, D)
        assert_close(vectors, fwd["label_vectors"], "label vectors")
        position = {label: i for i, label in enumerate(fwd["encoded_labels"])}
        rows = fwd["labels"] if isinstance(fwd["labels"][0], list) else [fwd["labels"]] * len(fwd["words"])
        C = max(len(r) for r in rows)
        index = torch.zeros(len(rows), C, dtype=torch.long)
        mask = torch.zeros(len(rows), C, dtype=torch.bool)
        for b, row in enumerate(rows):
            index[b, : len(row)] = torch.tensor([position[x] for x in row])
            mask[b, : len(row)] = True
        if "prompts_embedding_mask" in fwd:
            assert mask.long().tolist() == fwd["prompts_embedding_mask"]
        with torch.inference_mode():
            out = model.model(batch, vectors, index, mask)
        assert_close(out["logits"], fwd["logits"], "logits")  # padded label slots included


def test_legacy_checkpoint_takes_the_label_tokenizer_its_config_names():
    """No labels_tokenizer/ folder: the label encoder's hub id is used; offline, all-MiniLM-L6-v2 resolves
    to the packaged copy, whose vocabulary is not this tiny label encoder's -- a clear error, not garbage."""
    case = FIXTURES / "bi_span_legacy"
    assert json.loads((case / "gliner_config.json").read_text())["labels_encoder"] == \
        "sentence-transformers/all-MiniLM-L6-v2"
    with pytest.raises(CheckpointError, match="labels tokenizer has 30522 tokens.*labels_tokenizer="):
        GLiNER.from_pretrained(case)
    model = GLiNER.from_pretrained(case, labels_tokenizer=STAND_IN)  # what the hub id stands for here
    assert len(model.labels_tokenizer) < 1000


def test_saved_bi_encoder_round_trips_with_its_label_tokenizer(tmp_path):
    model, expected = load("bi_span_legacy")
    model.save_pretrained(tmp_path / "out")
    assert (tmp_path / "out" / "labels_tokenizer" / "tokenizer_config.json").is_file()
    again = GLiNER.from_pretrained(tmp_path / "out")  # no override needed any more
    texts, labels = expected["texts"], ["person", "organization", "location", "date"]
    assert again.inference(texts, labels, threshold=0.5) == model.inference(texts, labels, threshold=0.5)
