"""The column reader of sentence-transformers Parquet files builds exactly what the row reader
builds from the same rows (read here from JSON Lines, which always goes row by row), and hands
every file with a problem to the row reader, so problems keep their row numbers."""

from __future__ import annotations

import json
import math

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.formats import load
from analysis.formats._tables import peek_columns
from analysis.formats.sbert import layout_of
from analysis.formats.sbert_columnar import read_columns

PASSAGES = ["shared passage one", "shared passage two", "tea is brewed", "the moon", "rust <b>",
            "a longer passage about contrastive losses", "zebra", "x"]


def ntuple_rows(n: int = 40) -> list[dict]:
    rows = []
    for q in range(n):                                   # documents repeat across queries
        pick = [PASSAGES[(q * 3 + k) % len(PASSAGES)] for k in range(4)]
        rows.append({"anchor": f"query {q}", "positive": f"answer {q}",
                     **{f"negative_{k}": pick[k - 1] for k in (1, 2, 3)},
                     "scores": [0.9, 0.5 - q / 1000, 0.4, 0.3]})
    return rows + [dict(r) for r in rows[:5]]            # exact repeats: merged silently


def triplet_rows() -> list[dict]:
    return [{"anchor": f"q{q}", "positive": f"pos {q}", "negative": PASSAGES[(q + k) % 8],
             "scores": [0.8, 0.1 * k]} for q in range(6) for k in range(3)]   # positives repeat


def write_both(rows: list[dict], folder, name: str = "mined"):
    jsonl, parquet = folder / f"{name}.jsonl", folder / f"{name}.parquet"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    return parquet, jsonl


def assert_same_set(a, b) -> None:
    pd.testing.assert_frame_equal(a.queries, b.queries)
    pd.testing.assert_frame_equal(a.docs, b.docs)
    pd.testing.assert_frame_equal(a.pairs.drop(columns="source"), b.pairs.drop(columns="source"))
    assert a.format == b.format
    assert [(w["line"], w["reason"]) for w in a.meta["warnings"]] == \
           [(w["line"], w["reason"]) for w in b.meta["warnings"]]
    assert [(s.line, s.reason) for s in a.skipped] == [(s.line, s.reason) for s in b.skipped]


def columns_of(path):
    columns = peek_columns(path)
    return columns, layout_of(columns)


@pytest.mark.parametrize("rows", [ntuple_rows(), triplet_rows()], ids=["n-tuple", "triplet"])
def test_a_clean_file_is_read_as_columns_into_the_row_readers_set(tmp_path, rows):
    parquet, jsonl = write_both(rows, tmp_path)
    assert read_columns(parquet, *columns_of(parquet)) is not None     # the column path ran
    fast, slow = load(parquet), load(jsonl)
    assert_same_set(fast, slow)
    assert fast.pairs["source"].astype(str).unique().tolist() == ["mined.parquet"]
    assert len(fast.queries) == len({r["anchor"] for r in rows})


def test_without_scores_every_score_is_missing(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "scores"} for r in ntuple_rows(10)]
    parquet, jsonl = write_both(rows, tmp_path)
    fast = read_columns(parquet, *columns_of(parquet))
    assert fast is not None and fast.pairs["score"].isna().all()
    assert_same_set(fast, load(jsonl))


def _blank(rows):
    rows[3]["negative_2"] = "   "


def _null(rows):
    rows[5]["negative_1"] = None


def _short_scores(rows):
    rows[2]["scores"] = [0.9, 0.4]


def _infinite(rows):
    rows[7]["scores"] = [0.9, math.inf, 0.2, 0.1]


def _label_conflict(rows):
    rows[4]["negative_3"] = rows[4]["positive"]       # the query's positive, also a negative


def _score_conflict(rows):
    rows[-1]["scores"] = [0.9, 0.123, 0.4, 0.3]        # a repeated row, another score


@pytest.mark.parametrize("spoil", [_blank, _null, _short_scores, _infinite],
                         ids=lambda f: f.__name__.strip("_"))
def test_a_row_to_skip_sends_the_file_row_by_row_and_says_where(tmp_path, spoil):
    rows = ntuple_rows()
    spoil(rows)
    parquet, jsonl = write_both(rows, tmp_path)
    assert read_columns(parquet, *columns_of(parquet)) is None
    fast, slow = load(parquet), load(jsonl)
    assert len(fast.skipped) == 1
    assert_same_set(fast, slow)


def test_a_nan_score_is_the_row_readers_reported_skip_not_a_silent_nan(tmp_path):
    rows = ntuple_rows()
    rows[0]["scores"] = [0.9, math.nan, 0.4, 0.3]
    parquet, _ = write_both(rows, tmp_path)
    assert read_columns(parquet, *columns_of(parquet)) is None        # the row reader's job
    nset = load(parquet)
    assert [(s.line, s.reason) for s in nset.skipped] == [
        (1, 'field "scores": item 2: score is NaN (value nan)')]
    assert not nset.pairs["score"].isna().any()


@pytest.mark.parametrize("spoil", [_label_conflict, _score_conflict],
                         ids=lambda f: f.__name__.strip("_"))
def test_a_pair_met_again_is_merged_as_columns_with_the_row_readers_warnings(tmp_path, spoil):
    rows = ntuple_rows()
    spoil(rows)
    parquet, jsonl = write_both(rows, tmp_path)
    fast = read_columns(parquet, *columns_of(parquet))
    assert fast is not None
    slow = load(jsonl)
    assert slow.meta["warnings"]
    assert_same_set(fast, slow)
