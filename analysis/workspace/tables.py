"""The binned, tidy tables the Overview, Compare and Map pages draw."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.model import DataError, NegativeSet


# -- what the Overview shows ----------------------------------------------------------------------
def overview_tables(pool: NegativeSet, candidates: NegativeSet, selections: dict, *,
                    how: str = "min") -> dict[str, pd.DataFrame]:
    """The Overview page's tables: one group per source of ``pool`` (``pool``, a loaded file's
    own pairs) and one per strategy (``selections``: rows into ``candidates``).

    - ``stats``: ``analysis.stats.summary_table`` per group, long (group, metric); every group
      holds the query positives, so its Difference uses the same ``s_pos``;
    - ``scores``: histograms of the positives' scores and of each group's negative scores;
    - ``gaps``: histograms of ``gap = s_pos - s_neg`` per group;
    - ``filters``: every strategy's sequential filter counts and its shortfall.
    """
    from analysis.gaps import score_gaps
    from analysis.stats import summary_table

    groups = [(str(name), pool.pairs, np.flatnonzero((pool.pairs["source"] == name).to_numpy()))
              for name in pool.pairs["source"].cat.categories]
    groups += [(name, candidates.pairs, np.asarray(sel.rows)) for name, sel in selections.items()]
    positives = np.flatnonzero(candidates.pairs["label"].to_numpy() == 1)
    gap_of = {id(t): score_gaps(t, how=how) for t in (pool.pairs, candidates.pairs)}
    stats, scores, gaps = [], {"positives": candidates.pairs["score"].to_numpy()[positives]}, {}
    for name, pairs, rows in groups:
        negatives = rows[pairs["label"].to_numpy()[rows] == 0]
        if not len(negatives):
            continue
        part = pd.concat([candidates.pairs.iloc[positives], pairs.iloc[negatives]],
                         ignore_index=True).assign(source=name)
        stats.append(summary_table(part, by="source", how=how))
        scores[f"{name} negatives"] = pairs["score"].to_numpy()[negatives]
        gaps[name] = gap_of[id(pairs)][negatives]
    filters = [{"strategy": name, **step.as_dict(), "value": _text(step.value)}
               for name, sel in selections.items() for step in sel.report.filters]
    filters += [{"strategy": name, "name": "shortfall", "value": str(sel.report.requested),
                 "rule": "queries with fewer negatives than asked (never padded)",
                 "removed": sel.report.num_short, "candidates": sel.report.num_queries}
                for name, sel in selections.items()]
    return {
        "stats": pd.concat(stats, ignore_index=True),
        "scores": histogram_table(scores),
        "gaps": histogram_table(gaps),
        "filters": pd.DataFrame(filters, columns=["strategy", "name", "value", "rule", "removed",
                                                  "candidates"]),
    }


def _text(value) -> str:
    return "" if value is None else str(value)


# -- binned distributions (what the charts draw) --------------------------------------------------
def histogram_table(groups: dict[str, np.ndarray], *, bins: int = 40,
                    integer: bool = False) -> pd.DataFrame:
    """Histograms of several groups on shared bin edges, as a tidy table.

    Columns ``group``, ``left``, ``right``, ``count``, ``share`` (count / the group's values).
    NaN values are left out. ``integer`` makes unit-wide bins when the values span at most
    ``bins`` integers (ranks), else edges are spread evenly over the values' overall range.
    Binning here keeps charts small: a million values become ``bins`` bars per group.
    """
    clean = {name: np.asarray(v, dtype=np.float64) for name, v in groups.items()}
    clean = {name: v[~np.isnan(v)] for name, v in clean.items()}
    known = [v for v in clean.values() if len(v)]
    if not known:
        return pd.DataFrame(columns=["group", "left", "right", "count", "share"])
    low = min(float(v.min()) for v in known)
    high = max(float(v.max()) for v in known)
    if integer and high - low + 1 <= bins:
        edges = np.arange(low, high + 2) - 0.5
    else:
        edges = np.linspace(low, high if high > low else low + 1.0, bins + 1)
    frames = []
    for name, values in clean.items():
        counts, _ = np.histogram(values, bins=edges)
        frames.append(pd.DataFrame({"group": name, "left": edges[:-1], "right": edges[1:],
                                    "count": counts,
                                    "share": counts / len(values) if len(values) else 0.0}))
    return pd.concat(frames, ignore_index=True)


def ecdf_table(groups: dict[str, np.ndarray], *, points: int = 200) -> pd.DataFrame:
    """Empirical CDFs of several groups on one shared grid of ``points`` x values.

    Columns ``group``, ``x``, ``share`` (the fraction of the group's values <= x); NaN left out.
    """
    clean = {name: np.sort(np.asarray(v, dtype=np.float64)) for name, v in groups.items()}
    clean = {name: v[~np.isnan(v)] for name, v in clean.items()}
    known = [v for v in clean.values() if len(v)]
    if not known:
        return pd.DataFrame(columns=["group", "x", "share"])
    grid = np.unique(np.linspace(min(v[0] for v in known), max(v[-1] for v in known), points))
    frames = [pd.DataFrame({"group": name, "x": grid,
                            "share": np.searchsorted(v, grid, side="right") / max(len(v), 1)})
              for name, v in clean.items() if len(v)]
    return pd.concat(frames, ignore_index=True)


def pool_column(candidates: NegativeSet, column: str) -> np.ndarray:
    """One value per candidate row: ``rank`` (raw rank, positives included), ``neg_rank``
    (1-based rank among the query's non-positives, sentence-transformers' ``range_min``
    convention), ``gap`` (``s_pos - s_neg``) or any other pool column. Index it with a
    selection's ``rows`` to get that strategy's values."""
    if column == "neg_rank":
        from analysis.strategies.view import PoolView

        view = PoolView.of(candidates)
        values = np.empty(len(view.rows), dtype=np.int64)
        values[view.rows] = view.neg_position + 1
        return values
    if column == "gap":
        from analysis.gaps import score_gaps

        return score_gaps(candidates.pairs)
    if column not in candidates.pairs.columns:
        raise DataError(f"the pool has no column {column!r}", field=column)
    return candidates.pairs[column].to_numpy()


def map_table(candidates: NegativeSet, query_emb: np.ndarray, doc_emb: np.ndarray, *,
              method: str = "pca", max_points: int = 100_000) -> tuple[pd.DataFrame, str]:
    """The points of the map (``analysis.projection.map_points``: one per query, one per pool
    row, at most ``max_points`` by stratified sampling with seed 0) and the sentence saying how
    many are shown."""
    from analysis.projection import Projector, map_points

    table, sample = map_points(candidates.pairs, query_emb, doc_emb, projector=Projector(method),
                               max_points=max_points, rng=np.random.default_rng(0))
    return table, sample.note


def map_colours(table: pd.DataFrame, candidates: NegativeSet, selections: dict, *,
                by: str) -> np.ndarray:
    """One colour label per map point.

    ``role``: query / positive / negative. ``strategy``: for a negative, the strategy that chose
    it, ``"<k> strategies"`` when several did, ``"not selected"`` when none; queries and
    positives keep their role.
    """
    role = table["role"].astype(str).to_numpy()
    if by == "role":
        return role
    if by != "strategy":
        raise DataError(f"cannot colour the map by {by!r}", field="color")
    pairs = candidates.pairs
    chosen = np.zeros((len(pairs), len(selections)), dtype=bool)
    for j, sel in enumerate(selections.values()):
        chosen[np.asarray(sel.rows), j] = True
    count = chosen.sum(axis=1)
    names = np.array(list(selections), dtype=object)
    label = np.where(count == 0, "not selected",
                     np.where(count == 1, names[chosen.argmax(axis=1)] if len(names) else "",
                              pd.Series(count).astype(str).to_numpy() + " strategies"))
    row = _row_lookup(pairs, table)
    out = role.astype(object)
    negative = (role == "negative") & (row >= 0)
    out[negative] = label[row[negative]]
    return out


def _row_lookup(pairs: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """Row of ``pairs`` for each (qid, did) of ``table`` (-1 where none, e.g. queries)."""
    index = pd.MultiIndex.from_arrays([pairs["qid"].astype(str), pairs["did"].astype(str)])
    wanted = pd.MultiIndex.from_arrays([table["qid"].astype(str).fillna(""),
                                        table["did"].astype(str).fillna("")])
    return index.get_indexer(wanted)


def with_texts(table: pd.DataFrame, nset: NegativeSet) -> pd.DataFrame:
    """``table`` (with ``qid`` and ``did`` columns) plus the query and document texts."""
    query = nset.query_text()
    doc = nset.doc_text()
    out = table.copy()
    out["query"] = query.reindex(out["qid"].astype(str)).to_numpy()
    out["document"] = doc.reindex(out["did"].astype(str).fillna("")).to_numpy()
    return out
