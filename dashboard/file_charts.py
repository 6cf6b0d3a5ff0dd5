"""Figures for comparisons that must stay readable with many clusters or selections.

- :func:`share_heatmap`: rows = selections, columns = clusters ordered by size (top 15 plus
  "other"), each cell the share of the row's negatives, written in the cell as a percentage;
  the colour scale runs to the largest share, so small differences still show. It replaces
  grouped bars, which at 22 clusters x 6 strategies could not be read.
- :func:`matrix`: a square matrix (Jaccard, Jensen-Shannon) with values in the cells.
- Every title carries the yardstick line as a subtitle (``note``).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from dashboard.charts import BLUES, figure


def _wrap(label: str, width: int = 22) -> str:
    return "<br>".join(textwrap.wrap(str(label), width)) or str(label)


def _title(title: str, note: str | None, width: int = 80) -> str:
    return f"{title}<br><sup>{'<br>'.join(textwrap.wrap(note, width))}</sup>" if note else title


def share_heatmap(table: pd.DataFrame, *, title: str, note: str | None = None,
                  basis: str = "") -> object:
    z = table.to_numpy(dtype=np.float64)
    columns = [c.replace("c", "cluster ", 1) if c.startswith("c") else c for c in table.columns]
    trace = dict(type="heatmap", z=z, x=columns, y=[_wrap(i) for i in table.index],
                 zmin=0, zmax=float(np.nanmax(z)) if z.size else 1.0, colorscale=BLUES,
                 text=np.vectorize(lambda v: f"{100 * v:.0f}%")(z) if z.size else z,
                 texttemplate="%{text}", textfont=dict(size=11),
                 colorbar=dict(title=dict(text="share"), thickness=12),
                 hovertemplate="%{y}<br>%{x}: %{z:.1%}<extra></extra>")
    height = 140 + 48 * len(table.index)
    return figure([trace], x=f"document cluster, largest first ({basis})" if basis else "document cluster",
                  y="", title=_title(title, note), height=max(height, 300),
                  yaxis=dict(autorange="reversed", automargin=True),
                  xaxis=dict(title=dict(text=f"document cluster, largest first ({basis})"),
                             tickangle=-40, automargin=True),
                  margin=dict(l=10, r=10, t=100, b=10))


def _short(label: str, width: int = 22) -> str:
    label = str(label)
    return label if len(label) <= width else label[: width - 1] + "…"


def matrix(table: pd.DataFrame, *, title: str, note: str | None = None, zmax: float = 1.0) -> object:
    z = table.to_numpy(dtype=np.float64)
    labels = [_short(c) for c in table.columns]
    trace = dict(type="heatmap", z=z, x=labels, y=labels, zmin=0, zmax=zmax, colorscale=BLUES,
                 text=np.round(z, 2), texttemplate="%{text}", colorbar=dict(thickness=12),
                 hovertemplate="%{y} / %{x}: %{z:.3f}<extra></extra>")
    return figure([trace], x="", y="", title=_title(title, note), height=120 + 70 * len(labels),
                  yaxis=dict(autorange="reversed", automargin=True),
                  xaxis=dict(automargin=True, tickangle=-30), margin=dict(l=10, r=10, t=70, b=10))


def jaccard_matrix(overlap: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The overlap table's pooled Jaccard as a square matrix (1 on the diagonal)."""
    m = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for row in overlap.itertuples():
        m.loc[row.a, row.b] = m.loc[row.b, row.a] = row.jaccard
    return m
