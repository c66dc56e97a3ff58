#!/usr/bin/env python
"""Run the reference GLiNER (gliner==0.2.29) on a checkpoint directory and print its output.

Usage::

    python reference_predict.py <checkpoint_dir> <request.json>

request.json::

    {"texts": [...], "labels": [...] or {"name": "description", ...},
     "threshold": 0.5, "flat_ner": true, "multi_label": false, "batch_size": 8}

Only "texts" and "labels" are required; the others default to the reference's defaults. With "relations"
(relex models) the output is ``[entities, relations]``; "generation" (decoders) is a dict of generation
arguments passed to ``inference``.
The checkpoint is loaded offline with ``GLiNER.from_pretrained(dir, local_files_only=True)``
and ``model.inference(...)``'s result is printed to stdout as JSON (a list with one list of
``{"start", "end", "text", "label", "score"}`` per text). Nothing else is written to stdout:
anything the reference prints goes to stderr. Exit status is non-zero on any error.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    checkpoint_dir, request_path = argv[1], argv[2]
    with open(request_path, encoding="utf-8") as f:
        request = json.load(f)

    real_stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        import torch
        from gliner import GLiNER

        torch.set_num_threads(1)
        model = GLiNER.from_pretrained(checkpoint_dir, local_files_only=True)
        model.eval()
        extra = {"relations": request["relations"]} if "relations" in request else {}
        extra |= request.get("generation", {})  # decoders: gen_constraints, num_gen_sequences, do_sample, ...
        output = model.inference(
            request["texts"],
            request["labels"],
            threshold=request.get("threshold", 0.5),
            flat_ner=request.get("flat_ner", True),
            multi_label=request.get("multi_label", False),
            batch_size=request.get("batch_size", 8),
            **extra,
        )
    json.dump(output, real_stdout, ensure_ascii=False)
    real_stdout.write("\n")
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
