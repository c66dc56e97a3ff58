"""Leaderboard tables: pure functions from collected results records (and the models' declarations) to pandas
frames, and a Markdown renderer. No model is loaded and nothing is measured here.

``models`` maps a model id to what its author declares: ``training_data`` (a sentence) and ``seen_tasks``
(the tasks whose data, or a split of it, was trained on). A task is zero-shot for a model unless it is among
its ``seen_tasks``; a model that declares nothing gets no flag (shown as ``?``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

FAMILIES = {"UniEncoderSpan": "uni", "UniEncoderToken": "uni", "BiEncoderSpan": "bi", "BiEncoderToken": "bi",
            "UniEncoderSpanDecoder": "decoder", "UniEncoderTokenDecoder": "decoder",
            "UniEncoderSpanRelex": "relex", "UniEncoderTokenRelex": "relex"}
THROUGHPUT_BATCH = 8  # the batch size of the main table's throughput column


def family(architecture: str | None) -> str:
    return FAMILIES.get(architecture or "", "other")


def zero_shot(models: Mapping[str, dict], model: str, task: str) -> bool | None:
    declared = models.get(model)
    if declared is None:
        return None
    return task not in set(declared.get("seen_tasks", ()))


def _of(records: Sequence[dict], experiment: str) -> list[dict]:
    return [r for r in records if r["experiment"] == experiment]


def _model_columns(record: dict) -> dict:
    m = record["model"]
    return {"model": m["id"], "architecture": m.get("architecture"), "family": family(m.get("architecture")),
            "parameters_M": round(m["parameters"] / 1e6, 1) if m.get("parameters") else None}


def f1_frame(records: Sequence[dict], models: Mapping[str, dict]) -> pd.DataFrame:
    """One row per model: micro-F1 (x100, threshold 0.5) on each evaluated task, its mean over the tasks the
    model has, the zero-shot flag per task, and texts/s at batch 8 with the task's own labels (the first task
    with such a figure)."""
    evals = _of(records, "evaluate")
    tasks = sorted({r["task"]["name"] for r in evals})
    rows: dict[str, dict] = {}
    for r in evals:
        row = rows.setdefault(r["model"]["id"], _model_columns(r))
        task = r["task"]["name"]
        row[f"F1 {task}"] = round(100 * r["figures"]["at_0.5"]["micro"]["f1"], 1)
        row[f"zero-shot {task}"] = zero_shot(models, row["model"], task)
        rel = r["figures"].get("relations_at_0.5")
        if rel:
            row[f"relation F1 {task}"] = round(100 * rel["f1"], 1)
    speed = {}
    for r in sorted(_of(records, "throughput"), key=lambda r: r["task"]["name"]):
        a = r["arguments"]
        if a.get("batch_size") == THROUGHPUT_BATCH and not a.get("labels"):
            speed.setdefault(r["model"]["id"], (r["figures"]["texts_per_second"], r["task"]["name"]))
    for model, row in rows.items():
        scores = [row[f"F1 {t}"] for t in tasks if f"F1 {t}" in row]
        row["F1 mean"] = round(sum(scores) / len(scores), 1) if scores else None
        row["tasks"] = len(scores)
        if model in speed:
            row["texts/s"], row["throughput task"] = round(speed[model][0], 1), speed[model][1]
    columns = ["model", "architecture", "family", "parameters_M", "F1 mean", "tasks"]
    columns += [c for t in tasks for c in (f"F1 {t}", f"zero-shot {t}", f"relation F1 {t}")]
    columns += ["texts/s", "throughput task"]
    frame = pd.DataFrame(list(rows.values()), columns=columns)
    frame = frame.dropna(axis="columns", how="all")
    return frame.sort_values(["F1 mean", "model"], ascending=[False, True], na_position="last",
                             ignore_index=True)


def relations_frame(records: Sequence[dict]) -> pd.DataFrame:
    """Strict relation figures (x100, threshold 0.5) of every evaluate result that has them: one row per
    (model, task)."""
    rows = []
    for r in _of(records, "evaluate"):
        rel = r["figures"].get("relations_at_0.5")
        if rel:
            rows.append(_model_columns(r) | {
                "task": r["task"]["name"], "relation types": len(rel.get("relation_types", ())),
                "gold": rel["gold"], "predicted": rel["predicted"], "correct": rel["true_positives"],
                "precision": round(100 * rel["precision"], 1), "recall": round(100 * rel["recall"], 1),
                "F1": round(100 * rel["f1"], 1)})
    columns = ["model", "architecture", "family", "parameters_M", "task", "relation types", "gold", "predicted",
               "correct", "precision", "recall", "F1"]
    return pd.DataFrame(rows, columns=columns).sort_values(["task", "F1", "model"], ascending=[True, False, True],
                                                           ignore_index=True)


def scale_frame(records: Sequence[dict]) -> pd.DataFrame:
    """F1 on the gold types against the number of candidate labels: one row per (model, task, k)."""
    rows = [_model_columns(r) | {"task": r["task"]["name"], "labels": r["figures"]["k"],
                                 "F1": round(100 * r["figures"]["micro"]["f1"], 1),
                                 "distractor predictions": r["figures"]["distractor_predictions"],
                                 "texts/s": _round(r["figures"].get("texts_per_second"), 2)}
            for r in _of(records, "scale")]
    columns = ["model", "architecture", "family", "parameters_M", "task", "labels", "F1", "distractor predictions",
               "texts/s"]
    return pd.DataFrame(rows, columns=columns).sort_values(["model", "task", "labels"], ignore_index=True)


def throughput_frame(records: Sequence[dict]) -> pd.DataFrame:
    """Every throughput figure with what it ran on."""
    rows = []
    for r in _of(records, "throughput"):
        f, env = r["figures"], r.get("environment") or {}
        rows.append(_model_columns(r) | {
            "task": r["task"]["name"], "batch size": f["batch_size"], "labels": f["labels"],
            "texts/s": _round(f["texts_per_second"], 2), "tokens/s": None if f["tokens_per_second"] is None else round(f["tokens_per_second"]),
            "latency p50 s": _round(f["latency_p50_s"], 4), "latency p95 s": _round(f["latency_p95_s"], 4),
            "dtype": f.get("dtype"), "device": env.get("device"), "device name": env.get("device_name"),
            "threads": env.get("torch_threads"), "torch": env.get("torch"), "date": env.get("date")})
    columns = ["model", "architecture", "family", "parameters_M", "task", "batch size", "labels", "texts/s",
               "tokens/s", "latency p50 s", "latency p95 s", "dtype", "device", "device name", "threads", "torch",
               "date"]
    return pd.DataFrame(rows, columns=columns).sort_values(["model", "task", "batch size", "labels"],
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


def headline(frame: pd.DataFrame) -> pd.DataFrame:
    """The README's table: F1 per task with the zero-shot flag folded in (``*``: the task's data was seen in
    training; ``?``: not declared), the mean, parameters and throughput."""
    tasks = [c.removeprefix("F1 ") for c in frame.columns if c.startswith("F1 ") and c != "F1 mean"]
    out = pd.DataFrame({"model": frame["model"], "architecture": frame["architecture"]})
    for t in tasks:
        flags = frame.get(f"zero-shot {t}", pd.Series([None] * len(frame)))
        out[t] = [("" if pd.isna(v) else f"{v:.1f}" + ("" if z is True else "*" if z is False else "?"))
                  for v, z in zip(frame[f"F1 {t}"], flags)]
    out["mean (all tasks)"] = [("" if pd.isna(v) else f"{v:.1f}") for v in frame["F1 mean"]]
    out["params (M)"] = frame["parameters_M"]
    if "texts/s" in frame:
        out["texts/s"] = frame["texts/s"]
    return out
