"""Running an export folder (``export.py``) through onnxruntime behind the ``GLiNER`` API.

``OnnxUniModule`` and ``OnnxBiModule`` stand where the torch module tree stands (``GLiNER.model``) and answer the
calls their family makes (``inference/families/uni.py``, ``inference/families/bi.py``), so words, windows, batching, label caching and
decoding are the same Python code as for torch. They hold no parameters; ``backend`` says what runs them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import FORMAT, FORMAT_VERSION, INSTALL_HINT, MANIFEST_FILE
from .graphs import label_selection, word_selection

SPIN = False  # onnxruntime's idle intra-op threads sleep (its default is to spin; no faster alone, and spinning
# threads slow the torch steps between runs in a process that also hosts torch models)


class ExportFolderError(ValueError):
    """An export folder that cannot be run; the message names what is wrong and the fix."""


def is_export(directory: Path) -> bool:
    return (Path(directory) / MANIFEST_FILE).is_file()


def read_manifest(directory: Path) -> dict:
    path = Path(directory) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise ExportFolderError(f"{path} is not readable JSON ({err}); export the model again with "
                                "`gliner-bench export`.") from err
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ExportFolderError(f"{path} is not a gliner-bench ONNX manifest; export the model again with "
                                "`gliner-bench export`.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ExportFolderError(f"{path} has format version {manifest.get('format_version')!r}; this gliner-bench "
                                f"reads version {FORMAT_VERSION}. Export the model again with this version.")
    for name, graph in manifest.get("graphs", {}).items():
        if not (Path(directory) / graph["file"]).is_file():
            raise ExportFolderError(f"The export folder {directory} lacks {graph['file']} (its {name} graph); "
                                    "copy the whole folder, or export the model again with `gliner-bench export`.")
    return manifest


def _onnxruntime():
    try:
        import onnxruntime
    except ImportError as err:
        raise ImportError(f"Running an ONNX export needs onnxruntime: {INSTALL_HINT}. Or load the torch "
                          "checkpoint the export was made from.") from err
    return onnxruntime


class Graph:
    """One onnxruntime session and the names of its inputs, fed from torch tensors."""

    def __init__(self, path: Path, inputs: list[str], threads: int, spin: bool = SPIN):
        ort = _onnxruntime()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if not spin:  # idle ORT threads would spin through the Python and torch steps between runs
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own exception types for a corrupt file
            raise ExportFolderError(f"onnxruntime cannot load {path}: {err}. Export the model again with "
                                    "`gliner-bench export`.") from err
        # the exporter drops inputs a graph does not read (a token head's word_mask): feed what the session takes
        self.inputs = [i.name for i in self.session.get_inputs()]
        unknown = set(self.inputs) - set(inputs)
        if unknown:
            raise ExportFolderError(f"{path} takes inputs {sorted(unknown)} its manifest does not list; export the "
                                    "model again with `gliner-bench export`.")

    def __call__(self, **tensors: torch.Tensor) -> torch.Tensor:
        feeds = {}
        for name in self.inputs:
            t = tensors[name]
            feeds[name] = t.numpy() if t.is_floating_point() or t.dtype == torch.int64 else t.long().numpy()
        return torch.from_numpy(np.asarray(self.session.run(None, feeds)[0]))


def _float(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to("cpu", torch.float32).contiguous()


class OnnxModule(nn.Module):
    """What both runtimes share: no parameters, CPU only."""

    backend = "onnxruntime"

    def __init__(self, config, graphs: dict[str, Graph], parameter_count: int | None = None):
        super().__init__()
        self.config = config
        self.graphs = graphs
        self.parameter_count = parameter_count  # of the torch model it was exported from

    def _text_feeds(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The batch (on the CPU, as the pipeline builds it for this module) and its word selection; each graph
        takes the entries it reads."""
        return batch | word_selection(batch, self.config.subtoken_pooling)


class OnnxUniModule(OnnxModule):
    """A uni-encoder's ``model.onnx``: ``module(batch)["logits"]``, as ``UniEncoderSpan``/``Token`` answer it."""

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        cfg = self.config
        feeds = self._text_feeds(batch) | label_selection(batch, cfg.class_token_index, cfg.embed_ent_token)
        return {"logits": self.graphs["model"](**feeds)}


class OnnxBiModule(OnnxModule):
    """A bi-encoder's ``words.onnx``, ``head.onnx`` and ``labels.onnx``, answering ``BiFamily``'s calls. The head
    graph applies the label projection itself, so ``label_head`` is the identity here."""

    has_cross_fuser = False

    def __init__(self, config, graphs: dict[str, Graph], text_vocabulary_size: int,
                 parameter_count: int | None = None):
        super().__init__(config, graphs, parameter_count)
        self.text_vocabulary_size = text_vocabulary_size

    def encode_labels(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.graphs["labels"](input_ids=input_ids, attention_mask=attention_mask)  # (N, D)

    def encode_words(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        feeds = self._text_feeds(batch)
        return self.graphs["words"](**feeds), feeds["word_mask"].bool()  # (B, W, D), (B, W)

    def label_head(self, labels: torch.Tensor) -> torch.Tensor:
        return labels

    def span_grid(self, words: torch.Tensor, num_labels: int) -> None:
        return None

    PAIR_BLOCK = 1 << 24  # token heads: (B, W, labels, 4D) values per head run (64 MB of fp32)

    def score(self, words: torch.Tensor, word_mask: torch.Tensor, labels: torch.Tensor, lengths: torch.Tensor,
              grid=None) -> dict[str, torch.Tensor]:
        """Logits (span: B, W, K, C; token: B, W, C, 3). A token head's pair term holds B x W x C x 4D values, so
        labels go through it in blocks (as ``TokenScorer`` does in torch)."""
        if labels.dim() == 2:
            labels = labels.expand(words.size(0), -1, -1)  # (B, C, D)
        words, word_mask, labels = _float(words), _float(word_mask), _float(labels)
        if not self.config.is_token_level:
            return {"logits": self.graphs["head"](words=words, word_mask=word_mask, labels=labels)}
        B, W, D = words.shape
        step = max(1, self.PAIR_BLOCK // max(1, B * W * 4 * D))
        blocks = [self.graphs["head"](words=words, word_mask=word_mask, labels=labels[:, c:c + step].contiguous())
                  for c in range(0, labels.size(1), step)]
        return {"logits": torch.cat(blocks, dim=2) if blocks else words.new_zeros(B, W, 0, 3)}


def check_int8_scheme(directory: Path, manifest: dict, flags: tuple[str, ...] | None = None) -> None:
    """Refuse an int8 export whose products this CPU would compute wrongly: int8 weights ("u8s8", and every int8
    export from before ``int8_scheme`` was recorded) on a CPU without VNNI, where onnxruntime sums their products in
    saturating 16 bits (such an export kept 91% of fp32's entities instead of 98%). ``flags``: the CPU's (default:
    this one's)."""
    from ...measurement.environment import has_vnni

    if manifest.get("quantize") != "int8" or manifest.get("int8_scheme") == "u8u8":
        return
    scheme = manifest.get("int8_scheme") or "u8s8, from an earlier gliner-bench"
    if not has_vnni(flags):
        raise ExportFolderError(
            f"{directory} is an int8 export with int8 weights ({scheme}); this CPU has no VNNI, where onnxruntime's "
            "int8 products saturate and the answers drift from fp32's. Export it again with the default scheme "
            "(`gliner-bench export --quantize int8`: uint8 weights, exact on every x86 CPU), or use the fp32 export.")


@dataclass(frozen=True)
class Export:
    """What ``GLiNER`` is built from for an export folder: the module that runs its graphs, and its tokenizers."""
    module: nn.Module
    tokenizer: object
    labels_tokenizer: object | None
    precision: str  # "fp32", or "int8" for a quantised export
    weights_file: Path  # the first graph: what ``weights_digest`` hashes


def load_export(directory: Path, config, threads: int | None = None) -> Export:
    """An export folder's graphs run by onnxruntime with ``threads`` intra-op threads (default: torch's current
    setting), and its tokenizers; ``GLiNER.from_pretrained`` builds the model from them."""
    from ...checkpoints import files as ckpt

    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest.get("architecture") != config.architecture:
        raise ExportFolderError(f"{directory}: the manifest was written for {manifest.get('architecture')} but "
                                f"gliner_config.json says {config.architecture}; export the model again.")
    check_int8_scheme(directory, manifest)
    threads = threads or torch.get_num_threads()
    graphs = {name: Graph(directory / g["file"], g["inputs"], threads) for name, g in manifest["graphs"].items()}
    tokenizer = ckpt.load_tokenizer(directory, config)
    if "labels" in graphs:
        labels_tokenizer = ckpt.load_labels_tokenizer(directory, config)
        module = OnnxBiModule(config, graphs, int(manifest["text_vocabulary_size"]), manifest.get("parameters"))
    else:
        labels_tokenizer = None
        module = OnnxUniModule(config, graphs, manifest.get("parameters"))
    return Export(module, tokenizer, labels_tokenizer, manifest.get("quantize") or "fp32",
                  directory / next(iter(manifest["graphs"].values()))["file"])
