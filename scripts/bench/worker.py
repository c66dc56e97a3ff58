"""A benchmark worker: one implementation in its own process, timed on request.

Runs under either virtualenv: ``--impl ours`` imports gliner_bench, ``--impl reference`` imports gliner.
Protocol: one JSON request per stdin line, one JSON reply per stdout line.
  {"op": "load", "path": ...}                          -> {"seconds"}
  {"op": "encode", "labels": [...]}                    -> {"seconds"}   (keeps the embeddings for "embeds")
  {"op": "infer", "texts", "labels", "batch_size", "threshold", "mode", "repeats"}
                                                       -> {"seconds": [...], "output": ...}
  mode: "plain" (inference as a user calls it), "embeds" (with the embeddings of the last "encode"),
        "uncached" (ours: label cache cleared before each run; the reference never caches).
Each "infer" runs once untimed (warm-up), then ``repeats`` timed runs.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class Bench:
    def __init__(self, impl: str):
        self.impl = impl
        self.model = None
        self.embeddings = None

    def load(self, path: str) -> None:
        if self.impl == "ours":
            from gliner_bench import GLiNER

            self.model = GLiNER.from_pretrained(path)
        else:
            from gliner import GLiNER

            self.model = GLiNER.from_pretrained(path, local_files_only=True)
        self.embeddings = None

    def encode(self, labels):
        self.embeddings = self.model.encode_labels(labels)

    def infer(self, req):
        kwargs = {"threshold": req["threshold"], "flat_ner": True, "batch_size": req["batch_size"]}
        if "relations" in req:
            kwargs.update(relations=req["relations"], relation_threshold=req.get("relation_threshold"),
                          adjacency_threshold=req.get("adjacency_threshold"))
        kwargs.update(req.get("generation") or {})  # decoders: gen_constraints, do_sample, max_new_tokens, ...
        mode = req["mode"]
        if mode == "embeds":
            return self.model.batch_predict_with_embeds(req["texts"], self.embeddings, req["labels"], **kwargs)
        if mode == "uncached" and self.impl == "ours" and hasattr(self.model, "clear_label_cache"):
            self.model.clear_label_cache()
        return self.model.inference(req["texts"], req["labels"], **kwargs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--impl", choices=["ours", "reference"], required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import torch
    import transformers

    torch.set_num_threads(args.threads)
    out = sys.stdout
    sys.stdout = sys.stderr  # library chatter must not corrupt the protocol
    bench = Bench(args.impl)
    out.write(json.dumps({"ready": True, "torch": torch.__version__, "transformers": transformers.__version__,
                          "threads": torch.get_num_threads()}) + "\n")
    out.flush()
    for line in sys.stdin:
        req = json.loads(line)
        start = time.perf_counter()
        if req["op"] == "load":
            bench.load(req["path"])
            reply = {"seconds": time.perf_counter() - start}
        elif req["op"] == "encode":
            with torch.inference_mode():
                bench.encode(req["labels"])
            reply = {"seconds": time.perf_counter() - start}
        else:
            bench.infer(req)  # warm-up
            seconds, result = [], None
            for _ in range(req.get("repeats", 1)):
                start = time.perf_counter()
                result = bench.infer(req)
                seconds.append(time.perf_counter() - start)
            reply = {"seconds": seconds, "output": result}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
