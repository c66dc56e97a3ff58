"""Putting a model together: config, tokenizers, module tree and weights, from a checkpoint or a config.

``GLiNER.from_pretrained`` and ``GLiNER.from_config`` call these; each returns the parts ``GLiNER`` is made of
(``Parts``), so the facade holds no loading logic.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..config import GLiNERConfig
from ..config.registry import capabilities_of
from ..modeling import build_model
from . import files as ckpt


@dataclass
class Parts:
    config: GLiNERConfig
    module: nn.Module
    tokenizer: object
    labels_tokenizer: object | None = None  # bi-encoders
    decoder_tokenizer: object | None = None  # decoders
    passthrough: dict[str, torch.Tensor] = field(default_factory=dict)  # saved-but-unused tensors, written back
    weights_file: Path | None = None  # what ``GLiNER.weights_digest`` hashes


def parts_from_directory(directory: Path, config: GLiNERConfig, labels_tokenizer=None,
                         decoder_tokenizer=None) -> Parts:
    """A full checkpoint in the reference's layout (``model.safetensors`` or ``pytorch_model.bin``)."""
    tokenizer = ckpt.load_tokenizer(directory, config)
    can = capabilities_of(config.family)
    if can.label_embeddings:
        # bi-encoders prompt nothing into the text: no special tokens, no resized embeddings (as upstream)
        labels_tokenizer = ckpt.load_labels_tokenizer(directory, config, labels_tokenizer)
        if config.labels_encoder_config is None:
            config.labels_encoder_config = backbone_config_dict(config.labels_encoder, -1)
        ckpt.check_vocabulary(labels_tokenizer, config.labels_encoder_config, "labels tokenizer", "label encoder",
                              str(directory))
    else:
        labels_tokenizer = None
        if config.class_token_index == -1 or config.vocab_size == -1:
            ckpt.add_special_tokens(tokenizer, config)
        ckpt.check_special_tokens(tokenizer, config, str(directory))
    if config.encoder_config is None:
        config.encoder_config = backbone_config_dict(config.model_name, config.vocab_size)
    ckpt.check_vocabulary(tokenizer, config.encoder_config, "tokenizer", "text encoder", str(directory),
                          base_only=labels_tokenizer is not None)
    if can.generated_labels:
        decoder_tokenizer = ckpt.load_decoder_tokenizer(directory, config, decoder_tokenizer)
        if config.labels_decoder_config is None:
            config.labels_decoder_config = backbone_config_dict(config.labels_decoder, -1)
    else:
        decoder_tokenizer = None
    module = build_model(config)
    ours, passthrough = ckpt.map_reference_state_dict(ckpt.read_state_dict(directory), module, config.architecture,
                                                      str(directory))
    module.load_state_dict(ours, strict=True)
    return Parts(config, module, tokenizer, labels_tokenizer, decoder_tokenizer, passthrough,
                 ckpt.weights_file(directory))


def parts_from_config(config: GLiNERConfig, backbone_from_pretrained: bool = True, seed: int | None = 0) -> Parts:
    """A new model: the backbones' pretrained weights (when asked) and freshly initialised heads."""
    from transformers import AutoModel, AutoTokenizer

    source = ckpt.resolve_backbone(config.model_name)
    tokenizer = AutoTokenizer.from_pretrained(source)
    config.encoder_config = backbone_config_dict(config.model_name, -1)
    labels_tokenizer = decoder_tokenizer = None
    if capabilities_of(config.family).label_embeddings:
        labels_source = ckpt.resolve_backbone(config.labels_encoder)
        labels_tokenizer = AutoTokenizer.from_pretrained(labels_source)
        config.labels_encoder_config = backbone_config_dict(config.labels_encoder, -1)
    if config.labels_decoder is not None:
        decoder_source = ckpt.resolve_backbone(config.labels_decoder)
        decoder_tokenizer = ckpt.load_decoder_tokenizer(Path(decoder_source), config, decoder_source)
        config.labels_decoder_config = backbone_config_dict(config.labels_decoder, -1)
    if seed is not None:
        torch.manual_seed(seed)
    module = build_model(config)
    backbone = module.token_rep_layer.bert_layer
    if backbone_from_pretrained:
        with quiet_transformers():
            backbone.model.load_state_dict(AutoModel.from_pretrained(source).state_dict(), strict=True)
            if labels_tokenizer is not None:
                module.token_rep_layer.labels_encoder.model.load_state_dict(
                    AutoModel.from_pretrained(labels_source).state_dict(), strict=True)
            if decoder_tokenizer is not None:
                from transformers import AutoModelForCausalLM

                lm = AutoModelForCausalLM.from_pretrained(decoder_source)
                module.decoder.lm.load_state_dict(lm.state_dict(), strict=True)
    if labels_tokenizer is None:  # prompted families use <<ENT>>/<<SEP>>: new tokens, resized embeddings
        ckpt.add_special_tokens(tokenizer, config)
        with quiet_transformers():  # its notice on mean resizing is about training init, not an error
            backbone.model.resize_token_embeddings(len(tokenizer))
        config.encoder_config["vocab_size"] = len(tokenizer)
    return Parts(config, module, tokenizer, labels_tokenizer, decoder_tokenizer)


@contextlib.contextmanager
def quiet_transformers():
    """transformers' notices and weight-loading progress bars off for the block (errors still raise)."""
    from transformers.utils import logging as hf_logging

    level, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


def max_tokens(tokenizer, config: GLiNERConfig) -> int:
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


def backbone_config_dict(model_name: str, vocab_size: int) -> dict:
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
