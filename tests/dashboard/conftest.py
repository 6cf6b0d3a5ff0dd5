"""Fixtures for the dashboard tests (helpers live in apptest_helpers.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from apptest_helpers import SAMPLE_DATA, pool_file

MINED = SAMPLE_DATA / "mined" / "sentence_transformers_ntuple.jsonl"


@pytest.fixture
def small_pool(tmp_path) -> Path:
    return pool_file(tmp_path / "pool.parquet")


@pytest.fixture(scope="session")
def sample_copy(tmp_path_factory) -> Path:
    if not (SAMPLE_DATA / "corpus.jsonl").exists():
        pytest.skip(f"sample data not found at {SAMPLE_DATA}")
    target = tmp_path_factory.mktemp("sample") / "sample_data"
    shutil.copytree(SAMPLE_DATA, target, ignore=shutil.ignore_patterns("neglens-review.json"))
    return target




@pytest.fixture
def mined(tmp_path, monkeypatch) -> Path:
    """A copy of the sample's scored n-tuple file, with a cache (and review store) of its own."""
    if not MINED.is_file():
        pytest.skip(f"{MINED} is absent")
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))
    return Path(shutil.copy(MINED, tmp_path / MINED.name))
