"""The app's pure parts (label parsing, limits, rendering) and its service layer on the bundled defaults.

The browser test (test_app_browser.py) drives the served page; here each piece is checked without a server.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("gradio")

from gliner_bench.app import render, service, ui
from gliner_bench.app.limits import (
    LIMITS,
    InputError,
    check_count,
    check_flag,
    check_models,
    check_text,
    check_threshold,
    parse_labels,
)
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
    with pytest.raises(InputError, match=r"100,000 characters; this demo takes at most 3,000"):
        check_text("a" * 100_000)
    assert check_text("a" * LIMITS.max_chars) == "a" * LIMITS.max_chars


@pytest.mark.parametrize("value", [-0.1, 1.5, "x", None, float("nan"), [0.5], True])
def test_a_threshold_outside_zero_one_is_refused(value):
    with pytest.raises(InputError, match="threshold must be .*between 0 and 1"):
        check_threshold(value)


@pytest.mark.parametrize("call, message", [
    (lambda: check_text(["a list"]), "The text must be text, got list"),
    (lambda: check_text(42), "The text must be text, got int"),
    (lambda: check_text("Paris \ud800 is nice"), r"not valid Unicode text \(a lone surrogate, U\+D800, at position 7\)"),
    (lambda: parse_labels("person, \udfff", 10), "entity labels box holds a character that is not valid Unicode"),
    (lambda: parse_labels({"person": 1}, 10), "entity labels box must be text, got dict"),
    (lambda: parse_labels("person, " + "x" * 300, 10), "300 characters is longer than 100"),
    (lambda: check_flag("yes", "flat"), "flat option must be true or false"),
    (lambda: check_count(2.5, "number of generated labels", 1, 5), "whole number from 1 to 5"),
    (lambda: check_count(9, "number of generated labels", 1, 5), "from 1 to 5, got 9"),
    (lambda: check_models("uni-span", ["uni-span"]), "list of names from: uni-span"),
])
def test_every_input_of_the_wrong_type_or_shape_gets_a_message_that_names_it(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_the_relation_limit_does_not_send_the_visitor_to_a_tab_without_relations():
    box = ", ".join(f"rel {i}" for i in range(20))
    with pytest.raises(InputError, match=r"limit of 16; remove 4 of them\.$"):
        parse_labels(box, LIMITS.max_relations, "relation type", elsewhere="")


def test_flags_counts_and_model_lists_that_are_right_pass():
    assert check_flag(True, "flat") is True and check_flag(0, "flat") is False
    assert check_count(2.0, "n", 1, 5) == 2
    assert check_models(("a", "b"), ["a", "b"]) == ["a", "b"] and check_models(None, ["a"]) == []


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


def test_every_chip_colour_has_aa_contrast_under_its_text():
    assert render.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert render.contrast_ratio("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # the AA border, just under
    worst = min(render.contrast_ratio(c, render.CHIP_TEXT) for c in render.PALETTE)
    assert worst >= 4.5, worst
    assert render.contrast_ratio("#E69F00", "#FFFFFF") < 4.5  # the old chips: white text on orange failed
    with pytest.raises(ValueError, match="#RRGGBB"):
        render.relative_luminance("orange")


# ------------------------------------------------------------------------------------------------ serving
def test_int8_serving_runs_the_uni_and_bi_encoders_on_onnx_and_keeps_their_answers():
    pytest.importorskip("onnxruntime")
    names = ["uni-span", "bi-token", "relex-span"]
    specs = ",".join(f"{n}=bundled:{n}" for n in names)
    fast = ModelPool.from_config(specs, bundled=False, serving="int8")
    slow = ModelPool.from_config(specs, bundled=False)
    text, labels = "Barack Obama flew from Washington to Paris on Monday.", ["person", "location", "date"]
    got = {o.model: o for o in service.compare(fast, names, text, labels, 0.5)}
    want = {o.model: o for o in service.compare(slow, names, text, labels, 0.5)}
    assert {n: got[n].backend for n in names} == {"uni-span": "ONNX int8", "bi-token": "ONNX int8",
                                                  "relex-span": "torch fp32"}
    assert fast.get("uni-span").backend == "onnxruntime" and fast.get("relex-span").backend == "torch"
    assert all(want[n].backend == "torch fp32" for n in names)
    for n in names:  # the same entities; scores within int8's error
        assert [(e["text"], e["label"]) for e in got[n].entities] == [(e["text"], e["label"]) for e in want[n].entities]
        assert max(abs(a["score"] - b["score"]) for a, b in zip(got[n].entities, want[n].entities)) < 0.05


def test_a_model_that_cannot_be_exported_is_served_in_fp32_with_a_note(monkeypatch):
    from gliner_bench.runtimes.onnx import export

    def broken(*args, **kwargs):
        raise RuntimeError("onnxruntime is not installed\nsecond line")

    monkeypatch.setattr(export, "export_onnx", broken)
    pool = ModelPool.from_config("uni-span=bundled:uni-span", bundled=False, serving="int8")
    out = service.compare(pool, ["uni-span"], "Angela Merkel visited Paris.", ["person", "city"], 0.5)[0]
    assert out.error is None and out.entities and out.backend == "torch fp32"
    assert out.note == "int8 unavailable (RuntimeError: onnxruntime is not installed); served in fp32"
    assert "int8 unavailable" in ui._header(out)


def test_serving_is_checked():
    with pytest.raises(ValueError, match="'int8'.*'fp32'"):
        ModelPool.from_config("", serving="int4")
    with pytest.raises(ValueError, match="precision='fp32'"):
        ModelPool.from_config("", serving="int8", precision="bf16")


# ------------------------------------------------------------------------------------------------ service
@pytest.fixture(scope="module")
def pool():
    return ModelPool.from_config("")


def test_precomputed_examples_are_served_for_their_exact_inputs_only(pool):
    cache = service.Precomputed()
    calls = [lambda cache: service.compare(pool, ["uni-span"], TEXT, LABELS, 0.5, cache=cache)]
    cache.warm(calls)
    assert len(cache) == 1
    (hit,) = service.compare(pool, ["uni-span"], TEXT, LABELS, 0.5, cache=cache)
    assert service.Precomputed.NOTE in hit.note and hit.entities
    (live,) = service.compare(pool, ["uni-span"], TEXT, LABELS, 0.6, cache=cache)  # another threshold: runs
    assert service.Precomputed.NOTE not in live.note
    (other,) = service.compare(pool, ["uni-span"], TEXT + " ", LABELS, 0.5, cache=cache)
    assert service.Precomputed.NOTE not in other.note
    failing = service.Precomputed()
    failing.warm([lambda cache: service.compare(pool, ["uni-span"], TEXT, ["\ud800"], 0.5, cache=cache)])
    assert len(failing) == 0  # an error is never stored: the next click runs again


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
    broken._served.update(pool._served)  # share the loaded weights
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
    from gliner_bench.app.ui import QUEUE_SIZE

    assert demo._queue.max_size == QUEUE_SIZE >= 50  # 50 concurrent visitors wait in the queue, none turned away


# ------------------------------------------------------------------------------------------------ handlers
@pytest.fixture(scope="module")
def compare_handler(pool):
    import gradio as gr

    from gliner_bench.app import ui

    with gr.Blocks():
        panels = ui._Panels(pool.names()[:2])
    return ui._handler(ui.on_compare, pool, service.Precomputed(), panels), panels


HOSTILE = '<img src=x onerror="alert(1)"><a href="https://example.com">link</a>'


@pytest.mark.parametrize("values, message", [
    (("", "person", 0.5, True, False, ["uni-span"]), "Type or paste some text"),
    ((TEXT, "person", 0.5, True, False, []), "Pick at least one model"),
    ((TEXT, "person", "abc", True, False, ["uni-span"]), "threshold must be a number"),
    ((TEXT, HOSTILE, 0.5, "yes", False, ["uni-span"]), "flat option must be true or false"),
])
def test_a_refused_input_is_the_tabs_message_and_leaves_every_panel_as_it_was(compare_handler, values, message):
    import gradio as gr

    handler, panels = compare_handler
    out = handler(*values)
    assert message in out[0] and 'class="error"' in out[0]
    assert len(out) == 1 + len(panels.components())
    assert all(isinstance(v, type(gr.skip())) for v in out[1:])


def test_labels_and_errors_are_shown_as_text_never_as_html(compare_handler):
    handler, _ = compare_handler
    dup = HOSTILE.replace(",", " ")
    out = handler(TEXT, f"person, {dup}, {dup}", 0.5, True, False, ["uni-span"])
    assert "Dropped repeated label(s)" in out[0]
    assert "<img" not in out[0] and "<a " not in out[0] and "&lt;img" in out[0]
    from gliner_bench.app.ui import _header

    broken = service.ModelOutput("uni-span", "UniEncoderSpan", error=f"failed on {HOSTILE}")
    assert "<img" not in _header(broken) and "&lt;img src=x" in _header(broken)


@pytest.mark.parametrize("text, num, message", [
    ("word " * 201, 1, "1,005 characters; this demo takes at most 1,000"),
    (TEXT, LIMITS.max_generated + 1, f"number of generated labels must be from 1 to {LIMITS.max_generated}, got"),
])
def test_discovery_has_its_own_smaller_limits(pool, text, num, message):
    """Beam search over every span's name costs the most: the Discovery tab takes a shorter text and fewer
    generated labels than the other tabs (limits.Limits)."""
    import gradio as gr

    with gr.Blocks():
        panels = ui._Panels(pool.names("generated_labels"))
    handler = ui._handler(ui.on_discover, pool, service.Precomputed(), panels)
    out = handler(text, "person", "", 0.3, num, pool.names("generated_labels"))
    assert message in out[0], out[0]
    assert LIMITS.max_discovery_chars < LIMITS.max_chars and str(LIMITS.max_generated) in ui.LIMITS_TEXT
