"""The public API: ``GLiNER.from_pretrained``, ``predict_entities``, ``inference``, ``save_pretrained``.

Names and output format are the reference's, so switching is one import. The pipeline is
texts -> words -> windows -> batches (sorted by length) -> model -> candidate spans -> merged windows ->
greedy decoding -> ``{"start", "end", "text", "label", "score"}`` with char offsets (end exclusive).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import checkpoint as ckpt
from . import delta
from .capabilities import Capabilities, capabilities_of
from .config import GLiNERConfig
from .decoding import (
    Span,
    attach_relations,
    greedy_decode,
    merge_window_relations,
    merge_windows,
    span_order,
    token_order,
)
from .generation import GenerationSettings
from .modeling import build_model
from .processing import LabelSet, Words, normalize_labels, plan_windows, subtoken_counts, to_words
from .runners import BiRunner, DecoderRunner, LabelCache, RelexRunner, UniRunner

log = logging.getLogger(__name__)

Labels = Sequence[str] | Mapping[str, str]


@dataclass(frozen=True)
class _Item:
    """One encoder row: a window of one text, with one prompt set (a label set, or a group of its labels)."""

    text: int  # index of the text
    start: int  # first word of the window
    end: int  # one past the last word
    prompt_set: int  # index into the call's prompt sets
    tokens: int  # subtokens of the window's words (for sorting by length)


@dataclass(frozen=True)
class _PromptSet:
    labels: LabelSet
    offset: int  # index of its first label in the parent label set


class GLiNER:
    """A GLiNER model of any implemented architecture, with its tokenizer and config."""

    def __init__(self, config: GLiNERConfig, model: nn.Module, tokenizer, passthrough=None, labels_tokenizer=None,
                 decoder_tokenizer=None):
        self.config = config
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.labels_tokenizer = labels_tokenizer  # bi-encoders only
        self.decoder_tokenizer = decoder_tokenizer  # decoders only
        self._passthrough = dict(passthrough or {})  # saved-but-unused tensors, written back on save
        self.weights_file: Path | None = None  # set by from_pretrained: what weights_digest hashes
        self.max_tokens = _max_tokens(tokenizer, config)
        self._num_special = tokenizer.num_special_tokens_to_add(pair=False)
        if self.is_bi_encoder:
            if labels_tokenizer is None:
                raise ValueError(f"{config.architecture} needs a labels tokenizer.")
            self.label_cache = LabelCache()
            self.runner = BiRunner(self.model, tokenizer, labels_tokenizer, config, self.max_tokens, self.label_cache)
        elif self.is_relex:
            self.runner = RelexRunner(self.model, tokenizer, config, self.max_tokens)
        elif self.is_decoder:
            if decoder_tokenizer is None:
                raise ValueError(f"{config.architecture} needs a decoder tokenizer.")
            ckpt.check_decoder_tokenizer(decoder_tokenizer, config.architecture)
            self.runner = DecoderRunner(self.model, tokenizer, config, self.max_tokens, decoder_tokenizer)
        else:
            self.runner = UniRunner(self.model, tokenizer, config, self.max_tokens)

    @property
    def is_bi_encoder(self) -> bool:
        return self.config.family == "bi"

    @property
    def is_relex(self) -> bool:
        return self.config.family == "relex"

    @property
    def is_decoder(self) -> bool:
        return self.config.family == "decoder"

    # ------------------------------------------------------------------------------------ loading
    @classmethod
    def from_pretrained(cls, model_id: str | os.PathLike, map_location: str = "cpu", revision: str | None = None,
                        cache_dir: str | None = None, local_files_only: bool = False,
                        max_length: int | None = None, labels_tokenizer=None, decoder_tokenizer=None) -> GLiNER:
        """Load a checkpoint directory or hub id written by the reference ``gliner`` (or by us).

        ``labels_tokenizer`` (bi-encoders) and ``decoder_tokenizer`` (decoders), a tokenizer or a directory,
        override the checkpoint's own, as upstream: older checkpoints have no ``labels_tokenizer/`` or
        ``decoder_tokenizer/`` folder and name the label encoder's or decoder's hub id.
        """
        directory = ckpt.resolve_checkpoint_dir(model_id, revision, cache_dir, local_files_only)
        config = ckpt.read_config(directory)
        if max_length is not None:
            config.max_len = max_length
        if delta.is_delta(directory) and not any((directory / f).is_file() for f in (ckpt.SAFETENSORS_FILE, ckpt.PICKLE_FILE)):
            return cls._from_delta(directory, config).to(map_location)
        tokenizer = ckpt.load_tokenizer(directory, config)
        if config.family == "bi":
            # bi-encoders prompt nothing into the text: no special tokens, no resized embeddings (as upstream)
            labels_tokenizer = ckpt.load_labels_tokenizer(directory, config, labels_tokenizer)
            if config.labels_encoder_config is None:
                config.labels_encoder_config = _backbone_config_dict(config.labels_encoder, -1)
            ckpt.check_vocabulary(labels_tokenizer, config.labels_encoder_config, "labels tokenizer",
                                  "label encoder", str(directory))
        else:
            labels_tokenizer = None
            if config.class_token_index == -1 or config.vocab_size == -1:
                ckpt.add_special_tokens(tokenizer, config)
            ckpt.check_special_tokens(tokenizer, config, str(directory))
        if config.encoder_config is None:
            config.encoder_config = _backbone_config_dict(config.model_name, config.vocab_size)
        ckpt.check_vocabulary(tokenizer, config.encoder_config, "tokenizer", "text encoder", str(directory),
                              base_only=labels_tokenizer is not None)
        if config.family == "decoder":
            decoder_tokenizer = ckpt.load_decoder_tokenizer(directory, config, decoder_tokenizer)
            if config.labels_decoder_config is None:
                config.labels_decoder_config = _backbone_config_dict(config.labels_decoder, -1)
        else:
            decoder_tokenizer = None
        model = build_model(config)
        state_dict = ckpt.read_state_dict(directory)
        ours, passthrough = ckpt.map_reference_state_dict(state_dict, model, config.architecture, str(directory))
        model.load_state_dict(ours, strict=True)
        gliner = cls(config, model.to(map_location), tokenizer, passthrough, labels_tokenizer, decoder_tokenizer)
        gliner.weights_file = ckpt.weights_file(directory)
        return gliner

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
        gliner.model.eval()
        return gliner

    @classmethod
    def from_config(cls, config: GLiNERConfig | Mapping[str, Any], backbone_from_pretrained: bool = True,
                    seed: int | None = 0) -> GLiNER:
        """A new model: the backbone's pretrained weights (when asked) and freshly initialised heads."""
        from transformers import AutoModel, AutoTokenizer

        config = GLiNERConfig.from_dict(dict(config)) if isinstance(config, Mapping) else config
        source = ckpt.resolve_backbone(config.model_name)
        tokenizer = AutoTokenizer.from_pretrained(source)
        config.encoder_config = _backbone_config_dict(config.model_name, -1)
        bi = config.family == "bi"
        labels_tokenizer = None
        if bi:
            labels_source = ckpt.resolve_backbone(config.labels_encoder)
            labels_tokenizer = AutoTokenizer.from_pretrained(labels_source)
            config.labels_encoder_config = _backbone_config_dict(config.labels_encoder, -1)
        decoder_tokenizer = None
        if config.labels_decoder is not None:
            decoder_source = ckpt.resolve_backbone(config.labels_decoder)
            decoder_tokenizer = ckpt.load_decoder_tokenizer(Path(decoder_source), config, decoder_source)
            config.labels_decoder_config = _backbone_config_dict(config.labels_decoder, -1)
        if seed is not None:
            torch.manual_seed(seed)
        model = build_model(config)
        backbone = model.token_rep_layer.bert_layer
        if backbone_from_pretrained:
            backbone.model.load_state_dict(AutoModel.from_pretrained(source).state_dict(), strict=True)
            if bi:
                model.token_rep_layer.labels_encoder.model.load_state_dict(
                    AutoModel.from_pretrained(labels_source).state_dict(), strict=True)
            if decoder_tokenizer is not None:
                from transformers import AutoModelForCausalLM

                lm = AutoModelForCausalLM.from_pretrained(decoder_source)
                model.decoder.lm.load_state_dict(lm.state_dict(), strict=True)
        if not bi:  # uni-encoders prompt <<ENT>>/<<SEP>>: new tokens, resized embeddings
            ckpt.add_special_tokens(tokenizer, config)
            backbone.model.resize_token_embeddings(len(tokenizer))
            config.encoder_config["vocab_size"] = len(tokenizer)
        return cls(config, model, tokenizer, labels_tokenizer=labels_tokenizer, decoder_tokenizer=decoder_tokenizer)

    def save_pretrained(self, save_directory: str | os.PathLike, safe_serialization: bool = True) -> Path:
        """Write a checkpoint in the reference's layout (the reference loads it and gives the same outputs)."""
        state = {**self.model.state_dict(), **self._passthrough}
        return ckpt.write_checkpoint(save_directory, self.config, state, self.tokenizer, safe_serialization,
                                     labels_tokenizer=self.labels_tokenizer, decoder_tokenizer=self.decoder_tokenizer)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    # ------------------------------------------------------------------------------------ introspection
    @property
    def capabilities(self) -> Capabilities:
        """What this model can do (relations, generated labels, cached label embeddings, prompted labels)."""
        return capabilities_of(self.config.family)

    @property
    def dtype(self) -> torch.dtype:
        return next(self.model.parameters()).dtype

    def num_parameters(self) -> int:
        """Parameters of every module (encoders, heads, label encoder, decoder LM)."""
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

    def uncached_labels(self, labels: Labels) -> list[str]:
        """The distinct label prompts a call with ``labels`` would encode: for a bi-encoder those not in its label
        cache; for prompted families every one (they are encoded with the text on every call)."""
        prompts = list(dict.fromkeys(_label_prompts(labels)))
        if not self.capabilities.label_embeddings:
            return prompts
        return [p for p in prompts if p not in self.label_cache]

    def to(self, device: str | torch.device) -> GLiNER:
        self.model.to(device)
        return self

    # ------------------------------------------------------------------------------------ inference
    def predict_entities(self, text: str, labels: Labels, threshold: float = 0.5, flat_ner: bool = True,
                         multi_label: bool = False, relations: Labels | None = None,
                         adjacency_threshold: float | None = None, gen_constraints: Sequence[str] | None = None,
                         num_gen_sequences: int = 1, **gen_kwargs) -> list[dict[str, Any]]:
        """Entities of one text: ``[{"start", "end", "text", "label", "score"}, ...]`` sorted by start.

        Relex models: ``relations`` are prompted too (they change the encoding), only entities returned.
        Decoder models: generation arguments as for ``inference``.
        """
        if self.is_relex:
            entities, _ = self.inference([text], labels, threshold=threshold, flat_ner=flat_ner,
                                         multi_label=multi_label, relations=relations,
                                         adjacency_threshold=adjacency_threshold)
            return entities[0]
        return self.inference([text], labels, threshold=threshold, flat_ner=flat_ner, multi_label=multi_label,
                              relations=relations, gen_constraints=gen_constraints,
                              num_gen_sequences=num_gen_sequences, **gen_kwargs)[0]

    def predict_relations(self, text: str, labels: Labels, relations: Labels, threshold: float = 0.5,
                          flat_ner: bool = True, multi_label: bool = False, adjacency_threshold: float | None = None,
                          relation_threshold: float | None = None) -> tuple[list[dict], list[dict]]:
        """Relex models: ``(entities, relations)`` of one text (see ``inference``)."""
        entities, found = self.inference([text], labels, threshold=threshold, flat_ner=flat_ner,
                                         multi_label=multi_label, relations=relations,
                                         adjacency_threshold=adjacency_threshold,
                                         relation_threshold=relation_threshold)
        return entities[0], found[0]

    def batch_predict_entities(self, texts: Sequence[str], labels: Labels, threshold: float = 0.5,
                               flat_ner: bool = True, multi_label: bool = False) -> list[list[dict[str, Any]]]:
        """The reference's older name for ``inference``."""
        return self.inference(texts, labels, threshold=threshold, flat_ner=flat_ner, multi_label=multi_label)

    @torch.inference_mode()
    def inference(self, texts: str | Sequence[str], labels: Labels | Sequence[Labels], threshold: float = 0.5,
                  flat_ner: bool = True, multi_label: bool = False, batch_size: int = 8,
                  label_embeddings: torch.Tensor | None = None, relations: Labels | None = None,
                  adjacency_threshold: float | None = None, relation_threshold: float | None = None,
                  gen_constraints: Sequence[str] | None = None, num_gen_sequences: int = 1,
                  generate_labels: bool = True, **gen_kwargs):
        """Entities of each text. ``labels`` is one label set for all texts, or one per text.

        Texts longer than the encoder's window (``max_len`` words, or the backbone's token limit once the
        label prompt is in) are split into windows that overlap by more than ``max_width`` words; their
        entities are merged with offsets into the original text. Nothing is truncated.

        Bi-encoders: ``label_embeddings`` from ``encode_labels(labels)`` skip the label encoder; without
        them, label vectors come from a bounded cache, so repeated labels are encoded once.

        Relex models return ``(entities, relations)``: ``relations`` (relation labels, optional) are
        prompted after the entity labels; a relation is ``{"head": {"start", "end", "text", "type",
        "entity_idx"}, "tail": {...}, "relation", "score"}`` where ``entity_idx`` indexes that text's entity
        list. ``adjacency_threshold`` and ``relation_threshold`` default to ``threshold``.

        Decoder models: every entity also has ``generated_labels``, up to ``num_gen_sequences`` names the
        decoder generated for it (best first; greedy, or beam search when > 1), restricted to
        ``gen_constraints`` when given; other keyword arguments (``max_new_tokens=15``, ``do_sample``,
        ``temperature``, ...) go to ``generate``. In ``decoder_mode="prompt"`` the labels only set the number
        of label slots, and each entity's ``label`` is the name generated for its slot.
        ``generate_labels=False``: entities only, no generation (evaluation of the entity head).
        """
        texts = [texts] if isinstance(texts, str) else list(texts)  # an item may be a list of pre-split words
        _check_texts(texts)
        _check_options(threshold, batch_size)
        label_sets, label_of_text = self._label_sets(labels, len(texts))
        if label_embeddings is not None:
            label_embeddings = self._check_embeddings(label_embeddings, labels, label_sets)
        runner = self.runner
        if self.is_relex:
            runner = runner.bind(_relation_labels(relations), *_relex_thresholds(threshold, adjacency_threshold,
                                                                                  relation_threshold))
        elif relations is not None or adjacency_threshold is not None or relation_threshold is not None:
            raise ValueError(f"relations apply to relex models only; this model is {self.config.architecture}.")
        if self.is_decoder:
            settings = GenerationSettings.from_call(gen_constraints, num_gen_sequences, gen_kwargs)
            runner = runner.bind(settings if generate_labels else None)
        elif gen_constraints is not None or num_gen_sequences != 1 or gen_kwargs:
            given = ["gen_constraints"] * (gen_constraints is not None) + list(gen_kwargs)
            raise ValueError(f"{', '.join(given) or 'num_gen_sequences'}: generation arguments apply to decoder "
                             f"models only; this model is {self.config.architecture}.")
        words = [to_words(t, self.config.words_splitter_type) for t in texts]
        prompt_sets, items = self._plan_items(runner, words, label_sets, label_of_text)
        state = runner.prepare([ps.labels for ps in prompt_sets], label_embeddings)
        per_window: dict[int, list] = {i: [] for i in range(len(texts))}
        extras: dict[int, list] = {i: [] for i in range(len(texts))}  # per window: relex or decoder state
        items.sort(key=lambda it: -it.tokens)  # similar lengths together: less padding
        for first in range(0, len(items), batch_size):
            chunk = items[first:first + batch_size]
            found = runner.candidates([words[it.text].tokens[it.start:it.end] for it in chunk],
                                      [it.prompt_set for it in chunk], [ps.labels for ps in prompt_sets],
                                      threshold, state, multi_label=multi_label)
            for item, candidates in zip(chunk, found):
                offset = prompt_sets[item.prompt_set].offset
                if self.is_relex or self.is_decoder:
                    candidates, extra = candidates
                    extras[item.text].append((item.start, item.end - item.start, extra, offset))
                if offset:
                    candidates = [c._replace(label=c.label + offset) for c in candidates]
                per_window[item.text].append((item.start, item.end - item.start, candidates))
        order = span_order if not self.config.is_token_level or self.is_decoder else token_order
        results, relations_out, generation = [], [], []
        for i, w in enumerate(words):
            names = label_sets[label_of_text[i]].names if per_window[i] else []
            merged = merge_windows(per_window[i], with_source=True)
            source = {(s.start, s.end, s.label): win for s, win in merged}
            candidates = sorted((s for s, _ in merged), key=order)  # one pass's order, whatever the windows
            spans = greedy_decode(candidates, flat_ner=flat_ner, multi_label=multi_label)
            entities = [_entity(w, s, names) for s in spans]
            results.append(entities)
            if self.is_relex:
                windows = [(off, n, runner.window_relations(raw, off, spans)) for off, n, raw, _ in extras[i]]
                rels = attach_relations(spans, merge_window_relations(windows))
                relations_out.append([_relation(entities, h, runner.relations.names[r], t, p) for h, r, t, p in rels])
            if self.is_decoder and runner.settings is not None:
                for entity, s in zip(entities, spans):
                    off, _, window, label_offset = extras[i][source[s.start, s.end, s.label]]
                    if runner.prompt_mode:
                        generated = window.slot_names[s.label - label_offset]
                        entity["label"] = generated[0] if generated else entity["label"]
                        entity["generated_labels"] = generated
                    else:
                        generation.append((entity, runner.prefix(window, s.start - off, s.end - off,
                                                                 w.tokens[s.start:s.end + 1])))
        if generation:  # span mode: one batched generation for every decoded entity of the call
            for (entity, _), generated in zip(generation, runner.generate([p for _, p in generation])):
                entity["generated_labels"] = generated
        return (results, relations_out) if self.is_relex else results

    # ------------------------------------------------------------------------------------ bi-encoders
    def encode_labels(self, labels: Labels, batch_size: int = 64) -> torch.Tensor:
        """Label vectors ``(len(labels), D)`` for a bi-encoder, to pass as ``label_embeddings`` later.

        One row per label as given (a ``{name: description}`` mapping encodes the descriptions).
        """
        if not self.is_bi_encoder:
            raise ValueError(f"encode_labels needs a bi-encoder; this model is {self.config.architecture}, whose "
                             "labels are prompted in the text.")
        prompts = _label_prompts(labels)
        normalize_labels(labels)  # same validation as inference
        with torch.inference_mode():
            return self.runner.encode(prompts, batch_size=batch_size)

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

    def clear_label_cache(self) -> None:
        """Forget cached label vectors (after changing the label encoder's weights)."""
        if self.is_bi_encoder:
            self.label_cache.clear()

    def _check_embeddings(self, emb, labels, label_sets: list[LabelSet]) -> torch.Tensor:
        """One row per label as given, of the model's width; duplicates then dropped like the labels."""
        if not self.is_bi_encoder:
            raise ValueError(f"label_embeddings only apply to bi-encoders; this model is {self.config.architecture}.")
        if len(label_sets) != 1:
            raise ValueError("label_embeddings need one label list shared by all texts, not per-text label sets.")
        if not isinstance(emb, torch.Tensor) or emb.dim() != 2:
            raise ValueError("label_embeddings must be a 2-D tensor (number of labels, hidden size), as returned "
                             "by model.encode_labels(labels).")
        prompts = _label_prompts(labels)
        if emb.size(0) != len(prompts) or emb.size(1) != self.config.hidden_size:
            raise ValueError(
                f"label_embeddings has shape {tuple(emb.shape)} but {len(prompts)} labels of a model of width "
                f"{self.config.hidden_size} need ({len(prompts)}, {self.config.hidden_size}); compute them with "
                "model.encode_labels(labels) for exactly these labels."
            )
        first = {}
        for row, p in enumerate(prompts):
            first.setdefault(p, row)
        return emb[[first[p] for p in label_sets[0].prompts]]

    # ------------------------------------------------------------------------------------ internals
    def _label_sets(self, labels, n_texts: int) -> tuple[list[LabelSet], list[int]]:
        """One shared label set, or one per text (a list of lists or of dicts, as upstream)."""
        per_text = isinstance(labels, list) and labels and all(isinstance(x, (list, tuple, Mapping)) for x in labels)
        if not per_text:
            return [normalize_labels(labels)], [0] * n_texts
        if len(labels) != n_texts:
            raise ValueError(f"Per-text labels need one label list per text: got {len(labels)} for {n_texts} texts.")
        return [normalize_labels(x) for x in labels], list(range(n_texts))

    def _plan_items(self, runner, words: list[Words], label_sets: list[LabelSet],
                    label_of_text: list[int]) -> tuple[list[_PromptSet], list[_Item]]:
        """Encoder rows for every text: its windows, times its label groups.

        A uni-encoder's labels cost tokens in every window. When the label prompt and the text fit the
        encoder together, one row carries both (as upstream). Otherwise the text is windowed; and when the
        prompt alone takes more than half the encoder's tokens, the labels are split into groups that each
        take at most half, every group prompted over every window. Bi-encoders never split.
        """
        cfg = self.config
        room = self.max_tokens - self._num_special
        prompt_sets: list[_PromptSet] = []
        groups_of: dict[tuple[int, bool], list[int]] = {}

        def groups(set_id: int, split: bool) -> list[int]:
            if (set_id, split) not in groups_of:
                ids = []
                for sub, offset in self._label_groups(runner, label_sets[set_id], room // 2 if split else None):
                    prompt_sets.append(_PromptSet(sub, offset))
                    ids.append(len(prompt_sets) - 1)
                groups_of[set_id, split] = ids
            return groups_of[set_id, split]

        items = []
        for i, w in enumerate(words):
            if len(w) == 0:
                continue
            set_id = label_of_text[i]
            counts = subtoken_counts(self.tokenizer, w.tokens)
            whole = runner.prompt_tokens(label_sets[set_id])
            fits = whole + sum(counts) <= room and len(w) <= cfg.max_len
            split = not fits and whole > room // 2 and not self.is_relex
            for ps_id in groups(set_id, split=split):
                prompt = runner.prompt_tokens(prompt_sets[ps_id].labels)
                budget = room - prompt
                if budget < cfg.max_width + 1 and self.is_relex:
                    raise ValueError(
                        f"The prompt of {len(label_sets[set_id])} entity labels and {len(runner.relations)} "
                        f"relation labels takes {prompt} of the encoder's {self.max_tokens} tokens, leaving no room "
                        "for text; a relex model needs all of them in one pass. Pass fewer or shorter labels."
                    )
                if budget < cfg.max_width + 1:
                    raise ValueError(
                        f"A label prompt of {prompt} tokens leaves no room for text in the encoder's "
                        f"{self.max_tokens} tokens; shorten the label (or its description)."
                    )
                for start, end in plan_windows(counts, cfg.max_len, budget, min_overlap=cfg.max_width + 1):
                    items.append(_Item(i, start, end, ps_id, sum(counts[start:end])))
        if not prompt_sets:  # only empty texts
            prompt_sets = [_PromptSet(ls, 0) for ls in label_sets]
        return prompt_sets, items

    @staticmethod
    def _label_groups(runner, labels: LabelSet, max_prompt_tokens: int | None) -> list[tuple[LabelSet, int]]:
        """``labels`` whole, or split in order into groups whose prompts take at most ``max_prompt_tokens``."""
        if max_prompt_tokens is None:
            return [(labels, 0)]
        per_label = runner.label_tokens(labels)
        fixed = runner.prompt_tokens(LabelSet([], []))
        groups, start, used = [], 0, fixed
        for j, cost in enumerate(per_label):
            if j > start and used + cost > max_prompt_tokens:
                groups.append((start, j))
                start, used = j, fixed
            used += cost
        groups.append((start, len(per_label)))
        return [(LabelSet(labels.prompts[a:b], labels.names[a:b]), a) for a, b in groups]


# ---------------------------------------------------------------------------------------------- helpers
def _entity(words: Words, span: Span, names: list[str]) -> dict[str, Any]:
    start, end = words.starts[span.start], words.ends[span.end]
    return {"start": start, "end": end, "text": words.text[start:end], "label": names[span.label],
            "score": span.score}


def _relation(entities: list[dict], head: int, name: str, tail: int, score: float) -> dict[str, Any]:
    def end(i: int) -> dict[str, Any]:
        e = entities[i]
        return {"start": e["start"], "end": e["end"], "text": e["text"], "type": e["label"], "entity_idx": i}

    return {"head": end(head), "tail": end(tail), "relation": name, "score": score}


def _relation_labels(relations) -> LabelSet:
    """Relation labels as given: none (entities only), a list, or ``{name: description}``."""
    if relations is None or (isinstance(relations, (list, tuple, Mapping)) and len(relations) == 0):
        return LabelSet([], [])
    try:
        return normalize_labels(relations)
    except ValueError as err:
        raise ValueError(f"Bad relation labels: {err} For relations pass e.g. relations=['works for', "
                         "'located in'].") from err


def _relex_thresholds(threshold: float, adjacency: float | None, relation: float | None) -> tuple[float, float]:
    adjacency = threshold if adjacency is None else adjacency
    relation = threshold if relation is None else relation
    for name, value in (("adjacency_threshold", adjacency), ("relation_threshold", relation)):
        if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"{name} must be a number in [0, 1], got {value!r}.")
    return float(adjacency), float(relation)


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
    if data.get("_name_or_path") not in (None, model_name):  # a local path (packaged backbone) says nothing
        data["_name_or_path"] = model_name                      # portable, and names this machine's layout
    return data
