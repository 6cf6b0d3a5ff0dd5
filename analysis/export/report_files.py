"""The HTML report of several mined files compared on one yardstick (``python -m analysis report
A B ...``): the yardstick line, the match report, the metrics as rows, the overlap, rank and gap
ECDFs on one axis, the Jensen-Shannon matrix and each file's implied miner call. The same
self-contained page as the strategies report (``analysis.export.report``: plotly.js inlined once,
a Content-Security-Policy, every text escaped)."""

from __future__ import annotations

import numpy as np

from analysis.export.report import CSP, STYLE, _Charts, _e, _frame_table

SHOWN = ("queries", "negatives", "median_rank", "mean_rank", "median_gap", "fn_suspects",
         "fn_share_est", "mean_risk", "padding", "padding_share", "sibling_positives",
         "distinct_share", "max_reuse", "cluster_entropy", "only_here")


def _ecdf(charts: _Charts, values: dict, axis: str, *, log: bool = False) -> str:
    import plotly.graph_objects as go

    figure = go.Figure()
    for name, v in values.items():
        v = np.sort(v[~np.isnan(v)])
        if len(v):
            figure.add_scatter(x=v.tolist(), y=(np.arange(1, len(v) + 1) / len(v)).tolist(),
                               mode="lines", name=str(name), line={"shape": "hv"})
    figure.update_layout(xaxis_title=axis, yaxis_title="share <= x")
    if log:
        figure.update_xaxes(type="log")
    return charts._html(figure)


def build_files_report(cmp, *, title: str = "NegLens: files compared") -> str:
    charts = _Charts()
    table = cmp.table.set_index("name")[[c for c in SHOWN if c in cmp.table.columns]].T
    overlap = cmp.overlap.set_index(["a", "b"])
    parts = [f"<h1>{_e(title)}</h1>", f"<p><b>{_e(cmp.statement)}</b></p>",
             "<ul>" + "".join(f"<li>{_e(line)}</li>" for line in cmp.union.report.lines()) + "</ul>",
             "<h2>Metrics</h2>", _frame_table(table, index_name="metric"),
             "<h2>Overlap</h2><p>jaccard = shared / all (query, negative) pairs over the queries "
             "both hold</p>", _frame_table(overlap.reset_index(drop=True).set_index(
                 overlap.index.map(lambda ab: f"{ab[0]} / {ab[1]}")), index_name="pair"),
             "<h2>Rank and gap on the yardstick</h2>",
             _ecdf(charts, cmp.values("rank"), "rank on the yardstick (log scale)", log=True),
             _ecdf(charts, cmp.values("gap"), "gap = s_pos - s_neg on the yardstick")]
    if cmp.clusters is not None:
        parts += ["<h2>Cluster distributions: Jensen-Shannon divergence</h2>", charts.heatmap(cmp.js())]
    for name, call in cmp.calls.items():
        parts += [f"<h3>{_e(name)}: the {_e(call['miner'])} call</h3>", f"<pre>{_e(call['call'])}</pre>"]
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<title>{_e(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n')
