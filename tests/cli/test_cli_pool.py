"""``python -m analysis pool`` and ``python -m analysis stats``, through the real dispatcher."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.formats.pool import read_pool
from tests.conftest import REPO, SAMPLE_DATA

ROWS = [
    {"query": "how do bees make honey",
     "pos": ["Bees turn nectar into honey by evaporating its water in the comb."],
     "neg": ["Wasps build paper nests from chewed wood.", "A hive holds one queen."]},
    {"query": "why does bread rise",
     "pos": ["Yeast ferments sugar and the carbon dioxide makes the dough rise."],
     "neg": ["Flour is milled from wheat.", "A hive holds one queen."]},
    {"query": "what causes earthquakes",
     "pos": ["Earthquakes happen when stress along a fault is released suddenly."],
     "neg": ["Volcanoes erupt molten rock.", "Flour is milled from wheat."]},
]


@pytest.fixture
def mined(tmp_path):
    path = tmp_path / "mined.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_pool_writes_a_pool_file_with_texts_and_ranks(mined, tmp_path, capsys):
    out_path = tmp_path / "pool.parquet"
    status, out, err = run_cli(capsys, "pool", mined, "--top-n", 3, "--out", out_path)
    assert status == 0, err
    assert f"wrote {out_path}: 3 queries, 9 pool pairs (top 3 of 7 documents" in out
    assert "encode documents" in err and "search" in err          # tqdm bars on stderr
    pool = read_pool(out_path)
    rows = pool.pairs[pool.pairs["source"] == "pool"]
    assert rows.groupby("qid", observed=True)["rank"].apply(list).tolist() == [[1, 2, 3]] * 3
    kept = pool.pairs[pool.pairs["source"] == "mined.jsonl"]
    assert len(kept) == 9 and (kept["rank"] >= 1).all() and kept["score"].notna().all()
    # every positive, in the pool rows too, with label 1
    assert int(rows["label"].sum()) == 3
    assert pool.meta["pool"]["top_n"] == 3 and pool.meta["pool"]["model"] == "all-MiniLM-L6-v2"
    status, out, _ = run_cli(capsys, "pool", mined, "--top-n", 3, "--out", tmp_path / "again.parquet")
    assert status == 0 and "; 0 texts encoded" in out             # a second run encodes nothing


def test_pool_against_a_separate_beir_corpus(mined, tmp_path, capsys):
    corpus = tmp_path / "corpus.jsonl"
    records = [{"_id": "x1", "title": "Honey", "text": "Honey keeps for years."},
               {"_id": "x2", "title": "", "text": "A hive holds one queen."},    # a set document
               "not json", {"_id": "x3", "text": "Fault lines slip."}]
    corpus.write_text("\n".join(json.dumps(r) if isinstance(r, dict) else r for r in records) + "\n")
    out_path = tmp_path / "pool.parquet"
    status, out, err = run_cli(capsys, "pool", mined, "--corpus", corpus, "--top-n", 10,
                               "--quiet", "--out", out_path)
    assert status == 0, err
    assert "1 unreadable lines skipped (first: line 3" in err
    settings = read_pool(out_path).meta["pool"]
    assert settings["corpus"] == str(corpus)
    assert settings["corpus_size"] == 9 and settings["corpus_merged_by_text"] == 1
    docs = read_pool(out_path).doc_text()
    assert docs["x1"] == "Honey Honey keeps for years."


def test_pool_with_a_cross_encoder(mined, tmp_path, capsys):
    from tests.scoring.test_rerank import make_cross_encoder

    ce = make_cross_encoder(tmp_path / "ce")
    out_path = tmp_path / "pool.parquet"
    status, _, err = run_cli(capsys, "pool", mined, "--top-n", 2, "--cross-encoder", ce,
                             "--quiet", "--out", out_path)
    assert status == 0, err
    pool = read_pool(out_path)
    assert pool.pairs["ce_score"].notna().all()
    assert pool.meta["pool"]["cross_encoder"] == str(ce)
    status, out, _ = run_cli(capsys, "stats", out_path)
    assert "== ce_score (min positive per query) ==" in out


@pytest.mark.parametrize("argv, message", [
    (["pool", "{tmp}/missing.jsonl", "--out", "{tmp}/p.parquet"], "no such file or folder"),
    (["pool", "{mined}", "--top-n", "0", "--out", "{tmp}/p.parquet"], 'field "top_n"'),
    (["pool", "{mined}", "--model", "{tmp}/no-model", "--out", "{tmp}/p.parquet"], 'field "model"'),
    (["stats", "{tmp}/missing.parquet"], "no such file or folder"),
])
def test_bad_input_is_one_line_and_status_2(argv, message, mined, tmp_path, capsys):
    argv = [a.format(tmp=tmp_path, mined=mined) for a in argv]
    status, _, err = run_cli(capsys, *argv)
    assert status == 2
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_stats_prints_the_table_and_json(mined, tmp_path, capsys):
    out_path = tmp_path / "pool.parquet"
    assert run_cli(capsys, "pool", mined, "--top-n", 3, "--quiet", "--out", out_path)[0] == 0
    status, out, _ = run_cli(capsys, "stats", out_path)
    assert status == 0
    assert "source: pool\nMetric       Positive       Negative     Difference\nCount               3" in out
    status, out, _ = run_cli(capsys, "stats", out_path, "--json")
    doc = json.loads(out)
    pool = read_pool(out_path).pairs
    scores = pool.loc[(pool["source"] == "pool") & (pool["label"] == 0), "score"]
    assert doc["tables"]["score"]["pool"]["Count"]["negative"] == len(scores) == 6
    assert doc["tables"]["score"]["pool"]["Max"]["negative"] == pytest.approx(float(scores.max()))
    status, out, err = run_cli(capsys, "stats", mined)
    assert status == 0 and "has no scores; build a pool first" in err
    assert json.loads(run_cli(capsys, "stats", mined, "--json")[1])["tables"]["score"][
        "mined.jsonl"]["Mean"]["positive"] is None


def test_sample_data_end_to_end_as_a_subprocess(tmp_path):
    """The shipped BEIR folder, through ``python -m analysis``: every labelled positive is in
    the top 10 (sample_data/README.md measured 100%) and scores are the model's cosine."""
    if not (SAMPLE_DATA / "corpus.jsonl").is_file():
        pytest.skip("sample_data/ is absent")
    out_path = tmp_path / "sample.parquet"
    done = subprocess.run([sys.executable, "-m", "analysis", "pool", str(SAMPLE_DATA), "--top-n", "20",
                           "--out", str(out_path)], cwd=REPO, capture_output=True, text=True,
                          env=os.environ.copy(), timeout=900)
    assert done.returncode == 0, done.stderr
    pool = read_pool(out_path)
    rows = pool.pairs[pool.pairs["source"] == "pool"]
    assert rows.loc[rows["label"] == 1, "rank"].max() <= 10
    assert len(rows) == 120 * 20

    from analysis.scoring.encode import load_encoder

    encoder = load_encoder()
    sample = rows.sample(40, random_state=0)
    q = encoder.model.encode_query(pool.query_text()[sample["qid"]].tolist(), normalize_embeddings=True)
    d = encoder.model.encode_document(pool.doc_text()[sample["did"]].tolist(), normalize_embeddings=True)
    expected = np.diag(encoder.model.similarity(q, d).numpy())
    np.testing.assert_allclose(sample["score"], expected, atol=1e-5)
    assert pd.Series(sample["rank"]).between(1, 20).all()


def test_equal_texts_are_one_document_unless_kept(mined, tmp_path, capsys):
    """A corpus repeating a text under two new ids: by default one document (the first id) and
    the pool says how many it merged, as sentence-transformers ranks them; --keep-equal-texts
    keeps both. (A corpus copy of a set document's text was already that document.)"""
    corpus = tmp_path / "corpus.jsonl"
    texts = {"c1": ROWS[0]["pos"][0], "c4": "Granite is an igneous rock.",
             "c5": "Granite is an igneous rock.", "c6": "Basalt is volcanic."}
    corpus.write_text("".join(json.dumps({"_id": k, "title": "", "text": v}) + "\n"
                              for k, v in texts.items()))
    status, out, err = run_cli(capsys, "pool", mined, "--corpus", corpus, "--top-n", 8,
                               "--out", tmp_path / "merged.parquet")
    assert status == 0, err
    assert "merged equal texts: 1 documents into others (0 of them copies of a positive" in out
    merged = read_pool(tmp_path / "merged.parquet")
    assert merged.meta["pool"]["merged_equal_texts"] == {"documents": 1, "positive_copies": 0,
                                                         "queries": 0}
    assert merged.meta["pool"]["corpus_size"] == 9
    assert {"c4", "c5"} & set(merged.pairs["did"].astype(str)) == {"c4"}
    status, out, err = run_cli(capsys, "pool", mined, "--corpus", corpus, "--top-n", 10,
                               "--keep-equal-texts", "--out", tmp_path / "kept.parquet")
    kept = read_pool(tmp_path / "kept.parquet")
    assert status == 0 and "merged equal texts" not in out
    assert kept.meta["pool"]["corpus_size"] == 10
    assert {"c4", "c5"} <= set(kept.pairs["did"].astype(str))
