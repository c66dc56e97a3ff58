"""The reference's ``from_pretrained`` keywords (gliner 0.2.29), read into what ``GLiNER.from_pretrained`` does.

A script written for the reference passes them (model cards show ``load_tokenizer=True``); each is accepted:

- those that apply do what the reference does: ``token`` and ``force_download`` (hub download), ``quantize="int8"``
  and ``dtype`` (our encoder ``precision``), ``compile_torch_model`` (``torch.compile``), ``max_width`` (the widest
  span, a config override like ``max_length``), ``load_onnx_model`` (our ONNX export folders load as such anyway:
  the keyword checks that the folder is one);
- those without an equivalent are accepted with one warning naming them and why, when they differ from the
  reference's defaults;
- anything else is a ``TypeError`` naming the nearest keyword.

Pure: no model is touched here.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass, field
from typing import Any

# keyword -> (the reference's default, why it changes nothing here)
IGNORED: dict[str, tuple[Any, str]] = {
    "proxies": (None, "set HTTP(S)_PROXY for huggingface_hub instead"),
    "resume_download": (False, "huggingface_hub always resumes"),
    "strict": (False, "weights are always checked: a missing or unexpected tensor is an error"),
    "load_tokenizer": (None, "the tokenizer is always loaded"),
    "resize_token_embeddings": (True, "embeddings are always sized to the checkpoint's vocabulary"),
    "low_cpu_mem_usage": (False, "the model is built once and loaded in place"),
    "variant": (None, "a checkpoint has one weights file"),
    "onnx_model_file": ("model.onnx", "an export folder names its graphs in onnx_export.json"),
    "session_options": (None, "onnxruntime sessions use gliner-bench's options"),
    "post_fusion_schema": (None, "no post-fusion layer is implemented"),
    "_attn_implementation": (None, "the backbone's default attention is used"),
    "runtime": (None, "the runtime follows the folder: torch weights or an ONNX export"),
    "runtime_model_file": (None, "the runtime follows the folder"),
    "runtime_options": (None, "the runtime follows the folder"),
    "model_dir": (None, "pass the directory as model_id"),
}
APPLIED = ("token", "force_download", "quantize", "dtype", "compile_torch_model", "max_width", "load_onnx_model")
_DTYPES = {"float32": "fp32", "fp32": "fp32", "bfloat16": "bf16", "bf16": "bf16"}


@dataclass(frozen=True)
class LoadOptions:
    token: str | bool | None = None
    force_download: bool = False
    precision: str | None = None  # from quantize / dtype; None: the caller's precision=
    compile: bool = False
    max_width: int | None = None
    expect_onnx: bool = False
    ignored: tuple[str, ...] = field(default=())


def read(kwargs: dict[str, Any], known: tuple[str, ...] = ()) -> LoadOptions:
    """The reference's keywords in ``kwargs`` -> ``LoadOptions``; warns once for the ignored ones that were set.
    ``known``: ``from_pretrained``'s own keywords (offered as suggestions for a misspelt one)."""
    unknown = [k for k in kwargs if k not in IGNORED and k not in APPLIED]
    if unknown:
        choices = [*known, *APPLIED, *IGNORED]
        nearest = difflib.get_close_matches(unknown[0], choices, n=1, cutoff=0.6)
        hint = f" Did you mean {nearest[0]!r}?" if nearest else ""
        raise TypeError(f"from_pretrained got an unknown keyword {unknown[0]!r}.{hint}")
    ignored = tuple(k for k, (default, _) in IGNORED.items() if k in kwargs and kwargs[k] != default)
    if ignored:
        warnings.warn("from_pretrained ignores " + "; ".join(f"{k} ({IGNORED[k][1]})" for k in ignored) + ".",
                      UserWarning, stacklevel=3)
    return LoadOptions(token=kwargs.get("token"), force_download=bool(kwargs.get("force_download", False)),
                       precision=_precision(kwargs.get("quantize"), kwargs.get("dtype")),
                       compile=bool(kwargs.get("compile_torch_model", False)),
                       max_width=_max_width(kwargs.get("max_width")),
                       expect_onnx=bool(kwargs.get("load_onnx_model", False)), ignored=ignored)


def _precision(quantize, dtype) -> str | None:
    """The reference's ``quantize`` (dynamic int8 Linear layers) and ``dtype`` as our encoder precision."""
    chosen = []
    if quantize not in (None, False):
        if quantize not in (True, "int8"):
            raise ValueError(f"quantize={quantize!r}: only 'int8' (or True) is supported, as in the reference.")
        chosen.append("int8")
    if dtype is not None:
        name = str(dtype).removeprefix("torch.")
        if name not in _DTYPES:
            raise ValueError(f"dtype={dtype!r}: gliner-bench runs encoders in float32 or bfloat16 (or int8 with "
                             "quantize='int8'); pass one of those.")
        chosen.append(_DTYPES[name])
    if len(set(chosen)) > 1:
        raise ValueError(f"quantize={quantize!r} and dtype={dtype!r} ask for two precisions; pass one.")
    return chosen[0] if chosen else None


def _max_width(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_width={value!r}: the widest span in words, a positive integer.")
    return value
