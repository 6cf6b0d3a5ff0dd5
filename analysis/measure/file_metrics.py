"""What differs between selections over one set of union candidates, on one yardstick.

A *selection* here is an array of row indices into the union's pairs
(``analysis.measure.file_match.FileUnion``): a file's negatives, or a strategy's choice over the
union candidates. ``columns`` (:func:`candidate_columns`) holds per union pair the yardstick's
``score`` and ``rank``, ``s_pos`` (the query's lowest positive score on the yardstick, over every
file's positives) and ``gap = s_pos - score``.

- **Padding** (:func:`padding_mask`): a negative far below the selection's own candidate range,
  the signature of random filler (FlagEmbedding's ``hn_mine`` pads a short query with random
  corpus passages). The range is the selection's lower-quartile yardstick rank ``m`` (robust
  while fewer than three quarters of its negatives are filler: hn_mine pads short queries to
  ``negative_number``, so filler can be near half of a query's negatives); a negative is padding
  when its rank exceeds ``PAD_FACTOR * m`` and ``m + PAD_MIN_RANKS``, and, on a rank over a corpus (the union's
  documents, a pool), lies below the top ``PAD_DEPTH`` of it.
- **Sibling positives** (:func:`sibling_kind`): a negative that another file labels positive
  for the same query (``labelled``), whose text equals one of the query's positives after
  normalisation (``exact``), or is a near-duplicate of one (``near``: word-bigram Jaccard
  >= ``NEAR_JACCARD``, or cosine >= ``NEAR_COSINE`` on the yardstick's embeddings).
- **Overlap** (:func:`overlap_table`): per pair of selections, over the queries both hold,
  ``jaccard`` = shared / all (query, negative) pairs, the mean per-query Jaccard, and per
  selection the negatives no other file has (:func:`only_here`).
- **Hardness and diversity** (:func:`summary_row`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.measure.compare import _mean_entropy
from analysis.measure.file_match import normalise_text

PAD_FACTOR = 4.0
PAD_QUANTILE = 25
PAD_MIN_RANKS = 10
PAD_DEPTH = 0.05
LEXICAL_MINED = 0.1
OWN_MADS = 4.0
WIDE = 3.0
NEAR_JACCARD = 0.6
NEAR_COSINE = 0.95
SUSPECT_RATIO = 0.95
_WORD = re.compile(r"\w+")


def candidate_columns(union, measured) -> pd.DataFrame:
    pairs = union.nset.pairs
    qcode = pairs["qid"].cat.codes.to_numpy().astype(np.int64)
    label = pairs["label"].to_numpy()
    score = np.asarray(measured.score, dtype=np.float64)
    pos = np.where(label == 1, score, np.inf)
    s_pos = pd.Series(pos).groupby(qcode).transform("min").to_numpy().copy()
    s_pos[np.isinf(s_pos)] = np.nan
    return pd.DataFrame({"q": qcode, "d": pairs["did"].cat.codes.to_numpy().astype(np.int64), "label": label,
                         "score": score, "rank": np.asarray(measured.rank, dtype=np.float64),
                         "s_pos": s_pos, "gap": s_pos - score})


def padding_mask(rank: np.ndarray, *, reference: int | None = None,
                 lexical: np.ndarray | None = None, shared: np.ndarray | None = None,
                 own: np.ndarray | None = None) -> np.ndarray:
    """Which of a selection's negatives are padding, from their yardstick ranks (module rules);
    ``reference``: the size of the ranked corpus (None: ranks among the query's candidates);
    ``lexical``: each negative's BM25 over its query's positive's (NaN: unknown)."""
    rank = np.asarray(rank, dtype=np.float64)
    known = rank[~np.isnan(rank)]
    if not len(known):
        return np.zeros(len(rank), dtype=bool)
    m = float(np.percentile(known, PAD_QUANTILE))
    out = (rank > PAD_FACTOR * m) & (rank > m + PAD_MIN_RANKS)
    if reference:
        out &= rank > PAD_DEPTH * reference
    wide = float(np.median(known)) >= WIDE * m
    if lexical is not None and wide and (~out).any():
        lexical = np.asarray(lexical, dtype=np.float64)
        shallow = lexical[~out][~np.isnan(lexical[~out])]
        floor = float(np.percentile(shallow, 10)) if len(shallow) else 0.0
        if floor >= LEXICAL_MINED:
            out &= ~(lexical >= floor / 2)
    if shared is not None:
        out &= ~np.asarray(shared, dtype=bool)
    if own is not None:
        own = np.asarray(own, dtype=np.float64)
        known = own[~np.isnan(own)]
        if len(known) > 2:
            mid = float(np.median(known))
            mad = float(np.median(np.abs(known - mid)))
            if mad > 0:
                out &= ~(own >= mid - OWN_MADS * mad)   # NaN compares False: stays a candidate
    return out


def _bigrams(text: str) -> set:
    words = _WORD.findall(text.lower())
    return set(zip(words, words[1:])) if len(words) > 2 else {tuple(words)}


def sibling_kind(union, rows: np.ndarray, *, doc_embeddings: np.ndarray | None = None) -> np.ndarray:
    """Per union row in ``rows`` (negatives): '' or ``labelled`` / ``exact`` / ``near``."""
    pairs = union.nset.pairs
    qcode = pairs["qid"].cat.codes.to_numpy()
    dcode = pairs["did"].cat.codes.to_numpy()
    label = pairs["label"].to_numpy()
    out = np.full(len(rows), "", dtype=object)
    out[label[rows] == 1] = "labelled"
    pos_rows = np.flatnonzero(label == 1)
    positives = pd.Series(dcode[pos_rows]).groupby(qcode[pos_rows]).agg(list).to_dict()
    texts = union.nset.docs["text"].astype(str).to_numpy()
    norm_cache: dict[int, str] = {}
    grams: dict[int, set] = {}

    def norm(d: int) -> str:
        if d not in norm_cache:
            norm_cache[d] = normalise_text(texts[d])
        return norm_cache[d]

    def bigram(d: int) -> set:
        if d not in grams:
            grams[d] = _bigrams(texts[d])
        return grams[d]

    for i, row in enumerate(rows):
        if out[i]:
            continue
        q, d = qcode[row], dcode[row]
        for p in positives.get(q, ()):
            if p == d:
                continue
            if norm(p) == norm(d):
                out[i] = "exact"
                break
            a, b = bigram(p), bigram(d)
            if a and b and len(a & b) / len(a | b) >= NEAR_JACCARD:
                out[i] = "near"
                break
            if doc_embeddings is not None and float(doc_embeddings[p] @ doc_embeddings[d]) >= NEAR_COSINE:
                out[i] = "near"
                break
    return out


def _pair_sets(columns: pd.DataFrame, rows: np.ndarray, queries: np.ndarray) -> pd.Series:
    sub = columns.iloc[rows]
    sub = sub[np.isin(sub["q"].to_numpy(), queries)]
    return sub["q"].to_numpy().astype(np.int64) * (int(columns["d"].max()) + 1) + sub["d"].to_numpy()


def overlap_table(columns: pd.DataFrame, selections: dict, held: dict) -> pd.DataFrame:
    """``a, b, common_queries, jaccard, mean_query_jaccard`` for every two selections; ``held``:
    name -> the query codes the selection covers (a file: the queries it holds)."""
    names = list(selections)
    records = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            common = np.intersect1d(held[a], held[b])
            ka, kb = _pair_sets(columns, selections[a], common), _pair_sets(columns, selections[b], common)
            shared = np.intersect1d(ka, kb)
            union = np.union1d(ka, kb)
            width = int(columns["d"].max()) + 1
            qa, qb = pd.Series(ka // width).value_counts(), pd.Series(kb // width).value_counts()
            qs = pd.Series(shared // width).value_counts()
            per_q = (qs.reindex(common, fill_value=0) /
                     (qa.reindex(common, fill_value=0) + qb.reindex(common, fill_value=0)
                      - qs.reindex(common, fill_value=0)).replace(0, np.nan))
            records.append({"a": a, "b": b, "common_queries": len(common),
                            "jaccard": len(shared) / len(union) if len(union) else float("nan"),
                            "mean_query_jaccard": float(per_q.mean()) if per_q.notna().any()
                            else float("nan")})
    return pd.DataFrame(records, columns=["a", "b", "common_queries", "jaccard", "mean_query_jaccard"])


def only_here(selections: dict, files: list[str]) -> dict[str, int]:
    """Per selection, its negatives (union rows) that no file other than itself holds."""
    out = {}
    for name, rows in selections.items():
        others = [selections[f] for f in files if f != name]
        seen = np.unique(np.concatenate(others)) if others else np.zeros(0, dtype=np.int64)
        out[name] = int((~np.isin(rows, seen)).sum())
    return out


def summary_row(columns: pd.DataFrame, rows: np.ndarray, *, clusters: np.ndarray | None = None) -> dict:
    """Hardness (rank and gap), margin suspects and diversity of one selection."""
    sub = columns.iloc[rows]
    rank, gap = sub["rank"].to_numpy(), sub["gap"].to_numpy()
    docs = np.bincount(sub["d"].to_numpy()) if len(sub) else np.zeros(0, dtype=np.int64)
    used = docs[docs > 0]
    judged = sub["s_pos"].notna().to_numpy() & sub["score"].notna().to_numpy()
    suspect = (sub["score"].to_numpy() >= SUSPECT_RATIO * sub["s_pos"].to_numpy()) & judged

    def stat(f, v):
        v = v[~np.isnan(v)]
        return float(f(v)) if len(v) else float("nan")

    row = {"queries": int(sub["q"].nunique()), "negatives": int(len(sub)),
           "mean_rank": stat(np.mean, rank), "median_rank": stat(np.median, rank),
           "mean_gap": stat(np.mean, gap), "median_gap": stat(np.median, gap),
           "margin_suspect_share": int(suspect.sum()) / int(judged.sum()) if judged.any() else float("nan"),
           "distinct_share": len(used) / len(sub) if len(sub) else float("nan"),
           "max_reuse": int(used.max()) if len(used) else 0,
           "mean_reuse": float(used.mean()) if len(used) else float("nan")}
    if clusters is not None:
        row["cluster_entropy"] = _mean_entropy(sub["q"].to_numpy(), clusters[sub["d"].to_numpy()])
    return row
