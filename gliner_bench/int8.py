"""``Int8Linear``: an ``nn.Linear`` in int8, with a scale per output channel and one per token.

    y = (round(x / s_x) @ round(W / s_w)^T) * s_x * s_w + b

``s_w`` (out,): max |W| of each output row / 127, fixed at conversion. ``s_x`` (N, 1): max |x| of each token
(row of the flattened input) / 127, computed per call, so a token's result never depends on the other rows of
its batch. The product runs as int8 x int8 -> int32 (``torch._int_mm``, VNNI / AMX on x86).
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


class Int8Linear(nn.Module):
    """Inference-only int8 replacement of a Linear(in, out)."""

    def __init__(self, linear: nn.Linear):
        super().__init__()
        w = linear.weight.detach().float()  # (out, in)
        scale = w.abs().amax(dim=1).clamp_min(1e-12) / _QMAX  # (out,)
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.register_buffer("weight_t", torch.round(w / scale[:, None]).to(torch.int8).t().contiguous())  # (in, out)
        self.register_buffer("weight_scale", scale)
        self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().float().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x (..., in) -> (..., out)
        rows = x.reshape(-1, self.in_features).float()  # (N, in)
        scale = rows.abs().amax(dim=1, keepdim=True).clamp_min(1e-12) / _QMAX  # (N, 1)
        q = torch.round(rows / scale).to(torch.int8)  # (N, in)
        y = torch._int_mm(q, self.weight_t).float() * scale * self.weight_scale  # (N, out)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, int8"

    @classmethod
    def swap_into(cls, module: nn.Module) -> int:
        """Replace every ``nn.Linear`` under ``module`` in place; returns how many."""
        count = 0
        for name, child in module.named_children():
            if type(child) is nn.Linear:
                setattr(module, name, cls(child))
                count += 1
            else:
                count += cls.swap_into(child)
        return count
