"""Plotly figures from the tidy tables ``analysis.workspace`` and ``analysis.measure.compare`` return.

The figures receive already-binned data (a few hundred points per group), never raw rows, so a
million-row pool draws as fast as a small one. Every axis title says what it shows (raw rank
vs. rank among non-positives, as DESIGN.md section 2 asks).

Figures are assembled from plain trace dictionaries with plotly's property validation off
(``_validate=False``): validating six traces costs ~50 ms a chart, most of a rerun's budget,
and the dictionaries here are fixed by this module (the browser tests draw every one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

PALETTE = ("#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6",
           "#9D755D", "#BAB0AC", "#EECA3B")
HEIGHT = 420
BLUES = [[0.0, "#f7fbff"], [0.25, "#c6dbef"], [0.5, "#6baed6"], [0.75, "#2171b5"], [1.0, "#08306b"]]


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def figure(traces: list[dict], *, x: str, y: str, title: str | None = None,
           height: int = HEIGHT, **layout) -> go.Figure:
    """A figure from trace dicts, legend below the plot, axis titles set, unvalidated."""
    base = dict(height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                title=dict(text=title, x=0, xanchor="left") if title else None,
                xaxis=dict(title=dict(text=x)), yaxis=dict(title=dict(text=y)),
                legend=dict(orientation="h", yanchor="top", y=-0.22, x=0, title=dict(text="")))
    return go.Figure(data=traces, layout={**base, **layout}, _validate=False)


def _groups(table: pd.DataFrame, groups: list[str] | None) -> list[str]:
    return list(groups) if groups is not None else list(dict.fromkeys(table["group"]))


def overlaid_histogram(table: pd.DataFrame, *, x: str, y: str = "share", title: str | None = None,
                       groups: list[str] | None = None) -> go.Figure:
    """Step outlines of several histograms on shared bins (``group, left, right, count, share``),
    so overlapping groups stay readable."""
    traces = []
    for i, name in enumerate(_groups(table, groups)):
        part = table[table["group"] == name]
        if part.empty:
            continue
        xs = np.append(part["left"].to_numpy(), part["right"].iloc[-1])
        ys = np.append(part[y].to_numpy(), part[y].iloc[-1])
        traces.append(dict(type="scatter", x=xs, y=ys, mode="lines", name=str(name),
                           line=dict(shape="hv", color=colour(i)), fill="tozeroy", opacity=0.5,
                           hovertemplate=f"{name}<br>%{{x:.4g}}: %{{y:.3g}}<extra></extra>"))
    return figure(traces, x=x, y="share of the group" if y == "share" else y, title=title)


def ecdf(table: pd.DataFrame, *, x: str, title: str | None = None,
         groups: list[str] | None = None) -> go.Figure:
    """Empirical CDFs (``group, x, share``) as step lines."""
    traces = [dict(type="scatter", x=part["x"].to_numpy(), y=part["share"].to_numpy(), mode="lines",
                   name=str(name), line=dict(shape="hv", color=colour(i)))
              for i, name in enumerate(_groups(table, groups))
              if not (part := table[table["group"] == name]).empty]
    return figure(traces, x=x, y="share <= x", title=title, yaxis=dict(
        title=dict(text="share <= x"), range=[0, 1.02]))


def heatmap(matrix: pd.DataFrame, *, title: str | None = None, zmax: float | None = 1.0) -> go.Figure:
    """A labelled square matrix (Jaccard overlap, divergence) with the values written in cells."""
    trace = dict(type="heatmap", z=matrix.to_numpy(), x=[str(c) for c in matrix.columns],
                 y=[str(i) for i in matrix.index], zmin=0, zmax=zmax, colorscale=BLUES,
                 text=matrix.round(2).to_numpy(), texttemplate="%{text}",
                 hovertemplate="%{y} / %{x}: %{z:.3f}<extra></extra>")
    return figure([trace], x="", y="", title=title, yaxis=dict(autorange="reversed"))


def grouped_bars(table: pd.DataFrame, *, x: str, y: str, group: str, title: str | None = None,
                 x_title: str | None = None, y_title: str | None = None) -> go.Figure:
    """Bars of ``y`` over ``x``, one colour per ``group`` (cluster distributions, counts)."""
    traces = [dict(type="bar", x=part[x].astype(str).to_numpy(), y=part[y].to_numpy(),
                   name=str(name), marker=dict(color=colour(i)))
              for i, (name, part) in enumerate(table.groupby(group, sort=False))]
    return figure(traces, x=x_title or x, y=y_title or y, title=title, barmode="group")


def scatter_map(table: pd.DataFrame, *, x: str, y: str) -> go.Figure:
    """The map: one WebGL trace per ``group`` (queries as diamonds), the row index as customdata
    so a box or lasso selection names the rows."""
    traces = []
    for i, (name, part) in enumerate(table.groupby("group", sort=True, observed=True)):
        query = (part["role"] == "query").to_numpy()
        traces.append(dict(type="scattergl", x=part["x"].to_numpy(), y=part["y"].to_numpy(),
                           mode="markers", name=str(name), customdata=part.index.to_numpy(),
                           marker=dict(size=np.where(query, 9, 5), color=colour(i), opacity=0.75,
                                       symbol=np.where(query, "diamond", "circle")),
                           hovertemplate="%{customdata}<extra>" + str(name) + "</extra>"))
    return figure(traces, x=x, y=y, height=620, dragmode="lasso",
                  legend=dict(orientation="h", y=1.02, x=0, title=dict(text="")))


def probe_metric(comparisons, metric: str, title: str) -> go.Figure:
    """One probe metric: each strategy's mean as a point whose error bar is its paired bootstrap
    interval against the base, drawn around the mean; the dashed line is the base model (a bar
    crossing it: within noise). Points, not bars: the differences are a few hundredths, and a
    bar from 0 would hide them. ``comparisons``: ``ProbeResult.comparisons``."""
    rows = [c for c in comparisons if c.metric == metric]
    base = next(c.mean for c in rows if c.vs_base is None)
    strategies = [c for c in rows if c.vs_base is not None]
    below = [c.vs_base.mean - c.vs_base.low for c in strategies]
    above = [c.vs_base.high - c.vs_base.mean for c in strategies]
    fig = go.Figure(go.Scatter(
        x=[c.label for c in strategies], y=[c.mean for c in strategies], mode="markers",
        marker={"size": 12, "color": [colour(i) for i in range(len(strategies))]},
        error_y={"type": "data", "symmetric": False, "thickness": 2, "width": 8,
                 "array": above, "arrayminus": below}))
    fig.add_hline(y=base, line_dash="dash", annotation_text=f"base {base:.3f}")
    # Fit the axis to the bars and the base line: plotly pads a flat series (every model at
    # Recall@100 = 1.0) out to 0..2, which reads as a difference.
    low = min([base] + [c.mean - d for c, d in zip(strategies, below)])
    high = max([base] + [c.mean + d for c, d in zip(strategies, above)])
    pad = max(0.005, 0.15 * (high - low))
    fig.update_layout(title=title, height=340, showlegend=False,
                      yaxis={"range": [low - pad, high + pad]},
                      margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig
