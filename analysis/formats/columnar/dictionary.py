"""Distinct texts numbered by first appearance, across batches, without a Python string each.

A file of 10 million queries holds ~100 million text cells and a few tens of millions of
distinct texts; a dict of Python strings would need tens of GiB. Here every cell is hashed
(Polars' vectorised 64-bit hash, two seeds) and numbered with one pandas hash table over the
first hash, so a batch costs a few array passes and the table 16 bytes per distinct text.
Codes are given in order of first appearance, as the row readers' dicts give them.

Two different texts with one first hash would be one code: every cell's second hash is checked
against the second hash of its code's first text, and a mismatch raises (odds ~1e-19 per pair
of texts). A code's id is ``text_id`` (the SHA-1 prefix), computed once, for its first text.
New texts are appended to an Arrow IPC file (id, text) as they are met: that file is the
cache's text store, read back memory-mapped.
"""

from __future__ import annotations

import hashlib

import numpy as np

from analysis.formats._builder import TEXT_ID_DIGITS
from analysis.model import DataError

_SEEDS = (0x4E65674C656E73, 0x636F6C756D6E)


def text_ids(texts, prefix: str):
    """``text_id`` of every text of an Arrow string array, as an Arrow string array."""
    import pyarrow as pa

    size = TEXT_ID_DIGITS // 2
    if not len(texts):
        return pa.array([], pa.string())
    texts = texts.cast(pa.large_string()) if not pa.types.is_large_string(texts.type) else texts
    bounds = np.frombuffer(texts.buffers()[1], dtype=np.int64)[texts.offset:texts.offset + len(texts) + 1]
    data, sha1 = memoryview(texts.buffers()[2]), hashlib.sha1
    digests = np.frombuffer(b"".join([sha1(data[a:b]).digest()[:size] for a, b in
                                      zip(bounds[:-1].tolist(), bounds[1:].tolist())]), dtype=np.uint8)
    hexed = np.empty((len(texts), 1 + 2 * size), dtype=np.uint8)
    hexed[:, 0] = ord(prefix)
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    pairs = digests.reshape(-1, size)
    hexed[:, 1::2], hexed[:, 2::2] = digits[pairs >> 4], digits[pairs & 15]
    width = 1 + 2 * size
    offsets = pa.py_buffer(np.arange(0, (len(texts) + 1) * width, width, dtype=np.int32).tobytes())
    return pa.StringArray.from_buffers(len(texts), offsets, pa.py_buffer(hexed.tobytes()))


def _hash(texts, seed: int) -> np.ndarray:
    import polars as pl

    return pl.Series(values=texts).hash(seed=seed).to_numpy().astype(np.uint64, copy=False)


def _take_cells(columns: list, cells: np.ndarray):
    """The texts at row-major ``cells`` of equally long columns, in that order: taken column by
    column (a chunked take would first copy every column into one)."""
    import pyarrow as pa

    width = len(columns)
    if width == 1:
        return columns[0].take(pa.array(cells))
    column, row = cells % width, cells // width
    grouped = np.argsort(column, kind="stable")
    pieces = [columns[j].cast(pa.large_string()).take(pa.array(row[grouped][column[grouped] == j]))
              for j in range(width)]
    back = np.empty_like(grouped)
    back[grouped] = np.arange(len(grouped))
    return pa.concat_arrays(pieces).take(pa.array(back))


class TextDictionary:
    """Texts of one kind (``prefix`` "q" or "d") numbered across batches; new ones go to
    ``path`` (Arrow IPC file, columns id and text)."""

    def __init__(self, path, prefix: str, *, file: str):
        import pyarrow as pa
        from pandas._libs import hashtable

        self.prefix, self.file, self.path = prefix, file, path
        self._hashtable = hashtable
        self._table = hashtable.UInt64HashTable(1 << 16)
        self._check = np.zeros(1 << 16, dtype=np.uint64)
        self.count = 0
        self._schema = pa.schema([("id", pa.large_string()), ("text", pa.large_string())])
        self._writer = pa.ipc.new_file(str(path), self._schema)

    def codes(self, texts) -> np.ndarray:
        """int32 code of every cell: ``texts`` is one Arrow string array, or a list of equally
        long ones (columns) read row by row (row-major codes, without interleaving the texts)."""
        import pyarrow as pa

        columns = texts if isinstance(texts, list) else [texts]
        rows, width = len(columns[0]), len(columns)
        if not rows:
            return np.zeros(0, dtype=np.int32)
        first = np.empty((rows, width), dtype=np.uint64)
        second = np.empty((rows, width), dtype=np.uint64)
        for j, column in enumerate(columns):
            first[:, j], second[:, j] = _hash(column, _SEEDS[0]), _hash(column, _SEEDS[1])
        first, second = first.ravel(), second.ravel()
        labels = self._table.get_labels(first, self._hashtable.UInt64Vector(), self.count, -1)
        # new codes are numbered in order of first appearance: a cell is the first of its code
        # exactly where its label exceeds every label before it
        before = np.r_[self.count - 1, np.maximum.accumulate(np.maximum(labels, self.count - 1))[:-1]]
        firsts = np.flatnonzero(labels > before)
        if len(firsts):
            end = self.count + len(firsts)
            if end > len(self._check):
                self._check = np.resize(self._check, max(end, 2 * len(self._check)))
            self._check[self.count:end] = second[firsts]
            chosen = _take_cells(columns, firsts)
            batch = pa.record_batch([text_ids(chosen, self.prefix).cast(pa.large_string()),
                                     chosen.cast(pa.large_string())], schema=self._schema)
            self._writer.write_batch(batch)
            self.count = end
        if not np.array_equal(self._check[labels], second):
            raise DataError("two different texts share one 64-bit hash; please report this file",
                            file=self.file)
        return labels.astype(np.int32)

    def close(self) -> None:
        self._writer.close()
