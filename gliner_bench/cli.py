"""``gliner-bench`` command line: predict, info, export (ONNX), the benchmarks (evaluate, scale, throughput),
training (build-data, train) and the leaderboard."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from .loading import DEFAULT_MODEL, UNTRAINED_PREFIX, load_model

log = logging.getLogger("gliner_bench")


def parse_labels(text: str) -> list[str]:
    labels = [x.strip() for x in text.split(",") if x.strip()]
    if not labels:
        raise ValueError(f"--labels {text!r} holds no label; pass comma-separated types, e.g. --labels 'person,city'")
    return labels


def cmd_predict(args: argparse.Namespace) -> int:
    labels = parse_labels(args.labels)
    model = load_model(args.model, args.device, args.precision)
    if args.file:
        texts = [line.rstrip("\n") for line in Path(args.file).read_text(encoding="utf-8").splitlines()]
    else:
        texts = [args.text if args.text is not None else sys.stdin.read()]
    kwargs = {"threshold": args.threshold, "flat_ner": not args.nested, "multi_label": args.multi_label,
                  "batch_size": args.batch_size}
    if model.capabilities.relations:
        relations = parse_labels(args.relations) if args.relations else []
        entities, found = model.inference(texts, labels, relations=relations, **kwargs)
        out = [{"entities": e, "relations": r} for e, r in zip(entities, found)]
    elif args.relations:
        raise SystemExit(f"--relations needs a relex model; {args.model} is {model.config.architecture}.")
    else:
        if model.capabilities.generated_labels:
            kwargs |= {"num_gen_sequences": args.num_gen_sequences, "max_new_tokens": args.max_new_tokens,
                       "gen_constraints": parse_labels(args.gen_constraints) if args.gen_constraints else None}
        elif args.gen_constraints or args.num_gen_sequences != 1:
            raise SystemExit(f"--gen-constraints and --num-gen-sequences need a decoder model; {args.model} is "
                             f"{model.config.architecture}.")
        out = model.inference(texts, labels, **kwargs)
    json.dump(out if len(out) > 1 else out[0], sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def cmd_build_data(args: argparse.Namespace) -> int:
    from .training.corpus import build

    manifest = build(args.output, max_sentences=args.max_sentences, heldout=args.heldout, seed=args.seed,
                     relation_sentences=args.relation_sentences, passage_sentences=args.passage_sentences)
    for name, f in manifest["files"].items():
        print(f"{args.output}/{name}: {f['examples']} examples, {f['entities']} entities, sha256 {f['sha256'][:16]}")
    for name, r in manifest.get("relations", {}).items():
        if name.startswith("relex_"):
            print(f"{name}: {r['relations']} relations in {r['with_relations']} examples, types {r['types']}")
    if "relex" in manifest.get("passages", {}):
        r = manifest["passages"]["relex"]
        print(f"relex_train_passages (passages): {r['relations']} relations in {r['with_relations']} of "
              f"{r['examples']} passages")
    print(f"{len(manifest['type_names'])} type names; sources {', '.join(manifest['sources'])}; "
          f"{args.output}/manifest.json")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from dataclasses import fields

    from .text.records import read_file
    from .training.trainer import TrainConfig, train

    if args.data is None:  # a recipe's own file of the built corpus
        if not args.recipe:
            print("error: --data is required with --model (a JSON / JSON lines file: tokenized_text + ner)",
                  file=sys.stderr)
            return 2
        from .training.recipes import recipe

        built = Path(os.environ.get("GLINER_BENCH_DATA", "data/built"))
        args.data = str(built / recipe(args.recipe).data)
        print(f"data: {args.data} (the {args.recipe} recipe's file of the built corpus)", file=sys.stderr)
        if not Path(args.data).is_file():
            print(f"error: {args.data} does not exist: build the corpus with `gliner-bench build-data --output "
                  f"{built}` (a build older than this version lacks some of its files), or pass --data.",
                  file=sys.stderr)
            return 2
    errors: list[str] = []
    examples = read_file(args.data, errors=errors)
    if errors:
        print(f"skipped {len(errors)} malformed or empty examples of {args.data}; first: {errors[0]}", file=sys.stderr)
    known = {f.name for f in fields(TrainConfig)}
    overrides = {k: v for k, v in vars(args).items() if k in known and v is not None}
    if args.recipe:  # a bundled default: its architecture on the packaged backbones, and its schedule
        from .training.recipes import recipe

        chosen = recipe(args.recipe)
        cfg = replace(chosen.train, **overrides)
        model = _recipe_model(chosen, args.set or [], args.device)
        if args.set and args.install:
            print("error: --install takes the recipe as defaults.py defines it; put the winning --set fields in "
                  "gliner_bench/defaults.py (CONFIGS) and train again", file=sys.stderr)
            return 2
    elif args.set:
        print("error: --set changes a recipe's model config; use it with --recipe", file=sys.stderr)
        return 2
    else:
        cfg = TrainConfig(**overrides)
        model = load_model(args.model, args.device)
    if model.capabilities.relations and not any(ex.relations for ex in examples):
        print(f"warning: {args.data} has no relations: the relation head learns nothing (the built corpus's relex "
              "data is relex_train.jsonl)", file=sys.stderr)
    from .training.labels import synonyms_beside

    synonyms = synonyms_beside(args.data)
    if synonyms:
        print(f"{len(synonyms)} type names in synonym groups (manifest.json beside the data): a positive's synonyms "
              "are never its negatives", file=sys.stderr)
    started = time.perf_counter()
    result = train(model, examples, args.output, cfg, resume=not args.no_resume, progress=not args.no_progress,
                   synonyms=synonyms)
    minutes = (time.perf_counter() - started) / 60
    losses = [h["loss"] for h in result["history"]]
    tail = losses[-50:]
    print(f"{result['steps']} steps on {len(examples)} examples in {minutes:.1f} min (this call); mean loss of the "
          f"last {len(tail)} steps {sum(tail) / max(1, len(tail)):.3f}; model in {args.output}/final")
    if args.install and result["steps"] >= cfg.steps:
        from .loading import install_bundled

        print(f"installed as bundled:{chosen.name} in {install_bundled(Path(args.output) / 'final', chosen.name)}; "
              "its scores are raw until calibrated on validation splits: .venv/bin/python scripts/bench/calibrate.py "
              f"--models bundled:{chosen.name} --write")
    return 0


def _recipe_model(chosen, assignments: list[str], device: str):
    """The recipe's untrained model, its config changed by ``FIELD=VALUE`` assignments (values read as JSON)."""
    from .config import GLiNERConfig
    from .model import GLiNER

    fields = dict(chosen.config)
    known = set(GLiNERConfig.__dataclass_fields__) - {"extra", "architecture"}
    for item in assignments:
        name, sep, value = item.partition("=")
        if not sep or name not in known:
            raise SystemExit(f"error: --set {item!r}: expected FIELD=VALUE with FIELD a GLiNERConfig field "
                             "(hidden_size, max_width, case_token_types, ...)")
        try:
            fields[name] = json.loads(value)
        except json.JSONDecodeError:
            fields[name] = value  # a bare string such as a model name
    if not assignments:
        return load_model(UNTRAINED_PREFIX + chosen.architecture, device)
    print(f"model config changed from the recipe: {', '.join(assignments)}", file=sys.stderr)
    return GLiNER.from_config(GLiNERConfig(**fields, architecture=chosen.architecture)).to(device)


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from .leaderboard.publish import build

    written, notes = build(args.root, results=args.results, output=args.output, readme=args.readme)
    for note in notes:
        print(note, file=sys.stderr)
    print(f"wrote {len(written)} files under {args.output or args.root}/: {', '.join(p.name for p in written)}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .app import launch

    launch(args.models, bundled=not args.no_bundled, host=args.host, port=args.port, precision=args.precision,
           serving=args.serving)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from .runtimes.onnx.export import export_onnx

    model = load_model(args.model, "cpu")
    start = time.perf_counter()
    out = export_onnx(model, args.output, quantize=args.quantize, int8_scheme=args.int8_scheme)
    size = sum(f.stat().st_size for f in out.glob("*.onnx")) / 2**20
    kind = f"int8, {args.int8_scheme}" if args.quantize else "fp32"
    print(f"{out}: {model.config.architecture} as ONNX ({kind}, {size:.1f} MiB of graphs) in "
          f"{time.perf_counter() - start:.1f} s; load it with GLiNER.from_pretrained({str(out)!r}) or pass it as "
          "--model")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    model = load_model(args.model, "cpu")
    cfg = model.config
    print(json.dumps({
        "architecture": cfg.architecture,
        "backend": model.backend,
        "precision": model.precision,
        "backbone": cfg.model_name,
        "parameters": model.num_parameters(),
        "hidden_size": cfg.hidden_size,
        "max_width": cfg.max_width,
        "max_len_words": cfg.max_len,
        "window_words": cfg.words_per_window,
        "score_calibration": cfg.score_calibration,
        "max_tokens": model.max_tokens,
        "span_mode": cfg.span_mode,
        "num_rnn_layers": cfg.num_rnn_layers,
        "fuse_layers": cfg.fuse_layers,
    }, indent=2))
    return 0


def _add_model(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--model", default=DEFAULT_MODEL,
                    help=f"checkpoint directory, hub id, or untrained:<Architecture> (default {DEFAULT_MODEL})")
    sp.add_argument("--device", default="cpu")


def _add_precision(sp: argparse.ArgumentParser) -> None:
    from .runtimes.precision import PRECISIONS

    sp.add_argument("--precision", choices=PRECISIONS, default="fp32",
                    help="encoder precision on CPU: fp32 (default), bf16 (needs native bfloat16; else fp32 with a "
                         "warning) or int8 (int8 Linear layers, per-token activation scales)")


def _add_predict(sub) -> None:
    sp = sub.add_parser("predict", help="entities of a text (or of each line of a file) as JSON")
    _add_model(sp)
    _add_precision(sp)
    sp.add_argument("--labels", required=True, help="comma-separated entity types, e.g. 'person,company'")
    sp.add_argument("--text", help="the text (default: read stdin)")
    sp.add_argument("--file", help="a UTF-8 file, one text per line")
    sp.add_argument("--threshold", type=float, default=0.5)
    sp.add_argument("--relations", help="relex models: comma-separated relation types, e.g. 'works for,located in'")
    sp.add_argument("--gen-constraints", help="decoder models: comma-separated names generation may produce")
    sp.add_argument("--num-gen-sequences", type=int, default=1, help="decoder models: generated names per entity")
    sp.add_argument("--max-new-tokens", type=int, default=15, help="decoder models: longest generated name")
    sp.add_argument("--nested", action="store_true", help="allow nested entities")
    sp.add_argument("--multi-label", action="store_true")
    sp.add_argument("--batch-size", type=int, default=8)
    sp.set_defaults(func=cmd_predict)


def _add_build_data(sub) -> None:
    sp = sub.add_parser("build-data", help="the offline silver training corpus (Brown + nlp-corpus, spaCy labels)")
    sp.add_argument("--output", default="data/built")
    sp.add_argument("--max-sentences", type=int, default=20_000)
    sp.add_argument("--heldout", type=float, default=0.05, help="fraction kept out of training")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--relation-sentences", type=int, default=60_000,
                    help="further pool sentences parsed for relex data (relex_*.jsonl); 0: no relex files")
    sp.add_argument("--passage-sentences", type=int, default=30_000,
                    help="Brown sentences joined into passages of consecutive sentences for train_passages.jsonl "
                    "(train.jsonl plus the passages); 0: no passages file")
    sp.set_defaults(func=cmd_build_data)


_TRAIN_OPTIONS = (("steps", int), ("batch_size", int), ("lr_encoder", float), ("lr_head", float),
                  ("warmup_ratio", float), ("save_every", int), ("seed", int), ("focal_alpha", float),
                  ("focal_gamma", float), ("label_smoothing", float), ("negatives", float), ("max_types", int),
                  ("max_neg_type_ratio", int), ("min_negatives", int), ("corpus_negatives", int), ("lora_rank", int),
                  ("lora_alpha", float),
                  ("relation_repeats", int))


def _add_train(sub) -> None:
    sp = sub.add_parser("train", help="train or fine-tune a model on data in the reference's JSON format")
    _add_model(sp)
    sp.add_argument("--data", default=None, help="JSON / JSON lines: tokenized_text + ner (with --recipe, default "
                    "the recipe's file of the built corpus in $GLINER_BENCH_DATA or data/built, e.g. "
                    "train_passages.jsonl for uni-span)")
    sp.add_argument("--output", required=True, help="run directory: checkpoint-<step>/, final/")
    for name, kind in _TRAIN_OPTIONS:
        sp.add_argument("--" + name.replace("_", "-"), type=kind, default=None, dest=name)
    sp.add_argument("--recipe", help="train a bundled default from scratch: its name (uni-span, bi-token, ...) or "
                    "architecture; its settings apply unless given here (--model is ignored)")
    sp.add_argument("--set", action="append", metavar="FIELD=VALUE",
                    help="with --recipe: change a field of its model config for a trial, e.g. --set hidden_size=192 "
                    "--set case_token_types=true (repeatable; values read as JSON)")
    sp.add_argument("--install", action="store_true", help="with --recipe: copy final/ into the package as the "
                    "bundled default")
    sp.add_argument("--no-resume", action="store_true", help="start over even if checkpoints exist")
    sp.add_argument("--no-progress", action="store_true")
    sp.set_defaults(func=cmd_train)


def _add_leaderboard(sub) -> None:
    sp = sub.add_parser("leaderboard", help="regenerate the leaderboard tables and figures from results files")
    sp.add_argument("--root", default="leaderboards", help="holds models.json and reported.csv (default leaderboards)")
    sp.add_argument("--results", default=None, help="results directory (default <root>/results)")
    sp.add_argument("--output", default=None, help="where the tables and figures go (default <root>)")
    sp.add_argument("--readme", default=None, help="also write the headline table into this file's marked block "
                    "(the repository's README.md)")
    sp.set_defaults(func=cmd_leaderboard)


def _add_demo(sub) -> None:
    sp = sub.add_parser("demo", help="serve the Gradio app (every architecture side by side) on the bundled defaults")
    sp.add_argument("--models", default=None, help="more checkpoints, comma-separated name=spec (a directory, hub "
                    "id or bundled:<name>; default $GLINER_BENCH_APP_MODELS)")
    sp.add_argument("--no-bundled", action="store_true", help="serve only the --models checkpoints")
    sp.add_argument("--host", default=None, help="interface to bind (default 127.0.0.1; 0.0.0.0 to share on a LAN)")
    sp.add_argument("--port", type=int, default=None, help="default 7860 (or $GRADIO_SERVER_PORT)")
    sp.add_argument("--serving", choices=["int8", "fp32"], default=None,
                    help="int8 (the default with fp32 --precision): the uni- and bi-encoders through ONNX int8, "
                    "the others in torch fp32; fp32: every model in torch")
    _add_precision(sp)
    sp.set_defaults(func=cmd_demo)


def _add_export(sub) -> None:
    sp = sub.add_parser("export", help="export a uni- or bi-encoder to ONNX (run by onnxruntime: pass the folder "
                        "as --model, or to GLiNER.from_pretrained)")
    sp.add_argument("--model", default=DEFAULT_MODEL, help=f"checkpoint directory, hub id or bundled:<name> "
                    f"(default {DEFAULT_MODEL})")
    sp.add_argument("--output", required=True, help="the export folder (created; an earlier export there is replaced)")
    sp.add_argument("--quantize", choices=["int8"], default=None,
                    help="int8: smoothed encoder Linears with 8-bit weights per channel (onnxruntime dynamic "
                    "quantisation; FFN output layers and heads stay fp32)")
    sp.add_argument("--int8-scheme", choices=["u8u8", "u8s8"], default="u8u8",
                    help="u8u8 (default): uint8 weights, the same answers on every x86 CPU; u8s8: int8 weights, "
                         "about 25%% faster on CPUs with VNNI and refused on CPUs without it (their products "
                         "saturate there)")
    sp.set_defaults(func=cmd_export)


def _add_info(sub) -> None:
    sp = sub.add_parser("info", help="architecture and size of a checkpoint")
    _add_model(sp)
    sp.set_defaults(func=cmd_info)


def build_parser() -> argparse.ArgumentParser:
    from .bench.commands import register

    p = argparse.ArgumentParser(prog="gliner-bench", description=__doc__)
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)
    _add_predict(sub)
    register(sub, DEFAULT_MODEL)  # evaluate, scale, throughput
    for add in (_add_build_data, _add_train, _add_leaderboard, _add_demo, _add_export, _add_info):
        add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    if not args.verbose:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    try:
        return args.func(args)
    except (ValueError, KeyError, FileNotFoundError, NotImplementedError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
