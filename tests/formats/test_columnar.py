"""The columnar core gives the set the row readers give: same ids, order, numbers, skipped rows
and warnings, streamed (sentence-transformers triplet / n-tuple in Parquet, JSON Lines, CSV, in
batches smaller than the file so merges cross batches) or through another format's reader;
a second open comes from the memory-mapped cache entry."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.formats import load
from analysis.formats.columnar import open_columnar, sources, store
from tests.formats.test_sbert_columnar import (
    _blank, _infinite, _label_conflict, _null, _score_conflict, _short_scores, ntuple_rows,
    triplet_rows, write_both)

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data" / "interop"


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(sources, "BATCH_ROWS", 7)     # many batches even on a small file
    return tmp_path / "cache"


def assert_same(a, b) -> None:
    """Every table, column by column, as values; skips and warnings as dicts."""
    assert a.format == b.format
    assert [s.as_dict() for s in a.skipped] == [s.as_dict() for s in b.skipped]
    assert a.meta.get("warnings", []) == b.meta.get("warnings", [])
    for name in ("queries", "docs", "pairs"):
        x, y = getattr(a, name), getattr(b, name)
        assert list(x.columns) == list(y.columns), name
        for column in x.columns:
            left, right = x[column], y[column]
            if isinstance(left.dtype, pd.CategoricalDtype):
                np.testing.assert_array_equal(left.cat.codes, right.cat.codes)
                assert list(left.cat.categories) == list(right.cat.categories)
            else:
                assert left.dtype == right.dtype or name != "pairs", column
                numeric = pd.api.types.is_numeric_dtype(left.dtype)
                np.testing.assert_array_equal(left.to_numpy() if numeric else left.astype(object),
                                              right.to_numpy() if numeric else right.astype(object),
                                              err_msg=f"{name}.{column}")


def both_opens(path, **options):
    slow = load(path, **options)
    first = open_columnar(path, **options)
    again = open_columnar(path, **options)
    assert_same(slow, first)
    assert_same(slow, again)
    assert "columnar_cache" in again.meta
    return slow, again


def write_csv(rows, path):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(rows[0]))
        for row in rows:
            writer.writerow([json.dumps(v) if isinstance(v, list) else v for v in row.values()])
    return path


def _nan_score(rows):
    rows[0]["scores"] = [0.9, math.nan, 0.4, 0.3]      # a skip since issue 25, as infinity


def _past_float32(rows):
    rows[9]["scores"] = [0.9, 1e39, 0.4, 0.3]


SKIPPING = (_blank, _null, _short_scores, _infinite, _nan_score, _past_float32)
SPOILS = [None, *SKIPPING, _label_conflict, _score_conflict]


@pytest.mark.parametrize("spoil", SPOILS, ids=lambda f: "clean" if f is None else f.__name__[1:])
@pytest.mark.parametrize("kind", ["parquet", "jsonl", "csv"])
def test_a_streamed_file_gives_the_row_readers_set(tmp_path, spoil, kind):
    rows = ntuple_rows()
    if spoil is not None:
        spoil(rows)
    parquet, jsonl = write_both(rows, tmp_path)
    path = {"parquet": parquet, "jsonl": jsonl}.get(kind) or write_csv(rows, tmp_path / "m.csv")
    slow, fast = both_opens(path)
    expect_skip = spoil in SKIPPING
    assert len(slow.skipped) == int(expect_skip)
    assert fast.pairs["source"].astype(str).unique().tolist() == [path.name]


def test_a_triplet_file_streams_with_its_repeated_positives_merged(tmp_path):
    parquet, jsonl = write_both(triplet_rows(), tmp_path)
    for path in (parquet, jsonl):
        slow, fast = both_opens(path)
        assert len(fast.queries) == 6 and fast.num_positives == 6


def test_bad_lines_of_json_are_reported_as_the_row_reader_reports_them(tmp_path):
    rows = [json.dumps(r) for r in ntuple_rows(12)]
    rows[3] = "{not json"
    rows.insert(6, "")
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    slow, fast = both_opens(path)
    assert [s.line for s in fast.skipped] == [4]


def test_nothing_usable_raises_the_row_readers_error(tmp_path):
    path = tmp_path / "none.jsonl"
    path.write_text(json.dumps({"anchor": "q", "positive": " ", "negative_1": "n"}) + "\n")
    with pytest.raises(ValueError) as slow:
        load(path)
    with pytest.raises(ValueError) as fast:
        open_columnar(path)
    assert str(fast.value) == str(slow.value)


FIXTURES = sorted((REPO / "sample_data" / "mined").glob("*.jsonl")) + [
    REPO / "sample_data"] + sorted(SHARED.glob("*/*.jsonl"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_every_fixture_opens_as_its_reader_reads_it(path):
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared/data is not part of the repository)")
    both_opens(path)


def test_the_numbers_take_at_most_24_bytes_a_pair_and_are_memory_mapped(tmp_path):
    parquet, _ = write_both(ntuple_rows(), tmp_path)
    open_columnar(parquet)
    nset = open_columnar(parquet)
    numbers = sum(nset.pairs[c].cat.codes.nbytes if isinstance(nset.pairs[c].dtype, pd.CategoricalDtype)
                  else nset.pairs[c].to_numpy().nbytes for c in nset.pairs.columns)
    assert numbers / len(nset.pairs) <= 24
    assert not nset.pairs["score"].to_numpy().flags.writeable    # a view of the map, not a copy
    for table in (nset.queries, nset.docs):      # built in many batches, stored as one chunk
        assert table["text"].array._pa_array.num_chunks == 1


def test_a_torn_entry_is_rebuilt(tmp_path, cache):
    parquet, _ = write_both(ntuple_rows(), tmp_path)
    first = open_columnar(parquet)
    folder = Path(first.meta["columnar_cache"])
    (folder / "pairs.arrow").write_bytes(b"torn")
    with pytest.warns(UserWarning, match="unreadable"):
        again = open_columnar(parquet)
    assert_same(load(parquet), again)
    assert not [p for p in store.cache_root().iterdir() if p.name.startswith(".building-")]


def test_blank_texts_are_found_as_str_strip_finds_them():
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = ["", " ", "\u3000\u2003", "a", " a", "\u00e9t\u00e9", "\u00a0", "\t\n", "x ", "\u2028z"]
    found = sources._blank(pa.array(cells * 3, pa.large_string()).slice(2), pc)
    assert found.tolist() == [not c.strip() for c in (cells * 3)[2:]]


def test_a_compressed_file_streams_as_its_reader_reads_it(tmp_path):
    import gzip

    rows = ntuple_rows()
    _nan_score(rows)
    _, jsonl = write_both(rows, tmp_path)
    packed = tmp_path / "mined.jsonl.gz"
    packed.write_bytes(gzip.compress(jsonl.read_bytes()))
    slow, fast = both_opens(packed)
    assert len(fast.skipped) == 1


def test_file_candidates_are_kept_beside_the_entry_and_reopened_equal(tmp_path):
    from analysis.measure.query_sample import sample_queries
    from analysis.scoring.file_rank import file_candidates

    parquet, _ = write_both(ntuple_rows(), tmp_path)
    open_columnar(parquet)
    first = open_columnar(parquet)
    computed = file_candidates(first)
    folder = Path(first.meta["columnar_cache"])
    assert (folder / "file_candidates.arrow").is_file()
    kept = file_candidates(open_columnar(parquet))                    # mapped, not sorted again
    assert_same(computed, kept)
    assert computed.meta == kept.meta
    assert_same(file_candidates(load(parquet)), kept)
    sample = sample_queries(first, 5, seed=1)                         # not the entry's set
    assert len(file_candidates(sample).pairs) < len(kept.pairs)
