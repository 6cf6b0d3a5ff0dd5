"""The train / held-out split of a probe's queries: seeded, stratified by topic cluster.

Rules:

- Eligible queries have a training positive in the pool and at least one relevance judgement;
  the others are neither trained on nor evaluated, and are counted (``excluded``).
- ``held_out = round(eval_fraction * n)``, at least 1, and at least 1 query is left to train.
- Stratified: each stratum (a topic cluster of the query embeddings, k-means from
  ``analysis.measure.clusters``) holds out its share ``size * held_out / n``, rounded by the largest
  remainder method so the quotas add up exactly (ties: the larger stratum, then the lower
  label). Without strata, the whole set is one stratum.
- Within a stratum the held-out queries are the first of a permutation drawn from the given
  ``numpy.random.Generator``: the same seed, queries and strata give the same split.
- Both lists keep the input order of the queries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.model import DataError


@dataclass(frozen=True)
class Split:
    """Query ids to train on and to evaluate on, and how they were drawn."""

    train: tuple[str, ...]
    held_out: tuple[str, ...]
    strata: int
    excluded: int = 0

    def as_dict(self) -> dict:
        return {"train": len(self.train), "held_out": len(self.held_out), "strata": self.strata,
                "excluded": self.excluded}


def split_queries(qids, *, eval_fraction: float, rng: np.random.Generator,
                  strata=None, excluded: int = 0) -> Split:
    """Split ``qids`` (distinct strings) into train and held-out; ``strata`` is an optional
    integer label per query (see the module rules)."""
    qids = [str(q) for q in qids]
    n = len(qids)
    if n < 2:
        raise DataError(f"a probe needs at least 2 queries with a positive and a judgement, got {n}",
                        field="queries")
    if len(set(qids)) != n:
        raise DataError("query ids must be distinct", field="qid")
    if not 0.0 < eval_fraction < 1.0:
        raise DataError(f"eval_fraction must be between 0 and 1, got {eval_fraction!r}",
                        field="eval_fraction")
    if not isinstance(rng, np.random.Generator):
        raise DataError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}", field="rng")
    labels = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"strata must be one integer label per query ({n}), got shape "
                        f"{labels.shape} of {labels.dtype}", field="strata")
    target = min(max(1, round(eval_fraction * n)), n - 1)
    groups, sizes = np.unique(labels, return_counts=True)
    quotas = _largest_remainder(sizes, target)
    held = np.zeros(n, dtype=bool)
    for group, quota in zip(groups, quotas):
        members = np.flatnonzero(labels == group)
        held[members[rng.permutation(len(members))[:quota]]] = True
    return Split(train=tuple(q for q, h in zip(qids, held) if not h),
                 held_out=tuple(q for q, h in zip(qids, held) if h),
                 strata=len(groups), excluded=int(excluded))


def _largest_remainder(sizes: np.ndarray, total: int) -> np.ndarray:
    """Integer quotas proportional to ``sizes`` that add up to ``total``."""
    exact = sizes * total / sizes.sum()
    quotas = np.floor(exact).astype(np.int64)
    short = total - int(quotas.sum())
    order = np.lexsort((np.arange(len(sizes)), -sizes, -(exact - quotas)))
    quotas[order[:short]] += 1
    return quotas
