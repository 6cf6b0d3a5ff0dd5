"""Batches of good rows from a sentence-transformers triplet or n-tuple table, bounded in size.

Parquet is read with ``ParquetFile.iter_batches`` and checked column by column (Arrow
compute); a row the checks flag is handed to the row reader's own parser
(``sbert._PARSERS``), so its skip reads exactly as ``sbert.load`` reports it. Should the
parser accept a flagged row, the batch is read row by row instead (order is kept either way).
JSON Lines and CSV are read with the row reader's line iterators (``_tables.read_table``, which
already stream and report malformed lines) and parsed row by row into the same batches: the
same skips, line numbers and order as ``sbert.load``, with memory bounded by the batch.

A batch is ``(lines, anchors, docs, scores)``: int64 line (or row) numbers, the anchor texts,
the documents (``width`` a row: positive, then negatives; one array row-major, or a list of
``width`` columns) and their float64 scores, row-major (NaN when the file has none).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from analysis.formats._errors import RowError
from analysis.formats._tables import read_table
from analysis.formats.sbert import _PARSERS
from analysis.formats.sbert_columnar import _BLANK

BATCH_ROWS = 1 << 16


def width_of(columns: list[str], layout: str) -> int:
    """Documents per row: the positive and the negatives."""
    return 2 if layout == "triplet" else len([c for c in columns[2:] if c != "scores"]) + 1


def row_batches(path: Path, layout: str, on_skip, *, batch_rows: int | None = None) -> Iterator[tuple]:
    """Batches from any table ``read_table`` reads (JSONL, CSV, Parquet, datasets), row by row."""
    batch_rows = batch_rows or BATCH_ROWS
    columns, rows = read_table(path, on_skip)
    yield from _parsed(rows, columns, layout, on_skip, batch_rows)


def _parsed(rows, columns, layout, on_skip, batch_rows) -> Iterator[tuple]:
    import pyarrow as pa

    parse, anchor, second = _PARSERS[layout], columns[0], columns[1]
    lines, anchors, docs, scores = [], [], [], []
    for line, row in rows:
        try:
            query, found = parse(row, anchor, second, columns)
        except RowError as exc:
            on_skip(line, exc)
            continue
        lines.append(line)
        anchors.append(query)
        for text, _, score in found:
            docs.append(text)
            scores.append(score)
        if len(lines) >= batch_rows:
            yield np.asarray(lines), pa.array(anchors, pa.large_string()), \
                pa.array(docs, pa.large_string()), np.asarray(scores, dtype=np.float64)
            lines, anchors, docs, scores = [], [], [], []
    if lines:
        yield np.asarray(lines), pa.array(anchors, pa.large_string()), \
            pa.array(docs, pa.large_string()), np.asarray(scores, dtype=np.float64)


def parquet_batches(path: Path, columns: list[str], layout: str, on_skip, *,
                    batch_rows: int | None = None) -> Iterator[tuple]:
    """Batches of a Parquet file, checked by columns; flagged rows go to the row parser."""
    batch_rows = batch_rows or BATCH_ROWS
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    names = [c for c in columns if c != "scores"]
    width = len(names) - 1
    # pre_buffer off, one row group at a time: with it on, iter_batches fetched every row group's
    # bytes up front (a 10M-row, 7 GiB file peaked at 11.6 GiB)
    handle = pq.ParquetFile(path, pre_buffer=False)
    start = 0
    batches = (batch for group in range(handle.num_row_groups)
               for batch in handle.iter_batches(batch_size=batch_rows, columns=columns,
                                                row_groups=[group]))
    for batch in batches:
        n = batch.num_rows
        lines = np.arange(start + 1, start + n + 1, dtype=np.int64)
        start += n
        flat, bad = _flag(batch, names, width, "scores" in columns, pa, pc)
        if bad.any():
            flagged = np.flatnonzero(bad)
            rows = [(int(lines[i]), {c: batch.column(c)[int(i)].as_py() for c in columns})
                    for i in flagged]
            accepted = []
            for line, row in rows:
                try:
                    _PARSERS[layout](row, columns[0], columns[1], columns)
                    accepted.append(line)
                except RowError:
                    pass
            if accepted:      # the checks were stricter than the parser: read this batch by rows
                every = zip(lines.tolist(), batch.to_pylist())
                yield from _parsed(every, columns, layout, on_skip, batch_rows)
                continue
            for line, row in rows:
                try:
                    _PARSERS[layout](row, columns[0], columns[1], columns)
                except RowError as exc:
                    on_skip(line, exc)
            good = pa.array(~bad)
            batch, lines = batch.filter(good), lines[~bad]
            flat = flat.reshape(n, width)[~bad].ravel() if flat is not None else None
        rows = batch.num_rows
        if not rows:
            continue
        docs = [_large(batch.column(c)) for c in names[1:]]     # read row by row when numbered
        scores = flat if flat is not None else np.full(rows * width, math.nan)
        yield lines, _large(batch.column(names[0])), docs, scores


def _large(column):
    import pyarrow as pa

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return column.cast(pa.large_string()) if not pa.types.is_large_string(column.type) else column


_NOT_BLANK_START = np.ones(256, dtype=bool)
_NOT_BLANK_START[[*range(0x09, 0x0e), *range(0x1c, 0x21), *range(0x80, 0x100)]] = False


def _blank(column, pc) -> np.ndarray:
    """Rows whose text is empty or all whitespace (``str.strip()`` leaves nothing); the regex
    runs only on texts that start with a space or a non-ASCII byte, not on every text."""
    import pyarrow as pa

    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if column.null_count or not len(column):
        return pc.fill_null(pc.match_substring_regex(column, _BLANK), True).to_numpy(
            zero_copy_only=False)
    width = np.int64 if pa.types.is_large_string(column.type) else np.int32
    offsets = np.frombuffer(column.buffers()[1], dtype=width)[column.offset:column.offset + len(column) + 1]
    data = np.frombuffer(column.buffers()[2], dtype=np.uint8) if column.buffers()[2] else np.zeros(1, np.uint8)
    empty = offsets[1:] == offsets[:-1]
    starts = np.minimum(offsets[:-1], max(len(data) - 1, 0))
    maybe = np.flatnonzero(~empty & ~_NOT_BLANK_START[data[starts]])
    out = empty.copy()
    if len(maybe):
        out[maybe] = pc.match_substring_regex(column.take(pa.array(maybe)), _BLANK).to_numpy(
            zero_copy_only=False)
    return out


def _flag(batch, names, width, has_scores, pa, pc) -> tuple[np.ndarray | None, np.ndarray]:
    """(flat float64 scores or None when they cannot be read as columns, rows to flag)."""
    n = batch.num_rows
    bad = np.zeros(n, dtype=bool)
    for name in names:
        column = batch.column(name)
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            return None, np.ones(n, dtype=bool)
        bad |= column.is_null().to_numpy(zero_copy_only=False)
        bad |= _blank(column, pc)
    if not has_scores:
        return None, bad
    column = batch.column("scores")
    kind = column.type
    if not (pa.types.is_list(kind) or pa.types.is_large_list(kind)) or not (
            pa.types.is_floating(kind.value_type) or pa.types.is_integer(kind.value_type)):
        return None, np.ones(n, dtype=bool)
    lengths = pc.fill_null(pc.list_value_length(column), -1).to_numpy(zero_copy_only=False)
    wrong = lengths != width
    if wrong.any():                    # keep only well-shaped rows' values, then spread back
        bad |= wrong
    values = pc.list_flatten(column.filter(pa.array(~wrong)))
    nulls = values.is_null().to_numpy(zero_copy_only=False)
    flat_ok = values.to_numpy(zero_copy_only=False).astype(np.float64)
    flat = np.full(n * width, math.nan)
    flat.reshape(n, width)[~wrong] = flat_ok.reshape(-1, width)
    broken = np.zeros(n * width, dtype=bool)
    with np.errstate(invalid="ignore"):   # NaN, infinite, past float32: the parser decides
        odd = nulls | ~(np.abs(flat_ok) <= np.finfo(np.float32).max)
    broken.reshape(n, width)[~wrong] = odd.reshape(-1, width)
    bad |= broken.reshape(n, width).any(axis=1)
    return flat, bad
