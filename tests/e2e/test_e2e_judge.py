"""A judge in headless Chromium: typed on the Browse page, planned (pairs, texts, cached, time),
scored on the button press, then its scores on Browse and Review and the false-negative share
before any review on Overview and Review. The judge is the packaged all-MiniLM-L6-v2 (fast);
the data is a copy of the sample's scored n-tuple file (its own candidates, no pool)."""

from __future__ import annotations

import os
import re
import shutil
import time
from urllib.parse import parse_qs, urlparse

import pytest
from e2e_server import SAMPLE_DATA, AppServer
from test_e2e_app import assert_no_exception, full_page_screenshot, open_page, settle

MINED = SAMPLE_DATA / "mined" / "sentence_transformers_ntuple.jsonl"


@pytest.fixture(scope="module")
def mined_server(chromium_path, tmp_path_factory):
    """The app on the copy, with a cache of its own: the kept judge scores of an earlier run
    (same data, same judge) would skip the scoring this test drives; its 628 texts are encoded."""
    if not MINED.is_file():
        pytest.skip(f"{MINED} is absent")
    data = tmp_path_factory.mktemp("e2e-judge") / MINED.name
    shutil.copy(MINED, data)
    kept = os.environ.get("NEGLENS_CACHE_DIR")
    os.environ["NEGLENS_CACHE_DIR"] = str(tmp_path_factory.mktemp("e2e-judge-cache"))
    try:
        server = AppServer(data, tmp_path_factory.mktemp("e2e-judge-server"))
    finally:
        os.environ.pop("NEGLENS_CACHE_DIR") if kept is None else os.environ.update(NEGLENS_CACHE_DIR=kept)
    yield server
    server.stop()


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def test_pick_a_judge_see_the_plan_score_and_see_scores_and_fn_share(mined_server, page,
                                                                      screenshot_dir, tmp_path):
    from analysis.scoring.encode import default_model_path

    judge = default_model_path()
    page.set_viewport_size({"width": 1280, "height": 800})
    open_page(page, mined_server, "browse")
    assert_no_exception(page)
    assert "judge" not in parse_qs(urlparse(page.url).query)
    expander = page.locator("[data-testid='stExpander']").filter(has_text="Judge:")
    expander.locator("summary").first.click()
    field = expander.get_by_label("Judge", exact=True)
    field.fill(judge)
    expander.get_by_role("button", name="Plan").click()
    settle(page)
    plan = expander.locator("[data-testid='stAlertContentInfo']").inner_text()
    assert f"judge {judge} (bi-encoder) scores" in plan, plan
    assert re.search(r"scores [\d,]+ pairs", plan) and ("cached" in plan), plan
    page.screenshot(path=str(screenshot_dir / "judge.png"))
    assert "(0 cached)" in plan
    # Cancel stops it part-way; what was encoded stays cached, so the plan now counts it
    expander.get_by_role("button", name="Score with the judge").click()
    page.get_by_text(re.compile(r"Scoring with the judge .*: texts [2-5]\d\d/628")).wait_for(
        timeout=300_000)
    page.screenshot(path=str(tmp_path / "judge_running.png"))
    page.get_by_role("button", name="Cancel").click()
    settle(page)
    page.screenshot(path=str(tmp_path / "judge_cancelled.png"))
    assert_no_exception(page)
    assert "judge" not in parse_qs(urlparse(page.url).query)
    expander = page.locator("[data-testid='stExpander']").filter(has_text="Judge:")
    if not expander.locator("[data-testid='stAlertContentInfo']").is_visible():
        expander.locator("summary").first.click()
    deadline = time.monotonic() + 60          # the stopped run may still be redrawing the panel
    while True:
        resumed = expander.locator("[data-testid='stAlertContentInfo']").inner_text()
        cached = int(re.search(r"\(([\d,]+) cached\)", resumed).group(1).replace(",", ""))
        if cached or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert 120 <= cached < 628, resumed                      # the queries and some documents
    expander.get_by_role("button", name="Score with the judge").click()
    settle(page)
    assert_no_exception(page)
    assert parse_qs(urlparse(page.url).query)["judge"] == [judge]   # the link keeps the judge
    page.get_by_text(f"Judge: {judge} (in the risk)").wait_for(timeout=120_000)  # the rerun drew
    text = main_text(page)
    assert re.search(r"Positive · file rank \d+ · score [\d.]+ · judge [\d.]+", text), text[:2000]
    full_page_screenshot(page, screenshot_dir / "judge_browse.png")

    open_page(page, mined_server, f"overview?judge={judge}")
    assert_no_exception(page)
    text = main_text(page)
    assert re.search(r"Before any review: about [\d.]+% of the [\d,]+ negatives are false "
                     r"negatives \(95% interval [\d.]+% to [\d.]+%\)", text), text[:3000]
    full_page_screenshot(page, tmp_path / "judge_overview.png")

    page.set_viewport_size({"width": 1280, "height": 800})
    open_page(page, mined_server, f"review?judge={judge}")
    assert_no_exception(page)
    text = main_text(page)
    assert "Before any review: about" in text
    assert re.search(r"score [\d.]+ · gap -?[\d.]+ · judge -?[\d.]+ · probability", text), text[:3000]
    page.screenshot(path=str(tmp_path / "judge_review.png"))
