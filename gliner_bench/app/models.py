"""The app's models: the bundled defaults plus any configured checkpoints, loaded lazily, one lock each.

Configure extra checkpoints with ``GLINER_BENCH_APP_MODELS`` (or ``gliner-bench demo --models``): a comma-separated
list of ``spec`` or ``name=spec``, where a spec is what ``gliner_bench.loading.load_model`` takes (a checkpoint
directory, a hub id, ``bundled:<name>``). Only the architecture is read at start-up; weights load on first use.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..checkpoints import files as ckpt
from ..config.capabilities import Capabilities
from ..config.defaults import DEFAULTS as RECIPES
from ..config.registry import capabilities_of
from ..loading import BUNDLED_PREFIX, bundled_names, bundled_path, load_model
from . import serving as app_serving

log = logging.getLogger(__name__)
ENV_MODELS = "GLINER_BENCH_APP_MODELS"
_ORDER = {arch: i for i, arch in enumerate(RECIPES)}  # the columns' order: the recipes' (README's) order
CAPABILITIES = tuple(f.name for f in fields(Capabilities))  # what ``ModelPool.names`` can filter on


@dataclass(frozen=True)
class ModelEntry:
    name: str  # what the UI calls it
    spec: str  # what load_model takes
    architecture: str  # shown in the panels' titles
    family: str  # uni / bi / decoder / relex: display data only, the app asks ``capabilities``
    capabilities: Capabilities | None = field(default=None)  # None: those of ``family``

    def __post_init__(self):
        if self.capabilities is None:
            object.__setattr__(self, "capabilities", capabilities_of(self.family))


def parse_model_list(value: str | None) -> list[tuple[str, str]]:
    """``"mine=runs/x/final, bundled:uni-span"`` -> ``[("mine", "runs/x/final"), ("uni-span", "bundled:uni-span")]``."""
    out = []
    for item in (value or "").split(","):
        item = item.strip()
        if not item:
            continue
        name, _, spec = item.rpartition("=") if "=" in item else ("", "", item)
        name = name.strip() or spec.strip().removeprefix(BUNDLED_PREFIX).rstrip("/").split("/")[-1]
        out.append((name, spec.strip()))
    return out


def _entry(name: str, spec: str) -> ModelEntry:
    """Reads the checkpoint's config only (a hub id downloads its files, not yet its weights into memory)."""
    directory = (bundled_path(spec[len(BUNDLED_PREFIX):]) if spec.startswith(BUNDLED_PREFIX)
                 else ckpt.resolve_checkpoint_dir(spec))
    config = ckpt.read_config(directory)
    return ModelEntry(name, spec, config.architecture, config.family, capabilities_of(config.family))


class ModelPool:
    """Name -> lazily loaded ``GLiNER``. ``run(name, fn)`` calls ``fn(model)`` under that model's lock, so
    concurrent requests share one copy of the weights and never interleave inside one model."""

    def __init__(self, entries: list[ModelEntry], device: str = "cpu", precision: str = "fp32",
                 serving: str = "fp32"):
        names = [e.name for e in entries]
        if len(set(names)) != len(names):
            raise ValueError(f"Two app models share a name: {names}; give them distinct names (name=spec).")
        self.entries = {e.name: e for e in entries}
        self.device, self.precision = device, precision  # precision: every model's encoders (precision.py)
        self.serving = app_serving.check_serving(serving)  # "int8": ONNX int8 where it exists (serving.py)
        if serving == "int8" and (device != "cpu" or precision != "fp32"):
            raise ValueError("serving='int8' exports fp32 CPU models to ONNX int8; use device='cpu' and "
                             "precision='fp32' with it, or serving='fp32'.")
        self._exports = tempfile.TemporaryDirectory(prefix="gliner-bench-app-") if serving == "int8" else None
        self._served: dict[str, app_serving.Served] = {}  # name -> the loaded model, as served (backend, note)
        self._locks = {name: threading.Lock() for name in names}
        self.load_seconds: dict[str, float] = {}

    @classmethod
    def from_config(cls, extra: str | None = None, bundled: bool = True, device: str = "cpu",
                    precision: str = "fp32", serving: str = "fp32") -> ModelPool:
        """The bundled defaults (in architecture order) and the checkpoints named by ``extra`` or
        ``$GLINER_BENCH_APP_MODELS``."""
        specs = [(n, f"{BUNDLED_PREFIX}{n}") for n in bundled_names()] if bundled else []
        specs += parse_model_list(extra if extra is not None else os.environ.get(ENV_MODELS))
        entries, seen = [], set()
        for name, spec in specs:
            if name in seen:
                continue
            seen.add(name)
            entries.append(_entry(name, spec))
        entries.sort(key=lambda e: (not e.spec.startswith(BUNDLED_PREFIX), _ORDER.get(e.architecture, 99)))
        if not entries:
            raise ValueError("No models to serve: no bundled default is installed and none is configured; pass "
                             f"checkpoints with --models or ${ENV_MODELS}, e.g. mine=runs/uni-span/final.")
        return cls(entries, device, precision, serving)

    def names(self, capability: str | Callable[[Capabilities], bool] | None = None) -> list[str]:
        """The served models in order; with ``capability`` (a ``Capabilities`` field such as ``"relations"``, or a
        predicate on a model's ``Capabilities``) only the models that have it."""
        if capability is None:
            return list(self.entries)
        if isinstance(capability, str):
            if capability not in CAPABILITIES:
                raise ValueError(f"Unknown capability {capability!r}; known: {', '.join(CAPABILITIES)}.")
            return [n for n, e in self.entries.items() if getattr(e.capabilities, capability)]
        return [n for n, e in self.entries.items() if capability(e.capabilities)]

    def is_loaded(self, name: str) -> bool:
        return name in self._served

    def get(self, name: str):
        if name not in self.entries:
            raise ValueError(f"Unknown model {name!r}; this app serves: {', '.join(self.entries)}.")
        if name not in self._served:
            with self._locks[name]:
                if name not in self._served:
                    start = time.perf_counter()
                    model = load_model(self.entries[name].spec, device=self.device, precision=self.precision)
                    workdir = Path(self._exports.name) if self._exports else None
                    self._served[name] = app_serving.serve(model, name, self.serving, workdir)
                    self.load_seconds[name] = time.perf_counter() - start
                    log.info("loaded %s (%s) in %.1f s", name, self.entries[name].spec, self.load_seconds[name])
        return self._served[name].model

    def served(self, name: str) -> app_serving.Served | None:
        """How a loaded model is served (its backend, and why not int8 where int8 was asked for); None before."""
        return self._served.get(name)

    def preload(self, background: bool = True) -> threading.Thread | None:
        """Load every model now (in a daemon thread by default) so the first visitor does not wait for it."""
        def load_all():
            for name in self.entries:
                try:
                    self.get(name)
                except Exception:
                    log.exception("could not preload %s", name)
        return in_background(load_all, "gliner-bench-preload", background)

    def run(self, name: str, fn):
        model = self.get(name)
        with self._locks[name]:
            return fn(model)


def in_background(work: Callable[[], None], name: str, background: bool = True) -> threading.Thread | None:
    """``work()`` in a started daemon thread (returned), or here and now (None) when not ``background``."""
    if not background:
        work()
        return None
    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    return thread
