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

    - ``stats``: ``analysis.measure.stats.summary_table`` per group, long (group, metric); every group
      holds the query positives, so its Difference uses the same ``s_pos``;
    - ``scores``: histograms of the positives' scores and of each group's negative scores;
    - ``gaps``: histograms of ``gap = s_pos - s_neg`` per group;
    - ``filters``: every strategy's sequential filter counts and its shortfall.
    """
    from analysis.measure.gaps import score_gaps
    from analysis.measure.stats import summary_table

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
def bin_edges(values: np.ndarray, *, bins: int = 40, integer: bool = False) -> np.ndarray:
    """Histogram edges over the range of ``values`` (NaN ignored): unit-wide bins centred on the
    integers when ``integer`` and the values span at most ``bins`` of them (ranks), else
    ``bins`` equal bins."""
    values = np.asarray(values, dtype=np.float64)
    known = values[~np.isnan(values)]
    if not len(known):
        return np.array([0.0, 1.0])
    low, high = float(known.min()), float(known.max())
    if integer and high - low + 1 <= bins:
        return np.arange(low, high + 2) - 0.5
    return np.linspace(low, high if high > low else low + 1.0, bins + 1)


def histogram_table(groups: dict[str, np.ndarray], *, bins: int = 40, integer: bool = False,
                    edges: np.ndarray | None = None) -> pd.DataFrame:
    """Histograms of several groups on shared edges, as a tidy table ``group, left, right,
    count, share`` (``analysis.measure.compare.histogram`` per group; NaN left out).

    ``edges`` default to :func:`bin_edges` of all the groups' values; pass the edges of the
    whole pool to keep the bins still while a strategy changes. Binning keeps charts small: a
    million values become a few dozen bars per group.
    """
    from analysis.measure.compare import histogram

    if edges is None:
        values = [np.asarray(v, dtype=np.float64) for v in groups.values()]
        edges = bin_edges(np.concatenate(values) if values else np.zeros(0), bins=bins,
                          integer=integer)
    frames = [histogram(pd.DataFrame({"selection": name, "value": np.asarray(v, dtype=np.float64)}),
                        "value", bins=edges) for name, v in groups.items() if len(v)]
    if not frames:
        return pd.DataFrame(columns=["group", "left", "right", "count", "share"])
    return pd.concat(frames, ignore_index=True).rename(columns={"selection": "group"})


def ecdf_grid(values: np.ndarray, *, points: int = 200) -> np.ndarray:
    """``points`` evenly spaced x values over the range of ``values`` (NaN ignored)."""
    values = np.asarray(values, dtype=np.float64)
    known = values[~np.isnan(values)]
    if not len(known):
        return np.zeros(0)
    return np.unique(np.linspace(known.min(), known.max(), points))


def ecdf_table(groups: dict[str, np.ndarray], *, points: int = 200,
               grid: np.ndarray | None = None) -> pd.DataFrame:
    """Empirical CDFs of several groups on one shared grid: ``group, x, share`` (the fraction
    of the group's values <= x; NaN left out). ``grid`` defaults to :func:`ecdf_grid` of all
    the groups' values."""
    clean = {name: np.sort(np.asarray(v, dtype=np.float64)) for name, v in groups.items()}
    clean = {name: v[~np.isnan(v)] for name, v in clean.items()}
    if grid is None:
        grid = ecdf_grid(np.concatenate(list(clean.values())) if clean else np.zeros(0),
                         points=points)
    frames = [pd.DataFrame({"group": name, "x": grid,
                            "share": np.searchsorted(v, grid, side="right") / len(v)})
              for name, v in clean.items() if len(v)]
    if not frames:
        return pd.DataFrame(columns=["group", "x", "share"])
    return pd.concat(frames, ignore_index=True)
def cluster_shares(candidates: NegativeSet, selection, doc_clusters: np.ndarray, *,
                   label: str) -> pd.DataFrame:
    """How one selection's negatives spread over document clusters
    (``analysis.measure.clusters.cluster_distribution``): ``source`` (= ``label``), ``cluster``,
    ``negatives``, ``share``; every cluster listed, zeros included."""
    from analysis.measure.clusters import cluster_distribution

    rows = np.asarray(selection.rows)
    did = candidates.pairs["did"]
    chosen = pd.DataFrame({
        "did": pd.Categorical.from_codes(did.cat.codes.to_numpy()[rows], dtype=did.dtype),
        "label": np.zeros(len(rows), dtype=np.int8), "source": label})
    return cluster_distribution(chosen, doc_clusters, k=int(np.max(doc_clusters, initial=-1)) + 1)


def map_table(candidates: NegativeSet, query_emb: np.ndarray, doc_emb: np.ndarray, *,
              method: str = "pca", max_points: int = 100_000) -> tuple[pd.DataFrame, str]:
    """The points of the map (``analysis.measure.maps.map_points``: one per query, one per pool
    row, at most ``max_points`` by stratified sampling with seed 0) and the sentence saying how
    many are shown."""
    from analysis.measure.maps import map_points
    from analysis.measure.projection import Projector

    table, sample = map_points(candidates.pairs, query_emb, doc_emb, projector=Projector(method),
                               max_points=max_points, rng=np.random.default_rng(0))
    return table, sample.note


RISK_BANDS = ((0.0, "risk < 5%"), (0.05, "risk 5-15%"), (0.15, "flagged: risk >= 15%"))


def map_colours(table: pd.DataFrame, candidates: NegativeSet, selections: dict, *, by: str,
                doc_clusters: np.ndarray | None = None,
                risk: pd.DataFrame | None = None) -> np.ndarray:
    """One colour label per map point (queries always ``"query"``).

    - ``role``: query / positive / negative;
    - ``strategy``: for a negative, the strategy that chose it, ``"<k> strategies"`` when
      several did, ``"not selected"`` when none; positives stay ``"positive"``;
    - ``cluster``: ``"cluster <c>"`` of the document (``doc_clusters``, aligned with the did
      categories);
    - ``risk``: the band (:data:`RISK_BANDS`) of the negative's combined false-negative risk
      (``risk``: a table with ``qid, did, risk``, as ``analysis.false_negatives.signals.find_suspects`` gives).
    """
    role = table["role"].astype(str).to_numpy()
    out = role.astype(object)
    if by == "role":
        return out
    pairs = candidates.pairs
    row = _row_lookup(pairs, table)
    if by == "strategy":
        chosen = np.zeros((len(pairs), len(selections)), dtype=bool)
        for j, sel in enumerate(selections.values()):
            chosen[np.asarray(sel.rows), j] = True
        count = chosen.sum(axis=1)
        names = np.array(list(selections) or [""], dtype=object)
        label = np.where(count == 0, "not selected",
                         np.where(count == 1, names[chosen.argmax(axis=1)],
                                  pd.Series(count).astype(str).to_numpy() + " strategies"))
        negative = (role == "negative") & (row >= 0)
        out[negative] = label[row[negative]]
    elif by == "cluster":
        if doc_clusters is None:
            raise DataError("no document clusters to colour by", field="color")
        docs = (role != "query") & (row >= 0)
        codes = pairs["did"].cat.codes.to_numpy()[row[docs]]
        out[docs] = [f"cluster {c}" for c in np.asarray(doc_clusters)[codes]]
    elif by == "risk":
        if risk is None:
            raise DataError("no false-negative risk to colour by", field="color")
        found = pd.MultiIndex.from_arrays([risk["qid"].astype(str), risk["did"].astype(str)])
        wanted = pd.MultiIndex.from_arrays([table["qid"].astype(str).fillna(""),
                                            table["did"].astype(str).fillna("")])
        at = found.get_indexer(wanted)
        negative = (role == "negative") & (at >= 0)
        values = risk["risk"].to_numpy()[at[negative]]
        bands = np.searchsorted([low for low, _ in RISK_BANDS], values, side="right") - 1
        out[negative] = np.array([name for _, name in RISK_BANDS], dtype=object)[bands]
    else:
        raise DataError(f"cannot colour the map by {by!r}", field="color")
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
