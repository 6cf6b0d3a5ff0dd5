"""The judge's workspace glue: which pairs it scores, where they are kept, how they enter the risk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.model import NegativeSet
from analysis.scoring.synthetic import make_pool
from analysis.workspace import judging as jg


def tiny() -> NegativeSet:
    """Two queries; d1 is q1's positive, and a negative of q2; d2 appears twice for q1 (two
    sources): hand-checked pairs (q1,d1,1) (q1,d2,0) (q1,d3,0) (q2,d1,0) (q2,d4,1)."""
    queries = pd.DataFrame({"qid": ["q1", "q2"], "text": ["red apples", "blue sky"]})
    docs = pd.DataFrame({"did": ["d1", "d2", "d3", "d4"],
                         "text": ["apples are red", "pears", "sky at night", "the sky is blue"]})
    pairs = pd.DataFrame({"qid": ["q1", "q1", "q1", "q1", "q2", "q2"],
                          "did": ["d1", "d2", "d2", "d3", "d1", "d4"],
                          "label": [1, 0, 0, 0, 0, 1],
                          "source": ["pool", "pool", "file.jsonl", "pool", "pool", "pool"],
                          "rank": [1, 2, 2, 3, 2, 1],
                          "score": [0.9, 0.5, 0.5, 0.4, 0.6, 0.8]})
    return NegativeSet(queries=queries, docs=docs, pairs=pairs)


def test_judge_pairs_are_each_distinct_pair_once_with_its_label():
    got = jg.judge_pairs(tiny())
    assert list(zip(got["qid"], got["did"], got["label"])) == [
        ("q1", "d1", 1), ("q1", "d2", 0), ("q1", "d3", 0), ("q2", "d1", 0), ("q2", "d4", 1)]


def test_kept_scores_are_keyed_by_candidates_and_judge(tmp_path):
    a = jg.scores_file("sha|file", "default", cache_dir=tmp_path)
    assert a == jg.scores_file("sha|file", " default ", cache_dir=tmp_path)
    assert a != jg.scores_file("sha|file#sample=5,seed=0", "default", cache_dir=tmp_path)
    assert a != jg.scores_file("sha|file", "cross-encoder/x", cache_dir=tmp_path)
    assert jg.kept_scores("sha|file", "default", cache_dir=tmp_path) is None
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    before = jg.scores_file("sha|file", str(model), cache_dir=tmp_path)
    (model / "config.json").write_text('{"changed": 1}')     # replaced weights: a new key
    assert jg.scores_file("sha|file", str(model), cache_dir=tmp_path) != before
    a.parent.mkdir(parents=True)
    a.write_bytes(b"not parquet")           # torn or foreign: treated as missing, never raised
    assert jg.kept_scores("sha|file", "default", cache_dir=tmp_path) is None


def test_scores_are_kept_and_read_back_without_scoring_again(tmp_path, monkeypatch):
    import analysis.scoring.judge as judge

    calls = []

    def fake(name, pairs, queries, docs, **_):
        calls.append(len(pairs))             # a stand-in judge: the length of the document text
        return np.array([len(docs[d]) for d in pairs["did"]], dtype=np.float32)

    monkeypatch.setattr(judge, "judge_scores", fake)
    first = jg.ensure_scores(tiny(), "key", "fake", cache_dir=tmp_path)
    assert calls == [5]
    assert first["judge"].tolist() == [14.0, 5.0, 12.0, 14.0, 15.0]  # len of d1 d2 d3 d1 d4
    again = jg.ensure_scores(tiny(), "key", "fake", cache_dir=tmp_path)
    assert calls == [5] and again.equals(first)
    assert not list(jg.scores_file("key", "fake", cache_dir=tmp_path).parent.glob(".*.tmp"))


def test_with_judge_takes_the_judge_column_and_the_evidence_risk_row_by_row():
    from analysis.false_negatives.evidence import pool_evidence
    from analysis.false_negatives.fn_share import evidence_risk
    from analysis.workspace.browse import suspects

    pool = make_pool(num_queries=20, pool_size=8, seed=3)
    table = suspects(pool)
    pairs = jg.judge_pairs(pool)
    rng = np.random.default_rng(0)
    scores = pairs.assign(judge=rng.normal(size=len(pairs)).astype(np.float32))
    out = jg.with_judge(table, jg.evidence(pool, scores, "j"), "j")
    # what the library gives with that judge column, by hand
    expected = pool_evidence(pool)
    expected["judge:j"] = scores["judge"].to_numpy()          # same (qid, did) order
    expected = evidence_risk(expected).set_index(["qid", "did"])
    keys = list(zip(table["qid"].astype(str), table["did"].astype(str)))
    np.testing.assert_allclose(out["risk"].to_numpy(), expected.loc[keys, "risk"].to_numpy())
    np.testing.assert_array_equal(out["is_suspect"].to_numpy(),
                                  expected.loc[keys, "is_suspect"].to_numpy())
    np.testing.assert_array_equal(out["judge"].to_numpy(),
                                  expected.loc[keys, "judge:j"].to_numpy(dtype=np.float32))
    assert len(out) == len(table) and "judge" not in table      # the input is not changed
    assert not np.allclose(out["risk"].to_numpy(), table["risk"].to_numpy())


def test_a_kept_judge_score_missing_for_a_pair_is_no_evidence_for_it():
    pool = make_pool(num_queries=5, pool_size=4, seed=1)
    scores = jg.judge_pairs(pool).assign(judge=np.float32(0.5)).iloc[:-1]
    table = jg.evidence(pool, scores, "j")
    assert np.isnan(table["judge:j"].iat[-1]) and table["judge:j"].iloc[:-1].eq(0.5).all()


def test_the_share_is_what_fn_share_of_set_gives_for_the_same_candidates():
    from analysis.false_negatives.fn_share import fn_share_of_set

    pool = make_pool(num_queries=60, pool_size=20, seed=5)
    assert jg.fn_share(jg.evidence(pool)) == fn_share_of_set(pool)
    assert jg.fn_share(jg.evidence(pool), seed=3) == fn_share_of_set(pool, seed=3)


@pytest.mark.slow
def test_a_real_judge_scores_the_pairs_as_sentence_transformers_does(tmp_path):
    from sentence_transformers import SentenceTransformer

    from analysis.scoring.encode import default_model_path

    path = default_model_path()
    nset = tiny()
    plan = jg.judge_plan(nset, path)
    assert plan.pairs == 5 and plan.kind == "bi-encoder"
    got = jg.ensure_scores(nset, "key", path, cache_dir=tmp_path)
    assert list(zip(got["qid"], got["did"])) == list(zip(jg.judge_pairs(nset)["qid"],
                                                         jg.judge_pairs(nset)["did"]))
    model = SentenceTransformer(path, device="cpu")
    q = model.encode(["red apples", "red apples", "red apples", "blue sky", "blue sky"],
                     normalize_embeddings=True)
    d = model.encode(["apples are red", "pears", "sky at night", "apples are red",
                      "the sky is blue"], normalize_embeddings=True)
    np.testing.assert_allclose(got["judge"].to_numpy(), (q * d).sum(axis=1), atol=1e-5)


@pytest.mark.slow
def test_with_a_kept_judge_the_share_is_fn_share_of_set_with_that_judge(tmp_path, monkeypatch):
    from analysis.false_negatives.fn_share import fn_share_of_set
    from analysis.scoring.encode import default_model_path

    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path))
    path = default_model_path()
    pool = make_pool(num_queries=12, pool_size=6, seed=2)
    kept = jg.ensure_scores(pool, "key", path)
    assert jg.fn_share(jg.evidence(pool, kept, path)) == fn_share_of_set(pool, judges=[path])
