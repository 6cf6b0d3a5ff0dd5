"""The ``pool:PATH`` yardstick: a NegLens pool Parquet's scores and corpus ranks for the union.

Union pairs are looked up in the pool by normalised (query text, document text)
(``analysis.measure.file_match.normalise_texts``), so a pool built from the corpus the files
were mined from matches whatever ids the files use. Only the pool rows of the union's queries
are read into the lookup. A union pair the pool does not hold has no score and rank
``top_n + 1``: it lies below the pool's depth (a lower bound), which is what padding with random
documents looks like.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.model import DataError


def pool_yardstick(union, spec) -> tuple[np.ndarray, np.ndarray, str, list[str], int]:
    """(score, rank, label, notes, corpus size) of every union pair in the pool ``spec.value``."""
    from analysis.formats import load
    from analysis.formats.pool import is_pool
    from analysis.measure.file_match import normalise_texts
    pool = load(spec.value)
    if not is_pool(pool) or not pool.has_ranks:
        raise DataError("not a NegLens pool with corpus ranks (python -m analysis pool writes one)",
                        file=spec.value, field="yardstick")
    qnorm = normalise_texts(pool.queries["text"])
    wanted = pd.Index(normalise_texts(union.nset.queries["text"]))
    keep_q = wanted.get_indexer(qnorm)                     # pool query -> union query code, -1
    pairs = pool.pairs
    pq = keep_q[pairs["qid"].cat.codes.to_numpy()]
    inside = pq >= 0
    pd_codes = pairs["did"].cat.codes.to_numpy()[inside]
    used = np.unique(pd_codes)
    dnorm = pd.Series(normalise_texts(pool.docs["text"].iloc[used]), index=used)
    union_docs = pd.Index(normalise_texts(union.nset.docs["text"]))
    d_of = pd.Series(union_docs.get_indexer(dnorm.to_numpy()), index=used)
    ud = d_of.reindex(pd_codes).to_numpy()
    found = ud >= 0
    ndocs = len(union.nset.docs) + 1
    key = pq[inside][found].astype(np.int64) * ndocs + ud[found]
    lookup = pd.Series(np.arange(found.sum()), index=key)
    lookup = lookup[~lookup.index.duplicated()]
    u = union.nset.pairs
    ukey = u["qid"].cat.codes.to_numpy().astype(np.int64) * ndocs + u["did"].cat.codes.to_numpy()
    at = lookup.reindex(ukey).to_numpy()
    hit = ~np.isnan(at)
    score = np.full(len(u), np.nan)
    top_n = int(pool.meta.get("pool", {}).get("top_n") or pairs["rank"].max())
    rank = np.full(len(u), float(top_n + 1))
    picked = at[hit].astype(np.int64)
    score[hit] = pairs["score"].to_numpy(dtype=np.float64)[inside][found][picked]
    rank[hit] = pairs["rank"].to_numpy(dtype=np.float64)[inside][found][picked]
    missing = int((~hit).sum())
    notes = [f"{missing:,} of {len(u):,} union pairs are not in the pool (rank > {top_n}, no score)"] \
        if missing else []
    name = spec.value.rsplit("/", 1)[-1]
    corpus = int(pool.meta.get("pool", {}).get("num_docs") or len(pool.docs))
    return score, rank, f"pool {name} (top {top_n} per query)", notes, corpus
