"""Low-rank adapters (LoRA) on a model's pretrained backbones, kept outside the model's own state dict.

Training a GLiNER on top of a pretrained encoder changes, in the encoder, only what LoRA lets it change: each
targeted ``nn.Linear`` computes ``x W^T + b + scale * (x A^T) B^T`` with ``A`` (r, in) and ``B`` (out, r)
trainable and ``W`` frozen, and the embedding rows of tokens added to the vocabulary (the prompt tokens
<<ENT>>, <<SEP>>, ...) train as their own rows. Everything lives in a ``LoRA`` module beside the model and acts
through forward hooks, so the model's state dict keeps the reference's keys throughout (``save_pretrained``
still writes a loadable checkpoint) until ``merge`` folds the adapters into the weights for good.

``merge_into`` is the one formula for folding ``B @ A`` into a weight; the compact checkpoint loader
(``delta.py``) uses it too, so a merged model and a model rebuilt from its stored delta are bit-identical.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable

import torch
from torch import nn

# The Linear layers of BERT-style encoders and Llama/GPT-style decoders that adapters go on, by module name.
DEFAULT_TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense",
                   "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def backbone_prefixes(model: nn.Module) -> dict[str, str]:
    """The pretrained parts of a GLiNER model, by role -> state-dict prefix (the rest are its heads)."""
    out = {"text": "token_rep_layer.bert_layer.model."}
    if hasattr(model.token_rep_layer, "labels_encoder"):
        out["labels"] = "token_rep_layer.labels_encoder.model."
    if hasattr(model, "decoder"):
        out["decoder"] = "decoder.decoder_layer.model."
    return out


def backbone_digests(model: nn.Module, skip_rows: dict[str, int] | None = None) -> dict[str, str]:
    """Role -> SHA-256 over that backbone's tensors (names and bytes, in order), leaving out the rows of added
    tokens (``skip_rows``: embedding module -> first added row): what a compact checkpoint is built on."""
    skip_rows = skip_rows or {}
    state = model.state_dict()
    out = {}
    for role, prefix in backbone_prefixes(model).items():
        h = hashlib.sha256()
        for key in (k for k in state if k.startswith(prefix)):
            t = state[key].detach().to("cpu")
            module = key.rsplit(".", 1)[0]
            if module in skip_rows:
                t = t[: skip_rows[module]]
            h.update(key.encode())
            h.update(str(t.dtype).encode())
            h.update(t.contiguous().view(torch.uint8).numpy().tobytes())
        out[role] = h.hexdigest()
    return out


def merge_into(weight: torch.Tensor, a: torch.Tensor, b: torch.Tensor, scale: float) -> None:
    """``weight += scale * (b @ a)`` in place, in the weight's dtype: (out, in) += (out, r) @ (r, in)."""
    weight.add_((b.to(weight.dtype) @ a.to(weight.dtype)) * scale)


def _key(name: str) -> str:
    return name.replace(".", "__")  # parameter names cannot hold dots


class LoRA(nn.Module):
    """Adapters for the Linear layers under ``prefixes`` whose names end with one of ``targets``, and trainable
    embedding rows from ``new_rows[prefix] = first new token id`` on; weights under ``frozen`` are frozen too.

    ``factors`` and ``rows`` are the trainable tensors; ``attach`` hooks them into the model, ``merge`` folds them
    in and removes the hooks. ``scale = alpha / rank``; ``B`` starts at zero, so an attached, untrained LoRA
    leaves the model's outputs unchanged.
    """

    def __init__(self, model: nn.Module, prefixes: Iterable[str], rank: int = 16, alpha: float = 32.0,
                 targets: Iterable[str] = DEFAULT_TARGETS, new_rows: dict[str, int] | None = None,
                 seed: int = 0, frozen: Iterable[str] = ()):
        super().__init__()
        if rank < 1:
            raise ValueError(f"LoRA rank must be a positive integer, got {rank}.")
        self.rank, self.alpha, self.scale = rank, float(alpha), float(alpha) / rank
        prefixes, targets = tuple(prefixes), tuple(targets)
        self.frozen = prefixes + tuple(frozen)  # backbones without adapters (e.g. a decoder LM) stay fixed too
        generator = torch.Generator().manual_seed(seed)
        self.targets: list[str] = []  # module names, in model order
        self.lora_a, self.lora_b = nn.ParameterDict(), nn.ParameterDict()
        for name, module in model.named_modules():
            if (isinstance(module, nn.Linear) and name.startswith(tuple(p.rstrip(".") for p in prefixes))
                    and any(name == t or name.endswith("." + t) for t in targets)):
                a = torch.empty(rank, module.in_features)
                bound = 1 / math.sqrt(module.in_features)  # kaiming-uniform(a=sqrt(5)), as nn.Linear and peft
                a.uniform_(-bound, bound, generator=generator)
                self.lora_a[_key(name)] = nn.Parameter(a)
                self.lora_b[_key(name)] = nn.Parameter(torch.zeros(module.out_features, rank))
                self.targets.append(name)
        if not self.targets:
            raise ValueError(f"No Linear layer under {prefixes} matches the LoRA targets {targets}.")
        self.row_starts = dict(new_rows or {})  # embedding module name -> first trainable row
        self.rows = nn.ParameterDict()
        modules = dict(model.named_modules())
        for name, start in self.row_starts.items():
            weight = modules[name].weight
            self.rows[_key(name)] = nn.Parameter(weight.detach()[start:].clone())  # (new tokens, H)
        self.base_digests = backbone_digests(model, self.row_starts)
        self._hooks: list = []
        self._model = [model]  # a list: not registered as a submodule

    # ------------------------------------------------------------------------------------------ hooks
    def attach(self) -> LoRA:
        """Freeze the backbones (every weight under the prefixes) and route the adapters and new rows in through
        forward hooks."""
        model = self._model[0]
        for name, p in model.named_parameters():
            if name.startswith(self.frozen):
                p.requires_grad_(False)
        modules = dict(model.named_modules())
        for name in self.targets:
            self._hooks.append(modules[name].register_forward_hook(self._linear_hook(name)))
        for name, start in self.row_starts.items():
            self._hooks.append(modules[name].register_forward_hook(self._rows_hook(name, start)))
        return self

    def _linear_hook(self, name: str):
        a, b = self.lora_a[_key(name)], self.lora_b[_key(name)]

        def hook(module, inputs, output):  # output (..., out) += scale * ((x A^T) B^T)
            return output + (inputs[0] @ a.T @ b.T) * self.scale

        return hook

    def _rows_hook(self, name: str, start: int):
        rows = self.rows[_key(name)]

        def hook(module, inputs, output):  # output (B, L, H): new-token positions read the trainable rows
            ids = inputs[0]
            new = ids >= start
            if not bool(new.any()):
                return output
            index = (ids - start).clamp(min=0)
            return torch.where(new[..., None], rows[index], output)

        return hook

    def detach_hooks(self) -> None:
        for h in self._hooks:
            h.remove()
        self._hooks = []

    @torch.no_grad()
    def merge(self) -> None:
        """Fold the adapters and rows into the model's weights and remove the hooks (outputs unchanged)."""
        self.detach_hooks()
        modules = dict(self._model[0].named_modules())
        for name in self.targets:
            merge_into(modules[name].weight, self.lora_a[_key(name)], self.lora_b[_key(name)], self.scale)
        for name, start in self.row_starts.items():
            modules[name].weight[start:] = self.rows[_key(name)]

    # ------------------------------------------------------------------------------------------ state
    def factors(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """Module name -> (A (r, in), B (out, r))."""
        return {n: (self.lora_a[_key(n)].detach(), self.lora_b[_key(n)].detach()) for n in self.targets}

    def new_rows(self) -> dict[str, tuple[int, torch.Tensor]]:
        """Embedding module name -> (first row, rows (N, H))."""
        return {n: (s, self.rows[_key(n)].detach()) for n, s in self.row_starts.items()}
