"""Shared fixtures: where the real data lives, and one embedding cache per test run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO / "sample_data"
SHARED_DATA = REPO.parent / "shared" / "data"
CRANFIELD = SHARED_DATA / "cranfield"
INTEROP = SHARED_DATA / "interop"


def require_shared(path: Path) -> Path:
    """Skip, saying why, when ../shared/data is not beside the checkout."""
    if not path.exists():
        pytest.skip(f"real data not found at {path} (../shared/data is absent on this machine)")
    return path


@pytest.fixture(scope="session")
def cranfield_dir() -> Path:
    return require_shared(CRANFIELD)


@pytest.fixture(scope="session")
def interop_dir() -> Path:
    return require_shared(INTEROP)


@pytest.fixture(scope="session", autouse=True)
def _shared_embedding_cache(tmp_path_factory) -> None:
    """One embedding cache for the whole run (all xdist workers), never inside the repo.

    Real text is encoded once per run; tests that need a cold cache pass their own directory.
    Set NEGLENS_TEST_CACHE_DIR to keep the cache between runs while developing.
    """
    kept = os.environ.get("NEGLENS_TEST_CACHE_DIR")
    if kept:
        os.environ["NEGLENS_CACHE_DIR"] = kept
        return
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    cache = shared / "neglens-embedding-cache"
    cache.mkdir(parents=True, exist_ok=True)
    os.environ["NEGLENS_CACHE_DIR"] = str(cache)


os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
