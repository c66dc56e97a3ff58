"""What training does differently per model family, behind one interface, found once by ``objective_for``.

The loop (``trainer.py``) and the batch builder (``collate.py``) are the same for every family; an ``Objective``
contributes the steps that differ (``OBJECTIVES``, keyed by ``config.family``; the token decoder's loss is a
method of the decoder objective):
- ``examples``: the examples an epoch covers (relex repeats those with relations ``relation_repeats`` times);
- ``sample``: the step's label sets (bi-encoders share one pool per batch; relex also samples relation labels;
  decoders blank some rows to the single label "entity");
- ``prompts``: the words in front of each row (none for bi-encoders; relex adds the relation prompt);
- ``add_targets``: the family's batch fields (label encoder inputs, relation targets, generation targets);
- ``loss``: forward and objective (relex adds relation and adjacency losses, decoders the generation loss);
- ``weights_changed``: what to forget when weights change (a bi-encoder's cached label vectors).
Random draws happen in the order the loop always made them, so runs stay reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from ..modeling.layers import pad_spans
from ..text.labels import LabelSet
from ..text.prompts import prompt_words, relex_prompt_words
from ..text.records import Example
from .batch import Batch, Rows, relation_targets
from .labels import sample_label_sets, share_label_sets
from .losses import adjacency_loss, focal_bce, generation_loss, relation_loss, span_loss, token_loss

# The token decoder's span head sees, besides each row's gold spans, up to this many of the runs the token head
# currently finds that are not gold (the non-entities it must reject at inference), and this many random spans.
HARD_NEGATIVE_SPANS = 8
RANDOM_NEGATIVE_SPANS = 2


@dataclass
class StepLabels:
    label_sets: list[list[str]]
    relation_sets: list[list[str]] | None = None  # relex
    blank: list[bool] | None = None  # decoders: rows prompted with the one label "entity"


class Objective:
    """Uni-encoders (span or token): prompted labels, the span or token loss."""

    def examples(self, examples: Sequence[Example], cfg) -> Sequence[Example]:
        return examples

    def sample(self, model, chunk: Sequence[Example], rng: random.Random, cfg,
               synonyms: Mapping[str, str] | None, corpus_types: Sequence[str] = ()) -> StepLabels:
        return StepLabels(sample_label_sets(chunk, rng, cfg.max_types, cfg.max_neg_type_ratio, synonyms=synonyms,
                                            min_negatives=cfg.min_negatives, corpus_types=corpus_types,
                                            corpus_negatives=cfg.corpus_negatives))

    def prompts(self, config, label_sets, relation_sets) -> list[list[str]]:
        return [prompt_words(LabelSet(list(ls), list(ls)), config.ent_token, config.sep_token) for ls in label_sets]

    def add_targets(self, model, batch: Batch, rows: Rows) -> None:
        """The family's own batch fields (none for uni-encoders)."""

    def forward(self, model, batch: Batch) -> dict:
        return model.model(batch.inputs)

    def loss(self, model, batch: Batch, cfg, generator: torch.Generator, focal: dict) -> torch.Tensor:
        """The entity loss (span or token) of the batch."""
        out = self.forward(model, batch)
        return self.entity_loss(model, out, batch, cfg, generator, focal)

    @staticmethod
    def entity_loss(model, out: dict, batch: Batch, cfg, generator, focal: dict) -> torch.Tensor:
        if model.config.is_token_level:
            return token_loss(out["logits"], batch.labels, out["word_mask"], out["label_mask"], **focal)
        return span_loss(out["logits"], batch.labels, out["span_mask"], out["label_mask"], negatives=cfg.negatives,
                         masking=cfg.masking, generator=generator, **focal)

    def weights_changed(self, model) -> None:
        """Called after weights are loaded or trained."""


class BiObjective(Objective):
    """Bi-encoders: labels go to the label encoder (with gradients, every step), one shared pool per batch."""

    def sample(self, model, chunk, rng, cfg, synonyms, corpus_types=()) -> StepLabels:
        step = super().sample(model, chunk, rng, cfg, synonyms, corpus_types)
        # label vectors are computed once per batch: every row gets the whole pool
        return StepLabels(share_label_sets(chunk, step.label_sets, cfg.max_types, synonyms))

    def prompts(self, config, label_sets, relation_sets) -> list[list[str]]:
        return [[] for _ in label_sets]  # labels go to the label encoder, not into the text

    def add_targets(self, model, batch: Batch, rows: Rows) -> None:
        label_sets = batch.label_sets
        B, C = len(label_sets), max(len(ls) for ls in label_sets)
        distinct = list(dict.fromkeys(name for ls in label_sets for name in ls))
        position = {name: i for i, name in enumerate(distinct)}
        enc = model.labels_tokenizer(distinct, truncation=True, padding="longest", return_tensors="pt")
        batch.label_inputs = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
        batch.label_index = torch.zeros(B, C, dtype=torch.long)
        batch.label_mask = torch.zeros(B, C, dtype=torch.bool)
        for b, ls in enumerate(label_sets):
            batch.label_index[b, : len(ls)] = torch.tensor([position[n] for n in ls])
            batch.label_mask[b, : len(ls)] = True

    def forward(self, model, batch: Batch) -> dict:
        vectors = model.model.encode_labels(batch.label_inputs["input_ids"], batch.label_inputs["attention_mask"])
        return model.model(batch.inputs, vectors, batch.label_index, batch.label_mask)

    def weights_changed(self, model) -> None:
        model.clear_label_cache()  # cached label vectors came from other weights


class RelexObjective(Objective):
    """Relex: relation labels prompted after the entity labels; relation and adjacency losses on gold entities."""

    def examples(self, examples, cfg) -> Sequence[Example]:
        if cfg.relation_repeats > 1:
            return list(examples) + [ex for ex in examples if ex.relations] * (cfg.relation_repeats - 1)
        return examples

    def sample(self, model, chunk, rng, cfg, synonyms, corpus_types=()) -> StepLabels:
        step = super().sample(model, chunk, rng, cfg, synonyms, corpus_types)
        step.relation_sets = sample_label_sets(chunk, rng, cfg.max_types, cfg.max_neg_type_ratio, relations=True)
        return step

    def prompts(self, config, label_sets, relation_sets) -> list[list[str]]:
        relation_sets = relation_sets or [[] for _ in label_sets]
        return [relex_prompt_words(LabelSet(list(ls), list(ls)), LabelSet(list(rs), list(rs)), config.ent_token,
                                   config.sep_token, config.rel_token) for ls, rs in zip(label_sets, relation_sets)]

    def add_targets(self, model, batch: Batch, rows: Rows) -> None:
        relation_sets = rows.relation_sets or [[] for _ in rows.examples]
        width = None if model.config.is_token_level else model.config.max_width
        relation_targets(batch, rows.examples, rows.lengths, relation_sets, width, rows.rng or random.Random(0))

    def forward(self, model, batch: Batch) -> dict:
        return model.model(batch.inputs, gold=(batch.entity_spans, batch.entity_mask, batch.pairs))

    def loss(self, model, batch, cfg, generator, focal) -> torch.Tensor:
        conf = model.config
        out = self.forward(model, batch)
        loss = conf.span_loss_coef * self.entity_loss(model, out, batch, cfg, generator, focal)
        loss = loss + conf.relation_loss_coef * relation_loss(out["relation_logits"], batch.pair_labels,
                                                              batch.pair_mask, batch.relation_mask, **focal)
        if "adjacency" in out:
            loss = loss + conf.adjacency_loss_coef * adjacency_loss(out["adjacency"], batch.adjacency,
                                                                    batch.entity_mask)
        return loss


class DecoderObjective(Objective):
    """Decoders: the entity loss plus the decoder's cross-entropy on the gold spans' type names; some rows are
    blanked to the one label "entity". The token decoder also trains its span head (``token_decoder_loss``)."""

    def sample(self, model, chunk, rng, cfg, synonyms, corpus_types=()) -> StepLabels:
        step = super().sample(model, chunk, rng, cfg, synonyms, corpus_types)
        step.blank = [rng.random() < model.config.blank_entity_prob for _ in chunk]
        return step

    def add_targets(self, model, batch: Batch, rows: Rows) -> None:
        batch.decoder_spans, batch.words, batch.span_classes = rows.decoder_spans, rows.words, rows.span_classes

    def loss(self, model, batch, cfg, generator, focal) -> torch.Tensor:
        conf = model.config
        if conf.is_token_level:
            return self.token_decoder_loss(model, batch, generator, focal)
        out = self.forward(model, batch)
        entity = self.entity_loss(model, out, batch, cfg, generator, focal)
        return conf.span_loss_coef * entity + conf.decoder_loss_coef * generation_objective(model, out["encoded"],
                                                                                            batch)

    def token_decoder_loss(self, model, batch, generator, focal) -> torch.Tensor:
        """UniEncoderTokenDecoder: the token loss (B, W, C, 3), the span head's loss on the gold spans and on
        negative spans (``HARD_NEGATIVE_SPANS`` runs the token head finds now, ``RANDOM_NEGATIVE_SPANS`` random),
        and the generation loss on the gold spans' vectors from that span head (what inference decodes from)."""
        conf, net = model.config, model.model
        gold = [[(s, e) for s, e, _ in row] for row in batch.decoder_spans]
        enc = net.encode(batch.inputs)
        logits = net.scorer(enc.words, enc.labels)  # (B, W, C, 3)
        rows = self._rows_to_rescore(net, logits, batch, enc, gold, conf.max_width, generator)
        reps, span_logits = net.rescore(enc, rows)  # (B, S, D), (B, S, C)
        _, mask = pad_spans(rows, reps.device)  # (B, S)
        targets = torch.zeros_like(span_logits)
        for b, spans in enumerate(gold):
            for i, sp in enumerate(spans):
                targets[b, i, batch.span_classes[b][sp]] = 1
        entity = token_loss(logits, batch.labels, enc.word_mask, enc.label_mask, **focal)
        entity = entity + (focal_bce(span_logits, targets, **focal) * mask[..., None] * enc.label_mask[:, None]).sum()
        gold_mask = torch.zeros_like(mask)
        for b, spans in enumerate(gold):
            gold_mask[b, :len(spans)] = True
        vectors = net.to_decoder(reps[gold_mask])  # (N, H): the gold spans in row order
        return conf.span_loss_coef * entity + conf.decoder_loss_coef * generation_objective(model, enc, batch, vectors)

    @staticmethod
    def _rows_to_rescore(net, logits, batch, enc, gold, max_width: int, generator) -> list[list[tuple[int, int]]]:
        """Each row's gold spans, then hard and random negatives (each span once)."""
        found = net.candidates(logits, batch.inputs["text_lengths"], enc.label_mask, 0.5)
        lengths = batch.inputs["text_lengths"].view(-1).tolist()
        rows = []
        for b, (spans, n) in enumerate(zip(gold, lengths)):
            taken = set(spans)
            hard = [sp for sp in found[b] if sp not in taken][:HARD_NEGATIVE_SPANS]
            taken.update(hard)
            for _ in range(RANDOM_NEGATIVE_SPANS):
                s = int(torch.randint(n, (1,), generator=generator))
                e = min(n - 1, s + int(torch.randint(max_width, (1,), generator=generator)))
                if (s, e) not in taken:
                    taken.add((s, e))
                    hard.append((s, e))
            rows.append(spans + hard)
        return rows


def generation_objective(model, enc, batch: Batch, vectors: torch.Tensor | None = None) -> torch.Tensor:
    """The decoder's summed cross-entropy on the type names of the batch's gold spans (teacher forcing on
    ``[span vector, the span's words, name tokens + EOS]``), as upstream's span mode trains it. ``vectors``
    (N, H): the gold spans' decoder-width vectors in row order (default: the span decoder's)."""
    from ..inference.generation import label_token_ids, word_token_ids

    rows = [[(s, e) for s, e, _ in spans] for spans in batch.decoder_spans]
    if not any(rows):
        return enc.words.sum() * 0.0
    if vectors is None:
        span_idx, mask = pad_spans(rows, enc.words.device)  # (B, S, 2), (B, S)
        vectors = model.model.span_vectors(enc, span_idx)[mask]  # (N, H) in row order
    full = model.config.full_decoder_context
    contexts = [word_token_ids(model.decoder_tokenizer, batch.words[b][s:e + 1]) if full else []
                for b, spans in enumerate(batch.decoder_spans) for s, e, _ in spans]
    targets = [label_token_ids(model.decoder_tokenizer, name) for spans in batch.decoder_spans for *_, name in spans]
    logits, labels = model.model.teacher_forcing(vectors, contexts, targets)
    return generation_loss(logits, labels)


OBJECTIVES: dict[str, Objective] = {  # keyed by ``GLiNERConfig.family``
    "uni": Objective(),
    "bi": BiObjective(),
    "relex": RelexObjective(),
    "decoder": DecoderObjective(),
}


def objective_for(model) -> Objective:
    """The objective of a model's family (explicit dispatch: one lookup on ``config.family``)."""
    family = model.config.family
    if family not in OBJECTIVES:
        raise NotImplementedError(f"Training the {family!r} family ({model.config.architecture}) is not "
                                  f"implemented; trainable families: {', '.join(OBJECTIVES)}.")
    return OBJECTIVES[family]
