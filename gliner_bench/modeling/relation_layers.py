"""Relation heads of the relex models (the reference's ``modeling/multitask``).

- Adjacency heads (``relations_layer``): entity vectors (B, E, D) -> edge probabilities (B, E, E), zero
  wherever an endpoint is padding. Keys: ``relations_rep_layer.relation_rep_layer.*``.
- Triple scorers (``triples_layer``): knowledge-graph scores of (head, relation, tail). Only the scorers
  without parameters are implemented: in the reference the others are built with a hard-coded width of 768
  whatever the model's width, so no small checkpoint of them can exist to check against.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import fft, nn

ADJACENCY_BLOCK = 1 << 24  # floats of (B, rows, E, D) pair activations an MLP adjacency computes at once


def pair_mask(mask: torch.Tensor) -> torch.Tensor:
    """(B, E) entity mask -> (B, E, E) float mask of edges between real entities."""
    m = mask.float()
    return m[:, :, None] * m[:, None, :]


def dot_adjacency(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``sigmoid(x x^T)``: (B, E, D) -> (B, E, E)."""
    return torch.sigmoid(torch.bmm(x, x.transpose(1, 2))) * pair_mask(mask)


class DotAdjacency(nn.Module):
    """"dot": no parameters."""

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return dot_adjacency(x, mask)


class MLPAdjacency(nn.Module):
    """"mlp": ``sigmoid(mlp(cat(x_i, x_j)))``; keys ``mlp.{0,2}``."""

    def __init__(self, dim: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(2 * dim, dim), nn.ReLU(), nn.Linear(dim, 1))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # mlp.0 on cat(x_i, x_j) is W_head x_i + W_tail x_j + b: project each entity once, then add the pairs in
        # blocks of rows, so memory stays bounded (B, rows, E, D) instead of (B, E, E, 2D) for E candidates.
        B, E, D = x.shape
        first, second = self.mlp[0], self.mlp[2]
        head = F.linear(x, first.weight[:, :D], first.bias)  # (B, E, D)
        tail = F.linear(x, first.weight[:, D:])  # (B, E, D)
        rows = max(1, ADJACENCY_BLOCK // max(1, B * E * D))
        scores = [second(torch.relu(head[:, lo:lo + rows, None] + tail[:, None])).squeeze(-1)  # (B, rows, E)
                  for lo in range(0, E, rows)]
        logits = torch.cat(scores, dim=1) if scores else x.new_zeros(B, 0, E)
        return torch.sigmoid(logits) * pair_mask(mask)


class AttentionAdjacency(nn.Module):
    """"attention": head-averaged weights of ``nn.MultiheadAttention`` (8 heads) over the entities."""

    def __init__(self, dim: int, heads: int = 8):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        _, weights = self.attn(x, x, x, key_padding_mask=~mask.bool(), need_weights=True)  # (B, E, E)
        return torch.nan_to_num(weights) * pair_mask(mask)  # a row with no real entity is all NaN


class BilinearAdjacency(nn.Module):
    """"bilinear": ``sigmoid(z z^T)`` with ``z = proj(x)``."""

    def __init__(self, dim: int):
        super().__init__()
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        z = self.proj(x)  # (B, E, D)
        return torch.sigmoid(torch.bmm(z, z.transpose(1, 2))) * pair_mask(mask)


class GCNLayer(nn.Module):
    """``relu(linear(D^-1/2 (A + I) D^-1/2 x))`` with self-loops on real entities only."""

    def __init__(self, dim: int):
        super().__init__()
        self.linear = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, adjacency: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        a = adjacency * pair_mask(mask) + torch.diag_embed(mask.float())  # (B, E, E)
        d = a.sum(dim=-1).clamp(min=1e-6).pow(-0.5)  # (B, E)
        a_norm = torch.diag_embed(d) @ a @ torch.diag_embed(d)
        return F.relu(self.linear(torch.bmm(a_norm, x)))


class GCNAdjacency(nn.Module):
    """"gcn": dot adjacency, one GCN layer, then ``sigmoid(p p^T)`` with ``p = proj(h)``."""

    def __init__(self, dim: int):
        super().__init__()
        self.gcn = GCNLayer(dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.gcn(x, dot_adjacency(x, mask), mask)  # (B, E, D)
        p = self.proj(h)
        return torch.sigmoid(torch.bmm(p, p.transpose(1, 2))) * pair_mask(mask)


class GATAdjacency(nn.Module):
    """"gat": self-attention over the entities (8 heads), then ``sigmoid(z z^T)`` with ``z = linear(h)``."""

    def __init__(self, dim: int, heads: int = 8):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.linear = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h, _ = self.attn(x, x, x, key_padding_mask=~mask.bool(), need_weights=False)  # (B, E, D)
        z = self.linear(torch.nan_to_num(h))
        return torch.sigmoid(torch.bmm(z, z.transpose(1, 2))) * pair_mask(mask)


ADJACENCY_HEADS = {
    "dot": lambda dim: DotAdjacency(),
    "mlp": MLPAdjacency,
    "attention": AttentionAdjacency,
    "attn": AttentionAdjacency,
    "bilinear": BilinearAdjacency,
    "gcn": GCNAdjacency,
    "gat": GATAdjacency,
}


class RelationsRepLayer(nn.Module):
    """Holder that gives the reference's key prefix ``relations_rep_layer.relation_rep_layer.*``."""

    def __init__(self, mode: str, dim: int):
        super().__init__()
        if mode.lower() not in ADJACENCY_HEADS:
            raise NotImplementedError(
                f"relations_layer {mode!r} is not known; supported: {', '.join(ADJACENCY_HEADS)} or 'none' "
                "(every pair of entities is scored)."
            )
        self.relation_rep_layer = ADJACENCY_HEADS[mode.lower()](dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.relation_rep_layer(x, mask)


# ---------------------------------------------------------------------------------------------- triples
def _norm_score(x: torch.Tensor, p: int) -> torch.Tensor:
    """Negative L_p norm, the norm clamped at 10 (the reference's default)."""
    return -torch.linalg.norm(x, ord=p, dim=-1).clamp(max=10.0)


def _complex_halves(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.chunk(x, 2, dim=-1)


def _complex(h: torch.Tensor, r: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    (hr, hi), (rr, ri), (tr, ti) = _complex_halves(h), _complex_halves(r), _complex_halves(t)
    return (hr * rr * tr + hr * ri * ti + hi * rr * ti - hi * ri * tr).sum(dim=-1)


def _hole(h: torch.Tensor, r: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    corr = fft.irfft(fft.rfft(h.float(), dim=-1).conj() * fft.rfft(t.float(), dim=-1), n=h.shape[-1], dim=-1)
    return (corr * r.float()).sum(dim=-1)


# (h, r, t), each (..., D) -> scores (...)
TRIPLE_SCORERS = {
    "UM": lambda h, r, t: _norm_score(h - t, p=2),
    "SE": lambda h, r, t: _norm_score(r * h - r * t, p=2),
    "TransE": lambda h, r, t: _norm_score(h + r - t, p=1),
    "DistMult": lambda h, r, t: (h * r * t).sum(dim=-1),
    "DistMA": lambda h, r, t: (h * r).sum(dim=-1) + (h * t).sum(dim=-1) + (r * t).sum(dim=-1),
    "ComplEx": _complex,
    "HolE": _hole,
}
PARAMETRIC_TRIPLE_SCORERS = ("TransH", "TransF", "PairRE", "TripleRE", "SimplE", "QuatE", "TuckER", "ERMLP",
                             "ConvE", "ConvKB")


class TriplesScoreLayer(nn.Module):
    """``triples_score_layer``: a parameter-free knowledge-graph scorer of (head, relation, tail)."""

    def __init__(self, mode: str, dim: int):
        super().__init__()
        if mode not in TRIPLE_SCORERS:
            known = "one of the reference's parametric scorers" if mode in PARAMETRIC_TRIPLE_SCORERS else "unknown"
            raise NotImplementedError(
                f"triples_layer {mode!r} is not supported ({known}); supported: {', '.join(TRIPLE_SCORERS)}."
            )
        if mode == "ComplEx" and dim % 2:
            raise ValueError(f"triples_layer 'ComplEx' needs an even hidden_size, got {dim}.")
        self.mode = mode

    def forward(self, h: torch.Tensor, r: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return TRIPLE_SCORERS[self.mode](h, r, t)
