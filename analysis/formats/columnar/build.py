"""Build one input's columnar cache entry from batches of rows, the row readers' rules kept.

A batch is a block of good rows of a sentence-transformers triplet or n-tuple table (rows the
row reader would skip were reported before): line numbers, the anchor texts, the document
texts row by row (the positive, then each negative: ``width`` a row) and their scores. Codes
come from :class:`TextDictionary` in order of first appearance, pairs stay in row order, and a
(query, document) met again is merged into its first occurrence exactly as ``SetBuilder.pair``
merges it (positive wins, a missing score is filled, another score keeps the first, each
conflict a warning naming both lines). A repeat can only come from a query on several rows or
a document twice in one row, so only those rows are hashed (a mined file has almost none).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.formats.columnar.dictionary import TextDictionary
from analysis.formats.sbert_columnar import merge_repeat
from analysis.model import RANK_UNKNOWN

PAIRS_FILE, QUERIES_FILE, DOCS_FILE, META_FILE = "pairs.arrow", "queries.arrow", "docs.arrow", "meta.json"


class PairBuilder:
    """Collects batches into ``folder`` (queries and docs stores written as they come)."""

    def __init__(self, folder: Path, *, file: str, width: int):
        self.folder, self.file, self.width = Path(folder), file, width
        self.queries = TextDictionary(self.folder / QUERIES_FILE, "q", file=file)
        self.docs = TextDictionary(self.folder / DOCS_FILE, "d", file=file)
        self._rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    @property
    def num_rows(self) -> int:
        return sum(len(lines) for lines, *_ in self._rows)

    def add(self, lines: np.ndarray, anchors, docs, scores: np.ndarray) -> None:
        """``docs``: Arrow strings, ``width`` per row (row-major, or ``width`` columns);
        ``scores`` float64, row-major."""
        if not len(lines):
            return
        q = self.queries.codes(anchors)
        d = self.docs.codes(docs)
        self._rows.append((np.asarray(lines, dtype=np.int64), q, d,
                           np.asarray(scores, dtype=np.float64)))

    def finish(self) -> tuple[dict[str, np.ndarray], list[dict]]:
        """The pair columns (merged) and the merge warnings; closes the text stores."""
        self.queries.close()
        self.docs.close()
        width = self.width
        lines = np.concatenate([r[0] for r in self._rows])
        row_q = np.concatenate([r[1] for r in self._rows])
        dcode = np.concatenate([r[2] for r in self._rows])
        score = np.concatenate([r[3] for r in self._rows])
        self._rows.clear()
        rows = len(lines)
        label = np.tile(np.r_[1, np.zeros(width - 1)].astype(np.int8), rows)
        keep, warnings = _merge(row_q, dcode, label, score, lines, width, self)
        qcode = np.repeat(row_q, width)
        columns = {"qid": qcode[keep], "did": dcode[keep], "label": label[keep],
                   "rank": np.full(int(keep.sum()), RANK_UNKNOWN, dtype=np.int32),
                   "score": score[keep].astype(np.float32)}
        return columns, warnings


def _merge(row_q, dcode, label, score, lines, width, builder):
    """Keep-mask of first occurrences; merges into them in place; the warnings."""
    rows = len(row_q)
    keep = np.ones(rows * width, dtype=bool)
    per_query = np.bincount(row_q, minlength=builder.queries.count)
    suspect = per_query[row_q] > 1
    if width > 1:
        ordered = np.sort(dcode.reshape(rows, width), axis=1)
        suspect |= (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
    rows_hit = np.flatnonzero(suspect)
    if not len(rows_hit):
        return keep, []
    at = (rows_hit[:, None] * width + np.arange(width)).ravel()
    key = np.repeat(row_q[rows_hit], width).astype(np.int64) * (int(dcode.max()) + 1) + dcode[at]
    again = pd.Series(key).duplicated().to_numpy()
    if not again.any():
        return keep, []
    first_of = at[pd.Series(np.arange(len(at))).groupby(key).transform("min").to_numpy()]
    keep[at[again]] = False
    later, first = at[again], first_of[again]
    old, new = score[first].astype(np.float32), score[later].astype(np.float32)
    conflict = (label[first] != label[later]) | (~np.isnan(new) & (np.isnan(old) | (old != new)))
    replay = again & np.isin(first_of, first[conflict])
    names = _Names(builder)
    warnings = []
    for pos, pos_first in zip(at[replay].tolist(), first_of[replay].tolist()):
        warnings.extend(_merge_one(pos_first, pos, label, score, row_q, dcode, lines, width,
                                   names, builder.file))
    return keep, warnings


class _Names:
    """Ids of the few codes a warning names, read back from the finished text stores."""

    def __init__(self, builder):
        import pyarrow as pa

        self._ids = {}
        for kind, store in (("q", builder.queries), ("d", builder.docs)):
            with pa.memory_map(str(store.path)) as source:
                self._ids[kind] = pa.ipc.open_file(source).read_all().column("id").combine_chunks()

    def __call__(self, kind: str, code: int) -> str:
        return self._ids[kind][int(code)].as_py()


def _merge_one(first, at, label, score, row_q, dcode, lines, width, names, file):
    """``sbert_columnar._merge_one`` with line numbers taken from ``lines`` (skipped rows and
    blank lines make them differ from row numbers)."""
    row, row_first = int(lines[at // width]), int(lines[first // width])
    where = f"query {names('q', row_q[at // width])!r}, document {names('d', dcode[at])!r}"
    return merge_repeat(where, first, at, label, score, row, row_first, file)
