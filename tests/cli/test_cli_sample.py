"""``python -m analysis sample``: writes the selection as training data, same seed same bytes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from analysis.cli import main
from analysis.formats import load, write
from analysis.scoring.synthetic import make_pool
from analysis.strategies import create

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pool_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("pool") / "pool.parquet"
    return write(make_pool(num_queries=80, pool_size=30, seed=4), path, format="pool")


def sample(pool_file, out, *extra):
    return main(["sample", str(pool_file), "--out", str(out), *extra])


def test_same_seed_same_bytes_other_seed_other_bytes(pool_file, tmp_path):
    args = ["--strategy", "simans", "--param", "a=60", "--num-negatives", "5"]
    assert sample(pool_file, tmp_path / "a.jsonl", *args, "--seed", "7") == 0
    assert sample(pool_file, tmp_path / "b.jsonl", *args, "--seed", "7") == 0
    assert sample(pool_file, tmp_path / "c.jsonl", *args, "--seed", "8") == 0
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()


@pytest.mark.parametrize("fmt, extra, name", [
    ("sentence-transformers", ["--layout", "triplet"], "out.jsonl"),
    ("sentence-transformers/labeled-pair", [], "out.parquet"),
    ("sentence-transformers", ["--layout", "labeled-list", "--scores"], "out.jsonl"),
    ("flagembedding", ["--scores"], "out.jsonl"),
    ("tevatron", [], "out.jsonl"),
])
def test_the_file_holds_the_positives_and_exactly_the_selection(pool_file, tmp_path, fmt, extra, name):
    out = tmp_path / name
    assert sample(pool_file, out, "--strategy", "margin", "--param", "relative_margin=0.05",
                  "--param", "range_min=1", "--num-negatives", "3", "--format", fmt, *extra) == 0
    pool = load(pool_file)
    expected = create("margin", relative_margin=0.05, range_min=1, num_negatives=3).select(
        pool, np.random.default_rng(0))
    text_of = pool.doc_text()
    want = {(str(pool.query_text()[q]), str(text_of[d])) for q, d in
            expected.pairs(pool)[["qid", "did"]].astype(str).itertuples(index=False)}
    written = load(out)
    got = written.pairs.merge(written.queries, on="qid").merge(
        written.docs.rename(columns={"text": "doc"}), on="did")
    negatives = {(q, d) for q, d, label in got[["text", "doc", "label"]].astype(
        {"text": str, "doc": str}).itertuples(index=False) if label == 0}
    assert negatives == want
    # labeled-pair keeps the positive rows of queries that got no negative, as sentence-transformers
    served = set(pool.pairs["qid"].astype(str)) if "labeled-pair" in fmt else \
        set(expected.pairs(pool)["qid"].astype(str))
    positives = pool.pairs[(pool.pairs["label"] == 1) & pool.pairs["qid"].astype(str).isin(served)]
    assert int((written.pairs["label"] == 1).sum()) == len(positives)
    assert expected.report.short["found"].eq(0).any()  # some queries got nothing: left out


def test_keep_empty_keeps_the_positives_of_queries_without_negatives(pool_file, tmp_path, capsys):
    args = ["--strategy", "margin", "--param", "relative_margin=0.05", "--param", "range_min=1",
            "--num-negatives", "3", "--layout", "labeled-list"]
    assert sample(pool_file, tmp_path / "dropped.jsonl", *args) == 0
    assert "Left out 8 queries that have no negative." in capsys.readouterr().err
    assert sample(pool_file, tmp_path / "kept.jsonl", *args, "--keep-empty") == 0
    assert "Left out" not in capsys.readouterr().err
    dropped = (tmp_path / "dropped.jsonl").read_text().splitlines()
    kept = (tmp_path / "kept.jsonl").read_text().splitlines()
    assert len(kept) == 80 and len(dropped) == 72


def test_json_run_record_and_report_on_stderr(pool_file, tmp_path, capsys):
    assert sample(pool_file, tmp_path / "t.jsonl", "--strategy", "topk_percpos",
                  "--param", "percentage=0.8", "--num-negatives", "20", "--seed", "2", "--json",
                  "--layout", "labeled-list") == 0
    captured = capsys.readouterr()
    record = json.loads(captured.out)
    assert record["name"] == "topk_percpos" and record["seed"] == 2
    assert record["params"] == {"num_negatives": 20, "percentage": 0.8, "positive": "min"}
    assert record["report"]["short_queries"]  # 20 of 30 candidates below 80% of s_pos: rare
    lines = (tmp_path / "t.jsonl").read_text().splitlines()
    assert record["report"]["selected"] == sum(len(json.loads(line)["positive"]) - 1 for line in lines)
    assert "Could not find enough negatives" in captured.err


@pytest.mark.parametrize("extra, message", [
    (["--strategy", "simans", "--param", "a"], "KEY=VALUE"),
    (["--strategy", "simans", "--param", "alpha=2"], "has no parameter 'alpha'"),
    (["--strategy", "range", "--param", "sampling=best"], "must be one of"),
    (["--strategy", "top_k", "--format", "nonsense"], "cannot write training data as"),
])
def test_bad_settings_are_one_line_errors(pool_file, tmp_path, capsys, extra, message):
    assert sample(pool_file, tmp_path / "x.jsonl", *extra) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_missing_pool_is_an_error_without_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "analysis", "sample", str(tmp_path / "none.parquet"),
                           "--strategy", "random", "--out", str(tmp_path / "o.jsonl")],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "no such file" in done.stderr
