"""Fixtures for the dashboard tests (helpers live in apptest_helpers.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from apptest_helpers import SAMPLE_DATA, pool_file


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


