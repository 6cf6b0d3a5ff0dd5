"""The URL codec: a link reproduces the view, bad values fall back and are named."""

from __future__ import annotations

import pytest

from analysis.strategies import create, registry
from dashboard.state import (
    DEFAULT_STRATEGIES,
    View,
    decode_strategy,
    encode_strategy,
    from_query,
    to_query,
)


def test_a_fresh_view_writes_only_the_dataset():
    assert to_query(View(data="sample_data")) == {"data": "sample_data"}


def test_every_setting_round_trips_through_the_url():
    view = View(data="/data/pool.parquet", format="pool", model="my/model", top_n=50,
                cross_encoder="ce/model", seed=7,
                strategies=[("simans", {"a": 2.0, "b": -0.1}), ("margin", {"relative_margin": 0.05}),
                            ("top_k", {})],
                query="q12", only="suspects", color="strategy")
    params = to_query(view)
    assert params["s"] == ["simans:a=2,b=-0.1", "margin:relative_margin=0.05", "top_k"]
    assert params["top_n"] == "50" and params["ce"] == "ce/model" and params["q"] == "q12"
    back, problems = from_query(params, default_data="elsewhere")
    assert problems == []
    assert back == view


def test_an_empty_strategy_list_survives_the_round_trip():
    view = View(data="d", strategies=[])
    back, _ = from_query(to_query(view), default_data="d")
    assert back.strategies == []


def test_no_url_gives_the_default_strategies_and_the_startup_data():
    view, problems = from_query({}, default_data="sample_data")
    assert view.data == "sample_data" and problems == []
    assert [name for name, _ in view.strategies] == [name for name, _ in DEFAULT_STRATEGIES]


@pytest.mark.parametrize("name", list(registry()))
def test_every_registered_strategy_encodes_its_defaults_as_its_bare_name(name):
    defaults = create(name).params
    assert encode_strategy(name, defaults) == name
    assert decode_strategy(name) == (name, {})


def test_values_are_parsed_with_the_declared_types():
    name, params = decode_strategy("margin:range_max=none,absolute_margin=0.1,num_negatives=5")
    assert name == "margin"
    assert params == {"range_max": None, "absolute_margin": 0.1, "num_negatives": 5}
    assert isinstance(params["num_negatives"], int)


def test_bad_url_values_fall_back_and_are_reported():
    view, problems = from_query({"top_n": "0", "seed": "x", "only": "weird", "color": "pink",
                                 "s": ["nope", "top_k:num_negatives=abc",
                                       "range:range_min=300,range_max=100", "top_k", "top_k"]},
                                default_data="d")
    assert view.top_n == 100 and view.seed == 0 and view.only == "all" and view.color == "role"
    assert view.strategies == [("top_k", {})]
    joined = "\n".join(problems)
    for expected in ("top_n=0", "seed='x'", "only='weird'", "color='pink'", "unknown strategy 'nope'",
                     'field "num_negatives"', 'field "range_min"', "given twice"):
        assert expected in joined
