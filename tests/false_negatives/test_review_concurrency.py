"""The review store under concurrent writers (processes and threads, as Streamlit serves tabs)
and under a writer killed (SIGKILL) at random points: nothing acknowledged is lost."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import threading
import time

import pytest

from analysis.false_negatives.review import ReviewStore

WRITERS, MARKS = 4, 250
FORK = multiprocessing.get_context("fork")


def _write(path, writer: int, verdict: str = "false_negative") -> None:
    store = ReviewStore(path)
    for n in range(MARKS):
        store.mark(f"q{writer}", f"d{n}", verdict, reviewer=f"w{writer}")


def _read_until(path, done, seen: list) -> None:
    store = ReviewStore(path)
    while not done():
        seen.append(len(store.all()))
    seen.append(len(store.all()))


def _check_all_present(path, seen: list) -> None:
    table = ReviewStore(path).all()
    assert len(table) == WRITERS * MARKS
    assert sorted(table["reviewer"].unique()) == [f"w{w}" for w in range(WRITERS)]
    assert seen == sorted(seen) and seen[-1] == WRITERS * MARKS   # the reader never went back


def test_four_processes_and_a_reader_lose_no_mark(tmp_path):
    path = tmp_path / "r.sqlite"
    ReviewStore(path)
    procs = [FORK.Process(target=_write, args=(path, w)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    seen: list[int] = []
    _read_until(path, lambda: not any(p.is_alive() for p in procs), seen)
    for p in procs:
        p.join()
        assert p.exitcode == 0
    _check_all_present(path, seen)
    assert len(set(seen)) > 2, "the reader should have seen the writers at work"


def test_four_threads_and_a_reader_lose_no_mark(tmp_path):
    path = tmp_path / "r.sqlite"
    threads = [threading.Thread(target=_write, args=(path, w)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    seen: list[int] = []
    _read_until(path, lambda: not any(t.is_alive() for t in threads), seen)
    for t in threads:
        t.join()
    _check_all_present(path, seen)


def test_bulk_marks_are_one_transaction(tmp_path):
    store = ReviewStore(tmp_path / "r.sqlite")
    keys = [("q", f"d{n}") for n in range(500)]
    seen: list[int] = []
    worker = threading.Thread(target=store.mark_many, args=(keys, "unsure"))
    worker.start()
    _read_until(store.path, lambda: not worker.is_alive(), seen)
    assert set(seen) <= {0, 500} and seen[-1] == 500            # all or nothing, never half
    assert store.unmark_many(keys) == 500 and store.all().empty


def _mark_and_acknowledge(path, pipe) -> None:
    store = ReviewStore(path)
    n = 0
    while True:
        store.mark_many([(f"q{n}", f"d{n}"), (f"q{n}", f"e{n}")], "false_negative")
        pipe.send(n)                                   # acknowledged: the call returned
        n += 1


@pytest.mark.parametrize("seed", range(20))
def test_a_writer_killed_at_a_random_point_loses_nothing_acknowledged(tmp_path, seed):
    path = tmp_path / "r.sqlite"
    ReviewStore(path)
    receive, send = FORK.Pipe(duplex=False)
    proc = FORK.Process(target=_mark_and_acknowledge, args=(path, send))
    proc.start()
    time.sleep(random.Random(seed).uniform(0.005, 0.08))
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    acknowledged = []
    while receive.poll():
        acknowledged.append(receive.recv())
    table = ReviewStore(path).all()                    # opens: the database is whole
    pairs = set(zip(table["qid"], table["did"]))
    for n in acknowledged:
        assert {(f"q{n}", f"d{n}"), (f"q{n}", f"e{n}")} <= pairs
    assert len(table) % 2 == 0                          # a bulk mark is never half there
    assert len(table) // 2 - len(acknowledged) in (0, 1)  # at most the one in flight
