"""A scored mined file opens on every page without torch or sentence-transformers (issue 15).

Runs in a fresh interpreter (subprocess), so no other test's imports can hide a heavy import.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MINED = REPO / "sample_data" / "mined" / "sentence_transformers_ntuple.jsonl"
PAGES = ["data", "overview", "browse", "compare", "map", "export"]

SCRIPT = r"""
import json, sys
from streamlit.testing.v1 import AppTest
out = {}
for page in %(pages)r:
    at = AppTest.from_file(%(app)r, default_timeout=60)
    at.switch_page("views/%%s.py" %% page)
    at.run()
    out[page] = {"titles": [t.value for t in at.title], "errors": [e.value for e in at.exception] + [e.value for e in at.error],
                 "text": " ".join(str(m.value) for m in list(at.markdown) + list(at.caption)
                                  + list(at.success) + list(at.info)),
                 "metrics": [[m.label, str(m.value)] for m in at.metric]}
out["heavy"] = sorted(m for m in ("torch", "sentence_transformers") if m in sys.modules)
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def opened(tmp_path_factory):
    if not MINED.is_file():
        pytest.skip(f"{MINED} is absent")
    data = tmp_path_factory.mktemp("mined") / MINED.name
    shutil.copy(MINED, data)  # review decisions are written beside the data
    env = {**os.environ, "NEGLENS_DATA": str(data),
           "NEGLENS_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}
    code = SCRIPT % {"pages": PAGES, "app": str(REPO / "dashboard" / "app.py")}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    line = next((l for l in done.stdout.splitlines() if l.startswith("RESULT")), None)
    assert line, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads(line[len("RESULT"):])


def test_every_page_renders_a_scored_file_without_torch(opened):
    assert opened["heavy"] == []
    for page in PAGES:
        assert opened[page]["errors"] == [], page
        assert opened[page]["titles"], f"{page} rendered no title"


def test_the_data_page_says_file_rank_and_estimates_a_pool(opened):
    text = opened["data"]["text"]
    assert "file rank" in text
    assert "encodes" in text and "texts" in text  # the estimate before any pool build


def test_overview_counts_the_files_own_candidates_as_candidates(opened):
    metrics = dict(opened["overview"]["metrics"])
    # 120 queries, each 1 positive + 5 negatives: 720 of the file's own pairs, no pool rows
    assert metrics.get("Candidates") == "720", metrics
    assert "Pool candidates" not in metrics
