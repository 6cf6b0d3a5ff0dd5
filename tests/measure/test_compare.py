"""Comparison metrics on a hand-checked pool, and the ``compare`` command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.measure.compare import (
    histogram,
    overlap,
    pool_columns,
    selected_rows,
    summary,
)
from analysis.model import DataError, NegativeSet
from analysis.scoring.synthetic import make_pool
from analysis.strategies import create


def hand_pool() -> NegativeSet:
    rows = [("a", "n1", 0, 1, 0.9), ("a", "p", 1, 2, 0.8), ("a", "n2", 0, 3, 0.7),
            ("a", "n3", 0, 4, 0.5), ("b", "p2", 1, 1, 0.6), ("b", "n1", 0, 2, 0.58),
            ("b", "n4", 0, 3, 0.3)]
    pairs = pd.DataFrame(rows, columns=["qid", "did", "label", "rank", "score"]).assign(source="pool")
    return NegativeSet(pd.DataFrame({"qid": ["a", "b"], "text": ["qa", "qb"]}),
                       pd.DataFrame({"did": ["n1", "p", "n2", "n3", "p2", "n4"],
                                     "text": ["1", "p", "2", "3", "p2", "4"]}), pairs)


@pytest.fixture()
def pool():
    return hand_pool()


@pytest.fixture()
def selections(pool):
    rng = np.random.default_rng
    return {"top_k": create("top_k", num_negatives=2).select(pool, rng(0)),
            "range": create("range", range_min=1, range_max=3, sampling="top",
                            num_negatives=2).select(pool, rng(0))}


def test_pool_with_its_input_files_pairs_compares_its_pool_rows(pool):
    """A pool built from a mined file also holds that file's pairs under the file's name."""
    extra = pool.pairs[pool.pairs["did"].astype(str).isin(["p", "n3"])].assign(source="mined.jsonl")
    mixed = pool.with_pairs(pd.concat([pool.pairs, extra], ignore_index=True))
    columns = pool_columns(mixed)
    assert len(columns) == len(mixed.pairs)
    assert columns["neg_rank"].tolist() == [1, 0, 2, 3, 0, 1, 2, 0, 0]  # file rows: not candidates
    chosen = create("top_k", num_negatives=2).select(mixed, np.random.default_rng(0))
    assert set(mixed.pairs["source"].iloc[chosen.rows].astype(str)) == {"pool"}
    assert summary(mixed, {"top_k": chosen})["negatives"].tolist() == [4]


def test_pool_columns_derive_neg_rank_gap_and_suspects(pool):
    columns = pool_columns(pool)
    assert columns["neg_rank"].tolist() == [1, 0, 2, 3, 0, 1, 2]
    assert columns["gap"].to_numpy() == pytest.approx([-0.1, 0, 0.1, 0.3, 0, 0.02, 0.3], abs=1e-6)
    # margin rule: s_neg >= 0.95 * s_pos (0.76 for a, 0.57 for b); positives meet it trivially
    assert columns["suspect"].tolist() == [True, True, False, False, True, True, False]


def test_summary_hand_checked(pool, selections):
    table = summary(pool, selections).set_index("selection")
    top = table.loc["top_k"]
    assert (top["negatives"], top["coverage"], top["short_queries"]) == (4, 1.0, 0)
    assert top["mean_rank"] == 2.25 and top["mean_neg_rank"] == 1.5
    assert top["suspect_share"] == 0.5
    assert top["distinct_share"] == 0.75 and top["max_reuse"] == 2
    assert top["mean_reuse"] == pytest.approx(4 / 3)
    ranged = table.loc["range"]
    assert (ranged["negatives"], ranged["coverage"], ranged["short_queries"]) == (3, 0.5, 1)
    assert ranged["median_gap"] == pytest.approx(0.3)
    assert "cluster_entropy" not in table.columns


def test_overlap_is_the_jaccard_index_of_pairs(selections):
    matrix = overlap(selections)
    assert matrix.loc["top_k", "range"] == pytest.approx(2 / 5)
    assert matrix.loc["range", "top_k"] == matrix.loc["top_k", "range"]
    assert np.diag(matrix.to_numpy()).tolist() == [1.0, 1.0]


def test_selected_rows_and_histograms_are_tidy(pool, selections):
    rows = selected_rows(pool, selections)
    assert rows.groupby("selection", sort=False).size().to_dict() == {"top_k": 4, "range": 3}
    assert rows.loc[rows["selection"] == "range", "did"].astype(str).tolist() == ["n2", "n3", "n4"]
    hist = histogram(rows, "neg_rank", bins=3)
    assert set(hist.columns) == {"selection", "left", "right", "count", "share"}
    assert hist.groupby("selection")["count"].sum().to_dict() == {"range": 3, "top_k": 4}
    assert hist.groupby("selection")["share"].sum().to_numpy() == pytest.approx([1.0, 1.0])
    edges = hist.groupby("selection")["left"].apply(tuple)
    assert edges["range"] == edges["top_k"]


def test_cluster_entropy_is_the_mean_per_query_entropy():
    pool = make_pool(num_queries=50, pool_size=40, seed=1, num_clusters=8)
    balanced = create("cluster_balanced", num_negatives=4).select(pool, np.random.default_rng(0))
    table = summary(pool, {"balanced": balanced})
    assert table["cluster_entropy"].iloc[0] == pytest.approx(2.0)  # 4 distinct clusters each


def test_cluster_entropy_weighs_clusters_by_their_negatives():
    from analysis.measure.compare import _mean_entropy

    # query 0: clusters [1, 1, 2] -> H(2/3, 1/3) = 0.9183 bits; query 1: [5] -> 0 bits
    entropy = _mean_entropy(np.array([0, 0, 0, 1]), np.array([1, 1, 2, 5]))
    assert entropy == pytest.approx((0.918296 + 0.0) / 2, abs=1e-6)


def test_bad_input_is_a_located_error(pool, selections):
    with pytest.raises(DataError, match="no selection"):
        summary(pool, {})
    small = hand_pool().with_pairs(hand_pool().pairs.iloc[:3])
    with pytest.raises(DataError, match="not made on this pool"):
        summary(small, selections)
    with pytest.raises(DataError, match="no column"):
        histogram(selected_rows(pool, selections), "ce_score")


@pytest.fixture()
def pool_file(tmp_path):
    from analysis.formats import write

    return write(make_pool(num_queries=120, pool_size=40, seed=3), tmp_path / "pool.parquet",
                 format="pool")


def test_compare_command_prints_metrics_overlap_and_reports(pool_file, capsys):
    status = main(["compare", str(pool_file), "--strategy", "top_k", "--strategy",
                   "margin:relative_margin=0.05,range_min=1", "--strategy", "simans:a=80",
                   "--num-negatives", "4", "--seed", "3"])
    out = capsys.readouterr().out
    assert status == 0
    assert "margin:relative_margin=0.05,range_min=1" in out and "Jaccard overlap" in out
    assert "due to the relative_margin of 0.05" in out
    assert out.startswith("rank = corpus rank")  # the header says which rank the table shows
    negatives = next(line for line in out.splitlines() if line.startswith("negatives")).split()
    assert negatives[0] == "negatives" and negatives[1] == negatives[3] == "480"  # 120 x 4
    assert 0 < int(negatives[2]) < 480  # the margin leaves some queries short


def test_compare_command_json_is_reproducible(pool_file, capsys):
    argv = ["compare", str(pool_file), "--strategy", "random", "--strategy", "star:hard_fraction=0.5",
            "--num-negatives", "3", "--seed", "9", "--json"]
    main(argv)
    first = json.loads(capsys.readouterr().out)
    main(argv)
    assert json.loads(capsys.readouterr().out) == first
    assert first["strategies"]["star:hard_fraction=0.5"] == {
        "name": "star", "params": {"num_negatives": 3, "hard_fraction": 0.5}}
    assert [row["negatives"] for row in first["summary"]] == [360, 360]
    assert first["overlap"]["random"]["random"] == 1.0


@pytest.mark.parametrize("argv, message", [
    (["--strategy", "nope"], "unknown strategy 'nope'"),
    (["--strategy", "simans:a=x"], "a must be float"),
    (["--strategy", "margin:range_min=5,range_max=5"], "range_min"),
])
def test_compare_command_errors_are_one_line(pool_file, capsys, argv, message):
    assert main(["compare", str(pool_file), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
