"""FlagEmbedding JSONL: real files, hand-checked rows, and every bad-input case."""

from __future__ import annotations

import json

import pytest

from analysis.formats import load, text_id, write
from analysis.model import DataError

ROW = {"query": "what lifts a plane", "pos": ["the wing"], "neg": ["the wheel", "the seat"],
       "pos_scores": [0.9], "neg_scores": [0.5, 0.25]}


def _independent_counts(path):
    """Counts from the raw JSON, the merge rules applied by hand (positive wins, text = id)."""
    pos, neg, docs, queries, scored = set(), set(), set(), set(), False
    for line in open(path, encoding="utf-8"):
        if not line.strip():
            continue
        row = json.loads(line)
        queries.add(row["query"])
        pos |= {(row["query"], t) for t in row["pos"]}
        neg |= {(row["query"], t) for t in row["neg"]}
        docs |= set(row["pos"]) | set(row["neg"])
        scored |= "pos_scores" in row
    return len(queries), len(docs), len(pos), len(neg - pos), scored


def test_real_files_load_with_independently_computed_counts(interop_dir):
    files = sorted((interop_dir / "flagembedding").glob("*.jsonl"))
    assert len(files) == 8
    for path in files:
        nset = load(path)
        assert nset.format == "flagembedding"
        assert (len(nset.queries), len(nset.docs), nset.num_positives, nset.num_negatives,
                nset.has_scores) == _independent_counts(path), path.name
        assert nset.skipped == []


def test_real_scores_map_item_by_item(interop_dir):
    path = interop_dir / "flagembedding" / "embedder_example_data_retrieval_nli.jsonl"
    row = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    nset = load(path)
    pairs = nset.pairs.set_index(["qid", "did"])["score"]
    qid = text_id(row["query"], "q")
    assert pairs[(qid, text_id(row["pos"][0], "d"))] == pytest.approx(row["pos_scores"][0])
    assert pairs[(qid, text_id(row["neg"][0], "d"))] == pytest.approx(row["neg_scores"][0])
    assert nset.meta["prompt"][qid] == row["prompt"] and nset.meta["type"][qid] == row["type"]


def test_repeated_negatives_in_the_real_nq_file_are_kept_once_with_a_warning(interop_dir):
    nset = load(interop_dir / "flagembedding" / "embedder_example_data_retrieval_nq.jsonl")
    assert {"file": str(interop_dir / "flagembedding" / "embedder_example_data_retrieval_nq.jsonl"),
            "line": 1, "reason": 'field "neg": 2 repeated texts kept once'} in nset.meta["warnings"]


def test_hand_checked_row(write_jsonl, texts):
    nset = load(write_jsonl("one.jsonl", [ROW]))
    assert texts(nset) == [("what lifts a plane", "the seat", 0, 0.25),
                           ("what lifts a plane", "the wheel", 0, 0.5),
                           ("what lifts a plane", "the wing", 1, pytest.approx(0.9))]
    assert set(nset.pairs["source"]) == {"one.jsonl"}
    assert set(nset.pairs["rank"]) == {0}


def test_malformed_json_line_is_skipped_and_located(write_jsonl):
    path = write_jsonl("bad.jsonl", [ROW, '{"query": "x", "pos": [', ROW | {"query": "q2"}])
    nset = load(path)
    assert len(nset.queries) == 2
    [skip] = nset.skipped
    assert (skip.file, skip.line) == (str(path), 2)
    assert skip.reason.startswith("malformed JSON: ")


def test_non_utf8_bytes_name_the_line_and_byte(write_jsonl):
    path = write_jsonl("latin.jsonl", [ROW, b'{"query": "caf\xe9", "pos": ["p"], "neg": ["n"]}'])
    nset = load(path)
    [skip] = nset.skipped
    assert skip.line == 2 and skip.reason == "not valid UTF-8: byte 0xe9 at column 15"


def test_misspelled_field_suggests_the_closest_name(write_jsonl):
    path = write_jsonl("typo.jsonl", [ROW, {"query": "q", "pos": ["p"], "negs": ["n"]}])
    [skip] = load(path).skipped
    assert skip.line == 2 and skip.reason == 'field "neg": missing (did you mean "negs"?)'


def test_nothing_usable_raises_with_file_line_and_field(write_jsonl):
    path = write_jsonl("all_bad.jsonl", [{"querry": "q", "pos": ["p"], "neg": ["n"]}] * 2)
    with pytest.raises(DataError) as err:
        load(path, format="flagembedding")
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 1, "query")
    assert str(err.value).startswith(f'{path}, line 1, field "query": nothing usable')
    assert 'did you mean "querry"' in str(err.value)


def test_empty_negative_list_keeps_the_query_and_warns(write_jsonl):
    path = write_jsonl("e.jsonl", [{"query": "q", "pos": ["p"], "neg": []}])
    nset = load(path)
    assert (nset.num_positives, nset.num_negatives, nset.skipped) == (1, 0, [])
    assert nset.meta["warnings"] == [{"file": str(path), "line": 1, "reason":
                                      'field "neg": empty list; the query is kept with its positives only'}]


def test_empty_positive_list_skips_the_row(write_jsonl):
    nset = load(write_jsonl("p.jsonl", [ROW, {"query": "q", "pos": [], "neg": ["n"]}]))
    assert [(s.line, s.reason) for s in nset.skipped] == [(2, 'field "pos": empty list')]


@pytest.mark.parametrize("field, scores, reason", [
    ("neg_scores", [0.5], 'field "neg_scores": has 1 items, expected 2 (one per "neg" text)'),
    ("pos_scores", [0.9, 0.8], 'field "pos_scores": has 2 items, expected 1 (one per "pos" text)'),
    ("neg_scores", [0.5, "high"], 'field "neg_scores": item 2: expected a number, got text \'high\''),
    ("neg_scores", [0.5, float("nan")], 'field "neg_scores": item 2: score is NaN (value nan)'),
    ("pos_scores", [float("inf")], 'field "pos_scores": item 1: score is infinite (value inf)'),
    ("pos_scores", [10 ** 400], 'field "pos_scores": item 1: number 1' + '0' * 29 + '... '
                                '(401 digits) is out of range'),
    ("neg_scores", [0.5, 1e39], 'field "neg_scores": item 2: number 1e+39 is out of range '
                                '(scores are float32)'),
])
def test_scores_of_the_wrong_length_or_type_skip_the_row(write_jsonl, field, scores, reason):
    nset = load(write_jsonl("s.jsonl", [ROW | {"query": "ok"}, ROW | {field: scores}]))
    assert [(s.line, s.reason) for s in nset.skipped] == [(2, reason)]
    assert len(nset.queries) == 1


def test_duplicated_query_rows_are_merged_with_a_warning(write_jsonl, texts):
    rows = [{"query": "q", "pos": ["p1"], "neg": ["n1", "n2"]},
            {"query": "q", "pos": ["p2"], "neg": ["n2", "p1"]}]
    nset = load(write_jsonl("d.jsonl", rows))
    assert texts(nset) == [("q", "n1", 0, None), ("q", "n2", 0, None),
                           ("q", "p1", 1, None), ("q", "p2", 1, None)]
    reasons = [w["reason"] for w in nset.meta["warnings"]]
    assert reasons[0] == "the query of line 1 appears again; its positives and negatives are merged"
    assert "is a positive on one line and a negative on another (lines 1 and 2); kept as a positive" \
        in reasons[1]


def test_conflicting_scores_keep_the_first_with_a_warning(write_jsonl):
    rows = [ROW, ROW | {"neg_scores": [0.75, 0.25]}]
    nset = load(write_jsonl("c.jsonl", rows))
    scores = dict(zip(nset.doc_text().reindex(nset.pairs["did"]).astype(str), nset.pairs["score"]))
    assert scores["the wheel"] == 0.5
    assert any("has score 0.75 here and 0.5 on line 1; the first is kept" in w["reason"]
               for w in nset.meta["warnings"])


def test_html_and_script_tags_are_kept_verbatim_and_round_trip(write_jsonl, tmp_path, texts):
    html = '<script>alert("x")</script><b>bold</b> &amp; <a href="#">link</a>'
    path = write_jsonl("h.jsonl", [{"query": "<h1>q</h1>", "pos": [html], "neg": ["<p>n</p>\n"]}])
    nset = load(path)
    assert set(nset.doc_text()) == {html, "<p>n</p>\n"}
    again = load(write(nset, tmp_path / "out.jsonl", format="flagembedding"))
    assert texts(again) == texts(nset)


def test_writer_keeps_prompt_type_and_known_scores(write_jsonl, tmp_path):
    rows = [ROW | {"prompt": "Represent this", "type": "normal"},
            {"query": "unscored", "pos": ["x"], "neg": ["y"]}]
    out = write(load(write_jsonl("w.jsonl", rows)), tmp_path / "o.jsonl", format="flagembedding")
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert written[0] == {"query": ROW["query"], "pos": ["the wing"], "neg": ["the wheel", "the seat"],
                          "pos_scores": [pytest.approx(0.9)], "neg_scores": [0.5, 0.25],
                          "prompt": "Represent this", "type": "normal"}
    assert written[1] == {"query": "unscored", "pos": ["x"], "neg": ["y"]}
    nset = load(write_jsonl("w2.jsonl", rows[1:]))
    nset.meta["prompt"] = "One prompt for all"
    out = write(nset, tmp_path / "o2.jsonl", format="flagembedding")
    assert json.loads(out.read_text(encoding="utf-8"))["prompt"] == "One prompt for all"


def test_writer_refuses_queries_without_a_positive_and_missing_scores(write_jsonl, tmp_path):
    nset = load(write_jsonl("w.jsonl", [{"query": "q", "pos": ["p"], "neg": ["n"]}]))
    with pytest.raises(DataError, match="have pairs without a score"):
        write(nset, tmp_path / "o.jsonl", format="flagembedding", scores=True)
    negatives_only = nset.with_pairs(nset.pairs[nset.pairs["label"] == 0])
    with pytest.raises(DataError, match=r"1 queries have no positive, e.g. query 'q"):
        write(negatives_only, tmp_path / "o.jsonl", format="flagembedding")
