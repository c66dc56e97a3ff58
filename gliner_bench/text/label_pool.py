"""Entity type names shipped with the project: distractors for label-scaling runs and many-label demos."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

MODIFIERS = ("historical", "fictional", "local", "foreign", "former", "regional", "international")


@lru_cache(maxsize=1)
def entity_types() -> tuple[str, ...]:
    """The 325 base type names (bundled data/entity_types.json)."""
    data = json.loads(resources.files("gliner_bench.data").joinpath("entity_types.json").read_text("utf-8"))
    return tuple(data["types"])


def label_pool(n: int) -> list[str]:
    """``n`` distinct type names: the base names first, then modified ones ("historical city", ...)."""
    base = entity_types()
    names = list(base) + [f"{m} {t}" for m in MODIFIERS for t in base]
    if n > len(names):
        raise ValueError(f"The bundled pool has {len(names)} type names; asked for {n}.")
    return names[:n]
