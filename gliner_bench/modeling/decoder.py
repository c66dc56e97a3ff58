"""Decoder GLiNER: a causal language model names each detected span (as gliner 0.2.29 computes it).

The entity head is GLiNER's (span: UniEncoderSpan's; token: start/end/inside runs rescored by a span head).
The decoder is any ``AutoModelForCausalLM`` (GPT-2, Llama, ...) at the reference's keys
``decoder.decoder_layer.model.*``; ``_enc2dec_proj`` (an MLP D -> decoder width) exists when the widths differ.

What the decoder reads (its *prefix*), per span, in ``decoder_mode="span"``:
``[proj(span vector), embed(decoder tokens of the span's words)]`` with ``full_decoder_context`` (the
reference's default), else ``[proj(span vector)]``. In ``decoder_mode="prompt"`` the prompt carries one
``<<ENT>>`` per label and no label words; each label slot's projected vector is a prefix of length one, and
the generated name replaces the label of every entity of that slot.

This module holds the layers and the prefix construction; generation itself is in ``generation.py``.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import AutoConfig, AutoModelForCausalLM, PretrainedConfig

from ..config import GLiNERConfig
from ..spans.candidates import relex_token_candidates
from .layers import SpanMarkerV0, SpanRepLayer, TokenScorer, pad_spans, projection_mlp
from .uni import Encoded, UniEncoder, UniEncoderSpan

DECODER_MODES = ("span", "prompt")


def decoder_config(labels_decoder_config: dict) -> PretrainedConfig:
    data = dict(labels_decoder_config)
    model_type = data.pop("model_type", None)
    if not model_type:
        raise ValueError("labels_decoder_config has no 'model_type'; embed the causal LM's full config.")
    return AutoConfig.for_model(model_type, **data)


class _Holder(nn.Module):
    """``decoder_layer``: holds the causal LM under ``model`` (the reference's key path)."""

    def __init__(self, config: PretrainedConfig):
        super().__init__()
        self.model = AutoModelForCausalLM.from_config(config)


class LabelDecoder(nn.Module):
    """``decoder``: the causal LM that generates label names from prefix embeddings."""

    def __init__(self, config: PretrainedConfig):
        super().__init__()
        self.decoder_layer = _Holder(config)

    @property
    def lm(self) -> nn.Module:
        return self.decoder_layer.model

    @property
    def hidden_size(self) -> int:
        return self.lm.config.hidden_size

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """Token ids (...,) -> input embeddings (..., H)."""
        return self.lm.get_input_embeddings()(ids)


class _DecoderHead:
    """Mixin: builds ``decoder`` and ``_enc2dec_proj`` and turns GLiNER vectors into decoder prefixes."""

    def _build_decoder(self, config: GLiNERConfig) -> None:
        if config.decoder_mode not in DECODER_MODES:
            raise ValueError(f"decoder_mode is {config.decoder_mode!r}; expected one of {DECODER_MODES}.")
        if config.labels_decoder_config is None:
            raise ValueError("The config has no 'labels_decoder_config'; build decoder models through "
                             "GLiNER.from_pretrained or GLiNER.from_config, which resolve the decoder's config.")
        self.decoder = LabelDecoder(decoder_config(config.labels_decoder_config))
        if config.hidden_size != self.decoder.hidden_size:
            self._enc2dec_proj = projection_mlp(config.hidden_size, config.dropout, self.decoder.hidden_size)

    def to_decoder(self, vectors: torch.Tensor) -> torch.Tensor:
        """GLiNER vectors (..., D) -> decoder-width vectors (..., H)."""
        return self._enc2dec_proj(vectors) if hasattr(self, "_enc2dec_proj") else vectors

    def prefix(self, vector: torch.Tensor, token_ids: list[int]) -> torch.Tensor:
        """One span's decoder prefix: ``vector`` (H,) then the embeddings of ``token_ids`` -> (1 + T, H)."""
        if not token_ids or not self.config.full_decoder_context:
            return vector[None]
        ids = torch.tensor(token_ids, dtype=torch.long, device=vector.device)
        return torch.cat([vector[None], self.decoder.embed(ids).to(vector.dtype)], dim=0)

    def teacher_forcing(self, vectors: torch.Tensor, contexts: list[list[int]], targets: list[list[int]],
                        ) -> tuple[torch.Tensor, torch.Tensor]:
        """Training: each span's prefix (``vectors`` (N, H) and its context token ids) followed by its target
        label tokens (ending in EOS), right-padded into one decoder call.

        Returns next-token ``logits`` (N, T, V) and ``labels`` (N, T): the target ids at the target positions,
        -100 elsewhere (prefix and padding: padding is masked, unlike upstream).
        """
        seqs, labels = [], []
        for vector, context, target in zip(vectors, contexts, targets):
            prefix = self.prefix(vector, context)  # (P, H)
            ids = torch.tensor(target, dtype=torch.long, device=vector.device)
            seqs.append(torch.cat([prefix, self.decoder.embed(ids).to(prefix.dtype)], dim=0))  # (P + T_i, H)
            labels.append([-100] * prefix.size(0) + list(target))
        N, T, H = len(seqs), max((len(x) for x in labels), default=0), vectors.size(-1)
        embeds = vectors.new_zeros(N, T, H)
        mask = torch.zeros(N, T, dtype=torch.long, device=vectors.device)
        out_labels = torch.full((N, T), -100, dtype=torch.long, device=vectors.device)
        for n, (seq, lab) in enumerate(zip(seqs, labels)):
            embeds[n, : len(lab)] = seq
            mask[n, : len(lab)] = 1
            out_labels[n, : len(lab)] = torch.tensor(lab, device=vectors.device)
        logits = self.decoder.lm(inputs_embeds=embeds, attention_mask=mask).logits  # (N, T, V)
        return logits, out_labels

    def slot_vectors(self, enc: Encoded) -> torch.Tensor:
        """Prompt mode: each label slot's projected vector, in decoder width (B, C, H)."""
        return self.to_decoder(self.prompt_rep_layer(enc.labels))


class UniEncoderSpanDecoder(_DecoderHead, UniEncoderSpan):
    """Span decoder: UniEncoderSpan's entity head plus ``decoder`` and ``_enc2dec_proj``."""

    def __init__(self, config: GLiNERConfig):
        super().__init__(config)
        self._build_decoder(config)

    def forward(self, batch: dict[str, torch.Tensor]) -> dict:
        """``logits`` (B, W, K, C) as UniEncoderSpan, plus the ``encoded`` batch (for span vectors later)."""
        enc = self.encode(batch)
        return self.entity_logits(enc, batch) | {"encoded": enc}

    def span_vectors(self, enc: Encoded, span_idx: torch.Tensor) -> torch.Tensor:
        """Decoder-width span vectors (B, S, H) for ``span_idx`` (B, S, 2): the span head's representation
        (before the label projection), then ``_enc2dec_proj``."""
        return self.to_decoder(self.span_rep_layer.span_rep_layer(enc.words, span_idx))


class UniEncoderTokenDecoder(_DecoderHead, UniEncoder):
    """Token decoder: start/end/inside runs from ``scorer`` (unprojected labels) are the candidate spans;
    each is rescored by ``span_rep_layer`` (markerV0-shaped, upstream's TokenMarker) against the same
    unprojected label vectors. ``prompt_rep_layer`` exists in the checkpoints but only prompt mode reads it.
    """

    def __init__(self, config: GLiNERConfig):
        super().__init__(config)
        self.scorer = TokenScorer(config.hidden_size, config.dropout)
        self.span_rep_layer = SpanRepLayer("markerV0", config.hidden_size, config.max_width, config.dropout)
        self.prompt_rep_layer = projection_mlp(config.hidden_size, config.dropout)
        self._build_decoder(config)

    def forward(self, batch: dict[str, torch.Tensor], threshold: float = 0.5,
                spans: list[list[tuple[int, int]]] | None = None) -> dict:
        """``logits`` (B, W, C, 3) and, per row, ``spans``: candidate (start, end) runs above ``threshold``
        (each span once, first-found order), their ``span_reps`` (B, S, D) and ``span_logits`` (B, S, C)
        against the row's labels. Training passes its own ``spans`` (gold and negative) instead."""
        enc = self.encode(batch)
        logits = self.scorer(enc.words, enc.labels)  # (B, W, C, 3)
        if spans is None:
            spans = self.candidates(logits, batch["text_lengths"], enc.label_mask, threshold)
        reps, span_logits = self.rescore(enc, spans)
        return {"logits": logits, "word_mask": enc.word_mask, "label_mask": enc.label_mask, "encoded": enc,
                "spans": spans, "span_logits": span_logits, "span_reps": reps}

    @staticmethod
    def candidates(logits: torch.Tensor, text_lengths: torch.Tensor, label_mask: torch.Tensor,
                   threshold: float) -> list[list[tuple[int, int]]]:
        """Each row's (start, end) runs above ``threshold`` in ``logits`` (B, W, C, 3), each span once."""
        probs = torch.sigmoid(logits.detach().float())
        lengths, counts = text_lengths.view(-1).tolist(), label_mask.sum(dim=1).tolist()
        return [list(dict.fromkeys(relex_token_candidates(probs[b], lengths[b], counts[b], threshold)))
                for b in range(len(lengths))]

    def rescore(self, enc: Encoded, spans: list[list[tuple[int, int]]]) -> tuple[torch.Tensor, torch.Tensor]:
        """The span head on each row's ``spans``: ``span_reps`` (B, S, D) and ``span_logits`` (B, S, C) against
        the row's (unprojected) label vectors; rows shorter than S are zero-padded."""
        span_idx, _ = pad_spans(spans, enc.words.device)  # (B, S, 2)
        marker: SpanMarkerV0 = self.span_rep_layer.span_rep_layer
        reps = marker(enc.words, span_idx)  # (B, S, D)
        return reps, torch.einsum("bsd,bcd->bsc", reps, enc.labels)  # (B, S, C)
