"""Per-sentence against per-document F1 on CoNLL-03 **validation** (issue 26's decisions are made here, never on
test), with the entity scores' expected calibration error.

    .venv/bin/python scripts/bench/document_gap.py --models bundled:uni-span,bundled:bi-span [--documents 60]
        [--max-length 32] [--set isolate_prompt=true] [--output leaderboards/documents/valid.json]
    .venv/bin/python scripts/bench/document_gap.py --models bundled:bi-span --max-length 384,128,64,32 \
        --units document --documents 0   # a window sweep: whole documents only, one row per window

Each model reads the dataset's own words (the benchmark's ``words`` protocol) with the four labels person,
organization, location, miscellaneous; micro-F1 at 0.5 and at the best threshold of a sweep, per sentence and per
whole document (``harness.documents``). ``--documents N`` keeps the first N documents (0: all 216).
``--set FIELD=VALUE`` changes the loaded config (inference only, e.g. ``max_len``), to test a field before training.
The ECE is over every predicted entity at threshold 0.1, ten equal-width bins, an entity correct when its span and
type match the gold exactly (``metrics.expected_calibration_error``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from gliner_bench import GLiNER
from gliner_bench.evaluation import harness
from gliner_bench.evaluation.metrics import calibration_pairs, entity_report, expected_calibration_error
from gliner_bench.evaluation.tasks import get_task, load_split
from gliner_bench.measurement.environment import describe
from gliner_bench.measurement.results import write_json_atomic

THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def measure(model, task, examples, batch_size: int) -> dict:
    labels = task.label_names
    truth = harness.gold(task, examples)
    preds = harness.predict(model, examples, labels, min(THRESHOLDS), batch_size)
    exact = harness.one_pass_is_exact(model)  # a token decoder's spans depend on the threshold: one pass each
    curve = {t: entity_report(harness.above(preds if exact else harness.predict(model, examples, labels, t, batch_size),
                                            t), truth, labels)["micro"] for t in THRESHOLDS}
    best = max(THRESHOLDS, key=lambda t: (curve[t]["f1"], -abs(t - 0.5)))
    scores, correct = calibration_pairs(preds, truth)
    return {"units": len(examples), "at_0.5": curve[0.5], "best_threshold": best, "at_best": curve[best],
            "f1_by_threshold": {str(t): round(r["f1"], 2) for t, r in curve.items()},
            "ece": expected_calibration_error(scores, correct), "predicted_at_0.1": len(scores)}


def line(m: dict) -> str:
    at, best = m["at_0.5"], m["at_best"]
    return (f"{100 * at['f1']:.1f} (P {100 * at['precision']:.1f} R {100 * at['recall']:.1f}; best "
            f"{100 * best['f1']:.1f} at {m['best_threshold']}; ECE {m['ece']:.3f})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", required=True, help="comma-separated checkpoints (bundled:<name> or folders)")
    ap.add_argument("--documents", type=int, default=60, help="first N validation documents (0: all)")
    ap.add_argument("--max-length", help="window length in words (from_pretrained(max_length=)); a comma-separated "
                    "list measures each (default: the checkpoint's own)")
    ap.add_argument("--units", default="sentence,document", help="sentence, document, or both (default)")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="config change (JSON value)")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--output", help="write the figures here (JSON)")
    args = ap.parse_args(argv)
    task = get_task("conll03")
    sentences, docs = harness.first_documents(load_split(task, "validation"), args.documents, "conll03 validation")
    units = args.units.split(",")
    if not units or any(u not in ("sentence", "document") for u in units):
        ap.error(f"--units {args.units!r}: give sentence, document or sentence,document")
    lengths = [int(n) for n in args.max_length.split(",")] if args.max_length else [None]
    examples = {"sentence": sentences, "document": docs}
    rows = []
    for name in args.models.split(","):
        for length in lengths:
            model = GLiNER.from_pretrained(name, max_length=length)
            for item in args.set:
                field, _, value = item.partition("=")
                setattr(model.config, field, json.loads(value))
            start = time.perf_counter()
            row = {"model": name, "max_length": model.config.max_len, "set": args.set,
                   **{unit: measure(model, task, examples[unit], args.batch_size) for unit in units}}
            row["seconds"] = round(time.perf_counter() - start, 1)
            rows.append(row)
            print(f"{name} max_len={row['max_length']} {' '.join(args.set)}: "
                  + " | ".join(f"{unit} {line(row[unit])}" for unit in units) + f" [{row['seconds']} s]", flush=True)
    if args.output:
        write_json_atomic(Path(args.output), {"task": "conll03 validation", "documents": len(docs),
                                              "sentences": len(sentences), "batch_size": args.batch_size, "environment": describe(), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
