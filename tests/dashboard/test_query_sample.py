"""The app analyses a seeded random sample of queries, states it on every page and in the
export, and draws the same sample as the library and the CLI (issue 15, "A sample first")."""

from __future__ import annotations

import json
import subprocess
import sys

from apptest_helpers import REPO, assert_clean, open_app, page

from analysis.formats import load
from analysis.measure.query_sample import DEFAULT_SAMPLE, sample_queries
from analysis.scoring.file_rank import file_candidates
from dashboard.state import (
    AUTO_SAMPLE,
    LARGE_FILE,
    View,
    from_query,
    sample_size,
    to_query,
)

NOTE = "a random sample of 30 of 120 queries (seed 3)"


def test_sample_size_is_automatic_for_large_files_only():
    view = View(data="x")
    assert view.sample == AUTO_SAMPLE
    assert sample_size(view, LARGE_FILE) == 0
    assert sample_size(view, LARGE_FILE + 1) == DEFAULT_SAMPLE
    view.sample = 0
    assert sample_size(view, 10 * LARGE_FILE) == 0  # the whole file, asked for
    view.sample = 500
    assert sample_size(view, 400) == 0 and sample_size(view, 501) == 500


def test_the_sample_travels_in_the_link():
    view = View(data="d", sample=250)
    assert to_query(view)["sample"] == "250"
    assert "sample" not in to_query(View(data="d"))
    back, problems = from_query({"data": "d", "sample": "-5"}, default_data="")
    assert back.sample == AUTO_SAMPLE and problems


def test_every_page_states_the_sample_and_the_whole_file_is_one_click_away(mined, monkeypatch):
    at = open_app(monkeypatch, mined, query={"sample": "30", "seed": "3"})
    for name in ("overview", "browse", "review", "compare", "export"):
        page(at, name)
        assert_clean(at)
        assert any(NOTE in c.value for c in at.caption), name
    page(at, "overview")
    assert at.metric[0].value == "30"
    at.button(key="sample_whole_file").click().run()
    assert at.metric[0].value == "120"
    assert not any("random sample" in c.value for c in at.caption)
    assert at.query_params["sample"] == ["0"] or at.query_params["sample"] == "0"


def test_app_library_and_cli_draw_the_same_sample(mined, monkeypatch, tmp_path):
    expected = sample_queries(file_candidates(load(mined)), 30, seed=3).queries["qid"].astype(str)
    at = page(open_app(monkeypatch, mined, query={"sample": "30", "seed": "3"}), "browse")
    shown = [option.split(" · ")[0] for option in at.selectbox(key="browse_query").options]
    assert sorted(shown) == sorted(expected)
    # the export's settings record the sample, and `apply` reproduces the app's selection from it
    page(at, "export")
    settings = json.loads(next(c.value for c in at.code if '"format_version"' in c.value))
    assert settings["sample"] == {"n": 30, "of": 120, "seed": 3}
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(settings), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "analysis", "apply", str(path), "--out",
                           str(tmp_path / "out.jsonl")], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "identical to the export" in done.stdout
    # the CLI's --sample draws the same queries
    done = subprocess.run([sys.executable, "-m", "analysis", "compare", str(mined), "--sample",
                           "30", "--seed", "3", "--strategy", "top_k"], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0 and NOTE in done.stdout, done.stderr


def test_the_data_page_sets_the_sample(mined, monkeypatch):
    at = open_app(monkeypatch, mined)
    assert any("Analysing all 120 queries" in c.value for c in at.caption)
    at.toggle[0].set_value(True)
    next(n for n in at.number_input if n.label == "Queries in the sample").set_value(40)
    next(b for b in at.button if b.label == "Apply").click().run()
    assert_clean(at)
    assert any("a random sample of 40 of 120 queries (seed 0)" in c.value for c in at.caption)


def test_a_pool_file_is_sampled_the_same_way(small_pool, monkeypatch, tmp_path):
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))
    at = page(open_app(monkeypatch, small_pool, query={"sample": "10"}), "overview")
    assert_clean(at)
    assert at.metric[0].value == "10"
    assert any("a random sample of 10 of 30 queries (seed 0)" in c.value for c in at.caption)
