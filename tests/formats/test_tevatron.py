"""Tevatron legacy and new layouts."""

from __future__ import annotations

import json

import pytest

from analysis.formats import detect_format, load, write
from analysis.model import DataError

LEGACY = [
    {"query_id": "7", "query": "how do wings lift",
     "positive_passages": [{"docid": "d1", "title": "Wing", "text": "wings turn air downward"}],
     "negative_passages": [{"docid": "d2", "title": "", "text": "wheels roll"},
                           {"docid": "d3", "title": "Seat", "text": "seats hold people"}]},
    {"query_id": 8, "query": "why do tails steady",
     "positive_passages": [{"docid": "d4", "title": "Tail", "text": "tails damp yaw"}],
     "negative_passages": [{"docid": "d2", "title": "", "text": "wheels roll"}]},
]
CORPUS = [{"docid": "d1", "title": "Wing", "text": "wings turn air downward"},
          {"docid": "d2", "text": "wheels roll"},
          {"docid": "d3", "document_text": "seats hold people"},
          {"docid": "d4", "text": "tails damp yaw"}]
NEW = [{"query_id": "7", "query_text": "how do wings lift", "positive_document_ids": ["d1"],
        "negative_document_ids": ["d2", "d3"]},
       {"query_id": "8", "query_text": "why do tails steady", "positive_document_ids": ["d4"],
        "negative_document_ids": ["d2"]}]


def _triples(nset):
    return sorted(zip(nset.pairs["qid"].astype(str), nset.pairs["did"].astype(str),
                      nset.pairs["label"].tolist()))


EXPECTED = [("7", "d1", 1), ("7", "d2", 0), ("7", "d3", 0), ("8", "d2", 0), ("8", "d4", 1)]


def test_legacy_keeps_ids_and_joins_title_and_text(write_jsonl):
    nset = load(write_jsonl("train.jsonl", LEGACY))
    assert nset.format == "tevatron/legacy"
    assert _triples(nset) == EXPECTED
    docs = nset.doc_text()
    assert (docs["d1"], docs["d2"], docs["d3"]) == ("Wing wings turn air downward", "wheels roll",
                                                   "Seat seats hold people")
    assert nset.query_text()["8"] == "why do tails steady"
    assert not nset.has_scores


def test_new_layout_in_a_folder_with_its_corpus(write_jsonl, tmp_path):
    write_jsonl("tv/train.jsonl", NEW)
    write_jsonl("tv/corpus.jsonl", CORPUS)
    (tmp_path / "tv" / "notes.md").write_text("x")
    assert detect_format(tmp_path / "tv") == "tevatron"
    nset = load(tmp_path / "tv")
    assert nset.format == "tevatron/new"
    assert _triples(nset) == EXPECTED
    assert nset.doc_text()["d3"] == "seats hold people"
    assert len(nset.docs) == 4
    assert nset.meta["files"] == {"used": ["train.jsonl", "corpus.jsonl"], "ignored": [
        {"file": "notes.md", "reason": "not the training file or the corpus"}]}
    assert set(nset.pairs["source"]) == {"tv"}


def test_new_layout_file_with_corpus_option_or_beside_it(write_jsonl, tmp_path):
    train = write_jsonl("a/train.jsonl", NEW)
    corpus = write_jsonl("b/docs.jsonl", CORPUS)
    assert _triples(load(train, corpus=corpus)) == EXPECTED
    with pytest.raises(DataError, match="needs a corpus file.*pass corpus=PATH"):
        load(train)
    write_jsonl("a/corpus.jsonl", CORPUS)
    assert _triples(load(train)) == EXPECTED


def test_new_layout_row_naming_an_unknown_document_is_skipped(write_jsonl, tmp_path):
    rows = NEW + [{"query_id": "9", "query_text": "q", "positive_document_ids": ["zz"],
                   "negative_document_ids": []}]
    write_jsonl("t/train.jsonl", rows)
    write_jsonl("t/corpus.jsonl", CORPUS)
    nset = load(tmp_path / "t")
    assert [(s.line, s.reason) for s in nset.skipped] == [
        (3, "field \"positive_document_ids\": document 'zz' is not in the corpus (1 unknown)")]


def test_legacy_bad_rows_are_located(write_jsonl):
    rows = LEGACY + [{"query_id": "9", "query": "q", "positive_passages": [{"docid": "x"}],
                      "negative_passages": []},
                     {"query_id": "10", "query": "q", "positive_pasages": []}]
    nset = load(write_jsonl("bad.jsonl", rows))
    assert [(s.line, s.reason) for s in nset.skipped] == [
        (3, 'field "positive_passages[1].text": missing'),
        (4, 'field "positive_passages": missing (did you mean "positive_pasages"?)')]


def test_same_docid_with_another_text_keeps_the_first_and_warns(write_jsonl):
    rows = [LEGACY[0], {**LEGACY[1], "negative_passages": [{"docid": "d2", "text": "wheels spin"}]}]
    nset = load(write_jsonl("t.jsonl", rows))
    assert nset.doc_text()["d2"] == "wheels roll"
    assert any("document id 'd2' has a different text than on line 1" in w["reason"]
               for w in nset.meta["warnings"])


@pytest.mark.parametrize("layout", ["legacy", "new"])
def test_writer_round_trips_ids_and_labels(write_jsonl, tmp_path, layout):
    nset = load(write_jsonl("train.jsonl", LEGACY))
    out = write(nset, tmp_path / "out" / "train.jsonl", format="tevatron", layout=layout)
    again = load(out) if layout == "legacy" else load(out.parent)
    assert _triples(again) == EXPECTED
    assert dict(again.doc_text()) == dict(nset.doc_text())
    if layout == "new":
        corpus = [json.loads(x) for x in (tmp_path / "out" / "corpus.jsonl").read_text().splitlines()]
        assert corpus[0] == {"docid": "d1", "text": "Wing wings turn air downward"}


def test_writer_to_a_folder_writes_train_and_corpus(write_jsonl, tmp_path):
    nset = load(write_jsonl("train.jsonl", LEGACY))
    folder = write(nset, tmp_path / "tev", format="tevatron", layout="new")
    assert sorted(p.name for p in folder.iterdir()) == ["corpus.jsonl", "train.jsonl"]
    assert _triples(load(folder)) == EXPECTED
