"""Start the real app with ``streamlit run`` on a loopback port and drive it in headless Chromium.

The server runs in a subprocess on a free 127.0.0.1 port, with the test run's cache
directory (so real text is encoded once per run), on a copy of the data
in ``tmp_path`` (review decisions are written beside the data, never into the repository).

Chromium is Debian's ``/usr/bin/chromium`` (``make test`` installs it); without it every test
here skips, saying so. Screenshots go to ``docs/screenshots/`` only when
``NEGLENS_UPDATE_SCREENSHOTS=1``, else to the test's tmp directory.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from e2e_server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HOSTILE,
    SAMPLE_DATA,
    SCREENSHOTS,
    AppServer,
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (make chromium) to run e2e tests")
    return CHROMIUM


@pytest.fixture(scope="session")
def sample_copy(tmp_path_factory) -> Path:
    if not (SAMPLE_DATA / "corpus.jsonl").exists():
        pytest.skip(f"sample data not found at {SAMPLE_DATA}")
    target = tmp_path_factory.mktemp("e2e-data") / "sample_data"
    shutil.copytree(SAMPLE_DATA, target)
    return target


@pytest.fixture(scope="session")
def app_server(chromium_path, sample_copy, tmp_path_factory):
    from analysis import workspace as ws

    # the Data page's Build pool, done up front: opening the app never builds one (issue 15)
    ws.ensure_pool(ws.load_dataset(sample_copy), ws.fingerprint(sample_copy), ws.PoolSettings())
    server = AppServer(sample_copy, tmp_path_factory.mktemp("e2e-server"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def hostile_server(chromium_path, tmp_path_factory):
    """The app on a small synthetic pool whose every text carries HTML and a script tag."""
    from analysis.formats.pool import write_pool
    from analysis.scoring.synthetic import make_pool

    pool = make_pool(num_queries=5, pool_size=8)
    for table, column in ((pool.queries, "qid"), (pool.docs, "did")):
        table["text"] = (HOSTILE + " " + table[column].astype(str)).astype(table["text"].dtype)
    data = write_pool(pool, tmp_path_factory.mktemp("e2e-hostile") / "hostile.parquet")
    server = AppServer(data, tmp_path_factory.mktemp("e2e-hostile-server"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    if os.environ.get("NEGLENS_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path
