"""The HTML report: escaped texts, one inlined plotly.js, every chart drawn offline in Chromium."""

from __future__ import annotations

import json
from html import escape as html_escape
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.export.report import build_report, write_report
from analysis.formats.pool import write_pool
from analysis.scoring.synthetic import make_pool
from analysis.strategies import create

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HOSTILE = "<script>alert('pwned')</script><img src=x onerror=alert(1)><b>&amp;"


@pytest.fixture(scope="module")
def hostile_pool():
    """A synthetic pool whose every query and document text carries HTML and a script."""
    pool = make_pool(num_queries=30, pool_size=40, seed=4)
    for table, column in ((pool.queries, "qid"), (pool.docs, "did")):
        table["text"] = (HOSTILE + " " + table[column].astype(str)).astype(table["text"].dtype)
    return pool


STRATEGIES = {"top_k": create("top_k", num_negatives=4),
              "margin:relative_margin=0.05": create("margin", relative_margin=0.05, num_negatives=4),
              "simans:a=50": create("simans", a=50.0, num_negatives=4)}


def test_texts_are_escaped_and_plotly_is_inlined_once(hostile_pool):
    report = build_report(hostile_pool, STRATEGIES, seed=1, source="<pool & co>")
    assert HOSTILE not in report and "<script>alert" not in report and "<img src=x" not in report
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in report
    assert "&lt;pool &amp; co&gt;" in report
    assert report.count("Plotly.newPlot(") == 4          # 3 distributions + the overlap heatmap
    assert report.count("* plotly.js v") == 1             # the bundle's banner, inlined once
    assert "<script src=" not in report and 'src="http' not in report
    assert "Content-Security-Policy\" content=\"default-src 'none';" in report
    for heading in ("Score statistics", "Raw rank of the chosen negatives", "Rank among non-positives",
                    "Score gap", "Metrics", "Jaccard overlap", "Filter reports",
                    "Top false-negative suspects"):
        assert heading in report
    assert build_report(hostile_pool, STRATEGIES, seed=1, source="<pool & co>") == report


def test_statistics_and_suspects_tables_hold_the_numbers(hostile_pool):
    from analysis.false_negatives.signals import find_suspects
    from analysis.measure.stats import summary_table

    report = build_report(hostile_pool, {"top_k": STRATEGIES["top_k"]})
    pool_stats = summary_table(hostile_pool, by=None).set_index("metric")
    assert f"<td>{pool_stats.loc['Mean', 'positive']:.4f}</td>" in report
    assert f"<td>{int(pool_stats.loc['Count', 'negative']):,}</td>" in report
    suspects = find_suspects(hostile_pool.pairs)
    riskiest = suspects.sort_values(["risk", "score"], ascending=False, kind="stable").iloc[0]
    assert f"{int(suspects['is_suspect'].sum()):,} of {len(suspects):,} pool negatives" in report
    assert f"<td>{riskiest['risk']:.0%}</td>" in report  # a percentage, as the app prints it
    assert report.count("Plotly.newPlot(") == 3           # one strategy: no overlap heatmap


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent: install Debian's "
                                                  "chromium (make chromium) to open the report")
def test_report_renders_every_chart_offline_in_chromium(hostile_pool, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from playwright.sync_api import sync_playwright

    path = write_report(tmp_path / "report.html", build_report(hostile_pool, STRATEGIES, seed=1))
    requests, dialogs, errors = [], [], []

    def route(r):
        if not r.request.url.startswith(("file:", "data:")):
            requests.append(r.request.url)
        r.continue_()

    def open_report():
        # its own thread: a session-wide sync Playwright (the e2e browser fixture) may already
        # hold an event loop in this worker's main thread, and the sync API refuses to nest
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                page.route("**/*", route)
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(path.as_uri())
                page.wait_for_function(
                    "document.querySelectorAll('.js-plotly-plot svg.main-svg').length >= 4", timeout=30_000)
                charts = page.locator(".plotly-graph-div").count()
                drawn = page.evaluate("Array.from(document.querySelectorAll('.js-plotly-plot'))"
                                      ".filter(e => e.querySelector('svg.main-svg')).length")
                bars = page.locator(".js-plotly-plot .bars .point").count()
                cells = page.locator("td.text").all_inner_texts()
                page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
            finally:
                browser.close()
        return charts, drawn, bars, cells

    with ThreadPoolExecutor(max_workers=1) as pool_:
        charts, drawn, bars, cells = pool_.submit(open_report).result(timeout=180)
    assert charts == 4 and drawn == 4
    assert bars > 0
    assert requests == [] and dialogs == [] and errors == []
    assert any(text.startswith(HOSTILE) for text in cells)   # shown as text, not run
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_report_cli_on_a_pool_file(hostile_pool, tmp_path, capsys):
    data = write_pool(hostile_pool, tmp_path / "pool.parquet")
    out = tmp_path / "r.html"
    assert main(["report", str(data), "--num-negatives", "3", "--seed", "2", "--out", str(out)]) == 0
    assert "opens without network" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    for label in ("top_k", "margin:relative_margin=0.05", "random"):   # the default strategies
        assert f"<b>{label}</b>" in html
    assert html_escape(json.dumps({"num_negatives": 3})) in html
    assert main(["report", str(data), "--strategy", "top_k:colour=red", "--out", str(out)]) == 2
    assert "has no parameter 'colour'" in capsys.readouterr().err


def test_report_shows_the_estimate_from_the_review_store(hostile_pool, tmp_path, capsys, monkeypatch):
    from analysis.export.apply import candidate_pool
    from analysis.false_negatives.review import ReviewStore

    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))  # a review store of its own
    data = write_pool(hostile_pool, tmp_path / "pool.parquet")
    out = tmp_path / "r.html"
    assert main(["report", str(data), "--strategy", "top_k", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "<h2>Estimated false negatives</h2>" in html and "no estimate yet: 0 of 10" in html
    store = ReviewStore.for_data(data)
    negatives = candidate_pool(hostile_pool).pairs.query("label == 0").drop_duplicates(["qid", "did"])
    for i, row in enumerate(negatives.head(12).itertuples()):
        store.mark(row.qid, row.did, "false_negative" if i % 4 == 0 else "true_negative", draw=(0.01, 0.1))
    assert main(["report", str(data), "--strategy", "top_k", "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    section = html.split("<h2>Estimated false negatives</h2>")[1]
    assert "sequential Horvitz-Thompson" in section and "<th>selection of top_k</th>" in section
    assert "% to " in section.split("selection of top_k")[0]        # all negatives: a share and interval
