"""The reference's training entry points, on our trainer: ``create_training_args`` and ``train_model(model, ...)``,
which ``GLiNER.create_training_args`` and ``GLiNER.train_model`` call (the api layer sits above training).

``create_training_args(output_dir, learning_rate=5e-5, ...)`` takes the reference's names and defaults and returns a
``TrainingArguments`` holding our ``TrainConfig`` (``RENAMED`` says which field each name sets). Arguments our
trainer has no equivalent for are accepted at the reference's default and refused otherwise, with the reason
(``FIXED``); those that only concern logging or hardware are accepted and change nothing (``NO_EFFECT``).
``train_model(train_dataset, eval_dataset, training_args)`` trains on the reference's data format (``tokenized_text``
+ ``ner``), writes checkpoints and ``final/`` under ``output_dir`` as ``gliner-bench train`` does, and returns a
``TrainResult`` (the steps, the loss history, the final checkpoint's folder, and the evaluation on
``eval_dataset``) instead of a transformers ``Trainer``.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .trainer import TrainConfig

# the reference's argument -> our TrainConfig field, same meaning
RENAMED = {"learning_rate": "lr_encoder", "others_lr": "lr_head", "weight_decay": "weight_decay",
           "focal_loss_alpha": "focal_alpha", "focal_loss_gamma": "focal_gamma", "focal_loss_prob_margin": "prob_margin",
           "negatives": "negatives", "masking": "masking", "warmup_ratio": "warmup_ratio",
           "per_device_train_batch_size": "batch_size", "max_grad_norm": "max_grad_norm", "max_steps": "steps",
           "save_steps": "save_every", "save_total_limit": "keep_checkpoints", "seed": "seed"}
# the reference's argument -> (the only value our trainer implements, why)
FIXED: dict[str, tuple[Any, str]] = {
    "lr_scheduler_type": ("linear", "the schedule is linear warm-up then linear decay"),
    "loss_reduction": ("sum", "the loss is summed, as the reference's default"),
    "others_weight_decay": (None, "one weight decay applies to every parameter"),
    "rel_focal_loss_alpha": (None, "relations use the entity focal settings"),
    "rel_focal_loss_gamma": (None, "relations use the entity focal settings"),
    "bf16": (False, "training runs in fp32"),
}
NO_EFFECT = ("per_device_eval_batch_size", "logging_steps", "use_cpu", "dataloader_num_workers", "report_to",
             "eval_strategy", "evaluation_strategy", "eval_steps", "logging_dir", "overwrite_output_dir",
             "remove_unused_columns", "save_strategy")


@dataclass(frozen=True)
class TrainingArguments:
    output_dir: Path
    config: TrainConfig


@dataclass(frozen=True)
class TrainResult:
    steps: int
    history: list[dict]
    final: Path | None  # the saved model (None when the run stopped before its last step)
    evaluation: tuple[str, float] | None  # ``evaluate`` on eval_dataset, when one was given


def create_training_args(output_dir: str | Path, learning_rate: float = 5e-5, weight_decay: float = 0.01,
                         others_lr: float | None = None, focal_loss_alpha: float = -1, focal_loss_gamma: float = 0.0,
                         focal_loss_prob_margin: float = 0.0, negatives: float = 1.0, masking: str = "none",
                         warmup_ratio: float = 0.1, per_device_train_batch_size: int = 8, max_grad_norm: float = 1.0,
                         max_steps: int = 10000, save_steps: int = 1000, save_total_limit: int = 10,
                         **kwargs) -> TrainingArguments:
    """The reference's ``create_training_args`` (its names and defaults). ``others_lr`` (the heads' learning rate)
    left at None: ``learning_rate`` for every parameter."""
    given = {"learning_rate": learning_rate, "weight_decay": weight_decay,
             "others_lr": learning_rate if others_lr is None else others_lr, "focal_loss_alpha": focal_loss_alpha,
             "focal_loss_gamma": focal_loss_gamma, "focal_loss_prob_margin": focal_loss_prob_margin,
             "negatives": negatives, "masking": masking, "warmup_ratio": warmup_ratio,
             "per_device_train_batch_size": per_device_train_batch_size, "max_grad_norm": max_grad_norm,
             "max_steps": max_steps, "save_steps": save_steps, "save_total_limit": save_total_limit}
    given |= _reference_fields(kwargs)
    config = TrainConfig(**{RENAMED[k]: v for k, v in given.items()})
    return TrainingArguments(Path(output_dir), config)


def _reference_fields(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The reference arguments among ``kwargs`` that set a field (by the reference's name); the others checked."""
    out = {}
    for name, value in kwargs.items():
        if name in RENAMED:
            out[name] = value
        elif name in FIXED:
            allowed, why = FIXED[name]
            if value != allowed:
                raise ValueError(f"{name}={value!r} has no equivalent in gliner-bench's trainer: {why}. Leave it at "
                                 f"{allowed!r}.")
        elif name not in NO_EFFECT:
            known = [*RENAMED, *FIXED, *NO_EFFECT]
            nearest = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f" Did you mean {nearest[0]!r}?" if nearest else ""
            raise TypeError(f"create_training_args got an unknown argument {name!r}.{hint}")
    return out


def train_model(model, train_dataset: Sequence[dict], eval_dataset: Sequence[dict] | None = None,
                training_args: TrainingArguments | None = None, freeze_components: Sequence[str] | None = None,
                compile_model: bool = False, output_dir: str | Path | None = None, **training_kwargs) -> TrainResult:
    """The reference's ``train_model``: ``training_args`` from ``create_training_args``, or its arguments as
    keywords (with ``output_dir``)."""
    from ..evaluation.reference_api import evaluate
    from ..text.records import examples_from_items
    from .trainer import train

    if freeze_components:
        raise ValueError("freeze_components has no equivalent: gliner-bench trains the whole model, or LoRA "
                         "adapters on the backbones (TrainConfig.lora_rank); leave it out.")
    if compile_model:
        raise ValueError("compile_model has no equivalent for training here; compile for inference with "
                         "model.compile() after training.")
    if training_args is None:
        if output_dir is None:
            raise ValueError("Pass training_args=create_training_args(output_dir, ...) or output_dir=.")
        training_args = create_training_args(output_dir, **training_kwargs)
    elif training_kwargs:  # the reference lets keywords override the arguments' fields
        changed = {RENAMED[k]: v for k, v in _reference_fields(training_kwargs).items()}
        training_args = replace(training_args, config=replace(training_args.config, **changed))
    output = Path(output_dir) if output_dir is not None else training_args.output_dir
    result = train(model, examples_from_items(train_dataset, "train_dataset"), output, training_args.config,
                   progress=False)
    final = output / "final"
    evaluation = evaluate(model, eval_dataset) if eval_dataset else None
    return TrainResult(result["steps"], result["history"], final if final.is_dir() else None, evaluation)
