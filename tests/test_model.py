"""The public API on tiny random models: output format, options, bad input, long and odd texts."""

from __future__ import annotations

import itertools

import pytest
import torch
from conftest import int8_runs, make_model

from gliner_bench.text.labels import normalize_labels

LABELS = ["person", "company", "location", "date"]


def same(got, want, tol=1e-5):
    """Same entities (spans, labels, texts) with scores within ``tol``."""
    key = lambda e: (e["start"], e["end"], e["text"], e["label"])
    return [key(e) for e in got] == [key(e) for e in want] and \
        all(abs(a["score"] - b["score"]) <= tol for a, b in zip(got, want))
TEXT = "Apple hired Tim Cook in Cupertino on Monday."


def test_output_format_and_char_offsets(span_model):
    ents = span_model.predict_entities(TEXT, LABELS)
    assert ents, "the tiny model should find something at 0.5"
    for e in ents:
        assert set(e) == {"start", "end", "text", "label", "score"}
        assert TEXT[e["start"]:e["end"]] == e["text"]
        assert e["label"] in LABELS and 0.5 < e["score"] <= 1.0
    assert [e["start"] for e in ents] == sorted(e["start"] for e in ents)


def test_flat_output_has_no_overlaps_and_nested_no_partial_overlaps(span_model):
    flat = span_model.predict_entities(TEXT, LABELS, threshold=0.3)
    for a, b in itertools.pairwise(flat):
        assert a["end"] <= b["start"]
    nested = span_model.predict_entities(TEXT, LABELS, threshold=0.3, flat_ner=False)
    assert len(nested) > len(flat)  # this text at 0.3 has nested candidates
    for a in nested:
        for b in nested:
            inside = a["start"] <= b["start"] and b["end"] <= a["end"]
            apart = a["end"] <= b["start"] or b["end"] <= a["start"]
            assert a is b or inside or apart or (b["start"] <= a["start"] and a["end"] <= b["end"])


def test_higher_threshold_gives_a_subset_of_scores_above_it(span_model):
    low = span_model.predict_entities(TEXT, LABELS, threshold=0.2, flat_ner=False, multi_label=True)
    high = span_model.predict_entities(TEXT, LABELS, threshold=0.8, flat_ner=False, multi_label=True)
    assert all(e["score"] > 0.8 for e in high)
    key = lambda e: (e["start"], e["end"], e["label"])
    assert {key(e) for e in high} <= {key(e) for e in low}


def test_inference_matches_predict_entities_and_is_batch_invariant(span_model):
    texts = [TEXT, "Angela Merkel met Emmanuel Macron in Berlin.", "", "Marie Curie won the Nobel Prize in 1911 ."]
    one_by_one = [span_model.predict_entities(t, LABELS) for t in texts]
    for bs in (1, 2, 8):
        batched = span_model.inference(texts, LABELS, batch_size=bs)
        assert all(same(x, y) for x, y in zip(batched, one_by_one))


def test_per_text_label_sets(span_model):
    texts = [TEXT, "Angela Merkel met Emmanuel Macron in Berlin."]
    per_text = span_model.inference(texts, [["person", "company"], ["location"]], threshold=0.3)
    assert {e["label"] for e in per_text[0]} <= {"person", "company"}
    assert {e["label"] for e in per_text[1]} <= {"location"}
    assert same(per_text[1], span_model.inference([texts[1]], ["location"], threshold=0.3)[0])
    with pytest.raises(ValueError, match="one label list per text"):
        span_model.inference(texts, [["person"]])


def test_label_descriptions_return_names(span_model):
    ents = span_model.predict_entities(TEXT, {"person": "a human being", "company": "a business"}, threshold=0.2)
    assert ents and {e["label"] for e in ents} <= {"person", "company"}


def test_duplicate_labels_are_merged_in_order(span_model):
    assert same(span_model.predict_entities(TEXT, ["person", "company", "person"]),
                span_model.predict_entities(TEXT, ["person", "company"]))


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_or_whitespace_text_gives_no_entities(span_model, text):
    assert span_model.predict_entities(text, LABELS) == []
    assert span_model.inference([text, text], LABELS) == [[], []]


@pytest.mark.parametrize("labels,match", [([], "at least one"), (["person", None], "string"),
                                          (["person", " "], "blank"), ("", "blank")])
def test_bad_labels_raise_clear_value_errors(span_model, labels, match):
    with pytest.raises(ValueError, match=match):
        span_model.predict_entities(TEXT, labels)


@pytest.mark.parametrize("kwargs,match", [({"threshold": 1.5}, "threshold"), ({"threshold": -0.1}, "threshold"),
                                          ({"batch_size": 0}, "batch_size")])
def test_bad_options_raise(span_model, kwargs, match):
    with pytest.raises(ValueError, match=match):
        span_model.inference([TEXT], LABELS, **kwargs)


def test_non_string_text_raises(span_model):
    with pytest.raises(ValueError, match="not a string"):
        span_model.inference([TEXT, 42], LABELS)


def test_emoji_and_cjk_text(span_model):
    text = "東京 で 🙂 Tim Cook に 会った"
    for e in span_model.predict_entities(text, LABELS, threshold=0.1):
        assert text[e["start"]:e["end"]] == e["text"]


def test_more_labels_than_the_encoder_window_holds_are_split_into_groups(span_model):
    labels = [f"type number {i}" for i in range(100)]  # ~400 prompt tokens for a 128-token tiny encoder
    room = span_model.max_tokens - 2
    pipeline, family = span_model.pipeline, span_model.family
    groups = [(ps.labels, ps.offset) for ps in pipeline.label_groups(family, normalize_labels(labels), room // 2)]
    assert [p for g, _ in groups for p in g.prompts] == labels  # every label, in order, once
    assert [off for _, off in groups] == [sum(len(g) for g, _ in groups[:k]) for k in range(len(groups))]
    assert all(sum(pipeline.prompt_pieces(family, g).counts()) <= room // 2 for g, _ in groups) and len(groups) > 2
    ents = span_model.predict_entities(TEXT, labels, threshold=0.3, flat_ner=False, multi_label=True)
    assert all(TEXT[e["start"]:e["end"]] == e["text"] and e["label"] in labels for e in ents)
    group_of = {p: k for k, (g, _) in enumerate(groups) for p in g.prompts}
    assert len({group_of[e["label"]] for e in ents}) > 1  # entities from several groups


def test_a_label_too_long_for_the_encoder_says_what_to_do(span_model):
    with pytest.raises(ValueError, match="shorten the label"):
        span_model.predict_entities(TEXT, ["person " * 200])


def test_token_model_outputs(token_model):
    ents = token_model.predict_entities(TEXT, LABELS, threshold=0.3)
    assert ents
    for e in ents:
        assert TEXT[e["start"]:e["end"]] == e["text"] and e["score"] > 0.3


# ------------------------------------------------------------------------------------------ long texts
def context_free(model):
    """Make every word's scores depend on the word alone (no attention mixing, no positions, no LSTM),
    so a text's entities must be the same wherever it sits in a longer text."""
    with torch.no_grad():
        bert = model.model.token_rep_layer.bert_layer.model
        bert.embeddings.position_embeddings.weight.zero_()
        for layer in bert.encoder.layer:
            layer.attention.output.dense.weight.zero_()
            layer.attention.output.dense.bias.zero_()
    return model


@pytest.mark.parametrize("span_mode", ["markerV0", "token_level"])
def test_entity_after_word_5000_is_found_with_offsets_in_the_original_text(tiny_backbone, span_mode):
    model = context_free(make_model(tiny_backbone, spread=3.0 if span_mode == "token_level" else 1.4,
                                    span_mode=span_mode, num_rnn_layers=0, embed_ent_token=False))
    sentence = "Angela Merkel met Emmanuel Macron in Berlin on Monday ."

    def found_at(filler, threshold):
        """Entities of the sentence between 5 filler words each side (one encoder window)."""
        pad = " ".join([filler] * 5)
        return model.predict_entities(f"{pad} {sentence} {pad}", LABELS, threshold=threshold), len(pad) + 1

    # The threshold sits just above every score that filler words alone reach, so in any text only spans
    # touching the sentence can come out -- and a context-free model scores them the same everywhere.
    for filler in ("the", "of", "and", "a", "to", "is", "was", ","):
        # k filler words: the span covering all of them nests every other span, so decoding keeps it
        whole = [e["score"] for k in range(1, model.config.max_width + 1)
                 for e in model.predict_entities(" ".join([filler] * k), LABELS, threshold=0.0, flat_ner=False,
                                                 multi_label=True) if e["end"] - e["start"] == len(filler) * k + k - 1]
        threshold = max(whole) + 1e-4
        if threshold >= 0.99:
            continue
        alone, offset = found_at(filler, threshold)
        if alone:
            break
    else:
        pytest.fail("no filler word leaves the sentence any entity: the test would mean nothing")
    prefix = " ".join([filler] * 5000) + " "
    long_text = prefix + sentence + " " + " ".join([filler] * 300)
    assert len(long_text.split()) > model.config.max_len * 10  # many windows
    found = model.predict_entities(long_text, LABELS, threshold=threshold)
    shifted = [dict(e, start=e["start"] - len(prefix) + offset, end=e["end"] - len(prefix) + offset)
               for e in found]
    assert same(shifted, alone)
    assert all(long_text[e["start"]:e["end"]] == e["text"] for e in found)
    assert min(e["start"] for e in found) >= len(prefix) - len(filler) - 1  # found after word 5,000


def test_hundred_thousand_characters(span_model):
    text = ("Tim Cook visited Berlin on Monday . " * 3000)[:100_000]
    ents = span_model.predict_entities(text, LABELS)
    assert ents and ents[-1]["end"] > 90_000  # entities found all along, not just in the first window
    assert all(text[e["start"]:e["end"]] == e["text"] for e in ents)


@pytest.mark.parametrize("overrides", [{}, {"span_mode": "token_level"}, {"labels_encoder": "backbone"}])
def test_case_token_types_let_an_uncased_backbone_see_capitals(tiny_backbone, tmp_path, overrides):
    from gliner_bench import GLiNER, GLiNERConfig

    overrides = {k: (tiny_backbone if v == "backbone" else v) for k, v in overrides.items()}
    plain = make_model(tiny_backbone, **overrides)
    cased = make_model(tiny_backbone, case_token_types=True, **overrides)
    labels = ["person", "city"]

    def scores(model, text):
        return [(e["text"].lower(), e["label"], round(e["score"], 5))
                for e in model.predict_entities(text, labels, threshold=0.0, flat_ner=False)]

    # the tokenizer lower-cases, so without case types both spellings are one input
    assert scores(plain, "angela merkel met macron in paris") == scores(plain, "Angela Merkel met Macron in Paris")
    upper = scores(cased, "Angela Merkel met Macron in Paris")
    assert upper != scores(cased, "angela merkel met macron in paris")
    assert scores(cased, "angela merkel met macron in paris") == scores(plain, "angela merkel met macron in paris")
    cased.save_pretrained(tmp_path / "cased")  # saved in the config and used again on loading
    assert scores(GLiNER.from_pretrained(tmp_path / "cased"), "Angela Merkel met Macron in Paris") == upper
    with pytest.raises(Exception, match="case_token_types"):
        GLiNERConfig(case_token_types="yes")
    with pytest.raises(Exception, match="type_vocab_size"):
        GLiNERConfig(case_token_types=True, encoder_config={"model_type": "deberta-v2", "type_vocab_size": 0})


def test_the_token_scorer_gives_the_same_scores_label_block_by_label_block(monkeypatch):
    from gliner_bench.modeling.layers import TokenScorer

    torch.manual_seed(0)
    scorer = TokenScorer(16, 0.0).eval()
    tokens, labels = torch.randn(2, 5, 16), torch.randn(2, 7, 16)
    whole = scorer(tokens, labels)  # one block
    monkeypatch.setattr(TokenScorer, "PAIR_BLOCK", 2 * 5 * 64 * 3)  # 3 labels a block: 3 + 3 + 1
    # equal up to float rounding (the BLAS kernel may sum in another order for another block height)
    assert torch.allclose(scorer(tokens, labels), whole, rtol=1e-5, atol=1e-6) and whole.shape == (2, 5, 7, 3)
    assert scorer(tokens, labels[:, :0]).shape == (2, 5, 0, 3)


@pytest.mark.parametrize("name", ["uni-span", "uni-token", "bi-span", "bi-token", "decoder-span", "decoder-token",
                                  "relex-span", "relex-token"])
def test_from_pretrained_returns_the_architecture_class_the_reference_names(name):
    """As the reference: ``type(model).__name__`` is e.g. ``BiEncoderTokenGLiNER``, a subclass of ``GLiNER``; loading
    through a subclass checks that the checkpoint is of its architecture (issue 28)."""
    import gliner_bench

    model = gliner_bench.GLiNER.from_pretrained(f"bundled:{name}")
    cls = getattr(gliner_bench, f"{model.config.architecture}GLiNER")
    assert type(model) is cls and isinstance(model, gliner_bench.GLiNER) and cls.architecture == model.config.architecture
    assert type(cls.from_pretrained(f"bundled:{name}")) is cls
    other = "bi-token" if name != "bi-token" else "uni-span"
    with pytest.raises(ValueError, match=f"{cls.__name__} loads {cls.architecture} checkpoints; this one is"):
        cls.from_pretrained(f"bundled:{other}")


def test_the_references_evaluate_quantize_and_export_helpers(tmp_path):
    """A script written for the reference: ``model.evaluate`` returns its (string, F1) shape and agrees with our
    metric; ``quantize()`` runs int8; ``export_to_onnx`` writes a folder that loads (issue 28)."""
    from gliner_bench import GLiNER

    model = GLiNER.from_pretrained("bundled:uni-span")
    evaluate = type(model).evaluate  # the method, called as evaluate(model, ...) below
    data = [{"tokenized_text": "Angela Merkel visited Paris on Tuesday .".split(), "ner": [[0, 1, "person"], [3, 3, "city"]]},
            {"tokenized_text": "Barack Obama flew to Berlin .".split(), "ner": [[0, 1, "person"], [4, 4, "city"]]}]
    out, f1 = evaluate(model, data, flat_ner=True, threshold=0.5)
    found = model.inference([d["tokenized_text"] for d in data], ["person", "city"], threshold=0.5)
    tp = sum(e["text"] in ("Angela Merkel", "Paris", "Barack Obama", "Berlin") for es in found for e in es)
    n_pred = sum(map(len, found))
    want = 2 * tp / (n_pred + 4) if n_pred else 0.0
    assert f1 == pytest.approx(want) and out.startswith("P: ") and out.endswith(f"F1: {f1:.2%}\n")
    assert evaluate(model, data, entity_types=["city"])[1] <= 2 / 3 + 1e-9  # persons not prompted: recall <= 1/2
    with pytest.raises(Exception, match="tokenized_text"):
        evaluate(model, [{"words": ["x"]}])
    paths = model.export_to_onnx(tmp_path / "onnx", quantize=True)
    onnx_model = GLiNER.from_pretrained(paths["quantized_path"])
    assert paths["onnx_path"] is None and onnx_model.backend == "onnxruntime"
    with pytest.raises(RuntimeError, match="ONNX export"):  # as upstream: quantize() on an ONNX model
        onnx_model.quantize("int8")
    with pytest.raises(ValueError, match="only 'int8'"):
        model.quantize("fp16")
    model.quantize()
    assert model.precision == int8_runs()  # fp32 on a CPU whose int8 product saturates
    relex = GLiNER.from_pretrained("bundled:relex-span")
    with pytest.raises(NotImplementedError, match="gliner-bench evaluate"):
        relex.evaluate(data)
