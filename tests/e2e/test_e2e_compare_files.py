"""Three files mined three ways over the same queries, opened with ``--data A --data B --data C``
in the real app in headless Chromium at 1280x800: the Compare page says which is padded and
which holds siblings on one yardstick, and Export offers the chosen file (issue 26).
Screenshots: docs/screenshots/compare_files*.png with NEGLENS_UPDATE_SCREENSHOTS=1."""

from __future__ import annotations

import shutil
import time

import pytest
from e2e_server import SAMPLE_DATA, AppServer
from test_e2e_app import assert_no_exception, settle

FILES = ("st_margin_ntuple.jsonl", "flag_hn_mine_padded.jsonl", "bm25_tevatron.jsonl")


@pytest.fixture(scope="module")
def files_server(chromium_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e-files")
    for name in FILES:
        shutil.copy(SAMPLE_DATA / "compare" / name, folder / name)
    rest = [arg for name in FILES[1:] for arg in ("--data", name)]
    server = AppServer(folder / FILES[0], tmp_path_factory.mktemp("e2e-files-server"), tuple(rest))
    yield server
    server.stop()


def test_three_files_side_by_side(files_server, browser, screenshot_dir):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{files_server.url}/compare")
        settle(page)
        encode = page.get_by_role("button", name="Encode the texts")
        if encode.count():
            encode.click()
            settle(page)
        assert_no_exception(page)
        assert page.locator("h1").first.inner_text().strip() == "Compare files"
        main = page.locator("[data-testid='stMain']")
        assert "yardstick: all-MiniLM-L6-v2 (packaged)" in main.inner_text()
        table = page.locator("[data-testid='stTable']").first
        for name in FILES:
            assert name in table.inner_text()
        # the table fits the page: nothing cut at the right at 1280 px
        box = table.bounding_box()
        assert box["x"] + box["width"] <= 1280
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 5")
        page.screenshot(path=str(screenshot_dir / "compare_files.png"))
        page.locator(".js-plotly-plot").last.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir / "compare_files_clusters.png"))
        height = page.evaluate("() => document.querySelector(\"[data-testid='stMainBlockContainer']\")"
                               ".scrollHeight")
        page.set_viewport_size({"width": 1280, "height": min(int(height) + 80, 5000)})
        time.sleep(1.0)  # let the charts resize
        page.screenshot(path=str(screenshot_dir / "compare_files_full.png"))
        page.set_viewport_size({"width": 1280, "height": 800})
        # the link carries the files: a new page opens the same comparison
        assert "also=flag_hn_mine_padded.jsonl" in page.url
        page.goto(f"{files_server.url}/export?{page.url.split('?', 1)[1]}")
        settle(page)
        assert_no_exception(page)
        assert page.locator("h1").first.inner_text().strip() == "Export from the files"
        assert page.get_by_role("button", name="Training data (FlagEmbedding JSONL)").count() == 1
    finally:
        context.close()
