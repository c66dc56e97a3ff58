"""What a figure was measured on: device, threads, versions. Recorded next to every benchmark figure."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from functools import cache


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# The instruction-set extensions a CPU figure depends on: int8 products (VNNI: AVX512-VNNI or AVX-VNNI; without it
# onnxruntime's u8 x s8 kernels sum pairs of products in saturating 16 bits), bfloat16 (AVX512-BF16, AMX-BF16) and
# AMX tiles. Names as Linux's /proc/cpuinfo spells them.
ISA_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16")


def parse_cpu_flags(cpuinfo: str) -> tuple[str, ...]:
    """The ``ISA_FLAGS`` present in the first ``flags`` line of a /proc/cpuinfo text, in ``ISA_FLAGS`` order."""
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            present = set(line.split(":", 1)[1].split())
            return tuple(f for f in ISA_FLAGS if f in present)
    return ()


@cache
def cpu_flags() -> tuple[str, ...]:
    """This CPU's ``ISA_FLAGS`` (empty where /proc/cpuinfo cannot be read: not Linux, or not x86)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return parse_cpu_flags(f.read())
    except OSError:
        return ()


def has_vnni(flags: tuple[str, ...] | None = None) -> bool:
    flags = cpu_flags() if flags is None else flags
    return "avx512_vnni" in flags or "avx_vnni" in flags or "amx_int8" in flags


def describe(device: str = "cpu") -> dict:
    import torch
    import transformers

    from ..version import __version__

    info = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "device": device,
        "device_name": torch.cuda.get_device_name() if device.startswith("cuda") else cpu_name(),
        "cpu_flags": list(cpu_flags()),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "gliner_bench": __version__,
        "platform": platform.platform(),
    }
    return info
