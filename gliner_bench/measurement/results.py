"""Results files: JSON written atomically (a temporary file, then a rename), so a crash never leaves a
half-written file under the final name."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_json_atomic(path: str | os.PathLike, data: Any) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# ---------------------------------------------------------------------------------------------- results files
SCHEMA_VERSION = 1
EXPERIMENTS = ("evaluate", "scale", "order", "throughput")


class ResultsError(ValueError):
    """A results file that cannot be read as one of ours; the message names the file."""


def slug(text: str) -> str:
    """A file-name-safe form of a model id or task name."""
    out = "".join(c if c.isalnum() or c in "-_." else "-" for c in text.strip("/"))
    return "-".join(part for part in out.split("-") if part) or "unnamed"


def result_path(root: str | os.PathLike, experiment: str, model_id: str, task: str, key: str | None = None) -> Path:
    """``<root>/<experiment>/<model>__<task>[__<key>].json``: one file per (model, task, experiment[, k])."""
    name = f"{slug(model_id)}__{slug(task)}" + (f"__{slug(key)}" if key else "")
    return Path(root) / experiment / f"{name}.json"


def make_record(experiment: str, model: dict, task: dict, arguments: dict, figures: dict | None,
                environment: dict, error: str | None = None) -> dict:
    if experiment not in EXPERIMENTS:
        raise ValueError(f"Unknown experiment {experiment!r}; expected one of {EXPERIMENTS}.")
    from ..version import __version__

    return {"schema_version": SCHEMA_VERSION, "package": "gliner-bench", "package_version": __version__,
            "experiment": experiment, "status": "error" if error else "ok", "error": error, "model": model,
            "task": task, "arguments": arguments, "environment": environment, "figures": figures}


def read_result(path: str | os.PathLike) -> dict:
    """A results file, checked: valid JSON, ours, and a schema version this package reads."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ResultsError(f"{path}: not a readable JSON results file ({err}).") from err
    if not isinstance(data, dict) or data.get("package") != "gliner-bench":
        raise ResultsError(f"{path}: not a gliner-bench results file (no 'package': 'gliner-bench').")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultsError(f"{path}: schema version {version!r}, but this gliner-bench reads version "
                           f"{SCHEMA_VERSION}; rerun the experiment or upgrade gliner-bench.")
    for key in ("experiment", "model", "task", "figures", "status"):
        if key not in data:
            raise ResultsError(f"{path}: field {key!r} is missing.")
    return data
