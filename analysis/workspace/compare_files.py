"""Several mined files, side by side on one yardstick: what the CLI, the report and the app show.

``compare(union, measured, strategies=..., seed=..., miners=...)`` -> :class:`FileComparison`:
each file's negatives as one selection named after the file, beside any strategy run over the
union of candidates (``analysis.measure.file_match``), all measured on ``measured``
(``analysis.measure.yardstick``): hardness, overlap, false-negative suspects and share,
diversity, padding, sibling positives, and the miner call each file's settings imply.
:meth:`FileComparison.as_json` is ``compare --json``'s object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.false_negatives.file_fn import SHARE_RULE, fn_columns, selection_fn
from analysis.measure import file_clusters, file_metrics


@dataclass
class FileComparison:
    union: object
    measured: object
    columns: pd.DataFrame
    fn: pd.DataFrame
    selections: dict[str, np.ndarray]
    kinds: dict[str, str]                     # name -> "file" | "strategy"
    padding: dict[str, np.ndarray]            # name -> bool per selection row
    siblings: dict[str, np.ndarray]           # name -> '' / labelled / exact / near per row
    table: pd.DataFrame
    overlap: pd.DataFrame
    clusters: np.ndarray | None = None
    cluster_basis: str = ""
    calls: dict[str, dict] = field(default_factory=dict)
    reports: dict[str, list[str]] = field(default_factory=dict)

    @property
    def statement(self) -> str:
        return self.measured.statement()

    def cluster_shares(self) -> pd.DataFrame:
        return file_clusters.share_table(self.selections, self.columns["d"].to_numpy(), self.clusters)

    def js(self) -> pd.DataFrame:
        return file_clusters.js_matrix(self.selections, self.columns["d"].to_numpy(), self.clusters)

    def values(self, column: str) -> dict[str, np.ndarray]:
        """Per selection the yardstick ``rank`` or ``gap`` of its negatives (for ECDFs)."""
        data = self.columns[column].to_numpy()
        return {name: data[rows] for name, rows in self.selections.items()}

    def as_json(self) -> dict:
        records = []
        for row in self.table.to_dict(orient="records"):
            records.append({k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()})
        return {"yardstick": self.measured.spec.text(), "statement": self.statement,
                "fn_share_rule": SHARE_RULE, "match": self.union.report.as_dict(),
                "selections": records,
                "overlap": [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                            for r in self.overlap.to_dict(orient="records")],
                "calls": self.calls, "reports": self.reports, "notes": self.measured.notes}


def parse_strategy(spec: str, num_negatives: int | None = None):
    """``NAME[:KEY=VALUE,...]`` -> a strategy, as ``compare --strategy`` parses it."""
    from analysis.strategies import create, parse_params

    name, _, rest = spec.partition(":")
    settings = parse_params(name.strip(), [item for item in rest.split(",") if item.strip()])
    if num_negatives is not None:
        settings.setdefault("num_negatives", num_negatives)
    return create(name.strip(), **settings)


def strategy_pool(union, measured):
    """The union candidates as a pool strategies draw from: yardstick score and rank."""
    pairs = union.nset.pairs
    score = np.asarray(measured.score, dtype=np.float64)
    low = np.nanmin(score) - 1.0 if np.isfinite(score).any() else 0.0
    rank = np.nan_to_num(measured.rank, nan=0).astype(np.int64)
    return union.nset.with_pairs(pairs.assign(score=np.where(np.isnan(score), low, score),
                                              rank=rank, source="pool"))


@dataclass
class Prepared:
    """What every selection is judged by, computed once per (files, yardstick): per union pair
    the yardstick columns, the false-negative risk, the lexical witness; document clusters."""

    union: object
    measured: object
    columns: pd.DataFrame
    fn: pd.DataFrame
    lexical: np.ndarray
    clusters: np.ndarray | None
    basis: str
    siblings: np.ndarray          # per union pair: '' / labelled / exact / near
    bm25: np.ndarray | None = None
    memo: dict = field(default_factory=dict)   # (name, seed) -> the selection's fn-share numbers


def prepare(union, measured, *, seed: int = 0, clusters: bool = True) -> Prepared:
    from analysis.measure import file_lexical

    found = file_lexical.counts(union)
    doc_clusters, basis = (file_clusters.doc_clusters(union.nset.docs["text"], seed=seed,
                                                      embeddings=measured.doc_embeddings,
                                                      term_counts=found[0])
                           if clusters else (None, ""))
    bm25 = file_lexical.bm25_pairs(union, found)
    everyone = np.unique(np.concatenate(list(union.negatives.values())))
    siblings = np.full(len(union.nset.pairs), "", dtype=object)
    siblings[everyone] = file_metrics.sibling_kind(union, everyone, doc_embeddings=measured.doc_embeddings)
    return Prepared(union, measured, file_metrics.candidate_columns(union, measured),
                    fn_columns(union, measured, bm25=bm25), file_lexical.relative(union, bm25),
                    doc_clusters, basis, siblings, bm25)


def compare(union, measured, *, strategies: dict | None = None, seed: int = 0,
            miners: dict[str, str] | None = None, clusters: bool = True,
            prepared: Prepared | None = None) -> FileComparison:
    prep = prepared or prepare(union, measured, seed=seed, clusters=clusters)
    columns, fn, doc_clusters = prep.columns, prep.fn, prep.clusters
    selections = {name: rows for name, rows in union.negatives.items()}
    kinds = {name: "file" for name in selections}
    qcode = columns["q"].to_numpy()
    held = {name: np.unique(qcode[np.r_[union.negatives[name], union.positives[name]]])
            for name in selections}
    reports: dict[str, list[str]] = {}
    if strategies:
        pool = prep.memo.get("pool") or prep.memo.setdefault("pool", strategy_pool(union, measured))
        for label, strategy in strategies.items():
            chosen = strategy.select(pool, np.random.default_rng(seed))
            selections[label], kinds[label] = np.asarray(chosen.rows, dtype=np.int64), "strategy"
            held[label] = np.unique(qcode)
            reports[label] = chosen.report.lines()
    padding, siblings, records = {}, {}, []
    only = file_metrics.only_here(selections, list(union.negatives))
    held_by = np.zeros(len(columns), dtype=np.int64)   # how many files hold each row as a negative
    for name in union.negatives:
        held_by[union.negatives[name]] += 1
    for name, rows in selections.items():
        mine = 1 if kinds[name] == "file" else 0
        padding[name] = file_metrics.padding_mask(
            columns["rank"].to_numpy()[rows], reference=measured.reference,
            lexical=prep.lexical[rows], shared=held_by[rows] > mine,
            own=union.own_scores[name][rows] if name in union.own_scores else None)
        siblings[name] = prep.siblings[rows]  # a strategy's rows are union candidates too
        record = {"name": name, "kind": kinds[name]}
        record.update(file_metrics.summary_row(columns, rows, clusters=doc_clusters))
        key = (name, kinds[name], seed, len(rows))   # a file's share is computed once per prepare
        if key not in prep.memo:
            prep.memo[key] = selection_fn(fn, rows, union=union, measured=measured, bm25=prep.bm25,
                                          seed=seed)
        record.update(prep.memo[key])
        record.update({"padding": int(padding[name].sum()),
                       "padding_share": float(padding[name].mean()) if len(rows) else float("nan"),
                       "sibling_positives": int((siblings[name] != "").sum()),
                       "only_here": only.get(name, 0)})
        records.append(record)
    table = pd.DataFrame.from_records(records)
    overlap = file_metrics.overlap_table(columns, selections, held)
    return FileComparison(union, measured, columns, fn, selections, kinds, padding, siblings, table,
                          overlap, doc_clusters, prep.basis, _calls(miners or {}), reports)


def _calls(miners: dict[str, str]) -> dict[str, dict]:
    from analysis.export.file_calls import implied_call

    return {name: implied_call(text) for name, text in miners.items()}
