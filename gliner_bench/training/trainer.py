"""The training loop: AdamW with separate learning rates for the encoder and the heads, linear warm-up and
decay, gradient clipping, periodic checkpoints that a restarted run resumes from, a progress bar, seeds.

Deterministic given the seed: step ``i`` draws its batch, label sets and negative masks from generators seeded
by ``(seed, i)``, and the torch RNG (dropout) is saved with each checkpoint, so an interrupted run resumed
from its last checkpoint ends with the same weights as an uninterrupted one (tested).

A checkpoint is ``<output>/checkpoint-<step>/``: the model in the reference's layout (``save_pretrained``) and
``trainer_state.pt`` (optimizer, schedule, step, RNG), read back with ``torch.load(weights_only=True)``.
This first cut trains the uni-encoders and bi-encoders (span and token); relex and decoders are issue 7's
remaining work. A bi-encoder's label encoder has the head learning rate (only the text backbone is "encoder").
"""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..evaluation.data import Example
from .collate import make_batch, sample_label_sets
from .losses import span_loss, token_loss

log = logging.getLogger(__name__)
TRAINABLE = ("UniEncoderSpan", "UniEncoderToken", "BiEncoderSpan", "BiEncoderToken")
STATE_FILE = "trainer_state.pt"


@dataclass
class TrainConfig:
    steps: int = 1000
    batch_size: int = 8
    lr_encoder: float = 1e-5
    lr_head: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    seed: int = 0
    save_every: int = 200
    keep_checkpoints: int = 2
    # the objective (reference defaults: plain BCE, every negative kept)
    focal_alpha: float = -1.0
    focal_gamma: float = 0.0
    label_smoothing: float = 0.0
    prob_margin: float = 0.0
    negatives: float = 1.0
    masking: str = "global"
    # label sets
    max_types: int = 25
    max_neg_type_ratio: int = 1


def _schedule(cfg: TrainConfig):
    warmup = int(cfg.steps * cfg.warmup_ratio)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (cfg.steps - step) / max(1, cfg.steps - warmup))

    return factor


def _optimizer(model, cfg: TrainConfig) -> torch.optim.Optimizer:
    encoder = {id(p) for p in model.model.token_rep_layer.bert_layer.model.parameters()}
    groups = {"encoder": [], "head": []}
    for p in model.model.parameters():
        if p.requires_grad:
            groups["encoder" if id(p) in encoder else "head"].append(p)
    return torch.optim.AdamW([{"params": groups["encoder"], "lr": cfg.lr_encoder},
                              {"params": groups["head"], "lr": cfg.lr_head}], weight_decay=cfg.weight_decay)


def _loss(model, batch, cfg: TrainConfig, generator: torch.Generator) -> torch.Tensor:
    if model.is_bi_encoder:  # the label encoder trains too: label vectors with gradients, every step
        vectors = model.model.encode_labels(batch.label_inputs["input_ids"], batch.label_inputs["attention_mask"])
        out = model.model(batch.inputs, vectors, batch.label_index, batch.label_mask)
    else:
        out = model.model(batch.inputs)
    focal = {"alpha": cfg.focal_alpha, "gamma": cfg.focal_gamma, "label_smoothing": cfg.label_smoothing,
             "prob_margin": cfg.prob_margin}
    if model.config.is_token_level:
        return token_loss(out["logits"], batch.labels, out["word_mask"], out["label_mask"], **focal)
    return span_loss(out["logits"], batch.labels, out["span_mask"], out["label_mask"], negatives=cfg.negatives,
                     masking=cfg.masking, generator=generator, **focal)


def latest_checkpoint(output: Path) -> Path | None:
    found = [p for p in output.glob("checkpoint-*") if (p / STATE_FILE).is_file() and p.name[11:].isdigit()]
    return max(found, key=lambda p: int(p.name[11:]), default=None)


def train(model, examples: Sequence[Example], output: str | Path, cfg: TrainConfig | None = None,
          resume: bool = True, progress: bool = True, stop_after: int | None = None) -> dict:
    """Train ``model`` (a GLiNER, fresh or loaded: fine-tuning is the same) in place; the final model is saved to
    ``output/final``. ``stop_after`` ends the run early after that many steps of this call (to test resuming)."""
    cfg = cfg or TrainConfig()
    if model.config.architecture not in TRAINABLE:
        raise NotImplementedError(f"Training {model.config.architecture} is not implemented yet; trainable: "
                                  f"{', '.join(TRAINABLE)}.")
    if not examples:
        raise ValueError("No training examples (all were empty or malformed?).")
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    optimizer = _optimizer(model, cfg)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(cfg))
    step, history = 0, []
    last = latest_checkpoint(output) if resume else None
    if last is not None:
        state = torch.load(last / STATE_FILE, weights_only=True)
        from .. import checkpoint as ckpt

        weights, _ = ckpt.map_reference_state_dict(ckpt.read_state_dict(last), model.model,
                                                   model.config.architecture, str(last))
        model.model.load_state_dict(weights, strict=True)
        if model.is_bi_encoder:
            model.clear_label_cache()
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        step, history = int(state["step"]), json.loads(state["history"])
        log.info("resumed from %s (step %d)", last, step)
    (output / "train_config.json").write_text(json.dumps(asdict(cfg), indent=2) + "\n", encoding="utf-8")
    from tqdm.auto import tqdm

    bar = tqdm(total=cfg.steps, initial=step, disable=not progress, desc="train", unit="step")
    model.model.train()
    dropped = 0
    per_epoch = math.ceil(len(examples) / cfg.batch_size)
    ran = 0
    while step < cfg.steps and (stop_after is None or ran < stop_after):
        epoch, offset = divmod(step, per_epoch)
        order = list(range(len(examples)))
        random.Random(f"{cfg.seed}:epoch:{epoch}").shuffle(order)
        chunk = [examples[i] for i in order[offset * cfg.batch_size:(offset + 1) * cfg.batch_size]]
        rng = random.Random(f"{cfg.seed}:step:{step}")
        label_sets = sample_label_sets(chunk, rng, cfg.max_types, cfg.max_neg_type_ratio)
        batch = make_batch(model, chunk, label_sets)
        dropped += batch.dropped_entities
        generator = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
        loss = _loss(model, batch, cfg, generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.model.parameters(), cfg.max_grad_norm)
        optimizer.step()
        scheduler.step()
        step += 1
        ran += 1
        history.append({"step": step, "loss": loss.item(), "lr_head": scheduler.get_last_lr()[1]})
        bar.update(1)
        bar.set_postfix(loss=f"{history[-1]['loss']:.3f}")
        if step % cfg.save_every == 0 or step == cfg.steps:
            _save(model, optimizer, scheduler, step, history, output, cfg.keep_checkpoints)
    bar.close()
    model.model.eval()
    if model.is_bi_encoder:
        model.clear_label_cache()  # cached label vectors came from the weights before training
    if step >= cfg.steps:
        model.save_pretrained(output / "final")
    if dropped:
        log.info("%d gold spans were not trainable (wider than max_width, or cut with a long text)", dropped)
    return {"steps": step, "history": history, "dropped_entities": dropped}


def _save(model, optimizer, scheduler, step: int, history: list, output: Path, keep: int) -> None:
    target = output / f"checkpoint-{step}"
    model.save_pretrained(target)
    tmp = target / f".{STATE_FILE}.tmp"
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "step": step,
                "torch_rng": torch.get_rng_state(), "history": json.dumps(history)}, tmp)
    tmp.replace(target / STATE_FILE)  # the state file appears last: a checkpoint without it is ignored
    old = sorted((p for p in output.glob("checkpoint-*") if p != target and p.name[11:].isdigit()),
                 key=lambda p: int(p.name[11:]))
    for p in old[:max(0, len(old) - (keep - 1))]:
        shutil.rmtree(p)
