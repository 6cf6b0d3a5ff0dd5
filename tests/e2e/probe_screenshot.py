"""Run a real probe on sample_data in the real app and take docs/screenshots/probe.png.

Not a test (it trains four models: about five minutes on 2 CPU cores); run it by hand:

    .venv/bin/python tests/e2e/probe_screenshot.py [OUT.png]

The app starts on a copy of sample_data with a fresh cache, the Probe page is opened with
random, top_k, topk_percpos and simans:a=100 in the URL, sample_data's planted positives are
given as evaluation-only judgements, Start is clicked and the page is captured once the result
is drawn. The browser tests' helpers start the server and take the full-page screenshot.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]

from e2e_server import CHROMIUM, CHROMIUM_ARGS, SAMPLE_DATA, SCREENSHOTS, AppServer  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from test_e2e_app import assert_no_exception, full_page_screenshot, open_page  # noqa: E402

STRATEGIES = ("random", "top_k", "topk_percpos", "simans:a=100")
EXTRA = "ground_truth/unlabelled_positives.tsv"


def main(target: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="neglens-probe-shot-") as folder:
        work = Path(folder)
        data = work / "sample_data"
        shutil.copytree(SAMPLE_DATA, data)
        os.environ["NEGLENS_CACHE_DIR"] = str(work / "cache")
        server = AppServer(data, work)
        try:
            with sync_playwright() as play:
                browser = play.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                query = "&".join(f"s={name}" for name in STRATEGIES)
                open_page(page, server, f"probe?{query}")
                box = page.get_by_role("textbox", name="Extra judgements for evaluation only")
                box.fill(EXTRA)
                box.press("Enter")
                page.get_by_text("extra judgements for evaluation only").wait_for(timeout=120_000)
                page.get_by_role("button", name="Start").click()
                started = time.monotonic()
                page.get_by_text("Probe finished").wait_for(timeout=1_200_000)
                print(f"probe finished in the app after {time.monotonic() - started:.0f} s")
                time.sleep(3)
                assert_no_exception(page)
                full_page_screenshot(page, target)
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SCREENSHOTS / "probe.png")
