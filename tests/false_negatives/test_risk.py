"""The risk as a probability: calibration on a fixture with known rates, the flag's
selectivity, refit on verdicts, and the BM25 signal on hand-checked tiny data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.false_negatives.lexical import (
    bm25_pair_scores,
    bm25_relative,
    bm25_signal,
)
from analysis.false_negatives.risk import (
    DEFAULT_THRESHOLD,
    expected_calibration_error,
    flag,
    prior_risk,
    refit,
)
from analysis.model import DataError


def _signals(n_queries=400, per_query=10, seed=0):
    """Signals whose truth is drawn with a known probability: logit = -3 + 1.5 * dense_z-ish."""
    rng = np.random.default_rng(seed)
    qid = np.repeat([f"q{i}" for i in range(n_queries)], per_query)
    score = rng.normal(0.5, 0.1, len(qid))
    cosine = np.clip(rng.normal(0.5, 0.15, len(qid)), -1, 1)
    table = pd.DataFrame({"qid": qid, "did": [f"d{i}" for i in range(len(qid))], "score": score,
                          "positive_cosine": cosine})
    z = table.groupby("qid")["score"].transform(lambda v: (v - v.mean()) / v.std(ddof=0)).to_numpy()
    truth_p = 1 / (1 + np.exp(-(-3 + 1.5 * z + 4 * (cosine - 0.5))))
    return table, truth_p, rng.random(len(qid)) < truth_p


def test_expected_calibration_error_by_hand():
    # bins [0.1, 0.2): p 0.1, 0.1, share 0.5 -> 0.4; bin [0.9, 1.0]: p 0.9, share 1 -> 0.1.
    y = np.array([1, 0, 1]); p = np.array([0.1, 0.1, 0.9])
    assert expected_calibration_error(y, p) == pytest.approx((2 * 0.4 + 1 * 0.1) / 3)
    assert expected_calibration_error(np.array([0, 1] * 50), np.full(100, 0.5)) == 0.0


def test_refit_recovers_known_rates():
    signals, truth_p, truth = _signals()
    seen = np.arange(len(signals)) < 2000
    verdicts = signals[seen][["qid", "did"]].assign(
        verdict=np.where(truth[seen], "false_negative", "true_negative"))
    model = refit(signals, verdicts)
    assert model.kind == "logistic" and model.reviewed == 2000
    risk = model.predict(signals[~seen])
    # Calibrated against the labels it never saw, and close to the true probabilities.
    assert expected_calibration_error(truth[~seen], risk) < 0.03
    assert np.mean(np.abs(risk - truth_p[~seen])) < 0.03
    # The fixed prior, made for other data, is further from these rates than the refit.
    assert expected_calibration_error(truth[~seen], prior_risk(signals[~seen])) > \
        expected_calibration_error(truth[~seen], risk)


def test_refit_with_few_verdicts_only_moves_the_level():
    signals, _, _ = _signals(n_queries=20)
    verdicts = pd.DataFrame({"qid": ["q0", "q0", "q1"], "did": ["d0", "d1", "d10"],
                             "verdict": ["false_negative", "true_negative", "unsure"]})
    model = refit(signals, verdicts)
    assert model.kind == "prior shifted" and model.reviewed == 2 and model.false_negatives == 1
    # Laplace share (1 + 1) / (2 + 2) = 0.5 on the two reviewed rows; order kept everywhere.
    assert model.predict(signals.iloc[:2]).mean() == pytest.approx(0.5, abs=1e-6)
    prior, after = prior_risk(signals), model.predict(signals)
    assert (np.argsort(prior, kind="stable") == np.argsort(after, kind="stable")).all()
    with pytest.raises(DataError, match="verdict"):
        refit(signals, verdicts.drop(columns="verdict"))


def test_flag_is_selective_and_follows_the_threshold():
    signals, _, truth = _signals()
    risk = prior_risk(signals)
    flagged = flag(risk)
    assert flagged.tolist() == (risk >= DEFAULT_THRESHOLD).tolist()
    assert 0 < flagged.mean() <= 0.15
    assert truth[flagged].mean() >= 2 * truth.mean()
    assert flag(risk, 0.0).all() and not flag(risk, 1.0).any()
    assert flag(risk, 0.5).sum() <= flag(risk, 0.3).sum() <= flagged.sum()
    with pytest.raises(DataError, match="threshold"):
        flag(risk, 1.5)


def test_bm25_on_hand_checked_tiny_data():
    docs = pd.Series({"p": "wing flutter tests", "a": "wing design", "b": "heat transfer",
                      "c": "flutter of a wing wing"})
    queries = pd.Series({"q": "wing flutter"})
    pairs = pd.DataFrame({"qid": pd.Categorical(["q"] * 4), "did": pd.Categorical(["p", "a", "b", "c"]),
                          "label": np.array([1, 0, 0, 0], dtype=np.int8)})
    scores = bm25_pair_scores(pairs, docs, queries)
    # Lucene BM25 (k1 = 1.5, b = 0.75), stop word "of"/"a" removed: N = 4, lengths 3, 2, 2, 3.
    idf = {"wing": math.log(1 + (4 - 3 + 0.5) / (3 + 0.5)), "flutter": math.log(1 + (4 - 2 + 0.5) / (2 + 0.5))}

    def term(tf, length):
        return tf / (tf + 1.5 * (1 - 0.75 + 0.75 * length / (10 / 4)))

    expected = [idf["wing"] * term(1, 3) + idf["flutter"] * term(1, 3), idf["wing"] * term(1, 2), 0.0,
                idf["wing"] * term(2, 3) + idf["flutter"] * term(1, 3)]
    assert scores == pytest.approx(expected, rel=1e-4)
    ratio = bm25_relative(pairs, scores)
    assert np.isnan(ratio[0]) and ratio[2] == 0.0 and ratio[3] > 1 > ratio[1]
    signal = bm25_signal(ratio)
    assert signal[3] > 0.5 > signal[1] > signal[2]
    with pytest.raises(DataError, match="did"):
        bm25_pair_scores(pairs, docs.drop("b"), queries)


def test_calibration_after_200_verdicts_on_known_rates():
    from analysis.false_negatives.fn_eval import calibration_after_reviews

    signals, _, truth = _signals()
    suspects = signals.assign(risk=prior_risk(signals), truth=truth)
    suspects["is_suspect"] = flag(suspects["risk"].to_numpy())
    found = calibration_after_reviews(suspects, reviews=200, seed=0)
    assert found["reviewed"] == 200 and found["flagged_share"] == suspects["is_suspect"].mean()
    assert found["ece_prior"] == pytest.approx(expected_calibration_error(truth, suspects["risk"]))
    assert found["ece_refit"] < 0.05
    assert calibration_after_reviews(suspects, reviews=200, seed=0) == found   # same seed, same figures
