"""Detection, the override, the registry, and folders of mixed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.formats import Format, detect_format, formats, load, write
from analysis.model import DataError

FLAG_ROW = {"query": "what is a wing", "pos": ["a wing lifts"], "neg": ["a fin steers", "a tail"]}
TRIPLET_ROW = {"anchor": "what is a wing", "positive": "a wing lifts", "negative": "a fin steers"}


def test_every_format_is_discovered():
    found = formats()
    assert {"sentence-transformers", "flagembedding", "tevatron", "beir", "smart"} <= set(found)
    assert all(isinstance(f, Format) for f in found.values())
    priorities = [f.priority for f in found.values()]
    assert priorities == sorted(priorities, reverse=True)


@pytest.mark.parametrize("row, expected", [
    (FLAG_ROW, "flagembedding"),
    (TRIPLET_ROW, "sentence-transformers"),
    ({"query_id": "1", "query": "q", "positive_passages": [], "negative_passages": []}, "tevatron"),
])
def test_detects_jsonl_formats_by_their_fields(write_jsonl, row, expected):
    assert detect_format(write_jsonl("data.jsonl", [row])) == expected


def test_unknown_file_says_what_was_looked_at_and_suggests_the_closest_format(write_jsonl):
    path = write_jsonl("typo.jsonl", [{"querry": "q", "pos": ["p"], "neg": ["n"]}])
    with pytest.raises(DataError) as err:
        detect_format(path)
    message = str(err.value)
    assert str(path) in message
    assert "['querry', 'pos', 'neg']" in message
    assert "Closest: flagembedding" in message and 'did you mean "querry"' in message


def test_zero_byte_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    for call in (detect_format, load):
        with pytest.raises(DataError, match=r"empty\.jsonl, line 1: the file is empty \(0 bytes\)"):
            call(path)


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load(tmp_path / "nope.jsonl")


def test_override_reads_a_file_detection_would_give_to_another_format(write_jsonl):
    # anchor/positive/negative is a triplet file; forcing flagembedding reads it as that
    # format and reports every row's missing field with the closest present name.
    path = write_jsonl("t.jsonl", [TRIPLET_ROW])
    assert load(path).format == "sentence-transformers/triplet"
    with pytest.raises(DataError) as err:
        load(path, format="flagembedding")
    assert err.value.line == 1 and err.value.field == "query"


def test_variant_in_the_name_fixes_the_layout(write_jsonl):
    path = write_jsonl("t.jsonl", [TRIPLET_ROW])
    assert load(path, format="sentence-transformers/triplet").format == "sentence-transformers/triplet"
    with pytest.raises(DataError, match="not the n-tuple layout"):
        load(path, format="sentence-transformers/n-tuple")


def test_unknown_format_name_suggests_the_closest(write_jsonl):
    with pytest.raises(DataError, match='did you mean "flagembedding"'):
        load(write_jsonl("x.jsonl", [FLAG_ROW]), format="flagembeding")


def test_unknown_options_are_named_with_the_accepted_ones(write_jsonl, tmp_path):
    path = write_jsonl("x.jsonl", [FLAG_ROW])
    with pytest.raises(DataError, match="the flagembedding loader has no option 'layout'; "
                                        "its options: none"):
        load(path, format="flagembedding/new")
    with pytest.raises(DataError, match=r"the tevatron writer has no option 'scores'.*; its "
                                        r"options: layout, corpus, source"):
        write(load(path), tmp_path / "o.jsonl", format="tevatron", scores=True)
    with pytest.raises(DataError, match=r"has no option 'layuot' \(did you mean \"layout\"\?\)"):
        write(load(path), tmp_path / "o.jsonl", format="sentence-transformers", layuot="triplet")


def test_write_rejects_read_only_formats_and_non_sets(write_jsonl, tmp_path):
    nset = load(write_jsonl("x.jsonl", [FLAG_ROW]))
    with pytest.raises(DataError, match="has no writer"):
        write(nset, tmp_path / "out", format="beir")
    with pytest.raises(DataError, match="needs a NegativeSet"):
        write({"not": "a set"}, tmp_path / "out.jsonl", format="flagembedding")


def test_folder_of_mixed_files_says_which_were_used_and_why_others_were_not(write_jsonl, tmp_path):
    write_jsonl("mixed/a.jsonl", [FLAG_ROW])
    write_jsonl("mixed/b.jsonl", [{**FLAG_ROW, "query": "what is a tail", "pos": ["a tail steadies"]}])
    write_jsonl("mixed/triplets.jsonl", [TRIPLET_ROW])
    (tmp_path / "mixed" / "README.txt").write_text("notes\n")
    (tmp_path / "mixed" / "empty.jsonl").write_bytes(b"")
    (tmp_path / "mixed" / "sub").mkdir()
    folder = tmp_path / "mixed"
    assert detect_format(folder) == "flagembedding"
    nset = load(folder)
    assert nset.meta["files"]["used"] == ["a.jsonl", "b.jsonl"]
    reasons = {i["file"]: i["reason"] for i in nset.meta["files"]["ignored"]}
    assert reasons == {"README.txt": "not a data file by its name (data files end .jsonl, .json, .csv, .parquet, .pq)",
                       "empty.jsonl": "empty (0 bytes)",
                       "sub": "a subfolder (load it on its own)",
                       "triplets.jsonl": "format sentence-transformers, not flagembedding"}
    assert sorted(map(str, nset.pairs["source"].unique())) == ["a.jsonl", "b.jsonl"]
    # "a fin steers" and "a tail" are negatives in both files: one document each
    assert len(nset.queries) == 2 and len(nset.docs) == 4 and nset.num_negatives == 4


def test_forced_format_on_a_folder_reports_files_that_fail(write_jsonl, tmp_path):
    write_jsonl("f/a.jsonl", [FLAG_ROW])
    write_jsonl("f/bad.jsonl", [{"text": "no fields we know"}])
    nset = load(tmp_path / "f", format="flagembedding")
    assert nset.meta["files"]["used"] == ["a.jsonl"]
    [ignored] = nset.meta["files"]["ignored"]
    assert ignored["file"] == "bad.jsonl"
    assert 'line 1, field "query": nothing usable' in ignored["reason"]


def test_folder_with_nothing_known_lists_what_it_holds(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "inner").mkdir()
    with pytest.raises(DataError, match=r"Looked at 2 entries: inner/, notes\.txt"):
        detect_format(tmp_path)


def test_parquet_with_neglens_metadata_is_not_read_as_sentence_transformers(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"anchor": ["q"], "positive": ["p"], "negative": ["n"]})
    plain, tagged = tmp_path / "plain.parquet", tmp_path / "tagged.parquet"
    pq.write_table(table, plain)
    pq.write_table(table.replace_schema_metadata({b"neglens": json.dumps({"kind": "x"}).encode()}),
                   tagged)
    sbert = formats()["sentence-transformers"]
    assert sbert.detect(plain) and not sbert.detect(tagged)


def test_user_documentation_matches_the_package_docstring():
    import analysis.formats

    docs = Path(analysis.formats.__file__).resolve().parents[2] / "docs" / "formats.md"
    assert docs.read_text(encoding="utf-8").strip() == analysis.formats.__doc__.strip()
