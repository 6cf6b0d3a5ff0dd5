"""Plotly figures from the tidy tables ``analysis.workspace`` and ``analysis.compare`` return.

The figures receive already-binned data (a few hundred points per group), never raw rows, so a
million-row pool draws as fast as a small one. Every axis title says what it shows (raw rank
vs. rank among non-positives, as DESIGN.md section 2 asks).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

PALETTE = ("#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6",
           "#9D755D", "#BAB0AC", "#EECA3B")
HEIGHT = 420


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _layout(fig: go.Figure, *, x: str, y: str, title: str | None = None) -> go.Figure:
    fig.update_layout(height=HEIGHT, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      title=dict(text=title, x=0, xanchor="left") if title else None,
                      xaxis_title=x, yaxis_title=y, legend_title_text="",
                      legend=dict(orientation="h", yanchor="top", y=-0.22, x=0))
    return fig


def overlaid_histogram(table: pd.DataFrame, *, x: str, y: str = "share", title: str | None = None,
                       groups: list[str] | None = None) -> go.Figure:
    """Step outlines of several histograms on shared bins (``group, left, right, count, share``),
    so overlapping groups stay readable."""
    fig = go.Figure()
    order = groups if groups is not None else list(dict.fromkeys(table["group"]))
    for i, name in enumerate(order):
        part = table[table["group"] == name]
        if part.empty:
            continue
        xs = list(part["left"]) + [part["right"].iloc[-1]]
        ys = list(part[y]) + [part[y].iloc[-1]]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(shape="hv", color=colour(i)),
                                 name=str(name), fill="tozeroy", opacity=0.5,
                                 hovertemplate=f"{name}<br>%{{x:.4g}}: %{{y:.3g}}<extra></extra>"))
    return _layout(fig, x=x, y="share of the group" if y == "share" else y, title=title)


def ecdf(table: pd.DataFrame, *, x: str, title: str | None = None,
         groups: list[str] | None = None) -> go.Figure:
    """Empirical CDFs (``group, x, share``) as step lines."""
    fig = go.Figure()
    order = groups if groups is not None else list(dict.fromkeys(table["group"]))
    for i, name in enumerate(order):
        part = table[table["group"] == name]
        fig.add_trace(go.Scatter(x=part["x"], y=part["share"], mode="lines", name=str(name),
                                 line=dict(shape="hv", color=colour(i))))
    fig.update_yaxes(range=[0, 1.02])
    return _layout(fig, x=x, y="share <= x", title=title)


def heatmap(matrix: pd.DataFrame, *, title: str | None = None, zmax: float | None = 1.0) -> go.Figure:
    """A labelled square matrix (Jaccard overlap, divergence) with the values written in cells."""
    fig = go.Figure(go.Heatmap(z=matrix.to_numpy(), x=[str(c) for c in matrix.columns],
                               y=[str(i) for i in matrix.index], zmin=0, zmax=zmax,
                               colorscale="Blues", text=matrix.round(2).to_numpy(),
                               texttemplate="%{text}", hovertemplate="%{y} / %{x}: %{z:.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, x="", y="", title=title)


def grouped_bars(table: pd.DataFrame, *, x: str, y: str, group: str, title: str | None = None,
                 x_title: str | None = None, y_title: str | None = None) -> go.Figure:
    """Bars of ``y`` over ``x``, one colour per ``group`` (cluster distributions, counts)."""
    fig = go.Figure()
    for i, name in enumerate(dict.fromkeys(table[group])):
        part = table[table[group] == name]
        fig.add_trace(go.Bar(x=part[x].astype(str), y=part[y], name=str(name), marker_color=colour(i)))
    fig.update_layout(barmode="group")
    return _layout(fig, x=x_title or x, y=y_title or y, title=title)
