"""Bi-encoder GLiNER: text and labels go through separate encoders (as gliner 0.2.29 computes it).

The label encoder turns each label into one vector (projected, then mean-pooled over its tokens), so label
vectors can be computed once and reused: the architecture for 50 to 1,000+ entity types. An optional
cross-fuser ("poly-encoder", ``post_fusion_schema``) lets labels and words attend to each other.

Reference quirk kept for parity: the reference builds and saves a BiLSTM (``rnn.*``) for bi-encoders but
never applies it (since gliner 0.2.13). We load those weights, so checkpoints stay whole, and do not apply
them either.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..config import GLiNERConfig
from .encoder import Backbone, TextEncoder, backbone_config, extract_word_vectors
from .layers import BiLSTM, SpanMarkerV0, SpanRepLayer, TokenScorer, grid_scores, projection_mlp


# ---------------------------------------------------------------------------------------------- cross-fuser
class MultiheadAttention(nn.Module):
    """Scaled dot-product attention with its own query/key/value layers (``{query,key,value}_layer``)."""

    def __init__(self, hidden_size: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.query_layer = nn.Linear(hidden_size, hidden_size)
        self.key_layer = nn.Linear(hidden_size, hidden_size)
        self.value_layer = nn.Linear(hidden_size, hidden_size)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        B, L, D = x.shape
        return x.view(B, L, self.num_heads, D // self.num_heads).transpose(1, 2)  # (B, h, L, D/h)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        q, k, v = self._heads(self.query_layer(query)), self._heads(self.key_layer(key)), self._heads(self.value_layer(value))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None].bool())  # (B, h, Lq, D/h)
        return out.transpose(1, 2).reshape(query.shape)  # (B, Lq, D)


class SelfAttentionBlock(nn.Module):
    """``post_norm(x + attn(q_proj(x), k_proj(x), v_proj(x)))`` with ``x = pre_norm(input)``."""

    def __init__(self, d_model: int, num_heads: int):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, num_heads)
        self.pre_norm = nn.LayerNorm(d_model)
        self.post_norm = nn.LayerNorm(d_model)
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.pre_norm(x)
        return self.post_norm(x + self.self_attn(self.q_proj(x), self.k_proj(x), self.v_proj(x), mask))


class CrossAttentionBlock(nn.Module):
    """``post_norm(q + attn(q, key, v_proj(key)))`` with ``q = pre_norm(query)``."""

    def __init__(self, d_model: int, num_heads: int):
        super().__init__()
        self.cross_attn = MultiheadAttention(d_model, num_heads)
        self.pre_norm = nn.LayerNorm(d_model)
        self.post_norm = nn.LayerNorm(d_model)
        self.v_proj = nn.Linear(d_model, d_model)

    def forward(self, query: torch.Tensor, key: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        query = self.pre_norm(query)
        return self.post_norm(query + self.cross_attn(query, key, self.v_proj(key), mask))


class CrossFuser(nn.Module):
    """Labels (l) and text (t) attend to themselves or each other, in the order ``schema`` names them
    ("l2l-l2t-t2t": labels self-attend, labels attend to text, text self-attends), ``num_layers`` times."""

    def __init__(self, d_model: int, num_heads: int, num_layers: int, schema: str):
        super().__init__()
        self.schema = schema.split("-")
        unknown = [s for s in self.schema if s not in ("l2l", "t2t", "l2t", "t2l")]
        if unknown:
            raise ValueError(f"post_fusion_schema {schema!r} has unknown steps {unknown}; use l2l, t2t, l2t, t2l.")
        self.layers = nn.ModuleList(
            nn.ModuleList(SelfAttentionBlock(d_model, num_heads) if s in ("l2l", "t2t")
                          else CrossAttentionBlock(d_model, num_heads) for s in self.schema)
            for _ in range(num_layers)
        )

    def forward(self, labels: torch.Tensor, words: torch.Tensor, label_mask: torch.Tensor,
                word_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # labels (B, C, D), words (B, W, D); masks (B, C), (B, W)
        lm, wm = label_mask.float(), word_mask.float()
        for blocks in self.layers:
            for step, block in zip(self.schema, blocks):
                if step == "l2l":
                    labels = block(labels, lm[:, :, None] * lm[:, None, :])
                elif step == "t2t":
                    words = block(words, wm[:, :, None] * wm[:, None, :])
                elif step == "l2t":
                    labels = block(labels, words, lm[:, :, None] * wm[:, None, :])
                else:  # t2l
                    words = block(words, labels, wm[:, :, None] * lm[:, None, :])
        return labels, words


# ---------------------------------------------------------------------------------------------- encoders
class BiTextEncoder(TextEncoder):
    """``token_rep_layer``: the text encoder plus ``labels_encoder`` and, when widths differ,
    ``labels_projection``."""

    def __init__(self, config: GLiNERConfig):
        super().__init__(backbone_config(config.encoder_config), config.hidden_size, config.fuse_layers)
        if config.labels_encoder_config is None:
            raise ValueError("A bi-encoder config needs 'labels_encoder_config' (the label encoder's HF config).")
        label_cfg = backbone_config(config.labels_encoder_config)
        self.labels_encoder = Backbone(label_cfg, config.fuse_layers)
        if label_cfg.hidden_size != config.hidden_size:
            self.labels_projection = nn.Linear(label_cfg.hidden_size, config.hidden_size)

    def encode_labels(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """One vector per label: (N, T) token ids -> (N, D); projection BEFORE mean pooling, as upstream."""
        h = self.labels_encoder(input_ids, attention_mask)  # (N, T, H)
        if hasattr(self, "labels_projection"):
            h = self.labels_projection(h)  # (N, T, D)
        m = attention_mask[..., None].to(h.dtype)  # special tokens included, padding excluded
        return (h * m).sum(dim=1) / m.sum(dim=1).clamp_min(1e-9)


class BiEncoder(nn.Module):
    """Shared body of both bi-encoders: text words, label vectors laid out per row, optional cross-fuser."""

    def __init__(self, config: GLiNERConfig):
        super().__init__()
        if config.span_encoder_config is not None:
            raise NotImplementedError("span_encoder_config is not supported by gliner-bench yet.")
        self.config = config
        self.token_rep_layer = BiTextEncoder(config)
        if config.num_rnn_layers > 0:
            self.rnn = BiLSTM(config.hidden_size, config.num_rnn_layers)  # saved upstream, never applied
        if config.post_fusion_schema:
            heads = backbone_config(config.encoder_config).num_attention_heads
            self.cross_fuser = CrossFuser(config.hidden_size, heads, config.num_post_fusion_layers,
                                          config.post_fusion_schema)

    @property
    def has_cross_fuser(self) -> bool:
        """Labels and words attend to each other: labels cannot be scored in independent chunks."""
        return hasattr(self, "cross_fuser")

    @property
    def text_vocabulary_size(self) -> int:
        """Rows of the text encoder's embedding table (ids past it must not reach the encoder)."""
        return self.token_rep_layer.bert_layer.model.get_input_embeddings().num_embeddings

    def encode_labels(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.token_rep_layer.encode_labels(input_ids, attention_mask)

    def encode_words(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.token_rep_layer(batch["input_ids"], batch["attention_mask"],
                                 batch.get("token_type_ids"))  # (B, L, D)
        return extract_word_vectors(h, batch["words_mask"], batch["attention_mask"], batch["text_lengths"],
                                    self.config.subtoken_pooling)  # (B, W, D), (B, W)

    def fuse(self, words: torch.Tensor, word_mask: torch.Tensor, labels: torch.Tensor,
             label_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Zero padded label slots, then run the cross-fuser if there is one: -> words, labels."""
        labels = labels * label_mask[..., None].to(labels.dtype)  # (B, C, D)
        if self.has_cross_fuser:
            labels, words = self.cross_fuser(labels, words, label_mask, word_mask)
            labels = labels * label_mask[..., None].to(labels.dtype)
        return words, labels

    def forward(self, batch: dict[str, torch.Tensor], label_vectors: torch.Tensor,
                label_index: torch.Tensor, label_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        """``label_vectors`` (N, D) from ``encode_labels``; ``label_index`` (B, C) picks each row's labels
        from them and ``label_mask`` (B, C) marks the real ones."""
        words, word_mask = self.encode_words(batch)
        words, labels = self.fuse(words, word_mask, label_vectors[label_index], label_mask)
        out = self.score(words, word_mask, self.label_head(labels), batch["text_lengths"])
        return out | {"label_mask": label_mask}


class BiEncoderSpan(BiEncoder):
    """Span head as in UniEncoderSpan: ``span_rep_layer`` and ``prompt_rep_layer``."""

    def __init__(self, config: GLiNERConfig):
        super().__init__(config)
        self.span_rep_layer = SpanRepLayer(config.span_mode, config.hidden_size, config.max_width, config.dropout)
        self.prompt_rep_layer = projection_mlp(config.hidden_size, config.dropout)

    def label_head(self, labels: torch.Tensor) -> torch.Tensor:
        """The head's label projection (``prompt_rep_layer``): (..., D) -> (..., D). Row-wise, so without a
        cross-fuser it can run once per label instead of once per label and batch row."""
        return self.prompt_rep_layer(labels)

    def span_mask(self, words: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, W, K): spans that end inside their text."""
        W, K = words.size(1), self.config.max_width
        ends = torch.arange(W, device=words.device)[:, None] + torch.arange(K, device=words.device)  # (W, K)
        return ends[None] < lengths.to(words.device)[:, None, None]

    def span_grid(self, words: torch.Tensor, num_labels: int) -> torch.Tensor | None:
        """Every span's vector (B, K, W, D), to score many label chunks without recomputing it, when that is
        the cheaper order (markerV0 with many labels; see SpanMarkerV0.scores), else None. Scores of spans past
        a text's end are then not upstream's (see SpanMarkerV0.span_grid); they are never candidates."""
        layer = self.span_rep_layer.span_rep_layer
        if isinstance(layer, SpanMarkerV0) and layer.grid_is_cheaper(num_labels, words.size(-1)):
            return layer.span_grid(words)
        return None

    def score(self, words: torch.Tensor, word_mask: torch.Tensor, labels: torch.Tensor,
              lengths: torch.Tensor, grid: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """(B, W, D), (B, W), labels (B, C, D) or (C, D) shared by the batch, already through ``label_head``
        -> ``logits`` (B, W, K, C), ``span_mask`` (B, W, K). ``grid`` from ``span_grid``, when the same words
        are scored against several label chunks."""
        span_mask = self.span_mask(words, lengths)
        if labels.dim() == 2 and grid is None:
            labels = labels.expand(words.size(0), -1, -1)  # (B, C, D)
        if grid is not None:
            logits = grid_scores(grid, labels)
        else:
            logits = self.span_rep_layer.span_rep_layer.scores(words, span_mask, labels)
        return {"logits": logits, "span_mask": span_mask}


class BiEncoderToken(BiEncoder):
    """Token head as in UniEncoderToken: ``scorer`` on the label vectors (no projection)."""

    def __init__(self, config: GLiNERConfig):
        super().__init__(config)
        if config.represent_spans:
            raise NotImplementedError("BiEncoderToken with represent_spans=True is not supported yet.")
        self.scorer = TokenScorer(config.hidden_size, config.dropout)

    def label_head(self, labels: torch.Tensor) -> torch.Tensor:
        return labels

    def span_grid(self, words: torch.Tensor, num_labels: int) -> None:
        return None  # no span vectors in a token head

    def score(self, words: torch.Tensor, word_mask: torch.Tensor, labels: torch.Tensor,
              lengths: torch.Tensor, grid=None) -> dict[str, torch.Tensor]:
        """(B, W, D), (B, W), (B, C, D) -> ``logits`` (B, W, C, 3), ``word_mask`` (B, W). The token head
        uses the label vectors as they are (``label_head`` is the identity)."""
        if labels.dim() == 2:
            labels = labels.expand(words.size(0), -1, -1)  # (B, C, D)
        return {"logits": self.scorer(words, labels), "word_mask": word_mask}
