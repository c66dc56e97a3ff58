"""Reading a results directory for the leaderboards: every results file under it, checked, one record per cell.

A cell is (experiment, model, task, the experiment's key: the text protocol for evaluate -- ``words``, also for
files written before the raw protocol existed, or ``raw`` -- and its unit -- ``sentence``, also for files written
before documents existed, or ``document`` --, ``k`` for scale, batch size and label count for
throughput -- and the precision: ``fp32`` also for files written before precision existed). A corrupt or foreign file, or a failed run, is skipped with a note that names it; when two files
hold the same cell, the newest (by its recorded date, then by path) is kept and a note says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..measurement.results import ResultsError, read_result


@dataclass
class Collected:
    records: list[dict] = field(default_factory=list)  # one per cell, ordered by cell
    notes: list[str] = field(default_factory=list)  # what was skipped or superseded, file by file


def cell(record: dict) -> tuple:
    """The leaderboard cell a record fills."""
    a, f = record.get("arguments") or {}, record.get("figures") or {}
    experiment = record["experiment"]
    if experiment == "scale":
        key = (a.get("k", f.get("k")),)
    elif experiment == "throughput":
        key = (a.get("batch_size", f.get("batch_size")), a.get("labels"))
    elif experiment == "evaluate":
        key = (text_mode(record), unit_of(record))
    else:
        key = ()
    return (experiment, record["model"]["id"], record["task"]["name"], *key, precision_of(record))


def precision_of(record: dict) -> str:
    """What the model's encoders ran in: ``fp32`` (also every record written before precision was an option),
    ``bf16`` or ``int8``."""
    return (record.get("model") or {}).get("precision") or (record.get("arguments") or {}).get("precision") \
        or "fp32"


def text_mode(record: dict) -> str:
    """The text protocol of an evaluate record: ``words`` (the dataset's pre-split tokens; every record written
    before the raw protocol existed) or ``raw``."""
    return (record.get("arguments") or {}).get("text_mode") or (record.get("figures") or {}).get("text_mode") \
        or "words"


def unit_of(record: dict) -> str:
    """The unit of an evaluate record: ``sentence`` (every record written before documents existed) or
    ``document``."""
    return (record.get("arguments") or {}).get("unit") or (record.get("figures") or {}).get("unit") or "sentence"


def column_of(record: dict) -> str:
    """The leaderboard column of an evaluate record: its task's name, ``<task> doc`` in the document unit."""
    task = record["task"]["name"]
    return f"{task} doc" if unit_of(record) == "document" else task


def collect(root: str | Path) -> Collected:
    """Every ``*.json`` under ``root`` that is a successful gliner-bench result; paths in notes are relative
    to ``root`` (so they read the same on every machine)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such results directory; run `gliner-bench evaluate --output {root}` "
                                "(or scale / throughput) first.")
    out = Collected()
    best: dict[tuple, tuple[tuple[str, str], dict]] = {}
    for path in sorted(root.rglob("*.json")):
        name = path.relative_to(root).as_posix()
        try:
            record = read_result(path)
            if not isinstance(record["model"], dict) or "id" not in record["model"] \
                    or not isinstance(record["task"], dict) or "name" not in record["task"]:
                raise ResultsError(f"{path}: 'model' or 'task' has no id / name.")
        except ResultsError as err:
            out.notes.append(f"skipped {name}: {str(err).removeprefix(f'{path}: ')}")
            continue
        if record["status"] != "ok" or not isinstance(record["figures"], dict):
            out.notes.append(f"skipped {name}: the run failed ({record.get('error') or 'no figures'})")
            continue
        key = cell(record)
        order = (str((record.get("environment") or {}).get("date", "")), name)
        if key in best:
            (kept, _), (dropped, _) = sorted([best[key], (order, record)], key=lambda x: x[0], reverse=True)
            out.notes.append(f"kept {kept[1]} ({kept[0] or 'undated'}) over {dropped[1]} "
                             f"({dropped[0] or 'undated'}): the same cell {_describe(key)}")
            if order < best[key][0]:
                continue
        best[key] = (order, record)
    out.records = [best[k][1] for k in sorted(best, key=lambda k: tuple(str(x) for x in k))]
    return out


def _describe(key: tuple) -> str:
    experiment, model, task, *rest = key
    extra = f", {' / '.join(str(x) for x in rest)}" if rest else ""
    return f"({experiment}, {model}, {task}{extra})"
