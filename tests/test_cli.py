import json
from pathlib import Path

import pytest

from gliner_bench.cli import main

CKPT = str(Path(__file__).parent / "fixtures" / "parity" / "span_markerV0")


def test_predict_prints_entities_as_json(capsys):
    assert main(["predict", "--model", CKPT, "--labels", "person, location,,date", "--threshold", "0.5",
                 "--text", "Apple hired Tim Cook in Cupertino."]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out and all({"start", "end", "text", "label", "score"} <= set(e) for e in out)
    assert {e["label"] for e in out} <= {"person", "location", "date"}


def test_predict_with_only_commas_is_a_clear_error(capsys):
    assert main(["predict", "--model", CKPT, "--labels", " , ,", "--text", "x"]) == 2
    assert "--labels" in capsys.readouterr().err


def test_missing_checkpoint_is_a_clear_error(capsys, tmp_path):
    assert main(["predict", "--model", str(tmp_path / "missing" / "dir"), "--labels", "a", "--text", "x"]) == 2
    assert "neither a checkpoint directory" in capsys.readouterr().err


def test_throughput_writes_a_results_file_with_environment(tmp_path, capsys):
    assert main(["throughput", "--models", CKPT, "--max-examples", "4", "--repeats", "1", "--batch-sizes", "2,4",
                 "--output", str(tmp_path), "--no-progress"]) == 0
    files = sorted((tmp_path / "throughput").glob("*.json"))
    assert len(files) == 2
    rec = json.loads(files[0].read_text())
    assert rec["figures"]["texts_per_second"] > 0 and rec["figures"]["texts"] == 4
    assert rec["figures"]["latency_p50_s"] <= rec["figures"]["latency_p95_s"]
    for key in ("device", "device_name", "torch_threads", "torch", "transformers", "python"):
        assert key in rec["environment"]
    assert {json.loads(f.read_text())["figures"]["batch_size"] for f in files} == {2, 4}
    assert "texts/s" in capsys.readouterr().out


def test_predict_with_a_relex_model_prints_entities_and_relations(capsys):
    ckpt = Path(__file__).parent / "fixtures" / "parity" / "relex_span_dot"
    assert main(["predict", "--model", str(ckpt), "--labels", "person,location", "--relations", "met,located in",
                 "--threshold", "0.3", "--text", "Angela Merkel met Emmanuel Macron in Paris."]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"entities", "relations"} and out["entities"]
    assert all(r["relation"] in ("met", "located in") for r in out["relations"])


def test_relations_with_a_non_relex_model_is_a_clear_error(capsys):
    with pytest.raises(SystemExit, match="--relations needs a relex model"):
        main(["predict", "--labels", "person", "--relations", "met", "--text", "Tim Cook"])


def test_predict_with_a_decoder_model_prints_generated_labels(capsys):
    ckpt = Path(__file__).parent / "fixtures" / "parity" / "decoder_span_gpt2"
    assert main(["predict", "--model", str(ckpt), "--labels", "person,organization,location,date", "--threshold",
                 "0.98", "--gen-constraints", "company,person", "--num-gen-sequences", "2", "--text",
                 "Apple hired Tim Cook in Cupertino."]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out and all(1 <= len(e["generated_labels"]) <= 2 for e in out)
    assert {g for e in out for g in e["generated_labels"]} <= {"company", "person"}


def test_generation_options_with_a_non_decoder_model_are_a_clear_error():
    with pytest.raises(SystemExit, match="need a decoder model"):
        main(["predict", "--model", CKPT, "--labels", "person", "--gen-constraints", "x", "--text", "Tim"])


def test_train_set_changes_the_recipes_model_config_for_a_trial(tmp_path, capsys):
    data = tmp_path / "train.jsonl"
    data.write_text(json.dumps({"tokenized_text": ["Angela", "Merkel", "visited", "Paris", "."],
                                "ner": [[0, 1, "person"], [3, 3, "city"]]}) + "\n")
    out = tmp_path / "run"
    common = ["train", "--recipe", "uni-span", "--data", str(data), "--output", str(out), "--steps", "1",
              "--batch-size", "1", "--save-every", "1", "--no-progress"]
    assert main(common + ["--set", "case_token_types=true", "--set", "hidden_size=64"]) == 0
    saved = json.loads((out / "final" / "gliner_config.json").read_text())
    assert saved["case_token_types"] is True and saved["hidden_size"] == 64
    assert main(common + ["--set", "case_token_types=true", "--install"]) == 2  # the recipe itself stays the source
    assert "defaults.py" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="FIELD=VALUE"):
        main(common + ["--set", "no_such_field=1"])
    assert main(["train", "--data", str(data), "--output", str(out), "--set", "hidden_size=64"]) == 2


def test_train_reads_the_recipes_own_file_of_the_built_corpus_by_default(tmp_path, capsys, monkeypatch):
    """uni-span trains on passages (train_passages.jsonl), decoder-span on sentences: without --data, each recipe
    reads its own file of $GLINER_BENCH_DATA; without a recipe, --data is required. An output folder holding another
    run's checkpoint is refused with what to do, not resumed into."""
    row = {"tokenized_text": ["Angela", "Merkel", "visited", "Paris", "."], "ner": [[0, 1, "person"], [3, 3, "city"]]}
    (tmp_path / "train_passages.jsonl").write_text(json.dumps(row) + "\n")
    monkeypatch.setenv("GLINER_BENCH_DATA", str(tmp_path))
    args = ["--output", str(tmp_path / "run"), "--steps", "1", "--batch-size", "1", "--no-progress",
            "--set", "hidden_size=64"]
    assert main(["train", "--recipe", "uni-span", *args]) == 0
    assert "train_passages.jsonl (the uni-span recipe's file" in capsys.readouterr().err
    assert main(["train", "--recipe", "bi-span", *args[:2], "--steps", "1", "--no-progress"]) != 0  # uni-span's run
    assert "was written by another run" in capsys.readouterr().err
    assert main(["train", "--recipe", "decoder-span", *args[:2], "--steps", "1", "--no-progress"]) != 0  # absent
    assert f"{tmp_path / 'train.jsonl'} does not exist: build the corpus with `gliner-bench build-data" in \
        capsys.readouterr().err
    assert main(["train", "--model", CKPT, "--output", str(tmp_path / "m")]) == 2
    assert "--data is required with --model" in capsys.readouterr().err
