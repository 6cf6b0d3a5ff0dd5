"""Helpers for the dashboard tests: small pool files and an AppTest of the whole app.

A pool file needs no model, so most page tests run in a second; tests on the real sample encode
it once per run (shared embedding cache) and are marked ``slow``. Data always lives in
``tmp_path``: review decisions are written beside the data, never into the repository.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from analysis.formats.pool import write_pool
from analysis.scoring.synthetic import make_pool

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "dashboard" / "app.py"
SAMPLE_DATA = REPO / "sample_data"
HOSTILE = '<script>alert("x")</script> **bold** <b>tag</b>'


def pool_file(path: Path, *, hostile: bool = False, **options) -> Path:
    """A synthetic pool (``analysis.scoring.synthetic.make_pool``) written as a pool Parquet file."""
    pool = make_pool(**{"num_queries": 30, "pool_size": 20, "num_clusters": 4, **options})
    if hostile:
        pool.queries["text"] = (HOSTILE + " query " + pool.queries["qid"].astype(str)).astype(
            pool.queries["text"].dtype)
        pool.docs["text"] = (HOSTILE + " document " + pool.docs["did"].astype(str)).astype(
            pool.docs["text"].dtype)
    return write_pool(pool, path)


def open_app(monkeypatch, data: Path, *, timeout: float = 30, query: dict | None = None) -> AppTest:
    """An AppTest of the whole app started on ``data`` (as ``-- --data PATH`` would), run once."""
    monkeypatch.setenv("NEGLENS_DATA", str(data))
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if query:
        at.query_params.update(query)
    return at.run()


def page(at: AppTest, name: str) -> AppTest:
    """Switch to a page and run it."""
    return at.switch_page(f"views/{name}.py").run()


def assert_clean(at: AppTest) -> None:
    """No exception element and no error box on the page."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


HEAVY_MODULES = ("torch", "sentence_transformers", "transformers", "umap")


def heavy_modules_after(data, tmp_path, *, switch_to: str | None = None,
                        expect: str = "at.metric") -> list[str]:
    """Open the app on ``data`` in a fresh interpreter (optionally switching to a page) and
    return which model libraries it imported; ``expect`` must hold on the rendered page."""
    import ast
    import os
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(APP)!r}, default_timeout=60).run()\n"
        + (f"at = at.switch_page({switch_to!r}).run()\n" if switch_to else "")
        + "assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]\n"
        f"assert {expect}, 'the page showed nothing'\n"
        f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n")
    env = {**os.environ, "NEGLENS_DATA": str(data), "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])
