"""A seeded random sample of queries: a first look at a large file in minutes.

``sample_queries(nset, n, seed=...)`` keeps ``n`` queries drawn without replacement by
``numpy.random.default_rng(seed)`` and all their pairs; the same file, ``n`` and seed give the
same sample. The set's meta records ``{"query_sample": {"n", "of", "seed"}}`` so pages and
exports can state it. ``n`` at or above the number of queries keeps the whole set (no meta).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.model import DataError, NegativeSet

DEFAULT_SAMPLE = 2000


def sample_queries(nset: NegativeSet, n: int, *, seed: int = 0) -> NegativeSet:
    """The queries of a seeded random sample of ``n`` queries, with all their pairs."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise DataError(f"the sample size must be a positive integer, got {n!r}", field="sample")
    total = len(nset.queries)
    if n >= total:
        return nset
    chosen = np.sort(np.random.default_rng(seed).choice(total, size=n, replace=False))
    # by codes (a set's categories are its queries / docs tables in order): no string is hashed,
    # and the sample's pairs come coded over the sample's own tables (its checks stay small)
    position = np.full(total, -1, dtype=np.int64)
    position[chosen] = np.arange(n)
    qcode = position[nset.pairs["qid"].cat.codes.to_numpy()]
    keep = qcode >= 0
    pairs = nset.pairs[keep].reset_index(drop=True)
    dcode = pairs["did"].cat.codes.to_numpy()
    used = np.zeros(len(nset.docs), dtype=bool)
    used[dcode] = True
    renumber = np.cumsum(used) - 1
    pairs["qid"] = pd.Categorical.from_codes(qcode[keep], categories=pd.Index(
        np.asarray(nset.queries["qid"].iloc[chosen], dtype=object)))
    pairs["did"] = pd.Categorical.from_codes(renumber[dcode], categories=pd.Index(
        np.asarray(nset.docs["did"][used], dtype=object)))
    meta = {**nset.meta, "query_sample": {"n": int(n), "of": int(total), "seed": int(seed)}}
    return NegativeSet(nset.queries.iloc[chosen], nset.docs[used], pairs, format=nset.format,
                       skipped=list(nset.skipped), meta=meta)


def sample_note(nset: NegativeSet) -> str | None:
    """"a random sample of 2,000 of 100,000 queries (seed 0)", or None for the whole set."""
    found = nset.meta.get("query_sample")
    if not found:
        return None
    return f"a random sample of {found['n']:,} of {found['of']:,} queries (seed {found['seed']})"
