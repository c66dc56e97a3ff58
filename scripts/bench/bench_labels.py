"""Throughput against the number of labels: UniEncoderSpan and BiEncoderSpan, ours and the reference's.

MiniLM-sized checkpoints (all-MiniLM-L6-v2 as text and label encoder, hidden 384, heads seeded), written by
our save_pretrained and loaded by both implementations; 16 texts of about 38 words, batch 8, CPU, 2 threads.
For each number of labels (default 1, 16, 64, 256, 1024):
  - bi-encoder, cached: label embeddings computed once (``encode_labels``, timed separately), then
    ``batch_predict_with_embeds``;
  - bi-encoder, uncached: plain ``inference`` (labels encoded inside; ours clears its cache before each run);
  - uni-encoder: plain ``inference``. Past the encoder's window the reference truncates the prompt and the
    text silently; ours splits the labels into groups (several passes), so its cost grows with the labels.
Prints a table and writes results/bench_labels.json.

Usage: python scripts/bench/bench_labels.py --ref-python <venv with gliner==0.2.29>/bin/python
       (omit --ref-python to measure ours only)
"""

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from common import Worker, build_checkpoint, calibrate_threshold, public_arguments, same_entities

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref-python", default=os.environ.get("GLINER_REF_PYTHON"))
    ap.add_argument("--labels", default="1,16,64,256,1024")
    ap.add_argument("--texts", type=int, default=16)
    ap.add_argument("--words", type=int, default=38)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threshold", default="auto",
                    help="a number, or 'auto': per model, the --quantile of its (span, label) scores at 16 labels")
    ap.add_argument("--quantile", type=float, default=0.998)
    ap.add_argument("--head-scale", type=float, default=10.0)
    ap.add_argument("--skip-reference-encode-above", type=int, default=1024,
                    help="the reference's encode_labels pads every label to 512 tokens: skip it above this")
    ap.add_argument("--out", default=str(ROOT / "results" / "bench_labels.json"))
    args = ap.parse_args()

    from gliner_bench.measurement import environment
    from gliner_bench.measurement.results import write_json_atomic
    from gliner_bench.measurement.throughput import sample_texts
    from gliner_bench.text.label_pool import label_pool

    counts = [int(x) for x in args.labels.split(",")]
    texts, _ = sample_texts(args.texts, args.words)
    impls = {"ours": sys.executable} | ({"reference": args.ref_python} if args.ref_python else {})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ckpts = {arch: Path(tmp) / arch for arch in ("UniEncoderSpan", "BiEncoderSpan")}
        thresholds = {}
        for arch, path in ckpts.items():
            build_checkpoint(path, arch, seed=0, head_scale=args.head_scale)
            thresholds[arch] = (calibrate_threshold(path, texts, label_pool(16), args.quantile)
                                if args.threshold == "auto" else float(args.threshold))
            print(f"{arch}: threshold {thresholds[arch]}", file=sys.stderr)
        workers = {name: Worker(python, name, args.threads) for name, python in impls.items()}
        for arch, path in ckpts.items():
            for w in workers.values():
                w.call(op="load", path=str(path))
            modes = ["embeds", "uncached"] if arch.startswith("Bi") else ["plain"]
            for n in counts:
                labels = label_pool(n)
                request = {"texts": texts, "labels": labels, "batch_size": args.batch_size,
                           "threshold": thresholds[arch], "repeats": args.repeats}
                outputs = {}
                for name, w in workers.items():
                    encode_s = None
                    if "embeds" in modes and not (name == "reference" and n > args.skip_reference_encode_above):
                        encode_s = w.call(op="encode", labels=labels)["seconds"]
                    for mode in modes:
                        if mode == "embeds" and encode_s is None:
                            continue
                        reply = w.call(op="infer", mode=mode, **request)
                        tps = len(texts) / statistics.median(reply["seconds"])
                        outputs[name, mode] = reply["output"]
                        row = {"impl": name, "architecture": arch, "mode": {"embeds": "cached"}.get(mode, mode),
                               "labels": n, "threshold": thresholds[arch], "texts_per_second": tps,
                               "seconds": reply["seconds"],
                               "encode_labels_seconds": encode_s if mode == "embeds" else None,
                               "entities": sum(len(x) for x in reply["output"])}
                        rows.append(row)
                        print(f"{arch:15s} {row['mode']:9s} {name:9s} {n:5d} labels: {tps:7.2f} texts/s"
                              + (f"  encode_labels {encode_s:.2f}s" if row["encode_labels_seconds"] else ""),
                              file=sys.stderr)
                if "reference" in workers:
                    for mode in modes:
                        if ("ours", mode) in outputs and ("reference", mode) in outputs:
                            same, diff = same_entities(outputs["ours", mode], outputs["reference", mode])
                            for r in rows[-len(workers) * len(modes):]:
                                if r["labels"] == n and r["architecture"] == arch and r["mode"] == \
                                        {"embeds": "cached"}.get(mode, mode):
                                    r["same_as_reference"] = same
                                    r["max_score_difference"] = diff
        for w in workers.values():
            w.close()
        info = {name: w.info for name, w in workers.items()}

    record = {
        "schema_version": 1,
        "experiment": "throughput_vs_labels",
        "model": "UniEncoderSpan / BiEncoderSpan on all-MiniLM-L6-v2 (text and labels), seeded heads",
        "arguments": public_arguments(args),
        "environment": environment.describe("cpu") | {"torch_threads": args.threads},
        "workers": info,
        "rows": rows,
    }
    path = write_json_atomic(args.out, record)
    print("| model | mode | impl | " + " | ".join(f"{n} labels" for n in counts) + " | encode_labels 16 / 1024 |")
    print("|---|---|---|" + "---|" * len(counts) + "---|")
    keys = sorted({(r["architecture"], r["mode"], r["impl"]) for r in rows})
    for arch, mode, impl in keys:
        cells = []
        for n in counts:
            hit = [r for r in rows if (r["architecture"], r["mode"], r["impl"], r["labels"]) == (arch, mode, impl, n)]
            cells.append(f"{hit[0]['texts_per_second']:.2f}" if hit else "-")
        enc = {r["labels"]: r["encode_labels_seconds"] for r in rows
               if (r["architecture"], r["mode"], r["impl"]) == (arch, mode, impl) and r["encode_labels_seconds"]}
        enc_cell = " / ".join(f"{enc[n]:.2f}s" if n in enc else "-" for n in (16, 1024)) if enc else ""
        print(f"| {arch} | {mode} | {impl} | " + " | ".join(cells) + f" | {enc_cell} |")
    print(f"wrote {os.path.relpath(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
