"""False-negative signals and the pooled risk, on hand-checked cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.false_negatives.signals import (
    SIGNAL_RULES,
    SIGNALS,
    WEIGHTS,
    answer_match_signal,
    answers_from_pairs,
    combine_risk,
    cross_encoder_signal,
    find_suspects,
    margin_signal,
    max_positive_cosine,
    near_duplicate_signal,
)
from analysis.model import DataError, NegativeSet


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def close(value):
    """Scores are float32 in the pairs table: compare to 1e-5."""
    return pytest.approx(value, abs=1e-5)


def _set(rows, docs=None, extra=None):
    """rows: (qid, did, label, score[, ce_score])."""
    qids = sorted({r[0] for r in rows})
    dids = docs if docs is not None else sorted({r[1] for r in rows})
    columns = ["qid", "did", "label", "score", "ce_score"][:len(rows[0])]
    pairs = pd.DataFrame(rows, columns=columns).assign(source="pool", **(extra or {}))
    return NegativeSet(pd.DataFrame({"qid": qids, "text": qids}),
                       pd.DataFrame({"did": list(dids), "text": [f"text of {d}" for d in dids]}),
                       pairs)


def test_margin_score_curve_and_flag():
    nset = _set([("q", "p1", 1, 0.8), ("q", "p2", 1, 0.9),   # s_pos = min = 0.8
                 ("q", "a", 0, 0.76), ("q", "b", 0, 0.792), ("q", "c", 0, 0.72), ("q", "d", 0, 0.84)])
    score = margin_signal(nset.pairs)
    assert np.isnan(score[:2]).all()                       # positives are not judged
    assert score[2] == close(0.5)                  # ratio 0.95: on the threshold
    assert score[3] == close(sigmoid(2))           # ratio 0.99: two widths past
    assert score[4] == close(sigmoid(-2.5))        # ratio 0.90
    assert score[5] == close(sigmoid(5))           # ratio 1.05
    # s_pos <= 0: the sentence-transformers relative margin, t = s_pos - 0.05 |s_pos|.
    negative = _set([("q", "p", 1, -0.2), ("q", "a", 0, -0.21)])
    assert margin_signal(negative.pairs)[1] == close(0.5)


def test_margin_is_nan_without_scores():
    nset = _set([("q", "p", 1, np.nan), ("q", "a", 0, 0.5)])
    assert np.isnan(margin_signal(nset.pairs)).all()


def test_cross_encoder_signal():
    nset = _set([("q", "p", 1, 0.8, 0.9), ("q", "a", 0, 0.5, 0.85), ("q", "b", 0, 0.5, 0.95),
                 ("q", "c", 0, 0.5, 0.2)])
    score = cross_encoder_signal(nset.pairs)
    assert score[1] == close(0.5)                  # within delta = 0.05: flagged
    assert score[2] == close(sigmoid(5))           # above the positive
    assert score[3] < 1e-14
    assert np.isnan(cross_encoder_signal(_set([("q", "p", 1, 0.8)]).pairs)).all()


def test_near_duplicate_uses_the_closest_positive():
    nset = _set([("q", "p1", 1, 0.9), ("q", "p2", 1, 0.9), ("q", "a", 0, 0.5), ("q", "b", 0, 0.5),
                 ("r", "p1", 1, 0.9), ("r", "b", 0, 0.5), ("s", "a", 0, 0.5)],
                docs=["p1", "p2", "a", "b"])
    angle = math.acos(0.97)
    emb = np.array([[1, 0, 0], [0, 1, 0], [math.cos(angle), 0, math.sin(angle)],
                    [0.5, 0.5, math.sqrt(0.5)]])
    cos = max_positive_cosine(nset.pairs, emb * 3)        # not normalised: normalised inside
    np.testing.assert_allclose(cos, [1, 1, 0.97, 0.5, 1, 0.5, np.nan], atol=1e-6)
    score = near_duplicate_signal(nset.pairs, emb)
    assert score[2] == pytest.approx(sigmoid(2), abs=1e-4)  # 0.97: two widths of 0.01 past 0.95
    assert score[3] < 1e-15 and np.isnan(score[6]) and np.isnan(score[0])
    with pytest.raises(DataError, match="doc_embeddings"):
        max_positive_cosine(nset.pairs, emb[:3])


def test_near_duplicate_matches_a_plain_loop():
    rng = np.random.default_rng(0)
    dids = [f"d{i}" for i in range(40)]
    rows = [(f"q{q}", dids[d], int(d < 3), 0.5) for q in range(15)
            for d in rng.choice(40, size=12, replace=False)]
    nset = _set(rows, docs=dids)
    emb = rng.normal(size=(40, 8))
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    got = max_positive_cosine(nset.pairs, emb)
    pairs = nset.pairs.astype({"qid": str, "did": str})
    for i, row in pairs.iterrows():
        positives = pairs[(pairs["qid"] == row["qid"]) & (pairs["label"] == 1)]["did"]
        want = max((emb[dids.index(row["did"])] @ emb[dids.index(p)] for p in positives), default=np.nan)
        assert got[i] == pytest.approx(want, abs=1e-6, nan_ok=True)


def test_answer_match_tokens_case_and_accents():
    nset = _set([("q", "p", 1, 0.9), ("q", "a", 0, 0.5), ("q", "b", 0, 0.5), ("q", "c", 0, 0.5),
                 ("r", "a", 0, 0.5)])
    texts = pd.Series({"p": "x", "a": "The Eiffel Tower is in PARIS.", "b": "A Parisian cafe.",
                       "c": "Café au lait, in paris texas"})
    score = answer_match_signal(nset.pairs, texts, {"q": ["Paris"]})
    np.testing.assert_allclose(score[1:4], [0.95, 0.05, 0.95])  # "Parisian" is not "paris"
    assert np.isnan(score[0]) and np.isnan(score[4])         # positive; r has no answers
    accents = answer_match_signal(nset.pairs, texts, {"q": "cafe au lait"})  # one string
    assert accents[3] == pytest.approx(0.95) and accents[2] == pytest.approx(0.05)


def test_answers_from_a_pairs_column():
    nset = _set([("q", "a", 0, 0.5), ("q", "b", 0, 0.5), ("r", "a", 0, 0.5)],
                extra={"answers": [["x", "y"], "y", None]})
    assert answers_from_pairs(nset.pairs) == {"q": ["x", "y"]}


def test_combine_risk_pools_log_odds():
    def logit(p):
        return math.log(p / (1 - p))

    single = combine_risk({"margin": np.array([0.2, 0.7, np.nan])})
    np.testing.assert_allclose(single[:2], [0.2, 0.7])     # one signal: risk is its score
    assert single[2] == 0.0                                # no signal: no risk
    both = combine_risk({"margin": np.array([0.8]), "near_duplicate": np.array([0.3])})
    expected = sigmoid((0.7 * logit(0.8) + 0.95 * logit(0.3)) / (0.7 + 0.95))
    assert both[0] == pytest.approx(expected)
    missing = combine_risk({"margin": np.array([0.8]), "near_duplicate": np.array([np.nan])})
    assert missing[0] == pytest.approx(0.8)                # a missing signal changes nothing
    capped = combine_risk({"margin": np.array([1.0, sigmoid(5)])})
    assert capped[0] == pytest.approx(sigmoid(5)) and capped[1] == pytest.approx(sigmoid(5))
    with pytest.raises(DataError, match="unknown signal"):
        combine_risk({"vibes": np.array([0.5])})


def test_find_suspects_columns_and_flags():
    nset = _set([("q", "p", 1, 0.8), ("q", "a", 0, 0.79), ("q", "b", 0, 0.3), ("q", "c", 0, 0.5)],
                docs=["p", "a", "b", "c"])
    emb = np.eye(4)
    clusters = np.array([0, 1, 0, 0])                      # b and c share p's cluster
    table = find_suspects(nset.pairs, doc_embeddings=emb, doc_clusters=clusters)
    assert table["did"].astype(str).tolist() == ["a", "b", "c"]
    assert {"margin_score", "near_duplicate_score", "same_cluster_score", "risk", "is_suspect"} <= set(table)
    assert "cross_encoder_score" not in table and "answer_match_score" not in table
    assert table["is_margin_issue"].tolist() == [True, False, False]
    assert table["is_same_cluster_issue"].tolist() == [False, True, True]
    # The flag is the risk (a probability) past the threshold; orthogonal documents are far
    # from the positive, so nothing reaches the default 0.15.
    assert ((table["risk"] >= 0) & (table["risk"] <= 1)).all()
    assert table["is_suspect"].tolist() == (table["risk"] >= 0.15).tolist() == [False, False, False]
    # A lower risk threshold adds rows the evidence leans on although no rule fired.
    loose = find_suspects(nset.pairs, doc_embeddings=emb, doc_clusters=clusters, threshold=0.0)
    assert loose["is_suspect"].all()
    assert set(find_suspects(nset.pairs).columns) >= {"margin_score", "risk"}
    with pytest.raises(DataError, match="document texts"):
        find_suspects(nset.pairs, answers={"q": ["x"]})


def test_rules_are_stated_for_every_signal():
    assert set(SIGNAL_RULES) == set(SIGNALS) | {"risk"} and set(WEIGHTS) == set(SIGNALS)
    assert all(isinstance(rule, str) and rule for rule in SIGNAL_RULES.values())
