"""``isolate_prompt`` (issue 26): a uni-encoder's label prompt attends to itself only, so its label vectors do not
drift with the text's length; the text still reads the prompt. Off (the reference's computation), the drift is
there: the tests check both, on the tiny random backbone, in torch and through an ONNX export."""

from __future__ import annotations

import pytest
import torch
from conftest import make_model

from gliner_bench import GLiNERConfig
from gliner_bench.config import ConfigError
from gliner_bench.inference.tokenization import tokenize_batch
from gliner_bench.modeling.encoder import prompt_isolation_bias, prompt_positions
from gliner_bench.text.labels import normalize_labels
from gliner_bench.text.prompts import prompt_words

LABELS = ["person", "city"]
SHORT = "Ada Lovelace lived in London .".split()
LONG = SHORT + "and the weather was mild in the afternoon while markets were quiet".split() * 6


def label_vectors(model, words):
    prompt = prompt_words(normalize_labels(LABELS), model.config.ent_token, model.config.sep_token)
    batch = tokenize_batch(model.tokenizer, [words], [prompt], model.config.subtoken_pooling)
    with torch.inference_mode():
        enc = model.model.encode(batch)
    return enc.labels[0], enc.words[0, :len(SHORT)]


@pytest.mark.parametrize("span_mode", ["markerV0", "token_level"])
def test_isolated_label_vectors_do_not_depend_on_the_text(tiny_backbone, span_mode):
    isolated = make_model(tiny_backbone, span_mode=span_mode, isolate_prompt=True)
    short, short_words = label_vectors(isolated, SHORT)
    long, long_words = label_vectors(isolated, LONG)
    assert torch.allclose(short, long, atol=1e-5)
    assert not torch.allclose(short_words, long_words, atol=1e-3)  # the words still read their context

    plain = make_model(tiny_backbone, span_mode=span_mode)  # same weights, the reference's computation
    assert not torch.allclose(label_vectors(plain, SHORT)[0], label_vectors(plain, LONG)[0], atol=1e-3)


def test_the_text_still_reads_the_prompt(tiny_backbone):
    model = make_model(tiny_backbone, isolate_prompt=True)
    prompt_a = prompt_words(normalize_labels(["person"]), model.config.ent_token, model.config.sep_token)
    prompt_b = prompt_words(normalize_labels(["vehicle"]), model.config.ent_token, model.config.sep_token)
    batch_a = tokenize_batch(model.tokenizer, [SHORT], [prompt_a], "first")
    batch_b = tokenize_batch(model.tokenizer, [SHORT], [prompt_b], "first")
    with torch.inference_mode():
        words_a, words_b = model.model.encode(batch_a).words, model.model.encode(batch_b).words
    assert not torch.allclose(words_a, words_b, atol=1e-4)


def test_the_bias_masks_text_for_prompt_queries_and_padding_for_all():
    attention = torch.tensor([[1, 1, 1, 1, 0]])
    words_mask = torch.tensor([[0, 0, 1, 2, 0]])
    in_prompt = prompt_positions(words_mask)
    assert in_prompt.tolist() == [[True, True, False, False, False]]
    allowed = prompt_isolation_bias(attention, in_prompt, torch.float32)[0, 0] == 0  # (L, L) query x key
    assert allowed[0].tolist() == [True, True, False, False, False]  # a prompt token: the prompt only
    assert allowed[2].tolist() == [True, True, True, True, False]  # a text token: everything but padding


def test_entities_are_the_same_alone_or_batched_and_windowed_texts_work(tiny_backbone):
    model = make_model(tiny_backbone, isolate_prompt=True, max_len=12)
    text = " ".join(LONG)
    alone = model.predict_entities(text, LABELS, threshold=0.3)
    batched = model.batch_predict_entities([text, "London ."], LABELS, threshold=0.3)[0]
    assert [(e["start"], e["end"], e["label"]) for e in alone] == [(e["start"], e["end"], e["label"]) for e in batched]
    for a, b in zip(alone, batched):
        assert abs(a["score"] - b["score"]) < 1e-5


def test_the_field_is_checked(tiny_backbone):
    with pytest.raises(ConfigError, match=r"Field 'isolate_prompt' is 'yes' \(str\); it needs bool"):
        GLiNERConfig(model_name=tiny_backbone, isolate_prompt="yes")
    with pytest.raises(ConfigError, match="bi-encoder"):
        GLiNERConfig(model_name=tiny_backbone, labels_encoder=tiny_backbone, isolate_prompt=True)


def test_the_field_survives_saving_and_the_export_computes_it(tiny_backbone, tmp_path):
    pytest.importorskip("onnxruntime")
    from gliner_bench import GLiNER
    from gliner_bench.runtimes.onnx.export import export_onnx

    model = make_model(tiny_backbone, isolate_prompt=True)
    model.save_pretrained(tmp_path / "saved")
    loaded = GLiNER.from_pretrained(tmp_path / "saved")
    assert loaded.config.isolate_prompt is True
    onnx = GLiNER.from_pretrained(export_onnx(model, tmp_path / "onnx"))
    prompt = prompt_words(normalize_labels(LABELS), model.config.ent_token, model.config.sep_token)
    batch = tokenize_batch(model.tokenizer, [LONG, SHORT], [prompt] * 2, model.config.subtoken_pooling)
    with torch.inference_mode():
        want = model.model(batch)["logits"]
    got = onnx.model(batch)["logits"]
    assert (got - want).abs().max().item() < 1e-3
