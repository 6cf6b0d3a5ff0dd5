"""Which candidates the pages analyse, and opening them (a scored file's own, or a sample)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import workspace as ws
from analysis.measure.query_sample import sample_queries
from analysis.scoring.file_rank import file_candidates
from analysis.scoring.synthetic import make_pool

MINED = Path(__file__).resolve().parents[2] / "sample_data" / "mined" / "sentence_transformers_ntuple.jsonl"


@pytest.fixture
def scored():
    if not MINED.is_file():
        pytest.skip(f"{MINED} is absent")
    return ws.load_dataset(MINED)


def test_the_kind_follows_scores_ranks_and_a_built_pool(scored):
    unscored = scored.with_pairs(scored.pairs.assign(score=float("nan")))
    assert ws.candidates_kind(scored, pool_built=False) == "file"
    assert ws.candidates_kind(scored, pool_built=True) == "pool"
    assert ws.candidates_kind(unscored, pool_built=False) == ""
    assert ws.candidates_kind(unscored, pool_built=True) == "pool"
    assert ws.candidates_kind(make_pool(num_queries=3, pool_size=5), pool_built=False) == "pool"


def test_a_file_opens_on_its_own_candidates_and_samples_by_seed(scored, tmp_path):
    settings = ws.PoolSettings()
    whole = ws.open_candidates(scored, "sha", kind="file", settings=settings)
    pd.testing.assert_frame_equal(whole.pairs, file_candidates(scored).pairs)
    sample = ws.open_candidates(scored, "sha", kind="file", settings=settings, sample=7, seed=3)
    assert len(sample.queries) == 7
    pd.testing.assert_frame_equal(sample.pairs, sample_queries(whole, 7, seed=3).pairs)
