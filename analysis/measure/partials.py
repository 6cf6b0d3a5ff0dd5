"""The statistics table (``analysis.measure.stats``) from partial aggregates, one per shard.

A file sharded by query (every query's rows in one shard) needs no shuffle: ``s_pos`` and the
gaps of a query are computed inside its shard. Per shard, :func:`stats_partial` (a pure function
of the shard's pairs: a pandas frame or a pyarrow Table; no engine code) gives, per group and
per column (positive scores, negative scores, differences), the count, sum, sum of squared
deviations from the shard's mean, min, max and the values themselves (float64, for the exact
order statistics). :func:`merge_partials` combines them in shard order (Chan et al.'s pairwise
update for the variance; values concatenated), so any engine that hands the same partials in
the same order gets bit-identical figures; :func:`partial_table` gives ``summary_table``'s
layout. Mean and Std agree with ``summary_table`` on the concatenated file to rounding (about
1e-15), the order statistics exactly.

A group without scored positives in the whole file (a strategy's selection of negatives) takes
its ``s_pos`` from all groups, as ``summary_table`` does: each partial carries both variants of
such a group's differences and the merge keeps the one the whole file calls for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.measure.gaps import positive_scores
from analysis.measure.stats import COLUMNS, METRICS, _groups, _ordered_groups
from analysis.model import POSITIVE_REDUCTIONS, DataError

_FALLBACK = "difference_from_all"


def _moments(values: np.ndarray) -> dict:
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    n = len(values)
    mean = float(values.mean()) if n else 0.0
    return {"count": n, "sum": float(values.sum()), "m2": float(((values - mean) ** 2).sum()),
            "min": float(values.min()) if n else np.inf, "max": float(values.max()) if n else -np.inf,
            "values": values}


def stats_partial(pairs, *, by: str | None = "source", how: str = "min", column: str = "score") -> dict:
    """The partial aggregates of one shard: ``{group: {column: moments}, ...}`` plus
    ``has_positives`` per group (see the module rules). ``pairs``: ``qid, label, column``
    and ``by``; a pyarrow Table is read as a frame."""
    if not isinstance(pairs, pd.DataFrame):
        pairs = pairs.to_pandas()
    if how not in POSITIVE_REDUCTIONS:
        raise DataError(f"how must be one of {POSITIVE_REDUCTIONS}, got {how!r}", field="how")
    for needed in ("qid", "label", column, *([by] if by else [])):
        if needed not in pairs.columns:
            raise DataError(f"the pairs table has no column {needed!r}", field=needed)
    needed = pairs[["qid", "label", column]].copy()
    if not isinstance(needed["qid"].dtype, pd.CategoricalDtype):
        needed["qid"] = needed["qid"].astype(str).astype("category")
    groups = [("all", None)] if by is None else _groups(pairs[by])
    s_pos_all = positive_scores(needed, how=how, column=column)
    out: dict = {"groups": {}}
    for name, mask in groups:
        sub = needed if mask is None else needed[mask]
        s_pos = positive_scores(sub, how=how, column=column)
        label = sub["label"].to_numpy()
        scores = sub[column].to_numpy(dtype=np.float64)
        negatives = label == 0
        codes = sub["qid"].cat.codes.to_numpy()[negatives]
        own = not np.isnan(s_pos).all()
        entry = {"has_positives": own, "positive": _moments(scores[label == 1]),
                 "negative": _moments(scores[negatives]),
                 "difference": _moments(s_pos[codes] - scores[negatives])}
        if not own:
            entry[_FALLBACK] = _moments(s_pos_all[codes] - scores[negatives])
        out["groups"][str(name)] = entry
    return out


def _merge_moments(a: dict, b: dict) -> dict:
    n = a["count"] + b["count"]
    if not a["count"] or not b["count"]:
        m2 = a["m2"] + b["m2"]
    else:
        delta = b["sum"] / b["count"] - a["sum"] / a["count"]
        m2 = a["m2"] + b["m2"] + delta * delta * a["count"] * b["count"] / n
    return {"count": n, "sum": a["sum"] + b["sum"], "m2": m2, "min": min(a["min"], b["min"]),
            "max": max(a["max"], b["max"]), "values": [*a["values"], b["values"]]}


def merge_partials(partials: list[dict]) -> dict:
    """The partials of all shards, merged in the order given (see the module rules)."""
    merged: dict = {"groups": {}}
    empty = {**_moments(np.zeros(0)), "values": []}
    for partial in partials:
        for name, entry in partial["groups"].items():
            into = merged["groups"].setdefault(name, {"has_positives": False})
            into["has_positives"] = into["has_positives"] or entry["has_positives"]
            for key in (*COLUMNS, _FALLBACK):  # the fallback is used only where no shard has positives
                into[key] = _merge_moments(into.get(key, empty), entry.get(key, _moments(np.zeros(0))))
    return merged


def _describe(m: dict) -> dict[str, float]:
    n = m["count"]
    values = np.concatenate([np.zeros(0), *m["values"]]) if isinstance(m["values"], list) else m["values"]
    if n == 0:
        return {"Count": 0, **{metric: float("nan") for metric in METRICS[1:]}}
    q25, q50, q75 = np.quantile(values, [0.25, 0.5, 0.75])
    return {"Count": n, "Mean": m["sum"] / n,
            "Median": float(np.partition(values, (n - 1) // 2)[(n - 1) // 2]),
            "Std": float(np.sqrt(m["m2"] / (n - 1))) if n > 1 else float("nan"),
            "Min": m["min"], "25%": float(q25), "50%": float(q50), "75%": float(q75), "Max": m["max"]}


def partial_table(merged: dict, *, by: str | None = "source") -> pd.DataFrame:
    """``summary_table``'s long table from merged partials."""
    group_col = by or "group"
    rows = []
    for name in _ordered_groups(pd.Series(list(merged["groups"]), dtype=object)):
        entry = merged["groups"][name]
        stats = {"positive": _describe(entry["positive"]), "negative": _describe(entry["negative"]),
                 "difference": _describe(entry["difference" if entry["has_positives"] else _FALLBACK])}
        rows += [{group_col: name, "metric": metric, **{c: stats[c][metric] for c in COLUMNS}}
                 for metric in METRICS]
    return pd.DataFrame(rows, columns=[group_col, "metric", *COLUMNS])
