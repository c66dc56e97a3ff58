"""The text encoder: a Hugging Face backbone, optional layers fuser and projection, and the extraction of
label vectors (at the <<ENT>> tokens) and word vectors (pooled subtokens) from its output."""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig

from .layers import LayersFuser


def backbone_config(encoder_config: dict) -> PretrainedConfig:
    """The embedded HF config as a config object; the reference defaults a missing model_type to deberta-v2."""
    data = dict(encoder_config)
    model_type = data.pop("model_type", None) or "deberta-v2"
    return AutoConfig.for_model(model_type, **data)


class Backbone(nn.Module):
    """``bert_layer``: the HF model (keys ``model.*``) and, with ``fuse_layers``, ``layers_fuser.*``."""

    def __init__(self, config: PretrainedConfig, fuse_layers: bool):
        super().__init__()
        self.model = AutoModel.from_config(config)
        self.fuse_layers = fuse_layers
        self.output_dtype: torch.dtype | None = None  # set when the model runs in lower precision (precision.py)
        if fuse_layers:
            self.layers_fuser = LayersFuser(config.num_hidden_layers, config.hidden_size)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None, attention_bias: torch.Tensor | None = None
                ) -> torch.Tensor:
        """``attention_bias`` (B, 1, L, L), additive, replaces the padding mask inside the backbone (the fuser
        still reads ``attention_mask``); see ``prompt_isolation_bias``."""
        extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        mask = attention_mask if attention_bias is None else attention_bias
        out = self.model(input_ids, attention_mask=mask, output_hidden_states=self.fuse_layers,
                         return_dict=True, **extra)
        if self.fuse_layers:
            states = out.hidden_states
            if self.output_dtype is not None:
                states = tuple(s.to(self.output_dtype) for s in states)
            return self.layers_fuser(states, attention_mask)
        h = out[0]  # (B, L, H)
        return h if self.output_dtype is None else h.to(self.output_dtype)


class TextEncoder(nn.Module):
    """``token_rep_layer``: backbone, then ``projection`` Linear(H, D) when GLiNER's width D differs."""

    def __init__(self, config: PretrainedConfig, hidden_size: int, fuse_layers: bool):
        super().__init__()
        self.bert_layer = Backbone(config, fuse_layers)
        if config.hidden_size != hidden_size:
            self.projection = nn.Linear(config.hidden_size, hidden_size)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None, attention_bias: torch.Tensor | None = None
                ) -> torch.Tensor:
        h = self.bert_layer(input_ids, attention_mask, token_type_ids, attention_bias)  # (B, L, H)
        if hasattr(self, "projection"):
            h = self.projection(h)  # (B, L, D)
        return h


def prompt_isolation_bias(attention_mask: torch.Tensor, in_prompt: torch.Tensor, dtype: torch.dtype
                          ) -> torch.Tensor:
    """The additive attention bias of ``isolate_prompt``: (B, L) masks -> (B, 1, L, L). A prompt token (query)
    attends to the prompt's tokens only, so a label vector does not depend on the text after the prompt; a text
    token attends to every token, as without isolation. Padding keys are masked for every query."""
    keys = attention_mask.bool()[:, None, :]  # (B, 1, L)
    allowed = keys & (~in_prompt.bool()[:, :, None] | in_prompt.bool()[:, None, :])  # (B, L, L): query x key
    bias = torch.zeros(allowed.shape, dtype=dtype, device=attention_mask.device)
    bias = bias.masked_fill(~allowed, torch.finfo(dtype).min)
    return bias[:, None]  # (B, 1, L, L)


def prompt_positions(words_mask: torch.Tensor) -> torch.Tensor:
    """(B, L) -> (B, L) bool: the tokens before the first text word (CLS, the label prompt, its separator)."""
    return (words_mask > 0).long().cumsum(dim=1).eq(0)


def extract_label_vectors(
    token_embeds: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor, class_token_index: int,
    embed_ent_token: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Vectors at each <<ENT>> token (or the token after it): (B, L, D) -> (B, C, D) and mask (B, C)."""
    is_class = input_ids.eq(class_token_index) & attention_mask.bool()  # (B, L)
    counts = is_class.sum(dim=1)  # (B,)
    C = int(counts.max()) if counts.numel() else 0
    slot = torch.arange(C, device=input_ids.device).expand(input_ids.size(0), C)  # (B, C)
    mask = slot < counts[:, None]  # (B, C)
    rows, positions = torch.nonzero(is_class, as_tuple=True)  # row-major, so slots fill in order
    if not embed_ent_token:
        positions = positions + 1
    out = token_embeds.new_zeros(input_ids.size(0), C, token_embeds.size(-1))
    out[mask] = token_embeds[rows, positions]
    return out, mask


def extract_word_vectors(
    token_embeds: torch.Tensor, words_mask: torch.Tensor, attention_mask: torch.Tensor,
    text_lengths: torch.Tensor, pooling: str = "first",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pool subtokens into words: (B, L, D) -> (B, W, D) with W = max(text_lengths), and mask (B, W)."""
    B, _, D = token_embeds.shape
    W = int(text_lengths.max()) if text_lengths.numel() else 0
    selected = (words_mask > 0) & attention_mask.bool()  # (B, L)
    rows, cols = torch.nonzero(selected, as_tuple=True)
    flat_index = rows * W + words_mask[rows, cols] - 1  # (N,) position in the flattened (B*W) output
    vectors = token_embeds[rows, cols]  # (N, D)
    out = token_embeds.new_zeros(B * W, D)
    if pooling in ("first", "last"):
        out[flat_index] = vectors  # one selected subtoken per word
    else:
        reduce = "mean" if pooling == "mean" else "amax"
        out.scatter_reduce_(0, flat_index[:, None].expand(-1, D), vectors, reduce=reduce, include_self=False)
    mask = torch.arange(W, device=token_embeds.device)[None, :] < text_lengths[:, None]  # (B, W)
    return out.view(B, W, D), mask
