"""The cached bi-encoder: same vectors as the model, deduplication, no re-encoding."""

from __future__ import annotations

import numpy as np
import pytest

import analysis.scoring.encode as encode
from analysis.model import DataError
from analysis.scoring.encode import (
    DEFAULT_MODEL_NAME,
    default_model_path,
    load_encoder,
    model_identity,
    resolve_model,
)

TEXTS = ["the wing in a propeller slipstream", "boundary layer transition",
         "the wing in a propeller slipstream", "heat transfer to a flat plate", ""]


@pytest.fixture(scope="module")
def encoder():
    return load_encoder()


@pytest.fixture
def calls(encoder, monkeypatch):
    """Every batch of texts the model is asked to encode, per role."""
    seen = {"query": [], "document": []}
    for role, name in (("query", "encode_query"), ("document", "encode_document")):
        original = getattr(encoder.model, name)

        def counted(texts, *args, _original=original, _role=role, **kwargs):
            seen[_role].append(list(texts))
            return _original(texts, *args, **kwargs)

        monkeypatch.setattr(encoder.model, name, counted)
    return seen


def test_default_model_is_the_bundled_minilm(encoder):
    assert resolve_model(None) == resolve_model(DEFAULT_MODEL_NAME) == default_model_path()
    assert resolve_model("some/other-model") == "some/other-model"
    assert encoder.name == DEFAULT_MODEL_NAME
    assert encoder.identity.startswith(f"path:{default_model_path()}#")
    assert encoder.dimension == 384


def test_embeddings_are_the_models_own_normalised_vectors(encoder, calls, tmp_path):
    got = encoder.embed(TEXTS, role="document", cache_dir=tmp_path)
    assert got.dtype == np.float32 and got.shape == (5, 384)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6)
    expected = encoder.model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    np.testing.assert_array_equal(got[0], got[2])
    assert sorted(sum(calls["document"], [])) == sorted(set(TEXTS))  # duplicates encoded once


def test_a_second_run_encodes_nothing(encoder, calls, tmp_path):
    first = encoder.embed(TEXTS, role="query", cache_dir=tmp_path)
    before = encoder.encoded
    assert len(calls["query"]) == 1
    second = encoder.embed(list(reversed(TEXTS)), role="query", cache_dir=tmp_path)
    assert len(calls["query"]) == 1 and encoder.encoded == before
    np.testing.assert_array_equal(second, first[::-1])


def test_only_new_texts_are_encoded(encoder, calls, tmp_path):
    encoder.embed(TEXTS[:2], cache_dir=tmp_path)
    encoder.embed(TEXTS, cache_dir=tmp_path)
    assert [sorted(c) for c in calls["document"]] == [sorted(TEXTS[:2]),
                                                        sorted(["", "heat transfer to a flat plate"])]


def test_a_prompt_changes_the_vectors_and_the_cache_entry(encoder, calls, tmp_path):
    plain = encoder.embed(TEXTS[:2], role="query", cache_dir=tmp_path)
    prompted = encoder.embed(TEXTS[:2], role="query", prompt="query: ", cache_dir=tmp_path)
    assert len(calls["query"]) == 2
    expected = encoder.model.encode_query(TEXTS[:2], prompt="query: ", normalize_embeddings=True)
    np.testing.assert_allclose(prompted, expected, atol=1e-6)
    assert np.abs(prompted - plain).max() > 1e-3


def test_progress_is_reported_per_chunk(encoder, tmp_path, monkeypatch):
    monkeypatch.setattr(encode, "ENCODE_CHUNK", 2)
    seen = []
    encoder.embed(TEXTS, cache_dir=tmp_path, progress=lambda *a: seen.append(a))
    assert seen == [(0, 4, "encode documents"), (2, 4, "encode documents"),
                    (4, 4, "encode documents")]
    seen.clear()
    encoder.embed(TEXTS, cache_dir=tmp_path, progress=lambda *a: seen.append(a))
    assert seen == [(0, 0, "encode documents")]


def test_no_texts_give_an_empty_matrix(encoder, tmp_path):
    assert encoder.embed([], cache_dir=tmp_path).shape == (0, 384)


def test_bad_options_are_located(encoder, tmp_path):
    with pytest.raises(DataError, match='field "role"'):
        encoder.embed(["a"], role="passage", cache_dir=tmp_path)
    with pytest.raises(DataError, match='field "batch_size"'):
        encoder.embed(["a"], batch_size=0, cache_dir=tmp_path)
    with pytest.raises(DataError, match='field "model".*not found'):
        load_encoder(tmp_path / "no-such-model")


def test_model_identity_changes_with_the_files(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    first = model_identity(tmp_path)
    assert first.startswith(f"path:{tmp_path.resolve()}#")
    assert model_identity(tmp_path) == first
    (tmp_path / "config.json").write_text('{"hidden_size": 8}')
    assert model_identity(tmp_path) != first
    assert model_identity("no-such-org/no-such-model") == "hub:no-such-org/no-such-model"
