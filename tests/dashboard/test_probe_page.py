"""The Probe page: renders without starting anything or loading torch, rejects bad settings with
a message, and runs a real (tiny) probe in the background whose finished result a new session
sees at once."""

from __future__ import annotations

import time

import pytest
import streamlit as st
from apptest_helpers import assert_clean, heavy_modules_after, open_app, page, pool_file


@pytest.fixture
def tiny_pool(tmp_path):
    return pool_file(tmp_path / "pool.parquet", num_queries=12, pool_size=8)


def test_the_page_renders_without_starting_a_probe(monkeypatch, tiny_pool):
    at = page(open_app(monkeypatch, tiny_pool), "probe")
    assert_clean(at)
    assert at.multiselect(key="probe_names").value == ["top_k", "range", "margin", "topk_percpos"]
    assert [b.label for b in at.button] == ["Start"]
    assert "4 strategies x 1 seeds" in at.info[0].value
    assert not at.dataframe  # nothing ran, nothing to show


def test_the_probe_page_imports_no_model_library(tmp_path):
    data = pool_file(tmp_path / "pool.parquet", num_queries=12, pool_size=8)
    assert heavy_modules_after(data, tmp_path, switch_to="views/probe.py", expect="at.button") == []


def test_bad_seeds_show_a_message_and_no_start_button(monkeypatch, tiny_pool):
    at = page(open_app(monkeypatch, tiny_pool), "probe")
    at.toggle(key="probe_quick").set_value(False).run()
    at.text_input(key="probe_seeds").set_value("0,0").run()
    assert not at.exception
    assert "seeds must be distinct" in at.error[0].value
    assert not at.button
    at.text_input(key="probe_seeds").set_value("zero").run()
    assert "Settings:" in at.error[0].value


def test_no_strategy_asks_for_one(monkeypatch, tiny_pool):
    at = page(open_app(monkeypatch, tiny_pool), "probe")
    at.multiselect(key="probe_names").set_value([]).run()
    assert_clean(at)
    assert "at least one strategy" in at.info[0].value


@pytest.mark.slow
def test_a_background_probe_finishes_and_a_new_session_sees_its_result(monkeypatch, tiny_pool,
                                                                       tmp_path):
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))
    at = page(open_app(monkeypatch, tiny_pool, timeout=60), "probe")
    at.multiselect(key="probe_names").set_value(["top_k", "random"]).run()
    at.button[0].click().run()
    assert_clean(at)
    at = page(page(at, "data"), "probe")  # the run goes on while another page is shown
    assert_clean(at)
    assert at.status or at.dataframe, "the running probe was lost on a page switch"
    deadline = time.time() + 300
    while not at.dataframe and time.time() < deadline:
        time.sleep(2)
        at.run()
        assert_clean(at)
    table = at.dataframe[0].value
    assert set(table["model"]) == {"base", "top_k", "random"}
    assert len(table) == 9  # three models x three metrics
    assert table.filter(like="vs base").iloc[:, 0].str.contains("within noise|better|worse").sum() == 6
    assert "Probe finished" in at.success[0].value

    again = page(open_app(monkeypatch, tiny_pool, timeout=60), "probe")
    again.multiselect(key="probe_names").set_value(["top_k", "random"]).run()
    assert again.dataframe, "the finished probe was not shown to a new session"
    assert list(again.dataframe[0].value["mean"]) == list(table["mean"])

    st.cache_resource.clear()  # a server restart: the running jobs are gone, the disk cache stays
    restarted = page(open_app(monkeypatch, tiny_pool, timeout=60), "probe")
    restarted.multiselect(key="probe_names").set_value(["top_k", "random"]).run()
    assert_clean(restarted)
    assert restarted.dataframe, "a probe finished before the restart needed a click"
    assert "read from the cache" in restarted.success[0].value
    assert list(restarted.dataframe[0].value["mean"]) == list(table["mean"])


def test_extra_evaluation_judgements_are_read_and_bad_lines_counted(monkeypatch, tiny_pool):
    (tiny_pool.parent / "extra.tsv").write_text("q0\td5\t1\nq0\td8\t1\nnobody\td1\t1\n")
    at = page(open_app(monkeypatch, tiny_pool), "probe")
    at.text_input(key="probe_eval_qrels").set_value("extra.tsv").run()  # beside the data file
    assert not at.exception
    assert any("2 extra judgements for evaluation only" in c.value for c in at.caption)
    assert "1 judgement lines" in at.warning[0].value and "line 3" in at.warning[0].value
    at.text_input(key="probe_eval_qrels").set_value("missing.tsv").run()
    assert not at.exception
    assert "Cannot prepare the probe data" in at.error[0].value and "missing.tsv" in at.error[0].value
    assert not at.button  # nothing can start on data that could not be read


def test_dropping_the_reference_strategy_picks_another(monkeypatch, tiny_pool):
    at = page(open_app(monkeypatch, tiny_pool), "probe")
    at.selectbox(key="probe_reference").set_value("range").run()
    at.multiselect(key="probe_names").set_value(["top_k", "simans"]).run()
    assert_clean(at)
    assert at.selectbox(key="probe_reference").value in ("top_k", "simans")


def test_the_metric_chart_fits_its_axis_to_the_intervals():
    """Hand-built comparisons: the points sit at the means, the bars span each paired interval
    moved onto the mean, and a flat metric (all at Recall 1.0) keeps a tight axis, not 0..2."""
    from analysis.probe.bootstrap import Interval
    from analysis.probe.compare import Comparison
    from dashboard import charts

    def interval(mean, low, high):
        return Interval(mean, low, high, 0.95, 36, 1, 2000)

    rows = [Comparison("base", "ndcg@10", 0.40, None, 1, None, None),
            Comparison("random", "ndcg@10", 0.43, None, 1, interval(0.03, 0.01, 0.05), None),
            Comparison("top_k", "ndcg@10", 0.39, None, 1, interval(-0.01, -0.04, 0.02), None)]
    fig = charts.probe_metric(rows, "ndcg@10", "nDCG@10")
    points = fig.data[0]
    assert list(points.x) == ["random", "top_k"] and list(points.y) == [0.43, 0.39]
    assert list(points.error_y.array) == pytest.approx([0.02, 0.03])
    assert list(points.error_y.arrayminus) == pytest.approx([0.02, 0.03])
    low, high = fig.layout.yaxis.range
    assert low < 0.36 and 0.45 < high and high - low < 0.2

    flat = [Comparison("base", "recall@100", 1.0, None, 1, None, None),
            Comparison("random", "recall@100", 1.0, None, 1, interval(0.0, 0.0, 0.0), None)]
    low, high = charts.probe_metric(flat, "recall@100", "Recall@100").layout.yaxis.range
    assert low < 1.0 < high and high - low < 0.05
