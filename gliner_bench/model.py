"""The public API: ``GLiNER.from_pretrained``, ``predict_entities``, ``inference``, ``save_pretrained``.

Names and output format are the reference's, so switching is one import. The pipeline is
texts -> words -> windows -> batches (sorted by length) -> model -> candidate spans -> merged windows ->
greedy decoding -> ``{"start", "end", "text", "label", "score"}`` with char offsets (end exclusive).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import checkpoint as ckpt
from .config import GLiNERConfig
from .decoding import Span, greedy_decode, merge_windows, span_candidates, token_candidates
from .modeling import build_model
from .processing import (
    LabelSet,
    Words,
    normalize_labels,
    plan_windows,
    prompt_words,
    split_words,
    subtoken_counts,
    tokenize_batch,
)

log = logging.getLogger(__name__)

Labels = Sequence[str] | Mapping[str, str]


@dataclass(frozen=True)
class _Item:
    """One encoder row: a window of one text, prompted with one label set."""

    text: int  # index of the text
    start: int  # first word of the window
    end: int  # one past the last word
    labels: int  # index of the label set
    tokens: int  # subtokens of the window's words (for sorting by length)


class GLiNER:
    """A GLiNER model of any implemented architecture, with its tokenizer and config."""

    def __init__(self, config: GLiNERConfig, model: nn.Module, tokenizer, passthrough=None):
        self.config = config
        self.model = model.eval()
        self.tokenizer = tokenizer
        self._passthrough = dict(passthrough or {})  # saved-but-unused tensors, written back on save
        self.max_tokens = _max_tokens(tokenizer, config)
        self._num_special = tokenizer.num_special_tokens_to_add(pair=False)

    # ------------------------------------------------------------------------------------ loading
    @classmethod
    def from_pretrained(cls, model_id: str | os.PathLike, map_location: str = "cpu", revision: str | None = None,
                        cache_dir: str | None = None, local_files_only: bool = False,
                        max_length: int | None = None) -> GLiNER:
        """Load a checkpoint directory or hub id written by the reference ``gliner`` (or by us)."""
        directory = ckpt.resolve_checkpoint_dir(model_id, revision, cache_dir, local_files_only)
        config = ckpt.read_config(directory)
        if max_length is not None:
            config.max_len = max_length
        tokenizer = ckpt.load_tokenizer(directory, config)
        if config.class_token_index == -1 or config.vocab_size == -1:
            ckpt.add_special_tokens(tokenizer, config)
        ckpt.check_special_tokens(tokenizer, config, str(directory))
        if config.encoder_config is None:
            config.encoder_config = _backbone_config_dict(config.model_name, config.vocab_size)
        model = build_model(config)
        state_dict = ckpt.read_state_dict(directory)
        ours, passthrough = ckpt.map_reference_state_dict(state_dict, model, config.architecture, str(directory))
        model.load_state_dict(ours, strict=True)
        return cls(config, model.to(map_location), tokenizer, passthrough)

    @classmethod
    def from_config(cls, config: GLiNERConfig | Mapping[str, Any], backbone_from_pretrained: bool = True,
                    seed: int | None = 0) -> GLiNER:
        """A new model: the backbone's pretrained weights (when asked) and freshly initialised heads."""
        from transformers import AutoModel, AutoTokenizer

        config = GLiNERConfig.from_dict(dict(config)) if isinstance(config, Mapping) else config
        source = ckpt.resolve_backbone(config.model_name)
        tokenizer = AutoTokenizer.from_pretrained(source)
        config.encoder_config = _backbone_config_dict(config.model_name, -1)
        if seed is not None:
            torch.manual_seed(seed)
        model = build_model(config)
        backbone = model.token_rep_layer.bert_layer
        if backbone_from_pretrained:
            backbone.model.load_state_dict(AutoModel.from_pretrained(source).state_dict(), strict=True)
        ckpt.add_special_tokens(tokenizer, config)
        backbone.model.resize_token_embeddings(len(tokenizer))
        config.encoder_config["vocab_size"] = len(tokenizer)
        return cls(config, model, tokenizer)

    def save_pretrained(self, save_directory: str | os.PathLike, safe_serialization: bool = True) -> Path:
        """Write a checkpoint in the reference's layout (the reference loads it and gives the same outputs)."""
        state = {**self.model.state_dict(), **self._passthrough}
        return ckpt.write_checkpoint(save_directory, self.config, state, self.tokenizer, safe_serialization)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def to(self, device: str | torch.device) -> GLiNER:
        self.model.to(device)
        return self

    # ------------------------------------------------------------------------------------ inference
    def predict_entities(self, text: str, labels: Labels, threshold: float = 0.5, flat_ner: bool = True,
                         multi_label: bool = False) -> list[dict[str, Any]]:
        """Entities of one text: ``[{"start", "end", "text", "label", "score"}, ...]`` sorted by start."""
        return self.inference([text], labels, threshold=threshold, flat_ner=flat_ner, multi_label=multi_label)[0]

    def batch_predict_entities(self, texts: Sequence[str], labels: Labels, threshold: float = 0.5,
                               flat_ner: bool = True, multi_label: bool = False) -> list[list[dict[str, Any]]]:
        """The reference's older name for ``inference``."""
        return self.inference(texts, labels, threshold=threshold, flat_ner=flat_ner, multi_label=multi_label)

    @torch.inference_mode()
    def inference(self, texts: str | Sequence[str], labels: Labels | Sequence[Labels], threshold: float = 0.5,
                  flat_ner: bool = True, multi_label: bool = False, batch_size: int = 8) -> list[list[dict]]:
        """Entities of each text. ``labels`` is one label set for all texts, or one per text.

        Texts longer than the encoder's window (``max_len`` words, or the backbone's token limit once the
        label prompt is in) are split into windows that overlap by more than ``max_width`` words; their
        entities are merged with offsets into the original text. Nothing is truncated.
        """
        texts = [texts] if isinstance(texts, str) else list(texts)
        _check_texts(texts)
        _check_options(threshold, batch_size)
        label_sets, label_of_text = self._label_sets(labels, len(texts))
        words = [split_words(t, self.config.words_splitter_type) for t in texts]
        items = self._plan_items(words, label_sets, label_of_text)
        per_window: dict[int, list[tuple[int, int, list[Span]]]] = {i: [] for i in range(len(texts))}
        items.sort(key=lambda it: -it.tokens)  # similar lengths together: less padding
        for first in range(0, len(items), batch_size):
            chunk = items[first:first + batch_size]
            for item, candidates in zip(chunk, self._run_chunk(chunk, words, label_sets, threshold)):
                per_window[item.text].append((item.start, item.end - item.start, candidates))
        results = []
        for i, w in enumerate(words):
            names = label_sets[label_of_text[i]].names if per_window[i] else []
            spans = greedy_decode(merge_windows(per_window[i]), flat_ner=flat_ner, multi_label=multi_label)
            results.append([_entity(w, s, names) for s in spans])
        return results

    # ------------------------------------------------------------------------------------ internals
    def _label_sets(self, labels, n_texts: int) -> tuple[list[LabelSet], list[int]]:
        """One shared label set, or one per text (a list of lists or of dicts, as upstream)."""
        per_text = isinstance(labels, list) and labels and all(isinstance(x, (list, tuple, Mapping)) for x in labels)
        if not per_text:
            return [normalize_labels(labels)], [0] * n_texts
        if len(labels) != n_texts:
            raise ValueError(f"Per-text labels need one label list per text: got {len(labels)} for {n_texts} texts.")
        return [normalize_labels(x) for x in labels], list(range(n_texts))

    def _prompt(self, labels: LabelSet) -> list[str]:
        return prompt_words(labels, self.config.ent_token, self.config.sep_token)

    def _plan_items(self, words: list[Words], label_sets: list[LabelSet], label_of_text: list[int]) -> list[_Item]:
        cfg = self.config
        prompt_tokens = [sum(subtoken_counts(self.tokenizer, self._prompt(ls))) for ls in label_sets]
        items = []
        for i, w in enumerate(words):
            if len(w) == 0:
                continue
            budget = self.max_tokens - self._num_special - prompt_tokens[label_of_text[i]]
            if budget < cfg.max_width + 1:
                n = len(label_sets[label_of_text[i]])
                raise ValueError(
                    f"{n} labels take {prompt_tokens[label_of_text[i]]} of the encoder's {self.max_tokens} tokens, "
                    "leaving no room for text. Pass fewer labels per call (or split them over several calls), "
                    "or use a bi-encoder model, whose labels are encoded separately."
                )
            counts = subtoken_counts(self.tokenizer, w.tokens)
            for start, end in plan_windows(counts, cfg.max_len, budget, min_overlap=cfg.max_width + 1):
                items.append(_Item(i, start, end, label_of_text[i], sum(counts[start:end])))
        return items

    def _run_chunk(self, chunk: list[_Item], words: list[Words], label_sets: list[LabelSet],
                   threshold: float) -> list[list[Span]]:
        """Encode one batch of windows and list each window's candidate spans (window word indices)."""
        batch = tokenize_batch(
            self.tokenizer,
            [words[it.text].tokens[it.start:it.end] for it in chunk],
            [self._prompt(label_sets[it.labels]) for it in chunk],
            self.config.subtoken_pooling,
            self.max_tokens,
        )
        batch = {k: v.to(self.device) for k, v in batch.items()}
        probs = torch.sigmoid(self.model(batch)["logits"].float()).cpu()
        find = token_candidates if self.config.is_token_level else span_candidates
        return [find(probs[row], it.end - it.start, len(label_sets[it.labels]), threshold)
                for row, it in enumerate(chunk)]


# ---------------------------------------------------------------------------------------------- helpers
def _entity(words: Words, span: Span, names: list[str]) -> dict[str, Any]:
    start, end = words.starts[span.start], words.ends[span.end]
    return {"start": start, "end": end, "text": words.text[start:end], "label": names[span.label],
            "score": span.score}


def _check_texts(texts: list) -> None:
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise ValueError(f"Text {i} is a {type(t).__name__}, not a string; pass texts as a list of strings.")


def _check_options(threshold: float, batch_size: int) -> None:
    if not isinstance(threshold, (int, float)) or not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must be a number in [0, 1], got {threshold!r}.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")


def _max_tokens(tokenizer, config: GLiNERConfig) -> int:
    """The backbone's input limit in subtokens: the tokenizer's, else the position embeddings'."""
    limits = []
    if 0 < getattr(tokenizer, "model_max_length", 0) < 1_000_000:
        limits.append(int(tokenizer.model_max_length))
    encoder = config.encoder_config or {}
    positions = encoder.get("max_position_embeddings")
    # absolute position embeddings cap the length; DeBERTa-v3's relative positions do not
    if isinstance(positions, int) and positions > 0 and encoder.get("position_biased_input", True):
        limits.append(positions)
    return min(limits) if limits else 1_000_000


def _backbone_config_dict(model_name: str, vocab_size: int) -> dict:
    from transformers import AutoConfig

    source = ckpt.resolve_backbone(model_name)
    try:
        data = AutoConfig.from_pretrained(source).to_dict()
    except Exception as err:
        raise ckpt.CheckpointError(
            f"The config has no 'encoder_config' and the backbone {model_name!r} could not be loaded "
            f"({type(err).__name__}: {err}). Make it reachable, or embed its config as 'encoder_config'."
        ) from err
    if vocab_size != -1:
        data["vocab_size"] = vocab_size
    return data
