"""The Review page in headless Chromium: keys mark and move on, undo brings the item back, the
estimate appears, and text with HTML in it is shown literally."""

from __future__ import annotations

import re

from e2e_server import HOSTILE
from test_e2e_app import assert_no_exception, open_page, settle


def negative_id(page) -> str:
    text = page.locator("[data-testid='stMain']").inner_text()
    return re.search(r"Negative (\S+): is it a false negative\?", text).group(1)


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
    assert "Estimated false negatives among all negatives" in main.inner_text()
    third = negative_id(page)
    page.keyboard.press("z")
    settle(page)
    assert third not in answered and negative_id(page) == answered[-1]  # the last answered is back
    assert HOSTILE in main.inner_text()
    assert main.locator("script, b").count() == 0
    assert dialogs == []
    page.screenshot(path=str(screenshot_dir / "review.png"), full_page=True)
