"""The registry contract, for every registered strategy: declarations, JSON round trips,
bit-for-bit reproducibility from {name, params, seed}, and what every selection guarantees."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import hand_pool

from analysis.model import DataError
from analysis.scoring.synthetic import make_pool
from analysis.strategies import (
    Strategy,
    create,
    from_json,
    get,
    parse_params,
    register,
    registry,
)

DESIGN_TABLE = ["random", "top_k", "range", "margin", "topk_abs", "topk_marginpos", "topk_percpos",
                "simans", "star", "cluster_balanced"]
# A setting other than the defaults for every strategy (a new strategy must add one).
OTHER_PARAMS = {
    "random": dict(num_negatives=7),
    "top_k": dict(num_negatives=3),
    "star": dict(num_negatives=6, hard_fraction=0.25),
    "range": dict(range_min=3, range_max=40, sampling="top", count="raw", num_negatives=5),
    "margin": dict(range_min=1, range_max=30, absolute_margin=0.01, relative_margin=0.02,
                   max_score=0.69, min_score=0.1, sampling="random", num_negatives=4),
    "topk_abs": dict(threshold=0.55, num_negatives=6),
    "topk_marginpos": dict(margin=0.1, positive="mean", num_negatives=5),
    "topk_percpos": dict(percentage=0.9, positive="max", num_negatives=2),
    "simans": dict(a=120.5, b=-0.03, positive="mean", num_negatives=9),
    "cluster_balanced": dict(num_bins=4, balance="gap", num_negatives=5),
}


@pytest.fixture(scope="module")
def pool():
    return make_pool(num_queries=300, pool_size=60, seed=5, positives_per_query=2, num_clusters=7)


def test_registry_holds_the_design_table_with_declared_parameters():
    found = registry()
    assert sorted(found) == sorted(DESIGN_TABLE)
    assert set(OTHER_PARAMS) == set(found)
    for info in found.values():
        assert info.summary and info.source
        names = [p.name for p in info.params]
        assert "num_negatives" in names
        for p in info.params:
            assert p.help, (info.name, p.name)
            assert p.check(p.default) == p.default
        json.dumps(info.as_dict())


@pytest.mark.parametrize("name", DESIGN_TABLE)
@pytest.mark.parametrize("settings", ["defaults", "other"])
def test_params_round_trip_through_json_and_reproduce_the_selection(pool, name, settings):
    strategy = create(name, **(OTHER_PARAMS[name] if settings == "other" else {}))
    saved = json.dumps({**strategy.to_json(), "seed": 1234})

    loaded = json.loads(saved)
    again = from_json(loaded)
    assert again == strategy and again.params == strategy.params

    first = strategy.select(pool, np.random.default_rng(1234))
    second = again.select(pool, np.random.default_rng(loaded["seed"]))
    assert first.rows.dtype == np.int64
    assert np.array_equal(first.rows, second.rows)
    assert first.report.as_dict() == second.report.as_dict()
    assert len(first) > 0


@pytest.mark.parametrize("name", DESIGN_TABLE)
def test_selections_hold_no_positive_are_ordered_and_never_exceed_the_request(pool, name):
    strategy = create(name, **OTHER_PARAMS[name])
    selection = strategy.select(pool, np.random.default_rng(0))
    pairs = selection.pairs(pool)
    assert (pairs["label"] == 0).all()
    assert (pairs["source"] == name).all()
    key = pairs["qid"].cat.codes.to_numpy().astype(np.int64) * 10**6 + pairs["rank"].to_numpy()
    assert (np.diff(key) > 0).all()
    per_query = pairs.groupby("qid", observed=True).size()
    assert per_query.max() <= strategy.num_negatives
    short = selection.report.short
    assert set(short["qid"]) == set(per_query[per_query < strategy.num_negatives].index.astype(str)) | (
        set(pool.pairs["qid"].astype(str)) - set(per_query.index.astype(str)))
    assert selection.report.selected == len(selection)


def test_short_queries_are_reported_not_padded():
    pool = hand_pool([("a", "d1", 1, 1, 0.9), ("a", "d2", 0, 2, 0.5), ("a", "d3", 0, 3, 0.4),
                      ("b", "d4", 1, 1, 0.8), ("b", "d1", 0, 2, 0.3), ("b", "d2", 0, 3, 0.2),
                      ("b", "d3", 0, 4, 0.1), ("b", "d5", 0, 5, 0.0)])
    selection = create("top_k", num_negatives=3).select(pool, np.random.default_rng(0))
    assert len(selection) == 5
    assert selection.report.short.to_dict("records") == [{"qid": "a", "found": 2}]
    assert "Could not find enough negatives for 1 queries (50.00%)" in selection.report.lines()[0]


def test_training_set_is_positives_plus_the_selection():
    pool = hand_pool([("a", "d1", 1, 2, 0.9), ("a", "d2", 0, 1, 0.95), ("a", "d3", 0, 3, 0.4),
                      ("b", "d4", 1, 1, 0.8), ("b", "d1", 0, 2, 0.3)])
    selection = create("top_k", num_negatives=1).select(pool, np.random.default_rng(0))
    data = selection.training_set(pool)
    rows = data.pairs[["qid", "did", "label"]].astype({"qid": str, "did": str}).values.tolist()
    assert rows == [["a", "d2", 0], ["a", "d1", 1], ["b", "d4", 1], ["b", "d1", 0]]
    assert set(data.pairs["source"]) == {"top_k"}
    assert data.meta["strategy"] == "top_k"


def test_training_set_leaves_out_queries_without_negatives_unless_asked():
    pool = hand_pool([("a", "d1", 1, 1, 0.9), ("a", "d2", 0, 2, 0.95),
                      ("b", "d4", 1, 1, 0.8), ("b", "d1", 0, 2, 0.3)])
    selection = create("topk_abs", threshold=0.5, num_negatives=1).select(pool, np.random.default_rng(0))
    assert selection.report.short.to_dict("records") == [{"qid": "a", "found": 0}]
    assert set(selection.training_set(pool).pairs["qid"].astype(str)) == {"b"}
    kept = selection.training_set(pool, keep_empty=True).pairs
    assert kept[["qid", "did"]].astype(str).values.tolist() == [["a", "d1"], ["b", "d4"], ["b", "d1"]]


def test_parameters_are_validated_with_the_field_named():
    with pytest.raises(DataError) as err:
        create("simans", a=-1.0)
    assert err.value.field == "a"
    with pytest.raises(DataError, match="must be one of"):
        create("range", sampling="best")
    with pytest.raises(DataError, match="has no parameter 'alpha'"):
        create("simans", alpha=2.0)
    with pytest.raises(DataError, match="must be int"):
        create("top_k", num_negatives=2.5)
    with pytest.raises(DataError, match="must be int"):
        create("top_k", num_negatives=True)
    with pytest.raises(DataError, match="unknown strategy"):
        get("hardest")
    with pytest.raises(DataError, match="range_min .* must be below range_max"):
        create("range", range_min=20, range_max=10)
    assert create("simans", a=2).a == 2.0 and isinstance(create("simans", a=2).a, float)


def test_parse_params_uses_the_declared_types():
    assert parse_params("margin", ["range_max=none", "relative_margin=0.05", "num-negatives=4",
                                   "sampling=random"]) == {
        "range_max": None, "relative_margin": 0.05, "num_negatives": 4, "sampling": "random"}
    with pytest.raises(DataError, match="num_negatives must be int, got 'four'"):
        parse_params("margin", ["num_negatives=four"])
    with pytest.raises(DataError, match="KEY=VALUE"):
        parse_params("margin", ["relative_margin"])


def test_from_json_rejects_malformed_objects():
    with pytest.raises(DataError):
        from_json(["simans"])
    with pytest.raises(DataError):
        from_json({"name": "simans", "params": [1]})


def test_select_needs_a_generator_and_a_single_source_pool(pool):
    with pytest.raises(DataError, match="numpy.random.Generator"):
        create("random").select(pool, 42)
    mixed = pool.with_pairs(pool.pairs.assign(source=np.where(np.arange(len(pool.pairs)) % 2, "x", "y")))
    with pytest.raises(DataError, match="one source"):
        create("random").select(mixed, np.random.default_rng(0))


def test_register_refuses_undeclared_fields_and_duplicate_names():
    from dataclasses import dataclass

    with pytest.raises(TypeError):
        @register
        @dataclass(frozen=True)
        class Duplicate(Strategy):
            name = "random"
    with pytest.raises(TypeError):
        @register
        @dataclass(frozen=True)
        class Undeclared(Strategy):
            name = "undeclared"
            k: int = 3
