"""Relex (UniEncoderSpanRelex, UniEncoderTokenRelex): entities, then the relations between them, in one pass.

Prompt ``[<<ENT>> e ... <<SEP>> <<REL>> r ... <<SEP>>] + words``; the labels are never split into groups (every
relation must see every entity label). A window's entity candidates are searched once: they are the entities
to decode and, as spans, the candidates the relation head pairs. Relations stay raw (spans, pairs,
probabilities) until ``finish`` knows which entities were kept.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, Protocol

import torch

from ...config import registry
from ...spans.candidates import relation_candidates
from ...spans.decoding import Span, attach_relations, merge_window_relations
from ...text.labels import LabelSet
from ...text.prompts import relex_prompt_words
from ..options import CallOptions, RelationOptions
from .base import DecodedText, Family, TextPrediction, UniModule, WindowOutput

# The relation head scores pairs of a window's entity candidates: E candidates make E^2 pairs (adjacency scores,
# pair lists, relation probabilities). At a threshold near 0 a 384-word window has tens of thousands of
# candidates, tens of GB of pairs; past this many a call is refused with what to do instead.
MAX_RELATION_SPANS = 2048  # 4.2M pairs


class RelexModule(UniModule, Protocol):
    """What the relex family needs from its module (``modeling/relex.py``), besides the entity pass (which also
    returns ``encoded``): the relation pass over the entity spans it kept."""

    def relations(self, enc: Any, batch: dict[str, torch.Tensor], spans: list[list[tuple[int, int]]],
                  adjacency_threshold: float) -> list: ...


class RelexFamily(Family):
    name = "relex"
    module_protocol = RelexModule
    capabilities = registry.FAMILIES["relex"].capabilities
    accepts = (RelationOptions,)
    splits_labels = False

    options = RelationOptions()

    def bind(self, options: CallOptions) -> RelexFamily:
        options.refuse_unless(self.accepts, self.config.architecture)
        bound = copy.copy(self)
        bound.options = options.relations
        return bound

    def prompt(self, labels: LabelSet) -> list[str]:
        cfg = self.config
        return relex_prompt_words(labels, self.options.labels, cfg.ent_token, cfg.sep_token, cfg.rel_token)

    def prompt_overflow_message(self, labels: LabelSet, prompt_tokens: int, max_tokens: int) -> str:
        return (f"The prompt of {len(labels)} entity labels and {len(self.options.labels)} relation labels takes "
                f"{prompt_tokens} of the encoder's {max_tokens} tokens, leaving no room for text; a relex model "
                "needs all of them in one pass. Pass fewer or shorter labels.")

    def score(self, batch: dict[str, torch.Tensor], set_ids: Sequence[int], prompt_sets: Sequence[LabelSet],
              threshold: float, multi_label: bool, state: Any) -> list[WindowOutput]:
        out = self.module(batch)  # entity logits and the encoding; no candidate search inside
        logits = out["logits"].float().cpu()
        lengths = batch["text_lengths"].tolist()
        found = [self.find(logits[b], lengths[b], len(prompt_sets[i]), threshold, not multi_label)
                 for b, i in enumerate(set_ids)]
        spans = [self.relation_spans(f, threshold) for f in found]
        self._check_pairs(spans, threshold)
        relex = self.module.relations(out["encoded"], batch, spans, self.options.adjacency_threshold)
        return [WindowOutput(f, r) for f, r in zip(found, relex)]

    def _check_pairs(self, spans: Sequence[Sequence[tuple[int, int]]], threshold: float) -> None:
        most = max((len(s) for s in spans), default=0)
        if self.options.labels and most > MAX_RELATION_SPANS:
            raise ValueError(
                f"At threshold {threshold:g}, {most} entity candidates in one window would be paired for relations "
                f"({most * most:,} pairs; the limit is {MAX_RELATION_SPANS} candidates). Raise the threshold "
                "(relations are found between entities a user would keep, 0.3 or more), or ask for entities "
                "alone (no relation labels), which needs no pairs at any threshold.")

    def relation_spans(self, candidates: list[Span], threshold: float) -> list[tuple[int, int]]:
        """The entity candidates the relation head pairs, as the reference lists them. Span head: each span
        whose best label passes, in (start, width) order -- the spans of the candidate list, once each. Token
        head: every start/end/inside run of a label with all scores strictly above the threshold (a run's score
        is its lowest), in (start, label, end) order, a span once per label."""
        if self.config.is_token_level:
            return [(c.start, c.end) for c in candidates if c.score > threshold]
        return list(dict.fromkeys((c.start, c.end) for c in candidates))

    def finish(self, decoded: Sequence[DecodedText]) -> list[TextPrediction]:
        out = []
        for d in decoded:
            windows = [(offset, length, self._window_relations(raw, offset, d.spans))
                       for offset, length, raw, _ in d.windows]
            found = attach_relations(d.spans, merge_window_relations(windows))
            names = self.options.labels.names
            out.append(TextPrediction(d.entities, [_relation(d.entities, h, names[r], t, p) for h, r, t, p in found]))
        return out

    def _window_relations(self, relex, offset: int, entities: Sequence[Span]):
        """A window's relations above the relation threshold between decoded ``entities`` (text word indices),
        in window word indices."""
        keep = {(e.start - offset, e.end - offset) for e in entities}
        return relation_candidates(relex.spans, relex.pairs, relex.probs, self.options.relation_threshold, keep)


def _relation(entities: list[dict], head: int, name: str, tail: int, score: float) -> dict[str, Any]:
    def end(i: int) -> dict[str, Any]:
        e = entities[i]
        return {"start": e["start"], "end": e["end"], "text": e["text"], "type": e["label"], "entity_idx": i}

    return {"head": end(head), "tail": end(tail), "relation": name, "score": score}
