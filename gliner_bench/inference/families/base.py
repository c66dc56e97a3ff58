"""The interface every family implements, and the result types the pipeline passes between steps.

The pipeline (``pipeline.py``) owns what all families share: words, windows, batches, merging, greedy decoding.
A family contributes its own steps through ``Family``:
- ``prompt(labels)``: the words put in front of each window (the label prompt; none for bi-encoders);
- ``prepare(prompt_sets, options)``: per-call state (a bi-encoder's label vectors);
- ``score(batch, rows, ...)``: one encoder pass over a batch -> a ``WindowOutput`` per row (candidate spans,
  plus whatever the family's ``finish`` needs later, kept opaque to the pipeline);
- ``finish(decoded)``: decoded texts -> ``TextPrediction`` (relex fills ``relations``, decoders add
  ``generated_labels`` to the entities).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import torch

from ...config import registry
from ...config.capabilities import Capabilities
from ...spans.candidates import span_candidates_from_logits, token_candidates
from ...spans.decoding import Span, span_order, token_order
from ...text.labels import LabelSet
from ...text.prompts import prompt_words
from ...text.words import Words
from ..options import CallOptions
from ..tokenization import Pieces


class UniModule(Protocol):
    """What a uni-encoder family needs from its module (``modeling/uni.py``; ``OnnxUniModule`` for an export):
    one pass over a prompted batch (``tokenization.py``'s keys) that returns ``logits`` (span: B, W, K, C; token:
    B, W, C, 3), and its parameters (none for an ONNX module: it runs on the CPU)."""

    def __call__(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]: ...

    def parameters(self, recurse: bool = True): ...


@dataclass
class WindowOutput:
    """What one encoder row (a window of a text under one prompt set) yields."""

    candidates: list[Span]  # window word indices; labels index the row's prompt set
    extra: Any = None  # the family's own (relation scores, decoder vectors), read back by its ``finish``


@dataclass
class DecodedText:
    """One text after merging its windows and greedy decoding: what a family's ``finish`` reads."""

    words: Words
    spans: list[Span]  # decoded, text word indices, labels of the text's label set
    entities: list[dict[str, Any]]  # the output dicts, parallel to ``spans``
    windows: list[tuple[int, int, Any, int]]  # (first word, length, WindowOutput.extra, label offset)
    source: dict[tuple[int, int, int], int]  # (start, end, label) of a candidate -> index into ``windows``


@dataclass
class TextPrediction:
    """The result of one text, for every family."""

    entities: list[dict[str, Any]]  # {"start", "end", "text", "label", "score"} (+ "generated_labels")
    relations: list[dict[str, Any]] | None = field(default=None)  # relex: {"head", "tail", "relation", "score"}


def module_device(module: torch.nn.Module) -> torch.device:
    """Where a module's parameters live (the CPU for one without parameters, e.g. an ONNX export's)."""
    p = next(module.parameters(), None)
    return torch.device("cpu") if p is None else p.device


class Family:
    """A uni-encoder: ``[<<ENT>> label ... <<SEP>>] + words`` through one encoder, span or token head.

    The other families subclass it and override the steps that differ."""

    name: ClassVar[str] = "uni"
    module_protocol: ClassVar[type] = UniModule  # what ``self.module`` provides
    capabilities: ClassVar[Capabilities] = registry.FAMILIES["uni"].capabilities
    accepts: ClassVar[tuple[type, ...]] = ()  # option types of ``options.py`` this family takes
    splits_labels: ClassVar[bool] = True  # a label prompt too long for one window may be split into groups

    def __init__(self, module: torch.nn.Module, config, tokenizer, labels_tokenizer=None, decoder_tokenizer=None):
        """``module``: the family's module tree (``modeling/``); the text ``tokenizer``; a family that needs the
        label encoder's or the decoder's tokenizer says so when it is missing."""
        self.module, self.config, self.tokenizer = module, config, tokenizer

    def bind(self, options: CallOptions) -> Family:
        """This family with the call's options (families without options: itself)."""
        options.refuse_unless(self.accepts, self.config.architecture)
        return self

    @property
    def candidate_order(self):
        """The order the head lists candidates in (ties of greedy decoding keep it)."""
        return token_order if self.config.is_token_level else span_order

    # -------------------------------------------------------------------------------------- prompt
    def prompt(self, labels: LabelSet) -> list[str]:
        return prompt_words(labels, self.config.ent_token, self.config.sep_token)

    def label_token_counts(self, prompt: Pieces, num_labels: int) -> list[int]:
        """Encoder tokens each label adds to its prompt (``<<ENT>>`` and the label words)."""
        counts = prompt.counts()
        return [counts[2 * j] + counts[2 * j + 1] for j in range(num_labels)]

    def prompt_overflow_message(self, labels: LabelSet, prompt_tokens: int, max_tokens: int) -> str:
        """The error when a prompt (after any split into label groups) leaves no room for text."""
        return (f"A label prompt of {prompt_tokens} tokens leaves no room for text in the encoder's {max_tokens} "
                "tokens; shorten the label (or its description).")

    # -------------------------------------------------------------------------------------- scoring
    def prepare(self, prompt_sets: Sequence[LabelSet], options: CallOptions) -> Any:
        """Per-call state shared by every batch (none for prompted families)."""
        return None

    def score(self, batch: dict[str, torch.Tensor], set_ids: Sequence[int], prompt_sets: Sequence[LabelSet],
              threshold: float, multi_label: bool, state: Any) -> list[WindowOutput]:
        """One encoder pass: row b is prompted with ``prompt_sets[set_ids[b]]``. Without ``multi_label`` a span
        head lists only each span's best label (greedy decoding gives the same result from the shorter list)."""
        rows = [prompt_sets[i] for i in set_ids]
        logits = self.module(batch)["logits"].float().cpu()
        lengths = batch["text_lengths"].tolist()
        return [WindowOutput(self.find(logits[b], lengths[b], len(ls), threshold, not multi_label))
                for b, ls in enumerate(rows)]

    def find(self, logits: torch.Tensor, num_words: int, num_labels: int, threshold: float,
             best_only: bool, label_offset: int = 0) -> list[Span]:
        """Candidates of one row's logits: span (W, K, C) or token (W, C, 3)."""
        if self.config.is_token_level:
            return token_candidates(torch.sigmoid(logits), num_words, num_labels, threshold, best_only,
                                    label_offset=label_offset)
        return span_candidates_from_logits(logits, num_words, num_labels, threshold, best_only,
                                           label_offset=label_offset)

    # -------------------------------------------------------------------------------------- results
    def finish(self, decoded: Sequence[DecodedText]) -> list[TextPrediction]:
        return [TextPrediction(d.entities) for d in decoded]
