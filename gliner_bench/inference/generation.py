"""Label generation for the decoder models: prefix embeddings -> label names.

Differences from the reference (gliner 0.2.29), on purpose:
- Deterministic by default: greedy decoding (beam search with ``num_gen_sequences`` > 1). The reference
  samples at temperature 0.01 by default (nearly greedy, but not reproducible); pass ``do_sample=True,
  temperature=...`` to sample.
- Batch-invariant: prefixes are left-padded to the longest of their chunk and the padding is MASKED
  (positions then start at each prefix's first real vector), so a span gets the same labels alone or in any
  batch, up to float rounding (next-token logits agree within 6e-8 on tiny models and 5e-5 on SmolLM2-135M;
  only an exact near-tie could flip). The reference pads with zeros and attends to the padding. One
  ``generate`` call per chunk matters on CPU: a decoding step costs about the same for 1 or 64 prefixes
  (SmolLM2: ~0.2 s per step on 2 cores), so generating per length group was 5x slower.
- Nothing to generate, nothing generated: the reference crashes inside ``generate`` when no span passes the
  threshold.
- Generated names are stripped of surrounding whitespace (byte-level tokenizers produce " location"),
  de-duplicated in order, and with ``gen_constraints`` only names among the constraints are kept (a beam
  forced past the allowed tokens is dropped rather than returned as garbage).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

DEFAULT_MAX_NEW_TOKENS = 15  # the reference's default
GENERATION_BATCH = 64  # prefixes generated at once (times the number of beams): bounds memory
# Arguments the pipeline sets itself; passing them would silently do something else.
RESERVED = ("inputs_embeds", "input_ids", "attention_mask", "num_return_sequences", "prefix_allowed_tokens_fn")


class LabelTrie:
    """Allowed next tokens after a prefix of token ids, for constrained generation."""

    def __init__(self, sequences: Sequence[Sequence[int]]):
        self.root: dict[int, dict] = {}
        for seq in sequences:
            node = self.root
            for tok in seq:
                node = node.setdefault(int(tok), {})

    def allowed(self, prefix: Sequence[int]) -> list[int]:
        node = self.root
        for tok in prefix:
            node = node.get(int(tok))
            if node is None:
                return []
        return list(node)


@dataclass
class GenerationSettings:
    """What the caller asked for, validated (``from_call``)."""

    num_sequences: int = 1
    constraints: list[str] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_call(cls, gen_constraints, num_gen_sequences, gen_kwargs: Mapping[str, Any]) -> GenerationSettings:
        if isinstance(num_gen_sequences, bool) or not isinstance(num_gen_sequences, int) or num_gen_sequences < 1:
            raise ValueError(f"num_gen_sequences must be a positive integer (labels generated per span), "
                             f"got {num_gen_sequences!r}.")
        constraints = None
        if gen_constraints is not None:
            if isinstance(gen_constraints, str) or not isinstance(gen_constraints, Sequence):
                raise ValueError("gen_constraints must be a list of label names, e.g. ['company', 'person'].")
            if len(gen_constraints) == 0:
                raise ValueError("gen_constraints is empty: pass the label names generation may produce, or None "
                                 "for free generation.")
            bad = [c for c in gen_constraints if not isinstance(c, str) or not c.strip()]
            if bad:
                raise ValueError(f"gen_constraints must be non-blank strings; got {bad[:3]!r}.")
            constraints = list(dict.fromkeys(c.strip() for c in gen_constraints))
        reserved = [k for k in gen_kwargs if k in RESERVED]
        if reserved:
            raise ValueError(f"Generation argument(s) {reserved} are set by gliner-bench; use num_gen_sequences "
                             "for several labels per span and gen_constraints to restrict them.")
        kwargs = dict(gen_kwargs)
        kwargs.setdefault("max_new_tokens", DEFAULT_MAX_NEW_TOKENS)
        kwargs.setdefault("do_sample", False)
        beams = kwargs.setdefault("num_beams", num_gen_sequences)
        if not isinstance(beams, int) or beams < num_gen_sequences:
            raise ValueError(f"num_beams ({beams!r}) must be an integer >= num_gen_sequences ({num_gen_sequences}).")
        return cls(num_gen_sequences, constraints, kwargs)


def label_token_ids(tokenizer, label: str) -> list[int]:
    """A label as the decoder spells it: its tokens (no BOS), then EOS -- the reference's constraint rule."""
    ids = tokenizer.encode(label)
    if ids and tokenizer.bos_token_id is not None and ids[0] == tokenizer.bos_token_id:
        ids = ids[1:]
    return ids + [tokenizer.eos_token_id]


def word_token_ids(tokenizer, words: Sequence[str]) -> list[int]:
    """Decoder tokens of text words as the reference's full decoder context has them: each word tokenised on
    its own with a leading space (words never come first: the prompt precedes them)."""
    if not words:
        return []
    enc = tokenizer([f" {w}" for w in words], is_split_into_words=True, add_special_tokens=False)
    return list(enc["input_ids"])


class _FiniteScores:
    """Logits processor: -inf (a forbidden token) -> -1e9, so beam search over fewer allowed tokens than
    beams ranks forbidden continuations last instead of producing NaN scores."""

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        return scores.clamp(min=-1e9, max=1e9)


def generate_labels(lm, tokenizer, prefixes: Sequence[torch.Tensor], settings: GenerationSettings,
                    batch_size: int = GENERATION_BATCH) -> list[list[str]]:
    """Label names for each prefix (T_i, H): ``settings.num_sequences`` candidates at most, best first."""
    from transformers import LogitsProcessorList

    if not prefixes:
        return []
    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    allowed_fn, allowed_names = None, None
    if settings.constraints is not None:
        trie = LabelTrie([label_token_ids(tokenizer, c) for c in settings.constraints])
        allowed_names = set(settings.constraints)

        def allowed_fn(batch_id: int, generated: torch.Tensor) -> list[int]:
            return trie.allowed(generated.tolist()) or [eos]

    n = settings.num_sequences
    out: list[list[str]] = [[] for _ in prefixes]
    order = sorted(range(len(prefixes)), key=lambda i: prefixes[i].size(0))  # similar lengths: less padding
    for lo in range(0, len(order), batch_size):
        idx = order[lo:lo + batch_size]
        T = max(prefixes[i].size(0) for i in idx)
        first = prefixes[idx[0]]
        embeds = first.new_zeros(len(idx), T, first.size(-1))  # (n_idx, T, H), left-padded
        mask = torch.zeros(len(idx), T, dtype=torch.long, device=first.device)
        for row, i in enumerate(idx):
            length = prefixes[i].size(0)
            embeds[row, T - length:] = prefixes[i]
            mask[row, T - length:] = 1
        ids = lm.generate(inputs_embeds=embeds.to(lm.dtype), attention_mask=mask, num_return_sequences=n,
                          eos_token_id=eos, pad_token_id=pad, prefix_allowed_tokens_fn=allowed_fn,
                          logits_processor=LogitsProcessorList([_FiniteScores()]), **settings.kwargs)
        texts = tokenizer.batch_decode(ids, skip_special_tokens=True)  # embeds in: only new tokens out
        for j, i in enumerate(idx):
            names = [t.strip() for t in texts[j * n:(j + 1) * n]]
            out[i] = [t for t in dict.fromkeys(names) if t and (allowed_names is None or t in allowed_names)]
    return out
