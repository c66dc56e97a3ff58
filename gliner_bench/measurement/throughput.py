"""Throughput of ``GLiNER.inference``: texts per second over repeated timed runs after warm-up."""

from __future__ import annotations

import json
import statistics
import time
from importlib import resources

import torch


def sample_texts(n: int, words_per_text: int = 40) -> tuple[list[str], list[str]]:
    """``n`` deterministic texts of about ``words_per_text`` words from the bundled sentences, and labels."""
    data = json.loads(resources.files("gliner_bench.data").joinpath("sample_texts.json").read_text("utf-8"))
    sentences = data["sentences"]
    texts, i = [], 0
    for _ in range(n):
        parts: list[str] = []
        while sum(len(p.split()) for p in parts) < words_per_text:
            parts.append(sentences[i % len(sentences)])
            i += 1
        texts.append(" ".join(parts))
    return texts, data["labels"]


def measure(model, texts: list[str], labels: list[str], batch_size: int = 8, repeats: int = 5,
            warmup: int = 1, threshold: float = 0.5) -> dict:
    """Time ``repeats`` full passes over ``texts`` after ``warmup`` untimed ones; figures are medians over the
    passes."""
    for _ in range(warmup):
        model.inference(texts, labels, batch_size=batch_size, threshold=threshold)
    seconds = []
    for _ in range(repeats):
        if model.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        model.inference(texts, labels, batch_size=batch_size, threshold=threshold)
        if model.device.type == "cuda":
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    return {
        "texts": len(texts),
        "labels": len(labels),
        "batch_size": batch_size,
        "repeats": repeats,
        "seconds": seconds,
        "median_seconds": median,
        "texts_per_second": len(texts) / median,
    }
