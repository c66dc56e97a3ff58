"""How the app serves each model: the fastest path that keeps its answers, or fp32 torch with a note saying why not.

``serving="int8"`` (the app's default): a uni- or bi-encoder is exported to ONNX with int8 encoder MatMuls
(``runtimes/onnx/export.py``, the "u8u8" scheme: the same answers on every x86 CPU, >= 97.4% of fp32's entities on
WNUT-16 dev) into a temporary folder the pool owns, and served through onnxruntime. Decoders and relex models have no
ONNX graphs and run in torch fp32. When an exportable model cannot be exported (onnxruntime missing, an export
error), it runs in torch fp32 and every panel of that model says so. ``serving="fp32"``: torch fp32 everywhere.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SERVING = ("int8", "fp32")
INT8 = "ONNX int8"
FP32 = "torch fp32"


@dataclass(frozen=True)
class Served:
    model: object  # a GLiNER (torch or ONNX backed)
    backend: str  # INT8 or FP32
    note: str = ""  # why a model int8 was asked for runs in fp32 ("" otherwise)


def check_serving(serving: str) -> str:
    if serving not in SERVING:
        raise ValueError(f"Unknown serving {serving!r}; use 'int8' (ONNX int8 for the uni- and bi-encoders, fp32 "
                         "torch for the others) or 'fp32' (torch fp32 for every model).")
    return serving


def serve(model, name: str, serving: str, workdir: Path | None) -> Served:
    """``model`` (a loaded fp32 ``GLiNER``) as the app serves it. ``workdir``: where exports are written (needed
    with ``serving="int8"`` only)."""
    from ..runtimes.onnx.export import EXPORTABLE

    if check_serving(serving) == "fp32" or model.config.architecture not in EXPORTABLE:
        return Served(model, FP32)
    try:
        from ..model import GLiNER
        from ..runtimes.onnx.export import export_onnx

        folder = export_onnx(model, Path(tempfile.mkdtemp(prefix=f"{_safe(name)}-", dir=workdir)), quantize="int8")
        return Served(GLiNER.from_pretrained(str(folder)), INT8)
    except Exception as err:  # onnxruntime missing, or an export error: fp32 keeps the model served
        log.warning("%s: int8 serving unavailable, serving torch fp32 (%s)", name, err)
        return Served(model, FP32, f"int8 unavailable ({type(err).__name__}: {_first_line(err)}); served in fp32")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:40] or "model"


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0][:160] if text else "no message"
