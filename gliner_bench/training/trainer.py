"""The training loop: AdamW with separate learning rates for the encoder and the heads, linear warm-up and
decay, gradient clipping, periodic checkpoints that a restarted run resumes from, a progress bar, seeds.

Deterministic given the seed: step ``i`` draws its batch, label sets and negative masks from generators seeded
by ``(seed, i)``, and the torch RNG (dropout) is saved with each checkpoint, so an interrupted run resumed
from its last checkpoint ends with the same weights as an uninterrupted one (tested).

A checkpoint is ``<output>/checkpoint-<step>/``: the model in the reference's layout (``save_pretrained``) and
``trainer_state.pt`` (optimizer, schedule, step, RNG), read back with ``torch.load(weights_only=True)``.
All eight architectures train; what differs per family is in ``objectives.py``. A bi-encoder's label encoder
has the head learning rate (only the text backbone is "encoder").
"""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..checkpoints.delta import save_delta
from ..checkpoints.lora import LoRA, backbone_prefixes
from ..text.records import Example
from .collate import make_batch
from .objectives import Objective, objective_for

log = logging.getLogger(__name__)
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
    min_negatives: int = 0  # negative types per example at least (0: upstream's sampling)
    corpus_negatives: int = 0  # more negatives per example from every type name of the training set (ours)
    # batches of similar lengths (less padding: a span model's cost grows with the longest text of a batch)
    group_by_length: bool = True
    # LoRA on the pretrained backbones (0: fine-tune them fully); the adapters and new token rows get lr_encoder
    lora_rank: int = 0
    lora_alpha: float = 32.0
    # relex: each example with relations appears this many times per epoch (silver relations are rare: ~4% of
    # the built corpus's sentences have one)
    relation_repeats: int = 1


def _schedule(cfg: TrainConfig):
    warmup = int(cfg.steps * cfg.warmup_ratio)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (cfg.steps - step) / max(1, cfg.steps - warmup))

    return factor


def _optimizer(model, cfg: TrainConfig, lora: LoRA | None = None) -> torch.optim.Optimizer:
    encoder = {id(p) for p in model.text_encoder().parameters()}
    groups = {"encoder": [] if lora is None else list(lora.parameters()), "head": []}
    for p in model.model.parameters():
        if p.requires_grad:
            groups["encoder" if id(p) in encoder else "head"].append(p)
    return torch.optim.AdamW([{"params": groups["encoder"], "lr": cfg.lr_encoder},
                              {"params": groups["head"], "lr": cfg.lr_head}], weight_decay=cfg.weight_decay)


def make_lora(model, cfg: TrainConfig) -> LoRA:
    """Adapters on the text (and label) encoders; a uni-encoder's added prompt tokens train as new embedding
    rows. A decoder's causal LM stays frozen: its prefix comes from the trained ``_enc2dec_proj``, and LoRA on
    SmolLM2's 30 layers would not fit the 8 MB budget with the heads."""
    net = model.model
    roles = backbone_prefixes(net)
    prefixes = [p for role, p in roles.items() if role != "decoder"]
    rows = {}
    embeddings = model.text_encoder().get_input_embeddings()
    base_vocab = model.tokenizer.vocab_size  # rows past it are the tokens GLiNER added (<<ENT>>, <<SEP>>, ...)
    if embeddings.weight.size(0) > base_vocab:
        name = next(n for n, m in net.named_modules() if m is embeddings)
        rows[name] = base_vocab
    return LoRA(net, prefixes, rank=cfg.lora_rank, alpha=cfg.lora_alpha, new_rows=rows, seed=cfg.seed,
                frozen=[p for role, p in roles.items() if role == "decoder"])


def epoch_batches(lengths: Sequence[int], batch_size: int, seed: int, epoch: int, group: bool) -> list[list[int]]:
    """One epoch's batches of example indices: shuffled; with ``group``, each run of 32 batches' worth of
    examples is sorted by length before it is cut into batches, and the batches are shuffled again."""
    order = list(range(len(lengths)))
    rng = random.Random(f"{seed}:epoch:{epoch}")
    rng.shuffle(order)
    if not group:
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    window = batch_size * 32
    batches = []
    for i in range(0, len(order), window):
        run = sorted(order[i:i + window], key=lambda j: lengths[j])
        batches += [run[k:k + batch_size] for k in range(0, len(run), batch_size)]
    rng.shuffle(batches)
    return batches


def _loss(objective: Objective, model, batch, cfg: TrainConfig, generator: torch.Generator) -> torch.Tensor:
    """The batch's summed objective: entities (span or token), plus what the family adds (relations and
    adjacency for relex, generation for decoders; weighted by the config's ``*_loss_coef``, as upstream)."""
    focal = {"alpha": cfg.focal_alpha, "gamma": cfg.focal_gamma, "label_smoothing": cfg.label_smoothing,
             "prob_margin": cfg.prob_margin}
    return objective.loss(model, batch, cfg, generator, focal)


def latest_checkpoint(output: Path) -> Path | None:
    found = [p for p in output.glob("checkpoint-*") if (p / STATE_FILE).is_file() and p.name[11:].isdigit()]
    return max(found, key=lambda p: int(p.name[11:]), default=None)


def train(model, examples: Sequence[Example], output: str | Path, cfg: TrainConfig | None = None,
          resume: bool = True, progress: bool = True, stop_after: int | None = None,
          synonyms: Mapping[str, str] | None = None) -> dict:
    """Train ``model`` (a GLiNER, fresh or loaded: fine-tuning is the same) in place; the final model is saved to
    ``output/final``. ``stop_after`` ends the run early after that many steps of this call (to test resuming).
    ``synonyms`` (type name -> group) keeps a positive's synonyms out of its negatives (``sample_label_sets``)."""
    cfg = cfg or TrainConfig()
    objective = objective_for(model)  # the family's training steps; refuses a family it cannot train
    if not examples:
        raise ValueError("No training examples (all were empty or malformed?).")
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    lora = make_lora(model, cfg).attach() if cfg.lora_rank > 0 else None
    compact = lora is not None and delta_base_is_packaged(model, lora)
    if lora is not None and not compact:
        log.info("the backbones are not the packaged ones the config names (this model was fine-tuned before, "
                 "e.g. a bundled default): the run saves full checkpoints, not compact deltas")
    optimizer = _optimizer(model, cfg, lora)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(cfg))
    last = latest_checkpoint(output) if resume else None
    step, history = _resume(objective, model, lora, optimizer, scheduler, last) if last is not None else (0, [])
    (output / "train_config.json").write_text(json.dumps(asdict(cfg), indent=2) + "\n", encoding="utf-8")
    from tqdm.auto import tqdm

    bar = tqdm(total=cfg.steps, initial=step, disable=not progress, desc="train", unit="step")
    model.model.train()
    dropped = 0
    examples = objective.examples(examples, cfg)
    per_epoch = math.ceil(len(examples) / cfg.batch_size)
    lengths = [len(ex.tokens) for ex in examples]
    batches, batches_epoch = [], -1
    ran = 0
    params = [p for group in optimizer.param_groups for p in group["params"]]
    corpus_types = sorted({t for ex in examples for *_, t in ex.entities}) if cfg.corpus_negatives else []
    while step < cfg.steps and (stop_after is None or ran < stop_after):
        epoch, offset = divmod(step, per_epoch)
        if epoch != batches_epoch:
            batches, batches_epoch = epoch_batches(lengths, cfg.batch_size, cfg.seed, epoch, cfg.group_by_length), epoch
        loss, batch = _step(objective, model, [examples[i] for i in batches[offset]], step, cfg, synonyms,
                            optimizer, scheduler, params, corpus_types)
        dropped += batch.dropped_entities
        step += 1
        ran += 1
        history.append({"step": step, "loss": loss.item(), "lr_head": scheduler.get_last_lr()[1]})
        bar.update(1)
        bar.set_postfix(loss=f"{history[-1]['loss']:.3f}")
        if step % cfg.save_every == 0 or step == cfg.steps:
            _save(model, lora, optimizer, scheduler, step, history, output, cfg.keep_checkpoints, compact)
    bar.close()
    model.model.eval()
    objective.weights_changed(model)  # e.g. cached label vectors came from the weights before training
    if lora is None:
        if step >= cfg.steps:
            model.save_pretrained(output / "final")
    elif compact:
        if step >= cfg.steps:
            _round_to_storage(model, lora)  # the model in memory is then the model the delta rebuilds
            save_delta(model, lora, output / "final")
        lora.merge()
    else:
        lora.merge()
        if step >= cfg.steps:  # a delta on these backbones would not rebuild: it is taken on the packaged ones
            model.save_pretrained(output / "final")
    if dropped:
        log.info("%d gold spans were not trainable (wider than max_width, or cut with a long text)", dropped)
    return {"steps": step, "history": history, "dropped_entities": dropped}


def _step(objective: Objective, model, chunk: Sequence[Example], step: int, cfg: TrainConfig, synonyms,
          optimizer, scheduler, params, corpus_types: Sequence[str] = ()) -> tuple[torch.Tensor, object]:
    """One optimisation step on ``chunk``; its label sets and negatives are drawn from generators seeded by
    ``(seed, step)``."""
    rng = random.Random(f"{cfg.seed}:step:{step}")
    labels = objective.sample(model, chunk, rng, cfg, synonyms, corpus_types)
    batch = make_batch(model, chunk, labels.label_sets, labels.relation_sets, rng, labels.blank, objective)
    generator = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
    loss = _loss(objective, model, batch, cfg, generator)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
    optimizer.step()
    scheduler.step()
    return loss, batch


def _resume(objective: Objective, model, lora: LoRA | None, optimizer, scheduler,
            last: Path) -> tuple[int, list]:
    """Restore the trainable tensors, optimizer, schedule and RNG of checkpoint ``last``: (step, history)."""
    state = torch.load(last / STATE_FILE, weights_only=True)
    trainable = _trainable_state(model, lora)
    differ = sorted(set(trainable) ^ set(state["trainable"]) | {k for k, v in state["trainable"].items()
                                                               if k in trainable and trainable[k].shape != v.shape})
    if differ:
        raise ValueError(f"{last} was written by another run: its trainable tensors differ from this model's "
                         f"({len(differ)}, e.g. {differ[0]}). Train into a new --output, or pass --no-resume to "
                         "start over in this one.")
    for key, value in state["trainable"].items():
        trainable[key].copy_(value)
    objective.weights_changed(model)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    log.info("resumed from %s (step %d)", last, int(state["step"]))
    return int(state["step"]), json.loads(state["history"])


def _trainable_state(model, lora: LoRA | None) -> dict[str, torch.Tensor]:
    """The tensors training changes, exactly (float32): the whole model, or its heads and the LoRA."""
    state = model.model.state_dict()
    if lora is None:
        return state
    backbones = tuple(backbone_prefixes(model.model).values())
    out = {k: v for k, v in state.items() if not k.startswith(backbones)}
    out.update({f"lora.{k}": v for k, v in lora.state_dict().items()})
    return out


@torch.no_grad()
def _round_to_storage(model, lora: LoRA, dtype: torch.dtype = torch.float16) -> None:
    for value in _trainable_state(model, lora).values():
        if value.is_floating_point():
            value.copy_(value.to(dtype))


def delta_base_is_packaged(model, lora: LoRA) -> bool:
    """Whether a compact delta of this run would rebuild: loading one builds the model from its config on the
    packaged backbones and checks their digests, so the run's backbones (before its LoRA) must be those."""
    from ..checkpoints.lora import backbone_digests

    fresh = type(model).from_config(model.config)
    return backbone_digests(fresh.model, lora.row_starts) == lora.base_digests


def _save(model, lora: LoRA | None, optimizer, scheduler, step: int, history: list, output: Path,
          keep: int, compact: bool = True) -> None:
    target = output / f"checkpoint-{step}"
    if lora is None:
        model.save_pretrained(target)
    elif compact:
        save_delta(model, lora, target)  # compact and loadable; the exact state for resuming is below
    else:
        target.mkdir(parents=True, exist_ok=True)  # only the state for resuming: the final model is saved in full
    tmp = target / f".{STATE_FILE}.tmp"
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "step": step,
                "torch_rng": torch.get_rng_state(), "history": json.dumps(history),
                "trainable": {k: v.detach().clone() for k, v in _trainable_state(model, lora).items()}}, tmp)
    tmp.replace(target / STATE_FILE)  # the state file appears last: a checkpoint without it is ignored
    old = sorted((p for p in output.glob("checkpoint-*") if p != target and p.name[11:].isdigit()),
                 key=lambda p: int(p.name[11:]))
    for p in old[:max(0, len(old) - (keep - 1))]:
        shutil.rmtree(p)
