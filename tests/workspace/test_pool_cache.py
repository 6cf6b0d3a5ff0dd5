"""The workspace pool cache: one build per pool key however many sessions ask at once, and a
writer killed at any point leaves either no pool or a whole one.

The builder is replaced by a counting one that returns a synthetic pool: what is under test is
the cache (lock, temporary, rename), not the model that fills it.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import threading
import time

import pandas as pd
import pytest

from analysis.model import NegativeSet
from analysis.scoring.synthetic import make_pool
from analysis.workspace.data import PoolSettings, cached_pool, ensure_pool, pool_file

FORK = multiprocessing.get_context("fork")
SETTINGS = PoolSettings(top_n=5)
SHA = "ab" * 32


def _raw() -> NegativeSet:
    return NegativeSet(pd.DataFrame({"qid": ["q"], "text": ["a"]}),
                       pd.DataFrame({"did": ["d"], "text": ["b"]}),
                       pd.DataFrame({"qid": ["q"], "did": ["d"], "label": [1], "source": ["qrels"]}))


@pytest.fixture
def counted_builds(monkeypatch, tmp_path):
    """Replace build_pool by a slow synthetic build that appends a line per call to a file
    (so builds in forked processes are counted too)."""
    log = tmp_path / "builds.log"

    def build(nset, **kwargs):
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        time.sleep(0.05)
        return make_pool(num_queries=200, pool_size=50, seed=1)

    monkeypatch.setattr("analysis.scoring.pool.build_pool", build)
    return log


def _ask(cache_dir) -> None:
    ensure_pool(_raw(), SHA, SETTINGS, cache_dir=cache_dir)


def test_two_sessions_and_two_processes_asking_for_one_pool_build_it_once(counted_builds, tmp_path):
    cache = tmp_path / "ws"
    threads = [threading.Thread(target=_ask, args=(cache,)) for _ in range(2)]
    procs = [FORK.Process(target=_ask, args=(cache,)) for _ in range(2)]
    for worker in procs + threads:        # fork before any thread runs
        worker.start()
    for worker in procs + threads:
        worker.join(timeout=60)
    for p in procs:
        if p.is_alive():
            p.kill()
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    assert len(counted_builds.read_text().splitlines()) == 1
    pool = cached_pool(SHA, SETTINGS, cache_dir=cache)
    assert len(pool.pairs) == len(make_pool(num_queries=200, pool_size=50, seed=1).pairs)
    assert not list(pool_file(SHA, SETTINGS, cache_dir=cache).parent.glob("*.tmp"))


@pytest.mark.parametrize("seed", range(20))
def test_a_writer_killed_at_a_random_point_leaves_no_pool_or_a_whole_one(counted_builds, tmp_path, seed):
    cache = tmp_path / "ws"
    proc = FORK.Process(target=_ask, args=(cache,))
    proc.start()
    time.sleep(random.Random(seed).uniform(0.03, 0.15))  # during the build or the write
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(timeout=30)
    expected = len(make_pool(num_queries=200, pool_size=50, seed=1).pairs)
    found = cached_pool(SHA, SETTINGS, cache_dir=cache)
    assert found is None or len(found.pairs) == expected   # never a half pool
    # restart: the lock died with the process; the pool is read whole or built again
    again = ensure_pool(_raw(), SHA, SETTINGS, cache_dir=cache)
    assert len(again.pairs) == expected
    assert len(cached_pool(SHA, SETTINGS, cache_dir=cache).pairs) == expected
