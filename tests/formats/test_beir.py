"""BEIR folders: corpus, queries, qrels splits, and a TREC run file."""

from __future__ import annotations

import pytest

from analysis.formats import detect_format, load
from analysis.model import DataError

CORPUS = [{"_id": "d1", "title": "Wings", "text": "wings turn air downward"},
          {"_id": "d2", "title": "", "text": "wheels roll"},
          {"_id": "d3", "text": "tails damp yaw"},
          {"_id": "d4", "title": "Seats", "text": ""},
          {"_id": "d5", "title": "Fins", "text": "fins steer"},
          '{"_id": "d6", "text": ',
          {"_id": "d7", "txt": "typo"}]
QUERIES = [{"_id": "q1", "text": "how do wings lift"}, {"_id": "q2", "text": "why do tails steady"},
           {"_id": "q3", "text": "what is a rudder"}]
QRELS = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\nq2\td3\t2\nq2\td9\t1\nq7\td1\t1\n"
RUN = ("q1 Q0 d2 1 12.5 bm25\nq1 Q0 d1 2 11.0 bm25\nq1 Q0 d4 3 9.0 bm25\nq2 Q0 d5 1 8.0 bm25\n"
       "q2 Q0 d3 2 7.5 bm25\nq3 Q0 d1 1 5.0 bm25\nq1 Q0 dX 4 1.0 bm25\n")


@pytest.fixture
def beir(write_jsonl, tmp_path):
    write_jsonl("beir/corpus.jsonl", CORPUS)
    write_jsonl("beir/queries.jsonl", QUERIES)
    (tmp_path / "beir" / "qrels").mkdir()
    (tmp_path / "beir" / "qrels" / "test.tsv").write_text(QRELS)
    (tmp_path / "beir" / "qrels" / "train.tsv").write_text("query-id\tcorpus-id\tscore\nq3\td1\t1\n")
    return tmp_path / "beir"


def _rows(nset):
    return sorted(zip(nset.pairs["qid"].astype(str), nset.pairs["did"].astype(str),
                      nset.pairs["label"].tolist(), nset.pairs["rank"].tolist(),
                      [None if s != s else float(s) for s in nset.pairs["score"]]))


def test_qrels_only_gives_judged_pairs(beir):
    assert detect_format(beir) == "beir"
    nset = load(beir)
    assert nset.format == "beir" and nset.meta["split"] == "test"
    assert _rows(nset) == [("q1", "d1", 1, 0, None), ("q1", "d2", 0, 0, None),
                           ("q2", "d3", 1, 0, None)]
    assert list(nset.queries["qid"]) == ["q1", "q2"]  # q3 is not judged in this split
    assert len(nset.docs) == 5
    docs = nset.doc_text()
    assert (docs["d1"], docs["d2"], docs["d4"]) == ("Wings wings turn air downward", "wheels roll",
                                                   "Seats")
    qrels = str(beir / "qrels" / "test.tsv")
    assert [(s.file.rsplit("/", 1)[-1], s.line, s.reason) for s in nset.skipped] == [
        ("corpus.jsonl", 6, "malformed JSON: Expecting value at column 23"),
        ("corpus.jsonl", 7, 'field "text": missing (did you mean "txt"?)'),
        ("test.tsv", 5, "field \"corpus-id\": document 'd9' is not in corpus.jsonl"),
        ("test.tsv", 6, "field \"query-id\": query 'q7' is not in queries.jsonl")]
    assert nset.skipped[2].file == qrels
    assert nset.meta["files"] == {"used": ["corpus.jsonl", "queries.jsonl", "qrels/test.tsv"],
                                  "ignored": [{"file": "qrels/train.tsv",
                                               "reason": "another split (using 'test')"}]}


def test_run_file_adds_ranked_scored_negatives(beir):
    (beir / "run.trec").write_text(RUN)
    nset = load(beir)
    assert _rows(nset) == [("q1", "d1", 1, 2, 11.0), ("q1", "d2", 0, 1, 12.5),
                           ("q1", "d4", 0, 3, 9.0), ("q2", "d3", 1, 2, 7.5),
                           ("q2", "d5", 0, 1, 8.0)]
    assert nset.has_ranks and nset.has_scores
    assert nset.skipped[-1].line == 7 and "'dX' is not in corpus.jsonl" in nset.skipped[-1].reason
    assert {"file": str(beir / "run.trec"), "line": None,
            "reason": "1 queries in the run are not judged in this split; their lines are ignored"
            } in nset.meta["warnings"]
    assert nset.meta["files"]["used"][-1] == "run.trec"


def test_run_option_and_zero_based_ranks(beir, tmp_path):
    run = tmp_path / "elsewhere.txt"
    run.write_text("q1 Q0 d2 0 12.5 x\nq1 Q0 d1 1 11.0 x\n")
    nset = load(beir, run=run)
    assert _rows(nset)[:2] == [("q1", "d1", 1, 2, 11.0), ("q1", "d2", 0, 1, 12.5)]
    assert any(w["reason"] == "ranks start at 0; shifted to 1-based" for w in nset.meta["warnings"])


def test_split_choice(beir):
    assert _rows(load(beir, split="train")) == [("q3", "d1", 1, 0, None)]
    (beir / "qrels" / "test.tsv").unlink()
    assert load(beir).meta["split"] == "train"  # the only split left
    (beir / "qrels" / "dev.tsv").write_text(QRELS)
    with pytest.raises(DataError, match=r"no test split and several others \['dev', 'train'\]"):
        load(beir)
    with pytest.raises(DataError, match=r"qrels, field \"split\": no split 'tset'"):
        load(beir, split="tset")


def test_several_run_files_need_the_option(beir):
    (beir / "a.run").write_text(RUN)
    (beir / "b.run").write_text(RUN)
    with pytest.raises(DataError, match=r"several run files \['a.run', 'b.run'\]; pass run=PATH"):
        load(beir)
