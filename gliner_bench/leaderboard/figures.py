"""Leaderboard figures: plotly figures built from the leaderboard frames (``tables.py``), written as HTML that
needs no network (plotly.js sits beside them) and is byte-identical when regenerated (fixed div ids)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

DASH = {"uni": "solid", "bi": "dash", "decoder": "dot", "relex": "dashdot", "other": "longdash"}
SYMBOL = {"uni": "circle", "bi": "diamond", "decoder": "square", "relex": "triangle-up", "other": "x"}


def _layout(fig: go.Figure, title: str, x: str, y: str, log_x: bool = False, log_y: bool = False) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, template="plotly_white", legend_title="model",
                      hovermode="closest", width=900, height=520)
    if log_x:
        fig.update_xaxes(type="log")
    if log_y:
        fig.update_yaxes(type="log")
    return fig


def _error_bars(group: pd.DataFrame, y: str, low: str, high: str) -> dict | None:
    """Asymmetric error bars from interval columns, where every point of ``group`` has them."""
    if low not in group or high not in group or group[[low, high]].isna().any().any():
        return None
    return {"type": "data", "symmetric": False, "array": (group[high] - group[y]).round(2).tolist(),
            "arrayminus": (group[y] - group[low]).round(2).tolist(), "thickness": 1, "width": 3}


def _lines(frame: pd.DataFrame, y: str, hover: str, intervals: bool = False) -> go.Figure:
    fig = go.Figure()
    for (model, task), group in frame.groupby(["model", "task"], sort=True):
        group = group.sort_values("labels")
        fam = group["family"].iloc[0]
        fig.add_trace(go.Scatter(
            x=group["labels"], y=group[y], mode="lines+markers", name=f"{model} ({fam}) on {task}",
            line={"dash": DASH.get(fam, "solid")}, marker={"symbol": SYMBOL.get(fam, "circle")},
            error_y=_error_bars(group, y, "F1 low", "F1 high") if intervals else None,
            hovertemplate=f"%{{x}} labels<br>{hover}<extra>{model}</extra>"))
    return fig


def f1_vs_labels(scale: pd.DataFrame) -> go.Figure:
    """Micro-F1 on the gold types against the number of candidate labels, with 95% bootstrap intervals where the
    results have them; line style by family (uni solid, bi dashed)."""
    return _layout(_lines(scale, "F1", "F1 %{y:.1f}", intervals=True), "F1 against the number of candidate labels",
                   "candidate labels (gold types + distractors)", "micro-F1 on the gold types (95% interval)",
                   log_x=True)


def throughput_vs_labels(scale: pd.DataFrame, throughput: pd.DataFrame) -> go.Figure:
    """Texts/s against the number of labels: the throughput experiment's label counts where measured, else the
    scale experiment's timing of the same runs."""
    measured = throughput[throughput["labels"].notna()].rename(columns={"batch size": "batch"})
    fig = go.Figure()
    if len(measured):
        for (model, task, batch, precision), group in measured.groupby(["model", "task", "batch", "precision"],
                                                                        sort=True):
            group = group.sort_values("labels")
            fam = group["family"].iloc[0]
            kind = "" if precision == "fp32" else f", {precision}"
            fig.add_trace(go.Scatter(x=group["labels"], y=group["texts/s"], mode="lines+markers",
                                     name=f"{model} ({fam}) on {task}, batch {batch}{kind}",
                                     line={"dash": DASH.get(fam, "solid")},
                                     marker={"symbol": SYMBOL.get(fam, "circle")},
                                     hovertemplate=f"%{{x}} labels<br>%{{y:.2f}} texts/s<extra>{model}</extra>"))
    else:
        fig = _lines(scale.dropna(subset=["texts/s"]), "texts/s", "%{y:.2f} texts/s")
    return _layout(fig, "Throughput against the number of labels", "labels", "texts per second",
                   log_x=True, log_y=True)


def f1_vs_throughput(f1: pd.DataFrame) -> go.Figure:
    """Each ranked model's zero-shot mean micro-F1 (the leaderboard's ranking key, ``tables.RANKING_RULE``) against
    its texts/s (models without a throughput figure or a zero-shot mean are left out)."""
    fig = go.Figure()
    if "texts/s" in f1 and "zero-shot mean" in f1:
        for _, row in f1.dropna(subset=["texts/s", "zero-shot mean"]).iterrows():
            bars = _error_bars(row.to_frame().T, "zero-shot mean", "CI low zero-shot mean", "CI high zero-shot mean")
            fig.add_trace(go.Scatter(x=[row["texts/s"]], y=[row["zero-shot mean"]], mode="markers+text",
                                     error_y=bars,
                                     name=row["model"], text=[row["model"]], textposition="top center",
                                     marker={"size": 12, "symbol": SYMBOL.get(row["family"], "circle")},
                                     hovertemplate="%{x:.1f} texts/s<br>zero-shot mean F1 %{y:.1f}"
                                                   "<extra>%{text}</extra>"))
    return _layout(fig, "Zero-shot mean F1 against throughput", "texts per second (batch 8, the task's labels)",
                   "mean micro-F1 over the zero-shot tasks (95% interval)", log_x=True)


def write_html(fig: go.Figure, path: Path, div_id: str) -> Path:
    """Self-contained but for ``plotly.min.js`` beside it (written once per directory, no CDN)."""
    html = fig.to_html(include_plotlyjs="directory", full_html=True, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})
    path.write_text(html, encoding="utf-8")
    return path
