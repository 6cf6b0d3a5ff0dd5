"""What the Browse page shows: per-query lists of negatives with signals, risk and verdicts."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.model import DataError, NegativeSet


def doc_clusters(candidates: NegativeSet, doc_emb: np.ndarray | None) -> np.ndarray | None:
    """Cluster of each document (aligned with the did categories): the pool's own ``cluster``
    column when it has one, else ``analysis.measure.clusters.kmeans_labels`` of the document embeddings
    (default k), else None (no embeddings: nothing to cluster)."""
    pairs = candidates.pairs
    if "cluster" in pairs.columns:
        out = np.full(len(pairs["did"].cat.categories), -1, dtype=np.int32)
        out[pairs["did"].cat.codes.to_numpy()] = pairs["cluster"].to_numpy()
        return out
    if doc_emb is None:
        return None
    from analysis.measure.clusters import kmeans_labels

    return kmeans_labels(doc_emb)


def suspects(candidates: NegativeSet, *, doc_emb: np.ndarray | None = None,
             clusters: np.ndarray | None = None) -> pd.DataFrame:
    """``analysis.false_negatives.signals.find_suspects`` on the pool's negatives, with every signal the inputs
    allow (margin from scores, cross-encoder from ``ce_score``, near-duplicate from the
    embeddings, same-cluster from ``clusters``, answer match from an ``answers`` column), plus
    ``gap``. Rows follow the pool's negative rows."""
    return lazy_suspects(candidates, doc_emb=doc_emb, clusters=clusters).table()


def lazy_suspects(candidates: NegativeSet, *, doc_emb: np.ndarray | None = None,
                  clusters: np.ndarray | None = None, bm25_index=None):
    """The same table as :func:`suspects`, computed per chunk of queries when asked for
    (``browse_signals.LazySuspects``: ``for_query(qid)``, ``known()``, ``table(progress)``;
    ``bm25_index``: a ``TermIndex`` or the Future of ``start_term_index``)."""
    from analysis.workspace.browse_signals import LazySuspects

    return LazySuspects(candidates, doc_emb=doc_emb, clusters=clusters, bm25_index=bm25_index)


def start_term_index(candidates: NegativeSet):
    """``browse_signals.start_term_index``: BM25's statistics built in the background."""
    from analysis.workspace.browse_signals import start_term_index as start

    return start(candidates)


def review_store(data_path: str | os.PathLike):
    """The ``analysis.false_negatives.review.ReviewStore`` beside the data (see ``default_review_path``)."""
    from analysis.false_negatives.review import ReviewStore

    return ReviewStore.for_data(data_path)


def display_path(path: str | os.PathLike) -> str:
    """``path`` relative to the working folder when it lies inside it, else absolute."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def query_list(candidates: NegativeSet, table: pd.DataFrame, decisions: pd.DataFrame, *,
               only: str = "all", search: str = "") -> pd.DataFrame:
    """One row per query of the pool: ``qid, text, negatives, suspects, reviewed``, filtered by
    ``only`` (``all``, ``suspects``: with a suspect negative, ``reviewed``: with a verdict) and
    by ``search`` (case-insensitive, in the qid or the text); in the pool's query order.
    ``table`` may hold the signals of some queries only (``LazySuspects.known()``): the others'
    ``suspects`` is NA (unknown), and ``negatives`` always counts the pool's negative rows."""
    qids = candidates.queries["qid"].astype(str)
    counts = table.assign(qid=table["qid"].astype(str)).groupby("qid", observed=True).agg(
        suspects=("is_suspect", "sum"))
    pairs = candidates.pairs
    negative = pairs["label"].to_numpy() == 0
    negative_rows = pd.Series(np.bincount(pairs["qid"].cat.codes.to_numpy()[negative],
                                          minlength=len(pairs["qid"].cat.categories)),
                              index=pairs["qid"].cat.categories.astype(str))
    reviewed = decisions["qid"].astype(str).value_counts() if len(decisions) else pd.Series(dtype=int)
    out = pd.DataFrame({"qid": qids.to_numpy(), "text": candidates.queries["text"].astype(str).to_numpy()})
    out["negatives"] = negative_rows.reindex(out["qid"]).fillna(0).astype(int).to_numpy()
    out["suspects"] = pd.array(counts["suspects"].reindex(out["qid"]).to_numpy(), dtype="Int64")
    out.loc[out["negatives"] == 0, "suspects"] = 0
    out["reviewed"] = reviewed.reindex(out["qid"]).fillna(0).astype(int).to_numpy()
    if only == "suspects":
        out = out[out["suspects"].fillna(0) > 0]
    elif only == "reviewed":
        out = out[out["reviewed"] > 0]
    elif only != "all":
        raise DataError(f"only must be all, suspects or reviewed, got {only!r}", field="only")
    if search.strip():
        needle = search.strip().lower()
        hit = out["qid"].str.lower().str.contains(needle, regex=False) | \
            out["text"].str.lower().str.contains(needle, regex=False)
        out = out[hit]
    return out.reset_index(drop=True)


QUERY_WINDOW = 1000


def query_window(qids: list[str], current: str, size: int = QUERY_WINDOW) -> list[str]:
    """At most ``size`` of ``qids`` around ``current`` (all of them when fewer): what a query
    picker lists, so a 100,000-query file does not send 100,000 options to the browser."""
    if len(qids) <= size:
        return qids
    at = qids.index(current) if current in qids else 0
    start = min(max(at - size // 2, 0), len(qids) - size)
    return qids[start:start + size]


def query_negatives(candidates: NegativeSet, table: pd.DataFrame, decisions: pd.DataFrame,
                    qid: str, *, only: str = "all") -> pd.DataFrame:
    """The negatives of one query, by rank: rank, score, gap, each signal, risk, suspect flag,
    the verdict (if any) and the document text; ``only`` as in :func:`query_list`."""
    rows = table[table["qid"].astype(str) == str(qid)].sort_values("rank", kind="stable")
    verdicts = decisions[decisions["qid"].astype(str) == str(qid)].set_index("did")["verdict"] \
        if len(decisions) else pd.Series(dtype=object)
    out = rows.drop(columns=["qid", "source"]).copy()
    out["did"] = out["did"].astype(str)
    out["verdict"] = verdicts.reindex(out["did"]).to_numpy()
    if only == "suspects":
        out = out[out["is_suspect"]]
    elif only == "reviewed":
        out = out[out["verdict"].notna()]
    out["document"] = candidates.doc_text().reindex(out["did"]).astype(str).to_numpy()
    return out.reset_index(drop=True)


def query_positives(candidates: NegativeSet, qid: str) -> pd.DataFrame:
    """The labelled positives of one query: ``did, rank, score, document``."""
    pairs = candidates.pairs
    from analysis.workspace.browse_signals import _code_of

    code = _code_of(pairs["qid"], qid)
    rows = pairs[(pairs["qid"].cat.codes.to_numpy() == code) & (pairs["label"].to_numpy() == 1)]
    rows = rows.drop_duplicates("did")  # a loaded file's positive also sits in the pool rows
    out = pd.DataFrame({"did": rows["did"].astype(str).to_numpy(), "rank": rows["rank"].to_numpy(),
                        "score": rows["score"].to_numpy()})
    out["document"] = candidates.doc_text().reindex(out["did"]).astype(str).to_numpy()
    return out
