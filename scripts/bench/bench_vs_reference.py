"""Our batched inference against the reference gliner==0.2.29 on the same checkpoint.

A UniEncoderSpan on the packaged all-MiniLM-L6-v2 (heads seeded, scaled so scores spread out), written by
our save_pretrained and loaded by both; 64 texts of about 40 words, 5 labels, batch 8, CPU. The two
implementations run in their own processes and are timed alternately (ABBA order) so drift hits both.
Prints the table and writes results/bench_vs_reference.json.

Usage: python scripts/bench/bench_vs_reference.py --ref-python <venv with gliner==0.2.29>/bin/python
(scripts/parity/make_fixtures.sh builds such a venv).
"""

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from common import Worker, build_checkpoint, public_arguments, same_entities

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref-python", default=os.environ.get("GLINER_REF_PYTHON"), required=False)
    ap.add_argument("--rounds", type=int, default=5, help="ABBA rounds (each times both twice)")
    ap.add_argument("--texts", type=int, default=64)
    ap.add_argument("--words", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--out", default=str(ROOT / "results" / "bench_vs_reference.json"))
    args = ap.parse_args()
    if not args.ref_python:
        ap.error("pass --ref-python (or set GLINER_REF_PYTHON) to a python with gliner==0.2.29 installed")

    from gliner_bench import environment
    from gliner_bench.results import write_json_atomic
    from gliner_bench.throughput import sample_texts

    texts, _ = sample_texts(args.texts, args.words)
    labels = ["person", "organization", "location", "date", "product"]
    request = {"texts": texts, "labels": labels, "batch_size": args.batch_size, "threshold": args.threshold}
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "ckpt"
        build_checkpoint(ckpt, "UniEncoderSpan", seed=0)
        ours = Worker(sys.executable, "ours", args.threads)
        ref = Worker(args.ref_python, "reference", args.threads)
        for worker in (ours, ref):
            worker.call(op="load", path=str(ckpt))
        times = {"ours": [], "reference": []}
        outputs = {}
        for r in range(args.rounds):
            order = [("ours", ours), ("reference", ref)]
            for name, worker in order + order[::-1]:
                reply = worker.call(op="infer", mode="plain", repeats=1, **request)
                times[name] += reply["seconds"]
                outputs[name] = reply["output"]
            print(f"round {r + 1}: ours {times['ours'][-1]:.3f}s  reference {times['reference'][-1]:.3f}s",
                  file=sys.stderr)
        ours.close()
        ref.close()
    identical, max_diff = same_entities(outputs["ours"], outputs["reference"])
    n_entities = sum(len(x) for x in outputs["ours"])
    tps = {k: len(texts) / statistics.median(v) for k, v in times.items()}
    speedup = tps["ours"] / tps["reference"]
    record = {
        "schema_version": 1,
        "experiment": "inference_vs_reference",
        "model": "UniEncoderSpan on all-MiniLM-L6-v2 (seeded heads)",
        "arguments": public_arguments(args) | {"labels": labels},
        "environment": environment.describe("cpu") | {"torch_threads": args.threads},
        "reference": {"package": "gliner", "version": "0.2.29", "torch": ref.info["torch"],
                      "transformers": ref.info["transformers"]},
        "figures": {
            "texts_per_second": tps,
            "speedup": speedup,
            "seconds": times,
            "entities": n_entities,
            "identical_entities": identical,
            "max_score_difference": max_diff,
        },
    }
    path = write_json_atomic(args.out, record)
    print(f"| implementation | texts/s (median of {len(times['ours'])}) |")
    print("|---|---|")
    print(f"| gliner 0.2.29 | {tps['reference']:.1f} |")
    print(f"| gliner-bench | {tps['ours']:.1f} |")
    print(f"speed-up {speedup:.2f}x; outputs identical: {identical} ({n_entities} entities, "
          f"max score difference {max_diff:.2e}); wrote {os.path.relpath(path)}")
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
