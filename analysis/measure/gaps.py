"""Positive scores, score gaps and relative scores (DESIGN.md section 3).

``s_pos`` of a query is the minimum score over its labelled positives by default (the
"harder positive", as sentence-transformers does); ``mean`` and ``max`` are selectable.
``gap = s_pos - s_neg``: small or negative means a hard or suspicious negative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.model import POSITIVE_REDUCTIONS


def positive_scores(pairs: pd.DataFrame, *, how: str = "min", column: str = "score") -> np.ndarray:
    """Per query code, the reduced score of its labelled positives (NaN where none is scored).

    Returns an array indexed by ``pairs["qid"].cat.codes`` over all query categories.
    """
    if how not in POSITIVE_REDUCTIONS:
        raise ValueError(f"positive score reduction must be one of {POSITIVE_REDUCTIONS}, got {how!r}")
    num_queries = len(pairs["qid"].cat.categories)
    positives = pairs["label"].to_numpy() == 1
    codes = pairs["qid"].cat.codes.to_numpy()[positives]
    scores = pairs[column].to_numpy(dtype=np.float64)[positives]
    known = ~np.isnan(scores)
    codes, scores = codes[known], scores[known]
    out = np.full(num_queries, np.nan)
    if how == "min":
        out[:] = np.inf
        np.minimum.at(out, codes, scores)
    elif how == "max":
        out[:] = -np.inf
        np.maximum.at(out, codes, scores)
    else:
        sums = np.bincount(codes, weights=scores, minlength=num_queries)
        counts = np.bincount(codes, minlength=num_queries)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = sums / counts
    out[np.bincount(codes, minlength=num_queries) == 0] = np.nan
    return out


def pair_positive_scores(pairs: pd.DataFrame, *, how: str = "min", column: str = "score") -> np.ndarray:
    """``s_pos`` of each pair's query, aligned with the rows of ``pairs``."""
    return positive_scores(pairs, how=how, column=column)[pairs["qid"].cat.codes.to_numpy()]


def score_gaps(pairs: pd.DataFrame, *, how: str = "min", column: str = "score") -> np.ndarray:
    """``s_pos - s`` for every row (NaN where either is unknown)."""
    return pair_positive_scores(pairs, how=how, column=column) - pairs[column].to_numpy(dtype=np.float64)


def relative_scores(pairs: pd.DataFrame, *, how: str = "min", column: str = "score") -> np.ndarray:
    """``s / s_pos`` for every row where ``s_pos > 0``, else NaN."""
    s_pos = pair_positive_scores(pairs, how=how, column=column)
    s = pairs[column].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s_pos > 0, s / s_pos, np.nan)


def with_gaps(pairs: pd.DataFrame, *, how: str = "min", column: str = "score") -> pd.DataFrame:
    """A copy of ``pairs`` with ``s_pos``, ``gap`` and ``relative`` columns added."""
    s_pos = pair_positive_scores(pairs, how=how, column=column)
    s = pairs[column].to_numpy(dtype=np.float64)
    out = pairs.copy()
    out["s_pos"] = s_pos.astype(np.float32)
    out["gap"] = (s_pos - s).astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["relative"] = np.where(s_pos > 0, s / s_pos, np.nan).astype(np.float32)
    return out
