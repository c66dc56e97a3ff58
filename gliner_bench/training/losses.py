"""The reference's training objectives (gliner 0.2.29) as pure tensor functions.

``focal_bce``: binary cross-entropy on sigmoid probabilities with label smoothing (targets pulled toward 0.5),
a probability margin on negatives, focal modulation ``(1 - p_t)^gamma`` and class weighting ``alpha``; with the
defaults (alpha -1, gamma 0) it is plain BCE. ``negative_mask``: negatives dropped at random (global, per label or
per span) so a batch's many easy negatives do not drown its positives.
"""

from __future__ import annotations

import torch

EPS = 1e-6


def focal_bce(logits: torch.Tensor, targets: torch.Tensor, alpha: float = -1.0, gamma: float = 0.0,
              prob_margin: float = 0.0, label_smoothing: float = 0.0) -> torch.Tensor:
    """Elementwise loss, same shape as ``logits``."""
    if label_smoothing:
        targets = targets * (1 - label_smoothing) + 0.5 * label_smoothing
    p = torch.sigmoid(logits)
    p_neg = (p - prob_margin).clamp(0.0, 1.0)  # negatives see a probability lowered by the margin
    loss = -targets * torch.log(p.clamp(min=EPS)) - (1 - targets) * torch.log((1 - p_neg).clamp(min=EPS))
    if gamma > 0:
        p_t = p * targets + (1 - p_neg) * (1 - targets)
        loss = loss * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = loss * (alpha * targets + (1 - alpha) * (1 - targets))
    return loss


def negative_mask(labels: torch.Tensor, keep: float, masking: str = "global",
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """1 for every positive and for each negative kept with probability ``keep``; ``labels`` (B, S, C).

    global: each negative (span, label) cell on its own; label: a label with no positive span in the row is kept
    or dropped whole; span: a span with no positive label is kept or dropped whole.
    """
    if keep >= 1.0 or masking == "none":
        return torch.ones_like(labels)
    if masking == "global":
        negative = labels == 0
    elif masking == "label":
        negative = (labels.sum(dim=1, keepdim=True) == 0).expand_as(labels)
    elif masking == "span":
        negative = (labels.sum(dim=2, keepdim=True) == 0).expand_as(labels)
    else:
        raise ValueError(f"masking must be global, label, span or none, got {masking!r}.")
    draw = torch.rand(labels.shape, generator=generator, device=labels.device) < keep
    return torch.where(negative, draw.to(labels.dtype), torch.ones_like(labels))


def span_loss(logits: torch.Tensor, labels: torch.Tensor, span_mask: torch.Tensor, label_mask: torch.Tensor,
              negatives: float = 1.0, masking: str = "global", generator=None, **focal) -> torch.Tensor:
    """Summed loss of a span model: ``logits`` and ``labels`` (B, W, K, C), ``span_mask`` (B, W, K) spans inside
    the text, ``label_mask`` (B, C) real label slots."""
    B, W, K, C = logits.shape
    loss = focal_bce(logits, labels, **focal).view(B, W * K, C)
    loss = loss * negative_mask(labels.view(B, W * K, C), negatives, masking, generator)
    loss = loss * span_mask.view(B, W * K, 1) * label_mask[:, None, :]
    return loss.sum()


def token_loss(logits: torch.Tensor, labels: torch.Tensor, word_mask: torch.Tensor, label_mask: torch.Tensor,
               **focal) -> torch.Tensor:
    """Summed loss of a token model: ``logits`` and ``labels`` (B, W, C, 3) [start, end, inside]."""
    loss = focal_bce(logits, labels, **focal)
    return (loss * word_mask[:, :, None, None] * label_mask[:, None, :, None]).sum()


def adjacency_loss(probs: torch.Tensor, targets: torch.Tensor, entity_mask: torch.Tensor) -> torch.Tensor:
    """Summed BCE on the adjacency head's probabilities (the reference: ``normalize_prob=False``): ``probs`` and
    ``targets`` (B, E, E), over ordered pairs of real, distinct entities (``entity_mask`` (B, E))."""
    E = probs.size(1)
    pairs = entity_mask[:, :, None] & entity_mask[:, None, :] & ~torch.eye(E, dtype=torch.bool,
                                                                              device=probs.device)[None]
    loss = -targets * torch.log(probs.clamp(min=EPS)) - (1 - targets) * torch.log((1 - probs).clamp(min=EPS))
    return (loss * pairs).sum()


def relation_loss(logits: torch.Tensor, targets: torch.Tensor, pair_mask: torch.Tensor,
                  relation_mask: torch.Tensor, **focal) -> torch.Tensor:
    """Summed loss of the relation classifier: ``logits`` and ``targets`` (B, N, R) over training pairs
    (``pair_mask`` (B, N)) and real relation slots (``relation_mask`` (B, R))."""
    loss = focal_bce(logits, targets, **focal)
    return (loss * pair_mask[:, :, None] * relation_mask[:, None, :]).sum()


def generation_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Summed next-token cross-entropy of the decoder: ``logits`` (N, T, V) at position t predict ``labels``
    (N, T) at t + 1; -100 marks positions without a target."""
    if logits.numel() == 0:
        return logits.sum()
    return torch.nn.functional.cross_entropy(logits[:, :-1].flatten(0, 1).float(), labels[:, 1:].flatten(),
                                             ignore_index=-100, reduction="sum")
