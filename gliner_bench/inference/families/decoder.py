"""Decoders (UniEncoderSpanDecoder, UniEncoderTokenDecoder): entities as a uni-encoder finds them, then a
causal LM names each one.

``score`` keeps, per window, what the LM needs later: the candidate spans' decoder-width vectors (span mode),
or each label slot's generated names (prompt mode, where the prompt carries one ``<<ENT>>`` per label and no
label words). ``finish`` generates for the decoded entities only, in one batched call for every text.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from ...checkpoints.files import check_decoder_tokenizer
from ...config import registry
from ...modeling.layers import pad_spans
from ...spans.candidates import scored_span_candidates, span_candidates_from_logits
from ...spans.decoding import span_order
from ...text.labels import LabelSet
from ..generation import generate_labels, word_token_ids
from ..options import CallOptions, GenerationOptions
from ..tokenization import Pieces
from .base import DecodedText, Family, TextPrediction, UniModule, WindowOutput, module_device


class DecoderModule(UniModule, Protocol):
    """What the decoder family needs from its module (``modeling/decoder.py``), besides the uni-encoder pass: span
    and label-slot vectors, their projection into the LM, the generation prefix, and the LM itself."""

    decoder: torch.nn.Module  # ``.lm``: the causal LM that generates labels

    def to_decoder(self, vectors: torch.Tensor) -> torch.Tensor: ...

    def slot_vectors(self, enc: Any) -> torch.Tensor: ...

    def prefix(self, vector: torch.Tensor, token_ids: list[int]) -> torch.Tensor: ...


class SpanDecoderModule(DecoderModule, Protocol):
    """A span decoder's module also gives the vectors of the spans the family kept (a token decoder's forward
    pass returns its candidate spans' vectors itself, ``span_reps``)."""

    def span_vectors(self, enc: Any, span_idx: torch.Tensor) -> torch.Tensor: ...


@dataclass
class DecoderWindow:
    """What one window leaves for the label decoder."""

    vectors: dict[tuple[int, int], torch.Tensor] = field(default_factory=dict)  # span mode: (start, end) -> (H,)
    slot_names: list[list[str]] | None = None  # prompt mode: generated names of each label slot


class DecoderFamily(Family):
    name = "decoder"
    module_protocol = DecoderModule
    capabilities = registry.FAMILIES["decoder"].capabilities
    accepts = (GenerationOptions,)

    options = GenerationOptions()

    def __init__(self, module, config, tokenizer, labels_tokenizer=None, decoder_tokenizer=None):
        super().__init__(module, config, tokenizer)
        if decoder_tokenizer is None:
            raise ValueError(f"{config.architecture} needs a decoder tokenizer.")
        check_decoder_tokenizer(decoder_tokenizer, config.architecture)
        self.decoder_tokenizer = decoder_tokenizer

    def bind(self, options: CallOptions) -> DecoderFamily:
        options.refuse_unless(self.accepts, self.config.architecture)
        bound = copy.copy(self)
        bound.options = options.generation
        return bound

    @property
    def prompt_mode(self) -> bool:
        return self.config.decoder_mode == "prompt"

    @property
    def candidate_order(self):
        return span_order  # both heads end in scored spans

    def prompt(self, labels: LabelSet) -> list[str]:
        if self.prompt_mode:  # one slot per label, no label words: the decoder names the slots
            return [self.config.ent_token] * len(labels) + [self.config.sep_token]
        return super().prompt(labels)

    def label_token_counts(self, prompt: Pieces, num_labels: int) -> list[int]:
        if self.prompt_mode:
            return prompt.counts()[:num_labels]
        return super().label_token_counts(prompt, num_labels)

    # -------------------------------------------------------------------------------------- scoring
    def score(self, batch: dict[str, torch.Tensor], set_ids: Sequence[int], prompt_sets: Sequence[LabelSet],
              threshold: float, multi_label: bool, state: Any) -> list[WindowOutput]:
        rows = [prompt_sets[i] for i in set_ids]
        token = self.config.is_token_level
        out = self.module(batch, threshold=threshold) if token else self.module(batch)
        if token:  # candidate runs rescored by the span head
            probs = torch.sigmoid(out["span_logits"].float()).cpu()  # (B, S, C)
            found = [scored_span_candidates(out["spans"][b], probs[b], len(ls), threshold, not multi_label)
                     for b, ls in enumerate(rows)]
        else:
            logits = out["logits"].float().cpu()
            lengths = batch["text_lengths"].tolist()
            found = [span_candidates_from_logits(logits[b], lengths[b], len(ls), threshold, not multi_label)
                     for b, ls in enumerate(rows)]
        if not self.options.enabled:
            return [WindowOutput(f, DecoderWindow()) for f in found]
        if self.prompt_mode:
            return [WindowOutput(f, w) for f, w in zip(found, self._name_slots(out["encoded"], rows))]
        if token:  # the span head already ran on every candidate run: project those vectors
            vectors = self.module.to_decoder(out["span_reps"]).cpu()  # (B, S, H)
            spans = out["spans"]
        else:
            spans = [list(dict.fromkeys((c.start, c.end) for c in f)) for f in found]  # each candidate span once
            span_idx, _ = pad_spans(spans, out["encoded"].words.device)  # (B, S, 2)
            vectors = self.module.span_vectors(out["encoded"], span_idx).cpu()  # (B, S, H)
        return [WindowOutput(f, DecoderWindow({sp: vectors[b, n] for n, sp in enumerate(spans[b])}))
                for b, f in enumerate(found)]

    def _name_slots(self, encoded, rows: Sequence[LabelSet]) -> list[DecoderWindow]:
        """Prompt mode: the names generated for each label slot of each row."""
        slots = self.module.slot_vectors(encoded)  # (B, C, H)
        names = self.generate([slots[b, j][None] for b, ls in enumerate(rows) for j in range(len(ls))])
        windows, first = [], 0
        for ls in rows:
            windows.append(DecoderWindow({}, names[first:first + len(ls)]))
            first += len(ls)
        return windows

    # -------------------------------------------------------------------------------------- results
    def finish(self, decoded: Sequence[DecodedText]) -> list[TextPrediction]:
        """Span mode: every decoded entity of every text gets ``generated_labels`` from one batched generation.
        Prompt mode: an entity takes the first name generated for its label slot."""
        if not self.options.enabled:
            return super().finish(decoded)
        pending = []  # (entity, prefix)
        for d in decoded:
            for entity, s in zip(d.entities, d.spans):
                offset, _, window, label_offset = d.windows[d.source[s.start, s.end, s.label]]
                if self.prompt_mode:
                    generated = window.slot_names[s.label - label_offset]
                    entity["label"] = generated[0] if generated else entity["label"]
                    entity["generated_labels"] = generated
                else:
                    words = d.words.tokens[s.start:s.end + 1]
                    pending.append((entity, self._prefix(window, s.start - offset, s.end - offset, words)))
        if pending:
            for (entity, _), generated in zip(pending, self.generate([p for _, p in pending])):
                entity["generated_labels"] = generated
        return super().finish(decoded)

    def _prefix(self, window: DecoderWindow, start: int, end: int, words: Sequence[str]) -> torch.Tensor:
        """The decoder prefix of span (start, end) (window word indices) whose words are ``words``."""
        device = module_device(self.module)
        ids = word_token_ids(self.decoder_tokenizer, words) if self.config.full_decoder_context else []
        return self.module.prefix(window.vectors[start, end].to(device), ids)

    def generate(self, prefixes: Sequence[torch.Tensor]) -> list[list[str]]:
        return generate_labels(self.module.decoder.lm, self.decoder_tokenizer, prefixes, self.options.settings)
