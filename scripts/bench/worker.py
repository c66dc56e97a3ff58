"""A benchmark worker: loads one checkpoint with one implementation and times ``inference`` on request.

Runs under either virtualenv: ``--impl ours`` imports gliner_bench, ``--impl reference`` imports gliner.
Protocol: one JSON request per stdin line ({"texts", "labels", "batch_size", "threshold"}); one JSON reply
per stdout line ({"seconds", "output"}). The driver (bench_vs_reference.py) alternates two workers.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", choices=["ours", "reference"], required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("checkpoint")
    args = ap.parse_args()

    import torch
    import transformers

    torch.set_num_threads(args.threads)
    if args.impl == "ours":
        from gliner_bench import GLiNER

        model = GLiNER.from_pretrained(args.checkpoint)
    else:
        from gliner import GLiNER

        model = GLiNER.from_pretrained(args.checkpoint, local_files_only=True)
    out = sys.stdout
    sys.stdout = sys.stderr  # library chatter must not corrupt the protocol
    out.write(json.dumps({"ready": True, "torch": torch.__version__,
                          "transformers": transformers.__version__, "threads": torch.get_num_threads()}) + "\n")
    out.flush()
    for line in sys.stdin:
        req = json.loads(line)
        kwargs = dict(threshold=req["threshold"], flat_ner=True, batch_size=req["batch_size"])
        model.inference(req["texts"][: req["batch_size"]], req["labels"], **kwargs)  # warm-up
        start = time.perf_counter()
        result = model.inference(req["texts"], req["labels"], **kwargs)
        seconds = time.perf_counter() - start
        out.write(json.dumps({"seconds": seconds, "output": result}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
