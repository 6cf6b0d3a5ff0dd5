"""The file's candidates: a scored mined file ranked by its own scores, no model (DESIGN.md s. 2)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.formats import load
from analysis.measure.query_sample import sample_note, sample_queries
from analysis.model import DataError, NegativeSet
from analysis.scoring.file_rank import (
    FILE_RANK,
    as_candidates,
    candidate_counts,
    file_candidates,
    rank_kind,
)

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]
NTUPLE = REPO / "sample_data" / "mined" / "sentence_transformers_ntuple.jsonl"
FLAG = REPO / "sample_data" / "mined" / "flagembedding.jsonl"
TEVATRON = REPO / "sample_data" / "mined" / "tevatron.jsonl"


def hand_set() -> NegativeSet:
    """Two queries, hand-ranked: q1's positive scores below one negative; q2 has a NaN score."""
    queries = pd.DataFrame({"qid": ["q1", "q2"], "text": ["a", "b"]})
    docs = pd.DataFrame({"did": ["d1", "d2", "d3", "d4"], "text": ["w", "x", "y", "z"]})
    pairs = pd.DataFrame({"qid": ["q1", "q1", "q1", "q2", "q2", "q2"],
                          "did": ["d1", "d2", "d3", "d4", "d2", "d1"],
                          "label": [1, 0, 0, 1, 0, 0], "source": "f.jsonl", "rank": 0,
                          "score": [0.5, 0.9, 0.1, 0.8, np.nan, 0.3]})
    return NegativeSet(queries, docs, pairs)


def test_file_rank_orders_each_query_by_score_positives_included():
    ranked = file_candidates(hand_set())
    got = {(r.qid, r.did): r.rank for r in ranked.pairs.itertuples()}
    # q1: d2 0.9 -> 1, positive d1 0.5 -> 2, d3 0.1 -> 3; q2: d4 0.8, d1 0.3, NaN last
    assert got == {("q1", "d2"): 1, ("q1", "d1"): 2, ("q1", "d3"): 3,
                   ("q2", "d4"): 1, ("q2", "d1"): 2, ("q2", "d2"): 3}
    assert set(ranked.pairs["source"].astype(str)) == {"pool"}
    assert rank_kind(ranked) == FILE_RANK and ranked.meta["file_sources"] == ["f.jsonl"]
    assert candidate_counts(ranked) == {"queries": 2, "min": 2, "median": 2.0, "max": 2}


def test_a_file_without_scores_has_no_file_rank_and_says_what_to_do():
    nset = load(TEVATRON)
    assert as_candidates(nset) is None and rank_kind(nset) is None
    with pytest.raises(DataError, match="no scores.*pool"):
        file_candidates(nset)


@pytest.mark.parametrize("path", [NTUPLE, FLAG])
def test_mined_files_rank_by_their_own_scores(path):
    ranked = as_candidates(load(path))
    pairs = ranked.pairs
    assert pairs["rank"].min() == 1
    for _, group in pairs.groupby("qid", observed=True):
        assert list(group["rank"]) == list(range(1, len(group) + 1))
        assert (np.diff(group["score"].to_numpy()) <= 0).all()


def test_query_sample_is_seeded_and_stated():
    nset = as_candidates(load(FLAG))
    one, two, other = (sample_queries(nset, 10, seed=s) for s in (3, 3, 4))
    assert list(one.queries["qid"]) == list(two.queries["qid"]) != list(other.queries["qid"])
    assert len(one.queries) == 10 and one.pairs["qid"].nunique() == 10
    assert set(one.pairs["did"].astype(str)) == set(one.docs["did"])
    assert sample_note(one) == "a random sample of 10 of 120 queries (seed 3)"
    assert sample_queries(nset, 10_000) is nset and sample_note(nset) is None


def test_cli_compare_on_a_scored_file_says_file_rank_and_never_rank_zero(capsys):
    assert main(["compare", str(NTUPLE), "--strategy", "top_k", "--strategy", "random",
                 "--num-negatives", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rank"].startswith("rank = file rank")
    assert out["candidates_per_query"] == {"queries": 120, "min": 5, "median": 5.0, "max": 5}
    top_k = next(row for row in out["summary"] if row["selection"] == "top_k")
    # top_k takes the 3 best negatives; the positive is ranked 1 on every query of this file
    # unless a negative outscores it, so the mean file rank lies in [2, 4] and is never 0
    assert 2 <= top_k["mean_rank"] <= 4


def test_cli_compare_rankless_unscored_file_is_refused_with_the_fix(capsys):
    assert main(["compare", str(TEVATRON), "--strategy", "top_k"]) != 0
    assert "python -m analysis pool" in capsys.readouterr().err


def test_rank_words_name_the_file_rank():
    from analysis.scoring.file_rank import rank_label, say_rank

    assert say_rank("the top raw ranks; rank < 5; corpus rank 2; ranking", "file rank") == \
        "the top file ranks; file rank < 5; file rank 2; ranking"
    assert say_rank("raw rank 3", "rank") == "raw rank 3"
    assert rank_label(file_candidates(hand_set())) == "file rank"
