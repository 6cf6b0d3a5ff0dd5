"""A self-contained HTML report of a pool and the strategies compared on it.

``build_report(pool, strategies, seed=...)`` returns one HTML document holding:

1. the input and pool settings, and each strategy's parameters;
2. the positive / negative / difference score statistics per source (``analysis.measure.stats``:
   the table sentence-transformers prints), the pool first, then each selection;
3. per strategy, histograms of the chosen negatives' raw rank (positives counted, as
   FlagEmbedding's range), rank among non-positives (sentence-transformers' ``range_min``
   convention) and score gap ``s_pos - s`` (``analysis.measure.compare``);
4. the metrics table (coverage, ranks, gaps, suspects, diversity, reuse), the Jaccard overlap
   of every two selections, and each selection's filter report;
5. the top false-negative suspects of the pool by combined risk (``analysis.false_negatives.signals``; the
   signals the pool allows without re-encoding: margin, and cross-encoder when it has
   ``ce_score``), with the strategies that chose each;
6. given a review store, the estimated share of false negatives among all negatives and each
   selection, with its 95% interval (``analysis.export.report_reviews``).

Rules: charts are plotly figures with the plotly.js bundle inlined once (``include_plotlyjs=True``
on the first), so the file opens without network; a Content-Security-Policy ``default-src
'none'`` forbids any request anyway. Every text from the data goes through ``html.escape`` (and
plotly escapes ``<`` and ``/`` in its JSON). Each strategy draws from its own
``numpy.random.default_rng(seed)``, as ``compare`` and ``sample`` do, and chart ids are fixed, so
the same inputs give the same bytes.
"""

from __future__ import annotations

import html
import json
import math
import os
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from analysis.model import DataError, NegativeSet

TOP_SUSPECTS = 25
TEXT_CHARS = 220
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "img-src data:; font-src data:")
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;
color:#1f2328;line-height:1.45;padding:0 1rem}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.88rem}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:right;vertical-align:top}
th{background:#f6f8fa}td.text{text-align:left;max-width:28rem}
.meta{color:#57606a}.chart{margin:.5rem 0 1.5rem}code{font-size:.85rem}
"""


def build_report(pool: NegativeSet, strategies: Mapping, *, seed: int = 0,
                 title: str = "NegLens report", source: str | None = None, review=None) -> str:
    """The HTML report of ``strategies`` (label -> Strategy) run on ``pool``'s candidate rows;
    ``review`` (a ``ReviewStore``) adds the estimated share of false negatives."""
    from analysis.export.apply import candidate_pool

    if not strategies:
        raise DataError("the report needs at least one strategy", field="strategy")
    pool = candidate_pool(pool)
    selections = {label: strategy.select(pool, np.random.default_rng(seed))
                  for label, strategy in strategies.items()}
    charts = _Charts()
    parts = [_header(pool, strategies, seed, title, source),
             "<h2>Score statistics</h2>",
             "<p>Positive and negative scores and the gap <code>s_pos - s</code> (s_pos: the "
             "query's lowest positive score), per source: the pool, then each selection.</p>",
             _statistics(pool, selections),
             *_distributions(pool, selections, charts),
             *_metrics(pool, selections, charts),
             *_suspects(pool, selections)]
    if review is not None:
        from analysis.export.report_reviews import estimate_section

        parts += estimate_section(review, pool, selections)
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f'<title>{_e(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n')


def write_report(path: str | os.PathLike, report: str) -> Path:
    """Write the report as UTF-8; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report, encoding="utf-8")
    return path


# -- sections -------------------------------------------------------------------------------------
def _header(pool: NegativeSet, strategies: Mapping, seed: int, title: str, source: str | None) -> str:
    spec = pool.meta.get("pool") or {}
    facts = [f"{len(pool.queries):,} queries", f"{len(pool.pairs):,} pool rows"]
    if spec:
        facts += [f"top {spec.get('top_n')} of {spec.get('corpus_size', '?'):,} documents"
                  if isinstance(spec.get("corpus_size"), int) else f"top {spec.get('top_n')}",
                  f"model {spec.get('model') or 'all-MiniLM-L6-v2'}"]
        if spec.get("cross_encoder"):
            facts.append(f"cross-encoder {spec['cross_encoder']}")
    from analysis.measure.query_sample import sample_note

    if sample_note(pool):
        facts.insert(0, f"analysed {sample_note(pool)}")
    items = "".join(f"<li><b>{_e(label)}</b>: {_e(s.summary)} <code>{_e(json.dumps(s.params))}"
                    f"</code></li>" for label, s in strategies.items())
    where = f"<p class='meta'>Input: <code>{_e(source)}</code></p>" if source else ""
    return (f"<h1>{_e(title)}</h1>{where}<p class='meta'>{_e('; '.join(facts))}; seed {seed}: "
            f"each strategy draws from <code>numpy.random.default_rng({seed})</code>.</p>"
            f"<h2>Strategies</h2><ul>{items}</ul>")


def _statistics(pool: NegativeSet, selections: Mapping) -> str:
    from analysis.measure.stats import summary_table

    frames = [pool.pairs[["qid", "did", "label", "score"]].assign(source="pool")]
    for label, selection in selections.items():
        chosen = pool.pairs.iloc[selection.rows][["qid", "did", "label", "score"]]
        frames.append(chosen.assign(source=label))
    table = summary_table(pd.concat(frames, ignore_index=True), by="source")
    wide = table.pivot(index="metric", columns="source", values=["positive", "negative", "difference"])
    # Selections hold negatives only: their positive column would be empty.
    columns = [("pool", c) for c in ("positive", "negative", "difference")] + \
        [(label, c) for label in selections for c in ("negative", "difference")]
    head = "<tr><th rowspan=2>metric</th><th colspan=3>pool</th>" + "".join(
        f"<th colspan=2>{_e(label)}</th>" for label in selections) + "</tr><tr>" + "".join(
        f"<th>{column}</th>" for _, column in columns) + "</tr>"
    rows = []
    for metric in dict.fromkeys(table["metric"]):
        cells = "".join(_cell(wide.loc[metric, (column, group)], integer=metric == "Count")
                        for group, column in columns)
        rows.append(f"<tr><th>{_e(metric)}</th>{cells}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _distributions(pool: NegativeSet, selections: Mapping, charts: "_Charts") -> list[str]:
    from analysis.measure.compare import histogram, selected_rows
    from analysis.scoring.file_rank import FILE_RANK, rank_kind

    rows = selected_rows(pool, selections)
    out = ["<h2>Rank and gap distributions</h2>"]
    kind = rank_kind(pool)
    rank_title = ("File rank of the chosen negatives (position in the file's own score order, "
                  "positives counted; not a corpus rank)", FILE_RANK) if kind == FILE_RANK \
        else ("Raw rank of the chosen negatives (1-based, positives counted)", "raw rank")
    for column, title, axis in (
            ("rank", *rank_title),
            ("neg_rank", "Rank among non-positives (sentence-transformers' range_min convention)",
             "rank among non-positives"),
            ("gap", "Score gap s_pos - s of the chosen negatives (small or negative: hard or "
                    "suspicious)", "gap")):
        table = histogram(rows, column, bins=30)
        out.append(f"<h3>{_e(title)}</h3>")
        out.append(charts.bars(table, axis) if len(table) else "<p>No values.</p>")
    return out


def _metrics(pool: NegativeSet, selections: Mapping, charts: "_Charts") -> list[str]:
    from analysis.measure.compare import overlap, summary

    table = summary(pool, selections).set_index("selection").drop(columns=["strategy"])
    out = ["<h2>Metrics</h2>",
           "<p>coverage: share of queries that got the full number of negatives; suspect_share: "
           "share of chosen negatives scoring at least 95% of the positive (NV-Retriever); "
           "distinct_share: distinct negatives / chosen; max_reuse / mean_reuse: queries served "
           "by the most reused document / per distinct document.</p>",
           _frame_table(table.T, index_name="metric")]
    if len(selections) > 1:
        out += ["<h3>Jaccard overlap of the chosen (qid, did) pairs</h3>", charts.heatmap(overlap(selections))]
    reports = "".join(f"<li><b>{_e(label)}</b>: {_e(' '.join(s.report.lines()) or 'nothing filtered, no query short')}</li>"
                      for label, s in selections.items())
    out += ["<h3>Filter reports</h3>", f"<ul>{reports}</ul>"]
    return out


def _suspects(pool: NegativeSet, selections: Mapping) -> list[str]:
    from analysis.false_negatives.signals import SIGNAL_RULES, find_suspects
    from analysis.measure.gaps import pair_positive_scores

    found = find_suspects(pool.pairs)
    signals = [c[:-len("_score")] for c in found.columns if c.endswith("_score") and c != "score"]
    negative = np.flatnonzero(pool.pairs["label"].to_numpy() == 0)
    found["s_pos"] = pair_positive_scores(pool.pairs)[negative]
    found["row"] = negative
    top = found.sort_values(["risk", "score"], ascending=False, kind="stable").head(TOP_SUSPECTS)
    chosen_by = {label: set(s.rows.tolist()) for label, s in selections.items()}
    qtext, dtext = pool.query_text().astype(str), pool.doc_text().astype(str)
    rules = "".join(f"<li><b>{_e(name)}</b>: {_e(SIGNAL_RULES[name])}</li>" for name in [*signals, "risk"])
    head = ("<tr><th>query</th><th>negative</th><th>rank</th><th>score</th><th>s_pos</th>"
            + "".join(f"<th>{_e(name)}</th>" for name in signals) + "<th>risk</th><th>chosen by</th></tr>")
    rows = []
    for item in top.itertuples(index=False):
        picked = ", ".join(label for label, rows_ in chosen_by.items() if item.row in rows_)
        cells = "".join(_cell(getattr(item, f"{name}_score")) for name in signals)
        rows.append(f"<tr><td class='text'>{_e(_short(qtext[str(item.qid)]))}</td>"
                    f"<td class='text'>{_e(_short(dtext[str(item.did)]))}</td>{_cell(item.rank, integer=True)}"
                    f"{_cell(item.score)}{_cell(item.s_pos)}{cells}{_percent(item.risk)}"
                    f"<td class='text'>{_e(picked) or '-'}</td></tr>")
    flagged = int(found["is_suspect"].sum())
    return ["<h2>Top false-negative suspects</h2>",
            f"<p>{flagged:,} of {len(found):,} pool negatives are flagged (risk >= 15%); the "
            f"{len(top)} riskiest are listed. Signals used:</p><ul>{rules}</ul>",
            f"<table>{head}{''.join(rows)}</table>"]


# -- charts ---------------------------------------------------------------------------------------
class _Charts:
    """Plotly figures as HTML fragments; the first carries the plotly.js bundle."""

    def __init__(self) -> None:
        self.count = 0

    def _html(self, figure) -> str:
        self.count += 1
        figure.update_layout(height=360, margin={"l": 60, "r": 20, "t": 30, "b": 50},
                             template="plotly_white")
        fragment = figure.to_html(full_html=False, include_plotlyjs=self.count == 1,
                                  div_id=f"chart-{self.count}", config={"displaylogo": False})
        return f"<div class='chart'>{fragment}</div>"

    def bars(self, table: pd.DataFrame, axis: str) -> str:
        import plotly.graph_objects as go

        figure = go.Figure()
        for label, group in table.groupby("selection", sort=False):
            centres = (group["left"] + group["right"]) / 2
            figure.add_bar(x=centres.tolist(), y=group["share"].tolist(),
                           width=(group["right"] - group["left"]).tolist(), name=str(label),
                           opacity=0.55, customdata=group["count"].tolist(),
                           hovertemplate="%{x:.3g}: %{y:.1%} (%{customdata})")
        figure.update_layout(barmode="overlay", xaxis_title=axis, yaxis_title="share of negatives",
                             yaxis_tickformat=".0%")
        return self._html(figure)

    def heatmap(self, matrix: pd.DataFrame) -> str:
        import plotly.graph_objects as go

        labels = [str(label) for label in matrix.columns]
        figure = go.Figure(go.Heatmap(z=matrix.to_numpy().round(4).tolist(), x=labels, y=labels,
                                      zmin=0, zmax=1, colorscale="Blues",
                                      text=matrix.to_numpy().round(2).tolist(),
                                      texttemplate="%{text}"))
        figure.update_yaxes(autorange="reversed")
        return self._html(figure)


# -- formatting -----------------------------------------------------------------------------------
def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _short(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS - 1] + "…"


def _percent(value) -> str:
    """A share as the app prints it (Browse: ``risk 42%``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "<td></td>"
    return f"<td>{float(value):.0%}</td>"


def _cell(value, *, integer: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "<td></td>"
    if isinstance(value, (bool, np.bool_)):
        return f"<td>{'yes' if value else 'no'}</td>"
    if integer or isinstance(value, (int, np.integer)):
        return f"<td>{int(value):,}</td>"
    return f"<td>{float(value):.4f}</td>"


def _frame_table(frame: pd.DataFrame, *, index_name: str) -> str:
    head = f"<tr><th>{_e(index_name)}</th>" + "".join(f"<th>{_e(c)}</th>" for c in frame.columns) + "</tr>"
    rows = []
    for name, row in frame.iterrows():
        integer = name in ("requested", "negatives", "queries", "short_queries", "max_reuse")
        rows.append(f"<tr><th>{_e(name)}</th>" + "".join(_cell(v, integer=integer) for v in row) + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"
