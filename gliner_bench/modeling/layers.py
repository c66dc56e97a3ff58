"""Layers shared by the GLiNER families. Parameter names follow the reference's state-dict keys, so a
checkpoint maps onto these modules key for key (see checkpoint.py)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def projection_mlp(in_dim: int, dropout: float, out_dim: int | None = None) -> nn.Sequential:
    """``Linear(in, 4*out) - ReLU - Dropout - Linear(4*out, out)``; keys ``0.*`` and ``3.*``."""
    out_dim = in_dim if out_dim is None else out_dim
    return nn.Sequential(nn.Linear(in_dim, out_dim * 4), nn.ReLU(), nn.Dropout(dropout), nn.Linear(out_dim * 4, out_dim))


class BiLSTM(nn.Module):
    """Bidirectional LSTM over words, run on the packed sequence so padding never enters it."""

    def __init__(self, hidden_size: int, num_layers: int = 1):
        super().__init__()
        self.lstm = nn.LSTM(hidden_size, hidden_size // 2, num_layers=num_layers, bidirectional=True,
                            batch_first=True)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # x: (B, W, D), mask: (B, W) -> (B, W, D); padded positions come out as zeros
        lengths = mask.sum(dim=1).clamp_min(1).cpu()
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
        return out


class LayersFuser(nn.Module):
    """Squeeze-and-excitation weights over the backbone's hidden states [1:], summed, then projected.

    Differs from the reference on purpose: the squeeze averages over real tokens only. The reference
    averages over the padded length too, so a text's output changes with what it is batched with; the two
    agree exactly whenever there is no padding (a text on its own).
    """

    def __init__(self, num_layers: int, hidden_size: int, output_size: int | None = None):
        super().__init__()
        self.squeeze = nn.Linear(hidden_size, 1)
        self.W1 = nn.Linear(num_layers, num_layers // 2)
        self.W2 = nn.Linear(num_layers // 2, num_layers)
        self.output_projection = nn.Linear(hidden_size, output_size or hidden_size)

    def forward(self, hidden_states: tuple[torch.Tensor, ...], attention_mask: torch.Tensor) -> torch.Tensor:
        U = torch.stack(hidden_states[1:], dim=1)  # (B, N, L, D): every layer after the embeddings
        Z = self.squeeze(U).squeeze(-1)  # (B, N, L)
        m = attention_mask[:, None, :].to(Z.dtype)  # (B, 1, L)
        Z = (Z * m).sum(dim=2) / m.sum(dim=2).clamp_min(1)  # (B, N): mean over real tokens
        s = torch.sigmoid(self.W2(F.relu(self.W1(Z))))  # (B, N)
        fused = (U * s[:, :, None, None]).sum(dim=1)  # (B, L, D)
        return self.output_projection(fused)


def pad_spans(spans: list[list[tuple[int, int]]], device) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-row (start, end) lists -> span_idx (B, S, 2) and mask (B, S), S the longest list (may be 0)."""
    S = max((len(s) for s in spans), default=0)
    idx = torch.zeros(len(spans), S, 2, dtype=torch.long, device=device)
    mask = torch.zeros(len(spans), S, dtype=torch.bool, device=device)
    for b, s in enumerate(spans):
        if s:
            idx[b, : len(s)] = torch.tensor(s, device=device)
            mask[b, : len(s)] = True
    return idx, mask


def gather_words(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``x[b, index[b, s]]``: (B, W, H) gathered at (B, S) -> (B, S, H)."""
    return torch.gather(x, 1, index.unsqueeze(-1).expand(-1, -1, x.size(-1)))


class SpanMarkerV0(nn.Module):
    """markerV0 span representation: ``out(relu(cat(start_mlp(h)[s], end_mlp(h)[e])))``.

    Keys: ``project_start``, ``project_end`` = projection_mlp(D), ``out_project`` = projection_mlp(2D -> D).
    ``scores`` computes the same function, reassociated (outputs match the reference to float rounding):
    the first Linear of ``out_project`` is split into start and end halves applied once per word instead
    of once per span, and the last Linear is folded into the label vectors, so it runs once per label.
    """

    def __init__(self, hidden_size: int, max_width: int, dropout: float):
        super().__init__()
        self.max_width = max_width
        self.project_start = projection_mlp(hidden_size, dropout)
        self.project_end = projection_mlp(hidden_size, dropout)
        self.out_project = projection_mlp(hidden_size * 2, dropout, hidden_size)

    def _halves(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``out_project``'s first Linear split into its start and end halves, applied per word: 2 x (B, W, 4D)."""
        D = h.size(-1)
        first = self.out_project[0]  # Linear(2D, 4D) = [A_start | A_end]
        start = F.linear(F.relu(self.project_start(h)), first.weight[:, :D], first.bias)
        end = F.linear(F.relu(self.project_end(h)), first.weight[:, D:])
        return start, end

    def forward(self, h: torch.Tensor, span_idx: torch.Tensor) -> torch.Tensor:
        """Span vectors (B, S, D) for the spans in ``span_idx`` (B, S, 2)."""
        start, end = self._halves(h)
        pre = gather_words(start, span_idx[..., 0]) + gather_words(end, span_idx[..., 1])  # (B, S, 4D)
        return self.out_project[3](self.out_project[2](F.relu(pre)))

    def folded_labels(self, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The last Linear of ``out_project`` folded into the labels: (B, C, D) -> q (B, C, 4D), bias (B, C), so a
        span's score is ``relu(start + end) @ q + bias``."""
        last = self.out_project[3]  # Linear(4D, D)
        return labels @ last.weight, labels @ last.bias

    @staticmethod
    def grid_is_cheaper(num_labels: int, hidden: int) -> bool:
        """Span vectors then dot products (4D*D + D*C per span) beat folding the last Linear into the labels
        (4D*C per span) once 3C > 4D."""
        return 3 * num_labels > 4 * hidden

    def span_grid(self, h: torch.Tensor) -> torch.Tensor:
        """Every span's vector, width-major: (B, W, D) -> (B, K, W, D), entry [b, k, s] for span (s, s+k).

        Spans running past the window (s + k >= W) get span (0, 0)'s vector, as upstream; spans running past
        a shorter text of the batch get the vector of their (padding) words, not (0, 0)'s as upstream --
        they are never candidates, so decoding is the same. One width at a time from shifted slices, so at
        most (B, W, 4D) activations exist at once, and every write is contiguous.
        """
        B, W, D = h.shape
        K = self.max_width
        last = self.out_project[3]  # Linear(4D, D)
        start, end = self._halves(h)  # (B, W, 4D) each
        out = h.new_empty(B, K, W, D)
        drop = self.out_project[2]  # identity at inference; training needs it (the reference applies it)
        out[:, :, :] = last(drop(F.relu(start[:, :1] + end[:, :1])))[:, None]  # span (0, 0) everywhere first
        for k in range(min(K, W)):
            out[:, k, : W - k] = last(drop(F.relu(start[:, : W - k] + end[:, k:])))  # spans (s, s+k)
        return out

    def scores(self, h: torch.Tensor, span_mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``<span_rep, label>`` for every span (start w, width k) and label -> (B, W, K, C).

        ``span_mask`` (B, W, K) marks spans inside their text; the others get the score of span (0, 0), as
        upstream. Two orders of the same sums, whichever is cheaper: with few labels (3C <= 4D) the last
        Linear is folded into the labels (4D multiply-adds per span and label), one span width at a time from
        shifted slices; with more, the span vectors are formed once (``span_grid``, 4D*D per span) and dotted
        with the labels (D per span and label).
        """
        B, W, D = h.shape
        K, C = self.max_width, labels.size(1)
        if self.grid_is_cheaper(C, D):
            scores = grid_scores(self.span_grid(h), labels)
            return torch.where(span_mask[..., None], scores, scores[:, :1, :1])  # span (0, 0), as upstream
        q, bias = self.folded_labels(labels)  # (B, C, 4D), (B, C)
        start, end = self._halves(h)  # (B, W, 4D) each
        drop = self.out_project[2]  # identity at inference; in training it sits before the last Linear, as upstream
        scores = h.new_zeros(B, W, K, C)
        for k in range(min(K, W)):  # spans (s, s+k)
            scores[:, : W - k, k] = drop(F.relu(start[:, : W - k] + end[:, k:])) @ q.transpose(1, 2)
        fallback = drop(F.relu(start[:, :1] + end[:, :1])) @ q.transpose(1, 2)  # (B, 1, C): span (0, 0)
        scores = torch.where(span_mask[..., None], scores, fallback[:, :, None, :])
        return scores + bias[:, None, None, :]


def grid_scores(grid: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Width-major span vectors (B, K, W, D) against labels (B, C, D), or (C, D) shared by the batch,
    -> (B, W, K, C) (a permuted view)."""
    B, K, W, D = grid.shape
    if labels.dim() == 2:  # one GEMM over every span of the batch
        return (grid.view(B * K * W, D) @ labels.T).view(B, K, W, -1).permute(0, 2, 1, 3)
    return torch.bmm(grid.view(B, K * W, D), labels.transpose(1, 2)).view(B, K, W, -1).permute(0, 2, 1, 3)


class SpanMarker(nn.Module):
    """The older "marker" span representation: MLPs D -> 2D -> D, ``out_project`` a single Linear(2D, D)."""

    def __init__(self, hidden_size: int, max_width: int, dropout: float):
        super().__init__()
        self.max_width = max_width
        D = hidden_size

        def mlp() -> nn.Sequential:
            return nn.Sequential(nn.Linear(D, 2 * D), nn.ReLU(), nn.Dropout(dropout), nn.Linear(2 * D, D))

        self.project_start = mlp()
        self.project_end = mlp()
        self.out_project = nn.Linear(2 * D, D)

    def forward(self, h: torch.Tensor, span_idx: torch.Tensor) -> torch.Tensor:
        D = h.size(-1)
        W = self.out_project.weight  # (D, 2D) = [W_start | W_end], applied per word then gathered
        start = F.linear(F.relu(self.project_start(h)), W[:, :D], self.out_project.bias)  # (B, W, D)
        end = F.linear(F.relu(self.project_end(h)), W[:, D:])  # (B, W, D)
        return gather_words(start, span_idx[..., 0]) + gather_words(end, span_idx[..., 1])  # (B, S, D)

    def scores(self, h: torch.Tensor, span_mask: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """(B, W, D), (B, W, K), (B, C, D) -> (B, W, K, C); invalid spans scored as span (0, 0), as upstream."""
        B, W, _ = h.shape
        K = self.max_width
        starts = torch.arange(W, device=h.device).repeat_interleave(K)  # (W*K,)
        ends = starts + torch.arange(K, device=h.device).repeat(W)
        span_idx = torch.stack([starts, ends], dim=-1)[None] * span_mask.reshape(B, W * K, 1)  # (B, W*K, 2)
        reps = self(h, span_idx)  # (B, W*K, D)
        return torch.einsum("bsd,bcd->bsc", reps, labels).view(B, W, K, -1)


SPAN_REPRESENTATIONS = {"markerV0": SpanMarkerV0, "marker": SpanMarker}


class SpanRepLayer(nn.Module):
    """Holder that gives the reference's key prefix ``span_rep_layer.span_rep_layer.*``."""

    def __init__(self, span_mode: str, hidden_size: int, max_width: int, dropout: float):
        super().__init__()
        if span_mode not in SPAN_REPRESENTATIONS:
            raise NotImplementedError(
                f"span_mode {span_mode!r} is not implemented; supported: {', '.join(SPAN_REPRESENTATIONS)} "
                "(the modes of the released GLiNER checkpoints)."
            )
        self.span_rep_layer = SPAN_REPRESENTATIONS[span_mode](hidden_size, max_width, dropout)


class TokenScorer(nn.Module):
    """The token models' scorer: ``out_mlp(cat[t0, l0, t1 * l1])`` -> (B, W, C, 3) [start, end, inside].

    ``proj_token`` and ``proj_label`` are Linear(D, 2D) viewed as two halves. The first Linear of ``out_mlp``
    is split into its three column blocks, so the token and label terms are computed once per word and once
    per label rather than once per (word, label) pair. The pair term (W x C x 4D values, 4D^2 multiply-adds
    per pair) is computed a block of labels at a time (``PAIR_BLOCK`` values), in place: the same scores up to
    float rounding (identical on one thread), without streaming a (B, W, C, 4D) tensor through memory four times
    (2.5x faster at 256 labels).
    """

    PAIR_BLOCK = 1 << 22  # values of (B, W, labels, 4D) per block: ~16 MB of fp32

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()
        D = hidden_size
        self.proj_token = nn.Linear(D, 2 * D)
        self.proj_label = nn.Linear(D, 2 * D)
        self.out_mlp = nn.Sequential(nn.Linear(3 * D, 4 * D), nn.Dropout(dropout), nn.ReLU(), nn.Linear(4 * D, 3))

    def forward(self, tokens: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        # tokens (B, W, D), labels (B, C, D) -> (B, W, C, 3)
        B, W, _ = tokens.shape
        t1, token_term, l1, label_term = self.terms(tokens, labels)
        step = max(1, self.PAIR_BLOCK // max(1, B * W * token_term.size(-1)))
        blocks = [self.pair_block(t1, token_term, l1[:, c:c + step], label_term[:, :, c:c + step])
                  for c in range(0, labels.size(1), step)]
        if len(blocks) == 1:
            return blocks[0]
        return torch.cat(blocks, dim=2) if blocks else tokens.new_zeros(B, W, 0, self.out_mlp[3].out_features)

    def terms(self, tokens: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """What is computed once per word and once per label: ``t1`` (B, W, D), the token term (B, W, 1, 4D)
        with the first Linear's bias, ``l1`` (B, C, D), the label term (B, 1, C, 4D)."""
        D = tokens.size(-1)
        t0, t1 = self.proj_token(tokens).split(D, dim=-1)  # (B, W, D) each
        l0, l1 = self.proj_label(labels).split(D, dim=-1)  # (B, C, D) each
        first = self.out_mlp[0]
        Wt, Wl, _ = first.weight.split(D, dim=1)  # (4D, D) each: token, label, product blocks
        return t1, F.linear(t0, Wt, first.bias)[:, :, None, :], l1, F.linear(l0, Wl)[:, None, :, :]

    def pair_block(self, t1: torch.Tensor, token_term: torch.Tensor, l1: torch.Tensor,
                   label_term: torch.Tensor) -> torch.Tensor:
        """Scores of every word against a block of c labels (``terms`` sliced to them): (B, W, c, 3)."""
        first = self.out_mlp[0]
        Wp = first.weight[:, 2 * t1.size(-1):]  # (4D, D): the product block
        hidden = F.linear(t1[:, :, None, :] * l1[:, None, :, :], Wp)  # (B, W, c, 4D)
        hidden += token_term
        hidden += label_term
        hidden = F.relu(self.out_mlp[1](hidden), inplace=True)
        return self.out_mlp[3](hidden)
