"""False-negative evidence for the union candidates of several files, on the yardstick.

``fn_columns(union, measured, bm25=...)`` applies the fixed risk rule of
``analysis.false_negatives.risk`` (its ``PRIOR_MODELS`` weights: the yardstick score and BM25
standardised within the query's negatives, and, when the yardstick has embeddings, the cosine
to the nearest positive, ``signals.max_positive_cosine``) once over the union's negatives, so
every selection's negatives are judged by the same evidence, independent of any one file's
miner (the same numbers as ``find_suspects``' risk, computed without its per-query loops). Positives are every file's positives of the
query. A negative that another file labels positive for the same query is a known false
negative: risk 1, suspect.

``fn_columns`` returns per union pair ``risk`` (NaN for the union's own positives that no
selection holds as a negative) and ``suspect``. The estimated false-negative share of a
selection (:func:`selection_fn`) is ``fn_share``'s positive-unlabelled estimate over its
negatives (issue 24), with the negatives other files label positive counted as false
negatives; ``mean_risk`` (the mean of the rule's probabilities) is kept beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.false_negatives.risk import FEATURES, PRIOR_MODELS, flag
from analysis.false_negatives.signals import max_positive_cosine

BOOT = 100
SHARE_RULE = ("fn-share's positive-unlabelled estimate (analysis.false_negatives.fn_share): the "
              "labelled positives against the selection's negatives, ordered by the risk rule's "
              "log-odds (yardstick score and BM25 within the query); negatives another file "
              "labels positive count as false negatives")


def fn_columns(union, measured, *, bm25: np.ndarray | None = None) -> pd.DataFrame:
    """Risk per union pair; ``bm25``: the pairs' BM25 (``analysis.measure.file_lexical``), given
    to the risk rule as the signals' ``bm25`` column (computed once for the comparison)."""
    pairs = union.nset.pairs.assign(score=np.asarray(measured.score, dtype=np.float32))
    negative = np.flatnonzero(pairs["label"].to_numpy() == 0)
    q = pairs["qid"].cat.codes.to_numpy()[negative]
    features = {"dense_z": _z(q, pairs["score"].to_numpy(dtype=np.float64)[negative])}
    if bm25 is not None:
        features["bm25_z"] = _z(q, np.nan_to_num(np.asarray(bm25, dtype=np.float64)[negative]))
    if measured.doc_embeddings is not None:
        cosine = max_positive_cosine(pairs, measured.doc_embeddings)[negative]
        features["cos_gap"] = np.nan_to_num(cosine, nan=0.0) - 1.0 if np.isfinite(cosine).any() \
            else None
    features = {k: v for k, v in features.items() if v is not None}
    intercept, weights = PRIOR_MODELS[tuple(f for f in FEATURES if f in features)]
    logit = intercept + sum(w * features[name] for name, w in weights.items())
    risk = np.full(len(pairs), np.nan)
    suspect = np.zeros(len(pairs), dtype=bool)
    risk[negative] = 1.0 / (1.0 + np.exp(-logit))
    suspect[negative] = flag(risk[negative])
    labelled = pairs["label"].to_numpy() == 1
    risk[labelled], suspect[labelled] = 1.0, True
    return pd.DataFrame({"risk": risk, "suspect": suspect})


def _z(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Values standardised within their group (0 where a group's spread is 0): the risk rule's
    ``_within_query_z``, vectorised."""
    g = pd.Series(values).groupby(groups)
    mean, sd = g.transform("mean").to_numpy(), g.transform("std", ddof=0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (values - mean) / np.where(sd > 0, sd, np.nan)
    return np.where(np.isnan(z), 0.0, z)


def selection_fn(fn: pd.DataFrame, rows: np.ndarray, *, union=None, measured=None,
                 bm25: np.ndarray | None = None, seed: int = 0) -> dict:
    """Suspects, the mean risk, and (with ``union`` and ``measured``) the fn-share estimate of
    ``analysis.false_negatives.fn_share`` (positive-unlabelled: the query's labelled positives,
    every file's, against the selection's negatives, ordered by the risk rule's log-odds on the
    yardstick; 95% bootstrap interval over queries, ``BOOT`` (100) resamples)."""
    sub = fn.iloc[rows]
    known = sub["risk"].dropna()
    out = {"fn_suspects": int(sub["suspect"].sum()),
           "mean_risk": float(known.mean()) if len(known) else float("nan"),
           "fn_share_est": float("nan"), "fn_share_low": float("nan"), "fn_share_high": float("nan")}
    if union is None or measured is None or not len(rows):
        return out
    from analysis.false_negatives.fn_share import estimate_fn_share

    pairs = union.nset.pairs
    q = pairs["qid"].cat.codes.to_numpy()
    label = pairs["label"].to_numpy()
    positives = np.flatnonzero((label == 1) & np.isin(q, np.unique(q[rows])))
    mine = np.r_[positives, rows[label[rows] == 0]]
    score = np.nan_to_num(np.asarray(measured.score, dtype=np.float64)[mine], nan=-1.0)
    features = {"dense_z": _z(q[mine], score)}
    if bm25 is not None:
        features["bm25_z"] = _z(q[mine], np.nan_to_num(np.asarray(bm25, dtype=np.float64)[mine]))
    _, weights = PRIOR_MODELS[tuple(f for f in FEATURES if f in features)]
    order = sum(w * features[name] for name, w in weights.items())
    evidence = pd.DataFrame({"qid": q[mine], "label": label[mine]})
    try:
        found = estimate_fn_share(evidence, order=order, n_boot=BOOT, seed=seed)
    except ValueError:
        return out
    labelled = int((label[rows] == 1).sum())  # known false negatives: other files' positives
    share = (found.share * found.negatives + labelled) / max(found.negatives + labelled, 1)
    out.update(fn_share_est=share, fn_share_low=found.low, fn_share_high=found.high)
    return out
