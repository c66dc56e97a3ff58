"""LoRA training and compact checkpoints: only what training changed is stored, and the model rebuilds exactly."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import make_model
from safetensors.torch import load_file, save_file
from test_training import DATA, f1

from gliner_bench import GLiNER
from gliner_bench.checkpoints.files import CheckpointError
from gliner_bench.checkpoints.lora import LoRA, backbone_digests, backbone_prefixes
from gliner_bench.training.trainer import TrainConfig, epoch_batches, latest_checkpoint, train

TEXT = "angela merkel met emmanuel macron in paris ."
LABELS = ["person", "location", "company"]


def scores(model):
    return model.inference([TEXT], LABELS, threshold=0.0)[0]


def lora_cfg(**kw):
    return TrainConfig(**({"steps": 40, "batch_size": 5, "lr_encoder": 1e-2, "lr_head": 1e-2, "warmup_ratio": 0.1,
                           "save_every": 20, "lora_rank": 4, "group_by_length": False} | kw))


def test_an_attached_untrained_lora_changes_nothing_and_merging_keeps_outputs(tiny_backbone):
    model = make_model(tiny_backbone)
    before = scores(model)
    lora = LoRA(model.model, backbone_prefixes(model.model).values(), rank=4).attach()
    assert scores(model) == before  # B starts at zero
    with torch.no_grad():
        for p in lora.lora_b.values():
            p.normal_(0, 0.5)
    hooked = scores(model)
    assert hooked != before
    lora.merge()
    merged = scores(model)
    assert [e["text"] for e in merged] == [e["text"] for e in hooked]
    assert max(abs(a["score"] - b["score"]) for a, b in zip(merged, hooked)) < 1e-5


@pytest.mark.parametrize("bi", [False, True])
def test_lora_training_stores_a_small_delta_that_rebuilds_the_trained_model(tiny_backbone, bi, tmp_path):
    extra = {"labels_encoder": tiny_backbone} if bi else {}
    model = make_model(tiny_backbone, embed_ent_token=False, **extra)
    base = backbone_digests(model.model, {"token_rep_layer.bert_layer.model.embeddings.word_embeddings": 1000}
                            if not bi else None)
    before = f1(model)
    train(model, DATA, tmp_path / "run", lora_cfg(steps=120 if bi else 60), progress=False)
    after = f1(model)
    assert after > before and after >= 0.6, (before, after)
    final = tmp_path / "run" / "final"
    assert (final / "delta.safetensors").is_file() and not (final / "model.safetensors").exists()
    stored = load_file(str(final / "delta.safetensors"))
    assert all(v.dtype == torch.float16 for v in stored.values())
    assert not any(k.startswith("head.token_rep_layer.bert_layer.model.") for k in stored)  # the backbone is not stored
    assert any(k.startswith("lora_a.token_rep_layer.bert_layer.model.") for k in stored)
    if bi:
        assert any(k.startswith("lora_a.token_rep_layer.labels_encoder.model.") for k in stored)
    else:
        assert "rows.token_rep_layer.bert_layer.model.embeddings.word_embeddings" in stored  # <<ENT>>, <<SEP>>, ...
    reloaded = GLiNER.from_pretrained(final)
    assert scores(reloaded) == scores(model)  # bit-identical: heads rounded in memory as stored, same merge
    assert f1(reloaded) == after
    # a full checkpoint in the reference's layout, from the rebuilt model, gives the same outputs
    full = reloaded.save_pretrained(tmp_path / "full")
    assert (full / "model.safetensors").is_file() and not (full / "delta.safetensors").exists()
    assert scores(GLiNER.from_pretrained(full)) == scores(model)
    assert (final / "delta.safetensors").stat().st_size < (full / "model.safetensors").stat().st_size / 2
    if not bi:
        fresh = make_model(tiny_backbone, embed_ent_token=False)
        assert backbone_digests(fresh.model, {"token_rep_layer.bert_layer.model.embeddings.word_embeddings":
                                              1000}) == base  # the base was never touched


def test_a_lora_run_resumes_to_the_same_delta(tiny_backbone, tmp_path):
    cfg = lora_cfg(steps=8, batch_size=2, save_every=3)
    train(make_model(tiny_backbone, dropout=0.1), DATA, tmp_path / "a", cfg, progress=False)
    train(make_model(tiny_backbone, dropout=0.1), DATA, tmp_path / "b", cfg, progress=False, stop_after=4)
    assert latest_checkpoint(tmp_path / "b").name == "checkpoint-3"
    assert GLiNER.from_pretrained(tmp_path / "b" / "checkpoint-3").config.architecture == "UniEncoderSpan"
    train(make_model(tiny_backbone, dropout=0.1, seed=5), DATA, tmp_path / "b", cfg, progress=False)
    a, b = (load_file(str(tmp_path / r / "final" / "delta.safetensors")) for r in "ab")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _trained_delta(tiny_backbone, tmp_path):
    model = make_model(tiny_backbone)
    train(model, DATA, tmp_path / "run", lora_cfg(steps=4), progress=False)
    return tmp_path / "run" / "final"


def test_a_delta_on_another_base_or_damaged_is_refused(tiny_backbone, tmp_path):
    final = _trained_delta(tiny_backbone, tmp_path)
    path = final / "delta.safetensors"
    tensors = load_file(str(path))
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    # another base: the recorded SHA-256 of the backbone no longer matches
    wrong = dict(meta, base_sha256=json.dumps({"text": "0" * 64}))
    save_file(tensors, str(path), metadata=wrong)
    with pytest.raises(CheckpointError, match="not the one this delta was trained on"):
        GLiNER.from_pretrained(final)
    # a head tensor missing
    partial = {k: v for k, v in tensors.items() if not k.startswith("head.prompt_rep_layer")}
    save_file(partial, str(path), metadata=meta)
    with pytest.raises(CheckpointError, match="missing"):
        GLiNER.from_pretrained(final)
    # not a delta at all / truncated
    save_file(tensors, str(path), metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match="not a gliner-bench-delta"):
        GLiNER.from_pretrained(final)
    path.write_bytes(b"\x00" * 20)
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        GLiNER.from_pretrained(final)


def test_a_fully_fine_tuned_backbone_is_not_saved_as_a_delta(tiny_backbone, tmp_path):
    from gliner_bench.checkpoints.delta import save_delta

    model = make_model(tiny_backbone)
    lora = LoRA(model.model, backbone_prefixes(model.model).values(), rank=2).attach()
    with torch.no_grad():
        model.model.token_rep_layer.bert_layer.model.encoder.layer[0].attention.self.query.weight.add_(1.0)
    with pytest.raises(CheckpointError, match="changed outside its LoRA"):
        save_delta(model, lora, tmp_path / "x")


def test_epoch_batches_cover_every_example_once_and_group_lengths():
    lengths = [(i * 37) % 50 + 1 for i in range(500)]
    for group in (False, True):
        batches = epoch_batches(lengths, 8, seed=0, epoch=1, group=group)
        assert sorted(i for b in batches for i in b) == list(range(500))
        assert batches == epoch_batches(lengths, 8, seed=0, epoch=1, group=group)
        assert batches != epoch_batches(lengths, 8, seed=0, epoch=2, group=group)
    spread = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in epoch_batches(lengths, 8, 0, 1, True)]
    assert sum(spread) / len(spread) < 5  # ungrouped batches of 8 from 1..50 spread over ~38


def test_a_decoder_trains_with_its_lm_frozen_and_stores_no_lm_weights(tiny_backbone, tiny_gpt2, tmp_path):
    from transformers import AutoModelForCausalLM

    model = make_model(tiny_backbone, labels_decoder=tiny_gpt2, decoder_mode="span")
    # make_model rescales every 2-D weight outside the text encoder, the LM's too: put the pretrained LM back
    model.model.decoder.lm.load_state_dict(AutoModelForCausalLM.from_pretrained(tiny_gpt2).state_dict())
    lm_before = {k: v.clone() for k, v in model.model.decoder.lm.state_dict().items()}
    train(model, DATA, tmp_path / "run", lora_cfg(steps=6), progress=False)
    assert all(torch.equal(v, model.model.decoder.lm.state_dict()[k]) for k, v in lm_before.items())
    stored = load_file(str(tmp_path / "run" / "final" / "delta.safetensors"))
    assert not any(".decoder_layer." in k for k in stored) and any(k.startswith("head._enc2dec_proj") for k in stored)
    assert scores(GLiNER.from_pretrained(tmp_path / "run" / "final")) == scores(model)


def test_fine_tuning_a_compact_checkpoint_again_saves_one_that_loads(tiny_backbone, tmp_path):
    """A bundled default is a delta: its loaded backbone holds the merged LoRA. A second LoRA run on it cannot be
    stored as a delta on the packaged backbone (loading checks that base), so it is saved in full, and loads."""
    model = make_model(tiny_backbone, embed_ent_token=False)
    train(model, DATA, tmp_path / "first", lora_cfg(steps=20), progress=False)
    again = GLiNER.from_pretrained(tmp_path / "first" / "final")
    train(again, DATA, tmp_path / "second", lora_cfg(steps=20, lr_encoder=5e-2), progress=False)
    final = tmp_path / "second" / "final"
    assert (final / "model.safetensors").is_file() and not (final / "delta.safetensors").exists()
    reloaded = GLiNER.from_pretrained(final)
    assert [e["text"] for e in scores(reloaded)] == [e["text"] for e in scores(again)]
    assert max(abs(a["score"] - b["score"]) for a, b in zip(scores(reloaded), scores(again))) < 1e-5
    assert not list((tmp_path / "second").glob("checkpoint-*/delta.safetensors"))  # none that would not load
    # a first run on the packaged backbone still stores a compact delta
    assert (tmp_path / "first" / "final" / "delta.safetensors").is_file()
