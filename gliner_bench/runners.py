"""How each family turns a batch of text windows into candidate spans.

``GLiNER.inference`` owns the pipeline (words, windows, batching, merging, decoding); a runner owns the part
that differs between families: how labels reach the model, and how a batch is encoded and scored.
- UniRunner: labels are prompted in front of every text (they cost encoder tokens in every window).
- BiRunner: labels are encoded once by the label encoder, cached, and scored against every window in chunks.
- RelexRunner: a UniRunner whose prompt also carries the relation labels; a window yields entity candidates
  and relation candidates.
- DecoderRunner: a UniRunner whose windows also keep what the label decoder needs later (the candidate spans'
  decoder-width vectors, or in prompt mode each label slot's generated names).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .candidates import relation_candidates, scored_span_candidates, span_candidates_from_logits, token_candidates
from .decoding import RelationCandidate, Span
from .generation import GenerationSettings, generate_labels, word_token_ids
from .modeling.layers import pad_spans
from .processing import LabelSet, prompt_words, relex_prompt_words, subtoken_counts, tokenize_batch


def _find(config):
    """Candidate search on one window's logits: (probability threshold, ...) -> list[Span]."""
    if config.is_token_level:
        return lambda logits, *args, **kwargs: token_candidates(torch.sigmoid(logits), *args, **kwargs)
    return span_candidates_from_logits


class UniRunner:
    """Uni-encoders: ``[<<ENT>> label ... <<SEP>>] + words`` through one encoder."""

    def __init__(self, model, tokenizer, config, max_tokens: int):
        self.model, self.tokenizer, self.config, self.max_tokens = model, tokenizer, config, max_tokens

    def _prompt(self, labels: LabelSet) -> list[str]:
        return prompt_words(labels, self.config.ent_token, self.config.sep_token)

    def prompt_tokens(self, labels: LabelSet) -> int:
        """Encoder tokens the prompt of ``labels`` takes (all its labels, plus <<SEP>>)."""
        return sum(subtoken_counts(self.tokenizer, self._prompt(labels)))

    def label_tokens(self, labels: LabelSet) -> list[int]:
        """Encoder tokens each label adds to the prompt (<<ENT>> and the label)."""
        counts = subtoken_counts(self.tokenizer, self._prompt(labels))
        return [counts[2 * j] + counts[2 * j + 1] for j in range(len(labels))]

    def prepare(self, label_sets: Sequence[LabelSet], label_embeddings=None) -> None:
        if label_embeddings is not None:
            raise ValueError(f"label_embeddings only apply to bi-encoders; this model is {self.config.architecture}, "
                             "whose labels are prompted in the text.")

    def candidates(self, word_lists: list[list[str]], set_ids: list[int], label_sets: Sequence[LabelSet],
                   threshold: float, state=None, multi_label: bool = True) -> list[list[Span]]:
        """Candidate spans of each window (window word indices); row b is prompted with label_sets[set_ids[b]].
        Without ``multi_label``, a span model lists only each span's best label (same decoding, shorter)."""
        rows = [label_sets[i] for i in set_ids]
        logits = self.model(self._batch(word_lists, rows))["logits"].float().cpu()
        find = _find(self.config)
        return [find(logits[b], len(w), len(ls), threshold, not multi_label)
                for b, (w, ls) in enumerate(zip(word_lists, rows))]

    def _batch(self, word_lists: list[list[str]], rows: Sequence[LabelSet]) -> dict[str, torch.Tensor]:
        """Prompted, tokenised windows on the model's device."""
        device = next(self.model.parameters()).device
        batch = tokenize_batch(self.tokenizer, word_lists, [self._prompt(ls) for ls in rows],
                               self.config.subtoken_pooling, self.max_tokens)
        return {k: v.to(device) for k, v in batch.items()}


class RelexRunner(UniRunner):
    """Relex: ``[<<ENT>> e ... <<SEP>> <<REL>> r ... <<SEP>>] + words``. Bind the call's relation labels and
    thresholds with ``bind``; the runner itself holds none."""

    def __init__(self, model, tokenizer, config, max_tokens: int, relations: LabelSet | None = None,
                 adjacency_threshold: float = 0.5, relation_threshold: float = 0.5):
        super().__init__(model, tokenizer, config, max_tokens)
        self.relations = relations or LabelSet([], [])
        self.adjacency_threshold, self.relation_threshold = adjacency_threshold, relation_threshold

    def bind(self, relations: LabelSet, adjacency_threshold: float, relation_threshold: float) -> RelexRunner:
        return RelexRunner(self.model, self.tokenizer, self.config, self.max_tokens, relations,
                           adjacency_threshold, relation_threshold)

    def _prompt(self, labels: LabelSet) -> list[str]:
        cfg = self.config
        return relex_prompt_words(labels, self.relations, cfg.ent_token, cfg.sep_token, cfg.rel_token)

    def candidates(self, word_lists: list[list[str]], set_ids: list[int], label_sets: Sequence[LabelSet],
                   threshold: float, state=None, multi_label: bool = True
                   ) -> list[tuple[list[Span], object]]:
        """Per window: entity candidates (as UniRunner) and the raw relation scores (``RelexCandidates``)."""
        rows = [label_sets[i] for i in set_ids]
        out = self.model(self._batch(word_lists, rows), threshold=threshold,
                         adjacency_threshold=self.adjacency_threshold)
        logits = out["logits"].float().cpu()
        find = _find(self.config)
        # relations stay raw (candidate spans, pairs, probabilities) until the entities are decoded
        return [(find(logits[b], len(w), len(ls), threshold, not multi_label), out["relex"][b])
                for b, (w, ls) in enumerate(zip(word_lists, rows))]

    def window_relations(self, relex, offset: int, entities: Sequence[Span]) -> list[RelationCandidate]:
        """A window's relations above the relation threshold between decoded ``entities`` (text word indices),
        in window word indices."""
        keep = {(e.start - offset, e.end - offset) for e in entities}
        return relation_candidates(relex.spans, relex.pairs, relex.probs, self.relation_threshold, keep)


@dataclass
class DecoderWindow:
    """What one window leaves for the label decoder."""

    vectors: dict[tuple[int, int], torch.Tensor]  # span mode: (start, end) in window words -> (H,) vector
    slot_names: list[list[str]] | None = None  # prompt mode: generated names of each label slot


class DecoderRunner(UniRunner):
    """Decoders: entity candidates as UniRunner (the token decoder: runs rescored by its span head), plus a
    ``DecoderWindow`` per window. Labels are generated later, for decoded entities only (``generate``), except
    in prompt mode, where each window's label slots are named right away. Bind generation settings with
    ``bind``."""

    def __init__(self, model, tokenizer, config, max_tokens: int, decoder_tokenizer,
                 settings: GenerationSettings | None = None):
        super().__init__(model, tokenizer, config, max_tokens)
        self.decoder_tokenizer = decoder_tokenizer
        self.settings = settings  # None: entities only, nothing generated

    def bind(self, settings: GenerationSettings | None) -> DecoderRunner:
        return DecoderRunner(self.model, self.tokenizer, self.config, self.max_tokens, self.decoder_tokenizer,
                             settings)

    @property
    def prompt_mode(self) -> bool:
        return self.config.decoder_mode == "prompt"

    def _prompt(self, labels: LabelSet) -> list[str]:
        if self.prompt_mode:  # one slot per label, no label words: the decoder names the slots
            return [self.config.ent_token] * len(labels) + [self.config.sep_token]
        return super()._prompt(labels)

    def label_tokens(self, labels: LabelSet) -> list[int]:
        if self.prompt_mode:
            return subtoken_counts(self.tokenizer, self._prompt(labels))[: len(labels)]
        return super().label_tokens(labels)

    def candidates(self, word_lists: list[list[str]], set_ids: list[int], label_sets: Sequence[LabelSet],
                   threshold: float, state=None, multi_label: bool = True) -> list[tuple[list[Span], DecoderWindow]]:
        rows = [label_sets[i] for i in set_ids]
        batch = self._batch(word_lists, rows)
        token = self.config.is_token_level
        out = self.model(batch, threshold=threshold) if token else self.model(batch)
        if token:
            probs = torch.sigmoid(out["span_logits"].float()).cpu()  # (B, S, C)
            found = [scored_span_candidates(out["spans"][b], probs[b], len(ls), threshold, not multi_label)
                     for b, ls in enumerate(rows)]
        else:
            logits = out["logits"].float().cpu()
            found = [span_candidates_from_logits(logits[b], len(w), len(ls), threshold, not multi_label)
                     for b, (w, ls) in enumerate(zip(word_lists, rows))]
        enc = out["encoded"]
        if self.settings is None:
            return [(f, DecoderWindow({})) for f in found]
        if self.prompt_mode:
            slots = self.model.slot_vectors(enc)  # (B, C, H)
            names = self.generate([slots[b, j][None] for b, ls in enumerate(rows) for j in range(len(ls))])
            windows, first = [], 0
            for ls in rows:
                windows.append(DecoderWindow({}, names[first:first + len(ls)]))
                first += len(ls)
            return list(zip(found, windows))
        if token:  # the span head already ran on every candidate run: project those vectors
            vectors = self.model.to_decoder(out["span_reps"]).cpu()  # (B, S, H)
            spans = out["spans"]
        else:
            spans = [list(dict.fromkeys((c.start, c.end) for c in f)) for f in found]  # each candidate span once
            span_idx, _ = pad_spans(spans, enc.words.device)  # (B, S, 2)
            vectors = self.model.span_vectors(enc, span_idx).cpu()  # (B, S, H)
        return [(f, DecoderWindow({sp: vectors[b, n] for n, sp in enumerate(spans[b])}))
                for b, f in enumerate(found)]

    def prefix(self, window: DecoderWindow, start: int, end: int, words: Sequence[str]) -> torch.Tensor:
        """The decoder prefix of span (start, end) (window word indices) whose words are ``words``."""
        device = next(self.model.parameters()).device
        ids = word_token_ids(self.decoder_tokenizer, words) if self.config.full_decoder_context else []
        return self.model.prefix(window.vectors[start, end].to(device), ids)

    def generate(self, prefixes: Sequence[torch.Tensor]) -> list[list[str]]:
        return generate_labels(self.model.decoder.lm, self.decoder_tokenizer, prefixes, self.settings)


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
    index: list[list[int]]  # per label set: rows of ``vectors``
    head_vectors: torch.Tensor | None = None  # (N, D) after the head's label projection (no cross-fuser)


class BiRunner:
    """Bi-encoders: words from the text encoder, label vectors from the label encoder (cached)."""

    LABEL_CHUNK = 1024  # labels scored at once when labels do not interact (no cross-fuser): bounds memory

    def __init__(self, model, tokenizer, labels_tokenizer, config, max_tokens: int, cache: LabelCache):
        self.model, self.tokenizer, self.labels_tokenizer = model, tokenizer, labels_tokenizer
        self.config, self.max_tokens, self.cache = config, max_tokens, cache

    def prompt_tokens(self, labels: LabelSet) -> int:
        return 0  # labels never enter the text encoder

    def label_tokens(self, labels: LabelSet) -> list[int]:
        return [0] * len(labels)

    # ---------------------------------------------------------------------------------------- labels
    @torch.inference_mode()
    def encode(self, prompts: Sequence[str], batch_size: int = 64) -> torch.Tensor:
        """Label vectors (N, D) for ``prompts``, encoded in batches of similar length (padding to the
        longest in each batch only), in the order given."""
        if not prompts:
            return torch.empty(0, self.config.hidden_size)
        device = next(self.model.parameters()).device
        lengths = [len(ids) for ids in self.labels_tokenizer(list(prompts), truncation=True)["input_ids"]]
        order = sorted(range(len(prompts)), key=lambda i: lengths[i])
        out = [None] * len(prompts)
        for first in range(0, len(order), batch_size):
            idx = order[first:first + batch_size]
            enc = self.labels_tokenizer([prompts[i] for i in idx], truncation=True, padding="longest",
                                        return_tensors="pt")
            vecs = self.model.encode_labels(enc["input_ids"].to(device), enc["attention_mask"].to(device))
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

    def prepare(self, label_sets: Sequence[LabelSet], label_embeddings: torch.Tensor | None = None) -> BiState:
        prompts = list(dict.fromkeys(p for ls in label_sets for p in ls.prompts))
        if label_embeddings is None:
            vectors = self.vectors_for(prompts)
        else:
            vectors = label_embeddings  # validated by the caller: one row per prompt, in order
        position = {p: i for i, p in enumerate(prompts)}
        head_vectors = None
        if not hasattr(self.model, "cross_fuser"):  # row-wise projection: once per label and call
            device = next(self.model.parameters()).device
            head_vectors = self.model.label_head(vectors.to(device))
        return BiState(vectors, [[position[p] for p in ls.prompts] for ls in label_sets], head_vectors)

    # ---------------------------------------------------------------------------------------- scoring
    def candidates(self, word_lists: list[list[str]], set_ids: list[int], label_sets: Sequence[LabelSet],
                   threshold: float, state: BiState, multi_label: bool = True) -> list[list[Span]]:
        """As UniRunner.candidates; labels are scored ``LABEL_CHUNK`` at a time unless a cross-fuser mixes them."""
        device = next(self.model.parameters()).device
        batch = tokenize_batch(self.tokenizer, word_lists, [[] for _ in word_lists], self.config.subtoken_pooling,
                               self.max_tokens)
        # the saved tokenizer knows the prompt tokens the reference adds (<<ENT>>, ...), the encoder does not
        rows_in_table = self.model.token_rep_layer.bert_layer.model.get_input_embeddings().num_embeddings
        outside = batch["input_ids"] >= rows_in_table
        if outside.any():
            batch["input_ids"] = batch["input_ids"].masked_fill(outside, self.tokenizer.unk_token_id)
        batch = {k: v.to(device) for k, v in batch.items()}
        rows = [state.index[i] for i in set_ids]
        C = max(len(r) for r in rows)
        index = torch.zeros(len(rows), C, dtype=torch.long)
        mask = torch.zeros(len(rows), C, dtype=torch.bool)
        for b, r in enumerate(rows):
            index[b, : len(r)] = torch.tensor(r, dtype=torch.long)
            mask[b, : len(r)] = True
        index, mask = index.to(device), mask.to(device)
        vectors = state.vectors.to(device)
        words, word_mask = self.model.encode_words(batch)
        fused = hasattr(self.model, "cross_fuser")  # fused labels interact: one pass over all of them
        chunk = C if fused else self.LABEL_CHUNK
        grid = None if fused else self.model.span_grid(words, C)  # many labels: span vectors once per batch
        find = _find(self.config)
        found: list[list[Span]] = [[] for _ in word_lists]
        shared = all(r == rows[0] for r in rows)  # one label set for the whole batch (the usual case)
        for lo in range(0, C, chunk):
            hi = min(lo + chunk, C)
            if fused:
                w, labels = self.model.fuse(words, word_mask, vectors[index[:, lo:hi]], mask[:, lo:hi])
                labels = self.model.label_head(labels)
            elif shared:  # (C, D), broadcast over the batch
                w, labels = words, state.head_vectors[index[0, lo:hi]]
            else:
                w, labels = words, state.head_vectors[index[:, lo:hi]]  # padded slots: ignored below
            logits = self.model.score(w, word_mask, labels, batch["text_lengths"], grid=grid)["logits"]
            logits = logits.float().cpu()
            for b, (wl, r) in enumerate(zip(word_lists, rows)):
                n = max(0, min(len(r), hi) - lo)
                found[b] += find(logits[b], len(wl), n, threshold, not multi_label, label_offset=lo)
        return found
