"""Our batched inference against the reference gliner==0.2.29 on the same checkpoint.

A UniEncoderSpan on the packaged all-MiniLM-L6-v2 (heads seeded, scaled so scores spread out), or a bundled
default (``--model bundled:uni-span``), written by our save_pretrained and loaded by both; 64 texts of about 40
words (``--texts-from wnut16``: pairs of WNUT-16 test tweets), 5 labels, batch 8, CPU. Each implementation runs in
its own process, and the runs are timed alternately (ABBA order) so drift hits all of them.

``--paths`` times our inference paths side by side, each against the reference's fp32 of the same run: torch
fp32, bf16, int8 (``precision=``), and ONNX Runtime fp32 / int8 (``onnx``, ``onnx-int8``: the checkpoint exported
with ``gliner-bench export`` first). Paths that compute in fp32 must give the reference's entities; lower-precision
paths report the share of the reference's entities they reproduce.

Prints the table and writes results/bench_vs_reference.json (``--out`` to choose).

Usage: python scripts/bench/bench_vs_reference.py --ref-python <venv with gliner==0.2.29>/bin/python
(scripts/parity/make_fixtures.sh builds such a venv).
    ... --model bundled:uni-span --texts-from wnut16 --paths fp32,bf16,int8,onnx,onnx-int8 \
        --out leaderboards/precision/bench_vs_reference__uni-span.json
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
    ap.add_argument("--model", default=None, help="a checkpoint of ours (e.g. bundled:uni-span) instead of the "
                    "seeded --architecture model; saved with save_pretrained for both implementations")
    ap.add_argument("--texts-from", choices=["sample", "wnut16"], default="sample",
                    help="sample: the package's sentences; wnut16: pairs of WNUT-16 test tweets")
    ap.add_argument("--paths", default="fp32", help="our paths to time: fp32, bf16, int8, onnx, onnx-int8")
    ap.add_argument("--peers", default="", help="other runtimes on the same checkpoint, through the reference's "
                    "ONNX export (export_to_onnx, quantize=True): reference-onnx-int8 (the reference's onnxruntime "
                    "runtime on its quantised file), fast-gliner, fast-gliner-int8 (needs --fast-gliner-python)")
    ap.add_argument("--fast-gliner-python", default=os.environ.get("FAST_GLINER_PYTHON"),
                    help="a python with fast_gliner installed (it pins huggingface-hub<1, so its own venv)")
    ap.add_argument("--out", default=None, help="default results/bench_vs_reference[_<architecture>].json")
    args = ap.parse_args()
    if not args.ref_python:
        ap.error("pass --ref-python (or set GLINER_REF_PYTHON) to a python with gliner==0.2.29 installed")

    from gliner_bench.measurement import environment
    from gliner_bench.measurement.results import write_json_atomic
    from gliner_bench.measurement.throughput import sample_texts

    texts = sample_texts(args.texts, args.words)[0] if args.texts_from == "sample" else tweet_pairs(args.texts)
    labels = ["person", "organization", "location", "date", "product"]
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    unknown = set(paths) - set(PATHS)
    if unknown or "fp32" not in paths:
        ap.error(f"--paths must include fp32 and choose from {', '.join(PATHS)}; got {args.paths!r}")
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    if set(peers) - set(PEERS):
        ap.error(f"unknown --peers {sorted(set(peers) - set(PEERS))}; choose from {', '.join(PEERS)}")
    if any(p.startswith("fast-gliner") for p in peers) and not args.fast_gliner_python:
        ap.error("fast-gliner peers need --fast-gliner-python (or FAST_GLINER_PYTHON)")

    relex = args.architecture.endswith("Relex")
    out = args.out or str(ROOT / "results" / ("bench_vs_reference.json" if args.architecture == "UniEncoderSpan"
                                              else f"bench_vs_reference_{args.architecture}.json"))
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "ckpt"
        if args.model:
            from gliner_bench import GLiNER

            # the reference's word splitter, so both read the same words (the bundled defaults split with "unicode")
            source = GLiNER.from_pretrained(args.model, word_splitter="whitespace")
            args.architecture = source.config.architecture
            source.save_pretrained(ckpt)
        else:
            build_checkpoint(ckpt, args.architecture, seed=0, head_scale=args.head_scale)
        if set(paths) - {"fp32"} and args.architecture not in ("UniEncoderSpan", "UniEncoderToken", "BiEncoderSpan",
                                                                "BiEncoderToken"):
            ap.error("--paths beyond fp32 cover uni- and bi-encoders (what ONNX export covers)")
        folders = export_paths(ckpt, paths, Path(tmp))
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
        workers = {"reference": Worker(args.ref_python, "reference", args.threads)}
        workers["reference"].call(op="load", path=str(ckpt))
        for path in paths:
            workers[key(path)] = Worker(sys.executable, "ours", args.threads)
            precision = "fp32" if path.startswith("onnx") else path
            workers[key(path)].call(op="load", path=str(folders.get(path, ckpt)), precision=precision)
        ref = workers["reference"]
        if peers:  # the reference's own ONNX export, written beside the checkpoint (where its loader looks)
            ref.call(op="export", path=str(ckpt), out=str(ckpt))
        for peer in peers:
            impl = "reference" if peer.startswith("reference") else "fast-gliner"
            workers[peer] = Worker(args.ref_python if impl == "reference" else args.fast_gliner_python, impl,
                                   args.threads)
            onnx_file = "model_quantized.onnx" if peer.endswith("int8") else "model.onnx"
            workers[peer].call(op="load", path=str(ckpt), onnx_file=onnx_file)
        times = {name: [] for name in workers}
        outputs = {}
        for r in range(args.rounds):
            order = list(workers.items())
            for name, worker in order + order[::-1]:
                reply = worker.call(op="infer", mode="plain", repeats=1, **request)
                times[name] += reply["seconds"]
                outputs[name] = reply["output"]
            print(f"round {r + 1}: " + "  ".join(f"{n} {t[-1]:.3f}s" for n, t in times.items()), file=sys.stderr)
        for worker in workers.values():
            worker.close()
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
    per_path = {}
    for p in paths + peers:
        same, diff = same_entities(outputs[key(p)], outputs["reference"])
        per_path[p] = {"texts_per_second": tps[key(p)], "ratio_to_reference_fp32": tps[key(p)] / tps["reference"],
                       "identical_entities": same, "max_score_difference": diff,
                       "reference_entities_reproduced": reproduced(outputs[key(p)], outputs["reference"])}
        if p in PEERS:
            per_path[p]["runtime"] = workers[p].info
    record = {
        "schema_version": 1,
        "experiment": "inference_vs_reference",
        "model": args.model or f"{args.architecture} on all-MiniLM-L6-v2 (seeded heads)"
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
            "paths": per_path,
        } | ({"relations": n_relations, "identical_relations": relations_identical} if relex else {})
          | ({"generated_labels": generated} if decoder else {}),
    }
    n_ref = sum(len(x) for x in outputs["reference"])
    path = write_json_atomic(out, record)
    print(f"| implementation | texts/s (median of {len(times['ours'])}) | x reference | reference entities |")
    print("|---|---|---|---|")
    print(f"| gliner 0.2.29 fp32 | {tps['reference']:.1f} | 1.00 | {n_ref} |")
    for p, fig in per_path.items():
        print(f"| {p if p in PEERS else 'gliner-bench ' + p} | {fig['texts_per_second']:.1f} | {fig['ratio_to_reference_fp32']:.2f} | "
              f"{100 * fig['reference_entities_reproduced']:.1f}% reproduced"
              f"{' (identical)' if fig['identical_entities'] else ''} |")
    print(f"speed-up {speedup:.2f}x; outputs identical: {identical} ({n_entities} entities, "
          f"max score difference {max_diff:.2e})"
          + (f"; relations {n_relations}, identical: {relations_identical}" if relex else "")
          + (f"; same generated labels for {generated['same_generated_labels']} of {generated['entities']}"
             if decoder else "")
          + f"; wrote {os.path.relpath(path)}")
    exact = all(per_path[p]["identical_entities"] for p in per_path if p in ("fp32", "onnx"))
    return 0 if identical and exact and relations_identical is not False else 1


PATHS = ("fp32", "bf16", "int8", "onnx", "onnx-int8")
PEERS = ("reference-onnx-int8", "fast-gliner", "fast-gliner-int8")


def key(path: str) -> str:
    """The worker's name in the timings: "ours" for torch fp32 (as before --paths existed), a peer's own name,
    "ours-<path>" for our other paths."""
    if path in PEERS:
        return path
    return "ours" if path == "fp32" else f"ours-{path}"


def export_paths(ckpt: Path, paths: list[str], scratch: Path) -> dict[str, Path]:
    """ONNX export folders of ``ckpt`` for the onnx paths (fp32, int8)."""
    from gliner_bench import GLiNER
    from gliner_bench.runtimes.onnx.export import export_onnx

    wanted = [p for p in paths if p.startswith("onnx")]
    if not wanted:
        return {}
    model = GLiNER.from_pretrained(ckpt)
    return {p: export_onnx(model, scratch / p, quantize="int8" if p == "onnx-int8" else None) for p in wanted}


def tweet_pairs(n: int) -> list[str]:
    """``n`` texts, each two consecutive WNUT-16 test tweets joined (about 38 words)."""
    from gliner_bench.evaluation.tasks import get_task, load_split

    tweets = [" ".join(example.tokens) for example in load_split(get_task("wnut16"), "test")]
    return [f"{a} {b}" for a, b in zip(tweets[0::2], tweets[1::2])][:n]


def reproduced(ours: list[list[dict]], ref: list[list[dict]]) -> float:
    """The share of the reference's entities (text, start, end, label) that ``ours`` also returns."""
    want = {(i, e["start"], e["end"], e["label"]) for i, doc in enumerate(ref) for e in doc}
    got = {(i, e["start"], e["end"], e["label"]) for i, doc in enumerate(ours) for e in doc}
    return len(want & got) / max(1, len(want))


if __name__ == "__main__":
    sys.exit(main())
