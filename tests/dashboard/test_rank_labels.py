"""No chart or table calls a file rank anything else (issue 15): on a scored file's own
candidates every rank shown on Overview, Browse, Compare and Review is named "file rank"."""

from __future__ import annotations

import json
import shutil

import pytest
from apptest_helpers import REPO, assert_clean, open_app, page

MINED = REPO / "sample_data" / "mined" / "sentence_transformers_ntuple.jsonl"


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    if not MINED.is_file():
        pytest.skip(f"{MINED} is absent")
    data = shutil.copy(MINED, tmp_path_factory.mktemp("mined") / MINED.name)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    at = open_app(monkeypatch, data)
    out = {}
    for name in ("overview", "browse", "compare", "review"):
        page(at, name)
        assert_clean(at)
        charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
        out[name] = {
            "columns": [str(c) for d in at.dataframe  # Compare's metrics are rows: the index too
                        for c in [*d.value.columns, *(d.value.index if name == "compare" else [])]],
            "text": [t.value for t in at.text] + [c.value for c in at.caption],
            "radio": [o for r in at.radio for o in r.options],
            "axes": [c["layout"]["xaxis"]["title"]["text"] for c in charts],
            "titles": [(c["layout"].get("title") or {}).get("text") for c in charts]}
    monkeypatch.undo()
    return out


def _ranks(words: list[str]) -> list[str]:
    """Every shown word group that names a rank but not the file rank."""
    return [w for w in words if "rank" in w.lower() and "file rank" not in w.lower()
            and "ranking" not in w.lower()]


def test_overview_says_file_rank_and_the_files_score(pages):
    shown = pages["overview"]
    assert any("file rank" in t for t in shown["text"])
    assert shown["axes"][0] == "score in the file (the miner's)"  # not the bi-encoder's cosine
    assert not _ranks(shown["columns"] + shown["axes"])


def test_browse_lists_file_ranks(pages):
    shown = pages["browse"]
    assert "file rank" in shown["columns"] and "rank" not in shown["columns"]
    assert any(t.startswith("Positive · file rank ") for t in shown["text"])
    assert not _ranks([t for t in shown["text"] if " · " in t])


def test_compare_and_review_name_the_file_rank(pages):
    compare = pages["compare"]
    assert compare["radio"][0] == "file rank (positives included)"
    assert not _ranks(compare["columns"] + compare["radio"] + compare["axes"])
    assert "mean file rank" in compare["columns"]
    assert any(t.startswith("file rank ") for t in pages["review"]["text"])


def test_a_pool_keeps_its_corpus_rank(small_pool, monkeypatch, tmp_path):
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))  # its own review store
    at = page(open_app(monkeypatch, small_pool), "browse")
    assert_clean(at)
    assert "corpus rank" in at.dataframe[0].value.columns
