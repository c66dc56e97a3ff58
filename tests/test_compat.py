"""Drop-in for users of the reference ``gliner``: an ``nn.Module``, its positional order, ``bundled:`` ids."""

from __future__ import annotations

import logging

import pytest
import torch

from gliner_bench import GLiNER

TEXT = "Angela Merkel met Emmanuel Macron in Paris on Tuesday."
LABELS = ["person", "city", "date"]


def test_the_model_is_a_torch_module(span_model):
    assert isinstance(span_model, torch.nn.Module)
    assert span_model.eval() is span_model and not span_model.model.training
    assert span_model.train() is span_model and span_model.model.training
    span_model.eval()
    assert sum(p.numel() for p in span_model.parameters()) == span_model.num_parameters()
    state = span_model.state_dict()
    assert state and all(k.startswith("model.") for k in state)
    assert span_model.to("cpu") is span_model and span_model.device.type == "cpu"
    before = span_model.predict_entities(TEXT, LABELS, threshold=0.3)
    span_model.load_state_dict(state)
    assert span_model.predict_entities(TEXT, LABELS, threshold=0.3) == before


def test_half_precision_runs(span_model):
    span_model.half()
    assert span_model.dtype == torch.float16
    for e in span_model.predict_entities(TEXT, LABELS, threshold=0.3):
        assert TEXT[e["start"]:e["end"]] == e["text"]
    span_model.float()


def test_positional_arguments_follow_the_reference(span_model):
    by_keyword = span_model.predict_entities(TEXT, LABELS, flat_ner=False, threshold=0.3)
    assert by_keyword, "the tiny model finds entities at 0.3"
    assert span_model.predict_entities(TEXT, LABELS, False, 0.3) == by_keyword
    assert span_model.inference([TEXT], LABELS, False, 0.3) == [by_keyword]
    assert span_model.batch_predict_entities([TEXT], LABELS, False, 0.3, batch_size=1) == [by_keyword]


@pytest.mark.parametrize("call", [
    lambda m: m.predict_entities(TEXT, LABELS, 0.3),  # a threshold where flat_ner goes
    lambda m: m.inference([TEXT], LABELS, True, 0.3, 0.5),  # one for multi_label
    lambda m: m.inference([TEXT], LABELS, ["works for"]),  # relex's positional relations
])
def test_a_misplaced_positional_argument_is_refused_not_misread(span_model, call):
    with pytest.raises(TypeError, match="Positional arguments follow the reference"):
        call(span_model)


def test_bundled_ids_load_like_paths_without_transformers_notices(caplog, capfd):
    with caplog.at_level(logging.WARNING):
        model = GLiNER.from_pretrained("bundled:uni-span")
    assert not [r for r in caplog.records if r.name.startswith("transformers")]
    assert "resiz" not in capfd.readouterr().err.lower()
    assert model.weights_digest() and model.capabilities.labels_in_prompt
    assert any(e["label"] == "person" for e in model.predict_entities(TEXT, LABELS))


def test_an_unknown_bundled_name_says_which_exist():
    with pytest.raises(ValueError, match="bundled: .*uni-span"):
        GLiNER.from_pretrained("bundled:nope")


def test_a_replaced_module_is_the_one_inference_runs(span_model):
    import copy

    before = span_model.predict_entities(TEXT, LABELS, threshold=0.3)
    other = copy.deepcopy(span_model.model)
    with torch.no_grad():
        other.prompt_rep_layer[0].weight.mul_(-1)  # a different head: different scores
    with pytest.raises(AttributeError, match="replace_module"):  # explicit, not a side effect of assignment
        span_model.model = other
    assert span_model.replace_module(other) is span_model
    assert span_model.family.module is other
    assert span_model.predict_entities(TEXT, LABELS, threshold=0.3) != before


def test_reference_options_we_lack_are_named_and_their_defaults_accepted(span_model):
    plain = span_model.inference([TEXT], LABELS, threshold=0.3)
    assert span_model.inference([TEXT], LABELS, threshold=0.3, packing_config=None, return_class_probs=False) == plain
    for name, value in (("packing_config", {"max_length": 512}), ("input_spans", [[(0, 1)]]),
                        ("return_class_probs", True), ("return_vectors", True)):
        with pytest.raises(ValueError, match=f"{name}: .*does not implement"):
            span_model.inference([TEXT], LABELS, **{name: value})


def test_the_word_splitter_is_a_loading_option_and_is_saved(tmp_path):
    model = GLiNER.from_pretrained("bundled:uni-span")
    assert model.config.splitter == "unicode"  # the bundled defaults split plain text with ours
    reference = GLiNER.from_pretrained("bundled:uni-span", word_splitter="whitespace")
    text = "Obama's visit to #Paris"
    def spans(m):  # every candidate span at threshold 0: what the splitter made words of
        return {text[e["start"]:e["end"]] for e in m.predict_entities(text, ["person"], threshold=0.0, flat_ner=False)}

    assert "Obama'" in spans(reference) and "Paris" in spans(reference)  # "Obama" "'" "s" ... "#" "Paris"
    assert "Obama'" not in spans(model) and "#Paris" in spans(model) and "Paris" not in spans(model)
    reference.save_pretrained(tmp_path / "ckpt")
    assert GLiNER.from_pretrained(tmp_path / "ckpt").config.splitter == "whitespace"
    with pytest.raises(Exception, match="word_splitter"):
        GLiNER.from_pretrained("bundled:uni-span", word_splitter="nope")
