"""``Int8Linear``: an ``nn.Linear`` in int8, with a scale per output channel and one per token.

    y = (round(x / s_x) @ round(W / s_w)^T) * s_x * s_w + b

``s_w`` (out,): max |W| of each output row / 127, fixed at conversion. ``s_x`` (N, 1): max |x| of each token
(row of the flattened input) / 127, computed per call, so a token's result never depends on the other rows of
its batch. The product runs as int8 x int8 -> int32 (``torch._int_mm``, VNNI / AMX on x86).

Without VNNI the product is not exact: oneDNN's AVX2 kernel shifts the activations to uint8 and adds pairs of
u8 x s8 products in saturating int16 (``vpmaddubsw``), so full-range weights clip (``int8_product_exact``). Measured
with oneDNN held to AVX2 on a VNNI CPU, WNUT-16's first 400 test tweets: uni-span kept 93.5% of fp32's entities
(99.5% with VNNI), uni-token 88.0% (97.0%). 7-bit weights make the AVX2 product exact but keep only 96.3% on
uni-span, below the 97% bound, so ``precision.apply_precision`` runs such CPUs in fp32 instead.

With a smoothing vector ``s`` (in,) (``smoothing.py``), ``W`` is stored as ``W * s`` and each token as ``x / s``
before its scale is taken: the same product, with the activations' outlier channels moved into the weights.
"""

from __future__ import annotations

from functools import cache

import torch
from torch import nn

_QMAX = 127.0


@cache
def int8_matmul_available() -> bool:
    """Whether this torch multiplies int8 matrices on the CPU (probed once on a tiny product)."""
    try:
        a = torch.ones(17, 8, dtype=torch.int8)
        return bool(torch._int_mm(a, torch.ones(8, 8, dtype=torch.int8))[0, 0].item() == 8)
    except (AttributeError, RuntimeError, NotImplementedError):
        return False


@cache
def int8_product_exact() -> bool:
    """Whether ``torch._int_mm`` multiplies full-range int8 matrices exactly on this CPU. Probed once on the kernel
    itself (so it also sees ``ONEDNN_MAX_CPU_ISA``): 64 products of 127 x 127 sum to 1,032,256; an AVX2 kernel
    without VNNI gives 8,160. Also checks a fixed random product with mixed signs."""
    if not int8_matmul_available():
        return False
    full = torch._int_mm(torch.full((17, 64), 127, dtype=torch.int8), torch.full((64, 8), 127, dtype=torch.int8))
    rng = torch.Generator().manual_seed(0)
    a = torch.randint(-127, 128, (17, 64), dtype=torch.int8, generator=rng)  # (17, 64)
    w = torch.randint(-127, 128, (64, 8), dtype=torch.int8, generator=rng)  # (64, 8)
    mixed = torch.equal(torch._int_mm(a, w).double(), a.double() @ w.double())  # exact in float64: |sum| < 2^53
    return bool((full == 64 * 127 * 127).all().item()) and mixed


class Int8Linear(nn.Module):
    """Inference-only int8 replacement of a Linear(in, out)."""

    def __init__(self, linear: nn.Linear, smoothing: torch.Tensor | None = None):
        super().__init__()
        w = linear.weight.detach().float()  # (out, in)
        if smoothing is not None:
            w = w * smoothing[None, :]
        self.register_buffer("inverse_smoothing", None if smoothing is None else 1.0 / smoothing.float())  # (in,)
        scale = w.abs().amax(dim=1).clamp_min(1e-12) / _QMAX  # (out,)
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("weight_t", torch.round(w / scale[:, None]).to(torch.int8).t().contiguous())  # (in, out)
        self.register_buffer("weight_scale", scale)
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().float().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x (..., in) -> (..., out)
        rows = x.reshape(-1, self.in_features).float()  # (N, in)
        if self.inverse_smoothing is not None:
            rows = rows * self.inverse_smoothing
        scale = rows.abs().amax(dim=1, keepdim=True).clamp_min(1e-12) / _QMAX  # (N, 1)
        q = torch.round(rows / scale).to(torch.int8)  # (N, in)
        y = torch._int_mm(q, self.weight_t).float() * scale * self.weight_scale  # (N, out)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    def extra_repr(self) -> str:
        smoothed = ", smoothed" if self.inverse_smoothing is not None else ""
        return f"in_features={self.in_features}, out_features={self.out_features}, int8{smoothed}"

    @classmethod
    def swap_into(cls, module: nn.Module, smoothing: dict[str, torch.Tensor] | None = None, prefix: str = "") -> int:
        """Replace every ``nn.Linear`` under ``module`` in place, smoothed by ``smoothing[qualified name]`` where
        given (names relative to ``module``); returns how many."""
        count = 0
        for name, child in module.named_children():
            if type(child) is nn.Linear:
                setattr(module, name, cls(child, (smoothing or {}).get(prefix + name)))
                count += 1
            else:
                count += cls.swap_into(child, smoothing, f"{prefix}{name}.")
        return count
