"""``build_app() -> gr.Blocks``: the Compare, Relations, Label discovery, Many labels, Leaderboard and Scaling tabs.

Layout and wiring only: parsing and limits live in ``limits.py``, model calls in ``service.py``, rendering in
``render.py``. Every model gets a fixed result panel per tab (built once, shown when selected), so one click fills
them all. Input errors become a message in the page (``gr.Error``); a model that fails shows its message in its own
panel while the others show their results.
"""

from __future__ import annotations

import json
import logging
import threading
from functools import partial
from html import escape
from importlib import resources

import gradio as gr

from ..config.capabilities import Capabilities
from . import examples as app_examples
from . import leaderboard_view, render, service
from .leaderboard_view import LeaderboardView
from .limits import (
    LIMITS,
    LIMITS_TEXT,
    InputError,
    check_count,
    check_flag,
    check_models,
    check_string,
    check_text,
    check_threshold,
    parse_labels,
)
from .models import ModelPool, in_background

log = logging.getLogger(__name__)

QUEUE_SIZE = 256  # requests waiting beyond this are told the demo is busy (50 concurrent visitors fit)
MODEL_WORKERS = 2  # model calls running at once, across all tabs (one concurrency group)
RUN_ARGS = {"concurrency_id": "models", "concurrency_limit": MODEL_WORKERS}  # every event that runs models
ENTITY_HEADERS = render.ENTITY_COLUMNS
# Chip text: dark on every palette colour (contrast >= 4.5:1, tests/test_app.py). Tables (render.html_table) fill
# their column, wrap cell text, never break a header inside a word, and below 700 px show each row as a card of
# "header: value" lines; plots follow their container's width (tests/test_app_browser.py checks both widths).
CSS = f"""
.model-highlight .label {{ color: {render.CHIP_TEXT} !important; }}
.model-highlight .token.highlighted, .model-highlight .token.highlighted .text {{ color: {render.CHIP_TEXT} !important; }}
.gb-table {{ width: 100%; border-collapse: collapse; table-layout: auto; font-size: 0.9em; }}
.gb-table caption {{ text-align: left; font-weight: 600; padding: 4px 0; }}
.gb-table th, .gb-table td {{ padding: 4px 8px; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }}
.gb-table th {{ word-break: keep-all; overflow-wrap: normal; hyphens: none; white-space: normal; }}
.gb-table td {{ overflow-wrap: break-word; }}
.gb-table .num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.gb-table td.empty {{ color: #555; font-style: italic; text-align: left; }}
@media (max-width: 700px) {{
  .gb-table thead {{ display: none; }}
  .gb-table tr {{ display: block; border-bottom: 2px solid #ccc; padding: 4px 0; }}
  .gb-table td {{ display: flex; gap: 12px; justify-content: space-between; border: none; padding: 2px 4px;
                  text-align: right; }}
  .gb-table td::before {{ content: attr(data-label); font-weight: 600; text-align: left; overflow-wrap: normal;
                          word-break: keep-all; }}
  .gb-table td.empty::before {{ content: none; }}
}}
.gb-plot, .gb-plot .js-plotly-plot {{ max-width: 100%; }}
[id$="-examples"] table {{ table-layout: fixed; width: 100%; }}
[id$="-examples"] td, [id$="-examples"] th {{ white-space: normal !important; overflow-wrap: anywhere;
  max-width: none !important; }}
.run-status:empty {{ display: none; }}
.run-status .error {{ color: #8a1c1c; background: #fdecea; border: 1px solid #f5c2c0; border-radius: 6px;
                      padding: 8px 12px; }}
.run-status .notice {{ color: #4a3b00; background: #fff8db; border: 1px solid #f0e0a0; border-radius: 6px;
                       padding: 8px 12px; }}
"""


# ------------------------------------------------------------------------------------ helpers
def _schema() -> str:
    types = json.loads(resources.files("gliner_bench.data").joinpath("entity_types.json").read_text())["types"]
    return ", ".join(types)


def _header(out: service.ModelOutput, verdict: str = "") -> str:
    """The panel's title as HTML; every part that can hold visitor input is escaped."""
    title = f"<strong>{escape(out.model)}</strong> · <code>{escape(out.architecture)}</code>"
    if out.error:
        return f"{title}<br>⚠️ {escape(out.error)}"
    parts = [f"{out.seconds * 1000:.0f} ms", f"{len(out.entities)} entities"] + ([out.backend] if out.backend else [])
    if out.relations is not None:
        parts.append(f"{len(out.relations)} relations")
    if out.load_seconds is not None:
        parts.append(f"loaded in {out.load_seconds:.1f} s on first use")
    lines = [title, " · ".join(parts)] + [escape(x) for x in (out.note, verdict) if x]
    return "<br>".join(lines)


def _status(message: str = "", kind: str = "error") -> str:
    """The tab's message line (HTML; the message escaped): an input error, or a notice such as dropped labels."""
    return f'<div class="{kind}" role="status">{escape(message)}</div>' if message else ""


def _inputs(text, labels_box, threshold, limit=LIMITS.max_labels, max_chars=LIMITS.max_chars,
            what="entity label", elsewhere="the Many labels tab"):
    """Validated (text, labels, threshold, notice): duplicates dropped, with a notice. Raises ``InputError``."""
    text = check_text(text, max_chars)
    labels, dups = parse_labels(labels_box, limit, what, elsewhere)
    threshold = check_threshold(threshold)
    notice = f"Dropped repeated label(s): {', '.join(dups)}." if dups else ""
    return text, labels, threshold, notice


def _entity_only(capabilities: Capabilities) -> bool:
    """The Many labels tab's models: entities from the labels alone (no relations, no generated names)."""
    return not capabilities.relations and not capabilities.generated_labels


def _handler(fn, *bound):
    """``fn`` with its first arguments bound (the pool, the cache, the panels); a refused input becomes the tab's
    message and leaves every panel as it was. Keeps ``fn``'s name, which gradio makes the event's API name."""
    panels = bound[-1]

    def handler(*values):
        try:
            status, outputs = fn(*bound, *values)
        except InputError as err:
            return [_status(str(err))] + [gr.skip()] * len(panels.components())
        return [status] + outputs

    handler.__name__ = fn.__name__
    return handler


class _Panels:
    """One result panel per model of a tab: header, highlighted text, table (and a graph for relations)."""

    def __init__(self, names: list[str], graph: bool = False, generated=(), columns: int = 2,
                 examples: tuple[app_examples.Example, ...] = ()):
        """``graph``: a relation table and graph; else an entity table, with a "generated labels" column for the
        models in ``generated`` (those with ``generated_labels``). ``examples``: the tab's, whose written answers
        the panels check their results against."""
        self.names = names
        self.generated = set(generated)
        self.examples = examples
        self.groups, self.titles, self.highlights, self.tables, self.graphs = {}, {}, {}, {}, {}
        for i in range(0, len(names), columns):
            with gr.Row(equal_height=False):
                for name in names[i:i + columns]:
                    self._panel(name, graph)

    def _panel(self, name: str, graph: bool) -> None:
        headers = (render.RELATION_COLUMNS if graph
                   else ENTITY_HEADERS + ["generated labels"] * (name in self.generated))
        with gr.Column(visible=True, min_width=320, elem_classes=["model-panel"]) as group:
            self.groups[name] = group
            self.titles[name] = gr.HTML(f"<strong>{escape(name)}</strong>", elem_classes=["model-title"])
            self.highlights[name] = gr.HighlightedText(
                label=f"{name}: entities", show_legend=False, combine_adjacent=False,
                elem_id=f"highlight-{name}", elem_classes=["model-highlight"])
            self.tables[name] = gr.HTML(render.html_table(headers, [], empty="run the models to see a table"),
                                        elem_classes=["model-table"], elem_id=f"table-{name}")
            if graph:
                self.graphs[name] = gr.Plot(label=f"{name}: relation graph")

    def components(self) -> list:
        out = []
        for name in self.names:
            out += [self.groups[name], self.titles[name], self.highlights[name], self.tables[name]]
            if self.graphs:
                out.append(self.graphs[name])
        return out

    def updates(self, text: str, labels: list[str], outputs: list[service.ModelOutput]) -> list:
        by_name = {o.model: o for o in outputs}
        example = app_examples.find(self.examples, text)
        values = []
        for name in self.names:
            out = by_name.get(name)
            if out is None:
                values += [gr.Column(visible=False), gr.skip(), gr.skip(), gr.skip()] + [gr.skip()] * bool(self.graphs)
                continue
            entities = [] if out.error else out.entities
            verdict = "" if out.error else app_examples.verdict(example, entities, out.relations)
            highlight = gr.HighlightedText(value=render.highlight(text, entities),
                                           color_map=render.color_map(labels, entities))
            if self.graphs:
                values += [gr.Column(visible=True), _header(out, verdict), highlight,
                           render.relation_table([] if out.error else out.relations or []),
                           render.relation_graph(entities, out.relations or [], labels)]
            else:
                values += [gr.Column(visible=True), _header(out, verdict), highlight,
                           render.entity_table(entities, generated=name in self.generated)]
        return values


def _model_picker(names: list[str], label: str = "models to run") -> gr.CheckboxGroup:
    return gr.CheckboxGroup(choices=names, value=names, label=label)


def _examples(rows: list[list], inputs: list, handler, outputs: list, label: str, visible: int = 2,
              elem_id: str | None = None) -> None:
    """Examples that fill every input (the first ``visible`` shown; the settings are the tab's defaults, as they
    were precomputed with), then run the tab's handler, which serves precomputed results at once."""
    shown = gr.Examples(rows, inputs, label=label, examples_per_page=10, visible_columns=list(range(visible)),
                        elem_id=elem_id)
    shown.load_input_event.then(handler, inputs, outputs, **RUN_ARGS)


# ------------------------------------------------------------------------------------ event handlers
# Each takes the pool, the precomputed examples and the tab's panels first (bound by ``_handler``), then the tab's
# input values, and returns (the tab's message, the panels' updates).
def on_compare(pool: ModelPool, cache: service.Precomputed, panels: _Panels, text, labels_box, threshold, flat,
               multi, selected) -> tuple[str, list]:
    text, labels, threshold, notice = _inputs(text, labels_box, threshold)
    flat, multi = check_flag(flat, "flat"), check_flag(multi, "multi-label")
    selected = check_models(selected, pool.names())
    outs = service.compare(pool, selected, text, labels, threshold, flat, multi, cache=cache)
    return _status(notice, "notice"), panels.updates(text, labels, outs)


def on_relations(pool: ModelPool, cache: service.Precomputed, panels: _Panels, text, labels_box, rels_box,
                 threshold, rel_threshold, selected) -> tuple[str, list]:
    text, labels, threshold, notice = _inputs(text, labels_box, threshold, elsewhere="")
    rels, _ = parse_labels(rels_box, LIMITS.max_relations, "relation type", elsewhere="")
    rel_threshold = check_threshold(rel_threshold, "relation threshold")
    selected = check_models(selected, pool.names())
    outs = service.relations(pool, selected, text, labels, rels, threshold, rel_threshold, cache=cache)
    return _status(notice, "notice"), panels.updates(text, labels, outs)


def on_discover(pool: ModelPool, cache: service.Precomputed, panels: _Panels, text, labels_box, constraints_box,
                threshold, num, selected) -> tuple[str, list]:
    text, labels, threshold, notice = _inputs(text, labels_box, threshold, max_chars=LIMITS.max_discovery_chars)
    constraints = None
    constraints_box = check_string(constraints_box, "constraints box")
    if constraints_box.replace(",", "").strip():
        constraints, _ = parse_labels(constraints_box, LIMITS.max_schema_labels, "constraint", elsewhere="")
    num = check_count(num, "number of generated labels", 1, LIMITS.max_generated)
    selected = check_models(selected, pool.names())
    outs = service.discover(pool, selected, text, labels, threshold, constraints, num, cache=cache)
    return _status(notice, "notice"), panels.updates(text, labels, outs)


def on_many(pool: ModelPool, cache: service.Precomputed, panels: _Panels, text, schema_box, threshold,
            selected) -> tuple[str, list]:
    text, labels, threshold, notice = _inputs(text, schema_box, threshold, limit=LIMITS.max_schema_labels,
                                              what="schema type", elsewhere="")
    selected = check_models(selected, pool.names())
    outs = service.many_labels(pool, selected, text, labels, threshold, cache=cache)
    return _status(notice, "notice"), panels.updates(text, labels, outs)


# ------------------------------------------------------------------------------------ precomputed examples
def example_calls(pool: ModelPool, schema: str | None = None) -> list:
    """Every example of every tab as a service call with the tab's default settings (``Precomputed.warm``)."""
    calls = []
    for ex in app_examples.COMPARE:
        calls.append(partial(service.compare, pool, pool.names(), ex.text, parse_labels(ex.labels, LIMITS.max_labels)[0],
                             0.5, True, False))
    if pool.names("relations"):
        for ex in app_examples.RELATIONS:
            calls.append(partial(service.relations, pool, pool.names("relations"), ex.text,
                                 parse_labels(ex.labels, LIMITS.max_labels)[0],
                                 parse_labels(ex.relation_labels, LIMITS.max_relations)[0], 0.5, RELATION_THRESHOLD))
    if pool.names("generated_labels"):
        for ex in app_examples.DISCOVERY:
            calls.append(partial(service.discover, pool, pool.names("generated_labels"), ex.text,
                                 parse_labels(ex.labels, LIMITS.max_labels)[0], DISCOVERY_THRESHOLD, None, 1))
    schema_labels = parse_labels(schema or _schema(), LIMITS.max_schema_labels)[0]
    for ex in app_examples.MANY:
        calls.append(partial(service.many_labels, pool, pool.names(_entity_only), ex.text, schema_labels, 0.5))
    return calls


RELATION_THRESHOLD = 0.3
DISCOVERY_THRESHOLD = 0.3


# ------------------------------------------------------------------------------------ tabs
def _compare_tab(pool: ModelPool, cache: service.Precomputed) -> None:
    first = app_examples.COMPARE[0]
    with gr.Tab("Compare"):
        with gr.Row():
            with gr.Column(scale=3):
                text = gr.Textbox(label="text", lines=5, max_lines=20, value=first.text,
                                  elem_id="compare-text", placeholder="Paste a sentence or a paragraph.")
                labels = gr.Textbox(label=f"entity labels (comma-separated, at most {LIMITS.max_labels})",
                                    value=first.labels, elem_id="compare-labels")
            with gr.Column(scale=2):
                threshold = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label="threshold")
                with gr.Row():
                    flat = gr.Checkbox(value=True, label="flat (no nested entities)")
                    multi = gr.Checkbox(value=False, label="multi-label")
                models = _model_picker(pool.names())
                run = gr.Button("Run all selected models", variant="primary", elem_id="compare-run")
        gr.Markdown(LIMITS_TEXT)
        status = gr.HTML("", elem_id="compare-status", elem_classes=["run-status"])
        panels = _Panels(pool.names(), generated=pool.names("generated_labels"), examples=app_examples.COMPARE)
        handler = _handler(on_compare, pool, cache, panels)
        inputs = [text, labels, threshold, flat, multi, models]
        outputs = [status] + panels.components()
        gr.on([run.click, text.submit, labels.submit], handler, inputs, outputs, **RUN_ARGS)
        _examples([[ex.text, ex.labels, 0.5, True, False, pool.names()] for ex in app_examples.COMPARE], inputs,
                  handler, outputs, "examples (each panel says whether its model matches the written answer)",
                  elem_id="compare-examples")


def _relations_tab(pool: ModelPool, cache: service.Precomputed) -> None:
    names = pool.names("relations")
    first = app_examples.RELATIONS[0]
    with gr.Tab("Relations"):
        if not names:
            gr.Markdown("No relex model is served; add one with `--models` or `$GLINER_BENCH_APP_MODELS`.")
            return
        gr.Markdown("Joint entities and relations: the relex models score every pair of found entities "
                    "against each relation type you name.")
        with gr.Row():
            with gr.Column(scale=3):
                text = gr.Textbox(label="text", lines=4, value=first.text, elem_id="relations-text")
                labels = gr.Textbox(label="entity labels", value=first.labels)
                rels = gr.Textbox(label=f"relation types (at most {LIMITS.max_relations})",
                                  value=first.relation_labels)
            with gr.Column(scale=2):
                threshold = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label="entity threshold")
                rel_threshold = gr.Slider(0.0, 1.0, value=RELATION_THRESHOLD, step=0.05, label="relation threshold")
                models = _model_picker(names)
                run = gr.Button("Extract relations", variant="primary", elem_id="relations-run")
        status = gr.HTML("", elem_id="relations-status", elem_classes=["run-status"])
        panels = _Panels(names, graph=True, examples=app_examples.RELATIONS)
        handler = _handler(on_relations, pool, cache, panels)
        inputs = [text, labels, rels, threshold, rel_threshold, models]
        outputs = [status] + panels.components()
        gr.on([run.click], handler, inputs, outputs, **RUN_ARGS)
        _examples([[ex.text, ex.labels, ex.relation_labels, 0.5, RELATION_THRESHOLD, names]
                   for ex in app_examples.RELATIONS], inputs, handler, outputs, "examples", visible=3,
                  elem_id="relations-examples")


def _discovery_tab(pool: ModelPool, cache: service.Precomputed) -> None:
    names = pool.names("generated_labels")
    first = app_examples.DISCOVERY[0]
    with gr.Tab("Label discovery"):
        if not names:
            gr.Markdown("No decoder model is served; add one with `--models` or `$GLINER_BENCH_APP_MODELS`.")
            return
        gr.Markdown("The decoder models find spans for the labels you give, then a small causal LM "
                    "(SmolLM2-135M) writes a type name for each span: types you did not list. "
                    "Constraints restrict the generated names to a list. The bundled decoders are small and "
                    "their names are often rough (a blank, a repeated word): that is what they do today.")
        with gr.Row():
            with gr.Column(scale=3):
                text = gr.Textbox(label="text", lines=4, value=first.text, elem_id="discovery-text")
                labels = gr.Textbox(label="labels for the span head", value=first.labels)
                constraints = gr.Textbox(label="constrain generated labels to (optional, comma-separated)",
                                         value="")
            with gr.Column(scale=2):
                threshold = gr.Slider(0.0, 1.0, value=DISCOVERY_THRESHOLD, step=0.05, label="threshold")
                num = gr.Slider(1, LIMITS.max_generated, value=1, step=1, label="generated labels per entity")
                models = _model_picker(names)
                run = gr.Button("Discover labels", variant="primary", elem_id="discovery-run")
        status = gr.HTML("", elem_id="discovery-status", elem_classes=["run-status"])
        panels = _Panels(names, generated=names, examples=app_examples.DISCOVERY)
        handler = _handler(on_discover, pool, cache, panels)
        inputs = [text, labels, constraints, threshold, num, models]
        outputs = [status] + panels.components()
        gr.on([run.click], handler, inputs, outputs, **RUN_ARGS)
        _examples([[ex.text, ex.labels, "", DISCOVERY_THRESHOLD, 1, names] for ex in app_examples.DISCOVERY],
                  inputs, handler, outputs, "examples", elem_id="discovery-examples")


def _many_labels_tab(pool: ModelPool, cache: service.Precomputed) -> None:
    names = pool.names(_entity_only)
    first = app_examples.MANY[0]
    with gr.Tab("Many labels"):
        gr.Markdown(
            "A schema of hundreds of types. A uni-encoder prompts every type with the text (in groups that "
            "fit its window, so its cost grows with the schema); a bi-encoder encodes the types once, caches "
            "the vectors across requests, and its cost barely moves. Run twice: the second bi-encoder run "
            "reuses the cache.")
        with gr.Row():
            with gr.Column(scale=3):
                text = gr.Textbox(label="text", lines=3, value=first.text, elem_id="many-text")
                schema = gr.Textbox(label=f"schema (comma-separated types, at most {LIMITS.max_schema_labels})",
                                    value=_schema(), lines=4, max_lines=8)
            with gr.Column(scale=2):
                threshold = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label="threshold")
                models = _model_picker(names)
                run = gr.Button("Run the schema", variant="primary", elem_id="many-run")
        status = gr.HTML("", elem_id="many-status", elem_classes=["run-status"])
        panels = _Panels(names, examples=app_examples.MANY)
        handler = _handler(on_many, pool, cache, panels)
        inputs = [text, schema, threshold, models]
        outputs = [status] + panels.components()
        gr.on([run.click], handler, inputs, outputs, **RUN_ARGS)
        _examples([[ex.text, _schema(), 0.5, names] for ex in app_examples.MANY], inputs, handler, outputs,
                  "examples (with the packaged schema)", visible=1, elem_id="many-examples")


def _leaderboard_tab(board: LeaderboardView) -> None:
    with gr.Tab("Leaderboard"):
        if board.missing:
            gr.Markdown(board.missing)
            return
        gr.Markdown("Measured here (2 CPU cores, fp32) on the bundled defaults, from the results files "
                    "under `leaderboards/results/`; micro-F1 at threshold 0.5, exact match, with its bootstrap 95% "
                    "interval in brackets. Ranked by the mean over the English zero-shot tasks (CoNLL-03 as whole "
                    "documents, `doc`); models that are not significantly apart share a rank. "
                    "Regenerate with `gliner-bench leaderboard`.")
        table = board.app_headline()
        gr.HTML(render.html_table(list(table.columns), table.values.tolist(), numeric=table.columns[2:],
                                  caption="micro-F1 per zero-shot task [95% interval]"), elem_id="leaderboard-table")
        with gr.Accordion("tasks seen in training, parameters, every interval", open=False):
            seen = board.app_seen()
            gr.HTML(render.html_table(list(seen.columns), seen.values.tolist(), numeric=seen.columns[1:],
                                      caption="*: this model trained on the task's data (not ranked)"))
        gr.Plot(board.f1_vs_throughput(), label="mean F1 against throughput", elem_classes=["gb-plot"])
        if board.reported is not None:
            gr.Markdown("### Reported in papers (not measured here; each figure with its source)")
            gr.HTML(render.html_table(list(board.reported.columns), board.reported.values.tolist()),
                    elem_id="reported-table")


def _scaling_tab(board: LeaderboardView) -> None:
    with gr.Tab("Scaling"):
        if board.scale is None:
            gr.Markdown(board.missing or "No label-scaling results yet: run `gliner-bench scale`.")
            return
        gr.Markdown("F1 on the gold types of WNUT-16 and CoNLL-03 as unrelated types are added to the prompt, "
                    "with bootstrap 95% intervals: uni-encoders degrade past a few dozen labels, bi-encoders hold. "
                    "With one label the prompt holds a single gold type, so F1 counts only that type's entities "
                    "against all of the task's gold: a low F1 at one label is expected, not a failure.")
        gr.Plot(board.f1_vs_labels(), label="F1 against the number of labels", elem_classes=["gb-plot"])
        gr.Plot(board.throughput_vs_labels(), label="throughput against the number of labels",
                elem_classes=["gb-plot"])
        scale = board.app_scale()
        gr.HTML(render.html_table(list(scale.columns), scale.values.tolist(), numeric=scale.columns[2:],
                                  caption="label scaling"), elem_id="scale-table")


# ------------------------------------------------------------------------------------ the app
def build_app(pool: ModelPool | None = None, leaderboards: LeaderboardView | None = None,
              precomputed: service.Precomputed | None = None) -> gr.Blocks:
    """The whole app; ``pool`` defaults to the bundled defaults plus ``$GLINER_BENCH_APP_MODELS``; ``precomputed``
    holds the examples' results once ``warm_up`` has run (without it, examples run on click). Serve it with
    ``serve`` (which adds the page's CSS)."""
    pool = pool or ModelPool.from_config()
    cache = precomputed if precomputed is not None else service.Precomputed()
    board = leaderboards if leaderboards is not None else leaderboard_view.load()
    with gr.Blocks(title="gliner-bench: GLiNER architectures side by side") as demo:
        gr.Markdown(
            "# gliner-bench\nEvery GLiNER architecture on the same text, live, on CPU. Type a text and the entity "
            "types you want (any names), pick the models, run. Scores are the models' probabilities; latency is "
            f"the model call alone. Serving: {', '.join(f'`{n}`' for n in pool.names())}.")
        _compare_tab(pool, cache)
        _relations_tab(pool, cache)
        _discovery_tab(pool, cache)
        _many_labels_tab(pool, cache)
        _leaderboard_tab(board)
        _scaling_tab(board)
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    return demo


def warm_up(pool: ModelPool, cache: service.Precomputed, background: bool = True) -> threading.Thread | None:
    """Load every model, then compute every example into ``cache`` (in a daemon thread by default), so that a
    visitor's first click on an example is answered at once."""
    def work():
        pool.preload(background=False)
        cache.warm(example_calls(pool))
        log.info("%d example outputs precomputed", len(cache))

    return in_background(work, "gliner-bench-warm-up", background)


def serve(demo: gr.Blocks, **kwargs):
    """``demo.launch`` with the app's CSS (gradio 6 takes it at launch)."""
    return demo.launch(css=CSS, **kwargs)
