"""Uni-encoder GLiNER: labels and text share one encoder pass (as gliner 0.2.29 computes it).

UniEncoderSpan (vanilla GLiNER) scores every span of up to ``max_width`` words against every label;
UniEncoderToken (GLiNER multitask) scores every word as start / end / inside of every label.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..config import GLiNERConfig
from .encoder import (
    TextEncoder,
    backbone_config,
    extract_label_vectors,
    extract_word_vectors,
    prompt_isolation_bias,
    prompt_positions,
)
from .layers import BiLSTM, SpanRepLayer, TokenScorer, projection_mlp


@dataclass
class Encoded:
    labels: torch.Tensor  # (B, C, D) label vectors, before any head projection
    label_mask: torch.Tensor  # (B, C)
    words: torch.Tensor  # (B, W, D)
    word_mask: torch.Tensor  # (B, W)
    tokens: torch.Tensor  # (B, L, D) the encoder's output (relex reads its relation prompts from it)


class UniEncoder(nn.Module):
    """Shared front end: ``token_rep_layer`` (encoder), label and word vectors, optional ``rnn``."""

    def __init__(self, config: GLiNERConfig):
        super().__init__()
        if config.encoder_config is None:
            raise ValueError("The config has no 'encoder_config'; build models through GLiNER.from_pretrained "
                             "or GLiNER.from_config, which resolve the backbone's config.")
        if config.span_encoder_config is not None:
            raise NotImplementedError("span_encoder_config (a context encoder before the span layer) is not "
                                      "supported by gliner-bench yet.")
        self.config = config
        self.token_rep_layer = TextEncoder(backbone_config(config.encoder_config), config.hidden_size,
                                           config.fuse_layers)
        if config.num_rnn_layers > 0:
            self.rnn = BiLSTM(config.hidden_size, config.num_rnn_layers)

    def encode(self, batch: dict[str, torch.Tensor]) -> Encoded:
        cfg = self.config
        bias = None
        if cfg.isolate_prompt:  # (B, 1, L, L): the prompt does not read the text
            dtype = self.token_rep_layer.bert_layer.model.get_input_embeddings().weight.dtype
            bias = prompt_isolation_bias(batch["attention_mask"], prompt_positions(batch["words_mask"]), dtype)
        h = self.token_rep_layer(batch["input_ids"], batch["attention_mask"],
                                 batch.get("token_type_ids"), bias)  # (B, L, D)
        labels, label_mask = extract_label_vectors(h, batch["input_ids"], batch["attention_mask"],
                                                   cfg.class_token_index, cfg.embed_ent_token)
        words, word_mask = extract_word_vectors(h, batch["words_mask"], batch["attention_mask"],
                                                batch["text_lengths"], cfg.subtoken_pooling)
        if hasattr(self, "rnn"):
            words = self.rnn(words, word_mask)
        return Encoded(labels, label_mask, words, word_mask, h)


class UniEncoderSpan(UniEncoder):
    """Vanilla GLiNER. Heads: ``span_rep_layer`` (markerV0 or marker) and ``prompt_rep_layer`` (MLP)."""

    def __init__(self, config: GLiNERConfig):
        super().__init__(config)
        self.span_rep_layer = SpanRepLayer(config.span_mode, config.hidden_size, config.max_width, config.dropout)
        self.prompt_rep_layer = projection_mlp(config.hidden_size, config.dropout)

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Returns ``logits`` (B, W, K, C), ``span_mask`` (B, W, K) and ``label_mask`` (B, C)."""
        return self.entity_logits(self.encode(batch), batch)

    def entity_logits(self, enc: Encoded, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        W, K = enc.words.size(1), self.config.max_width
        ends = torch.arange(W, device=enc.words.device)[:, None] + torch.arange(K, device=enc.words.device)  # (W, K)
        lengths = batch["text_lengths"].to(enc.words.device)
        span_mask = ends[None] < lengths[:, None, None]  # (B, W, K): span ends inside its text
        labels = self.prompt_rep_layer(enc.labels)  # (B, C, D)
        logits = self.span_rep_layer.span_rep_layer.scores(enc.words, span_mask, labels)  # (B, W, K, C)
        return {"logits": logits, "span_mask": span_mask, "label_mask": enc.label_mask}


class UniEncoderToken(UniEncoder):
    """GLiNER multitask. Head: ``scorer`` on unprojected label vectors -> start / end / inside logits."""

    def __init__(self, config: GLiNERConfig):
        super().__init__(config)
        if config.represent_spans:
            raise NotImplementedError("UniEncoderToken with represent_spans=True is not supported yet.")
        self.scorer = TokenScorer(config.hidden_size, config.dropout)

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Returns ``logits`` (B, W, C, 3) [start, end, inside], ``word_mask`` (B, W), ``label_mask`` (B, C)."""
        enc = self.encode(batch)
        return {
            "logits": self.scorer(enc.words, enc.labels),
            "word_mask": enc.word_mask,
            "label_mask": enc.label_mask,
        }
