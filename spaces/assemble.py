"""Assemble a deployable Hugging Face Space folder: ``python spaces/assemble.py --output build/space``.

The folder holds what the Space runs and nothing else: ``app.py``, the ``gliner_bench`` package with its bundled
default checkpoints (compact deltas, a few MB each), the published ``leaderboards/`` tables, and this directory's
``README.md`` (the Space's front matter) and ``requirements.txt`` (pinned). Push it with
``huggingface-cli upload <user>/<space> build/space . --repo-type space`` (or ``git push`` to the Space's repository).

It refuses to overwrite a non-empty folder that it did not write, and checks the result: the front matter names
``app.py`` and the gradio version that requirements.txt pins, and every bundled default has its files.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = ".gliner-bench-space"  # written into the folder: ours to replace on the next run
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".*", "*.egg-info")


def front_matter(readme: Path) -> dict[str, str]:
    """The ``key: value`` lines of the README's front matter (lists and nested keys are left out)."""
    text = readme.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL)
    if not match:
        raise ValueError(f"{readme} has no front matter (--- ... --- at the top).")
    fields = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith(" ") and value.strip():
            fields[key.strip()] = value.strip().strip('"')
    return fields


def pinned(requirements: Path) -> dict[str, str]:
    pins = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def check(folder: Path) -> list[str]:
    """What is wrong with an assembled folder (empty when it is deployable)."""
    problems = []
    meta = front_matter(folder / "README.md")
    pins = pinned(folder / "requirements.txt")
    for key in ("sdk", "sdk_version", "python_version", "app_file", "license"):
        if key not in meta:
            problems.append(f"README.md front matter lacks {key}")
    if meta.get("sdk") != "gradio":
        problems.append("front matter sdk is not gradio")
    if meta.get("sdk_version") != pins.get("gradio"):
        problems.append(f"sdk_version {meta.get('sdk_version')} differs from requirements' gradio=={pins.get('gradio')}")
    if not (folder / meta.get("app_file", "app.py")).is_file():
        problems.append(f"no {meta.get('app_file')}")
    models = [p for p in (folder / "gliner_bench" / "models").iterdir() if p.is_dir()]
    if not models:
        problems.append("no bundled default checkpoint under gliner_bench/models/")
    for m in models:
        for f in ("gliner_config.json", "delta.safetensors"):
            if not (m / f).is_file():
                problems.append(f"bundled default {m.name} lacks {f}")
    if not (folder / "leaderboards" / "f1.csv").is_file():
        problems.append("no leaderboards/f1.csv (run gliner-bench leaderboard)")
    return problems


def assemble(output: Path) -> Path:
    output = Path(output)
    if output.exists() and any(output.iterdir()) and not (output / MARKER).is_file():
        raise ValueError(f"{output} is not empty and was not written by this script; pick a new folder.")
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    shutil.copy2(ROOT / "app.py", output / "app.py")
    shutil.copytree(ROOT / "gliner_bench", output / "gliner_bench", ignore=SKIP)
    shutil.copytree(ROOT / "leaderboards", output / "leaderboards",  # the tables the app reads, not the sources
                    ignore=shutil.ignore_patterns("results", "*.html", "plotly.min.js", ".*"))
    for name in ("README.md", "requirements.txt"):
        shutil.copy2(ROOT / "spaces" / name, output / name)
    (output / MARKER).write_text("assembled by spaces/assemble.py; safe to delete and rebuild\n")
    problems = check(output)
    if problems:
        raise ValueError("The assembled Space is not deployable: " + "; ".join(problems))
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="build/space", help="the Space folder to write (default build/space)")
    args = parser.parse_args(argv)
    try:
        out = assemble(Path(args.output))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"Space folder ready: {out} ({size / 1e6:.1f} MB); push it to a gradio Space.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
