"""The judge's workspace glue: which pairs it scores, where they are kept, how they enter the risk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.false_negatives.risk import prior_risk
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


def test_with_judge_aligns_scores_to_rows_and_recomputes_the_risk():
    from analysis.workspace.browse import suspects

    pool = make_pool(num_queries=6, pool_size=5, seed=3)
    table = suspects(pool)
    pairs = jg.judge_pairs(pool)
    scores = pairs.assign(judge=np.arange(len(pairs), dtype=np.float32)).iloc[:-2]  # two missing
    out = jg.with_judge(table, scores)
    lookup = dict(zip(scores["qid"] + "/" + scores["did"], scores["judge"]))
    expected = [lookup.get(f"{q}/{d}", np.nan) for q, d in zip(table["qid"].astype(str),
                                                               table["did"].astype(str))]
    np.testing.assert_array_equal(out["judge"].to_numpy(), np.array(expected, dtype=np.float32))
    np.testing.assert_allclose(out["risk"].to_numpy(), prior_risk(out))
    assert (out["is_suspect"] == (out["risk"] >= 0.15)).all()
    assert len(out) == len(table) and "judge" not in table      # the input is not changed


@pytest.mark.slow
def test_a_real_judge_scores_the_pairs_as_sentence_transformers_does(tmp_path):
    from sentence_transformers import SentenceTransformer

    from analysis.scoring.encode import default_model_path

    path = default_model_path()
    nset = tiny()
    plan = jg.judge_plan(nset, path)
    assert plan.pairs == 5 and plan.kind == "bi-encoder"
    got = jg.ensure_scores(nset, "key", path, cache_dir=tmp_path)
    model = SentenceTransformer(path, device="cpu")
    q = model.encode(["red apples", "red apples", "red apples", "blue sky", "blue sky"],
                     normalize_embeddings=True)
    d = model.encode(["apples are red", "pears", "sky at night", "apples are red",
                      "the sky is blue"], normalize_embeddings=True)
    np.testing.assert_allclose(got["judge"].to_numpy(), (q * d).sum(axis=1), atol=1e-5)
