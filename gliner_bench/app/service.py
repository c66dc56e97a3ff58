"""What each tab runs: the public ``GLiNER`` API on every selected model, timed, one model's failure never
hiding the others' results. No gradio here: the UI (``ui.py``) renders these plain results."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from ..config.capabilities import Capabilities
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
    backend: str = ""  # how the model was served: "ONNX int8" or "torch fp32" (serving.py)
    note: str = ""
    error: str | None = None  # a message for the visitor


class Precomputed:
    """The examples' outputs, computed once (``warm``) and then served at once: (tab, model, inputs) ->
    ``ModelOutput``. Only what ``warm`` stored is served, so a visitor's own input always runs live."""

    NOTE = "precomputed example (latency measured when it was computed)"

    def __init__(self):
        self._outputs: dict[tuple, ModelOutput] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple) -> ModelOutput | None:
        with self._lock:
            out = self._outputs.get(key)
        if out is None:
            return None
        return replace(out, load_seconds=None, note=" · ".join(n for n in (out.note, self.NOTE) if n))

    def put(self, key: tuple, out: ModelOutput) -> None:
        if out.error is None:  # a failure is never replayed: the next click tries again
            with self._lock:
                self._outputs[key] = out

    def __len__(self) -> int:
        return len(self._outputs)

    def warm(self, calls: Sequence[Callable[[Precomputed], object]]) -> None:
        """Run each call (a service function with its inputs bound, taking ``cache=``) and keep its outputs."""
        for call in calls:
            try:
                call(cache=_Recorder(self))
            except Exception:
                log.exception("an example could not be precomputed")


class _Recorder:
    """The cache as ``warm`` passes it: every output computed is stored."""

    def __init__(self, target: Precomputed):
        self.target = target

    def get(self, key: tuple) -> ModelOutput | None:
        return self.target.get(key)

    def put(self, key: tuple, out: ModelOutput) -> None:
        self.target.put(key, out)


def _cached(pool: ModelPool, name: str, fn, cache, key: tuple) -> ModelOutput:
    """``_timed``, or the output ``cache`` holds for ``key`` (models and inputs); ``warm``'s recorder stores it."""
    if cache is not None:
        hit = cache.get((name, *key))
        if hit is not None:
            return hit
    out = _timed(pool, name, fn)
    if isinstance(cache, _Recorder):
        cache.put((name, *key), out)
    return out


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
    served = pool.served(name)
    if served is not None:
        out.backend, out.note = served.backend, served.note
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
    if isinstance(result, tuple):  # predict_relations: (entities, relations)
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
            flat_ner: bool = True, multi_label: bool = False, cache=None) -> list[ModelOutput]:
    """Every selected model on the same text and labels. Models with ``generated_labels`` also name each entity;
    models with ``relations`` give their entities only here (no relation types asked for). ``cache``: a
    ``Precomputed`` whose outputs are served for the exact same inputs."""
    run = partial(_entities, text=text, labels=labels, threshold=threshold, flat_ner=flat_ner,
                  multi_label=multi_label)
    key = ("compare", text, tuple(labels), threshold, flat_ner, multi_label)
    return [_cached(pool, name, run, cache, key) for name in _selected(pool, models)]


def relations(pool: ModelPool, models: Sequence[str], text: str, labels: list[str], relation_labels: list[str],
              threshold: float, relation_threshold: float, adjacency_threshold: float | None = None, cache=None
              ) -> list[ModelOutput]:
    """Models with ``relations``: their entities and the relations between them."""
    names = _selected(pool, models)
    for name in names:
        if not pool.entries[name].capabilities.relations:
            raise InputError(f"{name} is not a relation model; pick a relex model.")
    run = partial(_relations, text=text, labels=labels, relation_labels=relation_labels, threshold=threshold,
                  relation_threshold=relation_threshold, adjacency_threshold=adjacency_threshold)
    key = ("relations", text, tuple(labels), tuple(relation_labels), threshold, relation_threshold,
           adjacency_threshold)
    return [_cached(pool, name, run, cache, key) for name in names]


def discover(pool: ModelPool, models: Sequence[str], text: str, labels: list[str], threshold: float,
             constraints: list[str] | None = None, num_sequences: int = 1, cache=None) -> list[ModelOutput]:
    """Models with ``generated_labels``: the entities the span head finds for ``labels``, each named by the causal
    LM (``generated_labels``, best first), optionally restricted to ``constraints``."""
    if not 1 <= int(num_sequences) <= 5:
        raise InputError("Ask for 1 to 5 generated labels per entity.")
    names = _selected(pool, models)
    for name in names:
        if not pool.entries[name].capabilities.generated_labels:
            raise InputError(f"{name} has no label decoder; pick a decoder model.")
    run = partial(_entities, text=text, labels=labels, threshold=threshold, gen_constraints=constraints or None,
                  num_gen_sequences=int(num_sequences))
    key = ("discover", text, tuple(labels), threshold, tuple(constraints or ()), int(num_sequences))
    return [_cached(pool, name, run, cache, key) for name in names]


def many_labels(pool: ModelPool, models: Sequence[str], text: str, labels: list[str], threshold: float,
                cache=None) -> list[ModelOutput]:
    """One text against a large schema: models with labels in the prompt put every label there (in groups that
    fit the encoder); those with cached label embeddings encode only the labels their cache (kept across
    requests) has not seen."""
    outputs = []
    key = ("many", text, tuple(labels), threshold)
    for name in _selected(pool, models):
        hit = cache.get((name, *key)) if cache is not None else None
        if hit is not None:
            outputs.append(hit)
            continue
        uncached: list[str] = []
        out = _timed(pool, name, partial(_schema_entities, text=text, labels=labels, threshold=threshold,
                                         uncached=uncached))
        if out.error is None:
            out.note = _cache_note(pool.entries[name].capabilities, len(labels), len(uncached))
        if isinstance(cache, _Recorder):
            cache.put((name, *key), out)
        outputs.append(out)
    return outputs


# ------------------------------------------------------------------------------------ one model's call
def _entities(model, text: str, labels: list[str], threshold: float, **options) -> list[dict]:
    return model.predict_entities(text, labels, threshold=threshold, **options)


def _relations(model, text: str, labels: list[str], relation_labels: list[str], threshold: float,
               relation_threshold: float, adjacency_threshold: float | None) -> tuple[list[dict], list[dict]]:
    return model.predict_relations(text, labels, relation_labels, threshold=threshold,
                                   relation_threshold=relation_threshold, adjacency_threshold=adjacency_threshold)


def _schema_entities(model, text: str, labels: list[str], threshold: float, uncached: list[str]) -> list[dict]:
    """The entities of ``text`` for a large schema; ``uncached`` gets the label prompts this call encodes anew
    (read under the model's lock, before the call fills the cache)."""
    uncached += model.uncached_labels(labels)
    if model.capabilities.generated_labels:  # the span head only: naming hundreds of entities would dominate
        return model.inference([text], labels, threshold=threshold, generate_labels=False)[0]
    return model.predict_entities(text, labels, threshold=threshold)


def _cache_note(capabilities: Capabilities, labels: int, new: int) -> str:
    if not capabilities.label_embeddings:
        return f"all {labels} labels prompted with the text"
    if not new:
        return f"all {labels} label embeddings reused from the model's label cache"
    return f"{new} of {labels} label embeddings encoded, then kept in the model's label cache"
