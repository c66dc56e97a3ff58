"""Training: the objective's formula, label-set sampling, batches, and the loop (learning, resuming, bad data)."""

from __future__ import annotations

import json
import random

import pytest
import torch
import torch.nn.functional as F
from conftest import make_model

from gliner_bench import GLiNER
from gliner_bench.evaluation.harness import above, predict
from gliner_bench.evaluation.metrics import entity_report
from gliner_bench.text.records import Example, read_file
from gliner_bench.training.collate import make_batch
from gliner_bench.training.labels import sample_label_sets, share_label_sets
from gliner_bench.training.losses import focal_bce, negative_mask
from gliner_bench.training.trainer import TrainConfig, latest_checkpoint, train

DATA = [
    Example(["angela", "merkel", "met", "emmanuel", "macron", "in", "paris", "."],
            [(0, 1, "person"), (3, 4, "person"), (6, 6, "location")]),
    Example(["apple", "hired", "tim", "cook", "in", "cupertino", "."],
            [(0, 0, "company"), (2, 3, "person"), (5, 5, "location")]),
    Example(["marie", "curie", "won", "the", "nobel", "prize", "."], [(0, 1, "person")]),
    Example(["london", "and", "berlin", "are", "cities", "."], [(0, 0, "location"), (2, 2, "location")]),
    Example(["the", "river", "is", "wide", "."], []),
]


def test_defaults_are_plain_bce_and_the_options_follow_the_formula():
    logits, targets = torch.tensor([-2.0, -0.3, 0.0, 1.5, 3.0]), torch.tensor([0.0, 1.0, 0.0, 1.0, 0.0])
    assert torch.allclose(focal_bce(logits, targets),
                          F.binary_cross_entropy_with_logits(logits, targets, reduction="none"), atol=1e-5)
    p = torch.sigmoid(logits)
    t = targets * 0.8 + 0.5 * 0.2  # label smoothing 0.2
    want = -(t * p.log() + (1 - t) * (1 - p).log())
    assert torch.allclose(focal_bce(logits, targets, label_smoothing=0.2), want, atol=1e-5)
    p_t = p * targets + (1 - p) * (1 - targets)
    bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    want = (0.75 * targets + 0.25 * (1 - targets)) * bce * (1 - p_t) ** 2
    assert torch.allclose(focal_bce(logits, targets, alpha=0.75, gamma=2.0), want, atol=1e-5)
    margin = focal_bce(logits, targets, prob_margin=0.1)
    assert torch.all(margin[targets == 0] <= bce[targets == 0]) and torch.equal(margin[targets == 1],
                                                                                focal_bce(logits, targets)[targets == 1])


def test_negative_masking_keeps_every_positive():
    labels = torch.zeros(2, 6, 3)
    labels[0, 1, 2] = labels[1, 4, 0] = 1
    g = torch.Generator().manual_seed(0)
    for masking in ("global", "label", "span"):
        mask = negative_mask(labels, 0.0, masking, g)
        assert torch.all(mask[labels == 1] == 1)
    assert negative_mask(labels, 0.0, "global", g).sum() == 2
    assert torch.all(negative_mask(labels, 1.0, "global", g) == 1)
    with pytest.raises(ValueError, match="masking"):
        negative_mask(labels, 0.5, "nope")


def test_label_sets_hold_every_gold_type_negatives_from_the_batch_and_respect_max_types():
    sets = sample_label_sets(DATA, random.Random(0), max_types=25, max_neg_type_ratio=2)
    for ex, labels in zip(DATA, sets):
        assert {label for *_, label in ex.entities} <= set(labels)
        assert set(labels) <= {"person", "location", "company"} and len(labels) == len(set(labels))
    assert sets[-1], "an example without entities still gets a negative type"
    assert sample_label_sets(DATA, random.Random(0), 25, 2) == sets
    assert all(len(x) <= 1 for x in sample_label_sets(DATA, random.Random(0), max_types=1))


def test_batches_mark_gold_spans_and_count_what_cannot_be_trained(span_model, token_model):
    wide = Example(["a", "b", "c", "d", "e", "f"], [(0, 5, "person"), (1, 1, "person")])
    batch = make_batch(span_model, [DATA[0], wide], [["location", "person"], ["person"]])
    assert batch.labels.shape == (2, 8, 4, 2) and batch.dropped_entities == 1  # width 6 > max_width 4
    assert batch.labels[0, 0, 1, 1] == 1 and batch.labels[0, 6, 0, 0] == 1 and batch.labels.sum() == 4
    tok = make_batch(token_model, [DATA[1]], [["company", "person"]])
    assert tok.labels.shape == (1, 7, 2, 3)
    assert tok.labels[0, 2, 1].tolist() == [1, 0, 1] and tok.labels[0, 3, 1].tolist() == [0, 1, 1]
    assert tok.dropped_entities == 1  # "location" was not in the label set


def f1(model, labels=("person", "location", "company")):
    preds = above(predict(model, DATA, list(labels), 0.5), 0.5)
    gold = [[(s, e, t) for s, e, t in ex.entities] for ex in DATA]
    return entity_report(preds, gold)["micro"]["f1"]


@pytest.mark.parametrize("bi", [False, True])
@pytest.mark.parametrize("token", [False, True])
def test_training_learns_the_training_data(tiny_backbone, token, bi, tmp_path):
    """Memorising five sentences. The label vector is read at the label word (``embed_ent_token=False``): on a
    tiny random backbone the <<ENT>> token takes far longer to learn to tell labels apart (spans are found, types
    not, after 300 steps), which says nothing about the loop."""
    extra = {"span_mode": "token_level", "spread": 3.0} if token else {}
    if bi:
        extra["labels_encoder"] = tiny_backbone
    model = make_model(tiny_backbone, embed_ent_token=False, **extra)
    before = f1(model)
    # A bi-encoder's label encoder trains at the head rate: lower it, and give it more steps. Scored against the
    # batch's shared label pool, the bi token model needs the text encoder faster (seeds 0-3 reach F1 0.62-1.0 at 3e-3,
    # 0.94-1.0 at 1e-2); the bi span model does better at 3e-3.
    cfg = TrainConfig(steps=250 if bi else 120, batch_size=5, lr_encoder=1e-2 if bi and token else 3e-3,
                      lr_head=3e-3 if bi else 1e-2, warmup_ratio=0.1, save_every=60, group_by_length=False)
    result = train(model, DATA, tmp_path / "run", cfg, progress=False)
    losses = [h["loss"] for h in result["history"]]
    assert sum(losses[-5:]) < 0.1 * sum(losses[:5])
    after = f1(model)
    assert after >= 0.9 and after > before, (before, after)
    reloaded = GLiNER.from_pretrained(tmp_path / "run" / "final")
    assert f1(reloaded) == after


def test_an_interrupted_run_resumes_to_the_same_weights(tiny_backbone, tmp_path):
    cfg = TrainConfig(steps=8, batch_size=2, lr_encoder=1e-3, lr_head=3e-3, save_every=3, keep_checkpoints=2)
    straight = make_model(tiny_backbone, dropout=0.1)
    train(straight, DATA, tmp_path / "a", cfg, progress=False)
    broken = make_model(tiny_backbone, dropout=0.1)
    train(broken, DATA, tmp_path / "b", cfg, progress=False, stop_after=4)  # "crashes" after step 4
    assert latest_checkpoint(tmp_path / "b").name == "checkpoint-3" and not (tmp_path / "b" / "final").exists()
    resumed = make_model(tiny_backbone, dropout=0.1, seed=7)  # whatever it starts from, the checkpoint wins
    out = train(resumed, DATA, tmp_path / "b", cfg, progress=False)
    assert out["steps"] == 8 and len(out["history"]) == 8
    for (name, a), b in zip(straight.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name
    assert len(list((tmp_path / "b").glob("checkpoint-*"))) == 2  # older checkpoints pruned


def test_malformed_training_examples_are_skipped_and_counted(tmp_path):
    rows = [{"tokenized_text": ["tim", "cook"], "ner": [[0, 1, "person"]]},
            {"tokenized_text": ["a"], "ner": [[0, 4, "person"]]},  # span outside the text
            {"tokenized_text": [], "ner": []},  # empty text
            {"tokenized_text": ["a", "b"], "ner": [[0, 0, "x"]], "relations": [[0, 2, "r"]]}]  # missing entity
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    errors: list[str] = []
    examples = read_file(path, errors=errors)
    assert len(examples) == 1 and len(errors) == 3
    assert "line 2" in errors[0] and "line 3" in errors[1] and "line 4" in errors[2]


def test_train_command_skips_bad_examples_trains_and_resumes(tmp_path, capsys, tiny_backbone):
    from gliner_bench.cli import main

    model_dir = make_model(tiny_backbone).save_pretrained(tmp_path / "base")
    rows = [{"tokenized_text": ex.tokens, "ner": [list(e) for e in ex.entities]} for ex in DATA]
    rows.append({"tokenized_text": ["a"], "ner": [[0, 3, "person"]]})
    (tmp_path / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    def args(steps):
        return ["train", "--model", str(model_dir), "--data", str(tmp_path / "train.jsonl"), "--output",
                str(tmp_path / "run"), "--steps", str(steps), "--batch-size", "2", "--save-every", "2", "--no-progress"]

    assert main(args(3)) == 0
    captured = capsys.readouterr()
    assert "skipped 1 malformed" in captured.err and "3 steps on 5 examples" in captured.out
    assert (tmp_path / "run" / "final" / "gliner_config.json").is_file()
    assert main(args(4)) == 0
    assert "4 steps" in capsys.readouterr().out  # resumed from checkpoint-3 (the last save), one more step


def test_train_command_warns_when_a_relex_model_gets_data_without_relations(tmp_path, capsys, tiny_backbone):
    from gliner_bench.cli import main

    model_dir = make_model(tiny_backbone, relations_layer="mlp").save_pretrained(tmp_path / "base")
    for name, rows in (("plain", DATA), ("relex", RELEX_DATA)):
        (tmp_path / f"{name}.jsonl").write_text("\n".join(json.dumps(
            {"tokenized_text": ex.tokens, "ner": [list(e) for e in ex.entities],
             "relations": [list(r) for r in ex.relations]}) for ex in rows))
        assert main(["train", "--model", str(model_dir), "--data", str(tmp_path / f"{name}.jsonl"), "--output",
                     str(tmp_path / f"run-{name}"), "--steps", "1", "--batch-size", "2", "--no-progress"]) == 0
        warned = "has no relations: the relation head learns nothing" in capsys.readouterr().err
        assert warned == (name == "plain")


def test_relation_repeats_adds_the_relation_examples_to_each_epoch(tiny_backbone, tmp_path, monkeypatch):
    from gliner_bench.training import trainer

    seen = []
    real = trainer.epoch_batches
    monkeypatch.setattr(trainer, "epoch_batches", lambda lengths, *a: seen.append(len(lengths)) or real(lengths, *a))
    data = RELEX_DATA + [Example(["no", "relation", "here"], [(0, 0, "person")])]
    model = make_model(tiny_backbone, relations_layer="mlp")
    cfg = TrainConfig(steps=1, batch_size=2, save_every=5, relation_repeats=3)
    train(model, data, tmp_path / "relex", cfg, progress=False)
    train(make_model(tiny_backbone), data, tmp_path / "plain", cfg, progress=False)  # not relex: no repeats
    assert seen == [5 + 2 * 4, 5]


RELEX_DATA = [
    Example(["angela", "merkel", "visited", "paris", "."], [(0, 1, "person"), (3, 3, "location")],
            [(0, 1, "visited")]),
    Example(["tim", "cook", "works", "for", "apple", "."], [(0, 1, "person"), (4, 4, "company")],
            [(0, 1, "works for")]),
    Example(["apple", "is", "based", "in", "cupertino", "."], [(0, 0, "company"), (4, 4, "location")],
            [(0, 1, "based in")]),
    Example(["marie", "curie", "lived", "in", "paris", "."], [(0, 1, "person"), (4, 4, "location")],
            [(0, 1, "visited")]),
]


def test_relex_batches_hold_gold_pairs_their_reverse_and_negatives(tiny_backbone):
    model = make_model(tiny_backbone, relations_layer="bilinear")
    ex = Example(["a", "b", "c", "d"], [(0, 0, "x"), (2, 2, "y"), (3, 3, "y"), (0, 0, "z")],
                 [(0, 1, "r"), (3, 2, "s"), (1, 9, "r")])  # entity 3 repeats entity 0's span; 9 is missing
    batch = make_batch(model, [ex], [["x", "y", "z"]], [["r", "s"]], random.Random(0))
    assert batch.entity_spans[0].tolist() == [[0, 0], [2, 2], [3, 3]] and batch.entity_mask.all()
    assert batch.adjacency[0].nonzero().tolist() == [[0, 1], [0, 2]]  # entity 3 is span slot 0
    pairs = [tuple(p) for p, m in zip(batch.pairs[0].tolist(), batch.pair_mask[0]) if m]
    assert pairs[:4] == [(0, 1), (0, 2), (1, 0), (2, 0)] and len(set(pairs)) == len(pairs) > 4  # + negatives
    assert batch.pair_labels[0, 0].tolist() == [1, 0] and batch.pair_labels[0, 1].tolist() == [0, 1]
    assert batch.pair_labels[0, 2:].sum() == 0
    assert batch.relation_mask.tolist() == [[True, True]]


@pytest.mark.parametrize("token", [False, True])
def test_relex_training_learns_entities_and_relations(tiny_backbone, token, tmp_path):
    from gliner_bench.evaluation.harness import relation_f1
    from gliner_bench.evaluation.tasks import Task

    extra = {"span_mode": "token_level"} if token else {}  # (spread 3 saturates the projected token scorer)
    model = make_model(tiny_backbone, embed_ent_token=False, relations_layer="mlp", **extra)
    model.config.embed_rel_token = False
    task = Task("toy", "file:toy", {"person": "person", "location": "location", "company": "company"})
    before = relation_f1(model, task, RELEX_DATA)["f1"]
    # head lr 5e-3: at 1e-2 a few pair logits saturate and the span model's loss jumps by -ln(1e-6) steps to the end
    cfg = TrainConfig(steps=250, batch_size=4, lr_encoder=3e-3, lr_head=5e-3, warmup_ratio=0.1, save_every=250,
                      group_by_length=False)
    result = train(model, RELEX_DATA, tmp_path / "run", cfg, progress=False)
    losses = [h["loss"] for h in result["history"]]
    assert sum(losses[-5:]) < 0.1 * sum(losses[:5])
    after = relation_f1(model, task, RELEX_DATA)["f1"]
    assert after >= 0.7 and after > before, (before, after)
    reloaded = GLiNER.from_pretrained(tmp_path / "run" / "final")
    assert relation_f1(reloaded, task, RELEX_DATA)["f1"] == after


def test_a_positives_synonyms_are_never_its_negatives(tmp_path):
    from gliner_bench.training.labels import synonym_groups, synonyms_beside

    groups = synonym_groups({"PERSON": ["person", "human"], "GPE": ["location", "place"],
                             "LOC": ["location", "natural place"], "ORG": ["company"]})
    assert groups["human"] == groups["person"] and groups["natural place"] == groups["place"] != groups["company"]
    data = [Example(["ann", "smith"], [(0, 1, "person")]), Example(["bo", "jones"], [(0, 1, "human")]),
            Example(["acme"], [(0, 0, "company")]), Example(["rome"], [(0, 0, "place")]),
            Example(["the", "alps"], [(0, 1, "natural place")])]
    for seed in range(30):
        sets = sample_label_sets(data, random.Random(seed), max_neg_type_ratio=4, synonyms=groups)
        assert "human" not in sets[0] and "person" not in sets[1]
        assert "natural place" not in sets[3] and "place" not in sets[4]
    assert any("human" in s[0] for s in (sample_label_sets(data, random.Random(k), max_neg_type_ratio=4)
                                         for k in range(30)))  # without groups, the contradiction happens
    (tmp_path / "manifest.json").write_text(json.dumps({"paraphrases": {"PERSON": ["person", "human"]}}))
    assert synonyms_beside(tmp_path / "train.jsonl") == {"person": "PERSON", "human": "PERSON"}
    (tmp_path / "manifest.json").write_text("{not json")
    assert synonyms_beside(tmp_path / "train.jsonl") == {}


@pytest.mark.parametrize("span_mode", ["markerV0", "token_level"])
def test_decoder_training_learns_to_generate_the_type_names(tiny_backbone, tiny_gpt2, tmp_path, span_mode):
    from gliner_bench.inference.generation import label_token_ids
    from gliner_bench.training.collate import BLANK_ENTITY

    model = make_model(tiny_backbone, embed_ent_token=False, labels_decoder=tiny_gpt2, decoder_mode="span",
                       span_mode=span_mode)
    batch = make_batch(model, DATA[:2], [["person", "location"], ["company", "person"]], blank=[True, False])
    assert batch.label_sets[0] == [BLANK_ENTITY]  # every gold span is "entity"
    assert batch.span_classes[0] == {(0, 1): [0], (3, 4): [0], (6, 6): [0]}
    assert batch.span_classes[1] == {(0, 0): [0], (2, 3): [1]}  # location is not in its label set
    assert batch.decoder_spans[0] == [(0, 1, "person"), (3, 4, "person"), (6, 6, "location")]  # real names
    assert batch.words[0] == DATA[0].tokens
    cfg = TrainConfig(steps=150, batch_size=5, lr_encoder=3e-3, lr_head=1e-2, warmup_ratio=0.1, save_every=150,
                      group_by_length=False)
    result = train(model, DATA, tmp_path / "run", cfg, progress=False)
    losses = [h["loss"] for h in result["history"]]
    assert sum(losses[-5:]) < 0.2 * sum(losses[:5])
    reloaded = GLiNER.from_pretrained(tmp_path / "run" / "final")
    for m in (model, reloaded):
        found = m.inference([ex.tokens for ex in DATA], ["person", "location", "company"], threshold=0.5)
        named = [(e["label"], e["generated_labels"][0] if e["generated_labels"] else None) for doc in found for e in doc]
        assert len(named) >= 6 and sum(a == b for a, b in named) >= 0.8 * len(named), named
    assert label_token_ids(model.decoder_tokenizer, "person")[-1] == model.decoder_tokenizer.eos_token_id


def test_min_negatives_gives_every_example_negative_types_when_the_pool_has_them():
    for seed in range(20):
        sets = sample_label_sets(DATA, random.Random(seed), max_neg_type_ratio=1, min_negatives=2)
        for ex, labels in zip(DATA, sets):
            gold = {t for *_, t in ex.entities}
            assert len(set(labels) - gold) >= min(2, 3 - len(gold))  # the batch has 3 types in all


def test_corpus_negatives_add_names_from_the_whole_training_set_but_never_a_positives_synonym():
    corpus = ["person", "human", "city", "river", "disease", "vehicle", "composer", "date"]
    synonyms = {"person": "PERSON", "human": "PERSON"}
    data = [Example(["ada", "lovelace"], [(0, 1, "person")]), Example(["paris"], [(0, 0, "city")])]
    for seed in range(20):
        plain = sample_label_sets(data, random.Random(seed), synonyms=synonyms)
        sets = sample_label_sets(data, random.Random(seed), synonyms=synonyms, corpus_types=corpus,
                                 corpus_negatives=3)
        for ex, labels, before in zip(data, sets, plain):
            gold = {t for *_, t in ex.entities}
            assert gold <= set(labels) and len(labels) == len(set(labels))
            assert len(set(labels) - gold - set(before)) >= 2  # most draws are new names (a few collide)
            assert set(labels) - gold - {"city", "person"} <= set(corpus)
        assert "human" not in sets[0]  # the person row never gets its synonym as a negative
    assert sample_label_sets(data, random.Random(0), corpus_types=corpus) == \
        sample_label_sets(data, random.Random(0))  # 0 corpus negatives: the draws of before


def test_a_bi_encoder_batch_shares_its_label_pool_except_a_rows_synonyms():
    data = [Example(["ada", "lovelace"], [(0, 1, "person")]), Example(["alan", "turing"], [(0, 1, "human")]),
            Example(["paris"], [(0, 0, "city")])]
    synonyms = {"person": "PERSON", "human": "PERSON"}
    for seed in range(10):
        sets = sample_label_sets(data, random.Random(seed), min_negatives=2, synonyms=synonyms)
        shared = share_label_sets(data, sets, synonyms=synonyms)
        pool = {t for ls in sets for t in ls}
        assert set(shared[2]) == pool  # the city row is scored against every type of the batch
        assert "human" not in shared[0] and "person" not in shared[1]  # a synonym is never a negative
        for ex, own, row in zip(data, sets, shared):
            assert set(own) <= set(row) and len(row) == len(set(row))
    capped = share_label_sets(data, [["person", "a"], ["human", "b"], ["city", "c"]], max_types=1)
    assert capped == [["person", "a", "human"], ["person", "a", "human", "b"],  # a pool of 3 types, and
                      ["person", "a", "human", "city", "c"]]  # every row keeps its own
