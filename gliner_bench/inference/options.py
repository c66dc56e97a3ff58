"""Options of one family, as small objects: relations (relex), generation (decoders), label embeddings (bi).

``GLiNER.inference`` takes the reference's keyword names (``relations=``, ``adjacency_threshold=``,
``gen_constraints=``, ``num_gen_sequences=``, ``label_embeddings=``, generation keywords); ``from_keywords``
turns them into these objects once, and a family accepts the option types it declares. A family is never
handed a keyword it must reject.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..text.labels import LabelSet, normalize_labels
from .generation import RESERVED, GenerationSettings


@dataclass(frozen=True)
class RelationOptions:
    """Relation labels prompted after the entity labels, and the two thresholds of the relation pass."""

    labels: LabelSet = field(default_factory=lambda: LabelSet([], []))
    adjacency_threshold: float = 0.5  # an ordered entity pair is scored when its edge probability exceeds it
    relation_threshold: float = 0.5  # a scored pair keeps the relations above it

    @classmethod
    def from_call(cls, relations, threshold: float, adjacency_threshold: float | None = None,
                  relation_threshold: float | None = None) -> RelationOptions:
        adjacency = threshold if adjacency_threshold is None else adjacency_threshold
        relation = threshold if relation_threshold is None else relation_threshold
        for name, value in (("adjacency_threshold", adjacency), ("relation_threshold", relation)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be a number in [0, 1], got {value!r}.")
        return cls(_relation_labels(relations), float(adjacency), float(relation))


@dataclass(frozen=True)
class GenerationOptions:
    """Whether and how a decoder names entities (``settings`` validated by ``GenerationSettings``)."""

    settings: GenerationSettings = field(default_factory=lambda: GenerationSettings.from_call(None, 1, {}))
    enabled: bool = True  # False: entities only, nothing generated (evaluation of the entity head)


@dataclass(frozen=True)
class LabelEmbeddings:
    """Precomputed label vectors (``encode_labels``), one row per label as given: (N, D)."""

    vectors: Any  # a torch.Tensor (N, hidden)


@dataclass(frozen=True)
class CallOptions:
    """The family options of one call; ``given`` names the keywords the caller actually passed."""

    relations: RelationOptions
    generation: GenerationOptions
    label_embeddings: LabelEmbeddings | None
    given: dict[type, list[str]]

    @classmethod
    def from_keywords(cls, threshold: float, relations=None, adjacency_threshold: float | None = None,
                      relation_threshold: float | None = None, gen_constraints: Sequence[str] | None = None,
                      num_gen_sequences: int = 1, generate_labels: bool = True, label_embeddings=None,
                      **gen_kwargs) -> CallOptions:
        """The reference's keywords -> option objects (each validated)."""
        check_keywords(gen_kwargs)
        for name in [k for k in gen_kwargs if k in NOT_IMPLEMENTED]:
            if gen_kwargs.pop(name) not in (None, False):
                raise ValueError(f"{name}: {NOT_IMPLEMENTED[name]} is a reference option gliner-bench does not "
                                 "implement; leave it out (see docs/compatibility.md).")
        given: dict[type, list[str]] = {}
        for option, names in ((RelationOptions, {"relations": relations is not None,
                                                 "adjacency_threshold": adjacency_threshold is not None,
                                                 "relation_threshold": relation_threshold is not None}),
                              (GenerationOptions, {"gen_constraints": gen_constraints is not None,
                                                   "num_gen_sequences": num_gen_sequences != 1,
                                                   "generate_labels": generate_labels is not True,
                                                   **{k: True for k in gen_kwargs}}),
                              (LabelEmbeddings, {"label_embeddings": label_embeddings is not None})):
            passed = [name for name, on in names.items() if on]
            if passed:
                given[option] = passed
        return cls(
            relations=RelationOptions.from_call(relations, threshold, adjacency_threshold, relation_threshold),
            generation=GenerationOptions(GenerationSettings.from_call(gen_constraints, num_gen_sequences, gen_kwargs),
                                         bool(generate_labels)),
            label_embeddings=None if label_embeddings is None else LabelEmbeddings(label_embeddings),
            given=given,
        )

    def refuse_unless(self, accepted: Sequence[type], architecture: str) -> None:
        """Raise for options the caller passed that a model of ``architecture`` does not take."""
        for option, names in self.given.items():
            if option not in accepted:
                raise ValueError(f"{', '.join(names)}: {_APPLIES[option]}; this model is {architecture}.")


# The reference's inference keywords we do not implement (their no-op defaults are accepted and ignored).
NOT_IMPLEMENTED = {
    "packing_config": "packing several short texts into one encoder row",
    "input_spans": "scoring caller-given spans only",
    "return_class_probs": "every label's probability per entity",
    "return_vectors": "returning the span vectors",
    "return_label_vectors": "returning the label vectors",
}

# Every keyword the inference calls name themselves (on any family); anything else must be a generation keyword.
INFERENCE_KEYWORDS = ("texts", "text", "labels", "flat_ner", "threshold", "multi_label", "batch_size",
                      "return_relations", "relations", "adjacency_threshold", "relation_threshold", "gen_constraints",
                      "num_gen_sequences", "generate_labels", "label_embeddings", *NOT_IMPLEMENTED)
# ``generate``'s own arguments that are not fields of ``GenerationConfig``.
_GENERATE_ARGUMENTS = ("generation_config", "logits_processor", "stopping_criteria", "synced_gpus",
                       "assistant_model", "streamer", "negative_prompt_ids", "negative_prompt_attention_mask",
                       "use_model_defaults", "custom_generate", "tokenizer", "assistant_tokenizer")


@lru_cache(maxsize=1)
def generation_keywords() -> frozenset[str]:
    """What transformers' ``generate`` takes by name: ``GenerationConfig``'s fields and its own arguments."""
    from transformers import GenerationConfig

    return frozenset(GenerationConfig().to_dict()) | frozenset(_GENERATE_ARGUMENTS) | frozenset(RESERVED)


def check_keywords(extra: Mapping[str, Any]) -> None:
    """``TypeError`` for a keyword neither an inference call nor ``generate`` takes (``treshold=``), naming the
    nearest valid one; the same on every family, before any model-specific check."""
    unknown = [k for k in extra if k not in NOT_IMPLEMENTED and k not in generation_keywords()]
    if not unknown:
        return
    name = unknown[0]
    nearest = difflib.get_close_matches(name, INFERENCE_KEYWORDS, n=1, cutoff=0.6) or \
        difflib.get_close_matches(name, sorted(generation_keywords()), n=1, cutoff=0.75)
    hint = f" Did you mean {nearest[0]!r}?" if nearest else ""
    raise TypeError(f"Unknown keyword {name!r}.{hint} Inference takes {', '.join(INFERENCE_KEYWORDS[2:])}, and "
                    "decoder models also transformers' generate() keywords (max_new_tokens, temperature, ...).")


_APPLIES = {
    RelationOptions: "relations apply to relex models only",
    GenerationOptions: "generation arguments apply to decoder models only",
    LabelEmbeddings: "label_embeddings only apply to bi-encoders, whose labels are not prompted in the text",
}


def _relation_labels(relations) -> LabelSet:
    """Relation labels as given: none (entities only), a list, or ``{name: description}``."""
    if relations is None or (isinstance(relations, (list, tuple, Mapping)) and len(relations) == 0):
        return LabelSet([], [])
    try:
        return normalize_labels(relations)
    except ValueError as err:
        raise ValueError(f"Bad relation labels: {err} For relations pass e.g. relations=['works for', "
                         "'located in'].") from err
