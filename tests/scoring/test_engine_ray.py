"""The Ray engine builds the same pool as the local engine (local Ray, 2 CPUs), and builds
resume from the embedding cache after an interruption."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.formats import load
from analysis.scoring import encode as encode_module
from analysis.scoring.embedding_cache import EmbeddingCache, text_keys
from analysis.scoring.encode import load_encoder, model_identity, resolve_model
from analysis.scoring.pool import build_pool
from tests.conftest import SAMPLE_DATA

ray = pytest.importorskip("ray", reason="ray[data] is not installed (requirements.txt pins it)")

LEFT_TO_ENCODE = 60


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_pool_equals_local_pool_on_sample_data(local_ray, tmp_path):
    from analysis.scoring.engine_ray import build_pool_ray

    nset = load(SAMPLE_DATA)
    encoder = load_encoder(None)
    local = build_pool(nset, model=encoder, top_n=20)
    # a cache holding all but LEFT_TO_ENCODE documents: the Ray actors encode those
    doc_texts = list(dict.fromkeys(nset.docs["text"].astype(str)))
    cache = EmbeddingCache({"model": model_identity(resolve_model(None)), "role": "document",
                            "prompt": None}, directory=tmp_path)
    known = doc_texts[LEFT_TO_ENCODE:]
    cache.add(text_keys(known), encoder.embed(known, role="document"))
    on_ray = build_pool_ray(nset, top_n=20, cache_dir=tmp_path, actors=2)
    settings = on_ray.meta["pool"]
    assert settings["engine"] == "ray"
    assert settings["encoded_texts"] == LEFT_TO_ENCODE + len(set(nset.queries["text"]))
    assert settings["encode_rate"] > 0
    a, b = local.pairs, on_ray.pairs
    assert len(a) == len(b)
    for column in ("qid", "did", "source", "label", "rank"):
        assert a[column].astype(str).tolist() == b[column].astype(str).tolist(), column
    np.testing.assert_allclose(a["score"], b["score"], atol=1e-6)


def test_interrupted_build_resumes_from_the_cache(tmp_path, monkeypatch):
    nset = load(SAMPLE_DATA)
    texts = list(dict.fromkeys(nset.docs["text"].astype(str)))[:200]
    monkeypatch.setattr(encode_module, "ENCODE_CHUNK", 50)
    encoder = load_encoder(None)

    def stop_halfway(done, total, stage):
        if done >= total // 2 and done > 0:
            raise KeyboardInterrupt("killed at 50%")

    with pytest.raises(KeyboardInterrupt):
        encoder.embed(texts, cache_dir=tmp_path, progress=stop_halfway)
    first = encoder.encoded
    assert first == 100
    seen = []
    resumed = encoder.embed(texts, cache_dir=tmp_path, progress=lambda d, t, s: seen.append((d, t)))
    assert encoder.encoded == len(texts)          # 100 + 100: nothing encoded twice
    assert seen[0] == (0, 100)                    # progress starts at what is left
    fresh = load_encoder(None).embed(texts, use_cache=False)
    np.testing.assert_allclose(resumed, fresh, atol=1e-6)


def test_a_stopped_ray_search_resumes_from_its_blocks_on_either_engine(local_ray, tmp_path,
                                                                       monkeypatch):
    from analysis.scoring.engine_ray import ray_blocks
    from analysis.scoring.pool import pool_from_embeddings
    from tests.scoring.test_search_blocks import (
        BLOCK,
        QUERIES,
        TOP_N,
        assert_same_pool,
        build,
        counting_search,
        synthetic,
    )

    nset, corpus, q, d = synthetic()
    seen = []

    def stop(done, total, stage):
        seen.append(done)
        if done >= 2 * BLOCK:
            raise KeyboardInterrupt("stopped during the search")
    with pytest.raises(KeyboardInterrupt):
        pool_from_embeddings(nset, corpus, q, d, top_n=TOP_N, checkpoint=tmp_path, block=BLOCK,
                             search=ray_blocks, progress=stop)
    done = len(list(tmp_path.glob("*/block-*.npz")))
    assert done >= 2 and seen[0] == 0
    on_ray = pool_from_embeddings(nset, corpus, q, d, top_n=TOP_N, checkpoint=tmp_path / "again",
                                  block=BLOCK, search=ray_blocks)
    assert_same_pool(on_ray, build(None))                 # Ray blocks = the local engine's pool
    searched = counting_search(monkeypatch)               # the local engine finishes the build
    resumed = build(tmp_path)
    assert sum(searched) == QUERIES - done * BLOCK
    assert_same_pool(resumed, on_ray)


def test_the_workspace_builds_on_ray_when_a_cluster_is_configured(local_ray, tmp_path, monkeypatch):
    from analysis import workspace as ws
    from analysis.scoring.estimate import estimate_build

    monkeypatch.setenv(ws.data.RAY_ADDRESS_ENV, "auto")  # the Ray this process already runs
    nset = load(SAMPLE_DATA)
    settings = ws.PoolSettings(top_n=20)
    on_ray = ws.ensure_pool(nset, "f" * 64, settings, cache_dir=tmp_path, engine="ray")
    assert on_ray.meta["pool"]["engine"] == "ray"
    assert ws.cached_pool("f" * 64, settings, cache_dir=tmp_path) is not None
    assert estimate_build(10, engine="ray", cache_dir=tmp_path).measured
    local = build_pool(nset, top_n=20)
    for column in ("qid", "did", "rank"):
        assert on_ray.pairs[column].astype(str).tolist() == local.pairs[column].astype(str).tolist()


def test_equal_texts_merge_on_ray_as_they_do_locally(local_ray, tmp_path):
    """`pool --engine ray` merges equal texts by default, as the local engine does."""
    import pandas as pd

    from analysis.scoring.engine_ray import build_pool_ray

    nset = load(SAMPLE_DATA)
    first = nset.docs["text"].astype(str).iloc[0]
    corpus = pd.DataFrame({"did": ["copy-a", "copy-b"], "text": [first + " (copy)"] * 2})
    local = build_pool(nset, corpus=corpus, top_n=20, merge_texts=True)
    on_ray = build_pool_ray(nset, corpus=corpus, top_n=20, merge_texts=True, checkpoint=tmp_path)
    assert on_ray.meta["pool"]["merged_equal_texts"] == local.meta["pool"]["merged_equal_texts"]
    assert on_ray.meta["pool"]["merged_equal_texts"]["documents"] >= 1
    for column in ("qid", "did", "rank"):
        assert on_ray.pairs[column].astype(str).tolist() == local.pairs[column].astype(str).tolist()
