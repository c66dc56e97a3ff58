"""One configuration type for every GLiNER architecture.

Reads the reference's ``gliner_config.json`` (gliner 0.2.29 and older spellings) and writes it back in a
form the reference reads. The architecture is explicit: derived once from the reference's flags when a
file does not name it, and checked against them when it does.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..text.splitting import SPLITTERS
from . import registry

# The eight architectures, from the registry (registry.py), in the reference's order of precedence read backwards.
ARCHITECTURES = registry.names()

SUBTOKEN_POOLING = ("first", "last", "mean", "max")


class ConfigError(ValueError):
    """A configuration file or field that cannot be used; the message names the field."""


@dataclass
class GLiNERConfig:
    # --- backbone ---
    model_name: str = "microsoft/deberta-v3-small"
    encoder_config: dict | None = None  # the backbone's full HF config, embedded so loading needs no hub
    vocab_size: int = -1  # -1: special tokens not added yet (a fresh model)
    class_token_index: int = -1  # id of <<ENT>>; -1 until the tokenizer is extended
    fuse_layers: bool = False  # squeeze-excitation over all hidden states instead of the last one
    hidden_size: int = 512  # GLiNER width; a Linear projection is added when the backbone differs
    subtoken_pooling: str = "first"  # how a word's subtokens become one vector
    # --- span / token heads ---
    span_mode: str = "markerV0"  # "markerV0", "marker", or "token_level" for the token models
    max_width: int = 12  # longest span, in words
    num_rnn_layers: int = 1  # BiLSTM over words; 0 disables it (old files: has_rnn)
    dropout: float = 0.4
    embed_ent_token: bool = True  # label vector = hidden state of <<ENT>> (else of the token after it)
    represent_spans: bool = False
    span_encoder_config: dict | None = None
    post_fusion_schema: str = ""
    num_post_fusion_layers: int = 1
    # --- prompts and words ---
    ent_token: str = "<<ENT>>"
    sep_token: str = "<<SEP>>"
    max_len: int = 384  # words per encoder window (longer texts are windowed, never truncated)
    words_splitter_type: str = "whitespace"
    # --- training defaults carried in the file ---
    max_types: int = 25
    max_neg_type_ratio: int = 1
    token_loss_coef: float = 1.0
    span_loss_coef: float = 1.0
    neg_spans_ratio: float = 1.0
    fine_tune: bool = True
    name: str = "gliner"
    # --- bi-encoder ---
    labels_encoder: str | None = None
    labels_encoder_config: dict | None = None
    # --- decoder ---
    labels_decoder: str | None = None
    labels_decoder_config: dict | None = None
    decoder_mode: str | None = None
    full_decoder_context: bool = True
    blank_entity_prob: float = 0.1
    decoder_loss_coef: float = 0.5
    # --- relex ---
    relations_layer: str | None = None
    triples_layer: str | None = None
    embed_rel_token: bool = True
    rel_token_index: int = -1
    rel_token: str = "<<REL>>"
    adjacency_loss_coef: float = 1.0
    relation_loss_coef: float = 1.0
    # --- ours ---
    architecture: str = ""  # one of ARCHITECTURES; derived from the flags above when empty
    # our word splitter (splitting.SPLITTERS); None: words_splitter_type, which the reference reads
    word_splitter: str | None = None
    # token type 1 at every subtoken of a capitalised text word: the case an uncased backbone's tokenizer drops
    # (the reference ignores the key and feeds type 0 everywhere)
    case_token_types: bool = False
    # uni-encoders: the label prompt's tokens attend to the prompt only, so label vectors do not drift with the
    # text's length (docs/documents.md; the reference ignores the key and lets them read the text)
    isolate_prompt: bool = False
    # words per window when our pipeline windows a long text (null: max_len). Shorter windows keep a span model's
    # scores near those of its training context on whole documents (docs/documents.md); the reference ignores the
    # key and truncates a text at max_len words instead
    window_words: int | None = None
    # {"scale": a, "shift": b, ...}: entity scores reported as sigmoid(a * logit(p) + b), fitted on validation
    # splits so that a score reads as a probability (inference/calibration.py); null: the head's scores as they
    # are. The reference ignores the key and reports the raw scores
    score_calibration: dict | None = None
    extra: dict = field(default_factory=dict)  # fields we do not use, written back unchanged

    def __post_init__(self) -> None:
        check_field_types(self)
        derived = derive_architecture(self)
        if not self.architecture:
            self.architecture = derived
        elif self.architecture not in ARCHITECTURES:
            raise ConfigError(
                f"Unknown architecture {self.architecture!r} in field 'architecture'; "
                f"expected one of: {', '.join(ARCHITECTURES)}."
            )
        elif self.architecture != derived:
            raise ConfigError(
                f"Field 'architecture' says {self.architecture!r} but the other fields describe {derived!r} "
                "(relations_layer -> Relex, labels_decoder -> Decoder, labels_encoder -> BiEncoder, "
                "span_mode 'token_level' -> Token). Fix one of them."
            )
        if self.subtoken_pooling not in SUBTOKEN_POOLING:
            raise ConfigError(
                f"Field 'subtoken_pooling' is {self.subtoken_pooling!r}; expected one of {SUBTOKEN_POOLING}."
            )
        if self.max_width < 1 or self.max_len < 1:
            raise ConfigError("Fields 'max_width' and 'max_len' must be positive integers.")
        if self.window_words is not None and self.window_words <= self.max_width:
            raise ConfigError(f"Field 'window_words' is {self.window_words}; a window must hold more words than "
                              f"the longest span (max_width {self.max_width}), so that windows can overlap by a "
                              "whole span. Give a larger number, or null for max_len.")
        if self.score_calibration is not None:
            check_score_calibration(self.score_calibration)
        if self.word_splitter is not None and (not isinstance(self.word_splitter, str)
                                               or self.word_splitter not in SPLITTERS):
            raise ConfigError(
                f"Field 'word_splitter' is {self.word_splitter!r}; expected one of {tuple(SPLITTERS)} or null "
                "(null: split as words_splitter_type says)."
            )

        if self.isolate_prompt and self.architecture.startswith("BiEncoder"):
            raise ConfigError("Field 'isolate_prompt' applies to models with a label prompt in the text (uni-encoder, "
                              "decoder, relex); a bi-encoder encodes its labels apart already. Set it to false.")
        if self.case_token_types and (self.encoder_config or {}).get("type_vocab_size", 2) < 2:
            raise ConfigError("Field 'case_token_types' needs a backbone with at least 2 token types; this "
                              f"backbone's type_vocab_size is {self.encoder_config.get('type_vocab_size')}. "
                              "Set it to false.")

    # ------------------------------------------------------------------ properties
    @property
    def is_token_level(self) -> bool:
        return self.span_mode == "token_level"

    @property
    def words_per_window(self) -> int:
        """Most words the pipeline encodes in one window: ``window_words`` when set (at most ``max_len``), else
        ``max_len``."""
        return min(self.window_words, self.max_len) if self.window_words is not None else self.max_len

    @property
    def splitter(self) -> str:
        """The word splitter this model uses: ``word_splitter`` when set, else ``words_splitter_type``."""
        return self.word_splitter if self.word_splitter is not None else self.words_splitter_type

    @property
    def family(self) -> str:
        """"uni", "bi", "decoder" or "relex": what the architecture adds to the uni-encoder (registry.py)."""
        return registry.architecture(self.architecture).family

    # ------------------------------------------------------------------ I/O
    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GLiNERConfig:
        data = dict(data)
        data.pop("model_type", None)  # the reference ignores it (config classes write null)
        # gliner < 0.2.23 wrote has_rnn; 0.2.23 replaced it with num_rnn_layers and no mapping.
        if "has_rnn" in data and "num_rnn_layers" not in data:
            data["num_rnn_layers"] = 1 if data["has_rnn"] else 0
        data.pop("has_rnn", None)
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        kwargs = {k: v for k, v in data.items() if k in known}
        extra = {k: v for k, v in data.items() if k not in known and k != "extra"}
        for key in ("encoder_config", "labels_encoder_config", "labels_decoder_config", "span_encoder_config"):
            if kwargs.get(key) is not None and not isinstance(kwargs[key], dict):
                raise ConfigError(f"Field {key!r} must be a JSON object, got {type(kwargs[key]).__name__}.")
        return cls(**kwargs, extra=extra)

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> GLiNERConfig:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path} is not valid JSON ({err}).") from err
        if not isinstance(data, dict):
            raise ConfigError(f"{path} must hold a JSON object, got {type(data).__name__}.")
        try:
            return cls.from_dict(data)
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}") from err

    def to_dict(self) -> dict[str, Any]:
        """The reference's layout: flat fields, ``model_type`` null, unknown fields kept."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        out = {**self.extra, **out}
        out["model_type"] = None
        return out

    def to_json(self, path: str | os.PathLike) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def derive_architecture(cfg: GLiNERConfig) -> str:
    """The reference's class choice (model.py:6869-6902), written as one explicit rule."""
    suffix = "Token" if cfg.span_mode == "token_level" else "Span"
    if cfg.relations_layer is not None:
        return f"UniEncoder{suffix}Relex"
    if cfg.labels_decoder is not None:
        return f"UniEncoder{suffix}Decoder"
    if cfg.labels_encoder is not None:
        return f"BiEncoder{suffix}"
    return f"UniEncoder{suffix}"


# A field's annotation -> the Python types its JSON value may have (bool is not an int here, an int is a float).
_FIELD_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "dict": (dict,)}


def check_score_calibration(value: dict) -> None:
    """``ConfigError`` unless ``value`` holds a number ``scale`` > 0 and a number ``shift``, both finite."""
    nums = {k: value.get(k) for k in ("scale", "shift")}
    bad = [k for k, v in nums.items() if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)]
    if bad or nums["scale"] <= 0:
        raise ConfigError(f"Field 'score_calibration' is {value!r}; it needs a finite number 'scale' > 0 and a finite "
                          "number 'shift' (scores become sigmoid(scale * logit(p) + shift)), or null for the raw "
                          "scores.")


def check_field_types(config: GLiNERConfig) -> None:
    """``ConfigError`` naming the first field whose value has the wrong type (``max_width: "12"``), and the type it
    needs; before any check that would compare or compute with it."""
    for f in fields(config):
        allowed, optional = _allowed(str(f.type))
        if allowed is None:
            continue
        value = getattr(config, f.name)
        if value is None and optional:
            continue
        wrong_bool = isinstance(value, bool) and bool not in allowed
        if wrong_bool or not isinstance(value, allowed):
            need = " or ".join(t.__name__ for t in allowed) + (" or null" if optional else "")
            raise ConfigError(f"Field {f.name!r} is {value!r} ({type(value).__name__}); it needs {need}. Fix the "
                              "checkpoint's gliner_config.json.")


def _allowed(annotation: str) -> tuple[tuple[type, ...] | None, bool]:
    parts = [p.strip() for p in annotation.split("|")]
    optional = "None" in parts
    kinds = [p for p in parts if p != "None"]
    if len(kinds) != 1 or kinds[0] not in _FIELD_TYPES:
        return None, optional
    return _FIELD_TYPES[kinds[0]], optional
