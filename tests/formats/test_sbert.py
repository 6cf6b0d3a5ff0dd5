"""sentence-transformers mine_hard_negatives layouts, from every file type."""

from __future__ import annotations

import json

import pytest

from analysis.formats import load, write
from analysis.formats.sbert import layout_of
from analysis.model import DataError

Q1, Q2 = "how do wings lift", "why do tails steady"
P1, P2 = "wings turn air downward", "tails damp yaw"
N1, N2, N3 = "engines push forward", "wheels roll", "seats hold people"


@pytest.mark.parametrize("columns, layout", [
    (["anchor", "positive", "negative"], "triplet"),
    (["query", "answer", "negative", "scores"], "triplet"),
    (["anchor", "positive", "negative_1", "negative_2"], "n-tuple"),
    (["anchor", "positive", "negative_1", "scores"], "n-tuple"),
    (["anchor", "positive", "label"], "labeled-pair"),
    (["anchor", "positive", "score"], "labeled-pair"),
    (["anchor", "positive", "labels"], "labeled-list"),
    (["anchor", "positive", "scores"], "labeled-list"),
    (["anchor", "positive"], None),
    (["anchor", "positive", "negative_2"], None),
    (["anchor", "positive", "negativ"], None),
    (["query", "pos", "neg"], None),
    (["negative", "positive", "label"], None),
])
def test_layout_from_columns(columns, layout):
    assert layout_of(columns) == layout


def test_triplets_with_scores_merge_into_one_query(write_jsonl, texts):
    rows = [{"query": Q1, "answer": P1, "negative": n, "scores": [0.75, s]}
            for n, s in ((N1, 0.5), (N2, 0.25))]
    nset = load(write_jsonl("t.jsonl", rows))
    assert nset.format == "sentence-transformers/triplet"
    assert texts(nset) == [(Q1, N1, 0, 0.5), (Q1, N2, 0, 0.25), (Q1, P1, 1, 0.75)]
    assert nset.meta["warnings"] == []  # the repeated positive is an exact repeat


def test_ntuple_without_scores(write_jsonl, texts):
    rows = [{"anchor": Q1, "positive": P1, "negative_1": N1, "negative_2": N2},
            {"anchor": Q2, "positive": P2, "negative_1": N2, "negative_2": N3}]
    nset = load(write_jsonl("n.jsonl", rows))
    assert nset.format == "sentence-transformers/n-tuple"
    assert texts(nset) == sorted([(Q1, N1, 0, None), (Q1, N2, 0, None), (Q1, P1, 1, None),
                                  (Q2, N2, 0, None), (Q2, N3, 0, None), (Q2, P2, 1, None)])
    assert len(nset.docs) == 5  # N2 is shared by both queries


def test_ntuple_scores_of_the_wrong_length_skip_the_row(write_jsonl):
    rows = [{"anchor": Q1, "positive": P1, "negative_1": N1, "scores": [0.5, 0.25]},
            {"anchor": Q2, "positive": P2, "negative_1": N2, "scores": [0.5]}]
    nset = load(write_jsonl("n.jsonl", rows))
    assert [(s.line, s.reason) for s in nset.skipped] == [
        (2, 'field "scores": has 1 items, expected 2 (positive, 1 negatives)')]


def test_labeled_pair_with_labels(write_jsonl, texts):
    rows = [{"anchor": Q1, "positive": P1, "label": 1}, {"anchor": Q1, "positive": N1, "label": 0}]
    assert texts(load(write_jsonl("lp.jsonl", rows))) == [(Q1, N1, 0, None), (Q1, P1, 1, None)]


def test_labeled_pair_with_scores_takes_each_anchors_first_rows_as_positives(write_jsonl, texts):
    rows = [{"anchor": Q1, "positive": P1, "score": 0.75}, {"anchor": Q1, "positive": N1, "score": 0.5},
            {"anchor": Q2, "positive": P2, "score": 0.625}, {"anchor": Q2, "positive": N2, "score": 0.25},
            {"anchor": Q2, "positive": N3, "score": 0.125}]
    path = write_jsonl("lps.jsonl", rows)
    assert texts(load(path)) == sorted([(Q1, N1, 0, 0.5), (Q1, P1, 1, 0.75), (Q2, N2, 0, 0.25),
                                        (Q2, N3, 0, 0.125), (Q2, P2, 1, 0.625)])
    two = load(path, positives_per_query=2)
    assert (two.num_positives, two.num_negatives) == (4, 1)


def test_an_unreadable_first_row_does_not_promote_the_next_one(write_jsonl, texts):
    rows = [{"anchor": Q1, "positive": P1, "score": "n/a"}, {"anchor": Q1, "positive": N1, "score": 0.5}]
    nset = load(write_jsonl("lps.jsonl", rows))
    assert texts(nset) == [(Q1, N1, 0, 0.5)]
    assert [(s.line, s.reason) for s in nset.skipped] == [
        (1, "field \"score\": expected a number, got text 'n/a'")]


def test_labeled_list_with_labels_and_with_scores(write_jsonl, texts):
    labels = [{"anchor": Q1, "positive": [P1, N1, N2], "labels": [1, 0, 0]}]
    scores = [{"anchor": Q1, "positive": [P1, N1, N2], "scores": [0.75, 0.5, 0.25]}]
    assert texts(load(write_jsonl("ll.jsonl", labels))) == [(Q1, N1, 0, None), (Q1, N2, 0, None),
                                                            (Q1, P1, 1, None)]
    assert texts(load(write_jsonl("ls.jsonl", scores))) == [(Q1, N1, 0, 0.5), (Q1, N2, 0, 0.25),
                                                            (Q1, P1, 1, 0.75)]


def test_labels_list_of_the_wrong_length_and_bad_label(write_jsonl):
    rows = [{"anchor": Q1, "positive": [P1, N1], "labels": [1]},
            {"anchor": Q2, "positive": [P2, N1], "labels": [1, 2]},
            {"anchor": Q2, "positive": [P2], "labels": [1]}]
    nset = load(write_jsonl("bad.jsonl", rows))
    assert [(s.line, s.reason) for s in nset.skipped] == [
        (1, 'field "labels": has 1 items, expected 2 (one per "positive" item)'),
        (2, 'field "labels": expected label 0 or 1, got 2')]


def test_csv_written_by_datasets_with_numpy_list_cells(tmp_path, texts):
    from datasets import Dataset

    data = {"anchor": [Q1, 'a "quoted",\nmulti-line query'],
            "positive": [[P1, N1, N2, N3], ["it's, here", "a 'b' c"]],
            "scores": [[0.75, 0.5, 0.25, 0.125], [0.5, 0.125]]}
    path = tmp_path / "ll.csv"
    Dataset.from_dict(data).to_csv(path)
    written = path.read_text()
    assert "'\n '" in written and "[0.75  0.5   0.25  0.125]" in written  # numpy's repr
    assert texts(load(path)) == sorted([(Q1, N1, 0, 0.5), (Q1, N2, 0, 0.25), (Q1, P1, 1, 0.75),
                                        (Q1, N3, 0, 0.125),
                                        ('a "quoted",\nmulti-line query', "a 'b' c", 0, 0.125),
                                        ('a "quoted",\nmulti-line query', "it's, here", 1, 0.5)])


def test_csv_line_numbers_count_multi_line_records_and_bad_bytes(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b'anchor,positive,negative\n"two\nlines",p,n\nq,caf\xe9,n\nq3,p3\n')
    nset = load(path)
    assert [(s.line, s.reason) for s in nset.skipped] == [
        (4, "not valid UTF-8: byte 0xe9"), (5, "has 2 cells, the header has 3")]
    assert len(nset.queries) == 1


def test_parquet_and_datasets_folders(tmp_path, texts):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Dataset, DatasetDict

    data = {"anchor": [Q1, Q1], "positive": [P1, P1], "negative": [N1, N2]}
    pq.write_table(pa.table(data), tmp_path / "t.parquet")
    Dataset.from_dict(data).save_to_disk(str(tmp_path / "ds"))
    DatasetDict({"train": Dataset.from_dict(data),
                 "dev": Dataset.from_dict({k: v[:1] for k, v in data.items()})}
                ).save_to_disk(str(tmp_path / "dd"))
    expected = [(Q1, N1, 0, None), (Q1, N2, 0, None), (Q1, P1, 1, None)]
    assert texts(load(tmp_path / "t.parquet")) == expected
    assert texts(load(tmp_path / "ds")) == expected
    assert texts(load(tmp_path / "dd")) == expected
    assert load(tmp_path / "dd", split="dev").num_negatives == 1
    with pytest.raises(DataError, match=r"no split 'test'; splits: \['train', 'dev'\]"):
        load(tmp_path / "dd", split="test")


def test_misspelled_column_is_named_with_a_suggestion(write_jsonl):
    path = write_jsonl("typo.jsonl", [{"anchor": Q1, "positive": P1, "negatve": N1}])
    with pytest.raises(DataError) as err:
        load(path, format="sentence-transformers")
    assert err.value.field == "negatve"
    assert '"negatve" (did you mean "negative"?)' in str(err.value)


def test_a_row_missing_a_column_is_skipped(write_jsonl):
    rows = [{"anchor": Q1, "positive": P1, "negative": N1}, {"anchor": Q2, "positive": P2},
            {"anchor": Q2, "positive": P2, "negative": None}]
    nset = load(write_jsonl("m.jsonl", rows))
    assert [(s.line, s.reason) for s in nset.skipped] == [
        (2, 'field "negative": missing'), (3, 'field "negative": expected text, got null')]


def _independent(path, negative_columns):
    pos, neg, docs, queries = set(), set(), set(), set()
    for line in open(path, encoding="utf-8"):
        row = json.loads(line)
        queries.add(row["anchor"])
        pos.add((row["anchor"], row["positive"]))
        neg |= {(row["anchor"], row[c]) for c in negative_columns}
        docs |= {row["positive"], *(row[c] for c in negative_columns)}
    return len(queries), len(docs), len(pos), len(neg - pos)


@pytest.mark.parametrize("name, columns", [
    ("msmarco_triplets.jsonl", ["negative"]),
    ("msmarco_ntuple5.jsonl", [f"negative_{i}" for i in range(1, 6)]),
])
def test_real_files_with_independent_counts(interop_dir, name, columns):
    path = interop_dir / "sentence_transformers" / name
    nset = load(path)
    assert (len(nset.queries), len(nset.docs), nset.num_positives,
            nset.num_negatives) == _independent(path, columns)
    assert nset.skipped == [] and not nset.has_scores


# -- writer refusals: a layout that cannot hold a query says which ----------------------------
def _set(write_jsonl, rows):
    return load(write_jsonl("src.jsonl", rows), format="flagembedding")


def test_triplet_writer_refuses_a_query_without_negatives(write_jsonl, tmp_path):
    nset = _set(write_jsonl, [{"query": Q1, "pos": [P1], "neg": []}])
    with pytest.raises(DataError, match="1 queries lack a positive or a negative, e.g. query"):
        write(nset, tmp_path / "o.jsonl", format="sentence-transformers", layout="triplet")
    out = write(nset, tmp_path / "o.jsonl", format="sentence-transformers", layout="labeled-list")
    assert json.loads(out.read_text()) == {"anchor": Q1, "positive": [P1], "labels": [1]}


def test_ntuple_writer_refuses_unequal_negative_counts(write_jsonl, tmp_path):
    nset = _set(write_jsonl, [{"query": Q1, "pos": [P1], "neg": [N1, N2]},
                              {"query": Q2, "pos": [P2], "neg": [N3]},
                              {"query": "third", "pos": [P2], "neg": [N1, N3]}])
    with pytest.raises(DataError, match="do not have 2 negatives"):
        write(nset, tmp_path / "o.jsonl", format="sentence-transformers", layout="n-tuple")


def test_scored_labeled_pair_writer_needs_exactly_one_positive(write_jsonl, tmp_path):
    nset = _set(write_jsonl, [{"query": Q1, "pos": [P1, P2], "neg": [N1],
                               "pos_scores": [0.5, 0.5], "neg_scores": [0.1]}])
    with pytest.raises(DataError, match="do not have exactly one positive"):
        write(nset, tmp_path / "o.jsonl", format="sentence-transformers", layout="labeled-pair",
              scores=True)


def test_writer_needs_a_source_when_the_set_mixes_several(write_jsonl, tmp_path):
    write_jsonl("f/a.jsonl", [{"query": Q1, "pos": [P1], "neg": [N1]}])
    write_jsonl("f/b.jsonl", [{"query": Q1, "pos": [P1], "neg": [N2]}])
    nset = load(tmp_path / "f")
    with pytest.raises(DataError, match=r"pass source=\.\.\."):
        write(nset, tmp_path / "o.jsonl", format="sentence-transformers")
    out = write(nset, tmp_path / "o.jsonl", format="sentence-transformers", source="b.jsonl")
    assert [json.loads(line)["negative"] for line in out.read_text().splitlines()] == [N2]


def test_writer_orders_negatives_by_rank_then_score(write_jsonl, tmp_path):
    nset = _set(write_jsonl, [{"query": Q1, "pos": [P1], "neg": [N1, N2, N3],
                               "pos_scores": [0.9], "neg_scores": [0.2, 0.7, 0.5]}])
    out = write(nset, tmp_path / "o.jsonl", format="sentence-transformers", layout="n-tuple",
                scores=True)
    row = json.loads(out.read_text())
    assert [row["negative_1"], row["negative_2"], row["negative_3"]] == [N2, N3, N1]
    assert row["scores"] == pytest.approx([0.9, 0.7, 0.5, 0.2])
