"""The reference's ``from_pretrained`` keywords (issue 28): those that apply do what the reference does, the others
are accepted with one warning, a misspelt one is a TypeError naming the nearest keyword."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from conftest import int8_runs

from gliner_bench import GLiNER
from gliner_bench.checkpoints import load_options

CKPT = str(Path(__file__).parent / "fixtures" / "parity" / "span_markerV0")
TEXT = "Angela Merkel visited Paris on Tuesday."


def test_defaults_and_applied_keywords_warn_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opts = load_options.read({"load_tokenizer": None, "strict": False, "resize_token_embeddings": True,
                                  "token": "hf_x", "force_download": True, "max_width": 8})
    assert (opts.token, opts.force_download, opts.max_width, opts.ignored) == ("hf_x", True, 8, ())


def test_keywords_without_an_equivalent_warn_once_and_say_why():
    with pytest.warns(UserWarning) as caught:
        opts = load_options.read({"load_tokenizer": True, "low_cpu_mem_usage": True, "variant": "fp16"})
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "load_tokenizer (the tokenizer is always loaded)" in message and "variant" in message
    assert opts.ignored == ("load_tokenizer", "low_cpu_mem_usage", "variant")


@pytest.mark.parametrize("kwargs, precision", [({"quantize": "int8"}, "int8"), ({"quantize": True}, "int8"),
                                               ({"dtype": "bfloat16"}, "bf16"), ({"dtype": "torch.float32"}, "fp32"),
                                               ({"quantize": None, "dtype": None}, None)])
def test_quantize_and_dtype_are_our_precision(kwargs, precision):
    assert load_options.read(kwargs).precision == precision


@pytest.mark.parametrize("kwargs, match", [
    ({"quantize": "int4"}, "only 'int8'"),
    ({"dtype": "float16"}, "float32 or bfloat16"),
    ({"quantize": "int8", "dtype": "bfloat16"}, "two precisions"),
    ({"max_width": "12"}, "positive integer"),
    ({"max_width": 0}, "positive integer"),
])
def test_bad_values_are_refused_with_what_to_pass(kwargs, match):
    with pytest.raises(ValueError, match=match):
        load_options.read(kwargs)


def test_a_misspelt_keyword_names_the_nearest_one():
    with pytest.raises(TypeError, match="unknown keyword 'load_tokeniser'. Did you mean 'load_tokenizer'"):
        GLiNER.from_pretrained(CKPT, load_tokeniser=True)
    with pytest.raises(TypeError, match="Did you mean 'map_location'"):
        GLiNER.from_pretrained(CKPT, map_locaton="cpu")
    with pytest.raises(TypeError, match="unknown keyword 'foo'.$"):
        GLiNER.from_pretrained(CKPT, foo=1)


def test_a_model_card_snippet_loads_and_the_applied_keywords_take_effect(monkeypatch):
    compiled = []
    monkeypatch.setattr(GLiNER, "compile", lambda self, *a, **k: compiled.append(self) or self)
    plain = GLiNER.from_pretrained(CKPT)
    with pytest.warns(UserWarning, match="load_tokenizer"):
        model = GLiNER.from_pretrained(CKPT, load_tokenizer=True, max_width=2, max_length=64,
                                       compile_torch_model=True, local_files_only=True)
    assert model.config.max_width == 2 and model.config.max_len == 64 and compiled == [model]
    assert plain.config.max_width > 2
    wide = plain.predict_entities(TEXT, ["person", "city"], threshold=0.0, flat_ner=False)
    narrow = model.predict_entities(TEXT, ["person", "city"], threshold=0.0, flat_ner=False)
    assert max(len(e["text"].split()) for e in wide) > 2  # spans of every width up to the checkpoint's own
    assert narrow and max(len(e["text"].split()) for e in narrow) <= 2
    assert GLiNER.from_pretrained(CKPT, quantize="int8").precision == int8_runs()  # fp32 where int8 saturates


def test_load_onnx_model_needs_an_export_folder():
    with pytest.raises(ValueError, match="holds no gliner-bench ONNX export"):
        GLiNER.from_pretrained(CKPT, load_onnx_model=True)


def test_token_and_force_download_reach_the_hub_download(monkeypatch, tmp_path):
    import huggingface_hub

    seen = {}

    def fake_download(name, **kwargs):
        seen.update(kwargs, name=name)
        raise OSError("offline in tests")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_download)
    with pytest.raises(Exception, match="offline in tests"):
        GLiNER.from_pretrained("someone/some-gliner", token="hf_secret", force_download=True)
    assert seen["name"] == "someone/some-gliner" and seen["token"] == "hf_secret" and seen["force_download"] is True
