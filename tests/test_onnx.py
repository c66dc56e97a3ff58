"""ONNX export (``gliner-bench export``) and running an export through onnxruntime (``runtimes/onnx``).

Parity: every exportable reference fixture (uni and bi, tests/fixtures/parity) is exported, loaded back with
``GLiNER.from_pretrained`` and must give the reference's logits within 1e-3 and its entities. The fixtures' texts,
label counts and batch sizes differ from the example the graphs are traced on, so this also checks that no size was
frozen into a graph.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch
from parity_helpers import assert_same_entities, replay_run

from gliner_bench import GLiNER
from gliner_bench.cli import main
from gliner_bench.inference.tokenization import tokenize_batch
from gliner_bench.runtimes.onnx import MANIFEST_FILE
from gliner_bench.runtimes.onnx.export import ExportError, export_onnx
from gliner_bench.runtimes.onnx.runtime import ExportFolderError
from gliner_bench.text.labels import normalize_labels
from gliner_bench.text.prompts import prompt_words

FIXTURES = Path(__file__).parent / "fixtures" / "parity"
STAND_IN = FIXTURES / "tiny_label_tokenizer"  # bi_span_legacy's label tokenizer (see test_parity_bi.py)
UNI = ["span_deberta", "span_fuse_layers", "span_markerV0", "span_nornn_mean", "token_default", "token_deberta",
       "token_proj_fuse_bin"]
BI = ["bi_span", "bi_span_legacy", "bi_token"]
LOGIT_ATOL = 1e-3
SCORE_TOL = 1e-4  # entity scores: sigmoids of logits that agree to ~1e-5


def load_fixture(case: str):
    expected = json.loads((FIXTURES / case / "expected.json").read_text())
    extra = {"labels_tokenizer": STAND_IN} if case == "bi_span_legacy" else {}
    return GLiNER.from_pretrained(FIXTURES / case, **extra), expected


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """case -> (torch model, ONNX model, expected), each fixture exported once for the module."""
    cache = {}

    def get(case):
        if case not in cache:
            model, expected = load_fixture(case)
            folder = export_onnx(model, tmp_path_factory.mktemp(case))
            cache[case] = (model, GLiNER.from_pretrained(folder), expected)
        return cache[case]

    return get


def assert_logits_close(got: torch.Tensor, want, what: str) -> None:
    want = torch.as_tensor(want, dtype=torch.float64)
    assert list(got.shape) == list(want.shape), what
    diff = (got.double() - want).abs().max().item()
    assert diff <= LOGIT_ATOL, f"{what}: ONNX logits differ from the reference's by {diff:.2e}"


def test_the_cases_cover_every_exportable_head_and_encoder_option():
    configs = [json.loads((FIXTURES / c / "gliner_config.json").read_text()) for c in UNI + BI]
    assert {c["span_mode"] for c in configs} == {"markerV0", "token_level"}
    assert {c["subtoken_pooling"] for c in configs} >= {"first", "mean"}
    assert any(c["fuse_layers"] for c in configs) and any(c["num_rnn_layers"] for c in UNI_CONFIGS())
    assert any(c["encoder_config"].get("model_type") == "deberta-v2" for c in configs)


def UNI_CONFIGS():
    return [json.loads((FIXTURES / c / "gliner_config.json").read_text()) for c in UNI]


@pytest.mark.parametrize("case", UNI)
def test_uni_export_gives_the_reference_logits_and_entities(case, exports):
    model, onnx, expected = exports(case)
    assert onnx.backend == "onnxruntime" and model.backend == "torch"
    batch_dependent = model.config.fuse_layers  # the reference pads into its layer weights (test_parity.py)
    for fwd in expected["forward"]:
        if batch_dependent and len(fwd["words"]) > 1:
            continue
        prompt = prompt_words(normalize_labels(fwd["labels"]), onnx.config.ent_token, onnx.config.sep_token)
        batch = tokenize_batch(onnx.tokenizer, fwd["words"], [prompt] * len(fwd["words"]),
                               onnx.config.subtoken_pooling)
        got = onnx.model(batch)["logits"]
        with torch.inference_mode():
            ours = model.model(batch)["logits"]
        lengths = batch["text_lengths"].tolist()
        if model.config.is_token_level:  # the reference's padded words carry garbage logits in token heads
            for b, n in enumerate(lengths):
                assert_logits_close(got[b, :n], torch.tensor(fwd["logits"])[b, :n], "token logits")
        else:
            assert_logits_close(got, fwd["logits"], "span logits")
        assert (got - ours).abs().max().item() <= LOGIT_ATOL
    compared = 0
    for run in expected["runs"]:
        if batch_dependent and run.get("batch_size", 1) > 1:
            continue
        compared += assert_same_entities(*replay_run(onnx, expected["texts"], run), tol=SCORE_TOL)
    assert compared > 0


@pytest.mark.parametrize("case", BI)
def test_bi_export_gives_the_reference_label_vectors_logits_and_entities(case, exports):
    _, onnx, expected = exports(case)
    for fwd in [*expected["forward"], expected["forward_per_text"]]:
        batch = tokenize_batch(onnx.tokenizer, fwd["words"], [[] for _ in fwd["words"]], onnx.config.subtoken_pooling)
        enc = onnx.labels_tokenizer(fwd["encoded_labels"], padding="longest", return_tensors="pt")
        vectors = onnx.model.encode_labels(enc["input_ids"], enc["attention_mask"])
        assert_logits_close(vectors, fwd["label_vectors"], "label vectors")
        position = {label: i for i, label in enumerate(fwd["encoded_labels"])}
        rows = fwd["labels"] if isinstance(fwd["labels"][0], list) else [fwd["labels"]] * len(fwd["words"])
        index = torch.zeros(len(rows), max(map(len, rows)), dtype=torch.long)
        mask = torch.zeros(index.shape)
        for b, row in enumerate(rows):
            index[b, : len(row)] = torch.tensor([position[x] for x in row])
            mask[b, : len(row)] = 1
        words, word_mask = onnx.model.encode_words(batch)
        logits = onnx.model.score(words, word_mask, vectors[index] * mask[..., None], batch["text_lengths"])["logits"]
        assert_logits_close(logits, fwd["logits"], "logits")
    compared = 0
    for run in expected["runs"]:
        compared += assert_same_entities(*replay_run(onnx, expected["texts"], run), tol=SCORE_TOL)
    assert compared > 0


def test_long_texts_many_labels_and_batches_unlike_the_traced_example(exports):
    """Windows of a long text, more labels than traced, a batch of 5: same entities as torch."""
    model, onnx, _ = exports("span_markerV0")
    texts = ["Angela Merkel met Emmanuel Macron in Paris on Monday . " * 40, "Tim Cook of Apple in Cupertino .",
             "Marie Curie won the Nobel Prize", "in", "Oxford University , New York , London and Berlin"]
    labels = ["person", "organization", "location", "date", "company", "city", "country"]
    want = model.inference(texts, labels, threshold=0.3, batch_size=5)
    got = onnx.inference(texts, labels, threshold=0.3, batch_size=5)
    assert sum(map(len, want)) > 10
    assert_same_entities(got, want, tol=SCORE_TOL)


def test_export_leaves_the_model_in_its_mode_and_the_folder_whole(span_model, tmp_path):
    span_model.eval()
    before = span_model.inference(["Angela Merkel met Emmanuel Macron in Paris ."], ["person", "city"], threshold=0.3)
    folder = export_onnx(span_model, tmp_path / "export")
    assert not span_model.model.training  # the exporter would leave dropout on if not restored
    assert span_model.inference(["Angela Merkel met Emmanuel Macron in Paris ."], ["person", "city"],
                                threshold=0.3) == before
    names = {p.name for p in folder.iterdir()}
    assert {"model.onnx", MANIFEST_FILE, "gliner_config.json"} <= names and not any(n.startswith(".") for n in names)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["architecture"] == "UniEncoderSpan" and manifest["quantize"] is None
    onnx = GLiNER.from_pretrained(folder)
    assert onnx.num_parameters() == span_model.num_parameters() and onnx.device.type == "cpu"


@pytest.mark.parametrize("overrides", [{}, {"span_mode": "token_level"}])
def test_int8_export_quantises_the_encoder_and_stays_close(tiny_backbone, tmp_path, overrides):
    from conftest import make_model

    model = make_model(tiny_backbone, **overrides)
    fp32 = GLiNER.from_pretrained(export_onnx(model, tmp_path / "fp32"))
    int8 = GLiNER.from_pretrained(export_onnx(model, tmp_path / "int8", quantize="int8"))
    assert int8.precision == "int8" and fp32.precision == "fp32"
    import onnx

    nodes = onnx.load(str(tmp_path / "int8" / "model.onnx")).graph.node
    integer = [n.name for n in nodes if n.op_type in ("MatMulInteger", "DynamicQuantizeMatMul")]
    assert integer and all("/bert_layer/" in n for n in integer)  # the encoder's products, not the heads'
    assert any(n.op_type == "MatMul" and "/bert_layer/" not in n.name for n in nodes)  # heads stay fp32
    words = [["angela", "merkel", "met", "emmanuel", "macron", "in", "paris", "on", "monday"]]
    prompt = prompt_words(normalize_labels(["person", "city"]), model.config.ent_token, model.config.sep_token)
    batch = tokenize_batch(model.tokenizer, words, [prompt], model.config.subtoken_pooling)
    a, b = fp32.model(batch)["logits"], int8.model(batch)["logits"]
    assert not torch.equal(a, b)  # the graph really changed
    assert (a - b).abs().max().item() < 0.1 * a.abs().max().item()


@pytest.mark.parametrize("case, message", [
    ("span_marker_proj_bin", "span_mode 'markerV0'"),
    ("bi_span_fuser", "cross-fuser"),
    ("relex_span_dot", "runs in torch only"),
])
def test_what_cannot_be_exported_is_refused_before_anything_is_written(case, message, tmp_path):
    model, _ = load_fixture(case)
    with pytest.raises(ExportError, match=message):
        export_onnx(model, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_lower_precision_and_unknown_quantisation_are_refused(span_model, tmp_path, monkeypatch):
    from gliner_bench.runtimes import int8

    with pytest.raises(ExportError, match="quantize"):
        export_onnx(span_model, tmp_path / "a", quantize="int4")
    monkeypatch.setattr(int8, "int8_product_exact", lambda: True)  # the torch int8 path, on any CPU
    span_model.set_precision("int8")
    with pytest.raises(ExportError, match="export the fp32 model"):
        export_onnx(span_model, tmp_path / "b")


def test_a_folder_missing_a_graph_or_with_a_broken_one_is_a_clear_error(span_model, tmp_path):
    folder = export_onnx(span_model, tmp_path / "export")
    (folder / "model.onnx").rename(tmp_path / "moved.onnx")
    with pytest.raises(ExportFolderError, match="lacks model.onnx.*export the model again"):
        GLiNER.from_pretrained(folder)
    (folder / "model.onnx").write_bytes(b"not a graph")
    with pytest.raises(ExportFolderError, match="onnxruntime cannot load"):
        GLiNER.from_pretrained(folder)
    (folder / MANIFEST_FILE).write_text("{broken")
    with pytest.raises(ExportFolderError, match="not readable JSON"):
        GLiNER.from_pretrained(folder)


def test_without_onnxruntime_the_error_says_what_to_install(span_model, tmp_path, monkeypatch):
    folder = export_onnx(span_model, tmp_path / "export")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime -> ImportError
    with pytest.raises(ImportError, match=r"gliner-bench\[onnx\]"):
        GLiNER.from_pretrained(folder)


def test_an_export_refuses_what_needs_the_torch_model(span_model, tmp_path):
    onnx = GLiNER.from_pretrained(export_onnx(span_model, tmp_path / "export"))
    with pytest.raises(ValueError, match="save_pretrained needs the torch model"):
        onnx.save_pretrained(tmp_path / "saved")
    assert not (tmp_path / "saved").exists()
    with pytest.raises(ValueError, match="set_precision needs the torch model"):
        onnx.set_precision("bf16")
    with pytest.raises(ValueError, match="compile needs the torch model"):
        onnx.compile()
    for kwargs in ({"precision": "int8"}, {"map_location": "cuda"}):
        with pytest.raises(ValueError, match="precision it was exported with"):
            GLiNER.from_pretrained(tmp_path / "export", **kwargs)
    with pytest.raises(ExportError, match="already an ONNX export"):
        export_onnx(onnx, tmp_path / "again")


def test_cli_export_then_predict(span_model, tmp_path, capsys):
    span_model.save_pretrained(tmp_path / "ckpt")
    assert main(["export", "--model", str(tmp_path / "ckpt"), "--output", str(tmp_path / "onnx")]) == 0
    assert "UniEncoderSpan as ONNX (fp32" in capsys.readouterr().out
    text = "angela merkel met emmanuel macron in paris on monday"
    assert main(["predict", "--model", str(tmp_path / "onnx"), "--labels", "person,city", "--text", text,
                 "--threshold", "0.2"]) == 0
    got = json.loads(capsys.readouterr().out)
    want = span_model.inference([text], ["person", "city"], threshold=0.2)[0]
    assert_same_entities([got if isinstance(got, list) else [got]], [want], tol=SCORE_TOL)


@pytest.mark.parametrize("name", ["uni-span", "bi-token"])
def test_a_bundled_default_exported_gives_its_entities(name, tmp_path):
    """The packaged weights (MiniLM, 6 layers), not only the tiny fixtures: same entities and scores as torch."""
    from gliner_bench.app.examples import COMPARE

    model = GLiNER.from_pretrained(f"bundled:{name}")
    onnx = GLiNER.from_pretrained(export_onnx(model, tmp_path / name))
    texts = [example.text for example in COMPARE]
    labels = ["person", "organization", "location", "date", "company", "city", "country"]
    want = model.inference(texts, labels, threshold=0.3)
    assert sum(map(len, want)) >= len(texts)
    assert_same_entities(onnx.inference(texts, labels, threshold=0.3), want, tol=SCORE_TOL)


def test_smoothing_keeps_the_function_and_flattens_the_activations(span_model):
    """The smoothed copy an int8 export is traced from computes the same logits in fp32, from activations whose
    channels are more even (what per-tensor int8 activations need)."""
    from gliner_bench.runtimes.smoothing import SmoothedLinear, activation_maxima, smoothed_copy

    with torch.no_grad():  # one outlier channel into the first layer's inputs, as real BERT encoders have
        span_model.model.token_rep_layer.bert_layer.model.embeddings.LayerNorm.weight[3] *= 50
    smoothed = smoothed_copy(span_model)
    swapped = [m for m in smoothed.modules() if isinstance(m, SmoothedLinear)]
    assert len(swapped) == 6 * 2 + 1  # 2 layers x (query, key, value, attention output, intermediate, output), pooler
    assert not any(isinstance(m, SmoothedLinear) for m in span_model.model.modules())  # the model is untouched
    words = [["angela", "merkel", "met", "emmanuel", "macron", "in", "paris"]]
    prompt = prompt_words(normalize_labels(["person", "city"]), span_model.config.ent_token,
                          span_model.config.sep_token)
    batch = tokenize_batch(span_model.tokenizer, words, [prompt], span_model.config.subtoken_pooling)
    with torch.inference_mode():
        want, got = span_model.model(batch)["logits"], smoothed(batch)["logits"]
    assert (want - got).abs().max().item() < 1e-4
    maxima = activation_maxima(span_model)
    ratio = {n: float(m.max() / m.mean()) for n, m in maxima.items()}
    layer = swapped[0]
    name = next(n for n, m in smoothed.named_modules() if m is layer)
    flat = maxima[name] * layer.inverse_scale
    assert ratio[name] > 10 and float(flat.max() / flat.mean()) < ratio[name] / 3


def test_a_token_head_scores_many_labels_in_blocks_with_the_same_logits(exports, monkeypatch):
    from gliner_bench.runtimes.onnx.runtime import OnnxBiModule

    _, onnx, expected = exports("bi_token")
    fwd = expected["forward"][0]
    batch = tokenize_batch(onnx.tokenizer, fwd["words"], [[] for _ in fwd["words"]], onnx.config.subtoken_pooling)
    words, word_mask = onnx.model.encode_words(batch)
    labels = torch.randn(words.size(0), 7, words.size(-1))
    whole = onnx.model.score(words, word_mask, labels, batch["text_lengths"])["logits"]
    monkeypatch.setattr(OnnxBiModule, "PAIR_BLOCK", words.size(0) * words.size(1) * 4 * words.size(-1) * 2)
    blocked = onnx.model.score(words, word_mask, labels, batch["text_lengths"])["logits"]  # blocks of 2 labels
    assert whole.shape == (words.size(0), words.size(1), 7, 3)
    assert torch.allclose(whole, blocked, atol=1e-6)
