import json
from pathlib import Path

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
    out = tmp_path / "t.json"
    assert main(["throughput", "--model", CKPT, "--texts", "4", "--repeats", "1", "--out", str(out)]) == 0
    rec = json.loads(out.read_text())
    assert rec["figures"]["texts_per_second"] > 0 and rec["figures"]["texts"] == 4
    for key in ("device", "torch_threads", "torch", "transformers", "python"):
        assert key in rec["environment"]
    assert rec["figures"]["batch_size"] == 8
