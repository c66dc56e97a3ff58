"""The public API: ``GLiNER.from_pretrained``, ``predict_entities``, ``inference``, ``save_pretrained``.

Names, arguments and output format are the reference's, so switching is one import; ``GLiNER`` is a
``torch.nn.Module`` as the reference's is (``eval``, ``to``, ``parameters``, ``state_dict``, ``half`` ...). It holds
no family logic: loading is ``assembly.py``, the pipeline ``pipeline.py``, and what differs between families a
``families.Family``, chosen once from ``config.family``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .checkpoints import assembly, delta
from .checkpoints import files as ckpt
from .config import GLiNERConfig
from .config.capabilities import Capabilities
from .inference.families import TextPrediction, family_class, module_device
from .inference.options import CallOptions
from .inference.pipeline import Pipeline, Settings
from .inference.tokenization import WordTokenizer
from .text.labels import LabelSet, normalize_labels

Labels = Sequence[str] | Mapping[str, str]

# ``from_pretrained``'s own keywords (a misspelt one is suggested among these and the reference's).
_FROM_PRETRAINED_KEYWORDS = ("map_location", "revision", "cache_dir", "local_files_only", "max_length",
                             "labels_tokenizer", "decoder_tokenizer", "word_splitter", "precision")


class GLiNER(nn.Module):
    """A GLiNER model of any implemented architecture, with its tokenizers and config.

    An instance is always of its architecture's subclass (``UniEncoderSpanGLiNER``, ..., as the reference's
    ``from_pretrained`` returns): ``isinstance`` checks and ``type(model).__name__`` read as they do there.
    """

    architecture: str | None = None  # set by each architecture's subclass

    def __init__(self, config: GLiNERConfig, model: nn.Module, tokenizer, passthrough=None, labels_tokenizer=None,
                 decoder_tokenizer=None):
        super().__init__()
        _become_architecture_class(self, config.architecture)
        self.config = config
        self.model = model  # the architecture's module tree (modeling/), under the reference's key names
        self.tokenizer = tokenizer
        self.labels_tokenizer = labels_tokenizer  # bi-encoders only
        self.decoder_tokenizer = decoder_tokenizer  # decoders only
        self._passthrough = dict(passthrough or {})  # saved-but-unused tensors, written back on save
        self.weights_file: Path | None = None  # set by from_pretrained: what weights_digest hashes
        self.precision = "fp32"  # what the encoders run in (precision.py); set_precision changes it
        self.max_tokens = assembly.max_tokens(tokenizer, config)
        self._bind_family()
        self.eval()

    def _bind_family(self) -> None:
        """The family's steps and the pipeline, on the current ``self.model``."""
        self.family = family_class(self.config.family)(self.model, self.config, self.tokenizer,
                                                       labels_tokenizer=self.labels_tokenizer,
                                                       decoder_tokenizer=self.decoder_tokenizer)
        words = WordTokenizer(self.tokenizer, self.max_tokens, self.config.subtoken_pooling,
                              self.config.case_token_types)
        self.pipeline = Pipeline(self.family, words, self.max_tokens)

    def __setattr__(self, name: str, value) -> None:
        if name == "model" and "family" in self.__dict__:
            raise AttributeError("Replace the module with model.replace_module(module), which also rebinds the "
                                 "family's steps and the pipeline to it.")
        super().__setattr__(name, value)

    def replace_module(self, module: nn.Module) -> GLiNER:
        """Run inference on ``module`` (the same architecture, e.g. a modified or quantised copy) from now on."""
        super().__setattr__("model", module)
        self._bind_family()
        return self

    def text_encoder(self) -> nn.Module:
        """The transformer that encodes the text (the backbone's own model): what training's encoder learning rate
        and LoRA adapters apply to."""
        self._refuse_on_onnx("text_encoder", "train the torch checkpoint the export came from")
        return self.model.token_rep_layer.bert_layer.model

    def compile(self, *args, **kwargs) -> GLiNER:
        """``torch.compile`` the architecture's module in place (what inference runs), as the reference does."""
        self._refuse_on_onnx("compile", "onnxruntime optimises the graph when it loads it")
        self.model.compile(*args, **kwargs)
        return self

    @classmethod
    def _from_parts(cls, parts: assembly.Parts) -> GLiNER:
        gliner = cls(parts.config, parts.module, parts.tokenizer, parts.passthrough, parts.labels_tokenizer,
                     parts.decoder_tokenizer)
        gliner.weights_file = parts.weights_file
        return gliner

    # ------------------------------------------------------------------------------------ loading
    @classmethod
    def from_pretrained(cls, model_id: str | os.PathLike, map_location: str = "cpu", revision: str | None = None,
                        cache_dir: str | None = None, local_files_only: bool = False,
                        max_length: int | None = None, labels_tokenizer=None, decoder_tokenizer=None,
                        word_splitter: str | None = None, precision: str = "fp32", **reference_keywords) -> GLiNER:
        """Load a checkpoint directory, a hub id, or ``bundled:<name>`` (a default shipped in the package), in
        the reference's layout or our compact one (``delta.py``).

        ``labels_tokenizer`` (bi-encoders) and ``decoder_tokenizer`` (decoders), a tokenizer or a directory,
        override the checkpoint's own, as upstream: older checkpoints have no ``labels_tokenizer/`` or
        ``decoder_tokenizer/`` folder and name the label encoder's or decoder's hub id. ``word_splitter``: how
        plain text is split into words (``splitting.SPLITTERS``: "unicode", or the reference's "whitespace");
        default: the checkpoint's own, and ``save_pretrained`` keeps the choice. ``precision``: what the encoders
        run in on CPU, "fp32" (default), "bf16" or "int8" (``precision.py``; heads stay fp32).

        Every other keyword of the reference's ``from_pretrained`` is accepted (``load_options.py``): ``token``,
        ``force_download``, ``quantize="int8"``, ``dtype``, ``compile_torch_model``, ``max_width`` and
        ``load_onnx_model`` do what they do there; the rest are ignored with one warning that says why.
        """
        from .checkpoints import load_options
        from .checkpoints.bundled import BUNDLED_PREFIX, bundled_path
        from .runtimes.onnx import runtime as onnx_runtime
        from .runtimes.precision import check_precision

        extra = load_options.read(reference_keywords, _FROM_PRETRAINED_KEYWORDS)
        if extra.precision is not None:
            if precision not in ("fp32", extra.precision):
                raise ValueError(f"precision={precision!r} and quantize/dtype (-> {extra.precision!r}) disagree; "
                                 "pass one of them.")
            precision = extra.precision
        check_precision(precision)  # before any loading work
        if str(model_id).startswith(BUNDLED_PREFIX):
            model_id = bundled_path(str(model_id)[len(BUNDLED_PREFIX):])
        directory = ckpt.resolve_checkpoint_dir(model_id, revision, cache_dir, local_files_only,
                                                token=extra.token, force_download=extra.force_download)
        config = ckpt.read_config(directory)
        if extra.expect_onnx and not onnx_runtime.is_export(directory):
            raise ValueError(f"load_onnx_model=True, but {directory} holds no gliner-bench ONNX export; make one "
                             "with `gliner-bench export --model <checkpoint> --output <folder>` and load that folder.")
        if extra.max_width is not None:
            config.max_width = extra.max_width
        if max_length is not None:  # the window asked for, instead of the checkpoint's own (window_words)
            config.max_len, config.window_words = max_length, None
        if word_splitter is not None:
            config.word_splitter = word_splitter
            config.__post_init__()  # validates it
        if onnx_runtime.is_export(directory):  # a `gliner-bench export` folder: run by onnxruntime
            if precision != "fp32" or torch.device(map_location).type != "cpu":
                raise ValueError("An ONNX export runs on the CPU in the precision it was exported with; load it "
                                 "without precision= and map_location=, or export with --quantize int8.")
            export = onnx_runtime.load_export(directory, config)
            gliner = cls(config, export.module, export.tokenizer, labels_tokenizer=export.labels_tokenizer)
            gliner.precision, gliner.weights_file = export.precision, export.weights_file
            return gliner
        if delta.is_delta(directory) and not any((directory / f).is_file()
                                                 for f in (ckpt.SAFETENSORS_FILE, ckpt.PICKLE_FILE)):
            gliner = cls._from_delta(directory, config).to(map_location)
        else:
            parts = assembly.parts_from_directory(directory, config, labels_tokenizer, decoder_tokenizer)
            gliner = cls._from_parts(parts).to(map_location)
        gliner.set_precision(precision)
        return gliner.compile() if extra.compile else gliner

    @classmethod
    def _from_delta(cls, directory: Path, config: GLiNERConfig) -> GLiNER:
        """A compact checkpoint (``delta.py``): the model built on its pretrained backbones, then the delta."""
        tensors, meta = delta.read_delta(directory)
        stored = (config.class_token_index, config.rel_token_index, config.vocab_size)
        gliner = cls.from_config(config, backbone_from_pretrained=True, seed=None)
        if (config.class_token_index, config.rel_token_index, config.vocab_size) != stored:
            raise ckpt.CheckpointError(
                f"{directory}: the base tokenizer of {config.model_name!r} gives the prompt tokens other ids "
                f"than the delta was trained with ({stored}); is the packaged base model the same version?")
        delta.apply_delta(gliner, tensors, meta, str(directory))
        gliner.weights_file = directory / ckpt.DELTA_FILE
        return gliner.eval()

    @classmethod
    def from_config(cls, config: GLiNERConfig | Mapping[str, Any], backbone_from_pretrained: bool = True,
                    seed: int | None = 0) -> GLiNER:
        """A new model: the backbone's pretrained weights (when asked) and freshly initialised heads."""
        config = GLiNERConfig.from_dict(dict(config)) if isinstance(config, Mapping) else config
        return cls._from_parts(assembly.parts_from_config(config, backbone_from_pretrained, seed))

    def set_precision(self, precision: str) -> GLiNER:
        """Run the encoders in ``precision`` ("fp32", "bf16", "int8"; ``precision.py``), in place, once;
        ``self.precision`` says what took effect (bf16 falls back to fp32, with a warning, on a CPU without native
        bfloat16). int8 first calibrates on the package's sample sentences (``smoothing.py``; 1.2-1.5 s for a
        bundled default on 2 CPU threads)."""
        from .runtimes.precision import apply_precision
        from .runtimes.smoothing import activation_maxima

        self._refuse_on_onnx("set_precision", "export with --quantize int8 for an int8 graph")
        if self.precision != "fp32" and precision != self.precision:
            raise ValueError(f"This model already runs in {self.precision}; load it again for {precision}.")
        if precision != self.precision:
            self.precision = apply_precision(self.model, precision, self.device,
                                             calibrate=lambda: activation_maxima(self))
            self.clear_label_cache()  # label vectors cached in fp32 (calibration) are not this precision's
        return self

    # ------------------------------------------------------------------------------------ the reference's helpers
    def quantize(self, dtype: str = "int8") -> None:
        """The reference's ``quantize("int8")``: our int8 encoders (``set_precision("int8")``), in place; fp32 with a
        warning on a CPU whose int8 product saturates (``precision.py``). As in the reference: the name is
        case-insensitive, a non-string is a ``TypeError``, half precisions are refused with the loading keyword to
        use instead, and an ONNX model is a ``RuntimeError``."""
        if not isinstance(dtype, str):
            raise TypeError(f"quantize expects a string dtype, 'int8'; got {dtype!r}.")
        name = dtype.lower()
        if name in ("fp16", "float16", "half", "bf16", "bfloat16"):
            raise ValueError(f"quantize({dtype!r}): half precision is no longer supported by quantize() (only "
                             "'int8' is a quantisation); load with dtype='bfloat16' (bfloat16 encoders on a CPU that "
                             "has it). float16 is not a CPU inference precision here.")
        if name != "int8":
            raise ValueError(f"Unknown quantize dtype {dtype!r}: only 'int8'.")
        if self.backend != "torch":
            raise RuntimeError(f"quantize() needs the torch model; this one is an ONNX export run by {self.backend}: "
                               "export with quantize=True (gliner-bench export --quantize int8) for an int8 graph.")
        self.set_precision("int8")

    def export_to_onnx(self, save_dir: str | os.PathLike, onnx_filename: str = "model.onnx",
                       quantized_filename: str = "model_quantized.onnx", quantize: bool = False, opset: int = 19,
                       **export_kwargs) -> dict[str, str | None]:
        """The reference's ``export_to_onnx``, writing our export folder (``gliner-bench export``; load it with
        ``from_pretrained(save_dir)``). Our graphs are named in the folder's ``onnx_export.json``, so the file name
        and opset arguments are not used; ``quantize=True`` writes the int8 export instead of the fp32 one.
        Returns ``{"onnx_path": ..., "quantized_path": ...}``: the folder, under the key of what was written."""
        from .runtimes.onnx.export import export_onnx

        if export_kwargs:
            raise TypeError(f"export_to_onnx: {', '.join(export_kwargs)} are reference tracing options gliner-bench "
                            "does not take; leave them out.")
        folder = str(export_onnx(self, save_dir, quantize="int8" if quantize else None))
        return {"onnx_path": None if quantize else folder, "quantized_path": folder if quantize else None}

    def evaluate(self, test_data: Sequence[dict], flat_ner: bool = False, multi_label: bool = False,
                 threshold: float = 0.5, batch_size: int = 12, entity_types: Sequence[str] | None = None
                 ) -> tuple[str, float]:
        """The reference's ``evaluate`` -> ``("P: ..%\tR: ..%\tF1: ..%\n", f1)`` on its data format
        (``evaluation/reference_api.py``). Relation extraction models are refused: the reference's relex
        ``evaluate`` returns entity and relation reports, which gliner-bench does not compute in that shape."""
        from .evaluation.reference_api import evaluate

        if self.config.family == "relex":
            raise NotImplementedError("evaluate() on a relex model: the reference's ((entity report, F1), (relation "
                                      "report, F1)) is not implemented; score relations with `gliner-bench evaluate` "
                                      "(docs/evaluation.md) or entities with a uni-encoder checkpoint.")
        return evaluate(self, test_data, flat_ner=flat_ner, multi_label=multi_label, threshold=threshold,
                        batch_size=batch_size, entity_types=entity_types)

    def create_training_args(self, output_dir: str | os.PathLike, **kwargs):
        """The reference's ``create_training_args``, its names and defaults (``training/reference_api.py``):
        a ``TrainingArguments`` for ``train_model``."""
        from .training.reference_api import create_training_args

        return create_training_args(output_dir, **kwargs)

    def train_model(self, train_dataset: Sequence[dict], eval_dataset: Sequence[dict] | None = None,
                    training_args=None, freeze_components: Sequence[str] | None = None, compile_model: bool = False,
                    output_dir: str | os.PathLike | None = None, **training_kwargs):
        """The reference's ``train_model``: trains this model in place on the reference's data format, saves
        ``final/`` under the output folder, and returns a ``TrainResult`` (``training/reference_api.py``) instead
        of a transformers ``Trainer``."""
        from .training.reference_api import train_model

        return train_model(self, train_dataset, eval_dataset, training_args, freeze_components, compile_model,
                           output_dir, **training_kwargs)

    def save_pretrained(self, save_directory: str | os.PathLike, safe_serialization: bool = True,
                        word_splitter: str | None = None) -> Path:
        """Write a checkpoint in the reference's layout (the reference loads it and gives the same outputs).

        ``word_splitter="whitespace"`` saves the reference's splitter in the checkpoint, so plain text splits into
        the same words in both packages; by default the model's own is kept, and a checkpoint saved with our
        "unicode" splitter splits plain text differently in the reference, which ignores the field
        (docs/compatibility.md, "Word splitting"). The model in memory is unchanged."""
        self._refuse_on_onnx("save_pretrained", "copy the export folder, or save the torch checkpoint it came from")
        if self.precision != "fp32":
            raise ValueError(f"This model runs in {self.precision}; save the fp32 model instead (load it without "
                             "precision=) and choose the precision when loading.")
        config = self.config
        if word_splitter is not None:
            config = dataclasses.replace(self.config, word_splitter=word_splitter)  # validated by __post_init__
        state = {**self.model.state_dict(), **self._passthrough}
        return ckpt.write_checkpoint(save_directory, config, state, self.tokenizer, safe_serialization,
                                     labels_tokenizer=self.labels_tokenizer, decoder_tokenizer=self.decoder_tokenizer)

    def forward(self, *args, **kwargs):
        """The architecture's forward pass (``self.model``), as the reference's ``GLiNER.forward``."""
        return self.model(*args, **kwargs)

    # ------------------------------------------------------------------------------------ introspection
    @property
    def backend(self) -> str:
        """What runs the model: "torch", or "onnxruntime" for an export folder (``runtimes/onnx``)."""
        return getattr(self.model, "backend", "torch")

    def _refuse_on_onnx(self, action: str, instead: str) -> None:
        if self.backend != "torch":
            raise ValueError(f"{action} needs the torch model; this one is an ONNX export run by {self.backend}: "
                             f"{instead}.")

    @property
    def device(self) -> torch.device:
        return module_device(self.model)

    @property
    def dtype(self) -> torch.dtype:
        p = next(self.model.parameters(), None)
        return torch.float32 if p is None else p.dtype

    @property
    def capabilities(self) -> Capabilities:
        """What this model can do (relations, generated labels, cached label embeddings, prompted labels)."""
        return self.family.capabilities

    def num_parameters(self) -> int:
        """Parameters of every module (encoders, heads, label encoder, decoder LM); for an ONNX export, those of the
        model it was exported from."""
        if self.backend != "torch":
            return self.model.parameter_count
        return sum(p.numel() for p in self.model.parameters())

    def weights_digest(self) -> str | None:
        """SHA-256 of the weights file this model was loaded from (``None`` for a model built in memory)."""
        if self.weights_file is None:
            return None
        digest = hashlib.sha256()
        with open(self.weights_file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def count_tokens(self, text: str | Sequence[str]) -> int:
        """Encoder tokens of a text (or of pre-split words joined by spaces), special tokens included."""
        return len(self.tokenizer(text if isinstance(text, str) else " ".join(text))["input_ids"])

    # ------------------------------------------------------------------------------------ inference
    @torch.inference_mode()
    def predict(self, texts: str | Sequence[str], labels: Labels | Sequence[Labels], flat_ner: bool = True,
                threshold: float = 0.5, multi_label: bool = False, batch_size: int = 8,
                **options) -> list[TextPrediction]:
        """One ``TextPrediction`` per text for every family: ``entities`` and, for relex models, ``relations``.

        ``options``: the family's keywords (see ``inference``); a keyword the family does not take is an error.
        """
        texts = [texts] if isinstance(texts, str) else list(texts)  # an item may be a list of pre-split words
        _check_texts(texts)
        settings = _settings(flat_ner, threshold, multi_label, batch_size)
        label_sets, label_of_text = _label_sets(labels, len(texts))
        call = CallOptions.from_keywords(threshold, **options)
        if call.label_embeddings is not None:
            call = _with_checked_embeddings(call, labels, label_sets, self.config, self.family.accepts)
        return self.pipeline.run(texts, label_sets, label_of_text, settings, call, self.device)

    def inference(self, texts: str | Sequence[str], labels: Labels | Sequence[Labels], flat_ner: bool = True,
                  threshold: float = 0.5, multi_label: bool = False, batch_size: int = 8, *,
                  return_relations: bool = True, **options):
        """Entities of each text (``[[{"start", "end", "text", "label", "score"}, ...], ...]``, char offsets, end
        exclusive). ``labels``: one label set for all texts, or one per text; a ``{name: description}`` mapping
        prompts the descriptions and returns the names.

        Positional arguments follow the reference (``texts, labels, flat_ner, threshold, multi_label, batch_size``);
        family options are keywords only.

        Texts longer than the encoder's window are split into windows that overlap by more than ``max_width``
        words and their entities merged; nothing is truncated.

        Family options, by the reference's keyword names:
        - bi-encoders: ``label_embeddings`` from ``encode_labels(labels)`` skip the label encoder (otherwise label
          vectors come from a bounded cache).
        - relex: ``relations`` (labels, optional), ``adjacency_threshold`` and ``relation_threshold`` (default
          ``threshold``); returns ``(entities, relations)``, a relation being ``{"head": {"start", "end", "text",
          "type", "entity_idx"}, "tail": {...}, "relation", "score"}`` with ``entity_idx`` into that text's entities
          (``return_relations=False``: the entities alone).
        - decoders: every entity gains ``generated_labels`` (up to ``num_gen_sequences`` names, greedy or beam
          search), restricted to ``gen_constraints`` when given; ``generate_labels=False`` skips generation;
          other keywords (``max_new_tokens=15``, ``do_sample``, ``temperature`` ...) go to ``generate``. In
          ``decoder_mode="prompt"`` each entity's ``label`` is the name generated for its label slot.
        """
        predictions = self.predict(texts, labels, flat_ner, threshold, multi_label, batch_size, **options)
        entities = [p.entities for p in predictions]
        if self.capabilities.relations and return_relations:  # the reference's relex return shape
            return entities, [p.relations for p in predictions]
        return entities

    def predict_entities(self, text: str, labels: Labels, flat_ner: bool = True, threshold: float = 0.5,
                         multi_label: bool = False, **options) -> list[dict[str, Any]]:
        """Entities of one text, sorted by start (relex: ``relations`` are prompted too, only entities returned)."""
        return self.predict([text], labels, flat_ner, threshold, multi_label, **options)[0].entities

    def predict_relations(self, text: str, labels: Labels, relations: Labels, flat_ner: bool = True,
                          threshold: float = 0.5, adjacency_threshold: float | None = None,
                          relation_threshold: float | None = None, multi_label: bool = False,
                          ) -> tuple[list[dict], list[dict]]:
        """Relex models: ``(entities, relations)`` of one text (see ``inference``); the reference's argument order."""
        result = self.predict([text], labels, flat_ner, threshold, multi_label, relations=relations,
                              adjacency_threshold=adjacency_threshold, relation_threshold=relation_threshold)[0]
        return result.entities, result.relations

    def batch_predict_entities(self, texts: Sequence[str], labels: Labels, flat_ner: bool = True,
                               threshold: float = 0.5, multi_label: bool = False, **options) -> list[list[dict]]:
        """The reference's older name for ``inference``."""
        return self.inference(texts, labels, flat_ner, threshold, multi_label, **options)

    # ------------------------------------------------------------------------------------ label embeddings
    def encode_labels(self, labels: Labels, batch_size: int = 64) -> torch.Tensor:
        """Label vectors ``(len(labels), D)`` for a bi-encoder, to pass as ``label_embeddings`` later.

        One row per label as given (a ``{name: description}`` mapping encodes the descriptions).
        """
        if not self.capabilities.label_embeddings:
            raise ValueError(f"encode_labels needs a bi-encoder; this model is {self.config.architecture}, whose "
                             "labels are prompted in the text.")
        prompts = _label_prompts(labels)
        normalize_labels(labels)  # same validation as inference
        with torch.inference_mode():
            return self.family.encode(prompts, batch_size=batch_size)

    def batch_predict_with_embeds(self, texts: Sequence[str], labels_embeddings: torch.Tensor, labels: Labels,
                                  flat_ner: bool = True, threshold: float = 0.5, multi_label: bool = False,
                                  batch_size: int = 8) -> list[list[dict[str, Any]]]:
        """The reference's name for ``inference(texts, labels, label_embeddings=...)``."""
        return self.inference(texts, labels, threshold=threshold, flat_ner=flat_ner, multi_label=multi_label,
                              batch_size=batch_size, label_embeddings=labels_embeddings)

    def predict_with_embeds(self, text: str, labels_embeddings: torch.Tensor, labels: Labels, flat_ner: bool = True,
                            threshold: float = 0.5, multi_label: bool = False) -> list[dict[str, Any]]:
        """The reference's name for ``predict_entities`` with precomputed label embeddings."""
        return self.batch_predict_with_embeds([text], labels_embeddings, labels, flat_ner, threshold, multi_label)[0]

    def uncached_labels(self, labels: Labels) -> list[str]:
        """The distinct label prompts a call with ``labels`` would encode: for a bi-encoder those not in its label
        cache; for prompted families every one (they are encoded with the text on every call)."""
        prompts = list(dict.fromkeys(_label_prompts(labels)))
        if not self.capabilities.label_embeddings:
            return prompts
        return [p for p in prompts if p not in self.family.cache]

    def clear_label_cache(self) -> None:
        """Forget cached label vectors (after changing the label encoder's weights)."""
        if self.capabilities.label_embeddings:
            self.family.cache.clear()


# ---------------------------------------------------------------------------------------------- helpers
def _label_sets(labels, n_texts: int) -> tuple[list[LabelSet], list[int]]:
    """One shared label set, or one per text (a list of lists or of dicts, as upstream)."""
    per_text = isinstance(labels, list) and labels and all(isinstance(x, (list, tuple, Mapping)) for x in labels)
    if not per_text:
        return [normalize_labels(labels)], [0] * n_texts
    if len(labels) != n_texts:
        raise ValueError(f"Per-text labels need one label list per text: got {len(labels)} for {n_texts} texts.")
    return [normalize_labels(x) for x in labels], list(range(n_texts))


def _with_checked_embeddings(call: CallOptions, labels, label_sets: list[LabelSet], config: GLiNERConfig,
                             accepts: tuple[type, ...]) -> CallOptions:
    """Precomputed label vectors: one row per label as given, of the model's width; duplicates then dropped
    like the labels."""
    from dataclasses import replace

    call.refuse_unless(accepts, config.architecture)  # a uni-encoder: refused before the shape checks
    emb = call.label_embeddings.vectors
    if len(label_sets) != 1:
        raise ValueError("label_embeddings need one label list shared by all texts, not per-text label sets.")
    if not isinstance(emb, torch.Tensor) or emb.dim() != 2:
        raise ValueError("label_embeddings must be a 2-D tensor (number of labels, hidden size), as returned "
                         "by model.encode_labels(labels).")
    prompts = _label_prompts(labels)
    if emb.size(0) != len(prompts) or emb.size(1) != config.hidden_size:
        raise ValueError(
            f"label_embeddings has shape {tuple(emb.shape)} but {len(prompts)} labels of a model of width "
            f"{config.hidden_size} need ({len(prompts)}, {config.hidden_size}); compute them with "
            "model.encode_labels(labels) for exactly these labels."
        )
    first: dict[str, int] = {}
    for row, p in enumerate(prompts):
        first.setdefault(p, row)
    rows = emb[[first[p] for p in label_sets[0].prompts]]
    return replace(call, label_embeddings=replace(call.label_embeddings, vectors=rows))


def _label_prompts(labels: Labels) -> list[str]:
    """The prompts of a label list as given (duplicates kept): descriptions for a mapping."""
    if isinstance(labels, str):
        return [labels]
    return list(labels.values()) if isinstance(labels, Mapping) else list(labels)


def _check_texts(texts: list) -> None:
    for i, t in enumerate(texts):
        pre_split = isinstance(t, (list, tuple)) and all(isinstance(w, str) and w and not w.isspace() for w in t)
        if not isinstance(t, str) and not pre_split:
            raise ValueError(f"Text {i} is a {type(t).__name__}, not a string (or a list of non-blank words); pass "
                             "texts as a list of strings.")


def _settings(flat_ner: bool, threshold: float, multi_label: bool, batch_size: int) -> Settings:
    for name, value in (("flat_ner", flat_ner), ("multi_label", multi_label)):
        if not (isinstance(value, bool) or type(value).__name__ == "bool_"):  # numpy's bool too
            raise TypeError(f"{name} must be True or False, got {value!r}. Positional arguments follow the "
                            "reference: inference(texts, labels, flat_ner, threshold, multi_label, batch_size); "
                            "pass family options by keyword, e.g. relations=[...] or gen_constraints=[...].")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must be a number in [0, 1], got {threshold!r}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return Settings(float(threshold), flat_ner, multi_label, batch_size)


# ------------------------------------------------------------------------------------ architecture classes
# The reference's class names. ``GLiNER.from_pretrained`` (any construction) returns the checkpoint's; loading
# through a subclass checks that the checkpoint is of its architecture.
class UniEncoderSpanGLiNER(GLiNER):
    architecture = "UniEncoderSpan"


class UniEncoderTokenGLiNER(GLiNER):
    architecture = "UniEncoderToken"


class BiEncoderSpanGLiNER(GLiNER):
    architecture = "BiEncoderSpan"


class BiEncoderTokenGLiNER(GLiNER):
    architecture = "BiEncoderToken"


class UniEncoderSpanDecoderGLiNER(GLiNER):
    architecture = "UniEncoderSpanDecoder"


class UniEncoderTokenDecoderGLiNER(GLiNER):
    architecture = "UniEncoderTokenDecoder"


class UniEncoderSpanRelexGLiNER(GLiNER):
    architecture = "UniEncoderSpanRelex"


class UniEncoderTokenRelexGLiNER(GLiNER):
    architecture = "UniEncoderTokenRelex"


ARCHITECTURE_CLASSES: dict[str, type[GLiNER]] = {c.architecture: c for c in (
    UniEncoderSpanGLiNER, UniEncoderTokenGLiNER, BiEncoderSpanGLiNER, BiEncoderTokenGLiNER,
    UniEncoderSpanDecoderGLiNER, UniEncoderTokenDecoderGLiNER, UniEncoderSpanRelexGLiNER,
    UniEncoderTokenRelexGLiNER)}


def _become_architecture_class(gliner: GLiNER, architecture: str) -> None:
    """A plain ``GLiNER`` becomes its architecture's subclass; a subclass must match the checkpoint."""
    wanted = ARCHITECTURE_CLASSES.get(architecture)
    current = type(gliner)
    if current is GLiNER:
        if wanted is not None:
            gliner.__class__ = wanted
    elif current.architecture is not None and current.architecture != architecture:
        raise ValueError(f"{current.__name__} loads {current.architecture} checkpoints; this one is {architecture}. "
                         "Load it with GLiNER.from_pretrained, which returns the right class.")
