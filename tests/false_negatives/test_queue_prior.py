"""The review queue with a false-negative share known before the first review (issue 24): a
smaller random share, refits shrunk toward the prior, and an estimate that stays unbiased."""

from __future__ import annotations

import numpy as np

from analysis.false_negatives.estimate import queue_estimate
from analysis.false_negatives.fn_share import FnShare
from analysis.false_negatives.queue import EXPLORE, EXPLORE_WITH_PRIOR, ReviewQueue
from tests.false_negatives.test_review_queue import answer_all, fixture

PRIOR = FnShare(share=0.1, low=0.07, high=0.13, negatives=3000)


def test_a_known_share_shrinks_the_random_share_but_never_to_zero():
    table, _ = fixture()
    assert ReviewQueue(table).explore == EXPLORE
    with_prior = ReviewQueue(table, prior_share=PRIOR)
    assert with_prior.explore == EXPLORE_WITH_PRIOR and 0 < with_prior.explore < EXPLORE
    assert with_prior.uncertain_every == 0
    assert ReviewQueue(table, prior_share=PRIOR, explore=0.3).explore == 0.3


def test_refits_are_shrunk_toward_the_prior():
    table, y = fixture()
    free = ReviewQueue(table, refit_every=1000, seed=1)
    held = ReviewQueue(table, refit_every=1000, seed=1, prior_share=PRIOR, prior_strength=50)
    for queue in (free, held):
        answer_all(queue, y, 50)
        queue.refit_now()
    logit = lambda p: np.log(np.clip(p, 1e-6, 1 - 1e-6)) - np.log1p(-np.clip(p, 1e-6, 1 - 1e-6))
    prior = logit(held.snapshots[0])
    # 50 verdicts, strength 50: half-way between the prior and the refit, in log-odds
    refit_held = logit(held._refit(held.signals, held.verdicts()).predict(held.signals))
    np.testing.assert_allclose(logit(held.prob), prior + 0.5 * (refit_held - prior), atol=1e-6)
    assert not np.allclose(free.prob, held.prob)


def test_estimate_with_a_prior_stays_unbiased():
    table, y = fixture(rate=0.1, seed=4)
    estimates = []
    for seed in range(12):
        queue = ReviewQueue(table, seed=seed, prior_share=PRIOR)
        answer_all(queue, y, 150)
        estimates.append(queue_estimate(queue)["share"])
    # design-consistent: the seeds' mean is within three standard errors of the truth
    sem = np.std(estimates, ddof=1) / np.sqrt(len(estimates))
    assert abs(np.mean(estimates) - y.mean()) < 3 * sem < 0.08
