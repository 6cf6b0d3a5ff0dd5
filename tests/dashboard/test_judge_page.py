"""The judge on the Browse and Review pages (AppTest): planned before anything is loaded, scored
on the button, kept (a new session with the link uses the kept scores), its column on Browse and
its score on Review; a judge that cannot be planned is one message in the panel, not a broken
page; the false-negative share before any review on Overview and Review."""

from __future__ import annotations

import re

import pytest
from apptest_helpers import assert_clean, open_app, page, pool_file

from analysis.formats.pool import read_pool
from analysis.workspace import judging as jg

TIMEOUT = 180  # loading torch and the packaged model on a shared 2-core machine


@pytest.fixture(autouse=True)
def _own_workspace(tmp_path, monkeypatch):
    """Kept judge scores and reviews in this test's own workspace: a pool equal to another
    test's (same seed) shares nothing with it; its few synthetic texts are encoded again."""
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def judge() -> str:
    from analysis.scoring.encode import default_model_path

    return default_model_path()


@pytest.fixture
def tiny_pool(tmp_path):
    return pool_file(tmp_path / "pool.parquet", num_queries=6, pool_size=6, num_clusters=None)


def panel_info(at) -> str:
    return " ".join(i.value for i in at.info if "scores" in i.value)


def plan_with(at, judge: str, key: str = "browse"):
    at.text_input(key=f"{key}_judge").set_value(judge)
    return at.button(key=f"FormSubmitter:{key}_judge_form-Plan").click().run()


def test_browse_plans_scores_keeps_and_shows_the_judge(monkeypatch, tiny_pool, judge):
    at = page(open_app(monkeypatch, tiny_pool, timeout=TIMEOUT), "browse")
    assert_clean(at)
    assert at.text_input(key="browse_judge").value == "default"
    assert "judge default (bi-encoder) scores" in panel_info(at)
    assert "judge" not in at.dataframe[0].value.columns
    at = plan_with(at, judge)
    info = panel_info(at)
    pairs = len(jg.judge_pairs(read_pool(tiny_pool)))
    assert re.search(rf"judge {re.escape(judge)} \(bi-encoder\) scores {pairs:,} pairs", info), info
    assert info.startswith("For the negatives and positives of all 6 queries, the judge ")
    before = at.dataframe[0].value
    at = at.button(key="browse_judge_run").click().run()
    assert_clean(at)
    assert at.session_state["view"].judge == judge
    shown = at.dataframe[0].value
    assert "judge" in shown.columns and shown["judge"].notna().all()
    assert shown["judge"].between(-1.0, 1.0).all()                  # cosines
    assert any(re.search(r"Positive · corpus rank \d+ · score [\d.]+ · judge [\d.]+", t.value) for t in at.text)
    assert list(before["did"]) == list(shown["did"])
    assert any(e.label == f"Judge: {judge} (in the risk)" for e in at.expander)
    # a new session opened with the link uses the kept scores: nothing is scored again
    import analysis.scoring.judge as scoring_judge

    monkeypatch.setattr(scoring_judge, "judge_scores", lambda *a, **k: pytest.fail("scored again"))
    again = page(open_app(monkeypatch, tiny_pool, timeout=TIMEOUT, query={"judge": judge}), "browse")
    assert_clean(again)
    assert "judge" in again.dataframe[0].value.columns
    assert "Its scores of them are kept already" in panel_info(again)
    # and stopping the judge gives the risk without it back
    again = again.button(key="browse_judge_off").click().run()
    assert again.session_state["view"].judge == "" and "judge" not in again.dataframe[0].value.columns


def test_a_judge_that_cannot_be_planned_is_one_message_and_the_page_stays(monkeypatch, tiny_pool,
                                                                          tmp_path):
    at = page(open_app(monkeypatch, tiny_pool), "browse")
    at = plan_with(at, str(tmp_path / "no-such-model"))
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("Cannot plan the judge")
    assert len(at.dataframe) == 1                                       # the negatives still shown


def test_review_queue_uses_the_judge_and_both_pages_show_the_share_before_review(
        monkeypatch, tiny_pool, judge):
    at = page(open_app(monkeypatch, tiny_pool, timeout=TIMEOUT), "review")
    assert_clean(at)
    assert not any("judge" in t.value for t in at.text if t.value.startswith("rank"))
    queue = next(v for k, v in at.session_state.items() if k.startswith("review_queue:"))
    assert queue.explore == 0.25 and queue.prior_share is None
    at = plan_with(at, judge, key="review")
    at = at.button(key="review_judge_run").click().run()
    assert_clean(at)
    assert any(re.search(r"gap -?[\d.]+ · judge -?[\d.]+ · probability", t.value) for t in at.text)
    judged = [v for k, v in at.session_state.items()
              if k.startswith("review_queue:") and v is not queue]
    assert len(judged) == 1 and judged[0].prior_share is not None    # rebuilt on the judged risk,
    assert judged[0].explore == 0.1                                  # exploring less (issue 24)
    lines = [t.value for t in at.text if t.value.startswith("Before any review")]
    assert len(lines) == 1 and "95% interval" in lines[0]
    at = page(at, "overview")
    assert_clean(at)
    assert [t.value for t in at.text if t.value.startswith("Before any review")] == lines


def test_a_cross_encoder_judge_is_detected_planned_in_pairs_and_scored(monkeypatch, tiny_pool,
                                                                        judge, tmp_path):
    from sentence_transformers import CrossEncoder

    folder = tmp_path / "cross-encoder"
    CrossEncoder(judge, num_labels=1).save(str(folder))   # a MiniLM body with a new head
    at = page(open_app(monkeypatch, tiny_pool, timeout=TIMEOUT), "browse")
    at = plan_with(at, str(folder))
    info = panel_info(at)
    pairs = len(jg.judge_pairs(read_pool(tiny_pool)))
    assert f"(cross-encoder) scores {pairs:,} pairs: runs {pairs:,} pairs (0 cached)" in info, info
    at = at.button(key="browse_judge_run").click().run()
    assert_clean(at)
    shown = at.dataframe[0].value
    assert shown["judge"].between(0.0, 1.0).all() and shown["judge"].nunique() > 1  # its sigmoid


def test_the_judge_rides_in_the_link_only_when_chosen():
    from dashboard.state import View, from_query, to_query

    assert "judge" not in to_query(View(data="d"))
    assert to_query(View(data="d", judge="default")) == {"data": "d", "judge": "default"}
    view, problems = from_query({"data": "d", "judge": "/models/ce"}, default_data="x")
    assert (view.judge, problems) == ("/models/ce", [])


def test_once_verdicts_exist_the_share_before_review_stands_beside_the_review_estimate(
        monkeypatch, tmp_path):
    from analysis.cli.review import review_candidates
    from analysis.false_negatives.fn_share import fn_share_of_set
    from analysis.false_negatives.review import ReviewStore

    data = pool_file(tmp_path / "pool.parquet")
    store = ReviewStore.for_data(data)
    negatives = review_candidates(str(data)).pairs.query("label == 0").drop_duplicates(["qid", "did"])
    for i, row in enumerate(negatives.head(12).itertuples()):
        store.mark(row.qid, row.did, "false_negative" if i % 3 == 0 else "true_negative",
                   draw=(0.01, 0.2))
    at = page(open_app(monkeypatch, data), "overview")
    assert_clean(at)
    lines = [t.value for t in at.text if "false negatives" in t.value]
    assert lines[0].startswith("Before any review: about")
    assert lines[1].startswith("Estimated false negatives among all negatives")
    expected = fn_share_of_set(read_pool(data))                 # the CLI's number, to the digit
    assert f"about {expected.share:.1%} of the {expected.negatives:,} negatives" in lines[0]
    assert f"(95% interval {expected.low:.1%} to {expected.high:.1%})" in lines[0]


def test_a_share_of_zero_says_why_it_cannot_see_more(monkeypatch, mined):
    # the sample's n-tuple file keeps only negatives scoring below their positive (every gap > 0)
    at = page(open_app(monkeypatch, mined, timeout=TIMEOUT), "overview")
    assert_clean(at)
    line = next(t.value for t in at.text if t.value.startswith("Before any review"))
    assert "about 0.0% of the 600 negatives" in line and "can only say 0" in line


def test_review_asks_before_estimating_the_share_on_many_candidates(monkeypatch, tiny_pool):
    import dashboard.judging as judging

    monkeypatch.setattr(judging, "ASK_ABOVE", 10)              # the tiny pool counts as large
    at = page(open_app(monkeypatch, tiny_pool), "review")
    assert_clean(at)
    assert not [t for t in at.text if t.value.startswith("Before any review")]
    at = at.button(key="fn_share_ask").click().run()
    assert [t for t in at.text if t.value.startswith("Before any review")]
    at.button(key="review_true_negative").click().run()       # a verdict: still shown, not asked again
    assert [t for t in at.text if t.value.startswith("Before any review")]
