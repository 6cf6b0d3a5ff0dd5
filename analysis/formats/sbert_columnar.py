"""A sentence-transformers triplet or n-tuple Parquet file read as columns, not row by row.

``sbert.load`` checks and merges every row in Python, which is what a file with a problem
needs (each problem named with its row) but costs ~8x ``pandas.read_parquet`` on a million
n-tuple rows. A file mined with ``mine_hard_negatives`` almost never has a problem, so this
reads it with Arrow, checks the same rules column by column, and builds the same NegativeSet:
the same ``text_id`` ids, queries and documents in order of first appearance, pairs in row
order (positive, then negatives), a (query, document) met again merged into its first
occurrence, the same source, format, meta and warnings (a pair met again with another label
or score is merged by the row reader's rules, with its warning naming both rows).

When a row would be skipped by the row reader (a missing or non-text cell, a blank text, a
score list of another length or with a null, NaN, infinite or out-of-range value) it returns None, and the
caller reads the file row by row, so every skipped row is still reported with its number.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.formats._builder import TEXT_ID_DIGITS
from analysis.formats._read import FLOAT32_MAX
from analysis.model import RANK_UNKNOWN, DataError, NegativeSet

LAYOUTS = ("triplet", "n-tuple")


def read_columns(path: Path, columns: list[str], layout: str) -> NegativeSet | None:
    """The set ``sbert.load`` would build from ``path``, or None where a row needs the row
    reader. ``columns`` are the file's, ``layout`` the one they spell."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if layout not in LAYOUTS:
        return None
    names = [c for c in columns if c != "scores"]            # anchor, positive, negatives
    table = pq.read_table(path, columns=columns)
    rows, width = table.num_rows, len(names) - 1
    if not rows or any(not _plain_text(table.column(n), pa) for n in names):
        return None
    scores = _scores(table.column("scores"), rows, width, pa) if "scores" in columns \
        else np.full(rows * width, math.nan, dtype=np.float64)
    if scores is None:
        return None
    qcodes, qtexts = _first_appearance([table.column(names[0])])
    dcodes, dtexts = _first_appearance([table.column(n) for n in names[1:]])
    del table
    qids, dids = _ids(qtexts, "q", path), _ids(dtexts, "d", path)
    if qids is None or dids is None:
        return None                                           # a blank text: the row reader says where
    qcol = np.repeat(qcodes, width)
    label = np.tile(np.r_[1, np.zeros(width - 1, dtype=np.int8)].astype(np.int8), rows)
    keep, warnings = _merge_repeats(qcol, dcodes, label, scores, (qids, dids, qcol, dcodes, str(path)),
                                    width)
    pairs = pd.DataFrame({
        "qid": pd.Categorical.from_codes(qcol[keep], categories=pd.Index(qids, dtype=object)),
        "did": pd.Categorical.from_codes(dcodes[keep], categories=pd.Index(dids, dtype=object)),
        "label": label[keep], "source": path.name,
        "rank": np.full(int(keep.sum()), RANK_UNKNOWN, dtype=np.int32),
        "score": scores[keep].astype(np.float32),
    })
    return NegativeSet(pd.DataFrame({"qid": qids, "text": _arrow_strings(qtexts)}),
                       pd.DataFrame({"did": dids, "text": _arrow_strings(dtexts)}), pairs,
                       format=f"sentence-transformers/{layout}", skipped=[],
                       meta={"layout": layout, "warnings": warnings})


def _plain_text(column, pa) -> bool:
    return (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)) \
        and column.null_count == 0


def _scores(column, rows: int, width: int, pa) -> np.ndarray | None:
    """The scores flattened in row order (``width`` per row), or None unless every row holds
    exactly ``width`` finite numbers within float32 range (a NaN, an infinity or a null is
    the row reader's to skip and report, with its row)."""
    import pyarrow.compute as pc

    if not (pa.types.is_list(column.type) or pa.types.is_large_list(column.type)) \
            or column.null_count or not pa.types.is_floating(column.type.value_type) \
            and not pa.types.is_integer(column.type.value_type):
        return None
    lengths = pc.list_value_length(column).to_numpy()
    if len(lengths) != rows or (lengths != width).any():
        return None
    values = pc.list_flatten(column)
    if values.null_count:
        return None
    flat = values.to_numpy().astype(np.float64)
    return flat if np.isfinite(flat).all() and not (np.abs(flat) > FLOAT32_MAX).any() else None


def _first_appearance(columns: list) -> tuple[np.ndarray, object]:
    """(codes in row order: row by row, column by column; the distinct texts in order of first
    appearance, as an Arrow array) for equally long text columns: one dictionary encoding over
    all their chunks (Arrow unifies it), then numbered by first appearance."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = [chunk for column in columns for chunk in column.chunks]
    if len({chunk.type for chunk in chunks}) > 1:                 # string and large_string
        chunks = [chunk.cast(pa.large_string()) for chunk in chunks]
    encoded = pc.dictionary_encode(pa.chunked_array(chunks))
    indices = np.concatenate([chunk.indices.to_numpy() for chunk in encoded.chunks])
    row_major = indices.reshape(len(columns), -1).T.ravel()
    codes, order = pd.factorize(row_major)
    return codes, encoded.chunks[0].dictionary.take(pa.array(order))


# Python's str.isspace() set (str.strip() removes these), for Arrow's RE2 regex
_BLANK = (r"^[\x{09}-\x{0d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
          r"\x{202f}\x{205f}\x{3000}]*$")


def _ids(texts, prefix: str, path: Path) -> np.ndarray | None:
    """``text_id`` of each text, hashed straight from Arrow's buffer and spelled in numpy (no
    Python string per text until pandas needs one); None when a text is blank. Two texts
    sharing an id is an error, as in the row reader."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(texts) or pc.any(pc.match_substring_regex(texts, _BLANK)).as_py():
        return None
    width = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    bounds = np.frombuffer(texts.buffers()[1], dtype=width)[texts.offset:texts.offset + len(texts) + 1]
    data, sha1, size = memoryview(texts.buffers()[2]), hashlib.sha1, TEXT_ID_DIGITS // 2
    digests = np.frombuffer(b"".join([sha1(data[a:b]).digest()[:size] for a, b in
                                      zip(bounds[:-1].tolist(), bounds[1:].tolist())]), dtype=np.uint8)
    if len(np.unique(digests.view(f"V{size}"))) != len(texts):
        raise DataError("two different texts share one id: raise TEXT_ID_DIGITS", file=str(path))
    hexed = np.empty((len(texts), 1 + 2 * size), dtype=np.uint8)
    hexed[:, 0] = ord(prefix)
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    pairs = digests.reshape(-1, size)
    hexed[:, 1::2], hexed[:, 2::2] = digits[pairs >> 4], digits[pairs & 15]
    return hexed.view(f"S{1 + 2 * size}").ravel().astype(str).astype(object)


def _merge_repeats(qcol: np.ndarray, dcol: np.ndarray, label: np.ndarray, score: np.ndarray,
                   names: tuple, width: int) -> tuple[np.ndarray, list[dict]]:
    """Mask of the first occurrence of each (query, document), and the row reader's warnings.

    A later occurrence is merged into the first as ``SetBuilder.pair`` merges it (positive
    wins; a missing score is filled; another score keeps the first), updating ``label`` and
    ``score`` in place. Exact repeats are silent; the few pairs with a conflict are replayed
    in row order, so warnings come out as the row reader writes them (rows count from 1)."""
    key = qcol * (int(dcol.max()) + 1) + dcol
    again = pd.Series(key).duplicated().to_numpy()
    if not again.any():
        return np.ones(len(key), dtype=bool), []
    involved = np.flatnonzero(np.isin(key, key[again]))       # every occurrence of a repeat
    first_of = pd.Series(involved).groupby(key[involved]).transform("min").to_numpy()
    repeat = again[involved]
    later, first = involved[repeat], first_of[repeat]
    old, new = score[first].astype(np.float32), score[later].astype(np.float32)
    conflict = (label[first] != label[later]) | (~np.isnan(new) & (np.isnan(old) | (old != new)))
    replay = repeat & np.isin(first_of, first[conflict])
    warnings = []
    for at, at_first in zip(involved[replay].tolist(), first_of[replay].tolist()):
        warnings.extend(_merge_one(at_first, at, label, score, names, width))
    return ~again, warnings


def _merge_one(first: int, at: int, label: np.ndarray, score: np.ndarray, names: tuple,
               width: int) -> list[dict]:
    qids, dids, qcol, dcol, file = names
    where = f"query {qids[qcol[at]]!r}, document {dids[dcol[at]]!r}"
    return merge_repeat(where, first, at, label, score, at // width + 1, first // width + 1, file)


def merge_repeat(where: str, first: int, at: int, label: np.ndarray, score: np.ndarray,
                 row: int, row_first: int, file: str) -> list[dict]:
    """The row reader's rules for a pair met again (pair ``at`` repeats pair ``first``, in
    place): a positive wins, a missing score is filled, another score keeps the first; the
    warnings, on line ``row``."""
    out = []
    if label[at] != label[first]:
        out.append(f"{where} is a positive on one line and a negative on another "
                   f"(lines {row_first} and {row}); kept as a positive")
        label[first] = 1
    new, old = float(score[at]), float(score[first])
    if not math.isnan(new):
        if math.isnan(old):
            score[first] = new
        elif np.float32(old) != np.float32(new):
            out.append(f"{where} has score {new} here and {old} on line {row_first}; "
                       "the first is kept")
    return [{"file": file, "line": row, "reason": reason} for reason in out]


def _arrow_strings(texts) -> pd.arrays.ArrowStringArray:
    return pd.arrays.ArrowStringArray(texts)
