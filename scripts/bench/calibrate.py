"""Fit each checkpoint's ``score_calibration`` on validation splits; report before and after, test splits after.

    .venv/bin/python scripts/bench/calibrate.py --models bundled:uni-span,bundled:bi-span \
        [--write] [--test] [--output leaderboards/documents/calibration.json]

Each model's raw scores (its own ``score_calibration`` switched off) are collected once per task at a raw threshold
of 0.01, the four CoNLL-03 labels or WNUT-16's types, the dataset's own words:
- fitting (issue 26's decisions): CoNLL-03 **validation**, whole documents (the anchor: its F1 at the calibrated 0.5
  stays within 2 of its best), and WNUT-16 **dev**;
- ``--test``: the same on CoNLL-03 test documents and WNUT-16 test, reported with the fitted map, never used to fit.
The fit is ``gliner_bench.evaluation.calibration.fit``. ``--write`` stores the map in the checkpoint's
``gliner_config.json`` (a bundled default's is in the package); a retrained checkpoint needs a new fit.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from gliner_bench import GLiNER
from gliner_bench.evaluation import calibration, harness
from gliner_bench.evaluation.metrics import calibration_pairs
from gliner_bench.evaluation.tasks import get_task, load_split
from gliner_bench.inference.calibration import ScoreCalibration
from gliner_bench.loading import BUNDLED_PREFIX, bundled_path
from gliner_bench.measurement.environment import describe
from gliner_bench.measurement.results import write_json_atomic

RAW_THRESHOLD = 0.01
ANCHOR = "conll03 validation documents"
FIT = {ANCHOR: ("conll03", "validation", "document"), "wnut16 dev": ("wnut16", "dev", "sentence")}
TEST = {"conll03 test documents": ("conll03", "test", "document"), "wnut16 test": ("wnut16", "test", "sentence")}


def collect(model, task_name: str, split: str, unit: str, batch_size: int) -> calibration.Pairs:
    task = get_task(task_name)
    examples = load_split(task, split)
    if unit == "document":
        examples = harness.documents(examples, f"{task_name} {split}")
    truth = harness.gold(task, examples)
    preds = harness.predict(model, examples, task.label_names, RAW_THRESHOLD, batch_size)
    scores, correct = calibration_pairs(preds, truth)
    return calibration.Pairs(scores, correct, sum(len(t) for t in truth))


def checkpoint_dir(name: str) -> Path:
    return bundled_path(name[len(BUNDLED_PREFIX):]) if name.startswith(BUNDLED_PREFIX) else Path(name)


def write_field(folder: Path, value: dict) -> None:
    """Set ``score_calibration`` in ``folder/gliner_config.json``, every other key as it was (atomic)."""
    path = folder / "gliner_config.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["score_calibration"] = value
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", required=True, help="comma-separated checkpoints (bundled:<name> or folders)")
    ap.add_argument("--test", action="store_true", help="also report the test splits with the fitted map")
    ap.add_argument("--write", action="store_true", help="store the fitted map in each checkpoint's config")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--output", help="write the figures here (JSON)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = []
    for name in args.models.split(","):
        start = time.perf_counter()
        model = GLiNER.from_pretrained(name)
        if not harness.one_pass_is_exact(model):
            ap.error(f"{name}: a token decoder's spans depend on the threshold, so one pass at {RAW_THRESHOLD} does "
                     "not give its F1 at every threshold; this fit does not apply to it.")
        before = ScoreCalibration.from_field(model.config.score_calibration)
        model.config.score_calibration = None  # raw scores: the fit starts from the head's own
        fit_pairs = {k: collect(model, *spec, args.batch_size) for k, spec in FIT.items()}
        fitted = calibration.fit(fit_pairs, ANCHOR)
        value = {"scale": fitted.scale, "shift": fitted.shift,
                 "fitted_on": "CoNLL-03 validation documents and WNUT-16 dev (scripts/bench/calibrate.py)"}
        row = {"model": name, "score_calibration": value, "previous": {"scale": before.scale, "shift": before.shift},
               "raw_threshold_at_0.5": round(fitted.raw_threshold(0.5), 4), "tasks": {}}
        splits = {**FIT, **(TEST if args.test else {})}
        for key, spec in splits.items():
            pairs = fit_pairs[key] if key in fit_pairs else collect(model, *spec, args.batch_size)
            row["tasks"][key] = {"used_to_fit": key in FIT, "raw": calibration.report(pairs, ScoreCalibration()),
                                 "calibrated": calibration.report(pairs, fitted)}
        row["seconds"] = round(time.perf_counter() - start, 1)
        rows.append(row)
        print(f"{name}: scale {fitted.scale} shift {fitted.shift} (0.5 = raw {row['raw_threshold_at_0.5']})", flush=True)
        for key, r in row["tasks"].items():
            raw, cal = r["raw"], r["calibrated"]
            print(f"  {key}: F1 at 0.5 {raw['f1_at']['0.5']} -> {cal['f1_at']['0.5']} (best {cal['best_f1']} at "
                  f"{cal['best_threshold']}); ECE {raw['ece']} -> {cal['ece']}", flush=True)
        if args.write:
            write_field(checkpoint_dir(name), value)
    if args.output:
        write_json_atomic(Path(args.output), {"raw_threshold_collected": RAW_THRESHOLD, "threads": args.threads,
                                              "batch_size": args.batch_size, "environment": describe(),
                                              "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
