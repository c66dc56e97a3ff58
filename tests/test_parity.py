"""Parity with the reference gliner==0.2.29 on tiny checkpoints it built and saved itself.

The fixtures under tests/fixtures/parity were written by scripts/parity/make_fixtures.sh (the reference in
a throw-away virtualenv); these tests need neither the reference nor the network.

One documented difference: with ``fuse_layers`` the reference averages the layer weights over padding, so
its batched outputs depend on the batch. Ours are batch-invariant and match the reference wherever the
reference has no padding (texts on their own); those are the runs compared for fuse_layers checkpoints.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from parity_helpers import assert_same_entities

from gliner_bench import GLiNER
from gliner_bench.inference.tokenization import tokenize_batch
from gliner_bench.text.labels import normalize_labels
from gliner_bench.text.prompts import prompt_words

FIXTURES = Path(__file__).parent / "fixtures" / "parity"
CASES = sorted(p.name for p in FIXTURES.iterdir()  # uni-encoders; others: test_parity_{bi,relex,decoder}.py
               if (p / "expected.json").is_file() and not p.name.startswith(("bi_", "relex_", "decoder_")))
# Logits: |ours - reference| <= LOGIT_ATOL + LOGIT_RTOL * |reference| (torch.allclose's rule). The reference's
# own float32 rounding is of this size: our forward pass in float64 differs from its float32 logits by up to
# 1.7e-5 on these fixtures (logits up to ~13), and the float32 kernels chosen differ between CPUs (the
# DeBERTa fixtures built on an Intel Xeon differ by 1.7e-5 on an AMD EPYC). A wrong weight, mask or pooling
# moves logits by 1e-2 or more, so this bound still catches every real mismatch.
LOGIT_ATOL = 5e-5
LOGIT_RTOL = 1e-5


def load(case):
    expected = json.loads((FIXTURES / case / "expected.json").read_text())
    return GLiNER.from_pretrained(FIXTURES / case), expected


def batch_dependent(model, batch_size):
    return model.config.fuse_layers and batch_size > 1


def test_fixture_cases_cover_the_required_configs():
    configs = [json.loads((FIXTURES / c / "gliner_config.json").read_text()) for c in CASES]
    assert {c["span_mode"] for c in configs} >= {"markerV0", "marker", "token_level"}
    assert any(c["fuse_layers"] for c in configs) and any(c["num_rnn_layers"] == 0 for c in configs)
    assert any(c["hidden_size"] != c["encoder_config"]["hidden_size"] for c in configs)  # projection
    formats = {f.name for c in CASES for f in (FIXTURES / c).iterdir()}
    assert {"model.safetensors", "pytorch_model.bin"} <= formats


@pytest.mark.parametrize("case", CASES)
def test_entities_match_reference(case):
    model, expected = load(case)
    compared = 0
    for run in expected["runs"]:
        if batch_dependent(model, run.get("batch_size", 1)):
            continue
        if run["kind"] == "predict_entities":
            got = [model.predict_entities(run["text"], run["labels"], threshold=run["threshold"],
                                          flat_ner=run["flat_ner"], multi_label=run["multi_label"])]
            want = [run["output"]]
        else:
            got = model.inference(expected["texts"], run["labels"],
                                  threshold=run["threshold"], flat_ner=run["flat_ner"],
                                  multi_label=run["multi_label"], batch_size=run["batch_size"])
            want = run["output"]
        assert_same_entities(got, want)
        compared += sum(len(x) for x in want)
    assert compared > 0, "fixture runs produced no entities: the comparison would be empty"


@pytest.mark.parametrize("case", CASES)
def test_inputs_and_logits_match_reference(case):
    model, expected = load(case)
    for fwd in expected["forward"]:
        if batch_dependent(model, len(fwd["texts"])):
            continue
        labels = normalize_labels(fwd["labels"])
        prompt = prompt_words(labels, model.config.ent_token, model.config.sep_token)
        batch = tokenize_batch(model.tokenizer, fwd["words"], [prompt] * len(fwd["words"]),
                               model.config.subtoken_pooling)
        for key in ("input_ids", "attention_mask", "words_mask"):
            assert batch[key].tolist() == fwd[key], key
        assert batch["text_lengths"].tolist() == [row[0] if isinstance(row, list) else row
                                                  for row in fwd["text_lengths"]]
        with torch.inference_mode():
            out = model.model(batch)
        want = torch.tensor(fwd["logits"], dtype=torch.float64)
        got = out["logits"].double()
        assert list(got.shape) == fwd["logits_shape"]
        excess = ((got - want).abs() - (LOGIT_ATOL + LOGIT_RTOL * want.abs())).max().item()
        assert excess <= 0, f"logits differ beyond tolerance by {excess:.2e}"


@pytest.mark.parametrize("case", [c for c in CASES if "fuse" in c])
def test_fuse_layers_outputs_do_not_depend_on_the_batch(case):
    model, expected = load(case)
    texts = expected["texts"]
    labels = ["person", "organization", "location", "date"]
    alone = [model.inference([t], labels, threshold=0.3)[0] for t in texts]
    batched = model.inference(texts, labels, threshold=0.3, batch_size=8)
    assert_same_entities(batched, alone)
