"""Leaderboard tables: pure functions from collected results records (and the models' declarations) to pandas
frames, and a Markdown renderer. No model is loaded and nothing is measured here.

``models`` maps a model id to what its author declares: ``training_data`` (a sentence) and ``seen_tasks``
(the tasks whose data, or a split of it, was trained on). A task is zero-shot for a model unless it is among
its ``seen_tasks``; a model that declares nothing gets no flag (shown as ``?``).

The ranking (``RANKING_RULE``): the board's zero-shot tasks are the evaluated tasks that no declared model on the
board has among its ``seen_tasks``; a task any of them saw is shown apart and never enters a mean. A model's
zero-shot mean is its micro-F1 averaged over the board's English zero-shot tasks, in the words protocol (the
dataset's pre-split tokens), each in its document unit where the task has one (``<task> doc``: whole documents as
one text) and else per sentence; it is the ranking key. Zero-shot tasks in other languages, and the sentence unit
of a task with documents, are shown beside the mean, outside it. A model that declares nothing cannot be shown not
to have trained on a task, so it gets no zero-shot mean and no rank (its scores are shown with ``?``), and neither
does a model that lacks a words result on one of the mean's tasks. Raw-text results (``text_mode: raw``) are shown
beside the words results and never enter the mean.

Intervals (``bootstrap.py``): every F1 with its bootstrap 95% interval (``CI low`` / ``CI high``
columns), where its results file holds the per-unit counts. The mean's interval resamples each task's units on
their own, with the same resamples for every model (paired), and the ranks are shared: a model's rank is 1 + the
number of models whose mean is significantly higher (the paired difference's 95% interval above 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from ..config import registry
from ..measurement import bootstrap
from .collect import column_of, precision_of, text_mode

FAMILIES = {a.name: a.family for a in registry.ARCHITECTURES}
THROUGHPUT_BATCH = 8  # the batch size of the main table's throughput column
MEAN = "zero-shot mean"
SEPARATOR = "seen in training (not ranked) \u2192"
MEAN_OVER = "mean over"  # the f1 frame's column that names the mean's tasks (the same on every row)
RANK = "rank"
RANKING_RULE = ("Ranked by the zero-shot mean: micro-F1 averaged over the English tasks no declared model trained "
                "on (words protocol, the dataset's own tokens; a task with documents in its document unit, `doc`: "
                "each document's sentences as one text). Each F1 shows its bootstrap 95% interval in brackets "
                "(1,000 resamples of the task's sentences or documents, seed 0); ranks are shared where the paired "
                "bootstrap finds no significant difference (a model's rank is 1 + the number of models whose mean "
                "is significantly higher). Other languages, and sentence units of tasks with documents, are "
                "zero-shot columns outside the mean. Tasks whose data (or a split of it) some model trained "
                "on are shown apart, after the mean, and never enter it (`*`: this model trained on it). `raw`: the "
                "same texts given as plain strings (the tokens joined by spaces, split by the model itself, scored "
                "on exact char spans); blank where not measured. A model that declares no training data "
                "(`models.json`; its scores marked `?`) or lacks a words result on one of the zero-shot tasks gets "
                "no mean and no rank.")


def family(architecture: str | None) -> str:
    return FAMILIES.get(architecture or "", "other")


def zero_shot(models: Mapping[str, dict], model: str, task: str) -> bool | None:
    declared = models.get(model)
    if declared is None:
        return None
    return task not in set(declared.get("seen_tasks", ()))


def _of(records: Sequence[dict], experiment: str, precision: str | None = "fp32") -> list[dict]:
    """The records of one experiment; by default only fp32 ones (the F1 tables compare models, not precisions)."""
    return [r for r in records if r["experiment"] == experiment
            and (precision is None or precision_of(r) == precision)]


def _model_columns(record: dict) -> dict:
    m = record["model"]
    return {"model": m["id"], "architecture": m.get("architecture"), "family": family(m.get("architecture")),
            "parameters_M": round(m["parameters"] / 1e6, 1) if m.get("parameters") else None}


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _flag(value) -> bool | None:
    """A zero-shot flag as a frame holds it (also read back from CSV): True, False or None (undeclared)."""
    return None if _missing(value) else bool(value)


def tasks_of(frame: pd.DataFrame) -> list[str]:
    """The evaluated tasks of an F1 frame (words or raw results), sorted."""
    found = set()
    for c in frame.columns:
        if c.startswith("F1 raw "):
            found.add(c.removeprefix("F1 raw "))
        elif c.startswith("F1 "):
            found.add(c.removeprefix("F1 "))
    return sorted(found)


def zero_shot_tasks(frame: pd.DataFrame) -> list[str]:
    """The board's zero-shot columns: tasks (and document units) no model of ``frame`` is flagged as having seen
    (an undeclared model's missing flag excludes nothing: it only keeps that model out of the ranking)."""
    return [t for t in tasks_of(frame)
            if not any(_flag(v) is False for v in frame.get(f"zero-shot {t}", pd.Series(dtype=object)))]


def mean_tasks(frame: pd.DataFrame) -> list[str]:
    """The columns the zero-shot mean is over, as ``f1_frame`` chose them (``MEAN_OVER``); a frame without that
    column (written before it existed) means over every zero-shot column."""
    if MEAN_OVER in frame and len(frame) and isinstance(frame[MEAN_OVER].iloc[0], str):
        return [t for t in frame[MEAN_OVER].iloc[0].split(", ") if t]
    return zero_shot_tasks(frame)


def _mean_columns(columns: Sequence[str], language: Mapping[str, str]) -> list[str]:
    """Of the zero-shot ``columns``, the English ones, each task in its document unit where it has one."""
    has_doc = {c.removesuffix(" doc") for c in columns if c.endswith(" doc")}
    return [c for c in columns if language.get(c, "en") == "en" and (c.endswith(" doc") or c not in has_doc)]


def f1_frame(records: Sequence[dict], models: Mapping[str, dict]) -> pd.DataFrame:
    """One row per model: micro-F1 (x100, threshold 0.5) on each evaluated task in the words protocol (``F1
    <task>``) and the raw-text one (``F1 raw <task>``), the zero-shot flag per task (for every task of the board,
    measured or not), the zero-shot mean (the ranking key, see ``RANKING_RULE``) and texts/s at batch 8 with the
    task's own labels (the first task with such a figure). Rows are in rank order; unranked models last, by id."""
    evals = _of(records, "evaluate")
    tasks = sorted({column_of(r) for r in evals})
    language = {column_of(r): (r["task"].get("language") or "en") for r in evals}
    rows: dict[str, dict] = {}
    exact: dict[tuple[str, str], float] = {}  # (model, column) -> words micro-F1 x100, unrounded
    counts: dict[tuple[str, str], object] = {}  # (model, column) -> per-unit counts at 0.5, where recorded
    for r in evals:
        row = rows.setdefault(r["model"]["id"], _model_columns(r))
        task = column_of(r)
        raw = text_mode(r) == "raw"
        name = f"raw {task}" if raw else task
        at = r["figures"]["at_0.5"]
        f1 = 100 * at["micro"]["f1"]
        row[f"F1 {name}"] = round(f1, 1)
        if at.get("interval"):
            row[f"CI low {name}"] = round(100 * at["interval"]["low"], 1)
            row[f"CI high {name}"] = round(100 * at["interval"]["high"], 1)
        if not raw:
            exact[(row["model"], task)] = f1
            if at.get("unit_counts") is not None:
                counts[(row["model"], task)] = bootstrap.counts_from_json(at["unit_counts"])
        rel = r["figures"].get("relations_at_0.5")
        if rel:
            row[f"relation F1 {name}"] = round(100 * rel["f1"], 1)
    for model, row in rows.items():
        for task in tasks:
            row[f"zero-shot {task}"] = zero_shot(models, model, task.removesuffix(" doc"))
    zero = [t for t in tasks if all(row[f"zero-shot {t}"] is not False for row in rows.values())]
    ranked_tasks = _mean_columns(zero, language)
    speed = {}
    for r in sorted(_of(records, "throughput"), key=lambda r: r["task"]["name"]):
        a = r["arguments"]
        if a.get("batch_size") == THROUGHPUT_BATCH and not a.get("labels"):
            speed.setdefault(r["model"]["id"], (r["figures"]["texts_per_second"], r["task"]["name"]))
    means = {}
    for model, row in rows.items():
        scores = [exact.get((model, t)) for t in ranked_tasks]
        complete = bool(scores) and None not in scores and model in models
        row[MEAN] = round(sum(scores) / len(scores), 1) if complete else None
        row[MEAN_OVER] = ", ".join(ranked_tasks)
        if complete:
            means[model] = sum(scores) / len(scores)
        if model in speed:
            row["texts/s"], row["throughput task"] = round(speed[model][0], 1), speed[model][1]
    for model, (low, high, rank) in _mean_intervals_and_ranks(means, counts, ranked_tasks).items():
        rows[model].update({f"CI low {MEAN}": low, f"CI high {MEAN}": high, RANK: rank})
    columns = ["model", "architecture", "family", "parameters_M", MEAN, f"CI low {MEAN}", f"CI high {MEAN}", RANK,
               MEAN_OVER]
    columns += [c for t in tasks for c in (f"F1 {t}", f"CI low {t}", f"CI high {t}", f"F1 raw {t}",
                                           f"CI low raw {t}", f"CI high raw {t}", f"zero-shot {t}",
                                           f"relation F1 {t}", f"relation F1 raw {t}")]
    columns += ["texts/s", "throughput task"]
    frame = pd.DataFrame(list(rows.values()), columns=columns)
    frame = frame.dropna(axis="columns", how="all")
    if MEAN not in frame:
        frame[MEAN] = None
        frame = frame[columns[:5] + [c for c in frame.columns if c not in columns[:5]]]
    return frame.sort_values([MEAN, "model"], ascending=[False, True], na_position="last", ignore_index=True)


def _mean_intervals_and_ranks(means: Mapping[str, float], counts: Mapping[tuple[str, str], object],
                              tasks: Sequence[str]) -> dict[str, tuple[float, float, int]]:
    """model -> (mean's 95% interval low, high, shared rank), x100, for the ranked models; empty unless every one
    of them has per-unit counts on every task of the mean, on the same units (the resamples are then paired)."""
    if not means or any((m, t) not in counts for m in means for t in tasks):
        return {}
    for t in tasks:
        if len({len(counts[(m, t)]) for m in means}) != 1:
            return {}  # scored on different examples (e.g. --max-examples): no paired comparison
    samples = {m: 100 * bootstrap.mean_f1_samples([counts[(m, t)] for t in tasks]) for m in means}
    ranks = bootstrap.shared_ranks(samples, dict(means))
    return {m: (*(round(x, 1) for x in bootstrap.interval(samples[m])), ranks[m]) for m in means}


def relations_frame(records: Sequence[dict]) -> pd.DataFrame:
    """Strict relation figures (x100, threshold 0.5) of every evaluate result that has them: one row per
    (model, task, text protocol)."""
    rows = []
    for r in _of(records, "evaluate"):
        rel = r["figures"].get("relations_at_0.5")
        if rel:
            rows.append(_model_columns(r) | {
                "task": r["task"]["name"], "text": text_mode(r), "relation types": len(rel.get("relation_types", ())),
                "gold": rel["gold"], "predicted": rel["predicted"], "correct": rel["true_positives"],
                "precision": round(100 * rel["precision"], 1), "recall": round(100 * rel["recall"], 1),
                "F1": round(100 * rel["f1"], 1)})
    columns = ["model", "architecture", "family", "parameters_M", "task", "text", "relation types", "gold",
               "predicted", "correct", "precision", "recall", "F1"]
    return pd.DataFrame(rows, columns=columns).sort_values(["task", "text", "F1", "model"],
                                                           ascending=[True, False, False, True], ignore_index=True)


def scale_frame(records: Sequence[dict]) -> pd.DataFrame:
    """F1 on the gold types against the number of candidate labels: one row per (model, task, k)."""
    rows = [_model_columns(r) | {"task": r["task"]["name"], "labels": r["figures"]["k"],
                                 "F1": round(100 * r["figures"]["micro"]["f1"], 1),
                                 **_interval_columns(r["figures"].get("interval")),
                                 "distractor predictions": r["figures"]["distractor_predictions"],
                                 "texts/s": _round(r["figures"].get("texts_per_second"), 2)}
            for r in _of(records, "scale")]
    columns = ["model", "architecture", "family", "parameters_M", "task", "labels", "F1", "F1 low", "F1 high",
               "distractor predictions", "texts/s"]
    return pd.DataFrame(rows, columns=columns).sort_values(["model", "task", "labels"], ignore_index=True)


def _interval_columns(interval: dict | None) -> dict:
    """``F1 low`` / ``F1 high`` (x100) of a bootstrap interval; none for results written before intervals."""
    if not interval:
        return {}
    return {"F1 low": round(100 * interval["low"], 1), "F1 high": round(100 * interval["high"], 1)}


def tasks_frame(records: Sequence[dict]) -> pd.DataFrame:
    """What each evaluated task is, as its results files record it: language, domain, data source, licence and the
    units it was scored in."""
    rows: dict[str, dict] = {}
    for r in _of(records, "evaluate"):
        t = r["task"]
        row = rows.setdefault(t["name"], {"task": t["name"], "language": t.get("language") or "en",
                                          "domain": t.get("domain"), "source": t.get("source"),
                                          "licence": t.get("license"), "units": set()})
        row["units"].add("document" if column_of(r).endswith(" doc") else "sentence")
    for row in rows.values():
        row["units"] = ", ".join(sorted(row["units"], reverse=True))
    columns = ["task", "language", "domain", "source", "licence", "units"]
    return pd.DataFrame(list(rows.values()), columns=columns).sort_values("task", ignore_index=True)


def throughput_frame(records: Sequence[dict]) -> pd.DataFrame:
    """Every throughput figure with what it ran on, every precision."""
    rows = []
    for r in _of(records, "throughput", precision=None):
        f, env = r["figures"], r.get("environment") or {}
        rows.append(_model_columns(r) | {
            "task": r["task"]["name"], "batch size": f["batch_size"], "labels": f["labels"],
            "texts/s": _round(f["texts_per_second"], 2), "tokens/s": None if f["tokens_per_second"] is None else round(f["tokens_per_second"]),
            "latency p50 s": _round(f["latency_p50_s"], 4), "latency p95 s": _round(f["latency_p95_s"], 4),
            "precision": precision_of(r), "device": env.get("device"), "device name": env.get("device_name"),
            "threads": env.get("torch_threads"), "torch": env.get("torch"), "date": env.get("date")})
    columns = ["model", "architecture", "family", "parameters_M", "task", "batch size", "labels", "texts/s",
               "tokens/s", "latency p50 s", "latency p95 s", "precision", "device", "device name", "threads", "torch",
               "date"]
    return pd.DataFrame(rows, columns=columns).sort_values(["model", "task", "batch size", "labels", "precision"],
                                                           ignore_index=True)


def environments(records: Sequence[dict]) -> list[str]:
    """The distinct machines and versions the figures were measured on, one line each."""
    seen = set()
    for r in records:
        e = r.get("environment") or {}
        seen.add(f"{e.get('device', '?')} ({e.get('device_name', '?')}), {e.get('torch_threads', '?')} torch "
                 f"threads, torch {e.get('torch', '?')}, transformers {e.get('transformers', '?')}, "
                 f"gliner-bench {e.get('gliner_bench', '?')}")
    return sorted(seen)


def _round(x, digits):
    return None if x is None else round(x, digits)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1000:
        return str(int(value))
    return str(value).replace("|", "\\|")


def to_markdown(frame: pd.DataFrame) -> str:
    """A GitHub Markdown table (no ``tabulate`` needed). Missing values are empty cells."""
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |"
            for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"


def _scores(frame: pd.DataFrame, column: str, flags: list[bool | None], mark_seen: bool) -> list[str]:
    """Formatted F1 cells: ``?`` after a model that declares nothing, ``*`` (``mark_seen``) after one that trained
    on the task; the 95% interval in brackets where known; blank where there is no result (never 0)."""
    values = frame[column] if column in frame else [None] * len(frame)
    name = column.removeprefix("F1 ")
    lows, highs = (frame.get(f"CI {side} {name}", pd.Series([None] * len(frame))) for side in ("low", "high"))
    return [with_interval(v, lo, hi, "?" if z is None else "*" if z is False and mark_seen else "")
            for v, z, lo, hi in zip(values, flags, lows, highs)]


def with_interval(value, low, high, mark: str = "") -> str:
    """``40.1 [38.0, 42.2]`` (``mark`` after the value: ``40.1* [...]``), or the value alone where no interval is
    known; blank for no value."""
    if _missing(value):
        return ""
    return f"{value:.1f}{mark}" + ("" if _missing(low) or _missing(high) else f" [{low:.1f}, {high:.1f}]")


def _ranks(frame: pd.DataFrame) -> list[str]:
    """The shared ranks ``f1_frame`` computed; a frame without them (no per-unit counts) ranks by position."""
    means = frame[MEAN] if MEAN in frame else pd.Series([None] * len(frame))
    if RANK in frame and frame[RANK].notna().any():
        return ["" if _missing(m) or _missing(r) else str(int(r)) for m, r in zip(means, frame[RANK])]
    rank, ranks = 0, []
    for m in means:
        rank += not _missing(m)
        ranks.append("" if _missing(m) else str(rank))
    return ranks


def headline(frame: pd.DataFrame) -> pd.DataFrame:
    """The README's table (``RANKING_RULE``), from ``f1_frame`` (or its CSV read back): rank; each task of the mean in
    the words protocol and, where measured, as raw text; the zero-shot mean; the other zero-shot tasks; then, apart and unranked, the tasks some model trained
    on (``*``: this model did; ``?``: not declared); parameters and throughput."""
    zero = zero_shot_tasks(frame)
    ranked = [t for t in mean_tasks(frame) if t in zero]
    beside = [t for t in zero if t not in ranked]
    seen = [t for t in tasks_of(frame) if t not in zero]
    out = pd.DataFrame({"rank": _ranks(frame), "model": frame["model"], "architecture": frame["architecture"]})

    def flags(task: str) -> list[bool | None]:
        column = frame.get(f"zero-shot {task}", pd.Series([None] * len(frame)))
        return [_flag(v) for v in column]

    for t in ranked:
        out[t] = _scores(frame, f"F1 {t}", flags(t), mark_seen=False)
        if f"F1 raw {t}" in frame:  # a task measured as raw text too (no empty column for the others)
            out[f"{t} raw"] = _scores(frame, f"F1 raw {t}", flags(t), mark_seen=False)
    out[MEAN] = _scores(frame, MEAN, [True] * len(frame), mark_seen=False)
    for t in beside:
        out[t] = _scores(frame, f"F1 {t}", flags(t), mark_seen=False)
    if seen:
        out[SEPARATOR] = ""
        for t in seen:
            out[t] = _scores(frame, f"F1 {t}", flags(t), mark_seen=True)
    out["params (M)"] = frame["parameters_M"]
    if "texts/s" in frame:
        out["texts/s"] = frame["texts/s"]
    return out
