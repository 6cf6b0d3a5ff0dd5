"""The file's candidates: a mined file that carries scores, analysed as it is (DESIGN.md section 2).

Per query, the file's own positives and negatives ordered by the file's score (highest first)
are the candidates; ``rank`` becomes the **file rank**: the 1-based position in that order,
positives included. It is not a corpus rank, and every front end says so (``RANK_KIND``).
No model is loaded and no text is encoded: this module imports numpy and pandas only.

Rows whose score is unknown (NaN) go after the scored rows of their query, in file order;
ties keep file order (a stable sort), so the same file always gives the same ranks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.formats.pool import is_pool
from analysis.model import DataError, NegativeSet

POOL_SOURCE = "pool"
FILE_RANK = "file rank"
CORPUS_RANK = "corpus rank"


def file_candidates(nset: NegativeSet) -> NegativeSet:
    """``nset``'s own pairs as candidates ranked by its scores (see the module docstring).

    The rows get ``source="pool"`` (the rows strategies choose from) and the set's meta records
    ``{"candidates": "file", "rank": "file rank", "file_sources": [...]}``. A set without any
    score raises DataError saying what to do instead.
    """
    pairs = nset.pairs
    if not nset.has_scores:
        raise DataError("this file carries no scores, so it has no file rank; score its own "
                        "pairs or build a pool first (python -m analysis pool INPUT --out "
                        "POOL.parquet)", field="score")
    # the very set a columnar entry maps (not a sample or any set derived from it, which keep
    # its meta but not this attribute): its candidates are kept beside the entry
    entry = getattr(nset, "columnar_entry", None)
    if entry:
        from analysis.formats.columnar.store import open_derived

        kept = open_derived(nset, entry, DERIVED)
        if kept is not None:
            return nset.with_pairs(kept, meta=_meta(nset), unique=True)
    qcode = pairs["qid"].cat.codes.to_numpy()
    order = _file_order(qcode, pairs["score"].to_numpy(dtype=np.float32))
    ranked = pairs.iloc[order]
    if pairs["source"].nunique() > 1:  # one document listed under several sources: rank it once
        label = ranked.groupby(["qid", "did"], observed=True, sort=False)["label"].transform("max")
        ranked = ranked.assign(label=label.astype(ranked["label"].dtype))
        keep = ~ranked.duplicated(["qid", "did"]).to_numpy()
        ranked, order = ranked[keep], order[keep]
    ranked = ranked.reset_index(drop=True)
    n = len(order)
    del order                                      # 8 bytes a pair, not needed from here
    sorted_q = ranked["qid"].cat.codes.to_numpy()  # the copy's own codes: no second copy
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_q)) + 1] if n else np.zeros(0, int)
    sizes = np.diff(np.r_[starts, n])
    wide = np.int32 if n < 2 ** 31 else np.int64                   # 4 bytes a pair, not 8
    rank = np.arange(1, n + 1, dtype=wide) - np.repeat(starts.astype(wide), sizes)
    codes = pairs["source"].cat.codes.to_numpy()   # per code, not per row
    ranked["rank"] = rank.astype(np.int32)
    ranked["source"] = pd.Categorical.from_codes(np.zeros(len(ranked), dtype=np.int8),
                                                 categories=[POOL_SOURCE])
    if entry:
        try:
            from analysis.formats.columnar.store import save_derived

            save_derived(entry, DERIVED, ranked)
        except OSError:
            pass                                    # a read-only cache: computed next time too
    return nset.with_pairs(ranked, meta=_meta(nset), unique=True)   # one row per (qid, did)


DERIVED = "file_candidates"


def _meta(nset: NegativeSet) -> dict:
    codes = nset.pairs["source"].cat.codes.to_numpy()   # per code, not per row
    present = [*np.flatnonzero(np.bincount(codes[codes >= 0])), *([-1] if (codes < 0).any() else [])]
    sources = sorted({str(nset.pairs["source"].cat.categories[c]) if c >= 0 else "nan"
                      for c in present})
    return {**nset.meta, "candidates": "file", "rank": FILE_RANK, "file_sources": sources}


def _file_order(qcode: np.ndarray, score: np.ndarray, *, block: int = 1 << 22) -> np.ndarray:
    """Rows by query, scored before unscored, score descending, ties in file order: a stable
    sort of a uint64 key (query code, unknown flag, the float32 score's bits made to sort as
    -score), ~4x faster than ``np.lexsort`` of the four keys. The key is built in blocks of
    ``block`` rows; when the rows come grouped by query (a file read in order) each block, cut
    at a query boundary, is sorted on its own: ~12 bytes a row at the peak, not ~30."""
    n = len(qcode)
    key = np.empty(n, dtype=np.uint64)
    for a in range(0, n, block):
        key[a:a + block] = _key(qcode[a:a + block], score[a:a + block])
    if n < 2 or not (qcode[1:] >= qcode[:-1]).all():
        return np.argsort(key, kind="stable")
    order = np.empty(n, dtype=np.int64)
    cuts = np.unique(np.r_[0, np.searchsorted(qcode, qcode[block::block]), n])
    for a, b in zip(cuts[:-1], cuts[1:]):
        order[a:b] = np.argsort(key[a:b], kind="stable") + a
    return order


def _key(qcode: np.ndarray, score: np.ndarray) -> np.ndarray:
    missing = np.isnan(score)
    flipped = np.negative(score, dtype=np.float32)
    flipped[missing] = 0
    flipped += np.float32(0)                                  # -0.0 ties with 0.0
    bits = flipped.view(np.uint32)                            # made to sort as floats, in place
    negative = (bits >> np.uint32(31)).astype(bool)
    np.invert(bits, out=bits, where=negative)
    np.bitwise_or(bits, np.uint32(1 << 31), out=bits, where=~negative)
    key = qcode.astype(np.uint64)
    key <<= np.uint64(33)
    key[missing] |= np.uint64(1 << 32)
    np.bitwise_or(key, bits, out=key)
    return key


def is_file_candidates(nset: NegativeSet) -> bool:
    """True when ``nset``'s ranks are file ranks (made by :func:`file_candidates`)."""
    return nset.meta.get("candidates") == "file"


def rank_kind(nset: NegativeSet) -> str | None:
    """What ``rank`` means in ``nset``: "file rank", "corpus rank", or None (no rank at all)."""
    if is_file_candidates(nset):
        return FILE_RANK
    return CORPUS_RANK if nset.has_ranks else None


def rank_label(nset: NegativeSet) -> str:
    """The name a front end gives ``rank``: "file rank", "corpus rank", or plain "rank"."""
    return rank_kind(nset) or "rank"


def say_rank(text: str, label: str) -> str:
    """``text`` with its "rank" / "raw rank" / "corpus rank" words naming ``label`` instead
    (a strategy's filter rule written for a corpus pool, shown on a file's candidates)."""
    import re

    if label == "rank":
        return text
    return re.sub(r"\b(?:raw |corpus |file )?rank(s?)\b", lambda m: label + m.group(1), text)


def as_candidates(nset: NegativeSet) -> NegativeSet | None:
    """What strategies can choose from without a model: ``nset`` itself when it is a pool or
    carries its own ranks and scores (a TREC run), its file's candidates when it carries scores
    but no ranks, else None (it needs scoring or a pool build)."""
    if is_pool(nset) or (nset.has_ranks and nset.has_scores):
        return nset
    if nset.has_scores:
        return file_candidates(nset)
    return None


def candidate_counts(nset: NegativeSet) -> dict:
    """How many candidates strategies have per query: negatives per query (min, median, max)."""
    negatives = nset.pairs.loc[nset.pairs["label"].to_numpy() == 0, "qid"]
    counts = negatives.value_counts(sort=False).reindex(nset.queries["qid"], fill_value=0)
    values = counts.to_numpy()
    if not len(values):
        return {"queries": 0, "min": 0, "median": 0.0, "max": 0}
    return {"queries": int(len(values)), "min": int(values.min()),
            "median": float(np.median(values)), "max": int(values.max())}
