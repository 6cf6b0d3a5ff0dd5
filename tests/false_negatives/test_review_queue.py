"""The review queue's order, refit and undo, and the estimate's coverage on a synthetic fixture
whose false-negative rate is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.false_negatives.estimate import queue_estimate
from analysis.false_negatives.learn import refit
from analysis.false_negatives.queue import ReviewQueue


def fixture(n: int = 3000, rate: float = 0.1, seed: int = 0):
    """Negatives whose truth depends on the score (and a little on the query)."""
    rng = np.random.default_rng(seed)
    qid = rng.integers(0, 100, n)
    y = rng.random(n) < rate
    score = rng.normal(0.5, 0.1, n) + 0.12 * y
    risk = 1 / (1 + np.exp(-(score - 0.75) / 0.03))
    table = pd.DataFrame({"qid": qid.astype(str), "did": np.arange(n).astype(str),
                          "rank": rng.integers(1, 100, n), "score": score, "gap": 0.8 - score,
                          "margin_score": risk, "risk": risk})
    return table, y


def answer_all(queue, y, budget):
    for _ in range(budget):
        row = queue.next()
        queue.answer("false_negative" if y[row] else "true_negative")


def test_without_exploration_the_first_items_are_the_highest_prior():
    table, _ = fixture()
    queue = ReviewQueue(table, explore=0.0)
    order = []
    for _ in range(5):
        order.append(queue.next())
        queue.answer("true_negative")
    assert order == list(np.argsort(-table["risk"].to_numpy(), kind="stable")[:5])


def test_the_item_stays_until_answered_and_undo_brings_it_back():
    table, _ = fixture()
    queue = ReviewQueue(table, explore=0.0)
    first = queue.next()
    assert queue.next() == first
    queue.answer("false_negative")
    second = queue.next()
    assert second != first
    assert queue.undo().row == first
    assert queue.next() == first and not queue.reviewed[first]
    assert queue.counts()["reviewed"] == 0


def test_refit_every_k_verdicts_reorders_by_what_was_learned():
    table, y = fixture()
    queue = ReviewQueue(table, refit_every=40, explore=0.0)
    answer_all(queue, y, 39)
    assert queue.refits == 0
    answer_all(queue, y, 1)
    assert queue.refits == 1 and len(queue.snapshots) == 2
    assert 2 <= y[[s.row for s in queue.steps]].sum() <= 38  # both classes: a real fit
    assert not np.allclose(queue.snapshots[0], queue.snapshots[1])


def test_the_refit_model_ranks_true_false_negatives_higher():
    from sklearn.metrics import roc_auc_score

    table, y = fixture(seed=3)
    rng = np.random.default_rng(1)
    rows = rng.choice(len(table), 300, replace=False)
    verdicts = pd.DataFrame({"qid": table["qid"].iloc[rows], "did": table["did"].iloc[rows],
                             "verdict": np.where(y[rows], "false_negative", "true_negative")})
    auc = roc_auc_score(y, refit(table, verdicts).predict(table))
    assert auc > 0.75


def test_the_same_seed_gives_the_same_queue():
    table, y = fixture()
    runs = []
    for _ in range(2):
        queue = ReviewQueue(table, seed=7)
        answer_all(queue, y, 30)
        runs.append([s.row for s in queue.steps])
    assert runs[0] == runs[1]


def test_the_interval_covers_the_known_rate_on_most_seeds():
    covered, widths = 0, []
    for seed in range(6):
        table, y = fixture(seed=seed)
        queue = ReviewQueue(table, seed=seed, explore=0.5)
        answer_all(queue, y, 200)
        est = queue_estimate(queue)
        covered += est["low"] <= y.mean() <= est["high"]
        widths.append(est["high"] - est["low"])
        assert est["count_low"] >= queue.counts()["found"]
    assert covered >= 5, covered  # a 95% interval misses about 1 in 20
    assert np.mean(widths) < 0.2


def test_skip_and_unsure_are_not_draws():
    table, y = fixture()
    queue = ReviewQueue(table, seed=0)
    queue.next()
    queue.answer("skip")
    answer_all(queue, y, 20)
    est = queue_estimate(queue)
    assert est["draws"] == 20 and est["unanswered"] == 1


def test_a_bad_verdict_is_refused():
    table, _ = fixture(n=50)
    queue = ReviewQueue(table)
    queue.next()
    with pytest.raises(ValueError, match="verdict"):
        queue.answer("maybe")


def test_refit_labels_only_the_pair_named_when_joined_ids_coincide():
    from analysis.false_negatives.learn import labelled

    signals = pd.DataFrame({"qid": ["1", "12"], "did": ["23", "3"]})
    verdicts = pd.DataFrame({"qid": ["1"], "did": ["23"], "verdict": ["false_negative"]})
    rows, y = labelled(signals, verdicts)
    assert rows.tolist() == [0] and y.tolist() == [1]
