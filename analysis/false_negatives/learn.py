"""Refit the false-negative probability on a person's verdicts: the learning step of the queue.

``refit(signals, verdicts) -> model`` with ``model.predict(signals) -> probabilities``: the
contract of ``analysis.false_negatives.risk.refit`` (issue 16), so the queue can use either.
Rules of this one:

- Features per negative (from the suspects table of ``analysis.false_negatives.signals``):
  ``score``, ``gap`` (when present), ``log(rank)``, the log-odds of ``risk`` and of every
  ``<signal>_score`` (NaN -> 0 evidence, clipped to +-10), and the query's smoothed share of
  false negatives among its other reviewed negatives, ``(fn + 0.1) / (n + 1)``, computed
  leave-one-out for the training rows so a row never sees its own verdict.
- A logistic regression (scikit-learn, standardised features, ``C = 1``) on the ``false_negative``
  (1) and ``true_negative`` (0) verdicts; ``unsure`` is left out.
- With fewer than two verdicts of each class there is nothing to learn from: the model
  returns the table's ``risk`` column (the static prior) unchanged.

Why the queue keeps this refit rather than ``risk.refit`` (issue 16's, one refit would be
simpler): swapped in, ``risk.refit`` found fewer false negatives with 200 reviews
(``benchmarks/review_simulation.py --refit risk`` against ``--refit learn``, seed 0, top-100
all-MiniLM-L6-v2 pools): ADI 44 vs 56, CACM 73 vs 97, Med 124 vs 142. ``risk.refit`` refits only
the prior's three features (within-query dense and BM25 z-scores, cosine to the positive) and
needs 5 verdicts of each kind before it does more than shift the prior; this one also uses
score, gap, rank, every signal and the query's share of found false negatives, and refits
from 2 of each kind. ``risk.refit`` stays what ``evaluate-fn`` measures calibration with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.model import DataError

MIN_PER_CLASS = 2
_CLIP = 10.0


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.clip(np.nan_to_num(np.log(p) - np.log1p(-p), nan=0.0), -_CLIP, _CLIP)


def _keys(table: pd.DataFrame) -> np.ndarray:
    # a Series sum: a numpy object array + "\0" loses the NUL, so ("1", "23") met ("12", "3")
    return (table["qid"].astype(str) + "\0" + table["did"].astype(str)).to_numpy(dtype=object)


def _row_features(signals: pd.DataFrame) -> np.ndarray:
    columns = [signals["score"].to_numpy(dtype=np.float64)]
    if "gap" in signals:
        columns.append(signals["gap"].to_numpy(dtype=np.float64))
    if "rank" in signals:
        columns.append(np.log(np.maximum(signals["rank"].to_numpy(dtype=np.float64), 1.0)))
    names = ["risk"] + sorted(c for c in signals.columns if c.endswith("_score") and c != "score")
    columns += [_logit(signals[c].to_numpy(dtype=np.float64)) for c in names if c in signals]
    return np.nan_to_num(np.column_stack(columns), nan=0.0)


def labelled(signals: pd.DataFrame, verdicts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(row index into ``signals``, 1/0 label) of the rows with a false/true-negative verdict."""
    missing = {"qid", "did", "verdict"} - set(verdicts.columns)
    if missing:
        raise DataError(f"verdicts lack column(s) {sorted(missing)}", field=sorted(missing)[0])
    known = verdicts[verdicts["verdict"].isin(["false_negative", "true_negative"])]
    label = dict(zip(_keys(known), (known["verdict"] == "false_negative").astype(int)))
    keys = _keys(signals)
    rows = np.flatnonzero(pd.Series(keys).isin(label.keys()).to_numpy())
    return rows, np.array([label[k] for k in keys[rows]], dtype=int)


class LearnedRisk:
    """A fitted model: ``predict(signals)`` gives a probability per row."""

    def __init__(self, pipeline, query_stats: dict[str, tuple[int, int]]):
        self.pipeline, self.query_stats = pipeline, query_stats

    def _query_share(self, signals: pd.DataFrame, own: np.ndarray | None = None) -> np.ndarray:
        qids = signals["qid"].astype(str)
        fn = qids.map({q: s[0] for q, s in self.query_stats.items()}).fillna(0).to_numpy(np.float64)
        n = qids.map({q: s[1] for q, s in self.query_stats.items()}).fillna(0).to_numpy(np.float64)
        if own is not None:  # leave-one-out: a training row does not see its own verdict
            fn, n = fn - own, n - 1
        return (fn + 0.1) / (n + 1.0)

    def features(self, signals: pd.DataFrame, own: np.ndarray | None = None) -> np.ndarray:
        return np.column_stack([_row_features(signals), _logit(self._query_share(signals, own))])

    def predict(self, signals: pd.DataFrame) -> np.ndarray:
        if self.pipeline is None:
            return signals["risk"].to_numpy(dtype=np.float64).copy()
        return self.pipeline.predict_proba(self.features(signals))[:, 1]


def warm_up() -> None:
    """Start importing scikit-learn in a daemon thread (about 1 s cold on 2 cores), so the first
    refit, ten verdicts later, does not pay for the import between a verdict and the next item."""
    import importlib
    import threading

    threading.Thread(target=importlib.import_module, args=("sklearn.linear_model",), daemon=True,
                     name="neglens-import-sklearn").start()


def refit(signals: pd.DataFrame, verdicts: pd.DataFrame) -> LearnedRisk:
    """A model of P(false negative) fitted on ``verdicts`` (qid, did, verdict) over the rows of
    ``signals`` they name; see the rules."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows, y = labelled(signals, verdicts)
    if min(int(y.sum()), int(len(y) - y.sum())) < MIN_PER_CLASS:
        return LearnedRisk(None, {})
    train = signals.iloc[rows]
    stats: dict[str, tuple[int, int]] = {}
    for qid, label in zip(train["qid"].astype(str), y):
        fn, n = stats.get(qid, (0, 0))
        stats[qid] = (fn + int(label), n + 1)
    model = LearnedRisk(None, stats)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    pipeline.fit(model.features(train, own=y.astype(np.float64)), y)
    model.pipeline = pipeline
    return model
