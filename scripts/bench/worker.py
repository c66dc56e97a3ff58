"""A benchmark worker: one implementation in its own process, timed on request.

Runs under any of three virtualenvs: ``--impl ours`` imports gliner_bench, ``--impl reference`` imports gliner,
``--impl fast-gliner`` imports fast_gliner (Rust + ONNX Runtime; it takes the reference's ONNX export).
Protocol: one JSON request per stdin line, one JSON reply per stdout line.
  {"op": "load", "path": ..., "precision", "onnx_file"} -> {"seconds"}
        ours: precision fp32, bf16, int8 (an export folder of ours loads as a path);
        reference: onnx_file loads that file of the folder with its onnxruntime runtime;
        fast-gliner: onnx_file inside the folder (which also holds tokenizer.json and gliner_config.json)
  {"op": "export", "path", "out"}                      -> {"files"}   (reference: export_to_onnx, quantize=True)
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

    def load(self, path: str, precision: str = "fp32", onnx_file: str | None = None) -> None:
        if self.impl == "ours":
            from gliner_bench import GLiNER

            self.model = GLiNER.from_pretrained(path, precision=precision)
        elif self.impl == "fast-gliner":
            from fast_gliner import FastGLiNER

            self.model = FastGLiNER.from_pretrained(path, onnx_path=onnx_file, execution_provider="cpu")
        else:
            from gliner import GLiNER

            extra = {"load_onnx_model": True, "onnx_model_file": onnx_file} if onnx_file else {}
            self.model = GLiNER.from_pretrained(path, local_files_only=True, **extra)
        self.embeddings = None

    def export(self, path: str, out: str) -> dict:
        from gliner import GLiNER

        return GLiNER.from_pretrained(path, local_files_only=True).export_to_onnx(out, quantize=True)

    def encode(self, labels):
        import torch

        with torch.inference_mode():
            self.embeddings = self.model.encode_labels(labels)

    def infer(self, req):
        if self.impl == "fast-gliner":  # its API: texts and labels only (flat, threshold 0.5, its own batching)
            return self.model.predict_entities(req["texts"], req["labels"])
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
    ap.add_argument("--impl", choices=["ours", "reference", "fast-gliner"], required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    out = sys.stdout
    sys.stdout = sys.stderr  # library chatter must not corrupt the protocol
    bench = Bench(args.impl)
    if args.impl == "fast-gliner":  # no torch here; ONNX Runtime picks its own thread count
        from importlib.metadata import version

        info = {"fast_gliner": version("fast_gliner")}
    else:
        import torch
        import transformers

        torch.set_num_threads(args.threads)
        info = {"torch": torch.__version__, "transformers": transformers.__version__,
                "threads": torch.get_num_threads()}
    out.write(json.dumps({"ready": True} | info) + "\n")
    out.flush()
    for line in sys.stdin:
        req = json.loads(line)
        start = time.perf_counter()
        if req["op"] == "load":
            bench.load(req["path"], req.get("precision", "fp32"), req.get("onnx_file"))
            reply = {"seconds": time.perf_counter() - start}
        elif req["op"] == "export":
            reply = {"files": {k: str(v) for k, v in bench.export(req["path"], req["out"]).items()}}
        elif req["op"] == "encode":
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
