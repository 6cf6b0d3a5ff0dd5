"""Reading primitives: JSON Lines quirks and CSV list cells."""

from __future__ import annotations

import pytest

from analysis.formats import load
from analysis.formats._cells import parse_list_cell
from analysis.formats._read import RowError


def test_bom_blank_lines_and_non_object_lines(write_jsonl):
    path = write_jsonl("b.jsonl", [b'\xef\xbb\xbf{"query": "q", "pos": ["p"], "neg": ["n"]}', "",
                                   "   ", '["a", "list"]', "42"])
    nset = load(path)
    assert len(nset.queries) == 1
    assert [(s.line, s.reason) for s in nset.skipped] == [
        (4, "expected a JSON object, got list"), (5, "expected a JSON object, got int")]


def test_a_json_array_file_is_named_as_such(write_jsonl):
    path = write_jsonl("array.json", ['[{"query": "q", "pos": ["p"], "neg": ["n"]}]'])
    with pytest.raises(ValueError, match="holds a JSON array; NegLens reads JSON Lines"):
        load(path)


@pytest.mark.parametrize("cell, items", [
    ('["a", "b"]', ["a", "b"]),
    ("['it\\'s', \"x\"]", ["it's", "x"]),
    ("['a, b' 'c']", ["a, b", "c"]),
    ("['first'\n 'second']", ["first", "second"]),
    ("[0.5  0.25]", [0.5, 0.25]),
    ("[1 0 0]", [1.0, 0.0, 0.0]),
    ("[]", []),
])
def test_list_cells(cell, items):
    assert parse_list_cell(cell, "scores") == items


@pytest.mark.parametrize("cell, reason", [
    ("0.5", "expected a list in brackets"),
    ("[0.1 ... 0.9]", "shortened with '...'"),
    ("[a b]", "cannot read a list"),
])
def test_bad_list_cells(cell, reason):
    with pytest.raises(RowError, match=reason) as err:
        parse_list_cell(cell, "scores")
    assert err.value.field == "scores"
