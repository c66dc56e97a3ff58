"""Relex GLiNER: entities and the relations between them in one forward pass (as gliner 0.2.29 computes it).

Prompt: ``[<<ENT>> e1 ... <<SEP>> <<REL>> r1 ... <<SEP>>] + words``. After the entity head:
1. entity candidates: span model -- every span whose best label scores above the threshold, in flat
   (start, width) order; token model -- every start/end/inside run above the threshold (one per label, so a
   span may repeat), in (start, label, end) order;
2. their span vectors (the span head's representation before any label projection);
3. an adjacency head picks the ordered pairs (i != j) whose edge probability exceeds
   ``adjacency_threshold``; ``relations_layer="none"`` keeps every pair;
4. each pair is scored against every relation prompt (the hidden states at <<REL>>, not projected):
   ``pair_rep_layer(cat(head, tail)) . rel`` or, with ``triples_layer``, a knowledge-graph scorer.

Differences from the reference, on purpose: candidates never come from batch padding (the reference's token
model extracts spans from padded words too), nor from padded label slots of shorter label sets.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..config import GLiNERConfig
from ..spans.candidates import relex_span_candidates, relex_token_candidates
from .encoder import extract_label_vectors
from .layers import SpanMarkerV0, SpanRepLayer, TokenScorer, pad_spans, projection_mlp
from .relation_layers import RelationsRepLayer, TriplesScoreLayer
from .uni import Encoded, UniEncoder, UniEncoderSpan

PAIR_CHUNK = 4096  # entity pairs scored at once


@dataclass
class RelexCandidates:
    """Entity candidates and scored pairs of one batch row (plain Python, word indices of the row)."""

    spans: list[tuple[int, int]]  # (start, end) inclusive, in candidate order
    pairs: list[tuple[int, int]]  # (head, tail) candidate indices, in the reference's order
    probs: torch.Tensor  # (len(pairs), R) relation probabilities


class _Relex:
    """Mixin: the relation pass after the entity head. The modules sit on the model itself, under the
    reference's key names; the model class provides ``span_vectors`` and ``find_candidates``."""

    def _build_relation_layers(self, config: GLiNERConfig) -> None:
        D = config.hidden_size
        if config.relations_layer != "none":
            self.relations_rep_layer = RelationsRepLayer(config.relations_layer, D)
        if config.triples_layer is not None:
            self.triples_score_layer = TriplesScoreLayer(config.triples_layer, D)
        else:
            self.pair_rep_layer = projection_mlp(2 * D, config.dropout, D)

    def relation_prompts(self, tokens: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Hidden states at each <<REL>> (or the token after it), NOT projected: (B, L, D) -> (B, R, D)."""
        rel, _ = extract_label_vectors(tokens, batch["input_ids"], batch["attention_mask"],
                                       self.config.rel_token_index, self.config.embed_rel_token)
        return rel

    def score_pairs(self, reps: torch.Tensor, mask: torch.Tensor, rel: torch.Tensor,
                    adjacency_threshold: float) -> tuple[list[list[tuple[int, int]]], torch.Tensor]:
        """``reps`` (B, E, D) candidate vectors, ``mask`` (B, E), ``rel`` (B, R, D).

        Returns the kept pairs of each row (row-major over i != j) and probabilities (B, N, R), N the most
        pairs of any row.
        """
        B, E, _D = reps.shape
        if hasattr(self, "relations_rep_layer") and E > 0:
            keep = self.relations_rep_layer(reps, mask) > adjacency_threshold  # (B, E, E)
        else:
            keep = mask[:, :, None] & mask[:, None, :]  # "none": every pair of real entities
        keep = keep & mask[:, :, None] & mask[:, None, :] & ~torch.eye(E, dtype=torch.bool, device=reps.device)[None]
        pairs = [torch.nonzero(keep[b]).tolist() for b in range(B)]  # row-major (i, j)
        N = max((len(p) for p in pairs), default=0)
        index = torch.zeros(B, N, 2, dtype=torch.long, device=reps.device)
        for b, p in enumerate(pairs):
            if p:
                index[b, : len(p)] = torch.tensor(p, device=reps.device)
        logits = self.pair_logits(reps, index, rel)  # (B, N, R)
        return [[tuple(x) for x in p] for p in pairs], torch.sigmoid(logits.float())

    def pair_logits(self, reps: torch.Tensor, index: torch.Tensor, rel: torch.Tensor) -> torch.Tensor:
        """Relation logits of entity pairs: ``reps`` (B, E, D), ``index`` (B, N, 2) (head, tail) rows of
        ``reps``, ``rel`` (B, R, D) -> (B, N, R)."""
        B, N = index.shape[:2]
        D, R = reps.size(-1), rel.size(1)
        rows = torch.arange(B, device=reps.device)[:, None]
        head, tail = reps[rows, index[..., 0]], reps[rows, index[..., 1]]  # (B, N, D) each
        chunks = []
        for lo in range(0, N, PAIR_CHUNK):  # pairs grow as E^2: bound the (B, chunk, 4D) activations
            h, t = head[:, lo:lo + PAIR_CHUNK], tail[:, lo:lo + PAIR_CHUNK]
            n = h.size(1)
            if hasattr(self, "pair_rep_layer"):
                pair = self.pair_rep_layer(torch.cat([h, t], dim=-1))  # (B, n, D)
                chunks.append(torch.einsum("bnd,brd->bnr", pair, rel))  # (B, n, R)
            else:
                chunks.append(self.triples_score_layer(
                    h[:, :, None].expand(B, n, R, D), rel[:, None].expand(B, n, R, D),
                    t[:, :, None].expand(B, n, R, D)))  # (B, n, R)
        return torch.cat(chunks, dim=1) if chunks else reps.new_zeros(B, 0, R)

    def relation_training_outputs(self, enc: Encoded, batch: dict[str, torch.Tensor], spans: torch.Tensor,
                                  span_mask: torch.Tensor, pairs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Training: gold entity ``spans`` (B, E, 2) with ``span_mask`` (B, E) and training ``pairs`` (B, N, 2)
        -> ``adjacency`` probabilities (B, E, E) (absent with ``relations_layer="none"``) and
        ``relation_logits`` (B, N, R)."""
        reps = self.span_vectors(enc.words, spans)  # (B, E, D)
        out = {"relation_logits": self.pair_logits(reps, pairs, self.relation_prompts(enc.tokens, batch))}
        if hasattr(self, "relations_rep_layer"):
            out["adjacency"] = self.relations_rep_layer(reps, span_mask)  # (B, E, E)
        return out

    def with_relations(self, out: dict, enc: Encoded, batch: dict[str, torch.Tensor], threshold: float | None,
                       adjacency_threshold: float) -> dict:
        """With ``threshold``, add ``relex``: one RelexCandidates per row, candidates found by the model's
        ``find_candidates`` on the entity probabilities (text words and real labels only)."""
        if threshold is None:
            return out
        probs = torch.sigmoid(out["logits"].float())
        lengths, counts = batch["text_lengths"].tolist(), enc.label_mask.sum(dim=1).tolist()
        spans = [self.find_candidates(probs[b], lengths[b], counts[b], threshold) for b in range(len(lengths))]
        return out | {"relex": self.relations(enc, batch, spans, adjacency_threshold)}

    def relations(self, enc: Encoded, batch: dict[str, torch.Tensor], spans: list[list[tuple[int, int]]],
                  adjacency_threshold: float) -> list[RelexCandidates]:
        rel = self.relation_prompts(enc.tokens, batch)  # (B, R, D)
        if rel.size(1) == 0:  # no relation label asked for: no span vector, no pair (E^2) to compute; at a low
            return [RelexCandidates(s, [], rel.new_zeros(0, 0).cpu()) for s in spans]  # threshold E is huge
        span_idx, mask = pad_spans(spans, enc.words.device)  # (B, E, 2), (B, E)
        reps = self.span_vectors(enc.words, span_idx)  # (B, E, D)
        pairs, probs = self.score_pairs(reps, mask, rel, adjacency_threshold)
        return [RelexCandidates(s, p, probs[b, : len(p)].cpu()) for b, (s, p) in enumerate(zip(spans, pairs))]


class UniEncoderSpanRelex(_Relex, UniEncoderSpan):
    """Span relex: UniEncoderSpan's entity head plus the relation head (keys ``pair_rep_layer.*``,
    ``relations_rep_layer.*``)."""

    find_candidates = staticmethod(relex_span_candidates)

    def __init__(self, config: GLiNERConfig):
        super().__init__(config)
        self._build_relation_layers(config)

    def span_vectors(self, words: torch.Tensor, span_idx: torch.Tensor) -> torch.Tensor:
        return self.span_rep_layer.span_rep_layer(words, span_idx)  # (B, E, D)

    def forward(self, batch: dict[str, torch.Tensor], threshold: float | None = None,
                adjacency_threshold: float = 0.5, gold: tuple | None = None) -> dict:
        """Entity ``logits`` (B, W, K, C) as UniEncoderSpan; with ``threshold``, also ``relex``: one
        RelexCandidates per row; in training, ``gold`` = (spans, span_mask, pairs) adds the relation
        outputs for the gold entities (``relation_training_outputs``)."""
        enc = self.encode(batch)
        out = self.entity_logits(enc, batch)
        if gold is not None:
            return out | self.relation_training_outputs(enc, batch, *gold)
        return self.with_relations(out | {"encoded": enc}, enc, batch, threshold, adjacency_threshold)


class UniEncoderTokenRelex(_Relex, UniEncoder):
    """Token relex: the token scorer on PROJECTED label vectors (unlike UniEncoderToken), candidates from
    start/end/inside runs, span vectors from a markerV0-shaped ``span_rep_layer`` (upstream's TokenMarker)."""

    find_candidates = staticmethod(relex_token_candidates)

    def __init__(self, config: GLiNERConfig):
        super().__init__(config)
        if config.represent_spans:
            raise NotImplementedError("UniEncoderTokenRelex with represent_spans=True is not supported yet.")
        self.span_rep_layer = SpanRepLayer("markerV0", config.hidden_size, config.max_width, config.dropout)
        self.prompt_rep_layer = projection_mlp(config.hidden_size, config.dropout)
        self.scorer = TokenScorer(config.hidden_size, config.dropout)
        self._build_relation_layers(config)

    def span_vectors(self, words: torch.Tensor, span_idx: torch.Tensor) -> torch.Tensor:
        marker: SpanMarkerV0 = self.span_rep_layer.span_rep_layer
        return marker(words, span_idx)  # (B, E, D)

    def forward(self, batch: dict[str, torch.Tensor], threshold: float | None = None,
                adjacency_threshold: float = 0.5, gold: tuple | None = None) -> dict:
        enc = self.encode(batch)
        logits = self.scorer(enc.words, self.prompt_rep_layer(enc.labels))  # (B, W, C, 3)
        out = {"logits": logits, "word_mask": enc.word_mask, "label_mask": enc.label_mask}
        if gold is not None:
            return out | self.relation_training_outputs(enc, batch, *gold)
        return self.with_relations(out | {"encoded": enc}, enc, batch, threshold, adjacency_threshold)
