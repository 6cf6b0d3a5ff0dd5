"""Embedding views on demand (issue 15): on a scored file's own candidates the map, the
near-duplicate signal and the clusters say what they need and encode only when asked."""

from __future__ import annotations

import numpy as np
import pytest
from apptest_helpers import assert_clean, open_app, page

from analysis import workspace as ws
from analysis.formats import load
from analysis.scoring.embedding_cache import EmbeddingCache, text_keys
from analysis.scoring.file_rank import file_candidates


def test_the_need_counts_what_the_cache_already_holds(mined, tmp_path):
    cands = ws.with_embedding_model(file_candidates(load(mined)))
    texts = len(set(cands.queries["text"].astype(str))) + len(set(cands.docs["text"].astype(str)))
    need = ws.embedding_need(cands, cache_dir=tmp_path / "emb", rates_dir=tmp_path)
    assert (need.texts, need.cached, need.estimate.texts) == (texts, 0, texts)
    assert f"encodes {texts:,} texts" in need.describe()
    spec = cands.meta["embedding"]
    queries = list(dict.fromkeys(cands.queries["text"].astype(str)))[:7]
    EmbeddingCache({"model": spec["model_identity"], "role": "query", "prompt": None},
                   directory=tmp_path / "emb").add(text_keys(queries), np.ones((7, 4), np.float32))
    need = ws.embedding_need(cands, cache_dir=tmp_path / "emb", rates_dir=tmp_path)
    assert (need.cached, need.estimate.texts) == (7, texts - 7)
    assert ws.pool_embeddings(cands, cache_dir=tmp_path / "emb") is None  # nothing encoded


def test_pages_say_what_embeddings_need_and_encode_nothing(mined, monkeypatch):
    at = open_app(monkeypatch, mined, query={"sample": "20"})
    for name, key in (("map", "map_encode"), ("browse", "browse_encode"),
                      ("compare", "compare_encode")):
        page(at, name)
        assert_clean(at)
        said = " ".join(i.value for i in at.info)
        assert "a random sample of 20 of 120 queries" in said and "encodes " in said, name
        assert at.button(key=key).label == "Encode the texts"


@pytest.mark.slow
def test_the_button_encodes_the_sample_and_the_map_draws(mined, monkeypatch):
    at = page(open_app(monkeypatch, mined, query={"sample": "20"}, timeout=300), "map")
    at.button(key="map_encode").click().run()
    assert_clean(at)
    assert at.get("plotly_chart"), "no map after encoding"
    assert any("points shown" in c.value for c in at.caption)
    page(at, "browse")
    assert "near_duplicate_score" in at.dataframe[0].value.columns
