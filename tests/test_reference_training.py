"""The reference's training entry points on our trainer (issue 28): ``create_training_args`` with its names and
defaults, ``train_model`` on its data format; arguments without an equivalent are refused with the reason."""

from __future__ import annotations

import pytest

from gliner_bench import GLiNER
from gliner_bench.training import reference_api
from gliner_bench.training.reference_api import create_training_args, train_model

DATA = [{"tokenized_text": ["Angela", "Merkel", "visited", "Paris", "."], "ner": [[0, 1, "person"], [3, 3, "city"]]},
        {"tokenized_text": ["Tim", "Cook", "works", "at", "Apple", "."], "ner": [[0, 1, "person"], [4, 4, "company"]]}]


def test_create_training_args_maps_the_references_names_and_defaults(tmp_path):
    args = create_training_args(tmp_path, learning_rate=1e-5, others_lr=3e-5, max_steps=7, save_steps=2,
                                       per_device_train_batch_size=4, focal_loss_alpha=0.75, report_to="none")
    c = args.config
    assert (c.lr_encoder, c.lr_head, c.steps, c.save_every, c.batch_size, c.focal_alpha) == (1e-5, 3e-5, 7, 2, 4, 0.75)
    d = create_training_args(tmp_path).config  # the reference's defaults
    assert (d.lr_encoder, d.lr_head, d.steps, d.masking, d.focal_alpha, d.warmup_ratio) == (5e-5, 5e-5, 10000, "none",
                                                                                           -1, 0.1)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"bf16": True}, ValueError, "bf16=True has no equivalent .* training runs in fp32"),
    ({"lr_scheduler_type": "cosine"}, ValueError, "linear warm-up then linear decay"),
    ({"learnig_rate": 1e-5}, TypeError, "Did you mean 'learning_rate'"),
])
def test_arguments_without_an_equivalent_say_so(tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        create_training_args(tmp_path, **kwargs)


def test_train_model_trains_saves_a_loadable_checkpoint_and_evaluates(span_model, tmp_path):
    before = {k: v.clone() for k, v in span_model.model.state_dict().items()}
    args = create_training_args(tmp_path / "run", max_steps=3, save_steps=3, per_device_train_batch_size=2,
                                       others_lr=1e-3)
    result = train_model(span_model, DATA, DATA, training_args=args)
    assert isinstance(result, reference_api.TrainResult) and result.steps == 3 and len(result.history) == 3
    assert any(not v.equal(before[k]) for k, v in span_model.model.state_dict().items())
    reloaded = GLiNER.from_pretrained(result.final)
    text = "Angela Merkel visited Paris ."
    assert reloaded.predict_entities(text, ["person", "city"], threshold=0.0)[:3] == \
        span_model.predict_entities(text, ["person", "city"], threshold=0.0)[:3]
    report, f1 = result.evaluation
    assert report.startswith("P: ") and 0.0 <= f1 <= 1.0
    with pytest.raises(ValueError, match="freeze_components has no equivalent"):
        train_model(span_model, DATA, training_args=args, freeze_components=["text_encoder"])
    with pytest.raises(ValueError, match="create_training_args"):
        train_model(span_model, DATA)
