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
selection is the **mean risk** of its negatives (the risk is a probability,
``analysis.false_negatives.risk``; a review-based estimate is not available across files).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.false_negatives.risk import FEATURES, PRIOR_MODELS, flag
from analysis.false_negatives.signals import max_positive_cosine

SHARE_RULE = "mean risk of the negatives (risk: a probability from the yardstick score, BM25 " \
             "and, with embeddings, cosine to the positive; labelled positives elsewhere count as 1)"


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


def selection_fn(fn: pd.DataFrame, rows: np.ndarray) -> dict:
    sub = fn.iloc[rows]
    known = sub["risk"].dropna()
    return {"fn_suspects": int(sub["suspect"].sum()),
            "fn_share_est": float(known.mean()) if len(known) else float("nan")}
