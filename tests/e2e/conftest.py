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
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parents[2]
SAMPLE_DATA = REPO / "sample_data"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STARTUP_TIMEOUT_S = 120  # a cold start encodes the sample (~25 s on two cores) on first page view
SCREENSHOTS = REPO / "docs" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy in {timeout} s:\n{log.read_text()[-4000:]}")


class AppServer:
    """One ``streamlit run dashboard/app.py`` process on 127.0.0.1."""

    def __init__(self, data: Path, workdir: Path):
        self.data, self.workdir = data, workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "streamlit.log"
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO)
        cmd = [str(Path(sys.executable).parent / "streamlit"), "run", str(REPO / "dashboard" / "app.py"),
               "--server.port", str(self.port), "--server.address", "127.0.0.1",
               "--server.headless", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false", "--", "--data", str(data)]
        self._log_handle = self.log.open("w")
        self.proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=self._log_handle,
                                     stderr=subprocess.STDOUT)
        try:
            wait_for_health(self.url, self.proc, self.log, STARTUP_TIMEOUT_S)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log_handle.close()


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
    server = AppServer(sample_copy, tmp_path_factory.mktemp("e2e-server"))
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
