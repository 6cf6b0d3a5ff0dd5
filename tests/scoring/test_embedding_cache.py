"""The on-disk embedding cache: keys, shards, namespaces, safety of concurrent writers."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import signal
import time
import warnings

import numpy as np
import pytest

from analysis.scoring.embedding_cache import (
    MAX_SHARDS,
    EmbeddingCache,
    default_cache_dir,
    namespace_id,
    text_keys,
)

DESCRIPTION = {"model": "path:/m#abc", "role": "document", "prompt": None}


def vectors(n: int, dim: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)


def test_text_keys_are_sha256_of_utf8():
    keys = text_keys(["a", "é"])
    assert keys.dtype == np.dtype("S32")
    assert keys[0] == hashlib.sha256(b"a").digest()
    assert keys[1] == hashlib.sha256("é".encode("utf-8")).digest()


def test_default_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("NEGLENS_CACHE_DIR")
    assert default_cache_dir().parts[-2:] == (".cache", "neglens")


def test_lookup_returns_what_was_added_in_request_order(tmp_path):
    cache = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    keys, vecs = text_keys(["x", "y", "z"]), vectors(3)
    cache.add(keys, vecs)
    found, got = cache.lookup(text_keys(["z", "nope", "x"]))
    assert found.tolist() == [True, False, True]
    np.testing.assert_array_equal(got, vecs[[2, 0]])


def test_a_new_instance_reads_shards_from_disk(tmp_path):
    first = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    first.add(text_keys(["a", "b"]), vectors(2, seed=1))
    first.add(text_keys(["c"]), vectors(1, seed=2))
    second = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    assert len(second) == 3
    found, got = second.lookup(text_keys(["c", "a"]))
    assert found.all()
    np.testing.assert_array_equal(got, np.vstack([vectors(1, seed=2)[0], vectors(2, seed=1)[0]]))
    files = sorted(p.name for p in second.path.iterdir())
    assert "namespace.json" in files
    assert sum(f.endswith(".keys.npy") for f in files) == 2
    assert not [f for f in files if f.endswith(".tmp")]


def test_namespaces_are_isolated(tmp_path):
    EmbeddingCache(DESCRIPTION, directory=tmp_path).add(text_keys(["a"]), vectors(1))
    other = EmbeddingCache({**DESCRIPTION, "prompt": "query: "}, directory=tmp_path)
    assert len(other) == 0
    assert not other.lookup(text_keys(["a"]))[0].any()
    assert namespace_id(DESCRIPTION) != namespace_id({**DESCRIPTION, "prompt": "query: "})


def test_refresh_sees_shards_written_by_another_writer(tmp_path):
    reader = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    EmbeddingCache(DESCRIPTION, directory=tmp_path).add(text_keys(["a"]), vectors(1))
    assert not reader.lookup(text_keys(["a"]))[0].any()
    reader.refresh()
    assert reader.lookup(text_keys(["a"]))[0].all()


def test_writing_the_same_shard_twice_is_harmless(tmp_path):
    one, two = (EmbeddingCache(DESCRIPTION, directory=tmp_path) for _ in range(2))
    keys, vecs = text_keys(["a", "b"]), vectors(2)
    one.add(keys, vecs)
    two.add(keys, vecs)
    fresh = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    assert len(fresh) == 2
    assert len(list(fresh.path.glob("*.keys.npy"))) == 1


def test_overlapping_shards_keep_one_entry_per_key(tmp_path):
    cache = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    cache.add(text_keys(["a", "b"]), vectors(2))
    cache.add(text_keys(["b", "c"]), vectors(2, seed=3))
    assert len(cache) == 3
    assert len(EmbeddingCache(DESCRIPTION, directory=tmp_path)) == 3


def test_bad_input_is_refused(tmp_path):
    cache = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    with pytest.raises(ValueError, match="cannot cache 2 keys"):
        cache.add(text_keys(["a", "b"]), vectors(3))
    cache.add(text_keys(["a"]), vectors(1, dim=4))
    with pytest.raises(ValueError, match="dimension 8"):
        cache.add(text_keys(["b"]), vectors(1, dim=8))


def test_a_corrupt_shard_is_skipped_with_a_warning_and_rebuilt(tmp_path):
    cache = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    cache.add(text_keys(["a", "b"]), vectors(2))
    cache.add(text_keys(["c"]), vectors(1, seed=1))
    shard = next(p for p in cache.path.glob("*.vectors.npy")
                 if len(np.load(p)) == 2)
    np.save(shard, vectors(5))                          # wrong shape
    with pytest.warns(RuntimeWarning, match="unreadable embedding cache shard"):
        again = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    assert again.lookup(text_keys(["a", "b", "c"]))[0].tolist() == [False, False, True]
    again.add(text_keys(["a", "b"]), vectors(2))        # encoded again, stored again
    assert EmbeddingCache(DESCRIPTION, directory=tmp_path).lookup(text_keys(["a", "b"]))[0].all()


def test_an_empty_shard_left_by_a_power_loss_is_no_eoferror(tmp_path):
    cache = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    cache.add(text_keys(["a"]), vectors(1))
    for f in cache.path.glob("*.npy"):
        f.write_bytes(b"")
    with pytest.warns(RuntimeWarning, match="skipped and removed"):
        again = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    assert len(again) == 0 and not list(again.path.glob("*.npy"))


def test_pickled_shards_are_never_loaded(tmp_path):
    cache = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    cache.add(text_keys(["a"]), vectors(1))
    keys = next(cache.path.glob("*.keys.npy"))
    np.save(keys, np.array([b"x" * 32], dtype=object), allow_pickle=True)
    with pytest.warns(RuntimeWarning, match="allow_pickle=False"):
        again = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    assert len(again) == 0


def test_many_adds_keep_few_files_and_every_vector(tmp_path):
    cache = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    texts = [f"t{n}" for n in range(300)]
    for start in range(0, 300, 3):                      # 100 adds: would be 100 shards
        cache.add(text_keys(texts[start:start + 3]), vectors(3, seed=start))
    assert len(list(cache.path.glob("*.keys.npy"))) <= MAX_SHARDS + 1
    fresh = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    assert len(fresh) == 300
    found, got = fresh.lookup(text_keys(texts[::-1]))
    expected = np.vstack([vectors(3, seed=s) for s in range(0, 300, 3)])[::-1]
    assert found.all()
    np.testing.assert_array_equal(got, expected)


def test_stale_temporaries_are_swept(tmp_path):
    cache = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    cache.add(text_keys(["a"]), vectors(1))
    old, new = cache.path / ".x.npy.1.tmp", cache.path / ".y.npy.2.tmp"
    old.write_bytes(b"half")
    new.write_bytes(b"writing")
    os.utime(old, (time.time() - 2 * 3600,) * 2)
    EmbeddingCache(DESCRIPTION, directory=tmp_path)
    assert not old.exists() and new.exists()            # a live writer's file stays


def _fake_vectors(keys: np.ndarray) -> np.ndarray:
    """A vector made from the key itself, so a reader can check what it gets back."""
    return np.frombuffer(keys.tobytes(), dtype=np.uint8).reshape(len(keys), 32)[:, :4].astype(np.float32)


def _add_and_acknowledge(directory, seed, pipe) -> None:
    cache, rng, n = EmbeddingCache(DESCRIPTION, directory=directory), np.random.default_rng(seed), 0
    while True:
        size = int(rng.integers(1, 40))
        keys = text_keys([f"s{seed}-{i}" for i in range(n, n + size)])
        cache.add(keys, _fake_vectors(keys))
        pipe.send(n + size)                              # acknowledged: texts [0, n + size)
        n += size


@pytest.mark.parametrize("seed", range(20))
def test_a_writer_killed_at_a_random_point_leaves_a_readable_cache(tmp_path, seed):
    fork = multiprocessing.get_context("fork")
    receive, send = fork.Pipe(duplex=False)
    proc = fork.Process(target=_add_and_acknowledge, args=(tmp_path, seed, send))
    proc.start()
    time.sleep(random.Random(seed).uniform(0.01, 0.25))
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    done = 0
    while receive.poll():
        done = receive.recv()
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # no shard may be unreadable
        cache = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    keys = text_keys([f"s{seed}-{i}" for i in range(done)])
    found, got = cache.lookup(keys)
    assert found.all()
    if done:
        np.testing.assert_array_equal(got, _fake_vectors(keys))
    assert len(list(cache.path.glob("*.keys.npy"))) <= MAX_SHARDS + 1


def test_a_namespace_left_over_the_bound_by_a_killed_merge_is_merged_when_opened(tmp_path):
    cache = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    texts = [f"t{i}" for i in range(MAX_SHARDS + 2)]
    cache.path.mkdir(parents=True)
    for i, text in enumerate(texts):                 # what a merge killed before its unlinks leaves
        cache._write_shard(text_keys([text]), vectors(1, seed=i))
    assert len(list(cache.path.glob("*.keys.npy"))) == MAX_SHARDS + 2
    fresh = EmbeddingCache(DESCRIPTION, directory=tmp_path)
    assert len(list(fresh.path.glob("*.keys.npy"))) <= MAX_SHARDS // 2 + 1
    found, got = fresh.lookup(text_keys(texts))
    assert found.all()
    np.testing.assert_array_equal(got, np.vstack([vectors(1, seed=i) for i in range(len(texts))]))
