"""Inference precision: ``fp32`` (the default), ``bf16`` and ``int8`` for the encoders, heads kept in fp32.

What runs in lower precision is every ``Backbone`` (the text encoder and a bi-encoder's label encoder), where
nearly all the time goes; the projections and heads that turn its output into scores stay in fp32, so scores
keep their resolution and the greedy decoder sees no extra ties. A decoder's causal LM stays fp32.

- ``int8``: every ``nn.Linear`` of the backbones becomes an ``Int8Linear``: int8 weights with one scale per
  output channel, and each token's activations quantised to int8 with its own scale, multiplied in int8 with
  int32 accumulation (``torch._int_mm``). Per-token scales keep a text's result independent of what else is
  in its batch, which torch's dynamic quantisation (one activation scale per batch) does not. Each Linear is
  first smoothed (``smoothing.py``, calibrated on the package's sample sentences), moving the activations'
  outlier channels into the weights: on WNUT-16 the four uni and bi defaults keep 97.2-99.1% of fp32's entities
  (94.8-96.4% unsmoothed; ``scripts/bench/precision_accuracy.py``). The span head reads its Linear weights
  directly and is never quantised. Needs a CPU whose int8 product is exact (VNNI or AMX); elsewhere (AVX2, AVX-512
  without VNNI) the product saturates and drops entities (``int8.py``), so it falls back to fp32 with a warning
  that names the ONNX int8 export, exact on every x86 CPU.
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
    from collections.abc import Callable

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


def apply_precision(model: nn.Module, precision: str, device: str | torch.device = "cpu",
                    calibrate: Callable[[], dict] | None = None) -> str:
    """Convert ``model``'s backbones in place; returns the precision that took effect (bf16 may fall back).
    ``calibrate``: for int8, returns the fp32 model's per-channel activation maxima (``smoothing.activation_maxima``)
    from which each Linear is smoothed before it is quantised."""
    check_precision(precision)
    if precision == "fp32":
        return precision
    import torch

    from ..modeling.encoder import Backbone

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
    from .int8 import Int8Linear, int8_matmul_available, int8_product_exact

    if not int8_matmul_available():
        raise RuntimeError("precision='int8' needs torch's int8 matrix product (torch._int_mm), which this torch "
                           f"({torch.__version__}) lacks on the CPU; use precision='fp32' or 'bf16', or torch>=2.2.")
    if not int8_product_exact():
        message = ("int8 requested, but this CPU's int8 product saturates (no VNNI or AMX: it would keep only 88-94% "
                   "of fp32's entities): using fp32. For int8 here, export to ONNX (`gliner-bench export --quantize "
                   "int8`, or model.export_to_onnx(path, quantize=True)), whose u8u8 scheme is exact on every x86 CPU")
        log.warning(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        return "fp32"
    scales = {}
    if calibrate is not None:
        from .smoothing import smoothing_scales

        scales = smoothing_scales(model, calibrate())  # qualified names under ``model``
    for name, backbone in ((n, m) for n, m in model.named_modules() if isinstance(m, Backbone)):
        prefix = f"{name}.model."
        Int8Linear.swap_into(backbone.model, {k[len(prefix):]: v for k, v in scales.items() if k.startswith(prefix)})
    return precision
