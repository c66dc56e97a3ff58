"""Where document recall goes, on CoNLL-03 **validation** (issue 26's diagnosis; never on test).

    .venv/bin/python scripts/bench/document_scores.py --models bundled:uni-span,bundled:bi-span [--documents 60]
        [--max-length 64] [--examples 10] [--output leaderboards/documents/scores.json]

For each model, the gold entities of the first N documents (the four labels, the dataset's own words) are scored
twice: in their sentence alone and in the whole document (non-flat, every type, threshold 0.01). It prints how
many score above 0.5 each way, how far the scores move, and how many gold entities that score above 0.5 are
dropped by flat decoding in favour of an overlapping span, and what that span is
(``evaluation/document_diagnosis.py``), with examples of the document losses.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from gliner_bench import GLiNER
from gliner_bench.evaluation import harness
from gliner_bench.evaluation.document_diagnosis import (
    decoding_losses,
    score_pairs,
    sentence_offsets,
    summarise,
)
from gliner_bench.evaluation.tasks import get_task, load_split
from gliner_bench.measurement.environment import describe
from gliner_bench.measurement.results import write_json_atomic

THRESHOLD = 0.5


def _words(doc, span) -> str:
    return " ".join(doc.tokens[span[0]:span[1] + 1])


def diagnose(model, task, sentences, docs, groups, batch_size: int, n_examples: int) -> dict:
    labels = task.label_names
    every = {"flat_ner": False, "multi_label": True}
    s_gold, d_gold = harness.gold(task, sentences), harness.gold(task, docs)
    s_all = harness.predict(model, sentences, labels, 0.01, batch_size, **every)
    d_all = harness.predict(model, docs, labels, 0.01, batch_size, **every)
    s_kept = harness.above(harness.predict(model, sentences, labels, THRESHOLD, batch_size), THRESHOLD)
    d_kept = harness.above(harness.predict(model, docs, labels, THRESHOLD, batch_size), THRESHOLD)

    pairs, rivals, examples, at = [], Counter(), [], 0
    lost_alone = sum(len(decoding_losses(g, a, k, THRESHOLD)) for g, a, k in zip(s_gold, s_all, s_kept))
    lost_doc = 0
    for doc, group, gold, scored, kept in zip(docs, groups, d_gold, d_all, d_kept):
        lengths = [len(s.tokens) for s in group]
        pairs += score_pairs(s_gold[at:at + len(group)], s_all[at:at + len(group)], scored, lengths)
        at += len(group)
        score_of = {(s, e, label): p for s, e, label, p in scored}
        for span, found in decoding_losses(gold, scored, kept, THRESHOLD, sentence_offsets(lengths)[1:]):
            lost_doc += 1
            rivals.update(kind for _, kind in found)
            if len(examples) < n_examples:
                examples.append({"gold": f"{_words(doc, span)} ({span[2]}, {score_of[span]:.2f})",
                                 "kept instead": [f"{_words(doc, r)} ({r[2]}, {score_of.get(r, 0.0):.2f}): {kind}"
                                                  for r, kind in found]})
    out = summarise(pairs, THRESHOLD, lost_alone, lost_doc, rivals)
    out["examples"] = examples
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", required=True, help="comma-separated checkpoints (bundled:<name> or folders)")
    ap.add_argument("--documents", type=int, default=60, help="first N validation documents (0: all)")
    ap.add_argument("--max-length", type=int, help="window length in words (from_pretrained(max_length=))")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--examples", type=int, default=10, help="document losses to show per model")
    ap.add_argument("--output", help="write the figures here (JSON)")
    args = ap.parse_args(argv)
    task = get_task("conll03")
    sentences, docs = harness.first_documents(load_split(task, "validation"), args.documents, "conll03 validation")
    groups = [[s for s in sentences if s.document == d.document] for d in docs]
    rows = []
    for name in args.models.split(","):
        model = GLiNER.from_pretrained(name, max_length=args.max_length)
        row = {"model": name, "max_length": model.config.max_len,
               **diagnose(model, task, sentences, docs, groups, args.batch_size, args.examples)}
        rows.append(row)
        print(f"{name}: gold {row['gold']}; above {THRESHOLD} alone {row['above_threshold_alone']}, in the document "
              f"{row['above_threshold_in_document']}; median score {row['median_score_alone']} -> "
              f"{row['median_score_in_document']} (mean shift {row['mean_shift']:+.3f}); lost to flat decoding "
              f"alone {row['lost_to_decoding_alone']}, in the document {row['lost_to_decoding_in_document']} "
              f"{row['document_rivals']}")
        for ex in row["examples"]:
            print(f"    {ex['gold']} <- {'; '.join(ex['kept instead'])}")
    if args.output:
        write_json_atomic(Path(args.output), {
            "what": "gold entities' scores alone and in their documents, CoNLL-03 validation "
                    "(scripts/bench/document_scores.py)",
            "documents": len(docs), "sentences": len(sentences), "threshold": THRESHOLD,
            "labels": get_task("conll03").label_names, "environment": describe(), "models": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
