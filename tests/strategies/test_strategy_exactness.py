"""``margin`` and ``range`` choose exactly what sentence-transformers' mine_hard_negatives chooses.

Same model, same embeddings, same scores (see conftest.py): for every query the list of
negatives must be identical, in order, and the filter counts sentence-transformers prints must
equal ours (min_score aside: sentence-transformers also counts candidates already removed,
whose score is -inf by then; we check that exact relation instead).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import case_pool, st_mine

from analysis.strategies import create

pytestmark = pytest.mark.slow

SETTINGS = [
    pytest.param(dict(range_min=5, range_max=30, num_negatives=5), id="range"),
    pytest.param(dict(absolute_margin=0.05, num_negatives=5), id="absolute_margin"),
    pytest.param(dict(relative_margin=0.05, num_negatives=4), id="relative_margin"),
    pytest.param(dict(max_score=0.6, min_score=0.3, range_min=3, range_max=60, num_negatives=8),
                 id="max_min_score"),
    pytest.param(dict(absolute_margin=0.0, relative_margin=0.1, max_score=0.75, range_min=2,
                      range_max=40, num_negatives=6), id="all_filters"),
    pytest.param(dict(min_score=0.5, num_negatives=10), id="min_score_short"),
]
DEPTH = 100


@pytest.fixture(params=["cranfield_case", "sample_data_case"])
def case(request):
    return request.getfixturevalue(request.param)


def skip_single_positive(case, positives: int) -> None:
    if positives > 1 and max(map(len, case.relevant.values())) == 1:
        pytest.skip(f"{case.name} has one labelled positive per query")


def by_query(case, pool, selection) -> dict[str, list[str]]:
    chosen = {q: [] for q in case.qids}
    pairs = selection.pairs(pool)
    for qid, did in zip(pairs["qid"].astype(str), pairs["did"].astype(str)):
        chosen[qid].append(did)
    return chosen


@pytest.mark.parametrize("positives", [1, 3])
@pytest.mark.parametrize("settings", SETTINGS)
def test_margin_matches_mine_hard_negatives(case, encoder, tmp_path, settings, positives):
    skip_single_positive(case, positives)
    pool = case_pool(case, encoder.model, positives_per_query=positives, depth=DEPTH)
    mined, printed = st_mine(case, encoder.model, tmp_path, positives_per_query=positives, **settings)

    strategy = create("margin", **settings)
    selection = strategy.select(pool, np.random.default_rng(0))

    assert by_query(case, pool, selection) == mined
    assert sum(map(len, mined.values())) > 0
    assert not any("only reaches rank" in note for note in selection.report.notes)
    ours = {step.name: step for step in selection.report.filters}
    for name, count in printed.items():
        if name == "min_score":
            most = max(map(len, case.positives(positives).values()))
            window_cells = len(case.qids) * (strategy.effective_range_max(most) + most)
            already_removed = window_cells - ours[name].candidates
            assert count == ours[name].removed + already_removed
        else:
            assert count == ours[name].removed, name
    assert {n for n, step in ours.items() if step.removed} == set(printed)


@pytest.mark.parametrize("positives", [1, 3])
def test_range_matches_mine_hard_negatives_without_filters(case, encoder, tmp_path, positives):
    skip_single_positive(case, positives)
    pool = case_pool(case, encoder.model, positives_per_query=positives, depth=DEPTH)
    mined, _ = st_mine(case, encoder.model, tmp_path, positives_per_query=positives,
                       range_min=7, range_max=25, num_negatives=9)

    selection = create("range", range_min=7, range_max=25, num_negatives=9, sampling="top",
                       count="negatives").select(pool, np.random.default_rng(0))

    assert by_query(case, pool, selection) == mined
    assert all(len(negatives) == 9 for negatives in mined.values())


def test_random_sampling_draws_from_the_same_candidates(case, encoder, tmp_path):
    """sampling='random' draws from the positions sentence-transformers samples from."""
    settings = dict(relative_margin=0.05, range_min=2, range_max=30, num_negatives=4)
    pool = case_pool(case, encoder.model, positives_per_query=1, depth=DEPTH)
    top = create("margin", **settings, sampling="top").select(pool, np.random.default_rng(0))
    wide = create("margin", **{**settings, "num_negatives": 28}, sampling="top").select(
        pool, np.random.default_rng(0))
    candidates = set(map(tuple, wide.pairs(pool)[["qid", "did"]].astype(str).to_numpy()))
    for seed in range(5):
        drawn = create("margin", **settings, sampling="random").select(pool, np.random.default_rng(seed))
        assert set(map(tuple, drawn.pairs(pool)[["qid", "did"]].astype(str).to_numpy())) <= candidates
        assert len(drawn) == len(top)
