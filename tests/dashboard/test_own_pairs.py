"""A file without scores: scoring only its own pairs comes first, then the full pool (issue 15)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from apptest_helpers import REPO, assert_clean, open_app, page

from analysis import workspace as ws
from analysis.formats import load
from analysis.scoring import own_pairs

TEVATRON = REPO / "sample_data" / "mined" / "tevatron.jsonl"  # positives and negatives, no scores


def fake_scores(nset, **_):
    """Deterministic scores without a model: what score_own_pairs returns, minus the encoding."""
    score = np.linspace(0.9, 0.1, len(nset.pairs)).astype(np.float32)
    return nset.with_pairs(nset.pairs.assign(score=score),
                           meta={**nset.meta, own_pairs.OWN_PAIR_SCORES: {"model": None}})


@pytest.fixture
def unscored(tmp_path, monkeypatch):
    if not TEVATRON.is_file():
        pytest.skip(f"{TEVATRON} is absent")
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(own_pairs, "score_own_pairs", fake_scores)
    return shutil.copy(TEVATRON, tmp_path / TEVATRON.name)


def test_own_pairs_encode_only_the_files_queries_and_documents(unscored):
    nset = load(unscored)
    assert not nset.has_scores
    assert own_pairs.own_pairs_texts(nset) == nset.pairs["qid"].nunique() + nset.pairs["did"].nunique()


def test_kept_scores_reopen_the_file_scored(unscored):
    nset, sha = load(unscored), ws.fingerprint(unscored)
    assert ws.with_own_scores(nset, sha) is None
    scored = ws.ensure_own_scores(nset, sha)
    again = ws.with_own_scores(load(unscored), sha)
    assert again.has_scores
    np.testing.assert_array_equal(again.pairs["score"].to_numpy(), scored.pairs["score"].to_numpy())


def test_the_data_page_offers_own_pairs_first_then_the_pool(unscored, monkeypatch):
    at = open_app(monkeypatch, unscored)
    assert_clean(at)
    labels = [b.label for b in at.button]
    assert labels.index("Score its own pairs") < labels.index("Build pool")
    said = " ".join(i.value for i in at.info)
    assert "score only its own pairs" in said and "encodes " in said
    at.button(key="own_pairs").click().run()
    assert_clean(at)
    assert any("file rank" in s.value for s in at.success)
    page(at, "browse")
    assert_clean(at)
    assert "file rank" in at.dataframe[0].value.columns


@pytest.mark.slow
def test_the_cli_scores_own_pairs_into_a_file_compare_reads(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "scored.jsonl"
    done = subprocess.run([sys.executable, "-m", "analysis", "pool", str(TEVATRON), "--own-pairs",
                           "--quiet", "--out", str(out)], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "scoring the input's own pairs: encodes" in done.stderr
    scored = load(out)
    assert scored.has_scores and len(scored.pairs) == len(load(TEVATRON).pairs)
