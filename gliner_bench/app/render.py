"""Model outputs -> what the app's components show. Pure functions on the API's plain dicts (no gradio here).

Entities are ``{"start", "end", "text", "label", "score"}`` (char offsets, end exclusive), as ``GLiNER.inference``
returns them; relations are ``{"head": {..., "entity_idx"}, "tail": {...}, "relation", "score"}``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# colour-blind-safe-ish categorical palette (Okabe-Ito, then Tableau): a label keeps its colour across models
PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999",
           "#4E79A7", "#F28E2B", "#59A14F", "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC"]

ENTITY_COLUMNS = ["text", "label", "score", "start", "end"]
RELATION_COLUMNS = ["head", "head type", "relation", "tail", "tail type", "score"]


def category(entity: dict) -> str:
    """The highlight's tag: label and score, e.g. ``person 0.93``."""
    return f"{entity['label']} {entity['score']:.2f}"


def shown_entities(entities: Sequence[dict]) -> list[dict]:
    """The entities a flat highlight can show: best score first, each overlapping a kept one left out (nested or
    multi-label outputs overlap; the table lists them all). Returned in text order."""
    kept: list[dict] = []
    for e in sorted(entities, key=lambda e: (-e["score"], e["start"], e["end"])):
        if all(e["end"] <= k["start"] or e["start"] >= k["end"] for k in kept):
            kept.append(e)
    return sorted(kept, key=lambda e: (e["start"], e["end"]))


def highlight(text: str, entities: Sequence[dict]) -> list[tuple[str, str | None]]:
    """``[(segment, tag or None), ...]`` covering ``text`` exactly once, for ``gr.HighlightedText``."""
    segments: list[tuple[str, str | None]] = []
    cursor = 0
    for e in shown_entities(entities):
        if e["start"] > cursor:
            segments.append((text[cursor:e["start"]], None))
        segments.append((text[e["start"]:e["end"]], category(e)))
        cursor = e["end"]
    if cursor < len(text) or not segments:
        segments.append((text[cursor:], None))
    return segments


def label_colors(labels: Sequence[str]) -> dict[str, str]:
    """One colour per label, in the order the visitor typed them."""
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}


def color_map(labels: Sequence[str], entities: Sequence[dict]) -> dict[str, str]:
    """Tag -> colour for ``highlight``'s tags: every tag of a label gets that label's colour."""
    colors = label_colors(labels)
    fallback = PALETTE[len(colors) % len(PALETTE)]  # generated labels (decoders) need not be in the list
    return {category(e): colors.get(e["label"], fallback) for e in entities}


def entity_rows(entities: Sequence[dict], generated: bool = False) -> list[list]:
    rows = []
    for e in entities:
        row = [e["text"], e["label"], round(float(e["score"]), 3), e["start"], e["end"]]
        if generated:
            row.append(", ".join(e.get("generated_labels") or []))
        rows.append(row)
    return rows


def relation_rows(relations: Sequence[dict]) -> list[list]:
    return [[r["head"]["text"], r["head"]["type"], r["relation"], r["tail"]["text"], r["tail"]["type"],
             round(float(r["score"]), 3)] for r in sorted(relations, key=lambda r: -r["score"])]


def relation_graph(entities: Sequence[dict], relations: Sequence[dict], labels: Sequence[str]):
    """A small plotly graph: entities on a circle, one arrow per relation, labelled with its type."""
    import plotly.graph_objects as go

    fig = go.Figure()
    nodes = sorted({r[end]["entity_idx"] for r in relations for end in ("head", "tail")})
    if not nodes:
        fig.add_annotation(text="no relations above the thresholds", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper")
    angle = {n: 2 * math.pi * i / max(len(nodes), 1) for i, n in enumerate(nodes)}
    pos = {n: (math.cos(a), math.sin(a)) for n, a in angle.items()}
    colors = label_colors(labels)
    for r in relations:
        (x0, y0), (x1, y1) = pos[r["head"]["entity_idx"]], pos[r["tail"]["entity_idx"]]
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                           arrowhead=3, arrowsize=1.2, arrowwidth=1.5, arrowcolor="#555", standoff=14, startstandoff=14)
        fig.add_annotation(x=(x0 + x1) / 2, y=(y0 + y1) / 2, text=f"{r['relation']} {r['score']:.2f}",
                           showarrow=False, font={"size": 11}, bgcolor="rgba(255,255,255,0.8)")
    if nodes:
        fig.add_trace(go.Scatter(
            x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes], mode="markers+text",
            text=[entities[n]["text"] for n in nodes], textposition="top center", hoverinfo="text",
            hovertext=[f"{entities[n]['text']} ({entities[n]['label']})" for n in nodes],
            marker={"size": 18, "color": [colors.get(entities[n]["label"], PALETTE[-1]) for n in nodes]}))
    fig.update_layout(showlegend=False, template="plotly_white", height=380, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis={"visible": False, "range": [-1.5, 1.5]}, yaxis={"visible": False, "range": [-1.4, 1.4]})
    return fig
