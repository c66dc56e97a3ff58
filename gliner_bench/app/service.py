"""What each tab runs: the public ``GLiNER`` API on every selected model, timed, one model's failure never
hiding the others' results. No gradio here: the UI (``ui.py``) renders these plain results."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
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


class LabelEmbeddingCache:
    """Bi-encoders' label vectors per (model, schema), kept across requests: a schema of hundreds of types is
    encoded once, then every text reuses it. Bounded LRU, thread-safe."""

    def __init__(self, max_entries: int = 16):
        self.max_entries = max_entries
        self._items: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_encode(self, model_name: str, model, labels: Sequence[str]) -> tuple[object, float | None]:
        """``(embeddings, seconds spent encoding)``: seconds is None on a cache hit."""
        key = (model_name, tuple(labels))
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key], None
        start = time.perf_counter()
        emb = model.encode_labels(list(labels))
        seconds = time.perf_counter() - start
        with self._lock:
            self.misses += 1
            self._items[key] = emb
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return emb, seconds


def many_labels(pool: ModelPool, models: Sequence[str], text: str, labels: list[str], threshold: float,
                cache: LabelEmbeddingCache) -> list[ModelOutput]:
    """One text against a large schema: uni-encoders put every label in the prompt (in groups that fit the
    encoder); bi-encoders reuse the schema's cached label embeddings."""
    outputs = []
    for name in _selected(pool, models):
        family = pool.entries[name].family
        timing: dict[str, float | None] = {}

        def run(model, family=family, timing=timing, name=name):
            if family == "bi":
                emb, timing["encode"] = cache.get_or_encode(name, model, labels)
                return model.inference([text], labels, threshold=threshold, label_embeddings=emb)[0]
            if family == "relex":
                return model.inference([text], labels, threshold=threshold)[0][0]
            if family == "decoder":  # the span head only: naming hundreds of entities would dominate the time
                return model.inference([text], labels, threshold=threshold, generate_labels=False)[0]
            return model.inference([text], labels, threshold=threshold)[0]
        out = _timed(pool, name, run)
        if family == "bi" and out.error is None:
            enc = timing.get("encode")
            out.note = (f"label embeddings of the {len(labels)} types reused from the cache" if enc is None else
                        f"{len(labels)} label embeddings encoded in {enc * 1000:.0f} ms and cached for the next request")
        elif out.error is None:
            out.note = f"all {len(labels)} labels prompted with the text"
        outputs.append(out)
    return outputs
