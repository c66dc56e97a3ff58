"""The experiments, through the public ``GLiNER`` API only: F1 per task, F1 against the number of labels,
label-order sensitivity, throughput. Each returns plain figures (dicts) for a results file.

Thresholds come from one pass: greedy decoding at the lowest threshold, keeping only entities scored above a
higher threshold, gives exactly the entities that decoding at that higher threshold gives (candidates are
taken best first, so a span above the higher threshold is decided before any span below it). The token
decoder is the exception -- its candidate runs depend on the threshold -- and gets a pass per threshold.

Two text protocols (``text_mode``) for ``evaluate`` (and ``predict``, ``gold``, ``relation_f1``):
- ``"words"`` (the standard protocol, as the reference evaluates): the model gets the dataset's pre-split
  tokens; predictions and gold are word spans;
- ``"raw"`` (what users do): the model gets ``raw_text(tokens)`` -- the tokens joined by single spaces -- as a
  plain string and splits it with its own word splitter; predictions come back as char offsets and are matched
  exactly, (start char, end char exclusive, label), against the gold entities converted to char spans of that
  string by ``char_span`` (whitespace at either end of a gold span trimmed: a model's word never starts or ends
  with whitespace). A gold boundary inside one of the model's words cannot be predicted: that is a miss, part of
  what the protocol measures.

Two units (``unit``) for ``evaluate``, on tasks whose data marks documents (``Example.document``):
- ``"sentence"``: each sentence is one text, as datasets split them;
- ``"document"``: each document's sentences joined in order into one text (``documents``), as users paste
  articles; texts longer than the encoder's window are windowed by the model. Scores are over the same gold spans.
Every F1 carries a bootstrap 95% interval over the unit (``bootstrap.py``): sentences are resampled in the
sentence unit, whole documents in the document unit; the per-unit counts at 0.5 are kept in the figures so that a
leaderboard can compare models on the same resamples (paired).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Sequence

from ..measurement import bootstrap
from ..text.label_pool import label_pool
from ..text.records import DataError, Example
from ..text.words import words_from_tokens
from .metrics import as_dict, entity_report, prf
from .tasks import Task

DEFAULT_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
DEFAULT_KS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
TEXT_MODES = ("words", "raw")  # the dataset's pre-split tokens | the same text as one plain string
UNITS = ("sentence", "document")  # one text per sentence | per document (its sentences joined)
Scored = tuple[int, int, str, float]  # words: (start word, end word inclusive, ...); raw: (start char, end char)


def _check_mode(text_mode: str) -> None:
    if text_mode not in TEXT_MODES:
        raise ValueError(f"text_mode {text_mode!r}: expected one of {TEXT_MODES}.")


def raw_text(tokens: Sequence[str]) -> str:
    """The plain text the raw protocol gives the model: the dataset's tokens joined by single spaces."""
    return " ".join(tokens)


def char_span(tokens: Sequence[str], start: int, end: int) -> tuple[int, int]:
    """Word span ``[start, end]`` (inclusive) of ``tokens`` -> (start char, end char exclusive) in
    ``raw_text(tokens)``, with whitespace at either end trimmed (a token may be blank or hold spaces); a span of
    blank tokens only becomes an empty span at its first char."""
    if not 0 <= start <= end < len(tokens):
        raise ValueError(f"word span [{start}, {end}] is outside the {len(tokens)} tokens.")
    text = raw_text(tokens)
    s = sum(len(t) + 1 for t in tokens[:start])
    e = s + len(raw_text(tokens[start:end + 1]))
    inner = text[s:e]
    if not inner.strip():
        return s, s
    return s + len(inner) - len(inner.lstrip()), e - (len(inner) - len(inner.rstrip()))


def char_spans(tokens: Sequence[str], entities: Sequence[tuple]) -> list[tuple]:
    """``(start word, end word, *rest)`` entities -> ``(start char, end char, *rest)`` in ``raw_text(tokens)``."""
    return [(*char_span(tokens, s, e), *rest) for s, e, *rest in entities]


def predict(model, examples: Sequence[Example], labels: Sequence[str], threshold: float, batch_size: int = 8,
            flat_ner: bool = True, text_mode: str = "words", multi_label: bool = False) -> list[list[Scored]]:
    """Entities of each example: word spans of its own words (``words``: the model sees the dataset's tokens),
    or char spans of ``raw_text`` (``raw``: the model sees one string and splits it itself)."""
    _check_mode(text_mode)
    kwargs = {"generate_labels": False} if model.capabilities.generated_labels else {}
    texts = [raw_text(ex.tokens) if text_mode == "raw" else ex.tokens for ex in examples]
    out = model.inference(texts, list(labels), threshold=threshold, flat_ner=flat_ner, batch_size=batch_size,
                          multi_label=multi_label, **kwargs)
    if model.capabilities.relations:
        out = out[0]
    spans = []
    for ex, entities in zip(examples, out):
        to_span = _span_of(ex.tokens, text_mode)
        spans.append([(*to_span(e), e["label"], e["score"]) for e in entities])
    return spans


def _span_of(tokens: Sequence[str], text_mode: str):
    return _word_span(tokens) if text_mode == "words" else (lambda span: (span["start"], span["end"]))


def _word_span(tokens: Sequence[str]):
    """Char offsets in the words' joined text (as ``inference`` returns them) -> (start word, end word)."""
    words = words_from_tokens(tokens)
    start_of = {c: i for i, c in enumerate(words.starts)}
    end_of = {c: i for i, c in enumerate(words.ends)}
    return lambda span: (start_of[span["start"]], end_of[span["end"]])


def above(predictions: list[list[Scored]], threshold: float) -> list[list[tuple[int, int, str]]]:
    return [[(s, e, label) for s, e, label, p in doc if p > threshold] for doc in predictions]


def gold(task: Task, examples: Sequence[Example], keep: set[str] | None = None,
         text_mode: str = "words") -> list[list[tuple[int, int, str]]]:
    """Gold spans with the task's natural-language names (optionally only names in ``keep``): word spans, or
    char spans of ``raw_text`` in the raw protocol."""
    _check_mode(text_mode)
    out = [[(s, e, task.labels[raw]) for s, e, raw in ex.entities if keep is None or task.labels[raw] in keep]
           for ex in examples]
    return out if text_mode == "words" else [char_spans(ex.tokens, doc) for ex, doc in zip(examples, out)]


def _check_unit(unit: str) -> None:
    if unit not in UNITS:
        raise ValueError(f"unit {unit!r}: expected one of {UNITS}.")


def documents(examples: Sequence[Example], where: str = "the examples") -> list[Example]:
    """Each document's sentences joined into one example, in order of first appearance: tokens concatenated,
    entities shifted by the words before them, relations re-indexed. Every example needs its ``document``;
    a document's sentences must be consecutive (as datasets store them)."""
    docs: list[list[Example]] = []
    seen: set[int] = set()
    for i, ex in enumerate(examples):
        if ex.document is None:
            raise DataError(f"{where}: example {i + 1} has no document; the document unit needs data that marks "
                            "documents (e.g. conll03), use unit='sentence' for this task.")
        if docs and docs[-1][0].document == ex.document:
            docs[-1].append(ex)
        elif ex.document in seen:
            raise DataError(f"{where}: example {i + 1} returns to document {ex.document} after another one; a "
                            "document's sentences must be consecutive.")
        else:
            seen.add(ex.document)
            docs.append([ex])
    return [_join(group) for group in docs]


def first_documents(sentences: Sequence[Example], n: int, where: str = "the examples"
                    ) -> tuple[list[Example], list[Example]]:
    """The first ``n`` documents of ``sentences`` (all when ``n`` is 0): (their sentences, the documents joined)."""
    if n < 0:
        raise ValueError(f"n must be 0 (every document) or more, got {n}.")
    docs = documents(sentences, where)
    if n:
        docs = docs[:n]
    keep = {d.document for d in docs}
    return [s for s in sentences if s.document in keep], docs


def _join(sentences: Sequence[Example]) -> Example:
    tokens, entities, relations = [], [], []
    for ex in sentences:
        offset, first = len(tokens), len(entities)
        tokens += ex.tokens
        entities += [(s + offset, e + offset, label) for s, e, label in ex.entities]
        relations += [(h + first, t + first, r) for h, t, r in ex.relations]
    return Example(tokens, entities, relations, sentences[0].document)


def one_pass_is_exact(model) -> bool:
    """Whether one prediction at the lowest threshold, filtered, gives every higher threshold's entities (not for a
    token decoder, whose spans depend on the threshold)."""
    return not (model.capabilities.generated_labels and model.config.is_token_level)


def sweep(model, task: Task, examples: Sequence[Example], thresholds: Sequence[float], labels: Sequence[str],
          batch_size: int = 8, text_mode: str = "words", counts_at: Sequence[float] = ()
          ) -> dict[float, dict]:
    """Entity report at every threshold (flat or nested as the task is); at the thresholds in ``counts_at`` the
    report also holds ``unit_counts``: (true positives, predicted, gold) per example, for bootstrap intervals."""
    flat = not task.nested
    truth = gold(task, examples, text_mode=text_mode)
    one_pass = predict(model, examples, labels, min(thresholds), batch_size, flat, text_mode) \
        if one_pass_is_exact(model) else None
    reports = {}
    for t in thresholds:
        preds = one_pass if one_pass is not None else predict(model, examples, labels, t, batch_size, flat, text_mode)
        found = above(preds, t)
        reports[t] = entity_report(found, truth, labels)
        if t in counts_at:
            reports[t]["unit_counts"] = bootstrap.unit_counts(found, truth)
    return reports


def _with_interval(report: dict) -> dict:
    """``report`` with its micro-F1's bootstrap interval over the units; the counts stay for paired comparisons."""
    counts = report.pop("unit_counts")
    return report | {"interval": bootstrap.f1_interval(counts), "unit_counts": bootstrap.counts_to_json(counts)}


def evaluate(model, task: Task, dev: Sequence[Example] | None, test: Sequence[Example],
             thresholds: Sequence[float] = DEFAULT_THRESHOLDS, batch_size: int = 8, text_mode: str = "words",
             unit: str = "sentence") -> dict:
    """F1 on ``test`` at 0.5 and at the threshold that is best on ``dev`` (chosen before test is scored), under
    the ``text_mode`` protocol and in the ``unit`` (see the module's docstring), each with its bootstrap interval."""
    _check_mode(text_mode)
    _check_unit(unit)
    if unit == "document":
        dev = documents(dev, f"{task.name} dev") if dev else dev
        test = documents(test, f"{task.name} test")
    thresholds = sorted(set(thresholds) | {0.5})
    labels = task.label_names
    start = time.perf_counter()
    chosen, dev_curve = 0.5, None
    if dev:
        dev_reports = sweep(model, task, dev, thresholds, labels, batch_size, text_mode)
        dev_curve = {str(t): r["micro"]["f1"] for t, r in dev_reports.items()}
        chosen = max(thresholds, key=lambda t: (dev_reports[t]["micro"]["f1"], -abs(t - 0.5)))
    test_reports = sweep(model, task, test, thresholds, labels, batch_size, text_mode, counts_at=(0.5, chosen))
    at_half = _with_interval(test_reports[0.5])
    at_chosen = at_half if chosen == 0.5 else _with_interval(test_reports[chosen])
    at_chosen = {k: v for k, v in at_chosen.items() if k != "unit_counts"}  # comparisons are made at 0.5
    relations = relation_f1(model, task, test, 0.5, batch_size, text_mode) if model.capabilities.relations else None
    return {
        "text_mode": text_mode,
        "unit": unit,
        "relations_at_0.5": relations,
        "at_0.5": at_half,
        "dev_threshold": chosen,
        "at_dev_threshold": at_chosen,
        "test_f1_by_threshold": {str(t): r["micro"]["f1"] for t, r in test_reports.items()},
        "dev_f1_by_threshold": dev_curve,
        "examples": {"dev": len(dev or []), "test": len(test)},
        "seconds": time.perf_counter() - start,
    }


def relation_f1(model, task: Task, examples: Sequence[Example], threshold: float = 0.5,
                batch_size: int = 8, text_mode: str = "words") -> dict | None:
    """Strict relation P/R/F1 (head span, tail span and type must all match) for a relex model, prompted with
    the relation types of the gold data (underscores read as spaces); None when the data has no relations.
    Spans are word spans, or char spans of ``raw_text`` in the raw protocol."""
    _check_mode(text_mode)
    types = sorted({r for ex in examples for *_, r in ex.relations})
    if not types:
        return None
    names = {t: t.replace("_", " ") for t in types}
    texts = [raw_text(ex.tokens) if text_mode == "raw" else ex.tokens for ex in examples]
    _, found = model.inference(texts, task.label_names, relations=list(names.values()),
                               threshold=threshold, flat_ner=not task.nested, batch_size=batch_size)
    predicted, truth = [], []
    for ex, rels in zip(examples, found):
        to_span = _span_of(ex.tokens, text_mode)
        spans = [tuple(e[:2]) for e in ex.entities]
        if text_mode == "raw":
            spans = [char_span(ex.tokens, s, e) for s, e in spans]
        predicted.append({(to_span(r["head"]), to_span(r["tail"]), r["relation"]) for r in rels})
        truth.append({(spans[h], spans[t], names[r]) for h, t, r in ex.relations})
    pred = {(i, *x) for i, doc in enumerate(predicted) for x in doc}
    gold = {(i, *x) for i, doc in enumerate(truth) for x in doc}
    return as_dict(prf(pred, gold)) | {"relation_types": list(names.values())}


def label_set_for_k(task: Task, k: int, seed: int, pool: Sequence[str] | None = None) -> tuple[list[str], set[str]]:
    """``k`` labels: the task's gold types (a seeded subset of k when there are more) plus seeded distractors
    from the bundled pool (names that are not gold types), shuffled. Returns (labels, gold types among them)."""
    rng = random.Random(f"{task.name}:{k}:{seed}")
    names = task.label_names
    gold_k = names if k >= len(names) else rng.sample(names, k)
    taken = {n.lower() for n in names}
    pool = [p for p in (pool if pool is not None else label_pool(2000)) if p.lower() not in taken]
    if k - len(gold_k) > len(pool):
        raise ValueError(f"k={k} needs {k - len(gold_k)} distractors; the pool has {len(pool)}.")
    labels = list(gold_k) + rng.sample(pool, k - len(gold_k))
    rng.shuffle(labels)
    return labels, set(gold_k)


def scale(model, task: Task, examples: Sequence[Example], k: int, threshold: float = 0.5, seed: int = 0,
          batch_size: int = 8) -> dict:
    """F1 on the gold types when prompted with ``k`` labels (gold plus distractors). Predictions carrying a
    distractor label are not scored (the metric is on the gold types), but counted: when a distractor takes
    a gold entity, recall falls."""
    labels, gold_types = label_set_for_k(task, k, seed)
    start = time.perf_counter()
    preds = above(predict(model, examples, labels, threshold, batch_size, not task.nested), threshold)
    seconds = time.perf_counter() - start
    kept = [[p for p in doc if p[2] in gold_types] for doc in preds]
    truth = gold(task, examples, gold_types)
    report = entity_report(kept, truth, sorted(gold_types))
    counts = bootstrap.unit_counts(kept, truth)
    return {"k": k, "labels": labels, "gold_types": sorted(gold_types), "threshold": threshold, "seed": seed,
            "micro": report["micro"], "macro_f1": report["macro_f1"], "interval": bootstrap.f1_interval(counts),
            "unit_counts": bootstrap.counts_to_json(counts),
            "distractor_predictions": sum(len(a) - len(b) for a, b in zip(preds, kept)),
            "seconds": seconds, "texts_per_second": len(examples) / seconds if seconds else None}


def order_sensitivity(model, task: Task, examples: Sequence[Example], orders: int = 5, threshold: float = 0.5,
                      seed: int = 0, batch_size: int = 8) -> dict:
    """Micro-F1 over ``orders`` seeded shuffles of the task's labels: mean, standard deviation, range."""
    f1s = []
    for i in range(orders):
        labels = list(task.label_names)
        random.Random(f"{task.name}:order:{seed}:{i}").shuffle(labels)
        preds = above(predict(model, examples, labels, threshold, batch_size, not task.nested), threshold)
        f1s.append(entity_report(preds, gold(task, examples), labels)["micro"]["f1"])
    return {"orders": orders, "f1": f1s, "mean": statistics.fmean(f1s),
            "std": statistics.pstdev(f1s) if len(f1s) > 1 else 0.0, "min": min(f1s), "max": max(f1s)}


def throughput(model, texts: Sequence[str | Sequence[str]], labels: Sequence[str], batch_size: int = 8,
               repeats: int = 3, warmup: int = 1, threshold: float = 0.5) -> dict:
    """Texts/s, tokens/s and per-batch latency p50/p95 over ``repeats`` passes after ``warmup`` untimed passes
    over every batch (one batch was not enough: allocator and thread-pool warm-up then fell into the timed passes of
    the first model measured in a process); CUDA is synchronised around every timed call."""
    import torch  # here, not at the top: importing the harness (and the grid, and the CLI) needs no torch

    batches = [list(texts[i:i + batch_size]) for i in range(0, len(texts), batch_size)]
    kwargs = {"generate_labels": False} if model.capabilities.generated_labels else {}

    def run(batch):
        model.inference(batch, list(labels), threshold=threshold, batch_size=batch_size, **kwargs)

    cuda = model.device.type == "cuda"
    for _ in range(warmup):
        for batch in batches:
            run(batch)
    latencies = []
    for _ in range(repeats):
        for batch in batches:
            if cuda:
                torch.cuda.synchronize()
            start = time.perf_counter()
            run(batch)
            if cuda:
                torch.cuda.synchronize()
            latencies.append(time.perf_counter() - start)
    total = sum(latencies)
    n_texts = len(texts) * repeats
    tokens = sum(model.count_tokens(t) for t in texts) * repeats
    ordered = sorted(latencies)
    return {"texts": len(texts), "labels": len(labels), "batch_size": batch_size, "repeats": repeats,
            "texts_per_second": n_texts / total, "tokens_per_second": tokens / total,
            "latency_p50_s": _quantile(ordered, 0.5), "latency_p95_s": _quantile(ordered, 0.95),
            "batches_timed": len(latencies), "warmup_passes": warmup, "dtype": str(model.dtype).replace("torch.", "")}


def _quantile(ordered: list[float], q: float) -> float:
    """Linear interpolation between order statistics (numpy's default)."""
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
