"""The review store: verdicts with time, reviewer and undo in the workspace, reloaded, applied both ways."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import pandas as pd
import pytest

from analysis.false_negatives.review import (
    ReviewStore,
    apply_decisions,
    default_review_path,
)
from analysis.model import DataError, NegativeSet


def test_the_store_lives_in_the_workspace_keyed_by_the_data(tmp_path, monkeypatch):
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "train.jsonl"
    data.write_text("{}\n")
    copy = tmp_path / "elsewhere" / "train.jsonl"
    copy.parent.mkdir()
    copy.write_text("{}\n")
    sha = hashlib.sha256(b"{}\n").hexdigest()
    assert default_review_path(data) == tmp_path / "cache" / "workspace" / "reviews" / f"{sha}.sqlite"
    assert default_review_path(copy) == default_review_path(data)   # same bytes, same decisions
    assert default_review_path(data, workspace=tmp_path / "ws").parent == tmp_path / "ws" / "reviews"
    ReviewStore.for_data(data).mark("q", "d", "unsure")
    assert ReviewStore.for_data(copy).get("q", "d") == "unsure"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "elsewhere", "train.jsonl"]


def test_mark_get_reload_unmark_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "pool.parquet"
    data.write_bytes(b"")
    store = ReviewStore.for_data(data)
    assert store.all().empty and store.get("q1", "d1") is None
    when = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    store.mark("q1", "d1", "false_negative", at=when, reviewer="ana")
    store.mark("q1", "d2", "unsure")
    store.mark_many([("q2", "d3"), ("q2", "d4")], "true_negative")
    # Loading the same data again brings the decisions back.
    again = ReviewStore.for_data(data)
    table = again.all()
    assert list(table.columns) == ["qid", "did", "verdict", "marked_at", "reviewer", "time", "previous"]
    assert table[["qid", "did", "verdict"]].values.tolist() == [
        ["q1", "d1", "false_negative"], ["q1", "d2", "unsure"],
        ["q2", "d3", "true_negative"], ["q2", "d4", "true_negative"]]
    assert table["marked_at"].iloc[0] == pd.Timestamp(when) == table["time"].iloc[0]
    assert str(table["marked_at"].dt.tz) == "UTC"
    assert table["reviewer"].tolist() == ["ana", None, None, None]
    # Marking again replaces the verdict and its time, and remembers the one it replaced.
    again.mark("q1", "d1", "true_negative", reviewer="bo")
    row = store.all().iloc[0]
    assert (row["verdict"], row["reviewer"], row["previous"]) == ("true_negative", "bo", "false_negative")
    assert store.get("q1", "d1") == "true_negative" and len(store.all()) == 4
    assert store.unmark("q1", "d2") and not store.unmark("q1", "d2")
    assert len(store.all()) == 3
    store.clear()
    assert store.all().empty and store.path.exists()
    assert not list(tmp_path.glob("*.json"))          # nothing written beside the data


def test_undo_walks_back_through_the_changes(tmp_path):
    store = ReviewStore(tmp_path / "r.sqlite")
    assert store.undo("q", "d") is None
    store.mark("q", "d", "unsure", reviewer="ana", at=datetime(2024, 1, 1, tzinfo=timezone.utc))
    store.mark("q", "d", "false_negative", reviewer="bo")
    store.unmark("q", "d")
    assert store.undo("q", "d") == "false_negative" and store.get("q", "d") == "false_negative"
    assert store.undo("q", "d") == "unsure"
    row = store.all().iloc[0]
    assert row["reviewer"] == "ana" and row["time"] == pd.Timestamp("2024-01-01", tz="UTC")
    assert store.undo("q", "d") is None and store.get("q", "d") is None
    store.mark_many([("a", "1"), ("b", "2")], "unsure")
    store.clear()
    assert store.undo("b", "2") == "unsure" and store.all()["qid"].tolist() == ["b"]
    assert store.history()["verdict"].tolist() == ["unsure", "unsure", None]


def test_old_json_review_files_are_imported_once_and_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "beir"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text('{"_id": "d1", "text": "x"}\n')
    old = {"format": "neglens-review", "version": 1, "decisions": [
        {"qid": "q1", "did": "d1", "verdict": "false_negative", "marked_at": "2024-05-01T12:00:00+00:00"}]}
    (folder / "neglens-review.json").write_text(json.dumps(old))
    before = (folder / "neglens-review.json").read_bytes()
    folder.chmod(0o555)                               # read-only data: never written
    try:
        store = ReviewStore.for_data(folder)
        assert store.get("q1", "d1") == "false_negative"
        store.unmark("q1", "d1")
        assert ReviewStore.for_data(folder).get("q1", "d1") is None   # not imported twice
    finally:
        folder.chmod(0o755)
    assert (folder / "neglens-review.json").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["corpus.jsonl", "neglens-review.json"]


def test_bad_verdicts_and_bad_files(tmp_path):
    store = ReviewStore(tmp_path / "r.sqlite")
    with pytest.raises(DataError, match="verdict"):
        store.mark("q", "d", "maybe")
    legacy = tmp_path / "r.json"
    legacy.write_text("{not json")
    with pytest.raises(DataError, match="r.json"):
        ReviewStore(tmp_path / "s.sqlite", legacy=(legacy,))
    legacy.write_text(json.dumps({"format": "other"}))
    with pytest.raises(DataError, match="format"):
        ReviewStore(tmp_path / "s.sqlite", legacy=(legacy,))
    legacy.write_text(json.dumps({"format": "neglens-review", "version": 1,
                                  "decisions": [{"qid": "q", "did": "d", "verdict": "x"}]}))
    with pytest.raises(DataError, match="decision 1"):
        ReviewStore(tmp_path / "s.sqlite", legacy=(legacy,))
    (tmp_path / "junk.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(DataError, match="junk.sqlite"):
        ReviewStore(tmp_path / "junk.sqlite").all()


def _pairs():
    queries = pd.DataFrame({"qid": ["q1", "q2"], "text": ["a", "b"]})
    docs = pd.DataFrame({"did": ["p", "d1", "d2", "d3"], "text": ["w", "x", "y", "z"]})
    pairs = pd.DataFrame({
        "qid": ["q1", "q1", "q1", "q1", "q2", "q2"], "did": ["p", "d1", "d2", "d1", "p", "d3"],
        "label": [1, 0, 0, 0, 1, 0], "source": ["pool", "pool", "pool", "top_k", "pool", "pool"],
        "rank": [1, 2, 3, 2, 1, 2], "score": [0.9, 0.8, 0.7, 0.8, 0.9, 0.6]})
    return NegativeSet(queries, docs, pairs).pairs


def test_apply_decisions_drop_and_promote(tmp_path):
    store = ReviewStore(tmp_path / "r.sqlite")
    store.mark("q1", "d1", "false_negative")
    store.mark("q1", "d2", "unsure")
    store.mark("q2", "d3", "true_negative")
    store.mark("q2", "p", "false_negative")      # a positive: never touched
    store.mark("q9", "d9", "false_negative")     # nothing matches
    pairs = _pairs()
    dropped, counts = apply_decisions(pairs, store, false_negative="drop")
    assert counts == {"dropped": 2, "promoted": 0, "kept": 2, "not_found": 2}
    assert list(zip(dropped["qid"].astype(str), dropped["did"].astype(str), dropped["source"].astype(str))) == [
        ("q1", "p", "pool"), ("q1", "d2", "pool"), ("q2", "p", "pool"), ("q2", "d3", "pool")]
    promoted, counts = apply_decisions(pairs, store.all(), false_negative="promote")
    assert counts == {"dropped": 0, "promoted": 2, "kept": 2, "not_found": 2}
    assert promoted["label"].tolist() == [1, 1, 0, 1, 1, 0] and promoted["label"].dtype == "int8"
    assert pairs["label"].tolist() == [1, 0, 0, 0, 1, 0]   # the input is not changed
    with pytest.raises(DataError, match="false_negative"):
        apply_decisions(pairs, store, false_negative="delete")


def test_apply_decisions_keeps_pairs_whose_joined_ids_coincide():
    # ("1", "23") and ("12", "3") join to the same text without a separator
    pairs = pd.DataFrame({"qid": ["1", "12"], "did": ["23", "3"], "label": [0, 0]})
    verdicts = pd.DataFrame({"qid": ["1"], "did": ["23"], "verdict": ["false_negative"]})
    kept, counts = apply_decisions(pairs, verdicts)
    assert kept["qid"].tolist() == ["12"] and counts["dropped"] == 1
