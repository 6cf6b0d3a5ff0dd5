"""Training data out: hand-checked rows in every format, read back by datasets and pandas."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.export.training_data import (
    FORMATS,
    resolve_format,
    training_set,
    write_training_data,
)
from analysis.model import DataError, NegativeSet
from analysis.strategies import create

Q = {"q1": "what is a dobsonian", "q2": "how often to water tomatoes", "q3": "a query with no candidates"}
D = {f"d{i}": text for i, text in enumerate(
    ["A dobsonian is a newtonian telescope on a simple alt-azimuth mount.",
     "Dobsonian mounts were popularised by John Dobson.", "Refractors use lenses.",
     "Binoculars are a fine first telescope.", "Water tomatoes deeply twice a week.",
     "Tomatoes split when watering is irregular.", "Basil likes the same soil.",
     "Lonely positive."], start=1)}
ROWS = [  # qid, did, label, rank, score
    ("q1", "d2", 0, 1, 0.85), ("q1", "d1", 1, 2, 0.80), ("q1", "d3", 0, 3, 0.60), ("q1", "d4", 0, 4, 0.50),
    ("q2", "d5", 1, 1, 0.90), ("q2", "d6", 0, 2, 0.70), ("q2", "d7", 0, 3, 0.40),
    ("q3", "d8", 1, 1, 0.70),
]


@pytest.fixture(scope="module")
def pool() -> NegativeSet:
    pairs = pd.DataFrame(ROWS, columns=["qid", "did", "label", "rank", "score"]).assign(source="pool")
    return NegativeSet(pd.DataFrame({"qid": list(Q), "text": list(Q.values())}),
                       pd.DataFrame({"did": list(D), "text": list(D.values())}), pairs, format="pool")


@pytest.fixture(scope="module")
def top2(pool):
    """top_k with 2 negatives: q1 gets d2, d3; q2 gets d6, d7; q3 has none: its positive stays in
    the training set and the writers leave it out of every layout but labeled-pair, as
    mine_hard_negatives does."""
    selection = create("top_k", num_negatives=2).select(pool, np.random.default_rng(0))
    data, notes = training_set(pool, selection)
    assert notes == []
    return data


def load_json(path, tmp_path, kind="json"):
    from datasets import load_dataset

    return load_dataset(kind, data_files=str(path), split="train", cache_dir=str(tmp_path / "hf"))


def test_triplets(top2, tmp_path):
    assert "q3" in set(top2.pairs["qid"].astype(str))
    path, notes = write_training_data(top2, tmp_path / "t.jsonl", format="sentence-transformers")
    assert notes == ["left out 1 queries that have no negative"]
    rows = load_json(path, tmp_path).to_list()
    assert rows == [
        {"anchor": Q["q1"], "positive": D["d1"], "negative": D["d2"]},
        {"anchor": Q["q1"], "positive": D["d1"], "negative": D["d3"]},
        {"anchor": Q["q2"], "positive": D["d5"], "negative": D["d6"]},
        {"anchor": Q["q2"], "positive": D["d5"], "negative": D["d7"]},
    ]


def test_triplets_in_parquet_with_scores(top2, tmp_path):
    path, _ = write_training_data(top2, tmp_path / "t.parquet", format="sentence-transformers/triplet",
                                  scores=True)
    table = load_json(path, tmp_path, "parquet")
    assert table.column_names == ["anchor", "positive", "negative", "scores"]
    np.testing.assert_allclose(table["scores"], [[0.8, 0.85], [0.8, 0.6], [0.9, 0.7], [0.9, 0.4]],
                               rtol=1e-6)
    assert pd.read_parquet(path)["negative"].tolist() == [D["d2"], D["d3"], D["d6"], D["d7"]]


def test_n_tuples_are_one_width(pool, tmp_path):
    selection = create("top_k", num_negatives=3).select(pool, np.random.default_rng(0))
    data, _ = training_set(pool, selection)
    path, notes = write_training_data(data, tmp_path / "n.parquet", format="sentence-transformers/n-tuple",
                                      num_negatives=3)
    assert notes == ["left out 1 queries that have no negative",
                     "left out 1 queries that have fewer than 3 negatives (n-tuple rows are all 3 "
                     "negatives wide)"]
    rows = load_json(path, tmp_path, "parquet").to_list()
    assert rows == [{"anchor": Q["q1"], "positive": D["d1"], "negative_1": D["d2"],
                     "negative_2": D["d3"], "negative_3": D["d4"]}]


def test_labeled_pairs_and_lists(top2, tmp_path):
    path, notes = write_training_data(top2, tmp_path / "p.jsonl", format="sentence-transformers/labeled-pair")
    assert notes == []
    pairs = load_json(path, tmp_path).to_pandas()
    assert pairs["label"].tolist() == [1, 0, 0, 1, 0, 0, 1]  # q3's positive, as sentence-transformers
    assert pairs["positive"].tolist()[:3] == [D["d1"], D["d2"], D["d3"]]
    path, notes = write_training_data(top2, tmp_path / "l.jsonl", format="sentence-transformers/labeled-list")
    assert notes == ["left out 1 queries that have no negative"]
    lists = load_json(path, tmp_path).to_list()
    assert lists[0] == {"anchor": Q["q1"], "positive": [D["d1"], D["d2"], D["d3"]], "labels": [1, 0, 0]}
    assert len(lists) == 2


def test_flagembedding_lines_carry_scores(top2, tmp_path):
    path, _ = write_training_data(top2, tmp_path / "fe.jsonl", format="flagembedding")
    frame = pd.read_json(path, lines=True)
    assert frame["query"].tolist() == [Q["q1"], Q["q2"]]
    assert frame["pos"].tolist() == [[D["d1"]], [D["d5"]]]
    assert frame["neg"].tolist() == [[D["d2"], D["d3"]], [D["d6"], D["d7"]]]
    np.testing.assert_allclose(frame["neg_scores"][0], [0.85, 0.6], rtol=1e-6)
    np.testing.assert_allclose(frame["pos_scores"][1], [0.9], rtol=1e-6)
    assert load_json(path, tmp_path).column_names == ["query", "pos", "neg", "pos_scores", "neg_scores"]
    path, _ = write_training_data(top2, tmp_path / "fe2.jsonl", format="flagembedding", scores=False)
    assert list(pd.read_json(path, lines=True).columns) == ["query", "pos", "neg"]


def test_tevatron_layouts(top2, tmp_path):
    path, _ = write_training_data(top2, tmp_path / "tev.jsonl", format="tevatron")
    rows = load_json(path, tmp_path).to_list()
    assert rows[0]["query_id"] == "q1" and rows[0]["query"] == Q["q1"]
    assert [p["docid"] for p in rows[0]["positive_passages"]] == ["d1"]
    assert [p["text"] for p in rows[1]["negative_passages"]] == [D["d6"], D["d7"]]
    folder, _ = write_training_data(top2, tmp_path / "tevnew", format="tevatron/new")
    train = pd.read_json(folder / "train.jsonl", lines=True)
    assert train["negative_document_ids"].tolist() == [["d2", "d3"], ["d6", "d7"]]
    corpus = pd.read_json(folder / "corpus.jsonl", lines=True, dtype={"docid": str})
    assert set(corpus["docid"]) >= {"d1", "d2", "d3", "d5", "d6", "d7"}
    with pytest.raises(DataError, match="Tevatron files carry no scores"):
        write_training_data(top2, tmp_path / "x.jsonl", format="tevatron", scores=True)


@pytest.mark.parametrize("action", ["drop", "promote"])
def test_decisions_drop_or_promote_false_negatives(pool, tmp_path, action):
    selection = create("top_k", num_negatives=2).select(pool, np.random.default_rng(0))
    decisions = [{"qid": "q1", "did": "d2", "verdict": "false_negative", "time": "t"},
                 {"qid": "q2", "did": "d6", "verdict": "true_negative", "time": "t"},
                 {"qid": "q2", "did": "d4", "verdict": "false_negative", "time": "t"}]
    data, notes = training_set(pool, selection, decisions=decisions, false_negatives=action)
    done = "dropped" if action == "drop" else "promoted to positives"
    assert notes == [f"review: 1 false negatives {done}, 1 negatives confirmed or unsure kept",
                     "review: 1 decisions name pairs that are not chosen negatives of this "
                     "selection (not applied)"]
    path, _ = write_training_data(data, tmp_path / "fe.jsonl", format="flagembedding")
    first = json.loads(path.read_text().splitlines()[0])
    assert first["neg"] == [D["d3"]]
    assert first["pos"] == ([D["d1"]] if action == "drop" else [D["d2"], D["d1"]])


def test_formats_are_named_and_checked():
    assert resolve_format("sentence-transformers") == ("sentence-transformers/triplet", "triplet")
    assert resolve_format("tevatron") == ("tevatron/legacy", "legacy")
    assert resolve_format("flagembedding") == ("flagembedding", None)
    assert len(FORMATS) == 7
    with pytest.raises(DataError, match="cannot write training data as 'beir'"):
        resolve_format("beir")
    with pytest.raises(DataError, match="false_negatives must be one of"):
        training_set(None, None, false_negatives="keep")


def test_queries_a_layout_cannot_hold_are_left_out_and_counted(pool, tmp_path):
    """A query whose only negatives a review dropped, or a set with positives alone."""
    selection = create("top_k", num_negatives=1).select(pool, np.random.default_rng(0))
    data, _ = training_set(pool, selection, decisions=[
        {"qid": "q2", "did": "d6", "verdict": "false_negative", "time": "t"}])
    path, notes = write_training_data(data, tmp_path / "t.jsonl", format="sentence-transformers")
    assert notes == ["left out 2 queries that have no negative"]  # q2 after the review, q3
    assert [json.loads(line)["anchor"] for line in path.read_text().splitlines()] == [Q["q1"]]
    path, notes = write_training_data(data, tmp_path / "p.jsonl",
                                      format="sentence-transformers/labeled-pair")
    assert notes == [] and len(path.read_text().splitlines()) == 4  # q2's and q3's positives
    only = pool.with_pairs(pool.pairs[pool.pairs["qid"].astype(str) == "q3"].reset_index(drop=True))
    with pytest.raises(DataError, match="no query can be written as sentence-transformers/triplet"):
        write_training_data(only, tmp_path / "t.jsonl", format="sentence-transformers")
