"""``python -m analysis review``: mark one or many, list, export."""

from __future__ import annotations

import csv
import json

import pytest

from analysis.cli import main


@pytest.fixture
def data(tmp_path, monkeypatch):
    # the store is keyed by content: a workspace of its own, even when the test cache is kept
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "train.jsonl"
    path.write_text('{"query": "q", "pos": ["a"], "neg": ["b"]}\n', encoding="utf-8")
    return path


def test_mark_one_then_list_as_json(data, capsys):
    assert main(["review", "mark", str(data), "--query", "q1", "--doc", "d1",
                 "--verdict", "false_negative", "--reviewer", "ann"]) == 0
    capsys.readouterr()
    assert main(["review", "list", str(data), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["qid"], r["did"], r["verdict"]) for r in rows] == [("q1", "d1", "false_negative")]
    assert set(rows[0]) == {"qid", "did", "verdict", "reviewer", "time"}
    assert rows[0]["time"].endswith("+00:00")


def test_mark_many_from_csv_and_jsonl_then_export(data, tmp_path, capsys):
    table = tmp_path / "judge.csv"
    table.write_text("qid,did,verdict\nq1,d1,true_negative\nq2,d9,unsure\n", encoding="utf-8")
    lines = tmp_path / "judge.jsonl"
    lines.write_text('{"qid": "q1", "did": "d1", "verdict": "false_negative"}\n'
                     '{"qid": 3, "did": 4, "verdict": "true_negative"}\n', encoding="utf-8")
    assert main(["review", "mark", str(data), "--from", str(table)]) == 0
    assert main(["review", "mark", str(data), "--from", str(lines)]) == 0
    out_json, out_csv = tmp_path / "all.json", tmp_path / "all.csv"
    assert main(["review", "export", str(data), "--out", str(out_json)]) == 0
    assert main(["review", "export", str(data), "--out", str(out_csv)]) == 0
    got = {(r["qid"], r["did"]): r["verdict"] for r in json.loads(out_json.read_text())}
    assert got == {("q1", "d1"): "false_negative", ("q2", "d9"): "unsure", ("3", "4"): "true_negative"}
    with open(out_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["qid"], r["did"]): r["verdict"] for r in rows} == got
    assert list(rows[0]) == ["qid", "did", "verdict", "reviewer", "time"]


def test_a_bad_row_names_file_line_and_field(data, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("qid,did,verdict\nq1,d1,true_negative\nq2,d2,maybe\n", encoding="utf-8")
    assert main(["review", "mark", str(data), "--from", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "3" in err and "verdict" in err


def test_one_mark_needs_query_doc_and_verdict(data, capsys):
    assert main(["review", "mark", str(data), "--query", "q1"]) == 2
    assert "--doc" in capsys.readouterr().err
