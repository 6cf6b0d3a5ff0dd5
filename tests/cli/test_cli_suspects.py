"""The suspects, project and evaluate-fn commands, end to end on a tiny real-text pool."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.cli import main
from tests.false_negatives.test_fn_eval import _tiny_beir

pytestmark = pytest.mark.slow  # encodes real text with the default model


@pytest.fixture(scope="module")
def tiny_pool(tmp_path_factory):
    root = _tiny_beir(tmp_path_factory.mktemp("cli") / "tiny")
    out = root.parent / "pool.parquet"
    assert main(["pool", str(root), "--top-n", "5", "--quiet", "--out", str(out)]) == 0
    return root, out


def test_suspects_writes_ranked_signals(tiny_pool, tmp_path, capsys):
    root, pool = tiny_pool
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"q1": ["flour and water"], "q2": "oiled"}))
    out = tmp_path / "suspects.parquet"
    assert main(["suspects", str(pool), "--answers", str(answers), "--clusters", "2",
                 "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    assert list(table.columns) == ["qid", "did", "risk", "margin_score", "near_duplicate_score",
                                   "answer_match_score", "same_cluster_score", "is_suspect"]
    assert len(table) == 8 and not table.duplicated(["qid", "did"]).any()
    assert table["risk"].is_monotonic_decreasing
    # The planted second sourdough passage is the top suspect; it contains q1's answer.
    top = table.iloc[0]
    assert (top["qid"], top["did"]) == ("q1", "d2") and top["answer_match_score"] == pytest.approx(0.95)
    assert "8 negatives" in capsys.readouterr().out


def test_project_writes_points(tiny_pool, tmp_path, capsys):
    _, pool = tiny_pool
    out = tmp_path / "coords.parquet"
    assert main(["project", str(pool), "--method", "pca", "--max-points", "8", "--out", str(out)]) == 0
    points = pd.read_parquet(out)
    assert list(points.columns) == ["role", "qid", "did", "source", "rank", "score", "x", "y"]
    assert (points["role"] == "query").sum() == 2 and len(points) == 8
    assert "8 of 14 points shown" in capsys.readouterr().out   # 2 queries + 12 pair rows


def test_evaluate_fn_prints_the_table(tiny_pool, capsys):
    root, _ = tiny_pool
    assert main(["evaluate-fn", str(root), "--top-n", "5"]) == 0
    out = capsys.readouterr().out
    assert "tiny: 2 queries" in out and "raw score (baseline)" in out and "random (prevalence)" in out
    assert main(["evaluate-fn", str(root), "--top-n", "5", "--json"]) == 0
    blob = json.loads(capsys.readouterr().out)
    assert blob["false_negatives_in_pool"] == 1 and blob["table"][0]["ranking"] == "risk"


@pytest.mark.parametrize("argv, message", [
    (["suspects", "{missing}", "--out", "{out}"], "no such file"),
    (["suspects", "{pool}", "--threshold", "2", "--out", "{out}"], "threshold"),
    (["suspects", "{pool}", "--answers", "{bad}", "--out", "{out}"], "not JSON"),
    (["project", "{missing}", "--out", "{out}"], "no such file"),
    (["evaluate-fn", "{root}", "{root}", "--truth", "{bad}"], "exactly one PATH"),
])
def test_bad_input_is_one_line_and_status_2(tiny_pool, tmp_path, capsys, argv, message):
    root, pool = tiny_pool
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    names = {"missing": tmp_path / "missing.parquet", "out": tmp_path / "out.parquet", "pool": pool,
             "bad": bad, "root": root}
    assert main([a.format(**names) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err
