"""Precision as a loading option: int8 and bf16 encoders, fp32 heads, clear errors, nothing silent."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import exact_int8, int8_runs, make_model
from torch import nn

from gliner_bench import GLiNER
from gliner_bench.bench.grid import Job
from gliner_bench.cli import main
from gliner_bench.loading import load_model
from gliner_bench.modeling.encoder import Backbone
from gliner_bench.runtimes import precision
from gliner_bench.runtimes.int8 import Int8Linear

TEXT = "Angela Merkel met Emmanuel Macron in Paris on Tuesday."
LABELS = ["person", "city", "date"]


def _entities(model, threshold=0.5):
    return [(e["start"], e["end"], e["label"]) for e in model.predict_entities(TEXT, LABELS, threshold=threshold)]


def test_an_unknown_precision_is_a_clear_error(span_model, tmp_path):
    span_model.save_pretrained(tmp_path / "m")
    with pytest.raises(ValueError, match="fp32, bf16, int8"):
        GLiNER.from_pretrained(tmp_path / "m", precision="fp16")
    with pytest.raises(ValueError, match="Unknown precision 'int4'"):
        load_model(str(tmp_path / "m"), precision="int4")
    with pytest.raises(SystemExit):  # argparse names the choices
        main(["predict", "--model", str(tmp_path / "m"), "--labels", "person", "--text", TEXT, "--precision", "x"])


@exact_int8
def test_int8_quantises_the_encoders_linears_only_and_keeps_the_answers(span_model, tmp_path):
    span_model.save_pretrained(tmp_path / "m")
    fp32 = GLiNER.from_pretrained(tmp_path / "m")
    int8 = GLiNER.from_pretrained(tmp_path / "m", precision="int8")
    assert (fp32.precision, int8.precision) == ("fp32", "int8")
    backbone = next(m for m in int8.model.modules() if isinstance(m, Backbone))
    assert any(isinstance(m, Int8Linear) for m in backbone.modules())
    assert not any(type(m) is nn.Linear for m in backbone.modules())
    heads = [m for n, m in int8.model.named_modules() if not n.startswith("token_rep_layer.bert_layer")]
    assert any(type(m) is nn.Linear for m in heads)  # heads stay fp32 (the span head reads .weight directly)
    scores32 = {(e["start"], e["end"], e["label"]): e["score"]
                for e in fp32.predict_entities(TEXT, LABELS, threshold=0.0, flat_ner=False)}
    scores8 = {(e["start"], e["end"], e["label"]): e["score"]
               for e in int8.predict_entities(TEXT, LABELS, threshold=0.0, flat_ner=False)}
    assert scores32.keys() == scores8.keys()
    diffs = [abs(scores32[k] - scores8[k]) for k in scores32]
    assert 0 < max(diffs) < 0.05  # it did change something, and not much
    assert int8.set_precision("int8") is int8  # again: nothing to do
    with pytest.raises(ValueError, match="already runs in int8"):
        int8.set_precision("bf16")
    with pytest.raises(ValueError, match="save the fp32 model"):
        int8.save_pretrained(tmp_path / "int8")
    assert not (tmp_path / "int8").exists()


@pytest.mark.skipif(not precision.bf16_supported(), reason="this CPU has no native bfloat16")
def test_bf16_runs_the_encoder_in_bfloat16_and_the_heads_in_fp32(span_model, tmp_path):
    span_model.save_pretrained(tmp_path / "m")
    bf16 = GLiNER.from_pretrained(tmp_path / "m", precision="bf16")
    assert bf16.precision == "bf16"
    dtypes = {n.split(".")[0]: p.dtype for n, p in bf16.model.named_parameters()}
    assert bf16.model.token_rep_layer.bert_layer.model.embeddings.word_embeddings.weight.dtype == torch.bfloat16
    assert dtypes["span_rep_layer"] == dtypes["prompt_rep_layer"] == torch.float32
    fp32 = GLiNER.from_pretrained(tmp_path / "m")
    a = fp32.predict_entities(TEXT, LABELS, threshold=0.0, flat_ner=False)
    b = bf16.predict_entities(TEXT, LABELS, threshold=0.0, flat_ner=False)
    assert max(abs(x["score"] - y["score"]) for x, y in zip(sorted(a, key=lambda e: (e["start"], e["end"], e["label"])),
                                                             sorted(b, key=lambda e: (e["start"], e["end"], e["label"])))) < 0.05


@exact_int8
def test_int8_linear_is_close_to_the_linear_and_each_row_is_independent_of_its_batch():
    torch.manual_seed(0)
    linear = nn.Linear(64, 48)
    q = Int8Linear(linear)
    x = torch.randn(5, 7, 64)  # (..., in)
    with torch.no_grad():
        want, got = linear(x), q(x)
    assert got.shape == want.shape == (5, 7, 48)
    assert (got - want).abs().max() < 0.02 * want.abs().max()
    loud = torch.cat([x[:1], 1000 * torch.randn(1, 7, 64)])  # a batch-mate with huge activations
    assert torch.equal(q(loud)[0], got[0])  # per-token scales: row 0 is unchanged
    assert q.weight_t.dtype == torch.int8 and "int8" in repr(q)


def test_int8_without_an_int8_matmul_is_a_clear_error(span_model, monkeypatch):
    from gliner_bench.runtimes import int8

    monkeypatch.setattr(int8, "int8_matmul_available", lambda: False)
    with pytest.raises(RuntimeError, match="use precision='fp32' or 'bf16'"):
        precision.apply_precision(span_model.model, "int8")


def test_int8_where_the_product_saturates_falls_back_to_fp32_with_a_warning(span_model, tmp_path, monkeypatch):
    from gliner_bench.runtimes import int8

    span_model.save_pretrained(tmp_path / "m")
    monkeypatch.setattr(int8, "int8_product_exact", lambda: False)
    with pytest.warns(RuntimeWarning, match="saturates.*using fp32.*gliner-bench export --quantize int8"):
        model = GLiNER.from_pretrained(tmp_path / "m", precision="int8")
    assert model.precision == "fp32" and not any(isinstance(m, Int8Linear) for m in model.model.modules())
    assert _entities(model) == _entities(GLiNER.from_pretrained(tmp_path / "m"))


def _saturating_int_mm(a: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """oneDNN's int8 product on AVX2 without VNNI: activations shifted to uint8, pairs of u8 x s8 products added in
    saturating int16 (vpmaddubsw), accumulated in int32, the shift taken back out."""
    u = a.to(torch.int32) + 128  # (N, K)
    products = u[:, :, None] * w.to(torch.int32)[None]  # (N, K, M)
    pairs = products.view(a.shape[0], a.shape[1] // 2, 2, w.shape[1]).sum(2).clamp(-32768, 32767)  # (N, K/2, M)
    return pairs.sum(1) - 128 * w.to(torch.int32).sum(0)  # (N, M)


@pytest.mark.parametrize("kernel, exact", [(_saturating_int_mm, False),
                                           (lambda a, w: a.to(torch.int32) @ w.to(torch.int32), True)])
def test_the_int8_probe_tells_a_saturating_kernel_from_an_exact_one(monkeypatch, kernel, exact):
    from gliner_bench.runtimes import int8

    monkeypatch.setattr(torch, "_int_mm", kernel)
    int8.int8_product_exact.cache_clear()
    try:
        assert int8.int8_product_exact() is exact
    finally:
        int8.int8_product_exact.cache_clear()
    small = torch.randint(-63, 64, (4, 8), dtype=torch.int8), torch.randint(-63, 64, (8, 3), dtype=torch.int8)
    assert torch.equal(_saturating_int_mm(*small), small[0].int() @ small[1].int())  # 7-bit weights: exact


def test_bf16_without_native_support_falls_back_to_fp32_with_a_warning(span_model, tmp_path, monkeypatch):
    span_model.save_pretrained(tmp_path / "m")
    monkeypatch.setattr(precision, "bf16_supported", lambda: False)
    with pytest.warns(RuntimeWarning, match="using fp32"):
        model = GLiNER.from_pretrained(tmp_path / "m", precision="bf16")
    assert model.precision == "fp32" and model.dtype == torch.float32
    assert _entities(model) == _entities(GLiNER.from_pretrained(tmp_path / "m"))


def test_lower_precision_is_refused_off_the_cpu(tiny_backbone):
    model = make_model(tiny_backbone)
    with pytest.raises(ValueError, match="CPU inference path"):
        precision.apply_precision(model.model, "int8", "cuda")


@exact_int8
@pytest.mark.parametrize("overrides", [{"span_mode": "token_level"}, {"labels_encoder": "backbone"}])
def test_int8_covers_token_models_and_both_bi_encoder_backbones(tiny_backbone, overrides):
    overrides = {k: (tiny_backbone if v == "backbone" else v) for k, v in overrides.items()}
    model = make_model(tiny_backbone, **overrides)
    before = len(model.predict_entities(TEXT, LABELS, threshold=0.0, flat_ner=False))
    assert precision.apply_precision(model.model, "int8") == "int8"
    backbones = [m for m in model.model.modules() if isinstance(m, Backbone)]
    assert len(backbones) == (2 if "labels_encoder" in overrides else 1)
    assert all(not any(type(x) is nn.Linear for x in b.modules()) for b in backbones)
    assert all(any(isinstance(x, Int8Linear) for x in b.modules()) for b in backbones)
    assert len(model.predict_entities(TEXT, LABELS, threshold=0.0, flat_ner=False)) == before


def test_results_of_lower_precision_are_kept_apart_and_say_so():
    assert Job("evaluate", "m", "wnut16", (("batch_size", 8),)).key is None  # fp32 names are unchanged
    assert Job("evaluate", "m", "wnut16", (("precision", "int8"),)).key == "int8"
    assert Job("evaluate", "m", "wnut16", (("precision", "bf16"), ("text_mode", "raw"))).key == "raw-bf16"
    assert Job("throughput", "m", "t", (("batch_size", 8), ("labels", 16), ("precision", "int8"))).key == "b8-l16-int8"


def test_predict_and_evaluate_take_precision(tmp_path, capsys, span_model):
    span_model.save_pretrained(tmp_path / "m")
    assert main(["predict", "--model", str(tmp_path / "m"), "--labels", ",".join(LABELS), "--text", TEXT,
                 "--precision", "int8", "--threshold", "0.0"]) == 0
    assert json.loads(capsys.readouterr().out)
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"tokenized_text": TEXT[:-1].split(), "ner": [[0, 1, "person"], [6, 6, "city"]]}) + "\n")
    assert main(["evaluate", "--models", str(tmp_path / "m"), "--tasks", str(data), "--output", str(tmp_path / "r"),
                 "--precision", "int8", "--no-progress"]) == 0
    files = list((tmp_path / "r" / "evaluate").glob("*.json"))
    assert len(files) == 1 and files[0].stem.endswith("__int8"), files
    assert json.loads(files[0].read_text())["model"]["precision"] == int8_runs()  # what ran


@exact_int8
def test_int8_smooths_each_encoder_linear_from_calibration(span_model, tmp_path):
    """int8 loading calibrates on the package's sentences and smooths every encoder Linear it reached
    (``smoothing.py``); a model converted without calibration is not smoothed."""
    span_model.save_pretrained(tmp_path / "m")
    smoothed = GLiNER.from_pretrained(tmp_path / "m", precision="int8")
    linears = {n: m for n, m in smoothed.model.named_modules() if isinstance(m, Int8Linear)}
    assert all(m.inverse_smoothing is not None for n, m in linears.items() if ".encoder.layer." in n)
    plain = GLiNER.from_pretrained(tmp_path / "m")
    precision.apply_precision(plain.model, "int8")
    assert all(m.inverse_smoothing is None for m in plain.model.modules() if isinstance(m, Int8Linear))
    assert _entities(smoothed, 0.3) == _entities(GLiNER.from_pretrained(tmp_path / "m"), 0.3)


@exact_int8
def test_smoothing_moves_an_outlier_channel_into_the_weights():
    """Activations with one channel 60x the others: per-token int8 alone leaves the other channels ~2 levels;
    smoothed (same function), the product is several times closer to fp32."""
    from gliner_bench.runtimes.smoothing import ALPHA

    gen = torch.Generator().manual_seed(0)
    linear = nn.Linear(64, 48)
    x = torch.randn(200, 64, generator=gen)
    x[:, 5] *= 60
    s = (x.abs().amax(0) ** ALPHA / linear.weight.detach().abs().amax(0) ** (1 - ALPHA)).clamp_min(1e-5)
    with torch.no_grad():
        want = linear(x)
        err_plain = (Int8Linear(linear)(x) - want).abs().mean().item()
        err_smoothed = (Int8Linear(linear, s)(x) - want).abs().mean().item()
    assert err_smoothed < err_plain / 3
