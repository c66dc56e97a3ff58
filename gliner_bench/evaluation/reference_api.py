"""The reference's ``GLiNER.evaluate``, on our harness: same arguments (the model first), same return shape.

``GLiNER.evaluate`` calls it (the api layer sits above evaluation and training: tests/test_imports.py).

``evaluate(model, test_data, ...)`` -> ``("P: 71.20%\tR: 64.00%\tF1: 67.41%\n", 0.6741...)``: micro precision,
recall and F1 over exact (start word, end word, type) matches, as the reference's ``BaseNEREvaluator``. The
benchmark's own ``gliner-bench evaluate`` reports more (intervals, thresholds, per type); this is for scripts
written for the reference.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..text.records import examples_from_items
from . import harness
from .metrics import prf


def evaluate(model, test_data: Sequence[dict], flat_ner: bool = False, multi_label: bool = False,
             threshold: float = 0.5, batch_size: int = 12, entity_types: Sequence[str] | None = None
             ) -> tuple[str, float]:
    """``test_data``: the reference's training format (``tokenized_text`` + ``ner`` as [start word, end word
    inclusive, type]). ``entity_types``: the labels prompted; default every type of ``test_data``, in order of
    first appearance."""
    examples = examples_from_items(test_data)
    labels = list(entity_types) if entity_types is not None else \
        list(dict.fromkeys(label for ex in examples for *_, label in ex.entities))
    if not labels:
        raise ValueError("No entity types to prompt: test_data has no entities; pass entity_types=[...].")
    predicted = harness.predict(model, examples, labels, threshold, batch_size, flat_ner=flat_ner,
                                multi_label=multi_label)
    scores = prf({(i, s, e, label) for i, ents in enumerate(predicted) for s, e, label, _ in ents},
                 {(i, s, e, label) for i, ex in enumerate(examples) for s, e, label in ex.entities})
    return f"P: {scores.precision:.2%}\tR: {scores.recall:.2%}\tF1: {scores.f1:.2%}\n", scores.f1
