"""The false-negative risk: a probability per negative, from a fixed rule, then from a person's verdicts.

Features (per row of a signals table, as ``signals.find_suspects`` gives; a feature whose column
is absent is left out):

- ``dense_z``: the bi-encoder score standardised within its query's rows (mean 0, sd 1; 0 for a
  query with one row), so the rule does not depend on the model's score scale;
- ``bm25_z``: BM25 of (query, document) standardised within its query's rows (``lexical``);
- ``cos_gap``: ``positive_cosine - 1``, the document's highest embedding cosine to one of the
  query's positives (0 for a copy of a positive).

**Without reviews** (:func:`prior_risk`): a fixed logistic model
``risk = sigma(b + sum_x w_x * x)`` whose weights (:data:`PRIOR_MODELS`, one per available
feature set) were fitted once on Cranfield and sample_data (each collection weighted equally;
top-50 all-MiniLM-L6-v2 pools, one relevant document kept per query) and are constants here:
they never look at the data being scored. ADI, Medline and CACM were not used to choose them.
Where the signals table has ``answer_match_score`` or ``cross_encoder_score`` (no ground-truth
collection has either, so this part is not measured), half of each one's log-odds (capped at
+-5) is added. The base rate differs between collections (0.6% to 40% in the evaluation), so
the prior's probabilities are only roughly calibrated on a new collection: review some rows.

**With reviews** (:func:`refit`): a logistic regression (scikit-learn, L2, C = 1) of the
verdicts on the prior's log-odds and the features, fitted on the reviewed rows (``unsure``
verdicts are ignored). Logistic regression fits log-loss, so its probabilities are calibrated
on the rows it was fitted on (Platt scaling with the features). With fewer than
:data:`MIN_PER_CLASS` verdicts of either kind it only shifts the prior's log-odds so that the
mean risk of the reviewed rows matches their (Laplace-smoothed) false-negative share.

The flag (:func:`flag`): ``risk >= threshold``; :data:`DEFAULT_THRESHOLD` (0.15) was chosen on the
same two collections so that it marks at most 15% of negatives; ``evaluate-fn`` reports its
share, precision and recall on every collection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.model import DataError

FEATURES = ("dense_z", "bm25_z", "cos_gap")
PRIOR_MODELS = {  # feature set -> (intercept, weights); see the module rules
    ("dense_z", "bm25_z", "cos_gap"): (0.151, {"dense_z": 0.282, "bm25_z": 0.360, "cos_gap": 7.321}),
    ("dense_z", "cos_gap"): (0.293, {"dense_z": 0.486, "cos_gap": 7.541}),
    ("dense_z", "bm25_z"): (-3.548, {"dense_z": 0.542, "bm25_z": 0.409}),
    ("dense_z",): (-3.510, {"dense_z": 0.778}),
}
EXTRA_SIGNALS = ("answer_match", "cross_encoder")
EXTRA_WEIGHT = 0.5
LOGIT_CAP = 5.0
DEFAULT_THRESHOLD = 0.15
MIN_PER_CLASS = 5
FALSE_NEGATIVE, TRUE_NEGATIVE = "false_negative", "true_negative"


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def _logit(p: np.ndarray, cap: float = LOGIT_CAP) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.clip(np.log(p) - np.log1p(-p), -cap, cap)


def _within_query_z(qids: pd.Series, values: pd.Series) -> np.ndarray:
    grouped = values.groupby(qids.to_numpy(), observed=True)
    mean, sd = grouped.transform("mean"), grouped.transform("std", ddof=0)
    z = ((values - mean) / sd.where(sd > 0)).to_numpy(dtype=np.float64)
    return np.where(np.isnan(z), 0.0, z)


def risk_features(signals: pd.DataFrame) -> pd.DataFrame:
    """The features the signals table allows (see the rules); needs ``qid`` and ``score``."""
    missing = {"qid", "score"} - set(signals.columns)
    if missing:
        raise DataError(f"signals lack column(s) {sorted(missing)}", field=sorted(missing)[0])
    qids = signals["qid"].astype(str)
    out = pd.DataFrame(index=signals.index)
    out["dense_z"] = _within_query_z(qids, signals["score"].astype(np.float64))
    if "bm25" in signals and signals["bm25"].notna().any():
        out["bm25_z"] = _within_query_z(qids, signals["bm25"].astype(np.float64).fillna(0.0))
    if "positive_cosine" in signals and signals["positive_cosine"].notna().any():
        out["cos_gap"] = signals["positive_cosine"].astype(np.float64).fillna(0.0).to_numpy() - 1.0
    return out


def _extra_evidence(signals: pd.DataFrame) -> np.ndarray:
    extra = np.zeros(len(signals))
    for name in EXTRA_SIGNALS:
        if f"{name}_score" in signals:
            z = _logit(signals[f"{name}_score"].to_numpy(dtype=np.float64))
            extra += EXTRA_WEIGHT * np.where(np.isnan(z), 0.0, z)
    return extra


def prior_logit(signals: pd.DataFrame) -> np.ndarray:
    """The log-odds of :func:`prior_risk`."""
    features = risk_features(signals)
    intercept, weights = PRIOR_MODELS[tuple(f for f in FEATURES if f in features)]
    z = intercept + sum(w * features[name].to_numpy() for name, w in weights.items())
    return np.asarray(z, dtype=np.float64) + _extra_evidence(signals)


def prior_risk(signals: pd.DataFrame) -> np.ndarray:
    """The probability that each row is a false negative, by the fixed rule (no reviews)."""
    return _sigmoid(prior_logit(signals))


def flag(risk: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> np.ndarray:
    """``risk >= threshold`` (a probability in [0, 1])."""
    if not 0 <= threshold <= 1:
        raise DataError(f"threshold must be a probability in [0, 1], got {threshold}", field="threshold")
    return np.asarray(risk, dtype=np.float64) >= threshold


@dataclass
class RiskModel:
    """The risk after reviews: ``predict(signals)`` gives a probability per row."""

    columns: tuple[str, ...]
    coef: np.ndarray
    intercept: float
    reviewed: int
    false_negatives: int
    kind: str = "logistic"
    notes: list[str] = field(default_factory=list)

    def _design(self, signals: pd.DataFrame) -> np.ndarray:
        features = risk_features(signals)
        features["prior_logit"] = prior_logit(signals)
        lost = [c for c in self.columns if c not in features]
        if lost:
            raise DataError(f"the model was fitted with {lost}, which these signals lack", field=lost[0])
        return features[list(self.columns)].to_numpy(dtype=np.float64)

    def predict(self, signals: pd.DataFrame) -> np.ndarray:
        return _sigmoid(self._design(signals) @ self.coef + self.intercept)


def _labelled(signals: pd.DataFrame, verdicts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(row positions of ``signals``, 1/0 labels) for the rows with a decisive verdict."""
    missing = {"qid", "did", "verdict"} - set(verdicts.columns)
    if missing:
        raise DataError(f"verdicts lack column(s) {sorted(missing)}", field=sorted(missing)[0])
    decisive = verdicts[verdicts["verdict"].isin([FALSE_NEGATIVE, TRUE_NEGATIVE])]
    label = dict(zip(decisive["qid"].astype(str) + "\0" + decisive["did"].astype(str),
                     decisive["verdict"] == FALSE_NEGATIVE))
    keys = (signals["qid"].astype(str) + "\0" + signals["did"].astype(str)).to_numpy()
    rows = np.flatnonzero([k in label for k in keys])
    return rows, np.array([label[k] for k in keys[rows]], dtype=np.int8)


def refit(signals: pd.DataFrame, verdicts: pd.DataFrame) -> RiskModel:
    """The risk refit on a person's verdicts (``qid, did, verdict``; see the rules)."""
    from sklearn.linear_model import LogisticRegression

    rows, y = _labelled(signals, verdicts)
    columns = (*risk_features(signals).columns, "prior_logit")
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if min(positives, negatives) < MIN_PER_CLASS:
        prior = prior_logit(signals.iloc[rows]) if len(rows) else np.zeros(0)
        share = (positives + 1) / (len(y) + 2)
        shift = _shift_to_mean(prior, share) if len(rows) else 0.0
        coef = np.array([0.0] * (len(columns) - 1) + [1.0])
        return RiskModel(columns, coef, shift, len(y), positives, kind="prior shifted",
                         notes=[f"{positives} false and {negatives} true negatives reviewed: "
                                f"fewer than {MIN_PER_CLASS} of one kind, so only the prior's "
                                f"level moves"])
    design = RiskModel(columns, np.zeros(len(columns)), 0.0, 0, 0)._design(signals.iloc[rows])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(design, y)
    return RiskModel(columns, model.coef_[0].astype(np.float64), float(model.intercept_[0]),
                     len(y), positives)


def _shift_to_mean(logits: np.ndarray, target: float) -> float:
    """The shift ``c`` with ``mean(sigma(logits + c)) == target`` (bisection)."""
    low, high = -30.0, 30.0
    for _ in range(80):
        mid = (low + high) / 2
        low, high = (mid, high) if _sigmoid(logits + mid).mean() < target else (low, mid)
    return (low + high) / 2


def expected_calibration_error(y_true: np.ndarray, risk: np.ndarray, bins: int = 10) -> float:
    """ECE over ``bins`` equal-width probability bins: ``sum_b n_b / n * |mean risk - share|``."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(risk, dtype=np.float64)
    if len(y) == 0:
        return float("nan")
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(which):
        inside = which == b
        total += inside.sum() * abs(p[inside].mean() - y[inside].mean())
    return total / len(y)
