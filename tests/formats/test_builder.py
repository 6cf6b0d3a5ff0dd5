"""Ids for id-less formats and the builder's merge rules."""

from __future__ import annotations

import hashlib

import pytest

from analysis.formats import _builder, text_id
from analysis.formats._builder import SetBuilder
from analysis.formats._read import RowError
from analysis.model import DataError


def test_text_id_is_the_prefix_and_16_hex_digits_of_sha1():
    text = "Où est la <b>gare</b> ?\n"
    assert text_id(text, "d") == "d" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
    assert text_id(text, "q") != text_id(text + " ", "q")
    with pytest.raises(DataError, match="text_id needs text"):
        text_id(None, "q")


def test_a_text_id_collision_is_detected(monkeypatch):
    monkeypatch.setattr(_builder, "TEXT_ID_DIGITS", 0)
    builder = SetBuilder("f.jsonl", source="f.jsonl")
    builder.doc("one")
    with pytest.raises(DataError, match="two different texts share the id 'd'"):
        builder.doc("two", line=2)


def test_merge_rules():
    b = SetBuilder("f.jsonl", source="f.jsonl")
    q = b.query("q", line=1)
    b.pair(q, b.doc("a"), 0, score=0.5, line=1)
    b.pair(q, b.doc("a"), 1, score=0.5, rank=3, line=2)  # positive wins, rank filled in
    b.pair(q, b.doc("a"), 1, score=0.25, rank=4, line=3)  # first score and rank kept
    nset = b.build("test")
    row = nset.pairs.iloc[0]
    assert (len(nset.pairs), row["label"], row["score"], row["rank"]) == (1, 1, 0.5, 3)
    assert [w["line"] for w in nset.meta["warnings"]] == [2, 3, 3]
    assert "has rank 4 here and 3 on line 1" in nset.meta["warnings"][2]["reason"]


def test_nothing_usable_and_no_rows_at_all():
    b = SetBuilder("f.jsonl", source="f.jsonl")
    with pytest.raises(DataError, match=r"^f\.jsonl: no data rows found$"):
        b.build("test")
    b.skip(4, RowError("neg", "empty list"))
    with pytest.raises(DataError) as err:
        b.build("test")
    assert (err.value.line, err.value.field) == (4, "neg")
