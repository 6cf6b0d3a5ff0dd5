"""Run ``streamlit run dashboard/app.py`` on a free loopback port for the browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DATA = REPO / "sample_data"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STARTUP_TIMEOUT_S = 120  # until the server answers /_stcore/health (no page viewed yet)
SCREENSHOTS = REPO / "docs" / "screenshots"
HOSTILE = '<script>alert("x")</script> <b>bold?</b>'


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
    """One ``streamlit run dashboard/app.py -- --data NAME [APP_ARGS]`` process on 127.0.0.1,
    started in the data's parent folder (as ``make dashboard`` starts it beside ``sample_data``);
    its log goes to ``workdir``."""

    def __init__(self, data: Path, workdir: Path, app_args: tuple[str, ...] = ()):
        self.data, self.workdir = data, workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "streamlit.log"
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO)
        cmd = [str(Path(sys.executable).parent / "streamlit"), "run", str(REPO / "dashboard" / "app.py"),
               "--server.port", str(self.port), "--server.address", "127.0.0.1",
               "--server.headless", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false", "--", "--data", data.name, *app_args]
        self._log_handle = self.log.open("w")
        self.proc = subprocess.Popen(cmd, cwd=data.parent, env=env, stdout=self._log_handle,
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
