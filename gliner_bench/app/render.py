"""Model outputs -> what the app's components show. Pure functions on the API's plain dicts (no gradio here).

Entities are ``{"start", "end", "text", "label", "score"}`` (char offsets, end exclusive), as ``GLiNER.inference``
returns them; relations are ``{"head": {..., "entity_idx"}, "tail": {...}, "relation", "score"}``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

# Light tints of a colour-blind-safe categorical palette (Okabe-Ito, then Tableau), under dark text: every pair
# has a contrast of at least 4.5:1 (WCAG AA; ``contrast_ratio``). A label keeps its colour across models.
PALETTE = ["#FFD58A", "#A9DBF7", "#8FE0C4", "#F5EC8F", "#9CC4E8", "#F7B48C", "#EBB8D6", "#D2D2D2",
           "#B8C9E6", "#FBC796", "#B7DDAE", "#F3E0A0", "#D8C2E3", "#FFC7CE", "#D9C4B2", "#E3DFDA"]
CHIP_TEXT = "#111111"  # the text on every chip (the page's CSS sets it)

ENTITY_COLUMNS = ["text", "label", "score", "start", "end"]
RELATION_COLUMNS = ["head", "head type", "relation", "tail", "tail type", "score"]


def relative_luminance(color: str) -> float:
    """WCAG 2.x relative luminance of ``#RRGGBB``."""
    value = color.removeprefix("#")
    if len(value) != 6 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise ValueError(f"expected a colour as #RRGGBB, got {color!r}")
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#RRGGBB`` colours, from 1 (same) to 21 (black on white)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


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


def html_table(headers: Sequence[str], rows: Sequence[Sequence], numeric: Sequence[str] = (),
               empty: str = "nothing found", caption: str = "") -> str:
    """An HTML table for the page, every header and cell escaped (text, never markup). Each cell carries its
    header in ``data-label``, so that on a narrow screen the page's CSS shows each row as a card of "header: value"
    lines instead of columns that do not fit. ``numeric``: headers whose cells are right-aligned."""
    numeric = set(numeric)
    head = "".join(f'<th scope="col"{_num(h, numeric)}>{escape(str(h))}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td data-label="{escape(str(h))}"{_num(h, numeric)}>{escape(_cell(v))}</td>'
                         for h, v in zip(headers, row)) + "</tr>" for row in rows)
    if not rows:
        body = f'<tr><td class="empty" colspan="{len(headers)}">{escape(empty)}</td></tr>'
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table class="gb-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _num(header: str, numeric: set) -> str:
    return ' class="num"' if header in numeric else ""


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:.1f}"
    return str(value)


def entity_table(entities: Sequence[dict], generated: bool = False) -> str:
    headers = ENTITY_COLUMNS + ["generated labels"] * generated
    return html_table(headers, entity_rows(entities, generated), numeric=("score", "start", "end"),
                      empty="no entities above the threshold")


def relation_table(relations: Sequence[dict]) -> str:
    return html_table(RELATION_COLUMNS, relation_rows(relations), numeric=("score",),
                      empty="no relations above the thresholds")


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
