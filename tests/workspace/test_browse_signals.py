"""Browse's signals per chunk of queries: the same rows as computing all at once, only the chunk
asked for is computed, and the query list says 'unknown' for queries not computed yet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import workspace as ws
from analysis.export.apply import candidate_pool
from analysis.false_negatives.signals import find_suspects
from analysis.measure.gaps import score_gaps
from analysis.scoring.file_rank import file_candidates
from analysis.workspace.browse_signals import LazySuspects

MINED = Path(__file__).resolve().parents[2] / "sample_data" / "mined" / "sentence_transformers_ntuple.jsonl"


@pytest.fixture(scope="module")
def candidates():
    if not MINED.is_file():
        pytest.skip(f"{MINED} is absent")
    return candidate_pool(file_candidates(ws.load_dataset(MINED)))


def eager(candidates, doc_emb=None, clusters=None) -> pd.DataFrame:
    """All candidates at once, as Browse computed them before (bm25s-equal BM25 from the texts)."""
    pairs = candidates.pairs
    table = find_suspects(pairs, doc_embeddings=doc_emb, doc_clusters=clusters,
                          doc_texts=candidates.doc_text(),
                          query_texts=candidates.queries.set_index("qid")["text"])
    table.insert(5, "gap", score_gaps(pairs)[pairs["label"].to_numpy() == 0].astype(np.float32))
    return table


def test_chunks_give_the_whole_table_with_embeddings_and_clusters(candidates):
    rng = np.random.default_rng(0)
    docs = len(candidates.pairs["did"].cat.categories)
    emb = rng.normal(size=(docs, 8)).astype(np.float32)
    clusters = rng.integers(0, 4, docs)
    expected = eager(candidates, emb, clusters)
    assert {"bm25", "positive_cosine", "near_duplicate_score", "same_cluster_score"} <= set(expected)
    assert expected["is_suspect"].any() and not expected["is_suspect"].all()
    lazy = LazySuspects(candidates, doc_emb=emb, clusters=clusters, queries_per_chunk=7)
    qid = str(candidates.queries["qid"].iloc[30])
    part = lazy.for_query(qid)
    assert lazy.chunk_of(qid) == 30 // 7 and not lazy.complete
    chunk_qids = set(candidates.queries["qid"].astype(str).iloc[28:35])
    assert set(part["qid"].astype(str)) == chunk_qids       # its chunk's 7 queries, nothing else
    rows = expected["qid"].astype(str).isin(chunk_qids).to_numpy()
    pd.testing.assert_frame_equal(part.reset_index(drop=True), expected[rows].reset_index(drop=True))
    steps = []
    pd.testing.assert_frame_equal(lazy.table(lambda done, total: steps.append((done, total))), expected)
    assert lazy.complete and steps[-1] == (lazy.chunks, lazy.chunks)
    assert lazy.chunks == -(-len(candidates.queries) // 7)


def test_the_default_table_equals_computing_all_at_once(candidates):
    pd.testing.assert_frame_equal(ws.suspects(candidates), eager(candidates))
    started = ws.start_term_index(candidates)          # statistics built in the background
    lazy = ws.lazy_suspects(candidates, bm25_index=started)
    pd.testing.assert_frame_equal(lazy.table(), eager(candidates))
    assert started.done()


def test_query_list_marks_queries_not_computed_yet(candidates):
    lazy = LazySuspects(candidates, queries_per_chunk=10)
    none = pd.DataFrame(columns=["qid", "did", "verdict", "marked_at"])
    first = str(candidates.queries["qid"].iloc[0])
    lazy.for_query(first)
    listed = ws.query_list(candidates, lazy.known(), none)
    assert len(listed) == len(candidates.queries)
    assert listed["suspects"].isna().sum() == len(listed) - 10 > 0
    assert (listed["negatives"] == 5).all()            # counted from the pool, known or not
    whole = ws.query_list(candidates, lazy.table(), none)
    assert whole["suspects"].notna().all()
    assert listed["suspects"].dropna().tolist() == whole["suspects"][listed["suspects"].notna()].tolist()


def test_a_query_without_candidates_has_no_rows(candidates):
    from analysis.model import DataError

    lazy = LazySuspects(candidates)
    with pytest.raises(DataError, match="no query 'nope'"):
        lazy.chunk_of("nope")
    empty = lazy.for_query("nope")
    assert empty.empty and {"risk", "is_suspect", "bm25"} <= set(empty.columns)


def test_the_query_picker_lists_a_window_around_the_query():
    qids = [f"q{i}" for i in range(10)]
    assert ws.query_window(qids, "q3", size=20) == qids
    assert ws.query_window(qids, "q5", size=4) == ["q3", "q4", "q5", "q6"]
    assert ws.query_window(qids, "q0", size=4) == ["q0", "q1", "q2", "q3"]
    assert ws.query_window(qids, "q9", size=4) == ["q6", "q7", "q8", "q9"]
    assert ws.query_window(qids, "gone", size=3) == ["q0", "q1", "q2"]
