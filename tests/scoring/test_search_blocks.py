"""Checkpointed search blocks: a search stopped (or SIGKILLed) part-way resumes where it
stopped, gives the pool an uninterrupted build gives, and never searches a finished block
again; a changed input never reuses a block."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.model import NegativeSet
from analysis.scoring import pool as pool_module
from analysis.scoring import search_blocks
from analysis.scoring.pool import pool_from_embeddings

REPO = Path(__file__).resolve().parents[2]
QUERIES, DOCS, DIM, BLOCK, TOP_N = 40, 300, 16, 4, 7   # 10 blocks of 4 queries


def synthetic(seed: int = 11):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((QUERIES, DIM)).astype(np.float32)
    d = rng.standard_normal((DOCS, DIM)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    qids = [f"q{i}" for i in range(QUERIES)]
    dids = [f"d{i}" for i in range(DOCS)]
    positives = rng.integers(0, DOCS, QUERIES)           # one labelled positive per query
    nset = NegativeSet(pd.DataFrame({"qid": qids, "text": qids}),
                       pd.DataFrame({"did": [dids[p] for p in positives],
                                     "text": [dids[p] for p in positives]}).drop_duplicates("did"),
                       pd.DataFrame({"qid": qids, "did": [dids[p] for p in positives], "label": 1,
                                     "source": "qrels", "rank": np.nan, "score": np.nan}),
                       format="test")
    return nset, pd.DataFrame({"did": dids, "text": dids}), q, d


def build(checkpoint, progress=None):
    nset, corpus, q, d = synthetic()
    return pool_from_embeddings(nset, corpus, q, d, top_n=TOP_N, checkpoint=checkpoint,
                                block=BLOCK, progress=progress)


def assert_same_pool(a, b):
    assert len(a.pairs) == len(b.pairs)
    for column in ("qid", "did", "source", "label", "rank"):
        assert a.pairs[column].astype(str).tolist() == b.pairs[column].astype(str).tolist(), column
    np.testing.assert_array_equal(a.pairs["score"].to_numpy(), b.pairs["score"].to_numpy())


def counting_search(monkeypatch) -> list[int]:
    searched: list[int] = []
    real = pool_module.exact_search

    def counted(queries, docs, **kwargs):
        searched.append(len(queries))
        return real(queries, docs, **kwargs)
    monkeypatch.setattr(pool_module, "exact_search", counted)
    return searched


def test_a_stopped_search_resumes_without_searching_finished_blocks(tmp_path, monkeypatch):
    uninterrupted = build(None)

    def stop_after_three_blocks(done, total, stage):
        if done >= 3 * BLOCK:
            raise KeyboardInterrupt("stopped during the search")
    with pytest.raises(KeyboardInterrupt):
        build(tmp_path, stop_after_three_blocks)
    (folder,) = tmp_path.iterdir()                        # one folder, keyed by the inputs
    assert len(list(folder.glob("block-*.npz"))) == 3
    searched = counting_search(monkeypatch)
    seen = []
    resumed = build(tmp_path, lambda done, total, stage: seen.append((done, total, stage)))
    assert sum(searched) == QUERIES - 3 * BLOCK           # only the unfinished blocks
    assert seen[0] == (3 * BLOCK, QUERIES, "search")      # the bar starts at what is done
    assert seen[-1] == (QUERIES, QUERIES, "search")
    assert_same_pool(resumed, uninterrupted)
    assert not folder.exists()                            # a whole search leaves no blocks


def test_changed_inputs_never_reuse_blocks(tmp_path):
    _, _, q, d = synthetic()
    requests = (np.arange(3), np.arange(3))
    key = search_blocks.checkpoint_dir(tmp_path, q, d, top_n=5, requests=requests, block=4)
    assert key == search_blocks.checkpoint_dir(tmp_path, q.copy(), d, top_n=5, requests=requests,
                                               block=4)
    changed_doc = d.copy()
    changed_doc[7, 0] += 1e-3
    others = [search_blocks.checkpoint_dir(tmp_path, q, d, top_n=6, requests=requests, block=4),
              search_blocks.checkpoint_dir(tmp_path, q, changed_doc, top_n=5, requests=requests,
                                           block=4),
              search_blocks.checkpoint_dir(tmp_path, q, d, top_n=5, block=4,
                                           requests=(np.arange(3), np.arange(1, 4))),
              search_blocks.checkpoint_dir(tmp_path, q, d, top_n=5, requests=requests, block=5)]
    assert len({key, *others}) == 5


def test_an_unreadable_block_is_searched_again(tmp_path, monkeypatch):
    uninterrupted = build(None)

    def stop(done, total, stage):
        if done >= 2 * BLOCK:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        build(tmp_path, stop)
    (folder,) = tmp_path.iterdir()
    (folder / "block-000001.npz").write_bytes(b"cut short")
    searched = counting_search(monkeypatch)
    with pytest.warns(UserWarning, match="unreadable"):
        resumed = build(tmp_path)
    assert sum(searched) == QUERIES - BLOCK
    assert_same_pool(resumed, uninterrupted)


CHILD = """
import sys, time
sys.path.insert(0, {repo!r})
from tests.scoring.test_search_blocks import build
build({root!r}, lambda done, total, stage: time.sleep(0.15))
"""


def test_a_search_sigkilled_at_a_seeded_moment_resumes(tmp_path, monkeypatch):
    rng = np.random.default_rng(20)
    blocks_before_kill = int(rng.integers(2, 8))
    extra_delay = float(rng.uniform(0.0, 0.15))           # lands anywhere between two blocks
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(repo=str(REPO), root=str(tmp_path))],
                             cwd=REPO)
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("*/block-*.npz"))) < blocks_before_kill:
            assert child.poll() is None, "the child finished before it was killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(extra_delay)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    done = len(list(tmp_path.glob("*/block-*.npz")))
    assert blocks_before_kill <= done < QUERIES // BLOCK
    searched = counting_search(monkeypatch)
    resumed = build(tmp_path)
    assert sum(searched) == QUERIES - done * BLOCK
    assert_same_pool(resumed, build(None))
