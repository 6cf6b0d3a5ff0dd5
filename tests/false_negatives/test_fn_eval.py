"""Ground-truth evaluation: hiding positives, the metrics against sklearn, a Cranfield slice."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score

from analysis.false_negatives.fn_eval import (
    evaluate_path,
    evaluate_pool,
    hide_positives,
    ranking_metrics,
    read_truth,
)
from analysis.formats import load
from analysis.model import DataError, NegativeSet


def test_ranking_metrics_on_known_arrays():
    y = np.array([1, 0, 1, 0, 0], dtype=bool)
    scores = {"good": np.array([0.9, 0.8, 0.7, 0.6, 0.5]),
              "with_nan": np.array([np.nan, 0.8, 0.7, 0.6, 0.5])}
    flags = {"good": np.array([1, 1, 1, 0, 0], dtype=bool)}
    table = ranking_metrics(y, scores, flags).set_index("ranking")
    # Ranked 1 0 1 0 0: precision 1/1 at the first hit, 2/3 at the second.
    assert table.loc["good", "ap"] == pytest.approx((1 + 2 / 3) / 2)
    assert table.loc["good", "ap"] == pytest.approx(average_precision_score(y, scores["good"]))
    # "Cannot judge" ranks last: 0 1 0 0 1 -> hits at 2 and 5: (1/2 + 2/5) / 2.
    assert table.loc["with_nan", "ap"] == pytest.approx((1 / 2 + 2 / 5) / 2)
    assert table.loc["good", ["flagged", "hits"]].tolist() == [3, 2]
    assert table.loc["good", "precision"] == pytest.approx(2 / 3) and table.loc["good", "recall"] == 1.0
    assert table.loc["with_nan", "flagged"] == -1 and np.isnan(table.loc["with_nan", "precision"])


def test_hide_positives_on_cranfield(cranfield_dir):
    nset = load(cranfield_dir)
    reduced, hidden = hide_positives(nset)
    per_query = reduced.pairs.groupby("qid", observed=True)["label"].agg(["size", "sum"])
    assert (per_query["size"] == 1).all() and (per_query["sum"] == 1).all()
    assert len(per_query) == 225 and len(hidden) == 1612 - 225
    # cranqrel order: query 1 lists 184, 29, 31, 12, ... -> 184 is kept, the rest hidden.
    first = reduced.pairs[reduced.pairs["qid"] == "1"]
    assert first["did"].astype(str).tolist() == ["184"]
    assert hidden[hidden["qid"] == "1"]["did"].tolist()[:3] == ["29", "31", "12"]


def _cranfield_slice(cranfield_dir, num_queries=5, num_docs=150):
    """The first queries, the first documents plus every relevant document of those queries."""
    nset = load(cranfield_dir)
    qids = nset.queries["qid"].iloc[:num_queries]
    pairs = nset.pairs[nset.pairs["qid"].isin(qids) & (nset.pairs["label"] == 1)]
    dids = set(nset.docs["did"].iloc[:num_docs]) | set(pairs["did"].astype(str))
    docs = nset.docs[nset.docs["did"].isin(dids)]
    return NegativeSet(nset.queries[nset.queries["qid"].isin(qids)], docs,
                       pairs.astype({"qid": str, "did": str}))


@pytest.mark.slow
def test_evaluation_on_a_cranfield_slice_matches_sklearn(cranfield_dir):
    from analysis.scoring.encode import load_encoder
    from analysis.scoring.pool import build_pool

    reduced, hidden = hide_positives(_cranfield_slice(cranfield_dir))
    encoder = load_encoder()
    pool = build_pool(reduced, model=encoder, top_n=20)
    doc_emb = encoder.embed(pool.docs["text"], role="document")
    table, suspects = evaluate_pool(pool, hidden, doc_embeddings=doc_emb)
    table = table.set_index("ranking")
    # The truth column, recomputed from the pool independently.
    rows = pool.pairs[(pool.pairs["source"] == "pool") & (pool.pairs["label"] == 0)]
    keys = set(zip(rows["qid"].astype(str), rows["did"].astype(str)))
    in_pool = keys & set(zip(hidden["qid"], hidden["did"]))
    beyond = int(((pool.pairs["source"] == "pool") & (pool.pairs["rank"] > 20)).sum())
    assert len(suspects) == len(rows) == 5 * 20 - 5 + beyond
    assert int(suspects["truth"].sum()) == len(in_pool) > 0
    y = suspects["truth"].to_numpy()
    assert table.loc["raw score (baseline)", "ap"] == pytest.approx(
        average_precision_score(y, suspects["score"]))
    for name in ("risk", "margin", "near_duplicate", "same_cluster"):
        column = "risk" if name == "risk" else f"{name}_score"
        flag = suspects["is_suspect" if name == "risk" else f"is_{name}_issue"].to_numpy()
        assert table.loc[name, "ap"] == pytest.approx(average_precision_score(y, suspects[column]))
        assert table.loc[name, "hits"] == int((flag & y).sum())
        assert table.loc[name, "recall"] == pytest.approx((flag & y).sum() / y.sum())
    budget = int(suspects["is_suspect"].sum())
    assert table.loc["raw score (baseline)", "flagged"] == budget
    assert table.loc["random (prevalence)", "ap"] == pytest.approx(y.mean())


def _tiny_beir(root):
    root.mkdir()
    docs = {"d1": "Sourdough starter needs daily feeding with flour and water.",
            "d2": "Feed a sourdough starter every day with equal flour and water.",
            "d3": "Espresso needs finely ground coffee and nine bars of pressure.",
            "d4": "A bicycle chain should be cleaned and oiled every few hundred miles.",
            "d5": "Tomatoes want full sun and deep, regular watering."}
    with open(root / "corpus.jsonl", "w") as f:
        for did, text in docs.items():
            f.write(json.dumps({"_id": did, "title": "", "text": text}) + "\n")
    with open(root / "queries.jsonl", "w") as f:
        f.write(json.dumps({"_id": "q1", "text": "how often do I feed a sourdough starter"}) + "\n")
        f.write(json.dumps({"_id": "q2", "text": "how do I look after a bike chain"}) + "\n")
    (root / "qrels").mkdir()
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td4\t1\n")
    (root / "ground_truth").mkdir()
    (root / "ground_truth" / "unlabelled_positives.tsv").write_text("query-id\tcorpus-id\nq1\td2\n")
    return root


@pytest.mark.slow
def test_evaluate_path_with_planted_positives(tmp_path):
    root = _tiny_beir(tmp_path / "tiny")
    result = evaluate_path(root, top_n=5)
    assert result.dataset == "tiny" and result.false_negatives_total == 1
    assert result.false_negatives_in_pool == 1 and result.negatives == 2 * 4
    text = result.render()
    assert "risk" in text and "raw score (baseline)" in text and "1 of 1 known false negatives" in text
    nset = load(root)
    (root / "bad.tsv").write_text("query-id\tcorpus-id\nq1\td2\nq1\tnope\n")
    with pytest.raises(DataError, match=r"bad.tsv, line 3, field \"did\""):
        read_truth(root / "bad.tsv", nset)
    with pytest.raises(DataError, match="not found"):
        evaluate_path(root, truth=root / "missing.tsv")
    assert pd.api.types.is_string_dtype(read_truth(root / "ground_truth" / "unlabelled_positives.tsv",
                                                   nset)["did"])
