"""The benchmark commands: ``gliner-bench evaluate | scale | throughput``. Each plans a grid of jobs
(models x tasks x ...), skips results that exist, runs the rest (``--backend local|ray``) and prints a table."""

from __future__ import annotations

import argparse
import sys

from ..evaluation.harness import DEFAULT_KS, DEFAULT_THRESHOLDS
from ..runtimes.precision import PRECISIONS
from .grid import Job, plan, run_grid

DEFAULT_TASKS = "wnut16"  # the one task this machine reaches offline


def _list(text: str, cast=str) -> list:
    items = [x.strip() for x in text.split(",") if x.strip()]
    if not items:
        raise ValueError(f"{text!r} holds no item; pass a comma-separated list.")
    return [cast(x) for x in items]


def add_common(sp: argparse.ArgumentParser, default_model: str) -> None:
    sp.add_argument("--models", "--model", default=default_model,
                    help=f"comma-separated checkpoint dirs, hub ids or untrained:<Architecture> (default {default_model})")
    sp.add_argument("--tasks", default=DEFAULT_TASKS,
                    help=f"comma-separated registered task names or data files (default {DEFAULT_TASKS})")
    sp.add_argument("--output", default="results", help="results root: <output>/<experiment>/<model>__<task>.json")
    sp.add_argument("--batch-size", type=int, default=8)
    sp.add_argument("--max-examples", type=int, default=0, help="first N examples of each split (0: all)")
    sp.add_argument("--device", default="cpu")
    sp.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    sp.add_argument("--precision", choices=PRECISIONS, default="fp32",
                    help="encoder precision on CPU: fp32 (default), bf16 or int8; bf16 and int8 results carry it in "
                         "their file names (<model>__<task>__<key>-int8.json)")
    sp.add_argument("--backend", choices=["local", "ray"], default="local")
    sp.add_argument("--ray-address", default=None,
                    help="an existing Ray cluster, e.g. ray://head:10001 or 'auto' (default: a local instance)")
    sp.add_argument("--overwrite", action="store_true", help="rerun jobs whose results exist")
    sp.add_argument("--no-progress", action="store_true")


def _common_params(args) -> dict:
    params = {"batch_size": args.batch_size, "device": args.device}
    if args.precision != "fp32":  # fp32 jobs keep their old parameters, so existing results still match
        params["precision"] = args.precision
    if args.max_examples:
        params["max_examples"] = args.max_examples
    return params


def _run(args, jobs: list[Job], row) -> int:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    summary = run_grid(jobs, args.output, backend=args.backend, ray_address=args.ray_address,
                       overwrite=args.overwrite, progress=not args.no_progress)
    from ..measurement.results import read_result

    for job in jobs:
        rec = read_result(job.path(args.output))
        print(row(job, rec) if rec["status"] == "ok" else f"{job.model} | {job.task} | {job.key or ''} | "
              f"FAILED: {rec['error']}")
    print(f"{summary['ran']} ran, {summary['skipped']} skipped (results exist), {len(summary['failed'])} failed; "
          f"results under {args.output}/", file=sys.stderr)
    return 1 if summary["failed"] else 0


TEXT_MODE_CHOICES = {"words": ("words",), "raw": ("raw",), "both": ("words", "raw")}
UNIT_CHOICES = {"sentence": ("sentence",), "document": ("document",), "both": ("sentence", "document")}


def cmd_evaluate(args) -> int:
    thresholds = _list(args.thresholds, float) if args.thresholds else list(DEFAULT_THRESHOLDS)
    jobs = plan("evaluate", _list(args.models), _list(args.tasks), thresholds=tuple(thresholds),
                text_modes=TEXT_MODE_CHOICES[args.text_mode], units=UNIT_CHOICES[args.unit], **_common_params(args))
    print("model | task | text | unit | F1 @0.5 [95% interval] | F1 @dev-best (threshold) | macro F1 @0.5")

    def row(job, rec):
        f = rec["figures"]
        ci = f["at_0.5"].get("interval")
        interval = f" [{100 * ci['low']:.1f}, {100 * ci['high']:.1f}]" if ci else ""
        return (f"{job.model} | {job.task} | {job.args.get('text_mode', 'words')} | {f.get('unit', 'sentence')} | "
                f"{100 * f['at_0.5']['micro']['f1']:.1f}{interval} | "
                f"{100 * f['at_dev_threshold']['micro']['f1']:.1f} ({f['dev_threshold']}) | "
                f"{100 * f['at_0.5']['macro_f1']:.1f}")

    return _run(args, jobs, row)


def cmd_scale(args) -> int:
    params = _common_params(args) | {"threshold": args.threshold, "seed": args.seed}
    models, tasks = _list(args.models), _list(args.tasks)
    jobs = plan("scale", models, tasks, ks=tuple(_list(args.ks, int)), **params)
    if args.orders:
        jobs += plan("order", models, tasks, orders=args.orders, **params)
    print("model | task | k | micro F1 on gold types | distractor predictions | texts/s")

    def row(job, rec):
        f = rec["figures"]
        if job.experiment == "order":
            return (f"{job.model} | {job.task} | label order x{f['orders']} | F1 {100 * f['mean']:.1f} "
                    f"+- {100 * f['std']:.1f} (min {100 * f['min']:.1f}, max {100 * f['max']:.1f})")
        return (f"{job.model} | {job.task} | {f['k']} | {100 * f['micro']['f1']:.1f} | {f['distractor_predictions']} "
                f"| {f['texts_per_second']:.1f}")

    return _run(args, jobs, row)


def cmd_throughput(args) -> int:
    params = _common_params(args) | {"repeats": args.repeats}
    params.pop("batch_size")
    counts = tuple(_list(args.label_counts, int)) if args.label_counts else (None,)
    jobs = plan("throughput", _list(args.models), _list(args.tasks), batch_sizes=tuple(_list(args.batch_sizes, int)),
                label_counts=counts, **params)
    print("model | task | batch | labels | texts/s | tokens/s | latency p50 / p95 (s) | device")

    def row(job, rec):
        f, env = rec["figures"], rec["environment"]
        return (f"{job.model} | {job.task} | {f['batch_size']} | {f['labels']} | {f['texts_per_second']:.1f} | "
                f"{f['tokens_per_second']:.0f} | {f['latency_p50_s']:.3f} / {f['latency_p95_s']:.3f} | "
                f"{env['device']} {env['device_name']}, {env['torch_threads']} threads, "
                f"{rec['model'].get('precision', 'fp32')}")

    return _run(args, jobs, row)


def register(sub, default_model: str) -> None:
    sp = sub.add_parser("evaluate", help="F1 per task at 0.5 and at the dev-best threshold; results files")
    add_common(sp, default_model)
    sp.add_argument("--thresholds", default="", help=f"comma-separated (default {DEFAULT_THRESHOLDS})")
    sp.add_argument("--text-mode", choices=list(TEXT_MODE_CHOICES), default="words",
                    help="words: the model gets the dataset's pre-split tokens (the standard protocol); raw: the "
                         "tokens joined by spaces as one string, split by the model itself, scored on char spans "
                         "(results <model>__<task>__raw.json); both: one job each (default words)")
    sp.add_argument("--unit", choices=list(UNIT_CHOICES), default="sentence",
                    help="sentence: one text per sentence; document: each document's sentences as one text (tasks "
                         "that mark documents, e.g. conll03; results <model>__<task>__doc.json); both: one job each "
                         "(default sentence)")
    sp.set_defaults(func=cmd_evaluate)

    sp = sub.add_parser("scale", help="F1 on the gold types against the number of labels (gold + distractors)")
    add_common(sp, default_model)
    sp.add_argument("--ks", default=",".join(map(str, DEFAULT_KS)), help="label counts")
    sp.add_argument("--threshold", type=float, default=0.5)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--orders", type=int, default=0, help="also label-order sensitivity over N shuffles")
    sp.set_defaults(func=cmd_scale)

    sp = sub.add_parser("throughput", help="texts/s, tokens/s, latency p50/p95 per batch size and label count")
    add_common(sp, default_model)
    sp.add_argument("--batch-sizes", default="8")
    sp.add_argument("--label-counts", default="", help="comma-separated (default: the task's own labels)")
    sp.add_argument("--repeats", type=int, default=3)
    sp.set_defaults(func=cmd_throughput, max_examples=64)
