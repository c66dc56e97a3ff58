"""What each tab runs: the public ``GLiNER`` API on every selected model, timed, one model's failure never
hiding the others' results. No gradio here: the UI (``ui.py``) renders these plain results."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from .limits import InputError
from .models import ModelPool

log = logging.getLogger(__name__)


@dataclass
class ModelOutput:
    model: str
    architecture: str
    entities: list[dict] = field(default_factory=list)
    relations: list[dict] | None = None  # relex models
    seconds: float | None = None  # inference only (loading on first use is reported apart)
    load_seconds: float | None = None  # set on the request that loaded the model
    note: str = ""
    error: str | None = None  # a message for the visitor


def _timed(pool: ModelPool, name: str, fn) -> ModelOutput:
    entry = pool.entries[name]
    out = ModelOutput(name, entry.architecture)
    try:
        loaded = pool.is_loaded(name)
        pool.get(name)
    except Exception as err:
        log.exception("%s could not be loaded", name)
        out.error = f"{name} could not be loaded ({err}). The other models are unaffected."
        return out
    if not loaded:
        out.load_seconds = pool.load_seconds.get(name)
    try:
        start = time.perf_counter()
        result = pool.run(name, fn)
        out.seconds = time.perf_counter() - start
    except ValueError as err:  # input this model cannot take: its own message
        out.error = str(err)
        return out
    except Exception as err:
        log.exception("%s failed", name)
        out.error = f"{name} failed ({type(err).__name__}: {err}). The other models are unaffected."
        return out
    if isinstance(result, tuple):  # relex: (entities, relations)
        out.entities, out.relations = result
    else:
        out.entities = result
    return out


def _selected(pool: ModelPool, models: Sequence[str] | None) -> list[str]:
    models = list(models or [])
    if not models:
        raise InputError("Pick at least one model to run.")
    unknown = [m for m in models if m not in pool.entries]
    if unknown:
        raise InputError(f"Unknown model(s) {', '.join(unknown)}; pick from {', '.join(pool.entries)}.")
    return models


def compare(pool: ModelPool, models: Sequence[str], text: str, labels: list[str], threshold: float,
            flat_ner: bool = True, multi_label: bool = False) -> list[ModelOutput]:
    """Every selected model on the same text and labels. Decoders also name each entity (``generated_labels``);
    relex models return their relations too (none asked for here: entities only)."""
    outputs = []
    for name in _selected(pool, models):
        family = pool.entries[name].family

        def run(model, family=family):
            if family == "relex":
                entities, _ = model.inference([text], labels, threshold=threshold, flat_ner=flat_ner,
                                              multi_label=multi_label)
                return entities[0]
            return model.inference([text], labels, threshold=threshold, flat_ner=flat_ner,
                                   multi_label=multi_label)[0]
        outputs.append(_timed(pool, name, run))
    return outputs


def relations(pool: ModelPool, models: Sequence[str], text: str, labels: list[str], relation_labels: list[str],
              threshold: float, relation_threshold: float, adjacency_threshold: float | None = None
              ) -> list[ModelOutput]:
    outputs = []
    for name in _selected(pool, models):
        if pool.entries[name].family != "relex":
            raise InputError(f"{name} is not a relation model; pick a relex model.")
        outputs.append(_timed(pool, name, lambda m: tuple(x[0] for x in m.inference(
            [text], labels, threshold=threshold, relations=relation_labels, relation_threshold=relation_threshold,
            adjacency_threshold=adjacency_threshold))))
    return outputs


def discover(pool: ModelPool, models: Sequence[str], text: str, labels: list[str], threshold: float,
             constraints: list[str] | None = None, num_sequences: int = 1) -> list[ModelOutput]:
    """Decoders: the entities the span head finds for ``labels``, each named by the causal LM
    (``generated_labels``, best first), optionally restricted to ``constraints``."""
    if not 1 <= int(num_sequences) <= 5:
        raise InputError("Ask for 1 to 5 generated labels per entity.")
    outputs = []
    for name in _selected(pool, models):
        if pool.entries[name].family != "decoder":
            raise InputError(f"{name} has no label decoder; pick a decoder model.")
        outputs.append(_timed(pool, name, lambda m: m.inference(
            [text], labels, threshold=threshold, gen_constraints=constraints or None,
            num_gen_sequences=int(num_sequences))[0]))
    return outputs


def many_labels(pool: ModelPool, models: Sequence[str], text: str, labels: list[str], threshold: float
                ) -> list[ModelOutput]:
    """One text against a large schema: uni-encoders put every label in the prompt (in groups that fit the
    encoder); bi-encoders encode only the labels their label cache (kept across requests) has not seen."""
    outputs = []
    for name in _selected(pool, models):
        family = pool.entries[name].family
        seen: dict[str, int] = {}

        def run(model, family=family, seen=seen):
            if family == "bi":
                seen["new"] = sum(p not in model.label_cache for p in dict.fromkeys(labels))
                return model.inference([text], labels, threshold=threshold)[0]
            if family == "relex":
                return model.inference([text], labels, threshold=threshold)[0][0]
            if family == "decoder":  # the span head only: naming hundreds of entities would dominate the time
                return model.inference([text], labels, threshold=threshold, generate_labels=False)[0]
            return model.inference([text], labels, threshold=threshold)[0]
        out = _timed(pool, name, run)
        if family == "bi" and out.error is None:
            new = seen["new"]
            out.note = (f"all {len(labels)} label embeddings reused from the model's label cache" if not new else
                        f"{new} of {len(labels)} label embeddings encoded, then kept in the model's label cache")
        elif out.error is None:
            out.note = f"all {len(labels)} labels prompted with the text"
        outputs.append(out)
    return outputs
