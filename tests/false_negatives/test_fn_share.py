"""fn-share (analysis.false_negatives.fn_share): the share of false negatives before any review,
on a planted example where the truth is known, and its interval against scipy's bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.false_negatives.fn_share import (bootstrap_shares, estimate_fn_share, evidence_risk,
                                               mixture_share)
from analysis.model import DataError


def planted(n_queries=120, per_query=40, share=0.2, seed=3):
    """Each query: one labelled positive and ``per_query`` negatives, of which ``share`` are
    hidden positives drawn from the positives' score distribution (N(2, 0.5)); true negatives
    score N(0, 0.7). BM25 is noise. Returns (evidence, true share among negatives)."""
    rng = np.random.default_rng(seed)
    rows = []
    for q in range(n_queries):
        rows.append((f"q{q}", f"p{q}", 1, rng.normal(2, 0.5), False))
        hidden = rng.random(per_query) < share
        for i, h in enumerate(hidden):
            rows.append((f"q{q}", f"d{q}-{i}", 0, rng.normal(2, 0.5) if h else rng.normal(0, 0.7), h))
    e = pd.DataFrame(rows, columns=["qid", "did", "label", "score", "truth"])
    e["bm25"] = rng.random(len(e))
    e["in_pool"] = True
    return e, float(e.loc[e.label == 0, "truth"].mean())


def test_planted_share_is_found_and_covered():
    e, truth = planted()
    # the cut at 30% of the 120 labelled positives: 36 of them, few true negatives above it
    est = estimate_fn_share(e, order=e["score"].to_numpy(), n_boot=400, min_labelled=0.3)
    assert abs(est.share - truth) < 0.03
    assert est.low <= truth <= est.high
    assert est.negatives == int((e.label == 0).sum())
    assert est.low < est.share < est.high and est.high - est.low < 0.2


def test_no_false_negatives_gives_a_share_near_zero():
    e, _ = planted(share=0.0)
    est = estimate_fn_share(e, order=e["score"].to_numpy(), n_boot=200)
    assert est.share < 0.01 and est.low == 0.0


def test_default_ordering_is_the_symmetric_evidence_logit():
    e, truth = planted()
    est = estimate_fn_share(e, n_boot=200, min_labelled=0.3)   # score + bm25 fused by skill
    assert abs(est.share - truth) < 0.04
    risky = evidence_risk(e, share=est.share)
    neg = risky.label == 0
    assert abs(risky.loc[neg, "risk"].mean() - est.share) < 1e-6   # calibrated to the share
    assert risky.loc[neg & risky.truth, "risk"].mean() > 3 * risky.loc[neg & ~risky.truth, "risk"].mean()


def test_bootstrap_interval_matches_scipy():
    from scipy.stats import bootstrap

    e, _ = planted(n_queries=60, per_query=20, share=0.3, seed=5)
    order = np.argsort(-e["score"].to_numpy(), kind="stable")
    is_pos = e["label"].to_numpy()[order] == 1
    q_codes = pd.factorize(e["qid"].to_numpy()[order])[0]
    n_q = q_codes.max() + 1

    def statistic(queries):
        counts = np.bincount(queries.astype(int), minlength=n_q)
        return mixture_share(is_pos, counts[q_codes])[0]

    theirs = bootstrap((np.arange(n_q),), statistic, vectorized=False, n_resamples=3000,
                       method="percentile", confidence_level=0.95, random_state=11)
    ours = np.quantile(bootstrap_shares(is_pos, q_codes, n_boot=3000, seed=11), [0.025, 0.975])
    assert ours[0] == pytest.approx(theirs.confidence_interval.low, abs=0.02)
    assert ours[1] == pytest.approx(theirs.confidence_interval.high, abs=0.02)


def test_share_needs_positives_and_negatives():
    e, _ = planted(n_queries=5)
    with pytest.raises(DataError, match="labelled positives and negatives"):
        estimate_fn_share(e[e.label == 0], order=e.loc[e.label == 0, "score"].to_numpy())
    with pytest.raises(DataError, match="lacks column 'qid'"):
        estimate_fn_share(e.drop(columns="qid"))
