"""The estimate recomputed from the review store: a hand-checked case (interval compared with
scipy), the in-place migration of a version-2 store, draws logged by the queue, and the CLI."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.cli import main
from analysis.false_negatives.estimate import MIN_DRAWS, describe, stored_estimate
from analysis.false_negatives.queue import ReviewQueue
from analysis.false_negatives.review import ReviewStore

KEYS = np.array([f"q\0d{i}" for i in range(10)], dtype=object)
INSIDE = np.arange(10) < 6          # A = d0 .. d5


@pytest.fixture
def store(tmp_path):
    store = ReviewStore(tmp_path / "reviews.sqlite")
    store.mark("q", "d0", "false_negative")                     # review mark: known, not a draw
    store.mark("q", "d1", "true_negative", draw=(0.2, 0.1))
    store.mark("q", "d2", "false_negative", draw=(0.25, 0.6))
    store.mark("q", "d3", "false_negative")                     # the queue's top pick
    store.mark("q", "d7", "false_negative", draw=(0.5, 0.4))    # outside A
    store.mark("q", "d4", "true_negative", draw=(0.1, 0.05))
    store.mark("other", "x", "false_negative", draw=(0.5, 0.5))  # not a negative of the data
    return store


def test_hand_checked_case_and_scipy_interval(store):
    # Z per draw (A = d0..d5): d1: S=1 -> 1; d2: S=1 + 1/0.25 = 5; d7: S=3, outside -> 3; d4: 3
    est = stored_estimate(store.design_log(), store.all(), KEYS, INSIDE)
    z = np.array([1.0, 5.0, 3.0, 3.0])
    low, high = stats.norm.interval(0.95, loc=z.mean(), scale=z.std(ddof=1) / np.sqrt(len(z)))
    assert est["unclipped"] == pytest.approx((low, 3.0, high))
    assert (low, high) == pytest.approx((1.39970, 4.60030), abs=1e-4)
    # clipped to [known false negatives of A (3), known + unanswered of A (3 + 1)]
    assert (est["count"], est["count_low"], est["count_high"]) == (3.0, 3.0, 4.0)
    assert (est["share"], est["low"], est["high"]) == pytest.approx((0.5, 0.5, 4 / 6))
    assert (est["draws"], est["verdicts"], est["known_verdicts"], est["population"]) == (4, 5, 1, 6)
    assert not est["enough"] and "needs 10 answered random draws" in describe(est)
    assert est["hits"] == 1                  # d2; d7 is outside A
    est.update(enough=True, hits=0)
    assert describe(est).endswith("so the interval's upper end is not reliable.")
    # all ten negatives: d7 is inside now; Z = 1, 5, 3 + 1/0.5, S=4 -> 4
    whole = stored_estimate(store.design_log(), store.all(), KEYS)
    assert whole["unclipped"][1] == pytest.approx(15 / 4)
    empty = stored_estimate(store.design_log(), store.all(), KEYS, np.zeros(10, dtype=bool))
    assert not empty["enough"] and describe(empty, "x").endswith("it holds no negatives.")


def test_current_verdicts_count_and_unsure_draws_are_left_out(store):
    store.mark("q", "d2", "unsure")          # a correction: the draw on d2 has no answer now
    est = stored_estimate(store.design_log(), store.all(), KEYS, INSIDE)
    assert est["unanswered"] == 1 and est["draws"] == 3
    assert est["unclipped"][1] == pytest.approx((1 + 2 + 2) / 3)   # S drops d2's false negative
    store.undo("q", "d4")                     # undo removes the draw with its verdict
    assert stored_estimate(store.design_log(), store.all(), KEYS, INSIDE)["draws"] == 2


def test_a_version_2_store_is_migrated_in_place(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript("""
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE decisions (qid TEXT NOT NULL, did TEXT NOT NULL, verdict TEXT NOT NULL,
                reviewer TEXT, marked_at TEXT NOT NULL, previous TEXT, PRIMARY KEY (qid, did)) WITHOUT ROWID;
            CREATE TABLE history (id INTEGER PRIMARY KEY AUTOINCREMENT, qid TEXT NOT NULL,
                did TEXT NOT NULL, verdict TEXT, reviewer TEXT, marked_at TEXT NOT NULL,
                prev_verdict TEXT, prev_reviewer TEXT, prev_marked_at TEXT, prev_previous TEXT);
            INSERT INTO meta VALUES ('format', 'neglens-review'), ('version', '2');
            INSERT INTO decisions VALUES ('q', 'd0', 'false_negative', NULL, '2026-01-01T00:00:00+00:00', NULL);
            INSERT INTO history (qid, did, verdict, marked_at) VALUES ('q', 'd0', 'false_negative', '2026-01-01T00:00:00+00:00');
        """)
    con.close()
    store = ReviewStore(path)
    store.mark("q", "d1", "true_negative", draw=(0.5, 0.2))
    log = store.design_log()
    assert log["verdict"].tolist() == ["false_negative", "true_negative"]
    assert np.isnan(log["chance"].iat[0]) and log["chance"].iat[1] == 0.5   # old verdicts: not drawn
    with sqlite3.connect(path) as con:
        assert dict(con.execute("SELECT key, value FROM meta"))["version"] == "3"
    con.close()
    assert store.undo("q", "d1") is None and store.get("q", "d0") == "false_negative"


def test_queue_draws_stored_give_an_estimate_that_covers_the_truth(tmp_path):
    rng = np.random.default_rng(1)
    n = 2000
    y = rng.random(n) < 0.1
    score = rng.normal(0.5, 0.1, n) + 0.12 * y
    risk = 1 / (1 + np.exp(-(score - 0.75) / 0.03))
    table = pd.DataFrame({"qid": (np.arange(n) % 50).astype(str), "did": np.arange(n).astype(str),
                          "rank": 1, "score": score, "gap": 0.8 - score, "risk": risk})
    keys = (table["qid"] + "\0" + table["did"]).to_numpy(dtype=object)
    covered = 0
    for seed in range(5):
        store = ReviewStore(tmp_path / f"s{seed}.sqlite")
        queue = ReviewQueue(table, explore=0.5, refit_every=25, seed=seed)
        for _ in range(120):
            row = queue.next()
            verdict = "false_negative" if y[row] else "true_negative"
            step = queue.current
            queue.answer(verdict)
            draw = None if np.isnan(step.chance) else (step.chance, step.p)
            store.mark(table["qid"].iat[row], table["did"].iat[row], verdict, draw=draw)
        est = stored_estimate(store.design_log(), store.all(), keys)
        assert est["enough"] and est["draws"] >= MIN_DRAWS
        covered += est["count_low"] <= y.sum() <= est["count_high"]
    assert covered >= 4


def test_cli_review_estimate_json(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))  # a review store of its own
    from analysis.formats.pool import write_pool
    from analysis.scoring.synthetic import make_pool

    data = write_pool(make_pool(num_queries=5, pool_size=8), tmp_path / "pool.parquet")
    assert main(["review", "estimate", str(data), "--json"]) == 0
    empty = json.loads(capsys.readouterr().out)["all_negatives"]
    assert empty["draws"] == 0 and empty["count"] is None and not empty["enough"]
    from analysis.cli.review import review_candidates

    negatives = review_candidates(str(data)).pairs.query("label == 0")
    store = ReviewStore.for_data(data)
    for i, row in enumerate(negatives.head(12).itertuples()):
        store.mark(row.qid, row.did, "false_negative" if i % 4 == 0 else "true_negative",
                   draw=(0.02, 0.1))
    assert main(["review", "estimate", str(data), "--strategy", "top_k:num_negatives=2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    whole = out["all_negatives"]
    assert whole["draws"] == 12 and whole["enough"] and whole["estimator"].startswith("sequential Horvitz")
    assert whole["low"] <= whole["share"] <= whole["high"]
    assert set(out["strategies"]) == {"top_k:num_negatives=2"}
    assert out["strategies"]["top_k:num_negatives=2"]["population"] == 10
    assert main(["review", "estimate", str(data)]) == 0
    assert capsys.readouterr().out.startswith("Estimated false negatives among all negatives")
