"""Paired bootstrap confidence intervals for per-query metric differences.

Two retrievers evaluated on the same held-out queries give paired per-query values ``a`` and
``b``; the question is whether ``mean(a - b)`` differs from 0 by more than the luck of which
queries were held out (and, with several training seeds, of which seeds were drawn).

Rules:

- ``a`` and ``b`` are arrays of shape ``(queries,)`` or ``(seeds, queries)``; a 1-D array is
  broadcast over seeds (the untrained base model has one value per query). Differences are
  paired: same query, and same seed when both sides have seeds.
- Each resample draws queries with replacement and, when there are several seeds, seeds with
  replacement, independently (a two-level, crossed bootstrap); the statistic is the mean of
  the differences over the resampled grid. With one seed this is the ordinary paired bootstrap
  over queries (Efron and Tibshirani 1993, ch. 16; Sakai 2006 for IR evaluation).
- The interval is the percentile interval at ``confidence``; the difference is *within noise*
  when the interval contains 0.
- Randomness comes only from the given ``numpy.random.Generator``: the same generator state
  gives the same interval. Resamples are drawn in chunks so memory stays near
  ``chunk x queries`` numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from analysis.model import DataError

DEFAULT_RESAMPLES = 2000
DEFAULT_CONFIDENCE = 0.95
_CHUNK = 256


@dataclass(frozen=True)
class Interval:
    """Mean paired difference ``a - b`` with its bootstrap interval."""

    mean: float
    low: float
    high: float
    confidence: float
    queries: int
    seeds: int
    resamples: int

    @property
    def within_noise(self) -> bool:
        """True when the interval contains 0: no difference the data can vouch for."""
        return self.low <= 0.0 <= self.high

    def verdict(self) -> str:
        """``"better"``, ``"worse"`` or ``"within noise"`` (for ``a`` against ``b``)."""
        if self.within_noise:
            return "within noise"
        return "better" if self.mean > 0 else "worse"

    def as_dict(self) -> dict:
        return {**asdict(self), "within_noise": self.within_noise, "verdict": self.verdict()}


def paired_bootstrap(a, b, *, rng: np.random.Generator, resamples: int = DEFAULT_RESAMPLES,
                     confidence: float = DEFAULT_CONFIDENCE) -> Interval:
    """The mean of ``a - b`` and its percentile bootstrap interval (see the module rules)."""
    if not isinstance(rng, np.random.Generator):
        raise DataError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}", field="rng")
    if isinstance(resamples, bool) or not isinstance(resamples, (int, np.integer)) or resamples < 1:
        raise DataError(f"resamples must be a positive integer, got {resamples!r}", field="resamples")
    if not 0.0 < confidence < 1.0:
        raise DataError(f"confidence must be between 0 and 1, got {confidence!r}", field="confidence")
    diff = _differences(a, b)
    num_seeds, num_queries = diff.shape
    stats = np.empty(resamples)
    for start in range(0, resamples, _CHUNK):
        size = min(_CHUNK, resamples - start)
        query_counts = rng.multinomial(num_queries, np.full(num_queries, 1.0 / num_queries), size=size)
        if num_seeds > 1:
            seed_counts = rng.multinomial(num_seeds, np.full(num_seeds, 1.0 / num_seeds), size=size)
            per_query = seed_counts @ diff                       # (size, queries): seed-weighted sums
        else:
            per_query = np.broadcast_to(diff[0], (size, num_queries))
        stats[start:start + size] = (per_query * query_counts).sum(axis=1) / (num_seeds * num_queries)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(stats, [tail, 1.0 - tail])
    return Interval(mean=float(diff.mean()), low=float(low), high=float(high),
                    confidence=float(confidence), queries=num_queries, seeds=num_seeds,
                    resamples=int(resamples))


def _differences(a, b) -> np.ndarray:
    """``a - b`` as a (seeds, queries) float array, validated."""
    arrays = []
    for name, values in (("a", a), ("b", b)):
        array = np.asarray(values, dtype=np.float64)
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim != 2 or array.shape[1] == 0 or array.shape[0] == 0:
            raise DataError(f"{name} must hold per-query values, shape (queries,) or "
                            f"(seeds, queries), got shape {np.shape(values)}", field=name)
        if not np.isfinite(array).all():
            raise DataError(f"{name} holds a NaN or infinite value", field=name)
        arrays.append(array)
    a2, b2 = arrays
    if a2.shape[1] != b2.shape[1]:
        raise DataError(f"a and b must cover the same queries, got {a2.shape[1]} and {b2.shape[1]}",
                        field="b")
    if a2.shape[0] != b2.shape[0] and 1 not in (a2.shape[0], b2.shape[0]):
        raise DataError(f"a has {a2.shape[0]} seeds and b has {b2.shape[0]}; pair them seed by "
                        "seed or give one side a single row", field="b")
    return a2 - b2
