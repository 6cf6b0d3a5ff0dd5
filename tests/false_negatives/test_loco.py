"""Leave-one-collection-out (analysis.false_negatives.loco): the fit never sees the collection it
is reported on, and the evidence risk it fits is at least as good as the raw score on hand-made
collections where the answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.false_negatives.fusion import DEFAULT_RULE, RiskRule, positive_auc, risk_logit
from analysis.false_negatives.loco import fit_rule, loco, render


def collection(name, *, dense=2.0, lexical=0.0, share=0.2, n_queries=40, per_query=30, seed=0):
    """A hand-made collection: each query one labelled positive and ``per_query`` negatives, a
    ``share`` of them hidden relevant ones (``truth``). Relevant rows score ``dense`` higher on
    the file's score and ``lexical`` higher on log(1 + BM25), each with unit noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for q in range(n_queries):
        rel = np.r_[1, (rng.random(per_query) < share).astype(int)]
        for i, r in enumerate(rel):
            rows.append((f"{name}-q{q}", f"{name}-d{q}-{i}", int(i == 0), dense * r + rng.normal(),
                         np.expm1(max(0.0, 1.5 + lexical * r + rng.normal())), bool(r and i)))
    e = pd.DataFrame(rows, columns=["qid", "did", "label", "score", "bm25", "truth"])
    e["score"] = e["score"] / 10          # a cosine-like scale
    e["identity"] = 0.0
    e["in_pool"] = True
    return e


def _ap(e, values):
    from sklearn.metrics import average_precision_score

    neg = e["label"].to_numpy() == 0
    return average_precision_score(e["truth"].to_numpy()[neg], np.asarray(values)[neg])


def test_fit_never_sees_the_held_out_collection():
    collections = {n: collection(n, seed=i) for i, n in enumerate(["a", "b", "c", "d"])}
    seen = []

    def spy(training):
        seen.append({name: set(e["qid"].str.split("-").str[0]) for name, e in training.items()})
        return DEFAULT_RULE

    result = loco(collections, fit=spy, n_boot=20)
    assert list(result.table["collection"]) == ["a", "b", "c", "d"]
    for held, training in zip(collections, seen):
        assert held not in training and len(training) == 3
        assert all(prefixes == {name} for name, prefixes in training.items())  # no row leaked
    assert set(result.rules) == set(collections)


def test_the_fit_is_blind_to_the_held_out_truth():
    """Flipping the held-out collection's truth changes its reported figures, never its rule."""
    base = {n: collection(n, lexical=1.0 if n == "a" else 0.0, seed=i)
            for i, n in enumerate(["a", "b", "c"])}
    flipped = {**base, "a": base["a"].assign(truth=~base["a"]["truth"] & (base["a"]["label"] == 0))}
    one, two = loco(base, n_boot=20), loco(flipped, n_boot=20)
    assert one.rules["a"] == two.rules["a"]
    assert one.table.loc[0, "ap_risk"] != two.table.loc[0, "ap_risk"]


def test_bm25_counts_where_it_ranks_the_labelled_positives():
    weak_dense = collection("w", dense=0.3, lexical=2.0, seed=7)
    auc = {c: positive_auc(weak_dense, np.log1p(weak_dense[c]) if c == "bm25" else weak_dense[c])
           for c in ("score", "bm25")}
    assert auc["bm25"] > 0.8 > auc["score"]
    rule = RiskRule(gamma=1.0, beta={"score": 1.0, "judge": 1.0, "bm25": 1.0})
    assert _ap(weak_dense, risk_logit(weak_dense, rule)) > 1.5 * _ap(weak_dense, weak_dense["score"])


def test_loco_risk_is_at_least_the_raw_score_on_hand_made_collections():
    collections = {"dense": collection("dense", dense=3.0, seed=1),
                   "mixed": collection("mixed", dense=1.5, lexical=1.5, seed=2),
                   "lexical": collection("lexical", dense=0.5, lexical=2.5, seed=3),
                   "dense2": collection("dense2", dense=2.5, lexical=0.3, seed=4)}
    result = loco(collections, n_boot=50)
    table = result.table.set_index("collection")
    assert (table["ratio"] >= 0.99).all(), table["ratio"]
    assert table.loc["lexical", "ratio"] > 1.3
    assert (table["share"] - table["share_true"]).abs().max() < 0.1
    text = render(result)
    assert "risk AP >= raw on every collection" in text and "lexical" in text


def test_fit_rule_picks_from_the_grid_on_training_data_only():
    training = {n: collection(n, dense=0.5, lexical=2.5, seed=i) for i, n in enumerate("xy")}
    rule = fit_rule(training)
    assert rule.beta["bm25"] > 0            # lexical evidence is what ranks these
    assert 0 < rule.flag_of_share <= 1 and rule.min_labelled > 0


def test_risk_logit_needs_labels():
    with pytest.raises(ValueError, match="qid and label"):
        risk_logit(pd.DataFrame({"score": [0.1]}))
