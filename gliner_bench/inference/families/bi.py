"""Bi-encoders (BiEncoderSpan, BiEncoderToken): words from the text encoder, labels from their own encoder.

Labels never enter the text, so they cost no encoder tokens and never split; their vectors are encoded once
per distinct prompt and kept in a bounded cache across calls (or passed precomputed, ``LabelEmbeddings``),
then scored against every window, ``LABEL_CHUNK`` labels at a time unless a cross-fuser mixes them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch

from ...config import registry
from ...spans.decoding import Span
from ...text.labels import LabelSet
from ..options import CallOptions, LabelEmbeddings
from ..tokenization import Pieces
from .base import Family, WindowOutput, module_device


class BiModule(Protocol):
    """What the bi-encoder family needs from its module (``modeling/bi.py``; ``OnnxBiModule`` for an export): the
    two encoders apart, the label projection, and the head scoring words against label vectors."""

    has_cross_fuser: bool  # labels and words attend to each other: then also ``fuse`` (FusingBiModule)
    text_vocabulary_size: int  # ids past it are not text tokens

    def parameters(self, recurse: bool = True): ...

    def encode_labels(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor: ...

    def encode_words(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]: ...

    def label_head(self, labels: torch.Tensor) -> torch.Tensor: ...

    def span_grid(self, words: torch.Tensor, num_labels: int) -> torch.Tensor | None: ...

    def score(self, words: torch.Tensor, word_mask: torch.Tensor, labels: torch.Tensor, lengths: torch.Tensor,
              grid: torch.Tensor | None = None) -> dict[str, torch.Tensor]: ...


class FusingBiModule(BiModule, Protocol):
    """A bi-encoder module with a cross-fuser (torch only: the ONNX export refuses one)."""

    def fuse(self, words: torch.Tensor, word_mask: torch.Tensor, labels: torch.Tensor,
             label_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...


class LabelCache:
    """A bounded least-recently-used map from a label prompt to its vector (D,), on the model's device."""

    def __init__(self, max_entries: int = 20_000):
        self.max_entries = max_entries
        self._store: OrderedDict[str, torch.Tensor] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: str) -> torch.Tensor | None:
        vec = self._store.get(key)
        if vec is None:
            self.misses += 1
            return None
        self.hits += 1
        self._store.move_to_end(key)
        return vec

    def put(self, key: str, vec: torch.Tensor) -> None:
        self._store[key] = vec
        self._store.move_to_end(key)
        while len(self._store) > self.max_entries:
            self._store.popitem(last=False)

    def clear(self) -> None:
        self._store.clear()

    def __len__(self) -> int:
        return len(self._store)

    def __contains__(self, key: str) -> bool:  # no effect on the hit counts or the recency order
        return key in self._store


@dataclass
class BiState:
    vectors: torch.Tensor  # (N, D): one vector per distinct label prompt of the call
    index: list[list[int]]  # per prompt set: rows of ``vectors``
    head_vectors: torch.Tensor | None = None  # (N, D) after the head's label projection (no cross-fuser)


class BiFamily(Family):
    name = "bi"
    module_protocol = BiModule
    capabilities = registry.FAMILIES["bi"].capabilities
    accepts = (LabelEmbeddings,)
    LABEL_CHUNK = 1024  # labels scored at once when labels do not interact (no cross-fuser): bounds memory

    def __init__(self, module, config, tokenizer, labels_tokenizer=None, decoder_tokenizer=None):
        super().__init__(module, config, tokenizer)
        if labels_tokenizer is None:
            raise ValueError(f"{config.architecture} needs a labels tokenizer.")
        self.labels_tokenizer = labels_tokenizer
        self.cache = LabelCache()  # label prompt -> vector, across calls
        self.fused = module.has_cross_fuser  # fused labels interact: one pass over all of them

    def prompt(self, labels: LabelSet) -> list[str]:
        return []  # labels never enter the text encoder

    def label_token_counts(self, prompt: Pieces, num_labels: int) -> list[int]:
        return [0] * num_labels

    # ---------------------------------------------------------------------------------------- labels
    @torch.inference_mode()
    def encode(self, prompts: Sequence[str], batch_size: int = 64) -> torch.Tensor:
        """Label vectors (N, D) for ``prompts``, encoded in batches of similar length (padding to the longest
        in each batch only), in the order given."""
        if not prompts:
            return torch.empty(0, self.config.hidden_size)
        device = module_device(self.module)
        lengths = [len(ids) for ids in self.labels_tokenizer(list(prompts), truncation=True)["input_ids"]]
        order = sorted(range(len(prompts)), key=lambda i: lengths[i])
        out = [None] * len(prompts)
        for first in range(0, len(order), batch_size):
            idx = order[first:first + batch_size]
            enc = self.labels_tokenizer([prompts[i] for i in idx], truncation=True, padding="longest",
                                        return_tensors="pt")
            vecs = self.module.encode_labels(enc["input_ids"].to(device), enc["attention_mask"].to(device))
            for i, v in zip(idx, vecs):
                out[i] = v
        return torch.stack(out)

    def vectors_for(self, prompts: Sequence[str], batch_size: int = 64) -> torch.Tensor:
        """Label vectors through the cache: only prompts not seen before are encoded."""
        found = {}
        for p in dict.fromkeys(prompts):
            vec = self.cache.get(p)
            if vec is not None:
                found[p] = vec
        missing = [p for p in dict.fromkeys(prompts) if p not in found]
        if missing:
            for p, vec in zip(missing, self.encode(missing, batch_size)):
                self.cache.put(p, vec)
                found[p] = vec
        return torch.stack([found[p] for p in prompts])

    def prepare(self, prompt_sets: Sequence[LabelSet], options: CallOptions) -> BiState:
        """Label vectors of every distinct prompt of the call (precomputed ones are validated by the facade:
        one row per distinct prompt, in order), projected once when labels do not interact."""
        prompts = list(dict.fromkeys(p for ls in prompt_sets for p in ls.prompts))
        given = options.label_embeddings
        vectors = self.vectors_for(prompts) if given is None else given.vectors
        position = {p: i for i, p in enumerate(prompts)}
        head_vectors = None
        if not self.fused:  # row-wise projection: once per label and call
            head_vectors = self.module.label_head(vectors.to(module_device(self.module)))
        return BiState(vectors, [[position[p] for p in ls.prompts] for ls in prompt_sets], head_vectors)

    # ---------------------------------------------------------------------------------------- scoring
    def score(self, batch: dict[str, torch.Tensor], set_ids: Sequence[int], prompt_sets: Sequence[LabelSet],
              threshold: float, multi_label: bool, state: BiState) -> list[WindowOutput]:
        device = batch["input_ids"].device
        # the saved tokenizer knows the prompt tokens the reference adds (<<ENT>>, ...), the encoder does not
        outside = batch["input_ids"] >= self.module.text_vocabulary_size
        if outside.any():
            batch["input_ids"] = batch["input_ids"].masked_fill(outside, self.tokenizer.unk_token_id)
        index_rows = [state.index[i] for i in set_ids]  # per row: its labels' rows of state.vectors
        C = max(len(r) for r in index_rows)
        index = torch.zeros(len(index_rows), C, dtype=torch.long)  # (B, C): rows of state.vectors
        mask = torch.zeros(len(index_rows), C, dtype=torch.bool)  # (B, C)
        for b, r in enumerate(index_rows):
            index[b, : len(r)] = torch.tensor(r, dtype=torch.long)
            mask[b, : len(r)] = True
        index, mask = index.to(device), mask.to(device)
        words, word_mask = self.module.encode_words(batch)  # (B, W, D), (B, W)
        lengths = batch["text_lengths"].tolist()
        return [WindowOutput(c) for c in self._score_labels(words, word_mask, batch["text_lengths"], lengths,
                                                             index, mask, index_rows, state, threshold,
                                                             multi_label)]

    def _score_labels(self, words, word_mask, text_lengths, lengths, index, mask, index_rows, state, threshold,
                      multi_label) -> list[list[Span]]:
        C = index.size(1)
        chunk = C if self.fused else self.LABEL_CHUNK
        grid = None if self.fused else self.module.span_grid(words, C)  # many labels: span vectors once per batch
        shared = all(r == index_rows[0] for r in index_rows)  # one label set for the whole batch (the usual case)
        vectors = state.vectors.to(words.device)
        found: list[list[Span]] = [[] for _ in index_rows]
        for lo in range(0, C, chunk):
            hi = min(lo + chunk, C)
            if self.fused:
                w, labels = self.module.fuse(words, word_mask, vectors[index[:, lo:hi]], mask[:, lo:hi])
                labels = self.module.label_head(labels)
            elif shared:  # (C, D), broadcast over the batch
                w, labels = words, state.head_vectors[index[0, lo:hi]]
            else:
                w, labels = words, state.head_vectors[index[:, lo:hi]]  # padded slots: ignored below
            logits = self.module.score(w, word_mask, labels, text_lengths, grid=grid)["logits"].float().cpu()
            for b, r in enumerate(index_rows):
                n = max(0, min(len(r), hi) - lo)
                found[b] += self.find(logits[b], lengths[b], n, threshold, not multi_label, label_offset=lo)
        return found
