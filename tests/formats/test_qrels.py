"""The one qrels reader: separators, layouts, headers and skips, on hand-made and real files."""

from __future__ import annotations

import pytest

from analysis.formats.qrels import GRADED, LISTED, TREC, read_judgements
from tests.conftest import SHARED_DATA, require_shared


def _rows(qrels):
    return [(j.line, j.qid, j.did, j.grade) for j in qrels.judgements]


def test_tabs_split_only_on_tabs_so_ids_keep_their_spaces(tmp_path):
    path = tmp_path / "test.tsv"
    path.write_text("query-id\tcorpus-id\tscore\nq 1\tdoc a\t1\nq2\td2\t0\n\nq3 d3 2\n", encoding="utf-8")
    qrels = read_judgements(path)
    assert qrels.layout == GRADED and qrels.skipped == []
    assert _rows(qrels) == [(2, "q 1", "doc a", 1.0), (3, "q2", "d2", 0.0), (5, "q3", "d3", 2.0)]
    assert [j.relevant for j in qrels.judgements] == [True, False, True]


def test_trec_layout_needs_every_second_column_zero(tmp_path):
    trec = tmp_path / "trec"
    trec.write_text("1 0 d7 2\n1 Q0 d8 0\n", encoding="utf-8")
    assert read_judgements(trec).layout == TREC
    assert _rows(read_judgements(trec)) == [(1, "1", "d7", 2.0), (2, "1", "d8", 0.0)]
    cacm = tmp_path / "cacm"               # CACM: qid did 0 0, every listed pair relevant
    cacm.write_text("01 1410  0 0\n01 1572  0 0\n", encoding="utf-8")
    qrels = read_judgements(cacm)
    assert qrels.layout == LISTED and _rows(qrels) == [(1, "01", "1410", None), (2, "01", "1572", None)]
    assert all(j.relevant for j in qrels.judgements)


def test_unreadable_lines_are_returned_with_their_line_not_dropped(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_bytes(b"q1\td1\t1\nq1\td2\thigh\nq1 d1 1 2 3\nq2\td\xe9\t1\n")
    qrels = read_judgements(path)
    assert _rows(qrels) == [(1, "q1", "d1", 1.0)]
    assert [(line, exc.describe()) for line, exc in qrels.skipped] == [
        (2, "field \"score\": expected a number, got 'high'"),
        (3, "a judgement is 'qid did [grade]' or 'qid 0 did grade', got 5 columns"),
        (4, "not valid UTF-8: byte 0xe9 at column 5")]


@pytest.mark.parametrize("name, count, layout", [
    ("cranfield/cranqrel", 1837, GRADED), ("med/MED.REL", 696, GRADED),
    ("cacm/qrels.text", 796, LISTED), ("adi/ADI.REL", 170, LISTED)])
def test_every_judgement_of_the_shared_collections_is_read(name, count, layout):
    path = require_shared(SHARED_DATA / name)
    qrels = read_judgements(path)
    with open(path, encoding="utf-8") as handle:
        lines = [line.split() for line in handle if line.strip()]
    assert qrels.skipped == [] and qrels.layout == layout and len(qrels.judgements) == len(lines) == count
    assert [(j.qid, j.did) for j in qrels.judgements] == [(t[0], t[1]) for t in lines]
