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

from common import Worker, build_checkpoint, calibrate_threshold, public_arguments, same_entities

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref-python", default=os.environ.get("GLINER_REF_PYTHON"), required=False)
    ap.add_argument("--rounds", type=int, default=5, help="ABBA rounds (each times both twice)")
    ap.add_argument("--texts", type=int, default=64)
    ap.add_argument("--words", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--threshold", default="0.5",
                    help="a number, or 'auto': the --quantile of our model's (span, label) scores")
    ap.add_argument("--quantile", type=float, default=0.998)
    ap.add_argument("--architecture", default="UniEncoderSpan",
                    choices=["UniEncoderSpan", "BiEncoderSpan", "UniEncoderSpanRelex", "UniEncoderSpanDecoder"])
    ap.add_argument("--max-new-tokens", type=int, default=15, help="decoder: generation length (reference default)")
    ap.add_argument("--gen-constraints", default="",
                    help="decoder: comma-separated names generation is restricted to (default: free generation)")
    ap.add_argument("--relations", default="works for,located in,born in",
                    help="relex: comma-separated relation labels")
    ap.add_argument("--relation-threshold", type=float, default=None, help="relex (default: --threshold)")
    ap.add_argument("--adjacency-threshold", type=float, default=None, help="relex (default: --threshold)")
    ap.add_argument("--head-scale", type=float, default=40.0)
    ap.add_argument("--out", default=None, help="default results/bench_vs_reference[_<architecture>].json")
    args = ap.parse_args()
    if not args.ref_python:
        ap.error("pass --ref-python (or set GLINER_REF_PYTHON) to a python with gliner==0.2.29 installed")

    from gliner_bench import environment
    from gliner_bench.results import write_json_atomic
    from gliner_bench.throughput import sample_texts

    texts, _ = sample_texts(args.texts, args.words)
    labels = ["person", "organization", "location", "date", "product"]
    relex = args.architecture.endswith("Relex")
    out = args.out or str(ROOT / "results" / ("bench_vs_reference.json" if args.architecture == "UniEncoderSpan"
                                              else f"bench_vs_reference_{args.architecture}.json"))
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "ckpt"
        build_checkpoint(ckpt, args.architecture, seed=0, head_scale=args.head_scale)
        threshold = (calibrate_threshold(ckpt, texts[:8], labels, args.quantile) if args.threshold == "auto"
                     else float(args.threshold))
        request = {"texts": texts, "labels": labels, "batch_size": args.batch_size, "threshold": threshold}
        if relex:
            request["relations"] = [r.strip() for r in args.relations.split(",") if r.strip()]
            request["relation_threshold"] = args.relation_threshold
            request["adjacency_threshold"] = args.adjacency_threshold
        decoder = args.architecture.endswith("Decoder")
        if decoder:  # both greedy (the reference samples at temperature 0.01 by default)
            constraints = [c.strip() for c in args.gen_constraints.split(",") if c.strip()] or None
            request["generation"] = {"do_sample": False, "max_new_tokens": args.max_new_tokens,
                                     "gen_constraints": constraints}
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
    relations_identical = None
    if relex:  # (entities, relations): relations compared as (head, relation, tail), then entities below
        def keys(docs):  # the reference may repeat a relation or relate an entity to itself; ours never do
            return [list(dict.fromkeys((r["head"]["entity_idx"], r["relation"], r["tail"]["entity_idx"]) for r in doc
                                       if r["head"]["entity_idx"] != r["tail"]["entity_idx"])) for doc in docs]

        n_relations = {k: sum(len(x) for x in v[1]) for k, v in outputs.items()}
        relations_identical = keys(outputs["ours"][1]) == keys(outputs["reference"][1])
        outputs = {k: v[0] for k, v in outputs.items()}
    identical, max_diff = same_entities(outputs["ours"], outputs["reference"])
    generated = None
    if decoder:  # the reference attends to its zero padding, so its labels for a padded prefix differ from ours
        pairs = [(a.get("generated_labels"), [x.strip() for x in b.get("generated_labels") or []])
                 for x, y in zip(outputs["ours"], outputs["reference"]) for a, b in zip(x, y)]
        generated = {"entities": len(pairs), "same_generated_labels": sum(a == b for a, b in pairs)}
    n_entities = sum(len(x) for x in outputs["ours"])
    tps = {k: len(texts) / statistics.median(v) for k, v in times.items()}
    speedup = tps["ours"] / tps["reference"]
    record = {
        "schema_version": 1,
        "experiment": "inference_vs_reference",
        "model": f"{args.architecture} on all-MiniLM-L6-v2 (seeded heads)"
                 + (" with SmolLM2-135M-Instruct" if decoder else ""),
        "arguments": public_arguments(args) | {"labels": labels, "threshold_used": threshold,
                                               "relations": request.get("relations")},
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
        } | ({"relations": n_relations, "identical_relations": relations_identical} if relex else {})
          | ({"generated_labels": generated} if decoder else {}),
    }
    path = write_json_atomic(out, record)
    print(f"| implementation | texts/s (median of {len(times['ours'])}) |")
    print("|---|---|")
    print(f"| gliner 0.2.29 | {tps['reference']:.1f} |")
    print(f"| gliner-bench | {tps['ours']:.1f} |")
    print(f"speed-up {speedup:.2f}x; outputs identical: {identical} ({n_entities} entities, "
          f"max score difference {max_diff:.2e})"
          + (f"; relations {n_relations}, identical: {relations_identical}" if relex else "")
          + (f"; same generated labels for {generated['same_generated_labels']} of {generated['entities']}"
             if decoder else "")
          + f"; wrote {os.path.relpath(path)}")
    return 0 if identical and relations_identical is not False else 1


if __name__ == "__main__":
    sys.exit(main())
