"""Leaderboards: reading results directories (bad files, duplicates), the tables, and regeneration."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from gliner_bench.cli import main
from gliner_bench.leaderboard.collect import collect
from gliner_bench.leaderboard.publish import GENERATED, README_END, README_START, LeaderboardError, build
from gliner_bench.leaderboard.tables import (
    MEAN,
    SEPARATOR,
    f1_frame,
    headline,
    relations_frame,
    scale_frame,
    to_markdown,
    zero_shot_tasks,
)
from gliner_bench.measurement.results import make_record, result_path, write_json_atomic

ENV = {"date": "2026-12-01T10:00:00+00:00", "device": "cpu", "device_name": "test cpu", "torch_threads": 2,
       "torch": "2.13.0", "transformers": "5.0", "gliner_bench": "0.1.0"}


def model(name, arch, params=46_000_000):
    return {"id": name, "architecture": arch, "parameters": params}


def evaluate(name, arch, task, f1, date=ENV["date"], text_mode=None):
    figures = {"at_0.5": {"micro": {"precision": f1, "recall": f1, "f1": f1}, "macro_f1": f1, "per_label": {}},
               "relations_at_0.5": None}
    args = {"batch_size": 8} | ({"text_mode": text_mode} if text_mode else {})  # None: a file from before modes
    return make_record("evaluate", model(name, arch), {"name": task}, args, figures, ENV | {"date": date})


def scale(name, arch, k, f1):
    figures = {"k": k, "micro": {"f1": f1}, "macro_f1": f1, "distractor_predictions": 3, "texts_per_second": 10.0 / k}
    return make_record("scale", model(name, arch), {"name": "wnut16"}, {"k": k, "batch_size": 8}, figures, ENV)


def speed(name, arch, texts_per_second, labels=None):
    figures = {"texts": 64, "labels": labels or 10, "batch_size": 8, "repeats": 3,
               "texts_per_second": texts_per_second, "tokens_per_second": 30 * texts_per_second,
               "latency_p50_s": 0.1, "latency_p95_s": 0.2, "dtype": "float32"}
    args = {"batch_size": 8} | ({"labels": labels} if labels else {})
    return make_record("throughput", model(name, arch), {"name": "wnut16"}, args, figures, ENV)


def write(root: Path, record: dict, name: str | None = None) -> Path:
    a = record["arguments"]
    key = f"k{a['k']}" if "k" in a else (f"b8-l{a.get('labels', 'task')}" if record["experiment"] == "throughput"
                                         else "raw" if a.get("text_mode") == "raw" else None)
    path = result_path(root, record["experiment"], record["model"]["id"], record["task"]["name"], key)
    if name:
        path = path.with_name(name)
    return write_json_atomic(path, record)


@pytest.fixture
def board(tmp_path):
    """A leaderboard root: two models on two tasks, a label-scaling curve each, throughput, declarations."""
    root = tmp_path / "board"
    results = root / "results"
    write(results, evaluate("uni", "UniEncoderSpan", "wnut16", 0.30))
    write(results, evaluate("uni", "UniEncoderSpan", "heldout", 0.50))
    write(results, evaluate("bi", "BiEncoderSpan", "wnut16", 0.40))
    write(results, evaluate("bi", "BiEncoderSpan", "heldout", 0.60))
    for k, (u, b) in {10: (0.30, 0.40), 100: (0.10, 0.35)}.items():
        write(results, scale("uni", "UniEncoderSpan", k, u))
        write(results, scale("bi", "BiEncoderSpan", k, b))
    write(results, speed("uni", "UniEncoderSpan", 12.0))
    write(results, speed("bi", "BiEncoderSpan", 30.0))
    write(results, speed("bi", "BiEncoderSpan", 25.0, labels=100))
    (root / "models.json").write_text(json.dumps({
        "uni": {"training_data": "built corpus", "seen_tasks": ["heldout"]},
        "bi": {"training_data": "built corpus", "seen_tasks": ["heldout"]}}), encoding="utf-8")
    (root / "reported.csv").write_text("source,model,params,benchmark,metric,value,note\n"
                                       "Paper A (arXiv 0000.00000),GLiNER-L,0.3B,CrossNER AI,micro-F1,57.2,\n",
                                       encoding="utf-8")
    return root


def test_bad_files_are_named_and_skipped_and_the_newest_of_a_cell_is_kept(board):
    results = board / "results"
    (results / "evaluate" / "corrupt.json").write_text('{"schema_version": 1, "pack', encoding="utf-8")
    (results / "evaluate" / "foreign.json").write_text('{"accuracy": 0.9}', encoding="utf-8")
    failed = make_record("evaluate", {"id": "x"}, {"name": "wnut16"}, {}, None, ENV, error="RuntimeError: boom")
    write_json_atomic(results / "evaluate" / "failed.json", failed)
    write(results, evaluate("uni", "UniEncoderSpan", "wnut16", 0.99, date="2026-11-01T00:00:00+00:00"), "old.json")
    write(results, evaluate("bi", "BiEncoderSpan", "wnut16", 0.45, date="2026-12-02T00:00:00+00:00"), "new.json")
    got = collect(results)
    notes = "\n".join(got.notes)
    assert "skipped evaluate/corrupt.json: not a readable JSON" in notes
    assert "skipped evaluate/foreign.json: not a gliner-bench results file" in notes
    assert "skipped evaluate/failed.json: the run failed (RuntimeError: boom)" in notes
    assert "kept evaluate/uni__wnut16.json (2026-12-01T10:00:00+00:00) over evaluate/old.json" in notes
    assert "kept evaluate/new.json (2026-12-02T00:00:00+00:00) over evaluate/bi__wnut16.json" in notes
    f1 = {(r["model"]["id"], r["task"]["name"]): r["figures"]["at_0.5"]["micro"]["f1"]
          for r in got.records if r["experiment"] == "evaluate"}
    assert f1 == {("uni", "wnut16"): 0.30, ("uni", "heldout"): 0.50, ("bi", "wnut16"): 0.45, ("bi", "heldout"): 0.60}


def test_the_f1_table_has_per_task_scores_means_zero_shot_flags_and_throughput(board):
    records = collect(board / "results").records
    frame = f1_frame(records, {"uni": {"seen_tasks": ["heldout"]}})
    assert frame["model"].tolist() == ["uni", "bi"]  # "bi" declares nothing: unranked, after the ranked
    uni = frame.set_index("model").loc["uni"]
    assert uni["F1 wnut16"] == 30.0 and uni["F1 heldout"] == 50.0 and uni[MEAN] == 30.0  # heldout was seen
    assert uni["zero-shot wnut16"] is True and uni["zero-shot heldout"] is False
    assert uni["texts/s"] == 12.0 and uni["parameters_M"] == 46.0
    bi = frame.set_index("model").loc["bi"]
    assert bi["zero-shot wnut16"] is None and pd.isna(bi[MEAN])  # "bi" declares nothing: no mean
    assert bi["texts/s"] == 30.0  # the task's own labels, not the 100-label run
    table = to_markdown(headline(frame))
    assert table.startswith(f"| rank | model | architecture | wnut16 | {MEAN} | {SEPARATOR} | heldout "
                            "| params (M) | texts/s |")  # no raw result: no raw column
    assert "|  | bi | BiEncoderSpan | 40.0? |  |  | 60.0? | 46.0 | 30.0 |" in table
    assert "| 1 | uni | UniEncoderSpan | 30.0 | 30.0 |  | 50.0* | 46.0 | 12.0 |" in table
    curve = scale_frame(records)
    assert curve[curve.model == "bi"]["F1"].tolist() == [40.0, 35.0]


def _frame(*records, models):
    return f1_frame(list(records), models)


def test_a_task_seen_by_any_declared_model_never_enters_anyones_zero_shot_mean():
    """Task A is in "a"'s training data: it leaves every model's mean, also "b"'s (which never saw it), however
    high the scores on it; task B, seen by no model, is in the mean; "c" declares nothing and gets no mean."""
    models = {"a": {"seen_tasks": ["A"]}, "b": {"seen_tasks": []}}
    frame = _frame(evaluate("a", "UniEncoderSpan", "A", 0.90), evaluate("a", "UniEncoderSpan", "B", 0.10),
                   evaluate("b", "BiEncoderSpan", "A", 0.00), evaluate("b", "BiEncoderSpan", "B", 0.20),
                   evaluate("c", "BiEncoderSpan", "A", 0.99), evaluate("c", "BiEncoderSpan", "B", 0.99), models=models)
    assert zero_shot_tasks(frame) == ["B"]
    means = dict(zip(frame["model"], frame[MEAN]))
    assert means["a"] == 10.0 and means["b"] == 20.0 and pd.isna(means["c"])  # A's 90 and 0 count nowhere
    assert frame["model"].tolist() == ["b", "a", "c"]  # ranked by the zero-shot mean; the undeclared last
    table = headline(frame)
    assert table["rank"].tolist() == ["1", "2", ""]
    assert table.columns.tolist() == ["rank", "model", "architecture", "B", MEAN, SEPARATOR, "A", "params (M)"]
    assert table["A"].tolist() == ["0.0", "90.0*", "99.0?"] and table["B"].tolist() == ["20.0", "10.0", "99.0?"]
    # the declaration counts even where the model has no result on that task: "d" saw C, so C is no one's
    models |= {"d": {"seen_tasks": ["C"]}}
    frame = _frame(evaluate("b", "BiEncoderSpan", "B", 0.20), evaluate("b", "BiEncoderSpan", "C", 0.80),
                   evaluate("d", "BiEncoderSpan", "B", 0.30), models=models)
    assert zero_shot_tasks(frame) == ["B"] and dict(zip(frame["model"], frame[MEAN])) == {"d": 30.0, "b": 20.0}
    # a model without a words result on every zero-shot task gets no mean (a mean over fewer tasks is no rank)
    frame = _frame(evaluate("a", "UniEncoderSpan", "B", 0.10), evaluate("b", "BiEncoderSpan", "B", 0.20),
                   evaluate("b", "BiEncoderSpan", "D", 0.40), models=models)
    assert zero_shot_tasks(frame) == ["B", "D"]
    assert frame["model"].tolist() == ["b", "a"] and pd.isna(frame.set_index("model").loc["a", MEAN])
    assert frame.set_index("model").loc["b", MEAN] == 30.0


def test_raw_text_results_sit_beside_the_words_ones_blank_where_missing_and_outside_the_mean(tmp_path):
    results = tmp_path / "results"
    write(results, evaluate("a", "UniEncoderSpan", "wnut16", 0.32))  # written before text modes existed
    write(results, evaluate("a", "UniEncoderSpan", "wnut16", 0.262, text_mode="raw"))
    write(results, evaluate("b", "BiEncoderSpan", "wnut16", 0.30, text_mode="words"))
    write(results, evaluate("b", "BiEncoderSpan", "heldout", 0.70, text_mode="words"))
    assert sorted(p.name for p in (results / "evaluate").iterdir()) == [
        "a__wnut16.json", "a__wnut16__raw.json", "b__heldout.json", "b__wnut16.json"]
    got = collect(results)
    assert got.notes == [] and len(got.records) == 4  # the raw file is its own cell, not a duplicate
    models = {"a": {"seen_tasks": []}, "b": {"seen_tasks": ["heldout"]}}
    frame = f1_frame(got.records, models).set_index("model")
    assert frame.loc["a", "F1 raw wnut16"] == 26.2 and pd.isna(frame.loc["b", "F1 raw wnut16"])
    assert frame.loc["a", MEAN] == 32.0 and frame.loc["b", MEAN] == 30.0  # raw never enters the mean
    table = to_markdown(headline(f1_frame(got.records, models)))
    assert "| 1 | a | UniEncoderSpan | 32.0 | 26.2 | 32.0 |  |  |" in table  # a has no heldout result: blank
    assert "| 2 | b | BiEncoderSpan | 30.0 |  | 30.0 |  | 70.0* |" in table  # no raw result: blank, not 0
    assert "heldout raw" not in table  # a seen task is shown in the words protocol only
    # no raw result anywhere: no raw column (an empty column reads as a failure)
    only_words = [r for r in got.records if r["arguments"].get("text_mode") != "raw"]
    assert "wnut16 raw" not in headline(f1_frame(only_words, models))


def test_relation_figures_get_their_own_table_and_a_column(board):
    rec = evaluate("rx", "UniEncoderSpanRelex", "heldout", 0.40)
    rec["figures"]["relations_at_0.5"] = {"precision": 0.5, "recall": 0.25, "f1": 1 / 3, "true_positives": 2,
                                          "predicted": 4, "gold": 8, "relation_types": ["located in", "works for"]}
    write(board / "results", rec)
    records = collect(board / "results").records
    table = relations_frame(records)
    assert table[["model", "task", "relation types", "gold", "predicted", "correct", "precision", "recall",
                  "F1"]].values.tolist() == [["rx", "heldout", 2, 8, 4, 2, 50.0, 25.0, 33.3]]
    assert f1_frame(records, {}).set_index("model").loc["rx", "relation F1 heldout"] == 33.3
    build(board)
    text = (board / "leaderboard.md").read_text(encoding="utf-8")
    assert "## Relations" in text and "| rx | heldout | words | 2 | 8 | 4 | 2 | 50.0 | 25.0 | 33.3 |" in text


def test_build_writes_every_generated_file_identically_twice(board, tmp_path):
    written, notes = build(board)
    assert sorted(p.name for p in written) == sorted(GENERATED) and notes == []
    first = {name: (board / name).read_bytes() for name in GENERATED}
    build(board, output=tmp_path / "again")
    assert {name: (tmp_path / "again" / name).read_bytes() for name in GENERATED} == first
    md = first["leaderboard.md"].decode()
    assert "| 2 | uni | UniEncoderSpan | 30.0 | 30.0 |  | 50.0* | 46.0 | 12.0 |" in md and "k=100" in md
    assert "The zero-shot mean is over: wnut16." in md
    reported = first["reported.md"].decode()
    assert "## Paper A (arXiv 0000.00000)" in reported and "57.2" in reported and "57.2" not in md
    html = first["f1_vs_labels.html"].decode()
    assert 'src="plotly.min.js"' in html and "cdn" not in html.lower() and '"bi (bi) on wnut16"' in html


def test_the_readme_block_between_the_markers_is_replaced_and_nothing_else(board, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nintro\n\n{README_START}\nold table\n{README_END}\n\n## Next\n", encoding="utf-8")
    written, notes = build(board, readme=readme)
    text = readme.read_text(encoding="utf-8")
    assert readme in written and text.startswith("# Title\n\nintro\n\n") and text.endswith(f"{README_END}\n\n## Next\n")
    assert "old table" not in text and "| 1 | bi | BiEncoderSpan | 40.0 | 40.0 |  | 60.0* | 46.0 | 30.0 |" in text
    assert "[board/leaderboard.md](board/leaderboard.md)" in text  # linked relative to the README
    plain = tmp_path / "plain.md"
    plain.write_text("no markers\n", encoding="utf-8")
    _, notes = build(board, readme=plain)
    assert plain.read_text(encoding="utf-8") == "no markers\n" and any("no <!-- leaderboard:start" in n for n in notes)


def test_reported_figures_without_a_source_are_refused(board):
    (board / "reported.csv").write_text("source,model,params,benchmark,metric,value,note\n"
                                        ",GLiNER-L,0.3B,AI,F1,57.2,\n", encoding="utf-8")
    with pytest.raises(LeaderboardError, match="no source or no value"):
        build(board)
    (board / "reported.csv").write_text("model,value\nx,1\n", encoding="utf-8")
    with pytest.raises(LeaderboardError, match="missing"):
        build(board)


def test_cli_reports_skipped_files_and_a_missing_results_directory(board, tmp_path, capsys):
    (board / "results" / "scale" / "junk.json").write_text("[]", encoding="utf-8")
    assert main(["leaderboard", "--root", str(board)]) == 0
    out = capsys.readouterr()
    assert "skipped scale/junk.json" in out.err and "wrote 9 files" in out.out
    shutil.rmtree(board / "results")
    assert main(["leaderboard", "--root", str(board)]) == 2
    assert "no such results directory" in capsys.readouterr().err


def test_the_committed_leaderboards_are_what_their_results_generate(tmp_path):
    """The files under leaderboards/ are generated, never edited: regenerating them from the committed results
    changes nothing. (The figures embed plotly's output: compared only when the installed plotly writes the
    same plotly.js as the one committed.)"""
    from plotly.offline import get_plotlyjs

    repo = Path(__file__).resolve().parent.parent
    root = repo / "leaderboards"
    assert (root / "results").is_dir(), "leaderboards/results is missing: run scripts/leaderboards.sh"
    readme = tmp_path / "README.md"
    shutil.copy(repo / "README.md", readme)
    build(root, output=tmp_path, readme=readme)
    assert readme.read_text(encoding="utf-8") == (repo / "README.md").read_text(encoding="utf-8").replace(
        "[leaderboards/leaderboard.md](leaderboards/leaderboard.md)", "[leaderboard.md](leaderboard.md)"), "README.md's headline table is stale: run " \
        "`gliner-bench leaderboard --readme README.md`"
    same_plotly = (root / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()
    for name in GENERATED:
        if name.endswith((".html", ".js")) and not same_plotly:
            continue
        assert (tmp_path / name).read_bytes() == (root / name).read_bytes(), (
            f"leaderboards/{name} differs from what its results generate: run `gliner-bench leaderboard` "
            "and commit the result")


def test_lower_precision_results_stay_out_of_the_f1_tables_and_are_labelled_in_throughput():
    from gliner_bench.leaderboard.collect import cell, precision_of
    from gliner_bench.leaderboard.tables import throughput_frame

    fp32 = evaluate("m", "UniEncoderSpan", "wnut16", 0.40)
    int8 = evaluate("m", "UniEncoderSpan", "wnut16", 0.10)
    int8["model"]["precision"] = "int8"
    assert precision_of(fp32) == "fp32" and precision_of(int8) == "int8" and cell(fp32) != cell(int8)
    assert list(f1_frame([fp32, int8], {})["F1 wnut16"]) == [40.0]
    fast = speed("m", "UniEncoderSpan", 25.0)
    fast["model"]["precision"] = "int8"
    rows = throughput_frame([speed("m", "UniEncoderSpan", 10.0), fast])[["precision", "texts/s"]]
    assert sorted(rows.itertuples(index=False, name=None)) == [("fp32", 10.0), ("int8", 25.0)]


# ---------------------------------------------------------------------------------------------- intervals, units
def counted(name, arch, task, per_unit, unit="sentence", language=None):
    """An evaluate record with per-unit counts (tp, predicted, gold) and their interval, as the harness writes it."""
    from gliner_bench.measurement import bootstrap

    counts = bootstrap.counts_from_json(per_unit)
    rec = evaluate(name, arch, task, bootstrap.micro_f1(counts))
    rec["figures"]["at_0.5"] |= {"interval": bootstrap.f1_interval(counts), "unit_counts": per_unit}
    rec["arguments"] |= {"unit": unit} if unit != "sentence" else {}
    rec["task"] |= {"language": language} if language else {}
    return rec


def test_the_mean_takes_english_document_units_and_ranks_ties_together():
    """a and b are close on 400 units each (not significantly apart: they share rank 1); c is far below. The mean
    is over wnut16 and conll03's document unit; conll03 per sentence and the Chinese task sit outside it."""
    # b differs from a on 23 units, 12 worse and 11 better: a hair lower overall, and within the noise
    good, bad = [[3, 4, 4]] * 400, [[1, 4, 4]] * 400
    close = [[3, 4, 4]] * 377 + [[2, 4, 4]] * 12 + [[4, 4, 4]] * 11
    docs_a, docs_c = [[30, 40, 40]] * 40, [[10, 40, 40]] * 40
    recs = []
    for name, units, docs in (("a", good, docs_a), ("b", close, docs_a), ("c", bad, docs_c)):
        recs += [counted(name, "UniEncoderSpan", "wnut16", units), counted(name, "UniEncoderSpan", "conll03", units),
                 counted(name, "UniEncoderSpan", "conll03", docs, unit="document"),
                 counted(name, "UniEncoderSpan", "msra", units, language="zh")]
    models = {m: {"seen_tasks": []} for m in "abc"}
    frame = f1_frame(recs, models)
    assert frame["mean over"].iloc[0] == "conll03 doc, wnut16"
    row = frame.set_index("model")
    assert row.loc["a", MEAN] == 75.0 and row.loc["c", MEAN] == 25.0  # msra and conll03 sentences not in it
    assert frame["model"].tolist() == ["a", "b", "c"]
    assert row.loc["a", "rank"] == 1 and row.loc["b", "rank"] == 1 and row.loc["c", "rank"] == 3
    assert row.loc["b", f"CI low {MEAN}"] < row.loc["b", MEAN] < row.loc["b", f"CI high {MEAN}"]
    assert row.loc["a", "CI low wnut16"] == 75.0 == row.loc["a", "CI high wnut16"]  # every unit alike: no spread
    table = headline(frame)
    assert table.columns.tolist() == ["rank", "model", "architecture", "conll03 doc", "wnut16", MEAN, "conll03", "msra",
                                      "params (M)"]
    assert table["rank"].tolist() == ["1", "1", "3"]
    assert table["wnut16"].iloc[0] == "75.0 [75.0, 75.0]" and table[MEAN].iloc[1].startswith("75.0 [")


def test_intervals_survive_the_csv_round_trip_the_app_reads(tmp_path):
    recs = [counted(n, "BiEncoderSpan", "wnut16", [[1, 2, 2], [2, 2, 3], [0, 1, 2]] * (20 + i))
            for i, n in enumerate("xy")]
    frame = f1_frame(recs, {"x": {"seen_tasks": []}, "y": {"seen_tasks": []}})
    frame.to_csv(tmp_path / "f1.csv", index=False)
    back = pd.read_csv(tmp_path / "f1.csv")
    assert headline(back).to_dict() == headline(frame).to_dict()
    assert "[" in headline(back)["wnut16"].iloc[0]
