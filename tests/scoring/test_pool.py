"""Candidate pools: exact search and ranks (hand-checked), then real Cranfield text.

The Cranfield tests encode 30 queries and all 1,400 documents once per run; the embedding
cache in NEGLENS_CACHE_DIR (conftest) shares them with every other test that needs them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.formats import load
from analysis.formats.pool import read_pool, write_pool
from analysis.model import DataError, NegativeSet, Skip
from analysis.scoring.pool import (
    build_pool,
    exact_search,
    merge_corpus,
    pool_from_embeddings,
)


def unit(*angles_deg: float) -> np.ndarray:
    """2-D unit vectors at the given angles: cosine between two = cos(angle difference)."""
    rad = np.deg2rad(np.asarray(angles_deg, dtype=np.float64))
    return np.column_stack([np.cos(rad), np.sin(rad)]).astype(np.float32)


# -- exact_search, hand-checked ------------------------------------------------------------------
# Query at 0 degrees; documents at 60, 10, 90, 10 (a tie with document 1), 30 and -10 degrees
# (tied with 10 in exact arithmetic, but float32 may differ by an ulp, so it is left out of
# the tie checks).
DOC_ANGLES = (60, 10, 90, 10, 30)


def test_top_n_in_score_order_with_ties_broken_by_corpus_order():
    found = exact_search(unit(0), unit(*DOC_ANGLES), top_n=3)
    assert found.top_docs.tolist() == [[1, 3, 4]]
    np.testing.assert_allclose(found.top_scores[0], np.cos(np.deg2rad([10, 10, 30])), atol=1e-6)
    assert found.top_scores.dtype == np.float32


def test_ranks_are_exact_over_the_whole_corpus():
    docs = unit(*DOC_ANGLES)
    requests = (np.zeros(5, dtype=int), np.arange(5))
    found = exact_search(unit(0), docs, top_n=1, requests=requests)
    # scores: cos60=.5, cos10, cos90=0, cos10 (tie, later in the corpus), cos30
    assert found.ranks.tolist() == [4, 1, 5, 2, 3]
    np.testing.assert_array_equal(found.scores, (unit(0) @ docs.T)[0])


def test_negative_zero_ties_with_zero():
    docs = np.array([[0.0, 1.0], [-0.0, 1.0], [0.0, 1.0]], dtype=np.float32)
    query = np.array([[1.0, 0.0]], dtype=np.float32)
    docs[1] = [-1e-45 * 0, 1.0]
    found = exact_search(query, docs, top_n=3, requests=([0, 0, 0], [2, 1, 0]))
    assert found.top_docs.tolist() == [[0, 1, 2]]
    assert found.ranks.tolist() == [3, 2, 1]


def test_negative_scores_rank_below_positive_ones():
    found = exact_search(unit(0), unit(170, 100, 80, 180), top_n=4)
    assert found.top_docs.tolist() == [[2, 1, 0, 3]]


def test_chunking_does_not_change_the_result():
    rng = np.random.default_rng(7)
    queries = rng.normal(size=(23, 8)).astype(np.float32)
    docs = rng.normal(size=(301, 8)).astype(np.float32)
    docs[150] = docs[20]                                    # an exact tie
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    docs /= np.linalg.norm(docs, axis=1, keepdims=True)
    requests = (rng.integers(0, 23, 40), rng.integers(0, 301, 40))
    results = [exact_search(queries, docs, top_n=17, requests=requests, chunk_size=c)
               for c in (1, 4, 23, 1000)]
    full = queries @ docs.T
    for r in results:
        assert (np.diff(r.top_scores, axis=1) <= 0).all()
        np.testing.assert_allclose(r.top_scores, np.take_along_axis(full, r.top_docs, 1), atol=1e-6)
        np.testing.assert_array_equal(r.top_docs, results[-1].top_docs)
        np.testing.assert_array_equal(r.ranks, results[-1].ranks)
    expected_ranks = [1 + np.sum((full[q] > full[q, d]) | ((full[q] == full[q, d]) & (np.arange(301) < d)))
                      for q, d in zip(*requests)]
    assert results[-1].ranks.tolist() == expected_ranks


def test_top_n_beyond_the_corpus_returns_the_whole_corpus():
    assert exact_search(unit(0), unit(*DOC_ANGLES), top_n=50).top_docs.shape == (1, 5)


@pytest.mark.parametrize("kwargs, field", [
    ({"query_emb": unit(0), "doc_emb": np.ones((2, 3), np.float32), "top_n": 1}, "doc_emb"),
    ({"query_emb": unit(0), "doc_emb": unit(10), "top_n": 0}, "top_n"),
    ({"query_emb": np.array([[np.nan, 0]], np.float32), "doc_emb": unit(10), "top_n": 1}, "query_emb"),
    ({"query_emb": unit(0), "doc_emb": np.empty((0, 2), np.float32), "top_n": 1}, "corpus"),
    ({"query_emb": unit(0), "doc_emb": unit(10), "top_n": 1, "requests": ([0], [3])}, "requests"),
    ({"query_emb": unit(0), "doc_emb": unit(10), "top_n": 1, "chunk_size": 0}, "chunk_size"),
])
def test_bad_search_input_is_refused(kwargs, field):
    with pytest.raises(DataError, match=f'field "{field}"'):
        exact_search(**kwargs)


# -- pools from embeddings, hand-checked ---------------------------------------------------------
def mined_set() -> NegativeSet:
    """Two queries over six documents; q1's positive d5 and mined negative d4 rank low."""
    queries = pd.DataFrame({"qid": ["q1", "q2"], "text": ["first query", "second query"]})
    docs = pd.DataFrame({"did": [f"d{i}" for i in range(6)], "text": [f"doc {i}" for i in range(6)]})
    pairs = pd.DataFrame({"qid": ["q1", "q1", "q1", "q2", "q2"],
                          "did": ["d0", "d5", "d4", "d1", "d0"],
                          "label": [1, 1, 0, 1, 0], "source": "mined.jsonl",
                          "score": [np.nan, np.nan, 0.123, np.nan, np.nan]})
    return NegativeSet(queries, docs, pairs, format="flagembedding",
                       skipped=[Skip("mined.jsonl", 7, "malformed JSON")], meta={"note": "x"})


# q1 at 0 degrees, q2 at 90; documents at 5, 80, 20, 40, 170, 120 degrees.
EMB_Q, EMB_D = unit(0, 90), unit(5, 80, 20, 40, 170, 120)


def test_pool_rows_top_n_plus_every_positive_with_exact_ranks():
    nset = mined_set()
    pool = pool_from_embeddings(nset, nset.docs, EMB_Q, EMB_D, top_n=2)
    rows = pool.pairs[pool.pairs["source"] == "pool"]
    got = list(zip(rows["qid"], rows["did"], rows["label"], rows["rank"]))
    # q1 ranking: d0 (5), d2 (20), d3 (40), d1 (80), d5 (120), d4 (170)
    # q2 ranking: d1 (10 away), d5 (30), d3 (50), d2 (70), d4 (80), d0 (85)
    assert got == [("q1", "d0", 1, 1), ("q1", "d2", 0, 2), ("q1", "d5", 1, 5),
                   ("q2", "d1", 1, 1), ("q2", "d5", 0, 2)]
    np.testing.assert_allclose(rows["score"], np.cos(np.deg2rad([5, 20, 120, 10, 30])), atol=1e-6)


def test_a_files_own_pairs_are_located_and_keep_their_scores():
    nset = mined_set()
    pool = pool_from_embeddings(nset, nset.docs, EMB_Q, EMB_D, top_n=2)
    kept = pool.pairs[pool.pairs["source"] == "mined.jsonl"].reset_index(drop=True)
    assert kept[["qid", "did", "label"]].astype(str).values.tolist() == \
        nset.pairs[["qid", "did", "label"]].astype(str).values.tolist()
    assert kept["rank"].tolist() == [1, 5, 6, 1, 6]
    assert kept["score"][2] == np.float32(0.123)                    # the file's own score
    np.testing.assert_allclose(kept["score"][[0, 1, 3, 4]],
                               np.cos(np.deg2rad([5, 120, 10, 85])), atol=1e-6)


def test_pool_keeps_only_used_documents_in_first_appearance_order_and_records_settings():
    nset = mined_set()
    pool = pool_from_embeddings(nset, nset.docs, EMB_Q, EMB_D, top_n=2, settings={"top_n": 2})
    assert pool.docs["did"].tolist() == ["d0", "d2", "d5", "d1", "d4"]
    assert pool.format == "pool" and pool.meta == {"note": "x", "pool": {"top_n": 2}}
    assert pool.skipped == nset.skipped
    again = pool_from_embeddings(pool, nset.docs, EMB_Q, EMB_D, top_n=2, settings={"top_n": 2})
    pd.testing.assert_frame_equal(again.pairs, pool.pairs)         # old pool rows are replaced


def test_pool_round_trips_through_parquet_exactly(tmp_path):
    nset = mined_set()
    pool = pool_from_embeddings(nset, nset.docs, EMB_Q, EMB_D, top_n=3, settings={"top_n": 3})
    pool.pairs["ce_score"] = np.linspace(0, 1, len(pool.pairs), dtype=np.float32)
    path = write_pool(pool, tmp_path / "pool.parquet")
    for back in (read_pool(path), load(path)):
        pd.testing.assert_frame_equal(back.pairs, pool.pairs)
        pd.testing.assert_frame_equal(back.queries, pool.queries)
        pd.testing.assert_frame_equal(back.docs, pool.docs)
        assert (back.meta, back.format, back.skipped) == (pool.meta, pool.format, pool.skipped)


def test_pool_file_layout(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    nset = mined_set()
    pool = pool_from_embeddings(nset, nset.docs, EMB_Q, EMB_D, top_n=2, settings={"top_n": 2})
    schema = pq.read_schema(write_pool(pool, tmp_path / "p.parquet"))
    assert schema.names == ["qid", "did", "label", "source", "rank", "score", "query", "document"]
    assert pa.types.is_dictionary(schema.field("document").type)
    assert schema.field("rank").type == pa.int32() and schema.field("score").type == pa.float32()
    import json
    header = json.loads(schema.metadata[b"neglens"])
    assert header["kind"] == "pool" and header["format_version"] == 1
    assert header["pool"] == {"top_n": 2}


def test_pool_reader_refuses_other_files(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"qid": ["1"]}), plain)
    with pytest.raises(DataError, match="not a NegLens pool file"):
        read_pool(plain)
    future = tmp_path / "future.parquet"
    nset = mined_set()
    pool = pool_from_embeddings(nset, nset.docs, EMB_Q, EMB_D, top_n=2)
    table = pq.read_table(write_pool(pool, future))
    pq.write_table(table.replace_schema_metadata(
        {b"neglens": b'{"kind": "pool", "format_version": 2}'}), future)
    with pytest.raises(DataError, match='field "format_version"'):
        read_pool(future)
    pool.meta["bad"] = object()
    with pytest.raises(DataError, match='field "meta"'):
        write_pool(pool, tmp_path / "bad.parquet")


# -- corpus merging ----------------------------------------------------------------------------
def test_a_separate_corpus_is_merged_by_id_and_by_text():
    nset = mined_set()
    corpus = pd.DataFrame({"did": ["x1", "d2", "x2"], "text": ["doc 0", "doc 2", "another"]})
    docs, merged = merge_corpus(nset, corpus)
    assert merged == 1                                              # x1 is doc 0 under another id
    assert docs["did"].tolist() == ["d2", "x2", "d0", "d1", "d3", "d4", "d5"]
    with pytest.raises(DataError, match='corpus, field "text".*different text'):
        merge_corpus(nset, pd.DataFrame({"did": ["d1"], "text": ["changed"]}))
    with pytest.raises(DataError, match='field "did".*appears twice'):
        merge_corpus(nset, pd.DataFrame({"did": ["x", "x"], "text": ["a", "b"]}))


# -- real text: Cranfield ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def encoder():
    from analysis.scoring.encode import load_encoder

    return load_encoder()


@pytest.fixture(scope="module")
def cranfield30(cranfield_dir) -> NegativeSet:
    """The first 30 Cranfield queries with their judgements, against all 1,400 documents."""
    full = load(cranfield_dir)
    keep = full.queries["qid"].head(30)
    pairs = full.pairs[full.pairs["qid"].isin(keep)].copy()
    pairs["qid"] = pairs["qid"].astype(str)
    return NegativeSet(full.queries.head(30), full.docs, pairs, format=full.format)


@pytest.fixture(scope="module")
def cranfield_pool(cranfield30, encoder):
    return build_pool(cranfield30, model=encoder, top_n=100)


@pytest.fixture(scope="module")
def cranfield_embeddings(cranfield30, cranfield_pool, encoder):
    """The same embeddings the pool used (from the cache: nothing is encoded again)."""
    return (encoder.embed(cranfield30.queries["text"], role="query"),
            encoder.embed(cranfield30.docs["text"], role="document"))


def test_cranfield_scores_equal_model_similarity(cranfield30, cranfield_pool, cranfield_embeddings,
                                                 encoder):
    q_emb, d_emb = cranfield_embeddings
    sim = encoder.model.similarity(q_emb, d_emb).numpy()
    pairs = cranfield_pool.pairs
    q = pd.Index(cranfield30.queries["qid"]).get_indexer(pairs["qid"].astype(str))
    d = pd.Index(cranfield30.docs["did"]).get_indexer(pairs["did"].astype(str))
    np.testing.assert_allclose(pairs["score"], sim[q, d], atol=1e-5)
    # and the cached vectors are the model's: re-encode a few rows from scratch
    sample = np.unique(d)[:8]
    fresh_q = encoder.model.encode_query(cranfield30.queries["text"].tolist()[:3], normalize_embeddings=True)
    fresh_d = encoder.model.encode_document(cranfield30.docs["text"].iloc[sample].tolist(),
                                            normalize_embeddings=True)
    np.testing.assert_allclose(encoder.model.similarity(fresh_q, fresh_d).numpy(),
                               sim[:3][:, sample], atol=1e-5)


def test_cranfield_ranks_equal_semantic_search(cranfield30, cranfield_pool, cranfield_embeddings):
    from sentence_transformers.util import semantic_search

    q_emb, d_emb = cranfield_embeddings
    hits = semantic_search(q_emb, d_emb, top_k=len(d_emb))
    pairs = cranfield_pool.pairs
    did_pos = pd.Index(cranfield30.docs["did"])
    for qnum, qid in enumerate(cranfield30.queries["qid"]):
        ids = np.array([h["corpus_id"] for h in hits[qnum]])
        scores = np.array([h["score"] for h in hits[qnum]])
        ours = pairs[(pairs["qid"] == qid)]
        rank = ours["rank"].to_numpy()
        pos = did_pos.get_indexer(ours["did"].astype(str))
        their_rank = np.empty(len(ids), dtype=int)
        their_rank[ids] = np.arange(1, len(ids) + 1)
        # equal ranks, except inside groups of (near-)tied scores
        tied = np.abs(scores[rank - 1] - scores[their_rank[pos] - 1]) <= 1e-6
        assert ((rank == their_rank[pos]) | tied).all(), qid
        top = ours[ours["source"] == "pool"]
        assert top["rank"].head(100).tolist() == list(range(1, 101))


def test_cranfield_pool_has_every_positive_and_the_judged_negatives(cranfield30, cranfield_pool):
    pairs = cranfield_pool.pairs
    labelled = cranfield30.pairs
    pool_rows = pairs[pairs["source"] == "pool"]
    positives = set(zip(labelled.loc[labelled["label"] == 1, "qid"].astype(str),
                        labelled.loc[labelled["label"] == 1, "did"].astype(str)))
    assert set(zip(pool_rows.loc[pool_rows["label"] == 1, "qid"].astype(str),
                   pool_rows.loc[pool_rows["label"] == 1, "did"].astype(str))) == positives
    kept = pairs[pairs["source"] == "cranfield"]
    assert len(kept) == len(labelled) and (kept["rank"] >= 1).all() and kept["score"].notna().all()
    assert (pool_rows.groupby("qid", observed=True).size() >= 100).all()
    assert cranfield_pool.meta["pool"]["top_n"] == 100
    assert cranfield_pool.meta["pool"]["corpus_size"] == 1400


def test_a_second_pool_run_encodes_nothing(cranfield30, cranfield_pool, encoder, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the model was asked to encode on a cached run")

    monkeypatch.setattr(encoder.model, "encode_query", refuse)
    monkeypatch.setattr(encoder.model, "encode_document", refuse)
    before = encoder.encoded
    again = build_pool(cranfield30, model=encoder, top_n=100)
    assert encoder.encoded == before
    assert again.meta["pool"]["engine"] == "local" and again.meta["pool"]["encoded_texts"] == 0
    assert again.meta["pool"]["encode_rate"] is None      # nothing encoded: no rate to measure
    pd.testing.assert_frame_equal(again.pairs, cranfield_pool.pairs)


def test_the_pool_settings_record_the_measured_local_encode_rate(encoder, tmp_path):
    small = NegativeSet(pd.DataFrame({"qid": ["q1", "q2"], "text": ["wing lift", "heat flux"]}),
                        pd.DataFrame({"did": ["d1", "d2", "d3"],
                                      "text": ["lift of a wing", "boundary layer", "heat"]}),
                        pd.DataFrame({"qid": ["q1"], "did": ["d1"], "label": [1],
                                      "source": ["qrels"], "rank": [np.nan], "score": [np.nan]}),
                        format="test")
    settings = build_pool(small, model=encoder, top_n=2, cache_dir=tmp_path).meta["pool"]
    assert settings["engine"] == "local" and settings["encoded_texts"] == 5
    assert settings["encode_rate"] == pytest.approx(5 / settings["encode_seconds"], rel=0.05)
