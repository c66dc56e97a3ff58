"""Build the relex parity fixtures (tests/fixtures/parity/relex_*) with the reference gliner==0.2.29.

Run inside the reference's throw-away virtualenv (see make_fixtures.sh), from any directory:
    python scripts/parity/build_relex_fixtures.py [OUTPUT_DIR]

Each case is a tiny UniEncoderSpanRelex / UniEncoderTokenRelex on the tiny BERT of build_fixtures.py,
every parameter re-drawn from a seeded normal distribution, the entity and relation heads' last layers
rescaled so logits spread (std ~3). Thresholds (entity, adjacency, relation) are picked in the widest gap of
the recorded scores near a target quantile, so no score lies within 3e-5 of a threshold. Recorded: the
reference's (entities, relations) per text alone and batched, and per text its raw forward pass (entity
logits, candidate spans, pairs, relation logits).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import gliner
import torch
import transformers
from gliner import GLiNER, GLiNERConfig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_fixtures import BACKBONE_DIRNAME, COMMON, LABELS, TEXTS, build_backbone, chdir, reinit_parameters

RELATIONS = ["works for", "located in", "met"]
# Config fields, plus the target quantiles of the thresholds (entity, adjacency, relation) where the defaults
# (span 0.9 / token 0.45, 0.5, 0.9) leave too few candidates, pairs or relations between decoded entities.
CASES = {
    "relex_span_dot": {"relations_layer": "dot"},
    "relex_span_mlp": {"relations_layer": "mlp"},
    "relex_span_attention": {"relations_layer": "attention"},
    "relex_span_bilinear": {"relations_layer": "bilinear", "quantiles": (0.9, 0.5, 0.5), "center": True},
    # gcn's edge probabilities of this seed lie within 0.007 of each other: no safe adjacency threshold
    # exists, so every pair is kept (adjacency threshold 0); the gcn head still runs, its values unchecked.
    "relex_span_gcn": {"relations_layer": "gcn", "quantiles": (0.9, None, 0.5), "center": True},
    # gat (and attention) crash in the reference on a text with no entity candidate (nn.MultiheadAttention over
    # zero entities returns no weights): a low entity threshold gives every text candidates.
    "relex_span_gat": {"relations_layer": "gat", "quantiles": (0.6, 0.5, 0.9)},
    "relex_span_none": {"relations_layer": "none", "quantiles": (0.9, 0.5, 0.5)},
    "relex_span_distmult": {"relations_layer": "dot", "triples_layer": "DistMult"},
    "relex_span_complex": {"relations_layer": "none", "triples_layer": "ComplEx", "quantiles": (0.97, 0.5, 0.7),
                           "center": True},
    "relex_token_dot": {"relations_layer": "dot", "span_mode": "token_level"},
}
# Tried and left out: token relex with gcn (seed 4331, centred, quantiles (0.6, None, 0.5)): no relation between
# decoded entities above a safe threshold.
MARGIN = 3e-5  # ours and the reference differ by ~1e-7 in probability
WORD = re.compile(r"\w+(?:[-_]\w+)*|\S")  # the reference's splitter


def gap_threshold(values: torch.Tensor, quantile: float, what: str = "") -> float:
    """Midpoint of the widest gap between sorted distinct values near ``quantile``."""
    v = torch.unique(values.double().flatten()).sort().values
    assert v.numel() >= 4, f"too few distinct {what} values to place a threshold: {v.tolist()[:8]}"
    n = v.numel()
    for width in (0.1, 0.25, 0.5):  # widen the search until a gap is wide enough
        lo, hi = max(0, int(n * (quantile - width))), min(n - 1, int(n * (quantile + width)))
        gaps = v[lo + 1: hi + 1] - v[lo:hi]
        i = int(gaps.argmax())
        if float(gaps[i]) >= 2 * MARGIN:
            return round(float((v[lo + i] + v[lo + i + 1]) / 2), 6)
    raise AssertionError(f"no gap of {2 * MARGIN} near quantile {quantile} among {n} {what} values "
                         f"(min {float(v[0]):.6f}, max {float(v[-1]):.6f})")


class Capture:
    """Forward hooks: the relex model's output and the adjacency head's output."""

    def __init__(self, model):
        self.outputs, self.adjacency = [], []
        model.model.register_forward_hook(lambda m, a, k, out: self.outputs.append(out), with_kwargs=True)
        if hasattr(model.model, "relations_rep_layer"):
            model.model.relations_rep_layer.register_forward_hook(
                lambda m, a, k, out: self.adjacency.append((out.detach(), (a[1] if len(a) > 1 else k["mask"]))),
                with_kwargs=True)

    def clear(self):
        self.outputs.clear()
        self.adjacency.clear()


def center_entity_logits(model, layer, token: bool, logits_alone, n_words: list[int]) -> None:
    """Shift the entity logits' mean to 0 (a random head can sit far below it, where probability gaps are
    too small for a safe threshold). Token head: per channel, through the output bias. Span head: through
    the bias of the label projection, along the mean span vector (logit = span . (W h + b))."""
    outs, _ = logits_alone(0.0)
    if token:
        means = torch.stack([torch.cat([o.logits[0][:n][..., ch].flatten() for o, n in zip(outs, n_words)]).mean()
                             for ch in range(3)])
        layer.bias.sub_(means)
        return
    reps = []
    handle = model.model.span_rep_layer.register_forward_hook(lambda m, a, out: reps.append(out.detach()))
    outs, _ = logits_alone(0.0)
    handle.remove()
    mean_logit = torch.cat([o.logits[0][:n].flatten() for o, n in zip(outs, n_words)]).mean()
    mean_rep = torch.cat([r[0][:n].reshape(-1, r.size(-1)) for r, n in zip(reps, n_words)]).mean(dim=0)
    layer.bias.sub_(mean_logit * mean_rep / mean_rep.dot(mean_rep))


def run(model, texts, threshold, adjacency, relation, flat_ner=True, multi_label=False, batch_size=8):
    return model.inference(texts, LABELS, relations=RELATIONS, threshold=threshold, adjacency_threshold=adjacency,
                           relation_threshold=relation, flat_ner=flat_ner, multi_label=multi_label,
                           batch_size=batch_size)


def build_case(name: str, spec: dict, work: Path, out_root: Path, seed: int) -> dict:
    spec = dict(spec)
    token = spec.get("span_mode") == "token_level"
    q_entity, q_adj, q_rel = spec.pop("quantiles", (0.45 if token else 0.9, 0.5, 0.9))
    center = spec.pop("center", False)
    config = GLiNERConfig(model_name=BACKBONE_DIRNAME, hidden_size=32, num_rnn_layers=1, **COMMON,
                          **{"span_mode": "markerV0"} | spec)
    with chdir(work):
        model = GLiNER.from_config(config, local_files_only=True)
    reinit_parameters(model.model, seed)
    model.eval()
    token = config.span_mode == "token_level"
    texts = [t for t in TEXTS if t.strip()]
    n_words = [len(WORD.findall(t)) for t in texts]
    cap = Capture(model)
    entity_layer = model.model.scorer.out_mlp[3] if token else model.model.prompt_rep_layer[3]

    def logits_alone(threshold, adjacency=0.0, relation=0.5):  # entity logits do not depend on the threshold
        cap.clear()
        for t in texts:
            run(model, [t], threshold, adjacency, relation, batch_size=1)
        return list(cap.outputs), list(cap.adjacency)

    with torch.no_grad():
        outs, _ = logits_alone(0.0)
        values = torch.cat([o.logits[0][:n].flatten() for o, n in zip(outs, n_words)])
        factor = 2.0 / float(values.std())
        entity_layer.weight.mul_(factor)
        entity_layer.bias.mul_(factor)
        if center:
            center_entity_logits(model, entity_layer, token, logits_alone, n_words)
        outs, _ = logits_alone(0.0)
        probs = torch.cat([torch.sigmoid(o.logits[0][:n]).flatten() for o, n in zip(outs, n_words)])
        t_entity = gap_threshold(probs, q_entity, 'entity')
        outs, adj = logits_alone(t_entity)
        rel_logits = torch.cat([o.rel_logits[0][o.rel_mask[0]].flatten() for o in outs if o.rel_logits is not None])
        if hasattr(model.model, "pair_rep_layer") and rel_logits.numel() > 1:
            model.model.pair_rep_layer[3].weight.mul_(2.0 / float(rel_logits.std()))
            model.model.pair_rep_layer[3].bias.mul_(2.0 / float(rel_logits.std()))
        if adj and q_adj is None:
            t_adj = 0.0
        elif adj:
            vals = []
            for a, m in adj:
                m = m.bool()[0]
                e = int(m.sum())
                off = ~torch.eye(e, dtype=torch.bool)
                vals.append(a[0][:e, :e][off])
            counts = [int(m.bool().sum()) for _, m in adj]
            assert sum(c * (c - 1) for c in counts) >= 4, f"entity candidates per text {counts} at {t_entity}"
            t_adj = gap_threshold(torch.cat(vals), q_adj, 'adjacency')
        else:
            t_adj = 0.5
        outs, _ = logits_alone(t_entity, t_adj)
        rel_probs = torch.cat([torch.sigmoid(o.rel_logits[0][o.rel_mask[0]]).flatten() for o in outs])
        t_rel = gap_threshold(rel_probs, q_rel, 'relation')

    case_dir, model = save_and_reload(model, out_root / name)
    cap = Capture(model)
    runs = []
    for flat_ner, multi_label in ((True, False), (False, False), (False, True)):
        alone = [run(model, [t], t_entity, t_adj, t_rel, flat_ner, multi_label, batch_size=1) for t in TEXTS]
        batched = run(model, TEXTS, t_entity, t_adj, t_rel, flat_ner, multi_label, batch_size=8)
        entities = [a[0][0] for a in alone]
        relations = [a[1][0] for a in alone]
        runs.append({"flat_ner": flat_ner, "multi_label": multi_label, "entities": entities, "relations": relations,
                     "batched_equals_alone": json.dumps(batched) == json.dumps([entities, relations])})
    forward = []
    for t in texts:
        cap.clear()
        run(model, [t], t_entity, t_adj, t_rel, batch_size=1)
        o = cap.outputs[-1]
        forward.append({"text": t, "logits": o.logits[0].double().tolist(),
                        "entity_spans": o.entity_spans[0].tolist(),  # candidates (token: padded with (0, 0))
                        "rel_idx": o.rel_idx[0][o.rel_mask[0]].tolist(),
                        "rel_logits": o.rel_logits[0][o.rel_mask[0]].double().tolist()})
    n_rel = sum(len(r) for run_ in runs for r in run_["relations"])
    n_ent = sum(len(e) for run_ in runs for e in run_["entities"])
    assert n_rel > 0 and n_ent > 0, (name, n_ent, n_rel)
    expected = {"gliner_version": gliner.__version__, "torch_version": torch.__version__,
                "transformers_version": transformers.__version__, "case": name, "seed": seed,
                "config": spec, "labels": LABELS, "relations": RELATIONS, "texts": TEXTS,
                "threshold": t_entity, "adjacency_threshold": t_adj, "relation_threshold": t_rel,
                "runs": runs, "forward": forward}
    (case_dir / "expected.json").write_text(json.dumps(expected, separators=(",", ":")) + "\n", encoding="utf-8")
    for path in case_dir.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return {"case": name, "thresholds": (t_entity, t_adj, t_rel), "entities": n_ent, "relations": n_rel,
            "batched_equals_alone": [r["batched_equals_alone"] for r in runs]}


def save_and_reload(model, case_dir: Path):
    """Save a case (replacing an older one) and reload it as the reference loads a checkpoint."""
    if case_dir.exists():
        shutil.rmtree(case_dir)
    model.save_pretrained(case_dir, safe_serialization=True)
    with chdir(case_dir.parent):
        model = GLiNER.from_pretrained(str(case_dir.resolve()), local_files_only=True)
    return case_dir, model.eval()


def build_all(argv, cases: dict, build, seed: int, prefix: str, prepare=lambda work: None) -> int:
    """Build every case into OUTPUT_DIR (argv[0], default tests/fixtures/parity) on the tiny BERT; ``prepare``
    adds what else the cases need to the work directory. A case that cannot be built is reported, not fatal."""
    out_root = Path(argv[0] if argv else Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "parity")
    out_root = out_root.resolve()
    assert gliner.__version__ == "0.2.29", gliner.__version__
    warnings.filterwarnings("ignore")
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        work = Path(tmp)
        build_backbone(work)
        prepare(work)
        failed = []
        for i, (name, spec) in enumerate(cases.items()):
            try:
                print(build(name, spec, work, out_root, seed + i))
            except Exception as err:  # noqa: BLE001 - no safe threshold for this seed, or a reference crash
                failed.append(name)
                print(f"{name}: not built ({type(err).__name__}: {err})")
    return 1 if failed else 0


def main(argv=None) -> int:
    return build_all(argv, CASES, build_case, 4321, "gliner-relex-")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
