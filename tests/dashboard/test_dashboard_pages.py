"""AppTest smoke test per page, on a synthetic pool file (no model needed), plus the rules every
page keeps: URL state, clear errors, literal text, no heavy import on the first page."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pandas as pd
import pytest
from apptest_helpers import (
    HOSTILE,
    assert_clean,
    heavy_modules_after,
    open_app,
    page,
    pool_file,
)

from analysis.export.apply import reproduce
from analysis.export.settings import loads
from analysis.false_negatives.review import ReviewStore
from analysis.formats.pool import read_pool

STRATEGY_COUNT = 6  # dashboard.state.DEFAULT_STRATEGIES


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_data_page_reports_the_load_and_uses_a_pool_file_as_it_is(monkeypatch, small_pool):
    at = open_app(monkeypatch, small_pool)
    assert_clean(at)
    found = metrics(at)
    pool = read_pool(small_pool)
    assert found["Queries"] == "30"
    assert (found["Positives"], found["Negatives"]) == (str(pool.num_positives), str(pool.num_negatives))
    assert any("already is a candidate pool" in i.value for i in at.info)
    assert any(s.value.startswith("Pool ready: 30 queries") for s in at.success)
    assert at.query_params["data"] == [str(small_pool)] or at.query_params["data"] == str(small_pool)


def test_overview_page_shows_counts_statistics_and_filter_counts(monkeypatch, small_pool):
    at = page(open_app(monkeypatch, small_pool), "overview")
    assert_clean(at)
    assert metrics(at)["Strategies compared"] == str(STRATEGY_COUNT)
    stats = at.dataframe[0].value
    assert list(stats.index)[:2] == ["pool", "top_k"] and stats.loc["top_k", "Count"] == 30 * 15
    assert len(at.get("plotly_chart")) == 2
    filters = at.dataframe[1].value
    assert set(filters["strategy"]) == {"top_k", "range", "margin", "topk_percpos", "simans", "random"}


def test_compare_page_rebuilds_one_strategy_when_a_parameter_changes(monkeypatch, small_pool):
    at = page(open_app(monkeypatch, small_pool), "compare")
    assert_clean(at)
    assert at.multiselect(key="compare_names").value == ["top_k", "range", "margin",
                                                           "topk_percpos", "simans", "random"]
    table = at.dataframe[0].value
    assert table.loc["negatives", "top_k"] == 30 * 15
    before = at.get("plotly_chart")[0].proto.spec
    at.number_input(key="param:top_k:num_negatives").set_value(5).run()
    assert_clean(at)
    assert at.dataframe[0].value.loc["negatives", "top_k"] == 30 * 5
    assert at.dataframe[0].value.loc["negatives", "simans"] == table.loc["negatives", "simans"]
    assert at.get("plotly_chart")[0].proto.spec != before
    assert "top_k:num_negatives=5" in at.query_params["s"]


def test_compare_page_keeps_the_last_valid_parameters_after_a_bad_combination(monkeypatch, small_pool):
    at = page(open_app(monkeypatch, small_pool), "compare")
    at.number_input(key="param:range:range_min").set_value(500).run()   # above range_max=210
    assert not at.exception
    assert any("range_min" in w.value and "keeping the last valid" in w.value for w in at.warning)
    assert at.dataframe[0].value.loc["negatives", "range"] > 0


def test_browse_page_marks_negatives_and_the_verdict_survives_a_new_session(monkeypatch, tmp_path):
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))  # a review store of its own
    data = pool_file(tmp_path / "pool.parquet")
    at = page(open_app(monkeypatch, data), "browse")
    assert_clean(at)
    qid = at.selectbox(key="browse_query").value
    table = at.dataframe[0].value
    assert {"corpus rank", "score", "gap", "risk", "margin_score", "same_cluster_score"} <= set(table.columns)
    assert table["corpus rank"].is_monotonic_increasing
    at.session_state[f"browse_table:{qid}:all"] = {"selection": {"rows": [0, 2], "columns": [],
                                                                 "cells": []}}
    at.run()
    at.button(key="mark:false_negative").click().run()
    assert_clean(at)
    stored = ReviewStore.for_data(data).all()
    assert sorted(map(tuple, stored[["qid", "did", "verdict"]].values.tolist())) == sorted([
        (qid, table["did"][0], "false_negative"), (qid, table["did"][2], "false_negative")])
    again = page(open_app(monkeypatch, data), "browse")
    shown = again.dataframe[0].value.set_index("did")["verdict"]
    assert shown[table["did"][0]] == "false_negative" and pd.isna(shown[table["did"][1]])


def test_browse_page_filters_queries_by_suspects_and_steps_through_them(monkeypatch, small_pool):
    at = page(open_app(monkeypatch, small_pool), "browse")
    at.radio(key="browse_only").set_value("suspects").run()
    assert_clean(at)
    assert at.dataframe[0].value["is_suspect"].all()
    first = at.selectbox(key="browse_query").value
    at.button[1].click().run()  # Next
    assert at.selectbox(key="browse_query").value != first
    assert at.query_params["only"] in ("suspects", ["suspects"])


def test_map_page_says_why_a_pool_without_a_model_has_no_map(monkeypatch, small_pool):
    at = page(open_app(monkeypatch, small_pool), "map")
    assert_clean(at)
    assert any("does not record the model" in i.value for i in at.info)


def test_export_page_settings_reproduce_the_selection(monkeypatch, small_pool):
    at = page(open_app(monkeypatch, small_pool), "export")
    assert_clean(at)
    at.selectbox(key="export_strategy").set_value("simans").run()
    labels = [b.label for b in at.get("download_button")]
    assert "Download settings (JSON)" in labels and any(l.endswith(".jsonl") for l in labels)
    settings = loads(json.loads(at.code[0].value))
    assert settings.strategy["name"] == "simans" and settings.dataset["kind"] == "pool"
    assert reproduce(settings).reproduced is True
    assert {"sentence-transformers", "flagembedding", "simans"} <= {t.label for t in at.tabs}


def test_a_link_reproduces_strategies_seed_and_query(monkeypatch, small_pool):
    query = {"s": ["top_k:num_negatives=2", "simans:a=2.0"], "seed": "5", "q": "q3",
             "page": "ignored"}
    at = page(open_app(monkeypatch, small_pool, query=query), "compare")
    assert at.multiselect(key="compare_names").value == ["top_k", "simans"]
    assert at.number_input(key="param:top_k:num_negatives").value == 2
    assert at.text_input(key="param:simans:a").value == "2.0"   # nullable: derived unless set
    assert at.number_input(key="compare_seed").value == 5
    assert at.dataframe[0].value.loc["negatives", "top_k"] == 30 * 2
    assert page(at, "browse").selectbox(key="browse_query").value == "q3"


def test_a_bad_link_opens_with_the_problems_named(monkeypatch, small_pool):
    at = open_app(monkeypatch, small_pool, query={"s": ["bogus", "top_k:num_negatives=-3"]})
    assert not at.exception
    warnings = " ".join(w.value for w in at.sidebar.warning)
    assert "unknown strategy 'bogus'" in warnings and "num_negatives must be >= 1" in warnings


def test_unreadable_rows_are_counted_listed_and_downloadable(monkeypatch, small_pool, tmp_path):
    mixed = tmp_path / "mixed.jsonl"
    unique = uuid.uuid4().hex  # new bytes: no pool of them can be cached yet
    mixed.write_bytes(b'{"query": "q %s", "pos": ["p"], "neg": ["n"]}\n{not json\n' % unique.encode())
    at = open_app(monkeypatch, small_pool)
    at.radio(key="data_source").set_value("Path on this server").run()
    at.text_input[0].set_value(str(mixed))
    at.button[0].click().run()  # the form's Load button
    assert_clean(at)
    assert metrics(at)["Skipped rows"] == "1"
    skipped = at.dataframe[1].value
    assert skipped["line"].tolist() == [2] and skipped["file"].str.endswith("mixed.jsonl").all()
    assert {"Skipped rows (CSV)", "Skipped rows (JSON)"} <= {b.label for b in at.get("download_button")}
    assert any("carries no scores" in i.value and "score only its own pairs" in i.value
               for i in at.info)  # own pairs offered first; no model loaded unasked


@pytest.mark.parametrize("content, expected", [
    (b"", "empty"),
    (b"\xff\xfe\x00garbage", "bad.jsonl"),
])
def test_bad_data_shows_one_clear_message_not_a_traceback(monkeypatch, tmp_path, content, expected):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(content)
    at = open_app(monkeypatch, bad)
    assert not at.exception
    messages = [e.value for e in at.error] + [w.value for w in at.warning]
    assert any(expected in m for m in messages), messages


def test_a_missing_path_is_reported_and_the_page_stays_usable(monkeypatch, tmp_path):
    at = open_app(monkeypatch, tmp_path / "nowhere")
    assert not at.exception
    assert "no such file or folder" in at.error[0].value
    assert at.radio(key="data_source")  # the source picker is still there


def test_an_uploaded_pool_file_becomes_the_dataset(monkeypatch, small_pool, tmp_path):
    at = open_app(monkeypatch, small_pool)
    at.radio(key="data_source").set_value("Upload a file").run()
    at.file_uploader[0].upload("mine.parquet", small_pool.read_bytes()).run()
    assert_clean(at)
    assert at.query_params["data"][-1].endswith("mine.parquet") or str(at.query_params["data"]).endswith(
        "mine.parquet")
    assert metrics(at)["Queries"] == "30"


def test_texts_with_html_and_script_tags_are_shown_literally(monkeypatch, tmp_path):
    data = pool_file(tmp_path / "hostile.parquet", hostile=True)
    at = page(open_app(monkeypatch, data), "browse")
    assert_clean(at)
    assert any(c.value.startswith(HOSTILE) for c in at.code)
    for node in [*at.markdown, *at.caption, *at.get("html")]:
        assert "<script>" not in node.value and "**bold**" not in node.value
    assert at.dataframe[0].value["document"].str.startswith(HOSTILE).all()


def test_the_first_page_imports_no_model_library(tmp_path):
    data = pool_file(tmp_path / "pool.parquet")
    assert heavy_modules_after(data, tmp_path) == []


def test_selections_do_not_depend_on_which_other_strategies_are_compared(monkeypatch, small_pool):
    at = page(open_app(monkeypatch, small_pool), "compare")
    first = at.dataframe[0].value["simans"]   # metrics as rows, one column per strategy
    at.multiselect(key="compare_names").set_value(["simans"]).run()
    np.testing.assert_allclose(at.dataframe[0].value.loc["mean_gap", "simans"], first["mean_gap"])
