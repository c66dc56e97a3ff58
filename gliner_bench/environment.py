"""What a figure was measured on: device, threads, versions. Recorded next to every benchmark figure."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe(device: str = "cpu") -> dict:
    import torch
    import transformers

    from .version import __version__

    info = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "device": device,
        "device_name": torch.cuda.get_device_name() if device.startswith("cuda") else cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "gliner_bench": __version__,
        "platform": platform.platform(),
    }
    return info
