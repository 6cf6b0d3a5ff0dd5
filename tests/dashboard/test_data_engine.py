"""The Data page offers the Ray engine when a cluster address is configured
($NEGLENS_RAY_ADDRESS), and Build pool hands the chosen engine to the workspace."""

from __future__ import annotations

import shutil

import pytest

from analysis import workspace as ws
from analysis.model import DataError
from tests.dashboard.apptest_helpers import SAMPLE_DATA, assert_clean, open_app, page


@pytest.fixture
def unpooled(tmp_path, monkeypatch):
    """The sample (no scores) with a cold cache, so the page offers to build its pool."""
    data = tmp_path / "sample"
    shutil.copytree(SAMPLE_DATA, data)
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))
    return data


def engine_radios(at):
    return [r for r in at.radio if r.label == "Engine"]


def test_no_cluster_configured_no_engine_choice(unpooled, monkeypatch):
    monkeypatch.delenv(ws.data.RAY_ADDRESS_ENV, raising=False)
    at = page(open_app(monkeypatch, unpooled, timeout=60), "data")
    assert_clean(at)
    assert engine_radios(at) == []
    assert ws.ray_address() is None


def test_a_configured_cluster_is_offered_and_its_engine_used(unpooled, monkeypatch):
    monkeypatch.setenv(ws.data.RAY_ADDRESS_ENV, "ray://head:10001")
    calls = []
    monkeypatch.setattr(ws, "ensure_pool", lambda *a, **k: calls.append(k["engine"]))
    at = page(open_app(monkeypatch, unpooled, timeout=60), "data")
    assert_clean(at)
    (radio,) = engine_radios(at)
    assert radio.options == ["This machine", "Ray cluster (ray://head:10001)"]
    assert radio.value == "local"
    assert any("on the Ray cluster" in c.value for c in at.caption)
    radio.set_value("ray")
    at.button(key="FormSubmitter:pool_settings-Build pool").click().run()
    assert calls == ["ray"]


def test_the_workspace_refuses_ray_without_an_address(tmp_path, monkeypatch):
    monkeypatch.delenv(ws.data.RAY_ADDRESS_ENV, raising=False)
    with pytest.raises(DataError, match="NEGLENS_RAY_ADDRESS"):
        ws.ensure_pool(ws.load_dataset(SAMPLE_DATA), "0" * 64, ws.PoolSettings(), engine="ray",
                       cache_dir=tmp_path)
