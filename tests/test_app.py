"""The app's pure parts (label parsing, limits, rendering) and its service layer on the bundled defaults.

The browser test (test_app_browser.py) drives the served page; here each piece is checked without a server.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("gradio")

from gliner_bench.app import render, service
from gliner_bench.app.limits import LIMITS, InputError, check_text, check_threshold, parse_labels
from gliner_bench.app.models import ModelEntry, ModelPool, parse_model_list
from gliner_bench.loading import bundled_names

TEXT = "Angela Merkel met Emmanuel Macron in Paris on Tuesday."
LABELS = ["person", "city", "date"]


# ------------------------------------------------------------------------------------------------ limits
def test_labels_are_trimmed_deduplicated_ignoring_case_and_blanks_dropped():
    labels, dups = parse_labels(" person, ,Person ,city\n date,,city ", 10)
    assert labels == ["person", "city", "date"]
    assert dups == ["Person", "city"]


@pytest.mark.parametrize("box", ["", "   ", ",,, ,", None, "\n,\n"])
def test_a_label_box_of_only_commas_or_blanks_asks_for_a_label(box):
    with pytest.raises(InputError, match="at least one entity label"):
        parse_labels(box, 10)


def test_a_thousand_labels_exceed_the_limit_with_a_message_that_says_how_many_to_remove():
    box = ", ".join(f"type {i}" for i in range(1000))
    with pytest.raises(InputError, match=r"1,000 entity labels .* limit of 64; remove 936 .*Many labels"):
        parse_labels(box, LIMITS.max_labels)
    with pytest.raises(InputError, match="limit of 512; remove 488"):
        parse_labels(box, LIMITS.max_schema_labels)
    assert len(parse_labels(box, 1000)[0]) == 1000


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_refused_with_a_message(text):
    with pytest.raises(InputError, match="Type or paste some text"):
        check_text(text)


def test_a_hundred_thousand_characters_are_refused_with_the_limit():
    with pytest.raises(InputError, match=r"100,000 characters; this demo takes at most 5,000"):
        check_text("a" * 100_000)
    assert check_text("a" * LIMITS.max_chars) == "a" * LIMITS.max_chars


@pytest.mark.parametrize("value", [-0.1, 1.5, "x", None])
def test_a_threshold_outside_zero_one_is_refused(value):
    with pytest.raises(InputError, match="between 0 and 1"):
        check_threshold(value)


# ------------------------------------------------------------------------------------------------ render
def _ent(start, end, label, score, text=TEXT):
    return {"start": start, "end": end, "text": text[start:end], "label": label, "score": score}


def test_highlight_covers_the_text_once_and_tags_label_and_score():
    ents = [_ent(0, 13, "person", 0.91), _ent(37, 42, "city", 0.8)]
    segments = render.highlight(TEXT, ents)
    assert "".join(s for s, _ in segments) == TEXT
    assert [(s, t) for s, t in segments if t] == [("Angela Merkel", "person 0.91"), ("Paris", "city 0.80")]


def test_highlight_keeps_the_best_of_overlapping_entities_and_the_table_keeps_all():
    ents = [_ent(0, 13, "person", 0.6), _ent(0, 6, "person", 0.9), _ent(7, 13, "city", 0.3)]
    segments = render.highlight(TEXT, ents)
    assert "".join(s for s, _ in segments) == TEXT
    assert [t for _, t in segments if t] == ["person 0.90", "city 0.30"]
    assert len(render.entity_rows(ents)) == 3


def test_every_tag_of_a_label_gets_that_labels_colour():
    ents = [_ent(0, 13, "person", 0.91), _ent(18, 33, "person", 0.7), _ent(37, 42, "city", 0.8)]
    colors = render.color_map(LABELS, ents)
    assert colors["person 0.91"] == colors["person 0.70"] != colors["city 0.80"]


def test_relation_rows_and_graph():
    ents = [_ent(0, 13, "person", 0.9), _ent(37, 42, "city", 0.8)]
    rel = {"head": {"start": 0, "end": 13, "text": "Angela Merkel", "type": "person", "entity_idx": 0},
           "tail": {"start": 37, "end": 42, "text": "Paris", "type": "city", "entity_idx": 1},
           "relation": "visited", "score": 0.66}
    assert render.relation_rows([rel]) == [["Angela Merkel", "person", "visited", "Paris", "city", 0.66]]
    fig = render.relation_graph(ents, [rel], LABELS)
    assert list(fig.data[0].text) == ["Angela Merkel", "Paris"]
    assert any(a.text == "visited 0.66" for a in fig.layout.annotations)
    empty = render.relation_graph(ents, [], LABELS)
    assert "no relations" in empty.layout.annotations[0].text


# ------------------------------------------------------------------------------------------------ models
def test_model_lists_parse_names_and_specs():
    assert parse_model_list(" mine=runs/x/final , bundled:uni-span,,org/model ") == [
        ("mine", "runs/x/final"), ("uni-span", "bundled:uni-span"), ("model", "org/model")]


def test_the_pool_serves_the_bundled_defaults_in_architecture_order():
    pool = ModelPool.from_config("")
    assert sorted(pool.names()) == bundled_names()
    order = [pool.entries[n].family for n in pool.names()]
    assert order == sorted(order, key=["uni", "bi", "decoder", "relex"].index)


def test_a_configured_checkpoint_that_is_not_one_fails_at_start_with_its_name(tmp_path):
    with pytest.raises(ValueError, match="gliner_config.json"):
        ModelPool.from_config(f"broken={tmp_path}", bundled=False)


def test_a_configured_checkpoint_directory_joins_the_bundled_defaults():
    from gliner_bench.loading import bundled_path

    pool = ModelPool.from_config(f"mine={bundled_path('uni-span')}")
    assert pool.names()[-1] == "mine" and pool.entries["mine"].architecture == "UniEncoderSpan"
    assert ModelPool.from_config(f"mine={bundled_path('uni-span')}", bundled=False).names() == ["mine"]


def test_the_demo_command_names_a_bad_checkpoint_and_exits(tmp_path, capsys):
    from gliner_bench.cli import main

    assert main(["demo", "--no-bundled", "--models", f"x={tmp_path / 'none'}"]) == 2
    assert "neither a checkpoint directory nor" in capsys.readouterr().err


def test_two_models_with_one_name_are_refused():
    with pytest.raises(ValueError, match="distinct names"):
        ModelPool([ModelEntry("a", "bundled:uni-span", "UniEncoderSpan", "uni")] * 2)


# ------------------------------------------------------------------------------------------------ service
@pytest.fixture(scope="module")
def pool():
    return ModelPool.from_config("")


def _check_offsets(text, entities, labels):
    for e in entities:
        assert text[e["start"]:e["end"]] == e["text"] and e["label"] in labels and 0 <= e["score"] <= 1


def test_compare_runs_each_model_on_the_same_text_and_reports_loading_once(pool):
    names = [n for n in ("uni-span", "bi-span") if n in pool.entries]
    first = service.compare(pool, names, TEXT, LABELS, 0.5)
    assert [o.model for o in first] == names
    for out in first:
        assert out.error is None and out.seconds > 0
        _check_offsets(TEXT, out.entities, LABELS)
        assert {"Angela Merkel", "Paris"} <= {e["text"] for e in out.entities}, out.entities
    again = service.compare(pool, names, TEXT, LABELS, 0.5)
    assert all(o.load_seconds is None for o in again)
    assert [o.entities for o in again] == [o.entities for o in first]


@pytest.mark.parametrize("text", ["東京は日本の首都です。Angela Merkel visited Tokyo 🇯🇵🎉 on Tuesday.",
                                  "東" * 4000, "🎉" * 1000])
def test_cjk_and_emoji_text_runs_with_offsets_into_the_text(pool, text):
    (out,) = service.compare(pool, ["uni-span"], text, LABELS, 0.5)
    assert out.error is None
    _check_offsets(text, out.entities, LABELS)


def test_a_failing_model_reports_its_error_and_the_others_still_answer(pool, tmp_path):
    (tmp_path / "gliner_config.json").write_text(json.dumps({"model_name": "nowhere/none", "span_mode": "markerV0"}))
    broken = ModelPool(list(pool.entries.values()) + [ModelEntry("broken", str(tmp_path), "UniEncoderSpan", "uni")])
    broken._models.update(pool._models)  # share the loaded weights
    outs = service.compare(broken, ["broken", "uni-span"], TEXT, LABELS, 0.5)
    assert "broken could not be loaded" in outs[0].error and outs[0].entities == []
    assert outs[1].error is None and outs[1].entities


def test_no_model_selected_is_an_input_error(pool):
    with pytest.raises(InputError, match="Pick at least one model"):
        service.compare(pool, [], TEXT, LABELS, 0.5)
    with pytest.raises(InputError, match="Unknown model"):
        service.compare(pool, ["nope"], TEXT, LABELS, 0.5)


def test_many_labels_reuses_the_bi_encoders_cached_label_embeddings(pool):
    from importlib import resources

    schema = json.loads(resources.files("gliner_bench.data").joinpath("entity_types.json").read_text())["types"]
    assert len(schema) >= 100
    pool.run("bi-span", lambda m: m.clear_label_cache())
    first = service.many_labels(pool, ["bi-span", "uni-span"], TEXT, schema, 0.5)
    assert f"{len(schema)} of {len(schema)} label embeddings encoded" in first[0].note
    assert "prompted" in first[1].note
    assert pool.get("bi-span").uncached_labels(schema) == []  # every label is in its cache now
    second = service.many_labels(pool, ["bi-span"], TEXT, schema, 0.5)
    assert "reused from the model's label cache" in second[0].note
    assert second[0].entities == first[0].entities
    for out in first:
        assert out.error is None
        _check_offsets(TEXT, out.entities, schema)


def test_relations_need_a_relex_model(pool):
    with pytest.raises(InputError, match="not a relation model"):
        service.relations(pool, ["uni-span"], TEXT, LABELS, ["visited"], 0.5, 0.5)
    relex = pool.names("relations")
    if not relex:
        pytest.skip("no bundled relex model")
    (out,) = service.relations(pool, relex[:1], TEXT, LABELS, ["met", "located in"], 0.5, 0.3)
    assert out.error is None and out.relations is not None
    for r in out.relations:
        assert r["head"]["entity_idx"] < len(out.entities) and r["relation"] in ("met", "located in")


def test_discovery_needs_a_decoder_model(pool):
    with pytest.raises(InputError, match="no label decoder"):
        service.discover(pool, ["uni-span"], TEXT, LABELS, 0.5)
    with pytest.raises(InputError, match="1 to 5"):
        service.discover(pool, ["uni-span"], TEXT, LABELS, 0.5, num_sequences=9)


def test_discovery_names_each_entity_with_the_decoder(pool):
    decoders = pool.names("generated_labels")
    if not decoders:
        pytest.skip("no bundled decoder model")
    outs = service.discover(pool, decoders, TEXT, LABELS, 0.3, num_sequences=2)
    for out in outs:
        assert out.error is None and out.entities, out
        _check_offsets(TEXT, out.entities, LABELS)
        for e in out.entities:
            assert 1 <= len(e["generated_labels"]) <= 2 and all(isinstance(g, str) for g in e["generated_labels"])
    (constrained,) = service.discover(pool, decoders[:1], TEXT, LABELS, 0.3, constraints=["human", "place"])
    assert {g for e in constrained.entities for g in e["generated_labels"]} <= {"human", "place"}


def test_the_leaderboard_tabs_read_the_published_tables_and_say_when_there_are_none(tmp_path):
    from gliner_bench.app import leaderboard_view

    board = leaderboard_view.load(leaderboard_view.REPO_LEADERBOARDS)
    assert board.missing is None and len(board.headline()) == len(board.f1) >= 1
    assert board.f1_vs_labels() is not None and board.f1_vs_throughput() is not None
    empty = leaderboard_view.load(tmp_path)
    assert "gliner-bench leaderboard" in empty.missing and empty.f1_vs_labels() is None
    (tmp_path / "f1.csv").write_bytes(b"\xff\xfe\x00garbage")
    assert leaderboard_view.load(tmp_path).f1 is None


def test_the_app_builds_with_every_tab(pool):
    import gradio as gr

    from gliner_bench.app import build_app

    demo = build_app(pool)
    assert isinstance(demo, gr.Blocks)
    tabs = [b.label for b in demo.blocks.values() if isinstance(b, gr.Tab)]
    assert tabs == ["Compare", "Relations", "Label discovery", "Many labels", "Leaderboard", "Scaling"]
    assert demo._queue.max_size == 32
