"""Checkpoint I/O: config fields, strict loading, both weight formats, saving, and bad checkpoints."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from gliner_bench import GLiNER, GLiNERConfig
from gliner_bench.checkpoints.files import CheckpointError, resolve_backbone
from gliner_bench.config import ConfigError

FIXTURES = Path(__file__).parent / "fixtures" / "parity"
TEXTS = ["Apple hired Tim Cook in Cupertino.", "On Monday, Angela Merkel met Emmanuel Macron in Berlin."]
LABELS = ["person", "organization", "location", "date"]


def copy_case(case, tmp_path) -> Path:
    return Path(shutil.copytree(FIXTURES / case, tmp_path / case))


def outputs(model, threshold=0.5):
    return model.inference(TEXTS, LABELS, threshold=threshold, flat_ner=False, multi_label=True)


def assert_same(a, b, tol=1e-5):
    key = lambda e: (e["start"], e["end"], e["label"])
    assert [[key(e) for e in x] for x in a] == [[key(e) for e in x] for x in b]
    assert all(abs(p["score"] - q["score"]) <= tol for x, y in zip(a, b) for p, q in zip(x, y))


# ------------------------------------------------------------------------------------------------ config
def test_reference_config_round_trips_every_field(tmp_path):
    original = json.loads((FIXTURES / "span_markerV0" / "gliner_config.json").read_text())
    cfg = GLiNERConfig.from_json(FIXTURES / "span_markerV0" / "gliner_config.json")
    assert cfg.architecture == "UniEncoderSpan" and cfg.class_token_index == 144 and cfg.max_width == 4
    cfg.to_json(tmp_path / "c.json")
    written = json.loads((tmp_path / "c.json").read_text())
    for key, value in original.items():  # nothing the reference wrote is lost or changed
        assert written[key] == value, key
    assert written["architecture"] == "UniEncoderSpan"


@pytest.mark.parametrize("fields,arch", [
    ({}, "UniEncoderSpan"),
    ({"span_mode": "token_level"}, "UniEncoderToken"),
    ({"labels_encoder": "x"}, "BiEncoderSpan"),
    ({"labels_encoder": "x", "span_mode": "token_level"}, "BiEncoderToken"),
    ({"labels_decoder": "x"}, "UniEncoderSpanDecoder"),
    ({"labels_decoder": "x", "labels_encoder": "y", "span_mode": "token_level"}, "UniEncoderTokenDecoder"),
    ({"relations_layer": "dot", "labels_decoder": "x"}, "UniEncoderSpanRelex"),
    ({"relations_layer": "dot", "span_mode": "token_level"}, "UniEncoderTokenRelex"),
])
def test_architecture_follows_the_reference_precedence(fields, arch):
    assert GLiNERConfig.from_dict(fields).architecture == arch


def test_legacy_has_rnn_maps_to_num_rnn_layers():
    assert GLiNERConfig.from_dict({"has_rnn": False}).num_rnn_layers == 0
    assert GLiNERConfig.from_dict({"has_rnn": True}).num_rnn_layers == 1
    assert GLiNERConfig.from_dict({"has_rnn": True, "num_rnn_layers": 2}).num_rnn_layers == 2


def test_unknown_or_inconsistent_architecture_names_the_field():
    with pytest.raises(ConfigError, match="Transformer9000.*field 'architecture'"):
        GLiNERConfig.from_dict({"architecture": "Transformer9000"})
    with pytest.raises(ConfigError, match="architecture"):
        GLiNERConfig.from_dict({"architecture": "BiEncoderSpan"})  # no labels_encoder


def test_legacy_checkpoint_with_has_rnn_loads(tmp_path):
    d = copy_case("span_nornn_mean", tmp_path)
    cfg = json.loads((d / "gliner_config.json").read_text())
    cfg.pop("num_rnn_layers")
    cfg["has_rnn"] = False
    (d / "gliner_config.json").write_text(json.dumps(cfg))
    assert_same(outputs(GLiNER.from_pretrained(d)), outputs(GLiNER.from_pretrained(FIXTURES / "span_nornn_mean")))


# ------------------------------------------------------------------------------------------------ saving
@pytest.mark.parametrize("case", ["span_markerV0", "token_proj_fuse_bin"])
@pytest.mark.parametrize("safe", [True, False])
def test_save_and_reload_gives_the_same_outputs(tmp_path, case, safe):
    model = GLiNER.from_pretrained(FIXTURES / case)
    out = tmp_path / "saved"
    model.save_pretrained(out, safe_serialization=safe)
    names = {p.name for p in out.iterdir()}
    assert "gliner_config.json" in names and "tokenizer.json" in names
    assert ("model.safetensors" in names) == safe and ("pytorch_model.bin" in names) == (not safe)
    assert not [n for n in names if n.startswith(".saving")]
    assert_same(outputs(GLiNER.from_pretrained(out)), outputs(model))
    # the saved weights are the reference's keys, tensor for tensor
    ref = load_file(FIXTURES / case / "model.safetensors") if (FIXTURES / case / "model.safetensors").exists() \
        else torch.load(FIXTURES / case / "pytorch_model.bin", weights_only=True)
    ours = load_file(out / "model.safetensors") if safe else torch.load(out / "pytorch_model.bin", weights_only=True)
    assert set(ours) == set(ref)
    assert all(torch.equal(ours[k], ref[k]) for k in ref)


def test_saving_over_a_checkpoint_of_the_other_format_leaves_one_weights_file(tmp_path):
    d = copy_case("span_marker_proj_bin", tmp_path)  # pytorch_model.bin
    GLiNER.from_pretrained(d).save_pretrained(d, safe_serialization=True)
    assert (d / "model.safetensors").exists() and not (d / "pytorch_model.bin").exists()


def test_unused_cross_fuser_tensors_are_kept_and_written_back(tmp_path):
    d = copy_case("span_markerV0", tmp_path)
    sd = load_file(d / "model.safetensors")
    sd["cross_fuser.layers.0.0.pre_norm.weight"] = torch.ones(32)
    save_file(sd, d / "model.safetensors")
    cfg = json.loads((d / "gliner_config.json").read_text())
    (d / "gliner_config.json").write_text(json.dumps(cfg | {"post_fusion_schema": "l2l-l2t"}))
    model = GLiNER.from_pretrained(d)
    model.save_pretrained(tmp_path / "out")
    assert "cross_fuser.layers.0.0.pre_norm.weight" in load_file(tmp_path / "out" / "model.safetensors")


# ------------------------------------------------------------------------------------------------ bad checkpoints
def test_directory_without_weights(tmp_path):
    d = copy_case("span_markerV0", tmp_path)
    (d / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="No weights.*model.safetensors or pytorch_model.bin"):
        GLiNER.from_pretrained(d)


def test_directory_without_config(tmp_path):
    d = copy_case("span_markerV0", tmp_path)
    (d / "gliner_config.json").unlink()
    with pytest.raises(CheckpointError, match="No gliner_config.json"):
        GLiNER.from_pretrained(d)


def test_malformed_config_json_names_the_file(tmp_path):
    d = copy_case("span_markerV0", tmp_path)
    (d / "gliner_config.json").write_text("{ not json")
    with pytest.raises(CheckpointError, match="gliner_config.json is not valid JSON"):
        GLiNER.from_pretrained(d)


def test_config_with_unknown_architecture(tmp_path):
    d = copy_case("span_markerV0", tmp_path)
    cfg = json.loads((d / "gliner_config.json").read_text())
    (d / "gliner_config.json").write_text(json.dumps(cfg | {"architecture": "MysteryNet"}))
    with pytest.raises(CheckpointError, match="architecture.*MysteryNet"):
        GLiNER.from_pretrained(d)


def test_decoder_checkpoint_without_a_reachable_decoder_tokenizer_says_where_to_put_it(tmp_path):
    d = copy_case("span_markerV0", tmp_path)
    cfg = json.loads((d / "gliner_config.json").read_text())
    (d / "gliner_config.json").write_text(json.dumps(cfg | {"labels_decoder": "gpt2", "decoder_mode": "span"}))
    with pytest.raises(CheckpointError, match=r"(?s)decoder tokenizer.*decoder_tokenizer/"):
        GLiNER.from_pretrained(d)


@pytest.mark.parametrize("edit,match", [
    (lambda sd: sd.pop("prompt_rep_layer.0.weight"), r"missing keys \(1\): prompt_rep_layer\.0\.weight"),
    (lambda sd: sd.__setitem__("head.extra.weight", torch.zeros(2)), r"unexpected keys \(1\): head\.extra\.weight"),
    (lambda sd: sd.__setitem__("prompt_rep_layer.3.bias", torch.zeros(7)),
     r"'prompt_rep_layer\.3\.bias' has shape \(7,\) in the file but .* needs \(32,\)"),
    # weights that used to load silently wrong (issue 28): NaN made every call return nothing, int64 was cast
    (lambda sd: sd["prompt_rep_layer.3.bias"].__setitem__(0, float("nan")),
     r"'prompt_rep_layer\.3\.bias' holds 1 NaN or infinite value"),
    (lambda sd: sd["prompt_rep_layer.3.bias"].fill_(float("inf")), r"'prompt_rep_layer\.3\.bias' holds 32 NaN or infinite"),
    (lambda sd: sd.__setitem__("prompt_rep_layer.3.bias", torch.ones(32, dtype=torch.int64)),
     r"'prompt_rep_layer\.3\.bias' is int64 in the file; the model needs a floating-point tensor \(float32\)"),
])
def test_bad_keys_shapes_and_values_are_named(tmp_path, edit, match):
    d = copy_case("span_markerV0", tmp_path)
    sd = load_file(d / "model.safetensors")
    edit(sd)
    save_file(sd, d / "model.safetensors")
    with pytest.raises(CheckpointError, match=match):
        GLiNER.from_pretrained(d)


def test_a_delta_with_nan_heads_is_refused_by_name(tmp_path):
    from safetensors import safe_open

    from gliner_bench.loading import bundled_path

    d = Path(shutil.copytree(bundled_path("bi-token"), tmp_path / "bi-token"))
    with safe_open(str(d / "delta.safetensors"), framework="pt") as f:
        meta, sd = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    key = next(k for k in sd if k.startswith("head."))
    sd[key] = sd[key].clone().fill_(float("nan"))
    save_file(sd, d / "delta.safetensors", metadata=meta)
    with pytest.raises(CheckpointError, match=f"'{key}' holds .* NaN"):  # named as in the file
        GLiNER.from_pretrained(d)


@pytest.mark.parametrize("field,value,need", [
    ("max_width", "12", "int"), ("dropout", "0.4", "int or float"), ("fuse_layers", 1, "bool"),
    ("span_mode", None, "str"), ("labels_encoder", 3, "str or null"), ("max_len", True, "int"),
])
def test_every_config_field_is_type_checked_by_name(tmp_path, field, value, need):
    d = copy_case("span_markerV0", tmp_path)
    config = json.loads((d / "gliner_config.json").read_text())
    config[field] = value
    (d / "gliner_config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=f"Field '{field}' is .*; it needs {need}\\."):
        GLiNER.from_pretrained(d)


def test_truncated_safetensors_names_the_file(tmp_path):
    d = copy_case("span_markerV0", tmp_path)
    data = (d / "model.safetensors").read_bytes()
    (d / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="model.safetensors is not a readable safetensors file"):
        GLiNER.from_pretrained(d)


class Payload:
    """Unpickling this would run code; weights_only loading must refuse it."""

    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_pickled_code_in_bin_is_refused(tmp_path):
    d = copy_case("span_marker_proj_bin", tmp_path)
    torch.save({"x": Payload()}, d / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="weights_only=True"):
        GLiNER.from_pretrained(d)


def test_hub_id_offline_fails_with_a_clear_message(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CheckpointError, match="Could not fetch 'urchade/gliner_small-v2.1'.*network"):
        GLiNER.from_pretrained("urchade/gliner_small-v2.1")


def test_nonexistent_path_is_not_mistaken_for_a_hub_id(tmp_path):
    with pytest.raises(CheckpointError, match="neither a checkpoint directory nor"):
        GLiNER.from_pretrained(tmp_path / "nope" / "deeper")


def test_packaged_minilm_resolves_offline():
    path = Path(resolve_backbone("sentence-transformers/all-MiniLM-L6-v2"))
    assert (path / "config.json").is_file() and (path / "model.safetensors").is_file()
    assert resolve_backbone("org/unknown-model") == "org/unknown-model"


# ------------------------------------------------------------------------------------------------ reference
@pytest.mark.reference
@pytest.mark.parametrize("case", ["span_markerV0", "span_marker_proj_bin", "token_default", "bi_span", "bi_token",
                                  "relex_span_mlp", "relex_token_dot", "decoder_span_gpt2", "decoder_token_llama"])
def test_reference_loads_what_we_save(tmp_path, case):
    """Needs GLINER_REF_PYTHON: a python with gliner==0.2.29 (bash scripts/parity/make_fixtures.sh)."""
    ref_python = os.environ.get("GLINER_REF_PYTHON")
    if not ref_python:
        pytest.skip("set GLINER_REF_PYTHON to a python with gliner==0.2.29")
    model = GLiNER.from_pretrained(FIXTURES / case)
    model.save_pretrained(tmp_path / "ours")
    request = {"texts": TEXTS, "labels": LABELS, "threshold": 0.5, "flat_ner": False, "multi_label": True,
               "batch_size": 1}
    if model.capabilities.relations:
        request["relations"] = ["works for", "located in", "met"]
    if model.capabilities.generated_labels:  # the fixture's threshold: every text has a span to generate for (upstream crashes if not)
        expected = json.loads((FIXTURES / case / "expected.json").read_text())
        texts = [t for t, e in zip(expected["texts"], expected["runs"][0]["entities"]) if e]
        request |= {"texts": texts, "labels": expected["labels"], "threshold": expected["threshold"],
                    "generation": {"do_sample": False, "max_new_tokens": 6, "gen_constraints": ["person", "date"]}}
    (tmp_path / "req.json").write_text(json.dumps(request))
    script = Path(__file__).parents[1] / "scripts" / "parity" / "reference_predict.py"
    proc = subprocess.run([ref_python, str(script), str(tmp_path / "ours"), str(tmp_path / "req.json")],
                          capture_output=True, text=True, check=True)
    theirs = json.loads(proc.stdout)
    if model.capabilities.generated_labels:  # entities must match; generated labels only where upstream pads nothing (see fixtures)
        ours = model.inference(request["texts"], request["labels"], threshold=request["threshold"], flat_ner=False,
                               multi_label=True, **request["generation"])
        # the token decoder lists a span once per label that found it, and multi_label keeps every copy upstream
        theirs = [list({(e["start"], e["end"], e["label"]): e for e in reversed(x)}.values())[::-1] for x in theirs]
        assert_same(theirs, ours)
        assert all(set(e["generated_labels"]) <= {"person", "date"} for x in ours for e in x)
        return
    if not model.capabilities.relations:
        assert_same(theirs, outputs(model))
        return
    entities, relations = model.inference(TEXTS, LABELS, relations=request["relations"], threshold=0.5,
                                          flat_ner=False, multi_label=True)
    assert_same(theirs[0], entities)
    key = lambda r: (r["head"]["entity_idx"], r["relation"], r["tail"]["entity_idx"])
    for ours, ref in zip(relations, theirs[1]):  # the reference may repeat a relation or relate an entity to itself
        assert [key(r) for r in ours] == list(dict.fromkeys(key(r) for r in ref if key(r)[0] != key(r)[2]))


@pytest.mark.hub
def test_released_checkpoint_from_the_hub_loads_and_predicts(monkeypatch):
    """Needs the network: the real hub path with a released checkpoint (DeBERTa-v3, uni-encoder span)."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    model = GLiNER.from_pretrained("urchade/gliner_small-v2.1")
    ents = model.predict_entities("Apple hired Tim Cook in Cupertino.", ["person", "company", "city"])
    assert {(e["text"], e["label"]) for e in ents} >= {("Tim Cook", "person"), ("Apple", "company")}


def test_save_pretrained_can_write_the_references_word_splitter(tmp_path):
    """A checkpoint saved with word_splitter="whitespace" splits plain text as the reference does (it reads only
    words_splitter_type): reloaded here, it gives what the model gives with the reference's splitter; the model in
    memory keeps its own (issue 28). The reference's side was checked by hand: docs/compatibility.md."""
    model = GLiNER.from_pretrained(FIXTURES / "span_markerV0", word_splitter="unicode")
    text = "Check https://t.co/abc, Obama's U.K. trip :) #news @bbc"
    saved = GLiNER.from_pretrained(model.save_pretrained(tmp_path / "ws", word_splitter="whitespace"))
    as_reference = GLiNER.from_pretrained(FIXTURES / "span_markerV0", word_splitter="whitespace")
    assert saved.config.word_splitter == "whitespace" and model.config.word_splitter == "unicode"
    got, want = (m.predict_entities(text, LABELS, threshold=0.0, flat_ner=False) for m in (saved, as_reference))
    assert got == want and got != model.predict_entities(text, LABELS, threshold=0.0, flat_ner=False)
    with pytest.raises(ConfigError, match="word_splitter"):
        model.save_pretrained(tmp_path / "bad", word_splitter="spacy")
    assert not (tmp_path / "bad").exists()
