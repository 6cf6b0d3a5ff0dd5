"""The main flows on the real sample (a copy in tmp): load it, change a strategy parameter, mark
a suspect, download the settings and reproduce them. The sample is encoded once per test run
(shared embedding cache), hence ``slow``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from apptest_helpers import APP, REPO, assert_clean, open_app, page

from analysis.export.apply import reproduce
from analysis.export.settings import loads
from analysis.false_negatives.review import ReviewStore

pytestmark = pytest.mark.slow
BUILD_TIMEOUT = 600  # a cold start encodes ~1,200 texts on a shared two-core machine


def count_lines(path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


@pytest.fixture(scope="module")
def built(sample_copy):
    """The sample's pool, built once (what the Data page's Build pool does; opening the app
    never builds one, issue 15)."""
    from analysis import workspace as ws

    ws.ensure_pool(ws.load_dataset(sample_copy), ws.fingerprint(sample_copy), ws.PoolSettings())
    os.environ["NEGLENS_DATA"] = str(sample_copy)
    try:
        from streamlit.testing.v1 import AppTest

        at = AppTest.from_file(str(APP), default_timeout=BUILD_TIMEOUT).run()
    finally:
        del os.environ["NEGLENS_DATA"]
    return at


def test_the_app_opens_on_the_sample_with_a_pool_and_strategies(built, sample_copy):
    assert_clean(built)
    found = {m.label: m.value for m in built.metric}
    assert found["Format"] == "beir"
    assert found["Queries"] == f"{count_lines(sample_copy / 'queries.jsonl'):,}"
    assert found["Documents"] == f"{count_lines(sample_copy / 'corpus.jsonl'):,}"
    assert any(s.value.startswith("Pool ready: 120 queries") for s in built.success)


def test_every_page_renders_on_the_sample(built, monkeypatch, sample_copy):
    at = open_app(monkeypatch, sample_copy, timeout=120)
    for name in ("overview", "browse", "compare", "map", "export"):
        page(at, name)
        assert_clean(at)
    assert len(page(at, "map").get("plotly_chart")) == 1   # PCA at once, from cached embeddings


def test_the_map_colours_by_every_choice_and_lists_selected_points(built, monkeypatch, sample_copy):
    at = page(open_app(monkeypatch, sample_copy, timeout=120), "map")
    assert "all" in at.caption[0].value and "points shown" in at.caption[0].value
    for colour in ("strategy", "cluster", "risk"):
        at.radio(key="map_color").set_value(colour).run()
        assert_clean(at)
        names = {trace["name"] for trace in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]}
        assert "query" in names and len(names) > 2, (colour, names)
    at.session_state["map_chart"] = {"selection": {"points": [{"customdata": 0}, {"customdata": 200}],
                                                   "point_indices": [0, 200], "box": [], "lasso": []}}
    at.run()
    assert_clean(at)
    assert "2 points selected" in [t.value for t in at.text]
    listed = at.dataframe[0].value
    assert {"role", "qid", "did", "query", "document"} <= set(listed.columns) and len(listed) == 2
    assert at.query_params["color"] in ("risk", ["risk"])


def test_tsne_runs_only_when_asked(built, monkeypatch, sample_copy):
    at = page(open_app(monkeypatch, sample_copy, timeout=300), "map")
    at.radio(key="map_method").set_value("tsne").run()
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["xaxis"]["title"]["text"] == "pca 1"
    at.button(key="map_compute").click().run()
    assert_clean(at)
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["xaxis"]["title"]["text"] == "tsne 1"


def test_changing_a_strategy_parameter_changes_its_selection_only(built, monkeypatch, sample_copy):
    at = page(open_app(monkeypatch, sample_copy, timeout=120), "compare")
    before = at.dataframe[0].value   # metrics as rows, one column per strategy
    at.text_input(key="param:margin:relative_margin").set_value("0.05").run()
    assert_clean(at)
    after = at.dataframe[0].value
    assert after.loc["mean_gap", "margin"] > before.loc["mean_gap", "margin"]   # easier negatives
    assert after["top_k"].equals(before["top_k"])
    assert "margin:relative_margin=0.05" in at.query_params["s"]


def test_marking_a_suspect_reaches_the_exported_settings(built, monkeypatch, sample_copy):
    at = page(open_app(monkeypatch, sample_copy, timeout=120), "browse")
    at.radio(key="browse_only").set_value("suspects").run()
    qid = at.selectbox(key="browse_query").value
    suspect = at.dataframe[0].value.iloc[0]
    at.session_state[f"browse_table:{qid}:suspects"] = {"selection": {"rows": [0], "columns": [],
                                                                      "cells": []}}
    at.run()
    at.button(key="mark:false_negative").click().run()
    assert_clean(at)
    assert ReviewStore.for_data(sample_copy).get(qid, suspect["did"]) == "false_negative"
    exported = page(at, "export")
    doc = json.loads(exported.code[0].value)
    assert {"qid": qid, "did": suspect["did"], "verdict": "false_negative"}.items() <= \
        doc["decisions"][0].items()


def test_downloaded_settings_reproduce_the_selection_bit_for_bit(built, monkeypatch, sample_copy):
    at = page(open_app(monkeypatch, sample_copy, timeout=120), "export")
    at.selectbox(key="export_strategy").set_value("range").run()
    settings = loads(json.loads(at.code[0].value))
    assert settings.dataset["kind"] == "raw" and settings.strategy["name"] == "range"
    applied = reproduce(settings)
    assert applied.reproduced is True
    assert applied.selection.rows.tolist() and len(applied.selection) == settings.selection["rows"]


def test_the_second_start_imports_no_model_library(built, sample_copy, tmp_path):
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(APP)!r}, default_timeout=120).run()\n"
        "assert not at.exception and not at.error\n"
        "assert any(s.value.startswith('Pool ready') for s in at.success)\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers', 'umap')\n"
        "             if m in sys.modules))\n")
    env = {**os.environ, "NEGLENS_DATA": str(sample_copy), "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
