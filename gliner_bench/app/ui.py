"""``build_app() -> gr.Blocks``: the Compare, Relations, Label discovery, Many labels, Leaderboard and Scaling tabs.

Layout and wiring only: parsing and limits live in ``limits.py``, model calls in ``service.py``, rendering in
``render.py``. Every model gets a fixed result panel per tab (built once, shown when selected), so one click fills
them all. Input errors become a message in the page (``gr.Error``); a model that fails shows its message in its own
panel while the others show their results.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from importlib import resources

import gradio as gr

from ..capabilities import Capabilities
from . import leaderboard_view, render, service
from .leaderboard_view import LeaderboardView
from .limits import LIMITS, InputError, check_text, check_threshold, parse_labels
from .models import ModelPool

log = logging.getLogger(__name__)

QUEUE_SIZE = 32  # requests waiting beyond this are told the demo is busy
MODEL_WORKERS = 2  # model calls running at once, across all tabs (one concurrency group)
RUN_ARGS = {"concurrency_id": "models", "concurrency_limit": MODEL_WORKERS}  # every event that runs models
ENTITY_HEADERS = render.ENTITY_COLUMNS
# The compare tab's examples: each answered right, with its labels at threshold 0.5, by the span and the token
# default (tests/test_app_examples.py holds the answers). Chosen from 34 written candidates: uni-span got 4 right,
# uni-token 17; sentences about companies, products, teams and works of art fail on uni-span today.
EXAMPLES = [
    ["Barack Obama flew from Washington to Paris on Monday.", "person, location, date"],
    ["Pablo Picasso moved from Barcelona to Paris in 1904.", "person, city, date"],
    ["Nelson Mandela was released from prison in February 1990 and became president of South Africa.",
     "person, country, date"],
    ["Mozart was born in Salzburg in 1756 and died in Vienna in 1791.", "person, city, date"],
]
DISCOVERY_TEXT = "The Beatles recorded Abbey Road at EMI Studios in London in 1969."
SCHEMA_TEXT = "Lionel Messi scored twice as Inter Miami beat the New York Red Bulls at Red Bull Arena."
RELATION_EXAMPLE = ["Satya Nadella is the chief executive of Microsoft, which is based in Redmond, Washington.",
                    "person, organization, location", "works for, leader of, located in"]


# ------------------------------------------------------------------------------------ helpers
def _schema() -> str:
    types = json.loads(resources.files("gliner_bench.data").joinpath("entity_types.json").read_text())["types"]
    return ", ".join(types)


def _header(out: service.ModelOutput) -> str:
    title = f"**{out.model}** · `{out.architecture}`"
    if out.error:
        return f"{title}  \n⚠️ {out.error}"
    parts = [f"{out.seconds * 1000:.0f} ms", f"{len(out.entities)} entities"]
    if out.relations is not None:
        parts.append(f"{len(out.relations)} relations")
    if out.load_seconds is not None:
        parts.append(f"loaded in {out.load_seconds:.1f} s on first use")
    line = " · ".join(parts)
    return f"{title}  \n{line}" + (f"  \n{out.note}" if out.note else "")


def _inputs(text, labels_box, threshold, limit=LIMITS.max_labels, max_chars=LIMITS.max_chars):
    """Validated (text, labels, threshold); duplicates dropped with a notice. Raises ``gr.Error``."""
    try:
        text = check_text(text, max_chars)
        labels, dups = parse_labels(labels_box, limit)
        threshold = check_threshold(threshold)
    except InputError as err:
        raise gr.Error(str(err), print_exception=False) from None
    if dups:
        gr.Warning(f"Dropped repeated label(s): {', '.join(dups)}.")
    return text, labels, threshold


def _checked(fn, *args):
    """``fn(*args)``; an ``InputError`` (input the app refuses) becomes a message in the page."""
    try:
        return fn(*args)
    except InputError as err:
        raise gr.Error(str(err), print_exception=False) from None


def _entity_only(capabilities: Capabilities) -> bool:
    """The Many labels tab's models: entities from the labels alone (no relations, no generated names)."""
    return not capabilities.relations and not capabilities.generated_labels


def _handler(fn, *bound):
    """``fn`` with its first arguments bound (the pool, the panels); keeps ``fn``'s name, which gradio makes the
    event's API name."""
    handler = partial(fn, *bound)
    handler.__name__ = fn.__name__
    return handler


class _Panels:
    """One result panel per model of a tab: header, highlighted text, table (and a graph for relations)."""

    def __init__(self, names: list[str], graph: bool = False, generated=(), columns: int = 2):
        """``graph``: a relation table and graph; else an entity table, with a "generated labels" column for the
        models in ``generated`` (those with ``generated_labels``)."""
        self.names = names
        self.generated = set(generated)
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
            self.titles[name] = gr.Markdown(f"**{name}**", elem_classes=["model-title"])
            self.highlights[name] = gr.HighlightedText(
                label=f"{name}: entities", show_legend=False, combine_adjacent=False,
                elem_id=f"highlight-{name}", elem_classes=["model-highlight"])
            self.tables[name] = gr.Dataframe(headers=headers, label=f"{name}: table", interactive=False,
                                             wrap=True, max_height=260)
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
        values = []
        for name in self.names:
            out = by_name.get(name)
            if out is None:
                values += [gr.Column(visible=False), gr.skip(), gr.skip(), gr.skip()] + [gr.skip()] * bool(self.graphs)
                continue
            entities = [] if out.error else out.entities
            highlight = gr.HighlightedText(value=render.highlight(text, entities),
                                           color_map=render.color_map(labels, entities))
            if self.graphs:
                rows = render.relation_rows(out.relations or [])
                values += [gr.Column(visible=True), _header(out), highlight, rows,
                           render.relation_graph(entities, out.relations or [], labels)]
            else:
                values += [gr.Column(visible=True), _header(out), highlight,
                           render.entity_rows(entities, generated=name in self.generated)]
        return values


def _model_picker(names: list[str], label: str = "models to run") -> gr.CheckboxGroup:
    return gr.CheckboxGroup(choices=names, value=names, label=label)


# ------------------------------------------------------------------------------------ event handlers
# Each takes the pool and the tab's panels first (bound by ``_handler``), then the tab's input values.
def on_compare(pool: ModelPool, panels: _Panels, text, labels_box, threshold, flat, multi, selected) -> list:
    text, labels, threshold = _inputs(text, labels_box, threshold)
    outs = _checked(service.compare, pool, selected, text, labels, threshold, flat, multi)
    return panels.updates(text, labels, outs)


def on_relations(pool: ModelPool, panels: _Panels, text, labels_box, rels_box, threshold, rel_threshold,
                 selected) -> list:
    text, labels, threshold = _inputs(text, labels_box, threshold)
    rels, _ = _checked(parse_labels, rels_box, LIMITS.max_relations, "relation type")
    rel_threshold = _checked(check_threshold, rel_threshold)
    outs = _checked(service.relations, pool, selected, text, labels, rels, threshold, rel_threshold)
    return panels.updates(text, labels, outs)


def on_discover(pool: ModelPool, panels: _Panels, text, labels_box, constraints_box, threshold, num,
                selected) -> list:
    text, labels, threshold = _inputs(text, labels_box, threshold)
    constraints = None
    if constraints_box and constraints_box.replace(",", "").strip():
        constraints, _ = _checked(parse_labels, constraints_box, LIMITS.max_schema_labels, "constraint")
    outs = _checked(service.discover, pool, selected, text, labels, threshold, constraints, int(num))
    return panels.updates(text, labels, outs)


def on_many(pool: ModelPool, panels: _Panels, text, schema_box, threshold, selected) -> list:
    text, labels, threshold = _inputs(text, schema_box, threshold, limit=LIMITS.max_schema_labels)
    outs = _checked(service.many_labels, pool, selected, text, labels, threshold)
    return panels.updates(text, labels, outs)


# ------------------------------------------------------------------------------------ tabs
def _compare_tab(pool: ModelPool) -> None:
    with gr.Tab("Compare"):
        with gr.Row():
            with gr.Column(scale=3):
                text = gr.Textbox(label="text", lines=5, max_lines=20, value=EXAMPLES[0][0],
                                  elem_id="compare-text", placeholder="Paste a sentence or a paragraph.")
                labels = gr.Textbox(label=f"entity labels (comma-separated, at most {LIMITS.max_labels})",
                                    value=EXAMPLES[0][1], elem_id="compare-labels")
            with gr.Column(scale=2):
                threshold = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label="threshold")
                with gr.Row():
                    flat = gr.Checkbox(value=True, label="flat (no nested entities)")
                    multi = gr.Checkbox(value=False, label="multi-label")
                models = _model_picker(pool.names())
                run = gr.Button("Run all selected models", variant="primary", elem_id="compare-run")
        panels = _Panels(pool.names(), generated=pool.names("generated_labels"))
        handler = _handler(on_compare, pool, panels)
        inputs = [text, labels, threshold, flat, multi, models]
        gr.on([run.click, text.submit, labels.submit], handler, inputs, panels.components(), **RUN_ARGS)
        gr.Examples([[t, lab, 0.5, True, False, pool.names()] for t, lab in EXAMPLES], inputs,
                    panels.components(), handler, cache_examples=True, cache_mode="lazy",
                    visible_columns=[0, 1],
                    label="examples (run once, then cached)")


def _relations_tab(pool: ModelPool) -> None:
    names = pool.names("relations")
    with gr.Tab("Relations"):
        if not names:
            gr.Markdown("No relex model is served; add one with `--models` or `$GLINER_BENCH_APP_MODELS`.")
            return
        gr.Markdown("Joint entities and relations: the relex models score every pair of found entities "
                    "against each relation type you name.")
        with gr.Row():
            with gr.Column(scale=3):
                text = gr.Textbox(label="text", lines=4, value=RELATION_EXAMPLE[0])
                labels = gr.Textbox(label="entity labels", value=RELATION_EXAMPLE[1])
                rels = gr.Textbox(label=f"relation types (at most {LIMITS.max_relations})",
                                  value=RELATION_EXAMPLE[2])
            with gr.Column(scale=2):
                threshold = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label="entity threshold")
                rel_threshold = gr.Slider(0.0, 1.0, value=0.3, step=0.05, label="relation threshold")
                models = _model_picker(names)
                run = gr.Button("Extract relations", variant="primary")
        panels = _Panels(names, graph=True)
        gr.on([run.click], _handler(on_relations, pool, panels),
              [text, labels, rels, threshold, rel_threshold, models], panels.components(), **RUN_ARGS)


def _discovery_tab(pool: ModelPool) -> None:
    names = pool.names("generated_labels")
    with gr.Tab("Label discovery"):
        if not names:
            gr.Markdown("No decoder model is served; add one with `--models` or `$GLINER_BENCH_APP_MODELS`.")
            return
        gr.Markdown("The decoder models find spans for the labels you give, then a small causal LM "
                    "(SmolLM2-135M) writes a type name for each span: types you did not list. "
                    "Constraints restrict the generated names to a list.")
        with gr.Row():
            with gr.Column(scale=3):
                text = gr.Textbox(label="text", lines=4, value=DISCOVERY_TEXT)
                labels = gr.Textbox(label="labels for the span head", value="entity, person, "
                                    "organization, location, date, product, work of art")
                constraints = gr.Textbox(label="constrain generated labels to (optional, comma-separated)",
                                         value="")
            with gr.Column(scale=2):
                threshold = gr.Slider(0.0, 1.0, value=0.3, step=0.05, label="threshold")
                num = gr.Slider(1, 5, value=1, step=1, label="generated labels per entity")
                models = _model_picker(names)
                run = gr.Button("Discover labels", variant="primary")
        panels = _Panels(names, generated=names)
        gr.on([run.click], _handler(on_discover, pool, panels),
              [text, labels, constraints, threshold, num, models], panels.components(), **RUN_ARGS)


def _many_labels_tab(pool: ModelPool) -> None:
    names = pool.names(_entity_only)
    with gr.Tab("Many labels"):
        gr.Markdown(
            "A schema of hundreds of types. A uni-encoder prompts every type with the text (in groups that "
            "fit its window, so its cost grows with the schema); a bi-encoder encodes the types once, caches "
            "the vectors across requests, and its cost barely moves. Run twice: the second bi-encoder run "
            "reuses the cache.")
        with gr.Row():
            with gr.Column(scale=3):
                text = gr.Textbox(label="text", lines=3, value=SCHEMA_TEXT)
                schema = gr.Textbox(label=f"schema (comma-separated types, at most {LIMITS.max_schema_labels})",
                                    value=_schema(), lines=4, max_lines=8)
            with gr.Column(scale=2):
                threshold = gr.Slider(0.0, 1.0, value=0.5, step=0.05, label="threshold")
                models = _model_picker(names)
                run = gr.Button("Run the schema", variant="primary")
        panels = _Panels(names)
        gr.on([run.click], _handler(on_many, pool, panels), [text, schema, threshold, models],
              panels.components(), **RUN_ARGS)


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
        gr.Dataframe(board.headline(), label="micro-F1 per task (*: the task's data was seen in training)",
                     interactive=False, wrap=False)  # wrapped, the bracketed intervals made the header take the table
        with gr.Accordion("every column (relation F1, zero-shot flags, throughput task)", open=False):
            gr.Dataframe(board.f1, interactive=False, wrap=True)
        gr.Plot(board.f1_vs_throughput(), label="mean F1 against throughput")
        if board.reported is not None:
            gr.Markdown("### Reported in papers (not measured here; each figure with its source)")
            gr.Dataframe(board.reported, interactive=False, wrap=True)


def _scaling_tab(board: LeaderboardView) -> None:
    with gr.Tab("Scaling"):
        if board.scale is None:
            gr.Markdown(board.missing or "No label-scaling results yet: run `gliner-bench scale`.")
            return
        gr.Markdown("F1 on the gold types of WNUT-16 and CoNLL-03 as unrelated types are added to the prompt, "
                    "with bootstrap 95% intervals: uni-encoders degrade past a few dozen labels, bi-encoders hold.")
        gr.Plot(board.f1_vs_labels(), label="F1 against the number of labels")
        gr.Plot(board.throughput_vs_labels(), label="throughput against the number of labels")
        gr.Dataframe(board.scale, interactive=False, label="label scaling", max_height=400)


# ------------------------------------------------------------------------------------ the app
def build_app(pool: ModelPool | None = None, leaderboards: LeaderboardView | None = None) -> gr.Blocks:
    """The whole app; ``pool`` defaults to the bundled defaults plus ``$GLINER_BENCH_APP_MODELS``."""
    pool = pool or ModelPool.from_config()
    board = leaderboards if leaderboards is not None else leaderboard_view.load()
    with gr.Blocks(title="gliner-bench: GLiNER architectures side by side") as demo:
        gr.Markdown(
            "# gliner-bench\nEvery GLiNER architecture on the same text, live, on CPU. Type a text and the entity "
            "types you want (any names), pick the models, run. Scores are the models' probabilities; latency is "
            f"the model call alone. Serving: {', '.join(f'`{n}`' for n in pool.names())}.")
        _compare_tab(pool)
        _relations_tab(pool)
        _discovery_tab(pool)
        _many_labels_tab(pool)
        _leaderboard_tab(board)
        _scaling_tab(board)
    demo.queue(max_size=QUEUE_SIZE, default_concurrency_limit=1)
    return demo
