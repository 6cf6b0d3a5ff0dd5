"""The real app (``streamlit run``) in headless Chromium: every page renders without an exception,
a strategy change redraws the chart, a review decision survives a reload. Screenshots of the
main pages go to docs/screenshots/ with NEGLENS_UPDATE_SCREENSHOTS=1 (else to tmp)."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from e2e_server import HOSTILE

from analysis.false_negatives.review import ReviewStore
from analysis.strategies import registry

PAGES = [("", "Data"), ("overview", "Overview"), ("browse?only=suspects", "Browse"),
         ("compare", "Compare strategies"), ("map", "Map"), ("export", "Export")]
SETTLE_TIMEOUT_S = 600   # the first page view of a cold start builds the pool


def settle(page, timeout: float = SETTLE_TIMEOUT_S) -> None:
    """Wait until the script has finished: the page's title is drawn (every page starts with
    one) and the 'running' widget has been gone for a second."""
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=timeout * 1000)
    deadline, quiet = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        running = page.query_selector("[data-testid='stStatusWidget']")
        quiet = 0 if running else quiet + 1
        if quiet >= 4:
            return
        time.sleep(0.25)
    raise TimeoutError(f"the app was still running after {timeout} s")


def open_page(page, server, path: str) -> None:
    page.goto(f"{server.url}/{path}")
    settle(page)


def assert_no_exception(page) -> None:
    shown = page.locator("[data-testid='stException']")
    assert shown.count() == 0, shown.first.inner_text()
    errors = page.locator("[data-testid='stAlertContentError']")
    assert errors.count() == 0, errors.first.inner_text()


def chart_traces(page, title: str, names: tuple[str, ...] = ("top_k", "random")) -> dict[str, str]:
    """name -> the y values (as JSON: a list, or plotly's typed-array encoding) of each trace of
    the plotly chart titled ``title``, once it has drawn traces called ``names``."""
    find = ("(args) => Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".find(g => g.layout && g.layout.title && (g.layout.title.text || '').includes(args[0])"
            " && args[1].every(n => (g.data || []).some(t => t.name === n)))")
    page.wait_for_function(find, arg=[title, list(names)])
    data = page.evaluate(f"(args) => ({find})(args).data.map(t => [t.name, JSON.stringify(t.y)])",
                         [title, list(names)])
    return {name: y for name, y in data}


@pytest.mark.parametrize("path, title", PAGES, ids=[t for _, t in PAGES])
def test_each_page_renders_without_an_exception(app_server, page, screenshot_dir, path, title):
    open_page(page, app_server, path)
    assert_no_exception(page)
    assert page.locator("h1").first.inner_text().strip() == title
    params = parse_qs(urlparse(page.url).query)
    assert params["data"] == [app_server.data.name]   # the view is in the URL, as started
    name = urlparse(path).path or "data"
    full_page_screenshot(page, screenshot_dir / f"{name}.png")


def full_page_screenshot(page, target) -> None:
    """The whole page: the viewport is stretched to the content (Streamlit scrolls inside its
    main block, so a plain full-page screenshot would stop at the window's height)."""
    height = page.evaluate("() => document.querySelector(\"[data-testid='stMainBlockContainer']\")"
                           ".scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(max(int(height) + 80, 900), 4000)})
    time.sleep(1.0)  # let the charts resize
    page.screenshot(path=str(target))


def test_a_strategy_change_updates_the_chart_and_the_url(app_server, page):
    open_page(page, app_server, "compare")
    before = chart_traces(page, "Corpus rank distribution")
    expander = page.locator("[data-testid='stExpander']").filter(
        has_text=f"top_k: {registry()['top_k'].summary}")
    expander.locator("summary").click()
    field = expander.get_by_role("spinbutton", name="num_negatives")
    field.fill("3")
    field.press("Enter")
    page.wait_for_url(re.compile(r"top_k%3Anum_negatives%3D3"), timeout=SETTLE_TIMEOUT_S * 1000)
    settle(page)
    deadline = time.monotonic() + 30   # the chart is redrawn just after the script ends
    while (after := chart_traces(page, "Corpus rank distribution"))["top_k"] == before["top_k"]:
        assert time.monotonic() < deadline, "the rank chart did not change"
        time.sleep(0.5)
    assert after["random"] == before["random"]            # other strategies keep their draws
    assert "top_k:num_negatives=3" in parse_qs(urlparse(page.url).query)["s"]
    # the link reproduces the view in a new browser page
    other = page.context.new_page()
    other.goto(page.url)
    settle(other)
    assert chart_traces(other, "Corpus rank distribution")["top_k"] == after["top_k"]


def test_a_review_decision_survives_a_reload(app_server, page):
    # the store is keyed by the data's content in the shared test workspace: start this query clean
    store = ReviewStore.for_data(app_server.data)
    store.unmark_many([(q, d) for q, d in zip(store.all()["qid"], store.all()["did"]) if q == "q002"])
    open_page(page, app_server, "browse?q=q002")
    assert "Verdicts on this query: none" in page.get_by_text("Verdicts on this query").inner_text()
    table = page.locator("[data-testid='stDataFrame']").first
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 18)     # the first row's selection box
    settle(page)
    page.get_by_role("button", name="Mark true_negative").click()
    settle(page)
    page.reload()
    settle(page)
    assert_no_exception(page)
    assert "true_negative 1" in page.get_by_text("Verdicts on this query").inner_text()
    stored = store.all()
    assert stored.loc[stored["qid"] == "q002", "verdict"].tolist() == ["true_negative"]


def test_text_from_the_data_is_shown_literally_never_run(hostile_server, page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_page(page, hostile_server, "browse")
    assert_no_exception(page)
    main = page.locator("[data-testid='stMain']")
    assert HOSTILE in main.inner_text()                     # shown as the characters it holds
    assert main.locator("script, b").count() == 0           # never parsed as markup
    assert dialogs == []
