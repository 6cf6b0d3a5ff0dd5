"""The review store: verdicts with time stamps beside the data, reloaded, applied both ways."""

from __future__ import annotations

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


def test_default_path_beside_a_file_or_inside_a_folder(tmp_path, monkeypatch):
    data = tmp_path / "train.jsonl"
    data.write_text("{}\n")
    assert default_review_path(data) == tmp_path / "train.jsonl.neglens-review.json"
    folder = tmp_path / "beir"
    folder.mkdir()
    assert default_review_path(folder) == folder / "neglens-review.json"
    # Data that cannot be written beside: a stable file in the cache, the same every time.
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("analysis.false_negatives.review.os.access", lambda *a: False)
    fallback = default_review_path(data)
    assert fallback.parent == tmp_path / "cache" / "reviews" and fallback == default_review_path(data)
    assert fallback != default_review_path(folder)


def test_mark_get_reload_unmark_clear(tmp_path):
    data = tmp_path / "pool.parquet"
    data.write_bytes(b"")
    store = ReviewStore.for_data(data)
    assert store.all().empty and store.get("q1", "d1") is None
    when = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    store.mark("q1", "d1", "false_negative", at=when)
    store.mark("q1", "d2", "unsure")
    store.mark_many([("q2", "d3"), ("q2", "d4")], "true_negative")
    # Loading the same data again brings the decisions back.
    again = ReviewStore.for_data(data)
    table = again.all()
    assert table[["qid", "did", "verdict"]].values.tolist() == [
        ["q1", "d1", "false_negative"], ["q1", "d2", "unsure"],
        ["q2", "d3", "true_negative"], ["q2", "d4", "true_negative"]]
    assert table["marked_at"].iloc[0] == pd.Timestamp(when)
    assert str(table["marked_at"].dt.tz) == "UTC"
    # Marking again replaces the verdict and its time.
    again.mark("q1", "d1", "true_negative")
    assert store.get("q1", "d1") == "true_negative" and len(store.all()) == 4
    assert store.unmark("q1", "d2") and not store.unmark("q1", "d2")
    blob = json.loads(store.path.read_text())
    assert blob["format"] == "neglens-review" and len(blob["decisions"]) == 3
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    store.clear()
    assert store.all().empty and store.path.exists()


def test_bad_verdicts_and_bad_files(tmp_path):
    store = ReviewStore(tmp_path / "r.json")
    with pytest.raises(DataError, match="verdict"):
        store.mark("q", "d", "maybe")
    store.path.write_text("{not json")
    with pytest.raises(DataError, match="r.json"):
        store.all()
    store.path.write_text(json.dumps({"format": "other"}))
    with pytest.raises(DataError, match="format"):
        store.get("q", "d")
    store.path.write_text(json.dumps({"format": "neglens-review", "version": 1,
                                      "decisions": [{"qid": "q", "did": "d", "verdict": "x"}]}))
    with pytest.raises(DataError, match="decision 1"):
        store.all()


def _pairs():
    queries = pd.DataFrame({"qid": ["q1", "q2"], "text": ["a", "b"]})
    docs = pd.DataFrame({"did": ["p", "d1", "d2", "d3"], "text": ["w", "x", "y", "z"]})
    pairs = pd.DataFrame({
        "qid": ["q1", "q1", "q1", "q1", "q2", "q2"], "did": ["p", "d1", "d2", "d1", "p", "d3"],
        "label": [1, 0, 0, 0, 1, 0], "source": ["pool", "pool", "pool", "top_k", "pool", "pool"],
        "rank": [1, 2, 3, 2, 1, 2], "score": [0.9, 0.8, 0.7, 0.8, 0.9, 0.6]})
    return NegativeSet(queries, docs, pairs).pairs


def test_apply_decisions_drop_and_promote(tmp_path):
    store = ReviewStore(tmp_path / "r.json")
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
