"""The dataset-level answer: what share (and how many) of the negatives are false negatives,
with a 95% interval, from the verdicts of the review queue.

The queue's order is not a random sample, so the verdicts are not averaged. The estimator is
a sequential difference (model-assisted Horvitz-Thompson) estimator over the queue's random
design (``analysis.false_negatives.queue`` logs, for each step t, the chance ``q_t`` that the
item shown was the one picked, with every unreviewed negative drawable):

    Z_t = S_t + P_t + [i_t in A] * (y_t - p_t) / q_t

``S_t``: false negatives already known in the population A (all negatives, or a strategy's
selection) before step t; ``P_t``: the sum of the model's probabilities over A's negatives
still unreviewed at step t; ``y_t`` the verdict (1 false negative, 0 true negative) and ``p_t``
the model's probability of the item shown. Given the past, each ``Z_t`` is an unbiased
estimate of A's number of false negatives whatever the model (the model only lowers the
variance), so their mean is too (a martingale, as in active testing / LURE, Kossen et al.
2021; Farquhar et al. 2021). The 95% interval is mean +- 1.96 * sd(Z) / sqrt(n), clipped to
[known false negatives, known + unreviewed]. Steps without an answer (unsure, skip) and steps
taken under a filter are not draws; ``unanswered`` counts the first kind, whose items are
treated as not false negatives (a bias of at most unanswered / N).
"""

from __future__ import annotations

import numpy as np

Z95 = 1.959963984540054


def difference_estimate(known_before: np.ndarray, expected_rest: np.ndarray, y: np.ndarray,
                        p: np.ndarray, q: np.ndarray, inside: np.ndarray, *, population: int,
                        known_now: int, unreviewed_now: int, unanswered: int = 0) -> dict:
    """The estimate from per-draw arrays (see the module rules); ``population`` is the number
    of negatives in A, ``known_now`` A's false negatives known now, ``unreviewed_now`` A's
    negatives without a verdict now."""
    y, p, q = (np.asarray(a, dtype=np.float64) for a in (y, p, q))
    z = (np.asarray(known_before, dtype=np.float64) + np.asarray(expected_rest, dtype=np.float64)
         + np.asarray(inside, dtype=bool) * (y - p) / q)
    n = len(z)
    out = {"estimator": "sequential difference estimator over the queue's random design",
           "draws": n, "population": int(population), "known_false_negatives": int(known_now),
           "unanswered": int(unanswered)}
    if n == 0 or population == 0:
        return {**out, "count": float("nan"), "share": float("nan"), "low": float("nan"),
                "high": float("nan"), "count_low": float("nan"), "count_high": float("nan")}
    count = float(z.mean())
    half = Z95 * float(z.std(ddof=1)) / np.sqrt(n) if n > 1 else float("inf")
    lo, hi = float(known_now), float(known_now + unreviewed_now)
    count_c = min(max(count, lo), hi)
    low, high = min(max(count - half, lo), hi), min(max(count + half, lo), hi)
    return {**out, "count": count_c, "share": count_c / population, "count_low": low,
            "count_high": high, "low": low / population, "high": high / population}


def queue_estimate(queue, mask: np.ndarray | None = None) -> dict:
    """The estimate for the rows of ``mask`` (default all) from a ``ReviewQueue``'s steps."""
    n = len(queue.reviewed)
    inside = np.ones(n, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    step_rows = np.array([s.row for s in queue.steps], dtype=np.int64)
    before = queue.reviewed.copy()
    before[step_rows] = False                       # known before the queue started
    fn_known = np.where(before & inside, np.nan_to_num(queue.label), 0.0).sum()
    totals = [float(s[inside & ~before].sum()) for s in queue.snapshots]
    removed = {k: 0.0 for k in range(len(queue.snapshots))}
    known_before, rest, y, p, q, ins = [], [], [], [], [], []
    unanswered = 0
    for step in queue.steps:
        y_step = queue.label[step.row]
        if np.isfinite(step.q) and np.isfinite(y_step):
            known_before.append(fn_known)
            rest.append(totals[step.snapshot] - removed[step.snapshot])
            y.append(y_step), p.append(step.p), q.append(step.q), ins.append(inside[step.row])
        elif np.isfinite(step.q):
            unanswered += 1
        if inside[step.row]:
            fn_known += 0.0 if np.isnan(y_step) else y_step
            for k, snap in enumerate(queue.snapshots):
                removed[k] += snap[step.row]
    unreviewed = int((inside & ~queue.reviewed).sum())
    return difference_estimate(np.array(known_before), np.array(rest), np.array(y), np.array(p),
                               np.array(q), np.array(ins, dtype=bool), population=int(inside.sum()),
                               known_now=int(fn_known), unreviewed_now=unreviewed,
                               unanswered=unanswered)
