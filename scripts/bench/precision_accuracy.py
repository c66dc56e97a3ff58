"""Accuracy and speed of each inference precision against fp32, per bundled default (issue: fast CPU inference).

For each model and inference path (torch fp32, bf16, int8; ONNX Runtime fp32 "onnx" and int8 "onnx-int8", from
``gliner-bench export``): WNUT-16 test split, pre-split words, the task's 10 labels,
threshold 0.5 (the leaderboard's protocol): micro-F1, the fraction of fp32's entities reproduced exactly
(same tweet, span and label). Speed is not measured here: paths run one after another in one process, where
torch's and onnxruntime's thread pools disturb each other; ``bench_vs_reference.py --paths`` times each path in its
own process. Writes one results file per model,
``<out>/<model>__wnut16.json`` with the environment (device, threads, versions), and prints a table.

    .venv/bin/python scripts/bench/precision_accuracy.py --models uni-span,uni-token,bi-span,bi-token --threads 2
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="uni-span,uni-token,bi-span,bi-token", help="bundled names or directories")
    ap.add_argument("--precisions", default="fp32,bf16,int8,onnx,onnx-int8",
                    help="paths: fp32, bf16, int8 (torch), onnx, onnx-int8 (an export run by onnxruntime)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--max-examples", type=int, default=0, help="first N test tweets (0: all 1,915)")
    ap.add_argument("--out", default=str(ROOT / "leaderboards" / "precision"))
    args = ap.parse_args()

    import tempfile

    import torch

    from gliner_bench.evaluation import harness, metrics
    from gliner_bench.evaluation.tasks import get_task, load_split
    from gliner_bench.loading import load_model
    from gliner_bench.measurement import environment
    from gliner_bench.measurement.results import slug, write_json_atomic

    torch.set_num_threads(args.threads)
    task = get_task("wnut16")
    test = load_split(task, "test")
    test = test[:args.max_examples] if args.max_examples else test
    labels = list(task.labels.values())
    gold = harness.gold(task, test)
    precisions = args.precisions.split(",")
    if precisions[0] != "fp32":
        raise SystemExit("--precisions must start with fp32: the others are compared against it")
    print("model | path | micro-F1 | delta F1 | fp32 entities kept")
    for name in args.models.split(","):
        spec = name if "/" in name else f"bundled:{name}"
        rows, base = {}, None
        for precision in precisions:
            model = load_path(spec, precision, load_model, tempfile.gettempdir())
            found = harness.above(harness.predict(model, test, labels, 0.5, args.batch_size), 0.5)
            report = metrics.entity_report(found, gold, labels)
            base = found if base is None else base
            # keyed by the path asked for; "ran" says what ran (bf16 falls back to fp32 on CPUs without it)
            key = precision if model.backend == "torch" else f"onnx-{precision.partition('-')[2] or 'fp32'}"
            rows[key] = {"requested": precision, "ran": model.precision, "backend": model.backend,
                         "micro": report["micro"],
                         "per_label_f1": {k: v["f1"] for k, v in report["per_label"].items()},
                         "agreement_with_fp32": metrics.agreement(base, found)}
            r = rows[key]
            ran = "" if r["ran"] == key.rpartition("-")[2] else f" (ran {r['ran']})"
            print(f"{name} | {key}{ran} | {100 * r['micro']['f1']:.2f} | "
                  f"{100 * (r['micro']['f1'] - rows['fp32']['micro']['f1']):+.2f} | "
                  f"{100 * r['agreement_with_fp32']['kept']:.1f}%", flush=True)
        record = {"model": spec, "task": "wnut16", "split": "test", "texts": len(test), "threshold": 0.5,
                  "batch_size": args.batch_size, "protocol": "pre-split words, the task's 10 labels",
                  "precisions": rows, "environment": environment.describe("cpu")}
        write_json_atomic(Path(args.out) / f"{slug(spec)}__wnut16.json", record)
    print(f"results under {args.out}/", file=sys.stderr)
    return 0


def load_path(spec: str, path: str, load_model, scratch: str):
    """The model for one path: torch in a precision, or the fp32 model exported to ONNX (``onnx``, ``onnx-int8``)
    under ``scratch`` and loaded back."""
    if not path.startswith("onnx"):
        return load_model(spec, "cpu", path)
    from gliner_bench import GLiNER
    from gliner_bench.measurement.results import slug
    from gliner_bench.runtimes.onnx.export import export_onnx

    quantize = path.partition("-")[2] or None
    folder = export_onnx(load_model(spec, "cpu"), Path(scratch) / f"gliner-bench-{slug(spec)}-{path}", quantize)
    return GLiNER.from_pretrained(folder)


if __name__ == "__main__":
    sys.exit(main())
