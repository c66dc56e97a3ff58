"""Compact checkpoints: only what training changed on top of packaged pretrained backbones.

A compact checkpoint is a directory with ``gliner_config.json`` (the model's usual config) and
``delta.safetensors`` instead of ``model.safetensors``:

- ``head.<key>``: every tensor outside the pretrained backbones (span/token heads, prompt MLP, LSTM,
  projections, relation and decoder adapters), whole;
- ``lora_a.<module>`` / ``lora_b.<module>``: LoRA factors (r, in) / (out, r) for Linear layers of a backbone,
  folded in at load time with ``lora.merge_into`` (``scale`` in the metadata);
- ``rows.<module>``: embedding rows of tokens added to a backbone's vocabulary (<<ENT>>, <<SEP>>, ...), from the
  row given in the metadata on.

Tensors are stored in float16 (``dtype`` in the metadata) and loaded into float32. ``GLiNER.from_pretrained``
recognises the file, builds the model from the config on its backbones (the packaged all-MiniLM-L6-v2 and
SmolLM2 resolve offline), checks that the base weights are the ones the delta was trained on (SHA-256 of each
backbone's state in the metadata), and applies the delta. ``save_pretrained`` on the result writes a full
checkpoint in the reference's layout.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import safe_open

from .files import DELTA_FILE, CheckpointError, tensor_problems, write_checkpoint_files
from .lora import backbone_digests, backbone_prefixes, merge_into

FORMAT = "gliner-bench-delta"
VERSION = "1"


def save_delta(gliner, lora, directory: str | os.PathLike, dtype: torch.dtype = torch.float16) -> Path:
    """Write ``gliner`` (with ``lora`` attached, not merged) as a compact checkpoint; returns the directory.

    Refuses when a backbone weight changed outside LoRA (a fully fine-tuned backbone cannot be stored as a
    delta: use ``save_pretrained``).
    """
    model = gliner.model
    state = model.state_dict()
    prefixes = backbone_prefixes(model)
    tensors: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if not key.startswith(tuple(prefixes.values())):
            tensors[f"head.{key}"] = value.detach().to("cpu", dtype if value.is_floating_point() else value.dtype)
    for name, (a, b) in lora.factors().items():
        tensors[f"lora_a.{name}"] = a.to("cpu", dtype)
        tensors[f"lora_b.{name}"] = b.to("cpu", dtype)
    rows = {}
    for name, (start, values) in lora.new_rows().items():
        tensors[f"rows.{name}"] = values.to("cpu", dtype)
        rows[name] = start
    digests = backbone_digests(model, rows)
    for role, expected in lora.base_digests.items():
        if digests.get(role) != expected:
            raise CheckpointError(f"The {role} backbone changed outside its LoRA adapters; a compact checkpoint "
                                  "would not rebuild it. Save a full checkpoint with save_pretrained instead.")
    metadata = {"format": FORMAT, "version": VERSION, "dtype": str(dtype).removeprefix("torch."),
                "lora_scale": repr(lora.scale), "lora_rank": str(lora.rank), "rows": json.dumps(rows),
                "base_sha256": json.dumps(digests)}
    return write_checkpoint_files(directory, gliner.config, {DELTA_FILE: (tensors, metadata)})


def is_delta(directory: Path) -> bool:
    return (directory / DELTA_FILE).is_file()


def read_delta(directory: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    path = directory / DELTA_FILE
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            meta = dict(f.metadata() or {})
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    except Exception as err:
        raise CheckpointError(f"{path} is not a readable safetensors file ({err}).") from err
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise CheckpointError(f"{path}: not a {FORMAT} v{VERSION} file (metadata {meta}).")
    return tensors, meta


@torch.no_grad()
def apply_delta(gliner, tensors: dict[str, torch.Tensor], meta: dict[str, str], source: str) -> None:
    """Load a delta into a GLiNER freshly built on its pretrained backbones (``from_config``), in place."""
    model = gliner.model
    state = model.state_dict()
    prefixes = backbone_prefixes(model)
    rows = json.loads(meta["rows"])
    expected = json.loads(meta["base_sha256"])
    for role, digest in backbone_digests(model, rows).items():
        if digest != expected.get(role):
            prefix = prefixes[role]
            raise CheckpointError(f"{source}: the {role} backbone ({prefix.rstrip('.')}) is not the one this "
                                  "delta was trained on (SHA-256 differs); install the packaged base model "
                                  "the config names, or load a full checkpoint.")
    heads = {k[5:]: v for k, v in tensors.items() if k.startswith("head.")}
    wanted = {k for k in state if not k.startswith(tuple(prefixes.values()))}
    missing, unknown = sorted(wanted - set(heads)), sorted(set(heads) - wanted)
    if missing or unknown:
        raise CheckpointError(f"{source}: the delta's head tensors do not fit the model (missing {missing[:5]}, "
                              f"unknown {unknown[:5]}); was it written for another config?")
    # heads as the model holds them; LoRA factors and added rows are float weights
    dtypes = {k: (state[k[5:]].dtype if k.startswith("head.") and k[5:] in state else torch.float32) for k in tensors}
    problems = tensor_problems(tensors, dtypes)
    if problems:
        raise CheckpointError(f"{source}: " + "; ".join(problems))
    for key, value in heads.items():
        if state[key].shape != value.shape:
            raise CheckpointError(f"{source}: {key} has shape {tuple(value.shape)}, the model expects "
                                  f"{tuple(state[key].shape)}.")
        state[key].copy_(value.to(state[key].dtype))
    modules = dict(model.named_modules())
    scale = float(meta["lora_scale"])
    for key, a in tensors.items():
        if not key.startswith("lora_a."):
            continue
        name = key[7:]
        b = tensors.get(f"lora_b.{name}")
        module = modules.get(name)
        if b is None or module is None or not isinstance(module, torch.nn.Linear):
            raise CheckpointError(f"{source}: LoRA factors for {name!r} do not match a Linear layer of the model.")
        merge_into(module.weight, a.float(), b.float(), scale)
    for name, start in rows.items():
        weight = modules[name].weight
        values = tensors[f"rows.{name}"]
        if weight.size(0) != start + values.size(0):
            raise CheckpointError(f"{source}: {name} has {weight.size(0)} rows; the delta adds rows "
                                  f"{start}..{start + values.size(0) - 1}.")
        weight[start:] = values.to(weight.dtype)
