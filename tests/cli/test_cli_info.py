"""``python -m analysis info``: counts on the real data, checked against the raw files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]


def info_json(capsys, *args) -> dict:
    assert main(["info", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _raw_counts(path) -> dict:
    """Counts from the raw JSON: queries, docs by text, positive and negative (query, text)
    pairs, a pair listed both ways counted as positive."""
    queries, docs, pos, neg, scored = set(), set(), set(), set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        query = row.get("query", row.get("anchor"))
        if "pos" in row:
            p, n = row["pos"], row["neg"]
            scored |= "pos_scores" in row
        else:
            p = [row["positive"]]
            n = [v for k, v in row.items() if k == "negative" or k.startswith("negative_")]
        queries.add(query)
        docs |= {*p, *n}
        pos |= {(query, t) for t in p}
        neg |= {(query, t) for t in n}
    return {"queries": len(queries), "docs": len(docs), "positives": len(pos),
            "negatives": len(neg - pos), "has_scores": scored}


def test_every_interop_file(interop_dir, capsys):
    files = sorted(p for p in interop_dir.rglob("*.jsonl"))
    assert len(files) == 10
    for path in files:
        got = info_json(capsys, path)
        assert {k: got[k] for k in ("queries", "docs", "positives", "negatives", "has_scores")
                } == _raw_counts(path), path.name
        assert got["skipped"] == [] and got["path"] == str(path)
        assert got["format"] == ("flagembedding" if path.parent.name == "flagembedding" else
                                 "sentence-transformers/" + ("triplet" if "triplet" in path.name
                                                             else "n-tuple"))


def test_interop_folder_merges_its_files_and_lists_the_licence(interop_dir, capsys):
    got = info_json(capsys, interop_dir / "flagembedding")
    assert got["files"]["ignored"] == [{"file": "LICENSE", "reason": "not a data file by its name (data files end .jsonl, .json, .csv, .parquet, .pq)"}]
    assert len(got["files"]["used"]) == len(got["sources"]) == 8


def test_cranfield(cranfield_dir, capsys):
    docs = len(re.findall(r"^\.I ", (cranfield_dir / "cran.all.1400").read_text(), flags=re.M))
    queries = len(re.findall(r"^\.I ", (cranfield_dir / "cran.qry").read_text(), flags=re.M))
    codes = [line.split()[2] for line in (cranfield_dir / "cranqrel").read_text().splitlines()
             if line.strip()]
    got = info_json(capsys, cranfield_dir)
    assert (got["format"], got["docs"], got["queries"]) == ("smart", docs, queries) == ("smart", 1400, 225)
    assert got["positives"] == sum(c in {"1", "2", "3", "4"} for c in codes) == 1612
    assert got["negatives"] == codes.count("-1") == 225
    assert got["has_scores"] is False and got["skipped"] == []


def test_bad_rows_still_load_and_are_listed(tmp_path, capsys):
    path = tmp_path / "some_bad.jsonl"
    path.write_bytes(b'{"query": "q", "pos": ["p"], "neg": ["n"]}\n{"query": \n'
                     b'{"query": "r", "pos": ["p"], "neg": ["n"], "neg_scores": [1, 2]}\n')
    got = info_json(capsys, path)
    assert (got["queries"], got["positives"], got["negatives"]) == (1, 1, 1)
    assert [(s["file"], s["line"]) for s in got["skipped"]] == [(str(path), 2), (str(path), 3)]
    assert got["skipped"][1]["reason"] == ('field "neg_scores": has 2 items, expected 1 '
                                           '(one per "neg" text)')


def test_human_table(tmp_path, capsys):
    path = tmp_path / "t.jsonl"
    path.write_text('{"query": "q", "pos": ["p"], "neg": ["n1", "n2"]}\n{"query": 1}\n')
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^format\s+flagembedding$", out, flags=re.M)
    assert re.search(r"^negatives\s+2$", out, flags=re.M)
    assert f'{path}, line 2: field "query": expected text, got int' in out


def test_format_override(tmp_path, capsys):
    path = tmp_path / "t.jsonl"
    path.write_text('{"anchor": "q", "positive": "p", "negative": "n"}\n')
    assert info_json(capsys, path, "--format", "sentence-transformers")["format"] == \
        "sentence-transformers/triplet"
    assert main(["info", str(path), "--format", "flagembedding"]) == 2
    assert capsys.readouterr().err.startswith(f'error: {path}, line 1, field "query": nothing usable')


@pytest.mark.parametrize("content, expected", [
    (b"", "line 1: the file is empty (0 bytes)"),
    (b'{"query": "q", "pos": [], "neg": ["n"]}\n', 'line 1, field "pos": nothing usable'),
    (b"\xff\xfe{}\n", "no known format matches"),
])
def test_nothing_usable_is_one_line_and_exit_2_without_traceback(tmp_path, content, expected):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    run = subprocess.run([sys.executable, "-m", "analysis", "info", str(path), "--json"],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith(f"error: {path}") and expected in run.stderr
