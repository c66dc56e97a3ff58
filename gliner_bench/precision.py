"""Inference precision: ``fp32`` (the default), ``bf16`` and ``int8`` for the encoders, heads kept in fp32.

What runs in lower precision is every ``Backbone`` (the text encoder and a bi-encoder's label encoder), where
nearly all the time goes; the projections and heads that turn its output into scores stay in fp32, so scores
keep their resolution and the greedy decoder sees no extra ties. A decoder's causal LM stays fp32.

- ``int8``: torch's dynamic quantisation of the backbones' ``nn.Linear`` layers (int8 weights with one scale
  per output channel, activations quantised per batch). The span head reads its Linear weights directly and is never quantised.
- ``bf16``: the backbones' weights in bfloat16 and their output cast back to fp32. Needs a CPU with native
  bfloat16 (AVX512-BF16 or AMX); elsewhere it would be slower than fp32, so it falls back to fp32 with a warning.

Applied once, in place, after loading (``GLiNER.from_pretrained(..., precision=)``); a model in lower precision
cannot be saved (save the fp32 one; precision is a loading option).
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported on use: the CLI reads PRECISIONS before any model
    import torch
    from torch import nn

log = logging.getLogger("gliner_bench")

PRECISIONS = ("fp32", "bf16", "int8")


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"Unknown precision {precision!r}; expected one of: {', '.join(PRECISIONS)} "
                         "(fp32: full precision; bf16: bfloat16 encoders; int8: dynamically quantised encoders).")
    return precision


def bf16_supported() -> bool:
    """Whether this CPU runs bfloat16 matrix products natively (oneDNN's own check)."""
    import torch

    return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())


def apply_precision(model: nn.Module, precision: str, device: str | torch.device = "cpu") -> str:
    """Convert ``model``'s backbones in place; returns the precision that took effect (bf16 may fall back)."""
    check_precision(precision)
    if precision == "fp32":
        return precision
    import torch

    from .modeling.encoder import Backbone

    if torch.device(device).type != "cpu":
        raise ValueError(f"precision={precision!r} is a CPU inference path; on {device} load in fp32 and use "
                         "torch.autocast or model.half() instead.")
    backbones = [m for m in model.modules() if isinstance(m, Backbone)]
    if precision == "bf16":
        if not bf16_supported():
            message = ("bf16 requested, but this CPU has no native bfloat16 (AVX512-BF16 or AMX), where it runs "
                       "slower than fp32: using fp32")
            log.warning(message)
            warnings.warn(message, RuntimeWarning, stacklevel=3)
            return "fp32"
        for backbone in backbones:
            backbone.model.to(torch.bfloat16)
            backbone.output_dtype = torch.float32
        return precision
    for backbone in backbones:
        backbone.model = _quantize_linears(backbone.model)
    return precision


def _quantize_linears(module: nn.Module) -> nn.Module:
    """Dynamic int8 quantisation of every ``nn.Linear`` (torch's deprecation notices silenced: the path is
    still the supported one in the pinned torch)."""
    import torch
    from torch import nn

    with warnings.catch_warnings():
        for category in (DeprecationWarning, UserWarning, FutureWarning):
            warnings.simplefilter("ignore", category)
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

        return quantize_dynamic(module, {nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)
