"""The inference pipeline of every family, top to bottom:

    texts -> words -> subtokens (each text and each prompt tokenised once) -> rows (windows x label groups)
          -> batches (similar lengths together) -> encoder + head (the family's ``score``) -> candidates
          -> windows merged per text -> greedy decoding -> calibrated scores (a checkpoint's score_calibration)
          -> entity dicts -> the family's ``finish``
          -> ``TextPrediction`` per text

Nothing here depends on the family: what differs (the prompt, label vectors, the head's outputs, relations,
generated labels) is a step of ``families.Family``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..spans.decoding import Span, greedy_decode, merge_windows
from ..text.labels import LabelSet
from ..text.words import Words, plan_windows, to_words
from .calibration import ScoreCalibration
from .families import DecodedText, Family, TextPrediction, WindowOutput
from .options import CallOptions
from .tokenization import Pieces, Row, WordTokenizer


@dataclass(frozen=True)
class PromptSet:
    """A label set as prompted in one row: the whole set, or a group of its labels."""

    labels: LabelSet
    offset: int  # index of its first label in the parent label set
    prompt: Pieces  # the prompt words' subtokens


@dataclass(frozen=True)
class _Item:
    """One encoder row: words ``[start, end)`` of a text, under one prompt set."""

    text: int
    start: int
    end: int
    prompt_set: int
    tokens: int  # subtokens of the window's words (for sorting by length)


@dataclass(frozen=True)
class Settings:
    """The decoding settings of one call."""

    threshold: float = 0.5
    flat_ner: bool = True
    multi_label: bool = False
    batch_size: int = 8


class Pipeline:
    """Runs a family's model over texts. ``max_tokens``: the encoder's input limit in subtokens."""

    def __init__(self, family: Family, tokenizer: WordTokenizer, max_tokens: int):
        self.family, self.tokenizer, self.max_tokens = family, tokenizer, max_tokens
        self.config = family.config

    def run(self, texts: Sequence[str | Sequence[str]], label_sets: Sequence[LabelSet], label_of_text: Sequence[int],
            settings: Settings, options: CallOptions, device) -> list[TextPrediction]:
        family = self.family.bind(options)
        calibration = ScoreCalibration.from_field(self.config.score_calibration)
        raw_threshold = calibration.raw_threshold(settings.threshold)  # the head's scores are not calibrated yet
        words = [to_words(t, self.config.splitter) for t in texts]  # text -> words
        pieces = [self.tokenizer.pieces(w.tokens) for w in words]  # words -> subtokens, once per text
        prompt_sets, items = self._plan(family, pieces, label_sets, label_of_text)
        state = family.prepare([ps.labels for ps in prompt_sets], options)
        windows: list[list[tuple[int, int, WindowOutput, int]]] = [[] for _ in texts]
        items.sort(key=lambda it: -it.tokens)  # similar lengths together: less padding
        for first in range(0, len(items), settings.batch_size):
            chunk = items[first:first + settings.batch_size]
            rows = [Row(prompt_sets[it.prompt_set].prompt, pieces[it.text], it.start, it.end) for it in chunk]
            batch = {k: v.to(device) for k, v in self.tokenizer.batch(rows).items()}
            outputs = family.score(batch, [it.prompt_set for it in chunk], [ps.labels for ps in prompt_sets],
                                   raw_threshold, settings.multi_label, state)
            for it, out in zip(chunk, outputs):
                windows[it.text].append((it.start, it.end - it.start, out, prompt_sets[it.prompt_set].offset))
        decoded = [_decode(family, w, windows[i], label_sets[label_of_text[i]], settings, calibration)
                   for i, w in enumerate(words)]
        return family.finish(decoded)

    # ------------------------------------------------------------------------------------ planning
    def _plan(self, family: Family, pieces: Sequence[Pieces], label_sets: Sequence[LabelSet],
              label_of_text: Sequence[int]) -> tuple[list[PromptSet], list[_Item]]:
        """Encoder rows for every text: its windows, times its label groups.

        A prompted family's labels cost tokens in every window. When the label prompt and the text fit the
        encoder together, one row carries both (as upstream). Otherwise the text is windowed; and when the
        prompt alone takes more than half the encoder's tokens, the labels are split into groups that each take
        at most half (if the family allows it), every group prompted over every window.
        """
        cfg = self.config
        room = self.max_tokens - self.tokenizer.num_special
        prompt_sets: list[PromptSet] = []
        groups_of: dict[tuple[int, bool], list[int]] = {}
        prompts = [self.prompt_pieces(family, ls) for ls in label_sets]  # each label set's prompt, tokenised once
        whole = [sum(p.counts()) for p in prompts]
        items = []
        for i, text in enumerate(pieces):
            if len(text.words) == 0:
                continue
            set_id = label_of_text[i]
            counts = text.counts()
            fits = whole[set_id] + sum(counts) <= room and len(counts) <= cfg.words_per_window
            split = not fits and whole[set_id] > room // 2 and family.splits_labels
            if (set_id, split) not in groups_of:
                groups = self.label_groups(family, label_sets[set_id], room // 2 if split else None,
                                           prompts[set_id])
                groups_of[set_id, split] = list(range(len(prompt_sets), len(prompt_sets) + len(groups)))
                prompt_sets += groups
            for ps_id in groups_of[set_id, split]:
                budget = room - sum(prompt_sets[ps_id].prompt.counts())
                if budget < cfg.max_width + 1:
                    raise ValueError(family.prompt_overflow_message(label_sets[set_id], room - budget,
                                                                    self.max_tokens))
                for start, end in plan_windows(counts, cfg.words_per_window, budget, min_overlap=cfg.max_width + 1):
                    items.append(_Item(i, start, end, ps_id, sum(counts[start:end])))
        if not prompt_sets:  # only empty texts
            prompt_sets = [PromptSet(ls, 0, Pieces([], [])) for ls in label_sets]
        return prompt_sets, items

    def prompt_pieces(self, family: Family, labels: LabelSet) -> Pieces:
        """The family's prompt for ``labels``, tokenised."""
        return self.tokenizer.pieces(family.prompt(labels))

    def label_groups(self, family: Family, labels: LabelSet, max_prompt_tokens: int | None,
                     prompt: Pieces | None = None) -> list[PromptSet]:
        """``labels`` whole, or split in order into groups whose prompts take at most ``max_prompt_tokens``.
        ``prompt``: the tokenised prompt of all of ``labels``, when the caller has it already."""
        prompt = prompt if prompt is not None else self.prompt_pieces(family, labels)
        if max_prompt_tokens is None:
            return [PromptSet(labels, 0, prompt)]
        per_label = family.label_token_counts(prompt, len(labels))
        fixed = sum(self.prompt_pieces(family, LabelSet([], [])).counts())
        spans, start, used = [], 0, fixed
        for j, cost in enumerate(per_label):
            if j > start and used + cost > max_prompt_tokens:
                spans.append((start, j))
                start, used = j, fixed
            used += cost
        spans.append((start, len(per_label)))
        groups = [LabelSet(labels.prompts[a:b], labels.names[a:b]) for a, b in spans]
        return [PromptSet(g, a, self.prompt_pieces(family, g)) for g, (a, _) in zip(groups, spans)]


def _decode(family: Family, words: Words, windows: list[tuple[int, int, WindowOutput, int]], labels: LabelSet,
            settings: Settings, calibration: ScoreCalibration) -> DecodedText:
    """One text's windows -> merged candidates -> greedy decoding -> calibrated scores -> entity dicts.

    Calibration is monotone: decoding the raw candidates gives the same spans, and the final filter on the
    calibrated score only drops what float rounding let through at the raw threshold."""
    per_window = [(off, n, [c._replace(label=c.label + label_offset) for c in out.candidates] if label_offset
                   else out.candidates) for off, n, out, label_offset in windows]
    merged = merge_windows(per_window, with_source=True)
    source = {(s.start, s.end, s.label): w for s, w in merged}
    candidates = sorted((s for s, _ in merged), key=family.candidate_order)  # one pass's order, whatever windows
    spans = greedy_decode(candidates, flat_ner=settings.flat_ner, multi_label=settings.multi_label)
    if not calibration.is_identity:
        spans = [s._replace(score=calibration.score(s.score)) for s in spans]
        spans = [s for s in spans if s.score > settings.threshold]
    entities = [entity_dict(words, s, labels.names) for s in spans]
    extras = [(off, n, out.extra, label_offset) for off, n, out, label_offset in windows]
    return DecodedText(words, spans, entities, extras, source)


def entity_dict(words: Words, span: Span, names: Sequence[str]) -> dict[str, Any]:
    start, end = words.starts[span.start], words.ends[span.end]
    return {"start": start, "end": end, "text": words.text[start:end], "label": names[span.label],
            "score": span.score}
