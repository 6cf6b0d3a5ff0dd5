"""The Review page in headless Chromium: keys mark and move on, undo brings the item back, the
estimate appears, text with HTML in it is shown literally and highlighted without padding, and
typing the verdict letters into the query search records no verdict."""

from __future__ import annotations

import re

from e2e_server import HOSTILE
from test_e2e_app import assert_no_exception, open_page, settle


def negative_id(page) -> str:
    text = page.locator("[data-testid='stMain']").inner_text()
    return re.search(r"Negative (\S+): is it a false negative\?", text).group(1)


def reviewed_count(page) -> str:
    metric = page.locator("[data-testid='stMetric']").filter(has_text="Reviewed").first
    return metric.locator("[data-testid='stMetricValue']").inner_text()


def test_keys_undo_next_item_estimate_and_literal_text(hostile_server, page, screenshot_dir):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_page(page, hostile_server, "review")
    assert_no_exception(page)
    first = negative_id(page)
    page.locator("[data-testid='stMain'] h1").click()        # focus the page, not an input
    page.keyboard.press("f")
    settle(page)
    second = negative_id(page)
    assert second != first
    answered = []
    for _ in range(2):
        answered.append(negative_id(page))
        page.keyboard.press("t")
        settle(page)
    main = page.locator("[data-testid='stMain']")
    assert "false negatives among all negatives" in main.inner_text()  # the estimate, or why none yet
    third = negative_id(page)
    page.keyboard.press("z")
    settle(page)
    assert third not in answered and negative_id(page) == answered[-1]  # the last answered is back
    assert HOSTILE in main.inner_text()
    assert main.locator("script, b").count() == 0
    assert dialogs == []
    # highlighted words are styled without padding (no gap beside the punctuation next to them)
    pads = main.locator("[data-testid='stMarkdownContainer'] strong").evaluate_all(
        "els => els.flatMap(e => [e, e.parentElement]).map(e => getComputedStyle(e))"
        ".map(s => s.paddingLeft + ' ' + s.paddingRight)")
    assert pads and set(pads) == {"0px 0px"}
    page.screenshot(path=str(screenshot_dir / "review.png"), full_page=True)
    # typing the verdict keys into the query search is text, not a verdict
    reviewed = reviewed_count(page)
    shown = negative_id(page)
    search = page.get_by_label("Query search (id or words)")
    search.click()
    search.press_sequentially("ftu")
    settle(page)
    assert search.input_value() == "ftu"
    assert reviewed_count(page) == reviewed and negative_id(page) == shown
