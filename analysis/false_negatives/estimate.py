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
import pandas as pd

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


# -- the estimate from the review store alone ---------------------------------------------------
STORED_ESTIMATOR = "sequential Horvitz-Thompson estimator over the review queue's random draws"
MIN_DRAWS = 10
_Y = {"false_negative": 1.0, "true_negative": 0.0}


def pair(table: pd.DataFrame) -> np.ndarray:
    """``qid + "\0" + did`` per row."""
    # a Series sum: numpy's object array + "\0" drops the NUL (numpy strips trailing NULs)
    return (table["qid"].astype(str) + "\0" + table["did"].astype(str)).to_numpy(dtype=object)


def stored_estimate(log: pd.DataFrame, current: pd.DataFrame, keys: np.ndarray,
                    inside: np.ndarray | None = None) -> dict:
    """The estimate for the negatives ``keys`` (``qid + "\\0" + did``, one per negative) where
    ``inside`` (default all), from a review store's ``design_log()`` and ``all()``.

    Rules (the module's difference estimator with no model term, so that nothing but the store
    is needed): walking the log in order, each verdict the queue's random share drew (``chance``
    set) is a draw ``t`` and gives ``Z_t = S_t + [i_t in A] * y_t / chance_t``: ``S_t`` the false
    negatives of A among the pairs with a verdict before the draw, ``y_t`` the pair's current
    verdict. Given the past, the random share drew ``i_t`` with probability ``chance_t`` among
    the unreviewed negatives, so each ``Z_t`` is unbiased for A's false negatives, and so is
    their mean; interval and clipping as :func:`difference_estimate`. Current verdicts are used
    throughout, so a corrected verdict corrects the estimate. Verdicts not drawn at random (the
    queue's top or uncertain pick, ``review mark``, imported files) are never draws: they
    enter exactly, as known, in ``S_t`` of the draws after them (``known_verdicts``). A draw
    whose pair is now unsure or unmarked is left out (``unanswered``; such items, and items
    skipped on the page, which are not stored, count as not false negatives). Verdicts on pairs
    that are not among ``keys`` are ignored. ``hits``: draws in A that were false negatives;
    with none the interval collapses onto what is known, and :func:`describe` says so.
    """
    keys = np.asarray(keys, dtype=object)
    inside = np.ones(len(keys), dtype=bool) if inside is None else np.asarray(inside, dtype=bool)
    index = pd.Index(keys, dtype=object)

    def members(names: np.ndarray) -> dict:  # the store's pairs among keys -> inside A
        at = index.get_indexer(names) if len(names) else np.zeros(0, dtype=np.int64)
        return {k: bool(inside[i]) for k, i in zip(names, at) if i >= 0}

    logged, decided = pair(log), pair(current)
    in_a = members(pd.unique(np.concatenate([logged, decided])))
    y_now = {k: _Y.get(v, np.nan) for k, v in zip(decided, current["verdict"]) if k in in_a}
    seen = set(y_now) - set(logged)              # decided with no history (imported): known from the start
    known = sum(1.0 for k in seen if in_a[k] and y_now.get(k) == 1.0)
    z, unanswered, hits = [], 0, 0
    for k, chance in zip(logged, log["chance"].to_numpy(np.float64)):
        if k not in in_a or k in seen:
            continue
        y = y_now.get(k, np.nan)
        if np.isfinite(chance):
            if np.isfinite(y):
                z.append(known + (y / chance if in_a[k] else 0.0))
                hits += int(in_a[k] and y == 1.0)
            else:
                unanswered += 1
        seen.add(k)
        known += 1.0 if in_a[k] and y == 1.0 else 0.0
    answered_a = sum(1 for k, y in y_now.items() if in_a[k] and np.isfinite(y))
    population = int(inside.sum())
    zeros = np.zeros(len(z))
    out = difference_estimate(zeros, zeros, np.array(z), zeros, np.ones(len(z)), np.ones(len(z), dtype=bool),
                              population=population, known_now=int(known),
                              unreviewed_now=population - answered_a, unanswered=unanswered)
    drawn = len(z)
    mean = float(np.mean(z)) if drawn else float("nan")
    half = Z95 * float(np.std(z, ddof=1)) / np.sqrt(drawn) if drawn > 1 else float("nan")
    return {**out, "estimator": STORED_ESTIMATOR, "verdicts": answered_a,
            "known_verdicts": answered_a - drawn, "hits": hits, "enough": drawn >= MIN_DRAWS and population > 0,
            "unclipped": (mean - half, mean, mean + half)}


def negative_keys(candidates) -> np.ndarray:
    """One key per negative (qid, did) of ``candidates``, in first-seen order."""
    pairs = candidates.pairs
    return pd.unique(pair(pairs[pairs["label"].to_numpy() == 0]))


def selection_inside(candidates, keys: np.ndarray, selection) -> np.ndarray:
    """Which of ``keys`` a strategy's ``selection`` (rows of ``candidates.pairs``) holds."""
    return pd.Index(keys, dtype=object).isin(pair(candidates.pairs.iloc[selection.rows]))


def dataset_estimate(store, candidates, selection=None) -> dict:
    """:func:`stored_estimate` over ``candidates``' negatives (one per (qid, did)), or over a
    strategy's ``selection`` of them, from a ``ReviewStore``."""
    keys = negative_keys(candidates)
    inside = None if selection is None else selection_inside(candidates, keys, selection)
    return stored_estimate(store.design_log(), store.all(), keys, inside)


def describe(est: dict, name: str = "all negatives") -> str:
    """One plain line: the estimate, or why there is none yet."""
    if est["population"] == 0:
        return f"No estimate of the false negatives among {name}: it holds no negatives."
    if not est["enough"]:
        return (f"No estimate of the false negatives among {name} yet: it needs {MIN_DRAWS} "
                f"answered random draws of the Review page's queue, and has {est['draws']} "
                f"({est['verdicts']} verdicts in all).")
    return (f"Estimated false negatives among {name} ({est['population']:,}): {est['share']:.1%} "
            f"(95% interval {est['low']:.1%} to {est['high']:.1%}), about {est['count']:,.0f} "
            f"({est['count_low']:,.0f} to {est['count_high']:,.0f}); from {est['verdicts']} verdicts "
            f"({est['draws']} random draws, {est['known_verdicts']} counted as known); "
            f"{est['estimator']}." + ("" if est["hits"] else " No random draw was a false "
                                      "negative here, so the interval's upper end is not reliable."))
