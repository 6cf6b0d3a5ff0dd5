"""Vectorised operations on segments: runs of equal query codes in rows sorted by query.

Every strategy works on pool rows sorted by ``(query code, rank)``, so each query is one
contiguous segment. The helpers here replace per-query Python loops with a handful of whole-array
operations: segment starts come from ``np.flatnonzero`` on code changes, positions inside a
segment from ``arange`` minus the repeated segment start, and per-segment top-k from one stable
sort by ``(code, -key)`` (``descending_rank``).

Weighted sampling without replacement uses the Gumbel-top-k trick (Vieira 2014; Kool, van Hoof
and Welling, ICML 2019): adding independent standard Gumbel noise to ``log w`` and keeping the k
largest keys draws k items exactly as successive sampling without replacement with probabilities
proportional to ``w`` (the Plackett-Luce model), which is what "draw with ``random.choices`` until
k distinct" approximates in the reference implementations. Per-segment top-k sorts each segment
as one row of a dense (segments x longest segment) matrix (or partially sorts it, for random keys
that cannot tie), falling back to ``np.lexsort`` on ``(code, -key)`` when segment lengths are so
uneven that the matrix would be much larger than the data.

``codes`` arguments are non-decreasing integer arrays (sorted by segment) unless a function says
otherwise; ``k`` is a scalar or one value per row (the value of the row's segment).
"""

from __future__ import annotations

import numpy as np


def segment_starts(codes: np.ndarray) -> np.ndarray:
    """Index of the first row of each run of equal values in ``codes``."""
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(([0], np.flatnonzero(codes[1:] != codes[:-1]) + 1))


def position_in_segment(codes: np.ndarray) -> np.ndarray:
    """0-based position of every row inside its run of equal codes."""
    n = len(codes)
    starts = segment_starts(codes)
    lengths = np.diff(np.append(starts, n))
    return np.arange(n, dtype=np.int64) - np.repeat(starts, lengths)


def count_before(codes: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """For every row, how many earlier rows of its segment have ``mask`` set.

    Where ``mask`` is set this is the row's 0-based position among the masked rows of its
    segment (e.g. the position of a negative among the non-positives of its query).
    """
    n = len(codes)
    flags = mask.astype(np.int64)
    before = np.cumsum(flags) - flags
    starts = segment_starts(codes)
    lengths = np.diff(np.append(starts, n))
    return before - np.repeat(before[starts], lengths)


def _descending_within(codes: np.ndarray, key: np.ndarray) -> bool:
    """True when ``key`` never increases inside a segment (rows already in rank order)."""
    if len(codes) < 2:
        return True
    with np.errstate(invalid="ignore"):  # inf - inf: treated as out of order
        step = np.diff(key)
    return bool(np.all((step <= 0) | (codes[1:] != codes[:-1])))


class DenseLayout:
    """Where each row sits in a dense (segments x longest segment) matrix, segments as rows.

    ``flat``: each row's flat index in the matrix; ``padding``: flat indices of the cells no
    row fills (each segment's tail); ``shape``: (segments, longest segment).
    """

    def __init__(self, starts: np.ndarray, lengths: np.ndarray, width: int):
        count = len(starts)
        self.shape = (count, width)
        offset = np.arange(count, dtype=np.int64) * width
        self.flat = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(offset - starts, lengths)
        gaps = width - lengths
        self.padding = (np.arange(int(gaps.sum()), dtype=np.int64)
                        + np.repeat(offset + lengths - np.cumsum(gaps) + gaps, gaps))

    def matrix(self, values: np.ndarray, fill: float) -> np.ndarray:
        """``values`` (one per row) laid out as the dense matrix, ``fill`` in the padding."""
        dense = np.empty(self.shape[0] * self.shape[1], dtype=values.dtype)
        dense[self.padding] = fill
        dense[self.flat] = values
        return dense.reshape(self.shape)


def dense_layout(codes: np.ndarray, starts: np.ndarray | None = None) -> DenseLayout | None:
    """The ``DenseLayout`` of ``codes`` (whose ``segment_starts`` may be given), or None when
    the matrix would exceed 4x the rows.

    Functions taking a ``layout`` accept this value for the same ``codes`` (to compute it once).
    """
    n = len(codes)
    starts = segment_starts(codes) if starts is None else starts
    lengths = np.diff(np.append(starts, n))
    width = int(lengths.max())
    if len(starts) * width > 4 * n + 4096:
        return None
    return DenseLayout(starts, lengths, width)


def descending_rank(codes: np.ndarray, key: np.ndarray, *, layout=None,
                    distinct: bool = False) -> np.ndarray:
    """0-based rank of every row inside its segment by descending ``key``.

    Ties keep row order (earlier rows rank first); NaN ranks like ``-inf``, after every number.
    ``distinct=True`` promises no two keys of a segment are equal (continuous random keys), which
    allows an unstable, faster sort.
    Rows already in order cost one pass. Otherwise the segments are laid out as the rows of a
    dense (segments x longest segment) matrix and sorted along its second axis, which is several
    times faster than ``np.lexsort`` on ``(codes, -key)``; when that matrix would be much larger
    than the data (a few very long segments) the lexsort is used instead.
    """
    n = len(codes)
    key = np.where(np.isnan(key), -np.inf, key)
    if _descending_within(codes, key):
        return position_in_segment(codes)
    layout = layout or dense_layout(codes)
    if layout is None:
        order = np.lexsort((-key, codes))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = position_in_segment(codes[order])
        return rank
    order = np.argsort(layout.matrix(-key, np.inf), axis=1, kind=None if distinct else "stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(layout.shape[1]), layout.shape), axis=1)
    return ranks.ravel()[layout.flat]


def top_k_mask(codes: np.ndarray, key: np.ndarray, k: int | np.ndarray, *,
               layout: DenseLayout | None = None) -> np.ndarray:
    """Rows holding the ``k`` largest ``key`` values of their segment (ties: earlier rows first).

    Rows whose key is ``-inf`` or NaN are never chosen, so a segment may yield fewer than ``k``.
    """
    return (descending_rank(codes, key, layout=layout) < k) & (key > -np.inf)


def _partition_top_k_mask(codes: np.ndarray, key: np.ndarray, k: int, layout=None) -> np.ndarray:
    """``top_k_mask`` with a scalar ``k`` by partial sorting: each segment's k-th largest key
    (``np.partition`` along the dense layout) is its threshold; keys above it are in, and keys
    equal to it fill the remaining places in row order, so ties follow the same rule."""
    layout = layout or (dense_layout(codes) if len(codes) else None)
    if layout is None:
        return top_k_mask(codes, key, k)
    if np.isnan(key).any():
        key = np.where(np.isnan(key), -np.inf, key)
    width = layout.shape[1]
    if k >= width:
        return key > -np.inf
    dense = layout.matrix(key, -np.inf)
    threshold = np.partition(dense, width - k, axis=1)[:, width - k:width - k + 1]
    # a threshold of -inf (fewer than k usable keys) must still exclude the -inf keys
    np.maximum(threshold, np.finfo(dense.dtype).min, out=threshold)
    picked = dense >= threshold
    crowded = np.flatnonzero(np.count_nonzero(picked, axis=1) > k)
    if len(crowded):  # ties at the threshold: keep the earliest of them
        rows, limit = dense[crowded], threshold[crowded]
        above = rows > limit
        tied = np.cumsum(rows == limit, axis=1)
        picked[crowded] = above | ((rows == limit) & (tied <= k - above.sum(axis=1, keepdims=True)))
    return picked.ravel()[layout.flat]


def gumbel_top_k(codes: np.ndarray, log_weights: np.ndarray, k: int | np.ndarray,
                 rng: np.random.Generator, *, layout=None) -> np.ndarray:
    """Sample ``k`` rows per segment without replacement, with probability proportional to weight.

    The key of a row is ``log w + G`` with ``G = -log(-log U)`` standard Gumbel, ``U`` uniform.
    Keys are float32 (``U`` drawn as float32, clamped away from 0): three times faster than
    float64 ``rng.gumbel`` and, with keys spanning tens of units, off by at most ~1e-6, so every
    selection probability is exact to about 1e-6; ties that rounding creates are broken by row
    order like any others. ``log_weights`` may hold ``-inf`` (weight 0: never drawn). Draws exactly
    ``len(codes)`` variates from ``rng``, so the result depends only on the seed and the rows.
    """
    noise = rng.random(len(codes), dtype=np.float32)
    np.maximum(noise, np.finfo(np.float32).tiny, out=noise)
    np.log(noise, out=noise)
    np.negative(noise, out=noise)
    np.log(noise, out=noise)  # now -G
    keys = np.subtract(log_weights.astype(np.float32, copy=False), noise, out=noise)
    if isinstance(k, np.ndarray) and len(k) and k.min() == k.max():
        k = int(k[0])  # one limit for every segment: the fast path applies
    if isinstance(k, np.ndarray):
        return top_k_mask(codes, keys, k, layout=layout)
    return _partition_top_k_mask(codes, keys, int(k), layout)
