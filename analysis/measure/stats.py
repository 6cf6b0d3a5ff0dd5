"""The score statistics table sentence-transformers prints after ``mine_hard_negatives``.

Rows (``METRICS``), as in ``sentence_transformers/util/hard_negatives.py`` (v6.2):
Count, Mean, Median, Std, Min, 25%, 50%, 75%, Max; columns Positive, Negative, Difference.
The same statistics, computed the same way:

- Positive: the scores of labelled positive pairs; Negative: the scores of label-0 pairs;
  Difference: ``gap = s_pos - s_neg`` per negative pair (``analysis.measure.gaps``, ``s_pos`` the
  minimum over the query's positives by default: sentence-transformers' "harder positive").
- Median is ``torch.median``'s: the *lower* of the two middle values for an even count, so it
  can differ from 50%, which interpolates linearly (``torch.quantile``, numpy's default).
- Std is the sample standard deviation (``ddof=1``), as ``torch.std``.
- Unknown (NaN) scores are left out of every statistic; Count says how many remained. Unlike
  sentence-transformers, Difference has a Count too (the number of negatives with a gap).

One table per group of ``by`` (default ``source``). ``s_pos`` comes from the group's own
positives; a group without scored positives (a strategy's selection holds negatives only)
uses the positives of the whole table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.measure.gaps import POSITIVE_REDUCTIONS, positive_scores
from analysis.model import DataError, NegativeSet

METRICS = ("Count", "Mean", "Median", "Std", "Min", "25%", "50%", "75%", "Max")
COLUMNS = ("positive", "negative", "difference")


def describe(values: np.ndarray) -> dict[str, float]:
    """The nine statistics of one column of the table (NaN values left out)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]          # a copy of our own: partitioned in place below
    n = len(values)
    if n == 0:
        return {"Count": 0, **{m: float("nan") for m in METRICS[1:]}}
    out = {"Count": n, "Mean": float(values.mean()),      # sums first, in the values' order
           "Std": float(values.std(ddof=1)) if n > 1 else float("nan"),
           "Min": float(values.min()), "Max": float(values.max())}
    # Order statistics by partitioning (linear time), not a full sort, in place: on 100M
    # negatives two 800 MB copies fewer; an order statistic does not depend on the arrangement.
    q25, q50, q75 = np.quantile(values, [0.25, 0.5, 0.75], overwrite_input=True)
    values.partition((n - 1) // 2)
    out.update({"Median": float(values[(n - 1) // 2]), "25%": float(q25), "50%": float(q50),
                "75%": float(q75)})
    return {metric: out[metric] for metric in METRICS}


def summary_table(data: NegativeSet | pd.DataFrame, *, by: str | None = "source", how: str = "min",
                  column: str = "score") -> pd.DataFrame:
    """Long table: one row per (group, metric), columns ``positive``, ``negative``,
    ``difference``; the group column is named ``by`` (``"all"`` rows when ``by`` is None)."""
    pairs = data.pairs if isinstance(data, NegativeSet) else data
    if how not in POSITIVE_REDUCTIONS:
        raise DataError(f"how must be one of {POSITIVE_REDUCTIONS}, got {how!r}", field="how")
    for needed in ("qid", "label", column, *([by] if by else [])):
        if needed not in pairs.columns:
            raise DataError(f"the pairs table has no column {needed!r}", field=needed)
    group_col = by or "group"
    groups = [("all", None)] if by is None else _groups(pairs[by])
    needed = pairs[["qid", "label", column]]
    s_pos_all = positive_scores(needed, how=how, column=column)
    rows = []
    for name, mask in groups:
        sub = needed if mask is None else needed[mask]
        s_pos = positive_scores(sub, how=how, column=column)
        if np.isnan(s_pos).all():
            s_pos = s_pos_all
        label = sub["label"].to_numpy()
        scores = sub[column].to_numpy(dtype=np.float64)
        negatives = label == 0
        gaps = s_pos[sub["qid"].cat.codes.to_numpy()[negatives]] - scores[negatives]
        stats = {"positive": describe(scores[label == 1]), "negative": describe(scores[negatives]),
                 "difference": describe(gaps)}
        rows += [{group_col: str(name), "metric": metric,
                  **{col: stats[col][metric] for col in COLUMNS}} for metric in METRICS]
    return pd.DataFrame(rows, columns=[group_col, "metric", *COLUMNS])


def _groups(keys: pd.Series) -> list[tuple[str, np.ndarray | None]]:
    """(name, row mask) per distinct value of ``keys`` as a string, in ``_ordered_groups``
    order; the mask is None when one group holds every row, so the table is not copied.
    Grouping works on codes (a categorical's own, else ``pd.factorize``): no row becomes a
    string (turning 5M categorical rows into strings took longer than the statistics)."""
    if isinstance(keys.dtype, pd.CategoricalDtype):
        codes, labels = keys.cat.codes.to_numpy(), keys.cat.categories
    else:
        codes, labels = pd.factorize(keys.astype(str))
    names = np.append(np.asarray(pd.Index(labels).astype(str), dtype=object), "nan")
    codes = np.where(codes < 0, len(names) - 1, codes)
    present = np.flatnonzero(np.bincount(codes, minlength=len(names)))
    ordered = _ordered_groups(pd.Series(names[present], dtype=object))
    if len(ordered) == 1:
        return [(ordered[0], None)]
    group_of_code = np.full(len(names), -1)
    for i, name in enumerate(ordered):
        group_of_code[present[names[present] == name]] = i
    group = group_of_code[codes]
    return [(name, group == i) for i, name in enumerate(ordered)]


def _ordered_groups(keys: pd.Series) -> list[str]:
    """Group names sorted, "pool" first: the common ground leads."""
    return sorted(pd.unique(keys), key=lambda name: (name != "pool", name))


def format_table(table: pd.DataFrame) -> str:
    """The table as sentence-transformers prints it, one block per group."""
    row_format = "{:<6} {:>14} {:>14} {:>14}"
    group_col = table.columns[0]
    blocks = []
    for name, block in table.groupby(group_col, sort=False):
        lines = [f"{group_col}: {name}", row_format.format("Metric", "Positive", "Negative", "Difference")]
        for _, row in block.iterrows():
            lines.append(row_format.format(row["metric"], *(
                _cell(row[col], row["metric"]) for col in COLUMNS)))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _cell(value: float, metric: str) -> str:
    if metric == "Count":
        return f"{int(value):,}"
    return "" if np.isnan(value) else f"{value:.4f}"
