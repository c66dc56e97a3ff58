"""Accuracy of the lower-precision paths against fp32 on WNUT-16 (issue: fast CPU inference, item 3).

Bound for every uni and bi default and every path: micro-F1 within 1.0 point of fp32, at least 97% of fp32's
entities reproduced exactly. Three checks: the committed record (``leaderboards/precision``, written by
``scripts/bench/precision_accuracy.py`` on the full test split) meets the bound and is about the shipped weights; a
default-run recomputation on part of the split for uni-span; and, marked slow, the full recomputation.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import int8_runs

from gliner_bench.loading import bundled_path
from gliner_bench.measurement import environment

ROOT = Path(__file__).resolve().parents[1]
RECORDS = ROOT / "leaderboards" / "precision"
DEFAULTS = ["uni-span", "uni-token", "bi-span", "bi-token"]
PATHS = {"fp32", "bf16", "int8", "onnx-fp32", "onnx-int8"}
MAX_F1_LOSS = 0.01  # 1.0 micro-F1 point
MIN_KEPT = 0.97


def check_bounds(paths: dict) -> None:
    base = paths["fp32"]["micro"]["f1"]
    for name, row in paths.items():
        assert abs(row["micro"]["f1"] - base) < MAX_F1_LOSS, f"{name}: F1 {row['micro']['f1']:.4f} vs fp32 {base:.4f}"
        assert row["agreement_with_fp32"]["kept"] >= MIN_KEPT, f"{name}: kept {row['agreement_with_fp32']['kept']:.3f}"


@pytest.mark.parametrize("name", DEFAULTS)
def test_the_committed_record_meets_the_bound_for_the_shipped_weights(name):
    record = json.loads((RECORDS / f"bundled-{name}__wnut16.json").read_text())
    assert record["texts"] == 1915 and record["threshold"] == 0.5  # the whole test split, the leaderboard's protocol
    assert set(record["precisions"]) == PATHS
    assert record["environment"]["cpu_flags"]  # the instruction set the figures depend on is named
    check_bounds(record["precisions"])
    assert record["precisions"]["onnx-fp32"]["agreement_with_fp32"]["kept"] == 1.0
    # its fp32 pass is the leaderboard's, whose results name the weights by their hash
    board = json.loads((ROOT / "leaderboards" / "results" / "evaluate" / f"bundled-{name}__wnut16.json").read_text())
    assert board["figures"].get("text_mode", "words") == "words"  # files from before raw text default to words
    assert abs(board["figures"]["at_0.5"]["micro"]["f1"] - record["precisions"]["fp32"]["micro"]["f1"]) < 1e-9
    shipped = hashlib.sha256((bundled_path(name) / "delta.safetensors").read_bytes()).hexdigest()
    assert board["model"]["weights_sha256"] == shipped


def _run_script(tmp_path: Path, models: str, precisions: str, max_examples: int) -> dict:
    out = tmp_path / "precision"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "bench" / "precision_accuracy.py"), "--models", models,
                    "--precisions", precisions, "--max-examples", str(max_examples), "--out", str(out)],
                   check=True, capture_output=True, text=True, timeout=1800)
    return {p.name: json.loads(p.read_text()) for p in out.glob("*.json")}


@pytest.mark.parametrize("name, precisions, tweets", [("uni-span", "fp32,int8,onnx-int8", 400),
                                                     ("bi-token", "fp32,onnx-int8", 0)])
def test_int8_paths_meet_the_bound_on_part_of_the_split(tmp_path, name, precisions, tweets):
    """Recomputed on this CPU, whatever its instruction set (the bound once held on a VNNI CPU and failed on an
    AVX2-only one): uni-span (the most sensitive default) in torch int8 and ONNX int8 on the first 400 tweets, and
    bi-token (the other one that drifted on AVX2) in ONNX int8 on the whole split (1,915 tweets: on the first 400,
    212 entities, one entity is half a point of the bound; the u8u8 export kept 96.7% there, 98.7% on the split)."""
    records = _run_script(tmp_path, name, precisions, tweets)
    record = records[f"bundled-{name}__wnut16.json"]
    paths = record["precisions"]
    assert set(paths) == set(precisions.split(","))
    if "int8" in paths:  # torch int8 runs fp32 where the int8 product saturates (int8.int8_product_exact)
        assert paths["int8"]["ran"] == int8_runs()
    assert paths["fp32"]["agreement_with_fp32"]["identical"] > 100  # enough entities for the bound to mean much
    assert record["environment"]["cpu_flags"] == list(environment.cpu_flags())  # measured here
    check_bounds(paths)


@pytest.mark.slow
def test_every_path_meets_the_bound_on_the_full_split(tmp_path):
    records = _run_script(tmp_path, ",".join(DEFAULTS), "fp32,bf16,int8,onnx,onnx-int8", 0)
    for name in DEFAULTS:
        check_bounds(records[f"bundled-{name}__wnut16.json"]["precisions"])
