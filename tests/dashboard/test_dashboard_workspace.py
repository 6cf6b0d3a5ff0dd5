"""analysis.workspace: data identity, the pool cache, and the tables the pages draw."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from analysis import workspace as ws
from analysis.export.apply import reproduce
from analysis.export.settings import loads
from analysis.false_negatives.review import ReviewStore
from analysis.formats.pool import read_pool, write_pool
from analysis.model import DataError, NegativeSet
from analysis.scoring.synthetic import make_pool


def hand_pool() -> NegativeSet:
    """Two queries; q1: d1 positive at rank 2, negatives d2 (rank 1), d3 (3), d4 (4);
    q2: d5 positive at rank 1, negatives d1 (2), d2 (3)."""
    queries = pd.DataFrame({"qid": ["q1", "q2"], "text": ["first query", "second query"]})
    docs = pd.DataFrame({"did": [f"d{i}" for i in range(1, 6)],
                         "text": ["one", "two", "three", "four", "five"]})
    pairs = pd.DataFrame({
        "qid": ["q1", "q1", "q1", "q1", "q2", "q2", "q2"],
        "did": ["d2", "d1", "d3", "d4", "d5", "d1", "d2"],
        "label": [0, 1, 0, 0, 1, 0, 0],
        "source": "pool",
        "rank": [1, 2, 3, 4, 1, 2, 3],
        "score": [0.9, 0.8, 0.5, 0.1, 0.7, 0.6, 0.2],
    })
    return NegativeSet(queries, docs, pairs, format="pool")


# -- identity of the data --------------------------------------------------------------------------
def test_a_file_fingerprint_is_the_sha256_of_its_bytes(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_bytes(b'{"query": "a"}\n')
    assert ws.fingerprint(path) == hashlib.sha256(b'{"query": "a"}\n').hexdigest()


def test_a_folder_fingerprint_follows_names_and_contents_but_not_hidden_or_review_files(tmp_path):
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("c\n")
    (folder / "qrels" / "test.tsv").write_text("q\td\t1\n")
    first = ws.fingerprint(folder)
    (folder / ".hidden").write_text("editor state")
    (folder / "neglens-review.json").write_text('{"format": "neglens-review", "version": 1, "decisions": []}')  # an older NegLens's review file beside the data
    ReviewStore.for_data(folder).mark("q", "d", "unsure")  # today's store lives in the workspace
    assert ws.fingerprint(folder) == first
    assert [p.name for p in ws.data_files(folder)] == ["corpus.jsonl", "test.tsv"]
    (folder / "qrels" / "test.tsv").rename(folder / "qrels" / "dev.tsv")
    assert ws.fingerprint(folder) != first


def test_missing_data_is_a_located_error(tmp_path):
    with pytest.raises(DataError, match="no such file or folder"):
        ws.fingerprint(tmp_path / "absent")


def test_an_upload_keeps_only_its_base_name_and_is_stored_by_content(tmp_path):
    first = ws.store_upload("../../etc/negs.jsonl", b"{}\n", cache_dir=tmp_path)
    assert first.name == "negs.jsonl" and first.read_bytes() == b"{}\n"
    assert first.is_relative_to(tmp_path / "uploads")
    assert ws.store_upload("C:\\Users\\me\\negs.jsonl", b"{}\n", cache_dir=tmp_path) == first
    with pytest.raises(DataError, match="empty"):
        ws.store_upload("x.jsonl", b"", cache_dir=tmp_path)


# -- the pool --------------------------------------------------------------------------------------
def test_pool_settings_validate_and_key_on_what_shapes_the_pool():
    with pytest.raises(DataError, match="top_n"):
        ws.PoolSettings(top_n=0)
    assert ws.PoolSettings(top_n=10).key() != ws.PoolSettings(top_n=20).key()
    assert ws.PoolSettings().key() == ws.PoolSettings(model="").key()


def test_a_pool_file_is_used_as_it_is(tmp_path, monkeypatch):
    path = write_pool(make_pool(num_queries=5, pool_size=4), tmp_path / "pool.parquet")
    nset = ws.load_dataset(path)
    assert ws.is_pool(nset)
    monkeypatch.setattr("analysis.scoring.pool.build_pool", lambda *a, **k: pytest.fail("built a pool"))
    assert ws.ensure_pool(nset, ws.fingerprint(path), ws.PoolSettings(), cache_dir=tmp_path) is nset


@pytest.mark.slow
def test_a_built_pool_is_cached_and_read_back_without_a_model(tmp_path, monkeypatch):
    folder = tmp_path / "tiny"
    (folder / "qrels").mkdir(parents=True)
    docs = ["Saturn has the most moons.", "Jupiter is the largest planet.", "Bread needs yeast.",
            "Sourdough uses a starter.", "Mars looks red because of iron oxide."]
    (folder / "corpus.jsonl").write_text("".join(
        json.dumps({"_id": f"d{i}", "title": "", "text": t}) + "\n" for i, t in enumerate(docs)))
    (folder / "queries.jsonl").write_text(
        json.dumps({"_id": "q0", "text": "which planet is largest"}) + "\n"
        + json.dumps({"_id": "q1", "text": "how is sourdough made"}) + "\n")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq0\td1\t1\nq1\td3\t1\n")
    nset, sha, settings = ws.load_dataset(folder), ws.fingerprint(folder), ws.PoolSettings(top_n=3)
    assert ws.cached_pool(sha, settings, cache_dir=tmp_path) is None
    progress = []
    built = ws.ensure_pool(nset, sha, settings, cache_dir=tmp_path,
                           progress=lambda done, total, stage: progress.append(stage))
    assert progress and ws.pool_file(sha, settings, cache_dir=tmp_path).is_file()
    monkeypatch.setattr("analysis.scoring.pool.build_pool", lambda *a, **k: pytest.fail("rebuilt the pool"))
    again = ws.ensure_pool(nset, sha, settings, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(again.pairs, built.pairs)
    assert ws.cached_pool(sha, ws.PoolSettings(top_n=4), cache_dir=tmp_path) is None


# -- tables for the charts -------------------------------------------------------------------------
def test_integer_histograms_get_unit_bins_shared_by_all_groups():
    table = ws.histogram_table({"a": np.array([1, 2, 2, 3]), "b": np.array([3, 3, np.nan])},
                               integer=True)
    a, b = table[table.group == "a"], table[table.group == "b"]
    assert a["left"].tolist() == [0.5, 1.5, 2.5] and a["right"].tolist() == [1.5, 2.5, 3.5]
    assert a["count"].tolist() == [1, 2, 1] and b["count"].tolist() == [0, 0, 2]
    assert b["share"].tolist() == [0.0, 0.0, 1.0]


def test_float_histograms_spread_edges_over_the_range():
    table = ws.histogram_table({"g": np.array([0.0, 0.1, 1.0])}, bins=2)
    assert table["left"].tolist() == [0.0, 0.5] and table["count"].tolist() == [2, 1]


def test_ecdf_shares_are_fractions_at_or_below_each_grid_point():
    table = ws.ecdf_table({"a": np.array([0.0, 1.0]), "b": np.array([1.0])}, points=3)
    assert table[table.group == "a"]["share"].tolist() == [0.5, 0.5, 1.0]
    assert table[table.group == "b"]["share"].tolist() == [0.0, 0.0, 1.0]


def test_cluster_shares_count_a_selections_negatives_per_document_cluster():
    pool = hand_pool()
    selection = ws.select(pool, "top_k", {"num_negatives": 2}, seed=0)   # d2, d3 and d1, d2
    clusters = np.array([0, 1, 1, 2, 0], dtype=np.int32)                 # d1..d5
    table = ws.cluster_shares(pool, selection, clusters, label="top_k")
    assert table["cluster"].tolist() == [0, 1, 2]
    assert table["negatives"].tolist() == [1, 3, 0]
    assert table["share"].tolist() == [0.25, 0.75, 0.0]


def test_overview_tables_cover_pool_and_strategies_with_filter_counts():
    pool = hand_pool()
    selections = {"top_k": ws.select(pool, "top_k", {"num_negatives": 1}, seed=0),
                  "topk_abs": ws.select(pool, "topk_abs", {"num_negatives": 3, "threshold": 0.55}, seed=0)}
    tables = ws.overview_tables(pool, pool, selections)
    stats = tables["stats"]
    assert list(dict.fromkeys(stats["source"])) == ["pool", "top_k", "topk_abs"]
    mean = stats[(stats.source == "top_k") & (stats.metric == "Mean")]
    assert mean["negative"].item() == pytest.approx((0.9 + 0.6) / 2)   # d2 for q1, d1 for q2
    filters = tables["filters"]
    removed = filters[(filters.strategy == "topk_abs") & (filters.name != "shortfall")]["removed"]
    assert removed.sum() == 2                  # 0.9 and 0.6 exceed the threshold 0.55
    short = filters[(filters.strategy == "topk_abs") & (filters.name == "shortfall")]
    assert short["removed"].item() == 2        # both queries got fewer than 3
    assert set(tables["gaps"]["group"]) == {"pool", "top_k", "topk_abs"}


def test_strategy_colours_name_the_strategy_that_chose_each_negative():
    pool = hand_pool()
    selections = {"top_k": ws.select(pool, "top_k", {"num_negatives": 1}, seed=0),
                  "topk_abs": ws.select(pool, "topk_abs", {"num_negatives": 1, "threshold": 0.55}, seed=0)}
    table = pd.DataFrame({"role": ["query", "positive", "negative", "negative", "negative"],
                          "qid": ["q1", "q1", "q1", "q1", "q1"],
                          "did": [pd.NA, "d1", "d2", "d3", "d4"]})
    colours = ws.map_colours(table, pool, selections, by="strategy")
    assert colours.tolist() == ["query", "positive", "top_k", "topk_abs", "not selected"]
    assert ws.map_colours(table, pool, selections, by="role").tolist() == table["role"].tolist()
    clusters = np.array([4, 5, 6, 7, 8], dtype=np.int32)            # d1..d5
    assert ws.map_colours(table, pool, selections, by="cluster", doc_clusters=clusters).tolist() == [
        "query", "cluster 4", "cluster 5", "cluster 6", "cluster 7"]
    risk = pd.DataFrame({"qid": ["q1", "q1", "q1"], "did": ["d2", "d3", "d4"], "risk": [0.9, 0.1, 0.0]})
    assert ws.map_colours(table, pool, selections, by="risk", risk=risk).tolist() == [
        "query", "positive", "flagged: risk >= 15%", "risk 5-15%", "risk < 5%"]
    with pytest.raises(DataError, match="no document clusters"):
        ws.map_colours(table, pool, selections, by="cluster")


def test_query_lists_filter_by_suspects_reviews_and_search():
    pool = hand_pool()
    table = pd.DataFrame({"qid": ["q1", "q1", "q1", "q2", "q2"], "did": ["d2", "d3", "d4", "d1", "d2"],
                          "source": "pool", "rank": [1, 3, 4, 2, 3], "score": 0.5,
                          "risk": [0.9, 0.1, 0.0, 0.2, 0.1],
                          "is_suspect": [True, False, False, False, False]})
    none = pd.DataFrame(columns=["qid", "did", "verdict", "marked_at"])
    assert ws.query_list(pool, table, none)["suspects"].tolist() == [1, 0]
    assert ws.query_list(pool, table, none, only="suspects")["qid"].tolist() == ["q1"]
    assert ws.query_list(pool, table, none, search="SECOND")["qid"].tolist() == ["q2"]
    reviewed = pd.DataFrame({"qid": ["q2"], "did": ["d1"], "verdict": ["true_negative"],
                             "marked_at": [pd.Timestamp.now(tz="UTC")]})
    assert ws.query_list(pool, table, reviewed, only="reviewed")["qid"].tolist() == ["q2"]
    rows = ws.query_negatives(pool, table, reviewed, "q2")
    assert rows["did"].tolist() == ["d1", "d2"] and rows["verdict"].tolist()[0] == "true_negative"
    assert rows["document"].tolist() == ["one", "two"]
    assert ws.query_positives(pool, "q1")["document"].tolist() == ["one"]


# -- export ----------------------------------------------------------------------------------------
def test_exported_settings_reproduce_the_selection_and_carry_the_decisions(tmp_path):
    path = write_pool(make_pool(num_queries=12, pool_size=15), tmp_path / "pool.parquet")
    pool = ws.load_dataset(path)
    params = {"num_negatives": 4, "a": 5.0}
    selection = ws.select(pool, "simans", params, seed=11)
    decisions = pd.DataFrame({"qid": ["q0"], "did": [str(pool.pairs["did"].iloc[selection.rows[0]])],
                              "verdict": ["false_negative"],
                              "marked_at": [pd.Timestamp("2025-01-01", tz="UTC")]})
    settings = ws.export_settings(path, pool, selection, name="simans", params=params, seed=11,
                                  decisions=decisions, false_negatives="promote")
    doc = json.loads(json.dumps(settings.as_dict()))
    assert doc["decisions"][0]["verdict"] == "false_negative" and doc["false_negatives"] == "promote"
    applied = reproduce(loads(doc))
    assert applied.reproduced is True
    np.testing.assert_array_equal(applied.selection.rows, selection.rows)


def test_training_files_come_as_one_file_or_one_zip(tmp_path):
    pool = hand_pool()
    selection = ws.select(pool, "top_k", {"num_negatives": 2}, seed=0)
    name, content, _ = ws.training_file(pool, selection, format="flagembedding")
    assert name == "top_k-flagembedding.jsonl"
    records = [json.loads(line) for line in content.decode().splitlines()]
    assert [r["query"] for r in records] == ["first query", "second query"]
    assert records[0]["neg"] == ["two", "three"]
    decisions = pd.DataFrame({"qid": ["q1"], "did": ["d2"], "verdict": ["false_negative"],
                              "marked_at": [pd.Timestamp("2025-01-01", tz="UTC")]})
    _, dropped, notes = ws.training_file(pool, selection, format="flagembedding", decisions=decisions)
    assert json.loads(dropped.decode().splitlines()[0])["neg"] == ["three"]
    assert any("1 false negatives dropped" in n for n in notes)
    name, content, _ = ws.training_file(pool, selection, format="tevatron/new")
    assert name.endswith(".zip")
    assert len(zipfile.ZipFile(io.BytesIO(content)).namelist()) == 2


def test_a_pool_read_back_from_its_file_is_still_a_pool(tmp_path):
    path = write_pool(hand_pool(), tmp_path / "hand.parquet")
    assert ws.is_pool(read_pool(path))
