"""``export_onnx``: a loaded uni- or bi-encoder -> an export folder that ``GLiNER.from_pretrained`` runs through
onnxruntime.

The folder holds the checkpoint's ``gliner_config.json`` and tokenizers (as ``save_pretrained`` writes them), the
graphs (``graphs.py``; uni: ``model.onnx``; bi: ``words.onnx``, ``head.onnx``, ``labels.onnx``) and
``onnx_export.json``, written last, which lists them. Batch, length, word and label counts are dynamic axes.

``quantize="int8"``: the encoders' Linear layers are smoothed (``smoothing.py``), then onnxruntime's dynamic
quantisation gives their MatMuls 8-bit weights per output channel (uint8 in the default scheme "u8u8", exact on every
x86 CPU; ``INT8_SCHEMES``) and uint8 activations per tensor; each FFN's second Linear (``FP32_LAYERS``) and the heads
stay fp32.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import warnings
from pathlib import Path

import torch

from ...checkpoints import files as ckpt
from ...config import registry
from ...version import __version__
from ..smoothing import smoothed_copy
from . import FORMAT, FORMAT_VERSION, INSTALL_HINT, MANIFEST_FILE
from .graphs import (
    EXPORTABLE_POOLING,
    HeadGraph,
    LabelsGraph,
    UniGraph,
    WordsGraph,
    label_selection,
    word_selection,
)

EXPORTABLE = registry.names(lambda a: a.exportable)  # the uni- and bi-encoders (config/registry.py)
QUANTIZE = (None, "int8")
# int8 schemes: (onnxruntime weight type, smoothing alpha chosen for it on the WNUT-16 dev split). onnxruntime's x86
# int8 kernels depend on the CPU. With int8 weights (u8 x s8), CPUs without VNNI (AVX2 only) sum pairs of products
# in saturating 16 bits (vpmaddubsw): such an export kept 91.0% of fp32's entities there against 97.9% on a VNNI CPU
# (uni-span, WNUT-16). u8 x u8 products are widened to 16 bits and summed in 32 (vpmaddwd), exact on every x86
# kernel: a u8u8 export gives the same entities on AVX2 and on AVX-512/VNNI CPUs (tests/test_onnx_int8_cpu.py).
# - "u8u8" (the default): the same answers on every CPU; on a VNNI CPU 23% slower than u8s8 (uni-span, 88.7 against
#   115.0 texts/s). Alpha 0.7: the 4 uni/bi defaults kept >= 97.4% of fp32's entities on WNUT-16 dev (0.5: 96.9%,
#   0.6: 96.4%).
# - "u8s8": int8 weights, VNNI's fast path; exact only on CPUs with VNNI, so the runtime refuses it elsewhere.
#   7-bit weights (onnxruntime's reduce_range) would avoid the saturation at u8s8's speed, but kept 95.5-96.4% (min
#   over the 4 defaults, alpha 0.5-0.8): below the bound, not offered. docs/onnx.md, "int8 on every CPU".
INT8_SCHEMES = {"u8u8": ("QUInt8", 0.7), "u8s8": ("QInt8", 0.6)}
INT8_SCHEME = "u8u8"  # the default
OPSET = 17
# Encoder MatMuls int8 quantisation leaves in fp32 (regexes of node names): each FFN's second Linear
# ("output/dense", not "attention/output/dense"). It reads GELU outputs whose outliers smoothing does not flatten:
# every encoder Linear smoothed and quantised, uni-span kept 86.3-95.4% of its fp32 entities on 600 WNUT-16 tweets
# (alpha 0.5-0.85); with this one left in fp32, 97.9-98.9% (alpha 0.6-0.7; docs/onnx.md, "int8").
FP32_LAYERS: tuple[str, ...] = (r"(?<!attention)/output/dense/",)


class ExportError(ValueError):
    """The model cannot be exported as asked; the message says what can."""


def check_exportable(gliner, quantize: str | None) -> None:
    cfg = gliner.config
    if cfg.architecture not in EXPORTABLE:
        raise ExportError(f"ONNX export covers {', '.join(EXPORTABLE)}; {cfg.architecture} runs in torch only.")
    if not cfg.is_token_level and cfg.span_mode != "markerV0":
        raise ExportError(f"ONNX export covers span_mode 'markerV0' and token heads; this model uses "
                          f"{cfg.span_mode!r}: run it in torch.")
    if cfg.subtoken_pooling not in EXPORTABLE_POOLING:
        raise ExportError(f"ONNX export covers subtoken_pooling {', '.join(EXPORTABLE_POOLING)}; this model uses "
                          f"{cfg.subtoken_pooling!r}: run it in torch.")
    if getattr(gliner.model, "has_cross_fuser", False):
        raise ExportError("ONNX export does not cover bi-encoders with a cross-fuser (post_fusion_schema); run "
                          "this model in torch.")
    if gliner.precision != "fp32":
        raise ExportError(f"This model runs in {gliner.precision}; export the fp32 model (load it without "
                          "precision=) and pass quantize='int8' for an int8 export.")
    if getattr(gliner.model, "backend", "torch") != "torch":
        raise ExportError("This model is already an ONNX export; export from the torch checkpoint.")
    if quantize not in QUANTIZE:
        raise ExportError(f"Unknown quantize {quantize!r}; use 'int8' or leave it out for fp32.")


def _example(gliner) -> dict[str, torch.Tensor]:
    """A small prompted batch of two texts of different lengths (padding exercised while tracing)."""
    from ...inference.tokenization import tokenize_batch
    from ...text.labels import normalize_labels

    cfg = gliner.config
    words = [["Alice", "visited", "Paris", "in", "May", "."], ["Bob", "works", "."]]
    prompt = gliner.family.prompt(normalize_labels(["person", "location"]))
    return tokenize_batch(gliner.tokenizer, words, [prompt] * len(words), cfg.subtoken_pooling,
                          case_types=bool(cfg.case_token_types))


def _trace(module: torch.nn.Module, args: tuple, names: list[str], output: str, dynamic: dict, path: Path) -> None:
    module.eval()  # the exporter restores the wrapper's mode afterwards, recursively: it must be eval already
    with warnings.catch_warnings():
        # transformers' mask helpers compare sizes in Python; the comparisons frozen by tracing hold for every
        # size (tests/test_onnx.py runs exports on other batch sizes, lengths and label counts than traced)
        # (TracerWarning), and the exporter notes its own constant folding and indexing choices
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, str(path), input_names=names, output_names=[output], opset_version=OPSET,
                          dynamic_axes=dynamic, dynamo=False, do_constant_folding=True)


def _graphs(gliner, module: torch.nn.Module, directory: Path) -> dict[str, dict]:
    """Trace ``module`` (``gliner.model`` or its smoothed copy) into ``directory``: name -> {"file", "inputs"}."""
    cfg = gliner.config
    batch = _example(gliner)
    sel = word_selection(batch, cfg.subtoken_pooling) | label_selection(batch, cfg.class_token_index,
                                                                        cfg.embed_ent_token)
    with_types = bool(cfg.case_token_types)
    text_names = ["input_ids", "attention_mask"] + (["token_type_ids"] if with_types else [])
    text_args = tuple(batch[n] for n in text_names)
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "token_type_ids": {0: "batch", 1: "tokens"}, "word_pool": {0: "batch", 1: "words", 2: "tokens"},
            "word_mask": {0: "batch", 1: "words"}, "label_pick": {0: "batch", 1: "labels", 2: "tokens"},
            "label_mask": {0: "batch", 1: "labels"}, "words": {0: "batch", 1: "words"},
            "labels": {0: "batch", 1: "labels"}, "logits": {0: "batch", 1: "words", 2: "dim2", 3: "dim3"}}

    def pick(names: list[str]) -> dict:
        return {n: axes[n] for n in names}

    graphs = {}
    if gliner.family.name == "uni":
        names = text_names + ["word_pool", "word_mask", "label_pick", "label_mask"]
        args = text_args + tuple(sel[n] for n in names[len(text_names):])
        _trace(UniGraph(module, with_types), args, names, "logits", pick(names + ["logits"]), directory / "model.onnx")
        return {"model": {"file": "model.onnx", "inputs": names}}
    names = text_names + ["word_pool", "word_mask"]
    words_graph = WordsGraph(module, with_types)
    args = text_args + (sel["word_pool"], sel["word_mask"])
    _trace(words_graph, args, names, "words", pick(names + ["words"]), directory / "words.onnx")
    graphs["words"] = {"file": "words.onnx", "inputs": names}
    words = words_graph(*args)
    labels = torch.randn(words.size(0), 3, cfg.hidden_size)
    head_names = ["words", "word_mask", "labels"]
    _trace(HeadGraph(module), (words, sel["word_mask"], labels), head_names, "logits",
           pick(head_names + ["logits"]), directory / "head.onnx")
    graphs["head"] = {"file": "head.onnx", "inputs": head_names}
    enc = gliner.labels_tokenizer(["person", "geopolitical entity"], padding="longest", return_tensors="pt")
    label_axes = {"input_ids": {0: "labels", 1: "tokens"}, "attention_mask": {0: "labels", 1: "tokens"},
                  "vectors": {0: "labels"}}
    _trace(LabelsGraph(module), (enc["input_ids"], enc["attention_mask"]), ["input_ids", "attention_mask"],
           "vectors", label_axes, directory / "labels.onnx")
    graphs["labels"] = {"file": "labels.onnx", "inputs": ["input_ids", "attention_mask"]}
    return graphs


def quantize_int8(path: Path, scheme: str = INT8_SCHEME) -> None:
    """Dynamic int8 quantisation of the encoder MatMuls of ``path`` in place (heads and pooling stay fp32)."""
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as err:
        raise ImportError(f"int8 export needs onnxruntime and onnx: {INSTALL_HINT}.") from err
    graph = onnx.load(str(path), load_external_data=False).graph
    encoder = ("/bert_layer/", "/labels_encoder/")
    matmuls = [n.name for n in graph.node if n.op_type in ("MatMul", "Gemm")]
    keep_fp32 = [n for n in matmuls if not any(part in n for part in encoder)
                 or any(re.search(p, n) for p in FP32_LAYERS)]
    if len(keep_fp32) == len(matmuls):
        return  # no encoder product in this graph (a head)
    out = path.with_suffix(".int8.onnx")
    logging.disable(logging.WARNING)  # the quantiser logs advice on the root logger for every graph
    try:
        quantize_dynamic(str(path), str(out), weight_type=getattr(QuantType, INT8_SCHEMES[scheme][0]), per_channel=True,
                         op_types_to_quantize=["MatMul", "Gemm"], nodes_to_exclude=keep_fp32)
    finally:
        logging.disable(logging.NOTSET)
    os.replace(out, path)


def export_onnx(gliner, output: str | os.PathLike, quantize: str | None = None, alpha: float | None = None,
                int8_scheme: str = INT8_SCHEME) -> Path:
    """Export ``gliner`` (a uni- or bi-encoder, fp32) to the folder ``output`` (created; files of an earlier export
    there are replaced). Returns the folder. The model is left in the mode it was in. ``int8_scheme`` and ``alpha``
    (default: the scheme's) apply with ``quantize="int8"``."""
    check_exportable(gliner, quantize)
    if int8_scheme not in INT8_SCHEMES:
        raise ExportError(f"Unknown int8 scheme {int8_scheme!r}; use 'u8u8' (the same answers on every x86 CPU) or "
                          "'u8s8' (faster, for CPUs with VNNI only).")
    alpha = INT8_SCHEMES[int8_scheme][1] if alpha is None else alpha
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise ExportError(f"{output} exists and is not a folder; choose a folder for the export.")
    output.mkdir(parents=True, exist_ok=True)
    (output / MANIFEST_FILE).unlink(missing_ok=True)  # an interrupted export is never taken for a whole one
    was_training = gliner.model.training
    gliner.model.eval()
    try:
        graphs = _write(gliner, output, quantize, alpha, int8_scheme)
    finally:
        gliner.model.train(was_training)
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "architecture": gliner.config.architecture,
        "graphs": graphs, "quantize": quantize, "opset": OPSET,
        **({"int8_scheme": int8_scheme, "smoothing_alpha": alpha} if quantize == "int8" else {}), "exported_by": f"gliner-bench {__version__}",
        "torch": torch.__version__, "source_weights_sha256": gliner.weights_digest(),
        "parameters": gliner.num_parameters(),
    }
    if gliner.family.name == "bi":
        manifest["text_vocabulary_size"] = gliner.model.text_vocabulary_size
    (output / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return output


def _write(gliner, output: Path, quantize: str | None, alpha: float, int8_scheme: str) -> dict[str, dict]:
    """Graphs traced (and quantised) in a temporary folder inside ``output``, then config, tokenizers and graphs
    moved into place; returns the graphs for the manifest."""
    with tempfile.TemporaryDirectory(dir=output, prefix=".exporting-") as tmp:
        tmp = Path(tmp)
        with torch.inference_mode(False), torch.no_grad():
            module = gliner.model if quantize is None else smoothed_copy(gliner, alpha)
            graphs = _graphs(gliner, module, tmp)
        if quantize == "int8":
            for graph in graphs.values():
                quantize_int8(tmp / graph["file"], int8_scheme)
        tokenizers = {".": gliner.tokenizer}
        if gliner.labels_tokenizer is not None:
            tokenizers["labels_tokenizer"] = gliner.labels_tokenizer
        ckpt.write_checkpoint_files(output, gliner.config, {}, tokenizers)
        for graph in graphs.values():
            os.replace(tmp / graph["file"], output / graph["file"])
    return graphs
