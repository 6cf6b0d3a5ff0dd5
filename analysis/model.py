"""The canonical data model: a NegativeSet of queries, documents and (query, document) pairs.

Every loader produces one, every strategy consumes and returns one (DESIGN.md section 2).

``pairs`` is long format, one row per (query, document, source):

=========  ==========================================================================
column     meaning and dtype
=========  ==========================================================================
qid        categorical over ``queries.qid`` (int codes, so ~4 bytes a row)
did        categorical over ``docs.did``
label      int8: 1 labelled positive, 0 negative
source     categorical: the file a pair came from, "pool", or a strategy name
rank       int32: 1-based raw rank in the retriever's ranking of the whole corpus,
           positives included; ``RANK_UNKNOWN`` (0) when the file has no ranking
score      float32 teacher similarity; NaN when unknown (never +-inf)
=========  ==========================================================================

Optional extra float32 columns (``ce_score`` from a cross-encoder) are kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

RANK_UNKNOWN = 0
PAIR_COLUMNS = ("qid", "did", "label", "source", "rank", "score")
OPTIONAL_FLOAT_COLUMNS = ("ce_score",)
# How a query's positive score s_pos reduces its positives' scores (DESIGN.md section 3).
POSITIVE_REDUCTIONS = ("min", "mean", "max")
_HASH_BLOCK = 1 << 16


class DataError(ValueError):
    """Bad input, located: ``file``, ``line`` (1-based, or None) and ``field`` (or None)."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 field: str | None = None):
        self.file, self.line, self.field, self.reason = file, line, field, message
        super().__init__(format_location(file, line, field) + message)


def format_location(file: str | None, line: int | None, field: str | None) -> str:
    """``'data.jsonl, line 3, field "neg": '`` for whatever parts are known."""
    parts = []
    if file:
        parts.append(str(file))
    if line is not None:
        parts.append(f"line {line}")
    if field:
        parts.append(f'field "{field}"')
    return ", ".join(parts) + ": " if parts else ""


@dataclass(frozen=True)
class Skip:
    """One input row that could not be read: counted and reported, never silently dropped."""

    file: str
    line: int | None
    reason: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "reason": self.reason}


@dataclass
class NegativeSet:
    """Queries, documents and labelled, optionally ranked and scored, pairs between them.

    Construction normalises dtypes and validates; violations raise ``DataError``.
    ``format`` names the format the set was read from, ``skipped`` lists unreadable rows,
    ``meta`` carries free-form provenance (pool settings, file paths, ...).
    """

    queries: pd.DataFrame
    docs: pd.DataFrame
    pairs: pd.DataFrame
    format: str = "unknown"
    skipped: list[Skip] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.queries = _id_text_table(self.queries, "qid", "queries")
        self.docs = _id_text_table(self.docs, "did", "docs")
        self.pairs = _normalise_pairs(self.pairs, self.queries["qid"], self.docs["did"])

    # -- counts -------------------------------------------------------------------------
    @property
    def num_positives(self) -> int:
        return int((self.pairs["label"] == 1).sum())

    @property
    def num_negatives(self) -> int:
        return int((self.pairs["label"] == 0).sum())

    @property
    def has_scores(self) -> bool:
        return bool(self.pairs["score"].notna().any())

    @property
    def has_ranks(self) -> bool:
        return bool((self.pairs["rank"] != RANK_UNKNOWN).any())

    def summary(self) -> dict:
        """The counts ``python -m analysis info --json`` prints."""
        return {
            "format": self.format,
            "queries": len(self.queries),
            "docs": len(self.docs),
            "pairs": len(self.pairs),
            "positives": self.num_positives,
            "negatives": self.num_negatives,
            "has_scores": self.has_scores,
            "has_ranks": self.has_ranks,
            "sources": sorted(map(str, self.pairs["source"].unique())),
            "skipped": [s.as_dict() for s in self.skipped],
        }

    # -- lookups ------------------------------------------------------------------------
    def query_text(self) -> pd.Series:
        """qid -> text."""
        return self.queries.set_index("qid")["text"]

    def doc_text(self) -> pd.Series:
        """did -> text."""
        return self.docs.set_index("did")["text"]

    def with_pairs(self, pairs: pd.DataFrame, **changes) -> "NegativeSet":
        """A new set sharing queries and docs, with other pairs (e.g. a strategy's selection).
        ``unique=True`` (a caller that reordered or subset this set's own pairs, one row per
        (qid, did, source)) skips the duplicate check."""
        out = object.__new__(NegativeSet)    # queries and docs were checked when self was built
        out.queries, out.docs = self.queries.copy(deep=False), self.docs.copy(deep=False)
        out.pairs = _normalise_pairs(pairs, self.queries["qid"], self.docs["did"],
                                     same=(self.pairs["qid"].cat.categories,
                                           self.pairs["did"].cat.categories),
                                     unique=changes.get("unique", False))
        out.format = changes.get("format", self.format)
        out.skipped = changes.get("skipped", list(self.skipped))
        out.meta = changes.get("meta", dict(self.meta))
        return out


def _id_text_table(table: pd.DataFrame, id_col: str, name: str) -> pd.DataFrame:
    missing = {id_col, "text"} - set(table.columns)
    if missing:
        raise DataError(f"the {name} table lacks column(s) {sorted(missing)}", field=sorted(missing)[0])
    out = pd.DataFrame({
        id_col: table[id_col].astype(str).astype("string[pyarrow]"),
        "text": table["text"].astype("string[pyarrow]"),
    })
    if out["text"].isna().any():
        bad = out.loc[out["text"].isna(), id_col].iloc[0]
        raise DataError(f"{name} {id_col}={bad!r} has no text", field="text")
    dup = out[id_col].duplicated()
    if dup.any():
        raise DataError(f"{name} id {out.loc[dup, id_col].iloc[0]!r} appears twice", field=id_col)
    return out.reset_index(drop=True)


def _categorical(values: pd.Series, categories: pd.Series, column: str,
                 same: pd.Index | None = None) -> pd.Categorical:
    if isinstance(values.dtype, pd.CategoricalDtype) and values.cat.categories is same:
        return values.array      # coded over this set's own categories (a selection, a re-rank)
    target = pd.Index(categories.astype(str), dtype=object)
    if isinstance(values.dtype, pd.CategoricalDtype):
        # Already coded (a Parquet dictionary, another set's column): map the distinct values,
        # not the rows; ~20x faster on a million rows than turning every row into a string.
        labels = np.asarray(values.cat.categories.astype(str), dtype=object)
        codes = values.cat.codes.to_numpy()
        if not np.array_equal(labels, target.to_numpy()):   # build_pool's pools are in order
            codes = np.append(_positions(labels, target.to_numpy()), -1)[codes]
        cat = pd.Categorical.from_codes(codes, categories=target)
    else:
        cat = pd.Categorical(values.astype(str), categories=target)
    unknown = cat.codes < 0
    if unknown.any():
        first = values.astype(str)[unknown].iloc[0]
        raise DataError(f"pairs refer to unknown {column} {first!r} ({int(unknown.sum())} rows)",
                        field=column)
    return cat


def _positions(labels: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Position of each string of ``labels`` in ``target`` (unique), -1 when absent: Arrow's
    hash lookup, ~3x faster than ``Index.get_indexer`` on a few hundred thousand strings."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.index_in(pa.array(labels, pa.string()), value_set=pa.array(target, pa.string()))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _string_categorical(values: pd.Series) -> pd.Categorical:
    """``pd.Categorical(values.astype(str))``, computed per distinct value when ``values`` is
    already categorical (categories: the sorted distinct strings present; NaN stays NaN)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return pd.Categorical(values.astype(str).to_numpy())
    codes = values.cat.codes.to_numpy()
    labels = np.asarray(values.cat.categories.astype(str), dtype=object)
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(labels)))
    small = pd.Categorical(labels[used])
    position = np.full(len(labels) + 1, -1, dtype=np.int64)
    position[used] = small.codes
    position = position.astype(codes.dtype)   # fits: no more codes than before; 1 byte a row, not 8
    return pd.Categorical.from_codes(position[codes], dtype=small.dtype)


def _duplicated_pairs(out: pd.DataFrame) -> np.ndarray:
    """``out.duplicated(["qid", "did", "source"])``, faster: one int64 key of the three codes
    (when it fits), hashed in blocks of whole queries when the rows come grouped by query code
    (every pool does): a duplicate can only sit within one query, and a block's hash table stays
    in the cache (~10x faster than one table over millions of rows)."""
    columns = ["qid", "did", "source"]
    sizes = [len(out[c].cat.categories) + 1 for c in columns]
    if float(np.prod(sizes, dtype=np.float64)) >= 2.0 ** 62:
        return out.duplicated(columns).to_numpy()
    key = np.zeros(len(out), dtype=np.int64)
    for column, size in zip(columns, sizes):   # in place: one int64 array, no temporaries
        key *= size
        key += out[column].cat.codes.to_numpy()
        key += 1
    qcode = out["qid"].cat.codes.to_numpy()
    if len(key) <= _HASH_BLOCK or not (qcode[1:] >= qcode[:-1]).all():
        return pd.Series(key).duplicated().to_numpy()
    edges = np.unique(np.r_[np.searchsorted(qcode, qcode[::_HASH_BLOCK]), len(key)])
    return np.concatenate([pd.Series(key[a:b]).duplicated().to_numpy()
                           for a, b in zip(edges[:-1], edges[1:])])


def _normalise_pairs(pairs: pd.DataFrame, qids: pd.Series, dids: pd.Series,
                     same: tuple = (None, None), unique: bool = False) -> pd.DataFrame:
    missing = {"qid", "did", "label"} - set(pairs.columns)
    if missing:
        raise DataError(f"the pairs table lacks column(s) {sorted(missing)}", field=sorted(missing)[0])
    n = len(pairs)
    out = pd.DataFrame({
        "qid": _categorical(pairs["qid"], qids, "qid", same[0]),
        "did": _categorical(pairs["did"], dids, "did", same[1]),
    })
    label = pd.to_numeric(pairs["label"], errors="coerce")
    bad = ~label.isin([0, 1])
    if bad.any():
        raise DataError(f"label must be 0 or 1, got {pairs['label'][bad].iloc[0]!r} "
                        f"({int(bad.sum())} rows)", field="label")
    out["label"] = label.to_numpy(dtype=np.int8)
    source = pairs["source"] if "source" in pairs else pd.Series(["unknown"] * n)
    out["source"] = _string_categorical(pd.Series(source))
    if "rank" in pairs and _plain(pairs["rank"], "iu"):    # already integers: no float copy
        rank = pairs["rank"].to_numpy()
        if (rank < 0).any():
            raise DataError("rank must be a non-negative integer (0 = unknown)", field="rank")
        out["rank"] = rank.astype(np.int32, copy=False)
    elif "rank" in pairs:
        rank = pd.to_numeric(pairs["rank"], errors="coerce").fillna(RANK_UNKNOWN)
        if (rank < 0).any() or (rank != np.floor(rank)).any():
            raise DataError("rank must be a non-negative integer (0 = unknown)", field="rank")
        out["rank"] = rank.to_numpy(dtype=np.int32)
    else:
        out["rank"] = np.full(n, RANK_UNKNOWN, dtype=np.int32)
    for col in ("score", *OPTIONAL_FLOAT_COLUMNS):
        if col not in pairs and col != "score":
            continue
        if col in pairs and _plain(pairs[col], "f"):       # float32 stays float32: no copy
            values = pairs[col].to_numpy()
        else:
            values = (pd.to_numeric(pairs[col], errors="coerce").to_numpy(dtype=np.float64)
                      if col in pairs else np.full(n, np.nan))
        if np.isinf(values).any():
            raise DataError(f"{col} contains an infinite value ({int(np.isinf(values).sum())} rows)",
                            field=col)
        out[col] = values.astype(np.float32, copy=False)
    for extra in pairs.columns.difference(out.columns):
        out[extra] = pairs[extra].to_numpy()
    dup = np.zeros(0, dtype=bool) if unique else _duplicated_pairs(out)  # unique: caller knows
    if dup.any():
        row = out[dup].iloc[0]
        raise DataError(f"pair (qid={row['qid']!r}, did={row['did']!r}, source={row['source']!r}) "
                        f"appears {int(dup.sum()) + 1} times", field="did")
    return out.reset_index(drop=True)


def _plain(column: pd.Series, kinds: str) -> bool:
    """A plain numpy column of one of the dtype ``kinds`` (no NA to coerce)."""
    return isinstance(column.dtype, np.dtype) and column.dtype.kind in kinds


def pair_codes(pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (qid, did) of a pairs table: the fast path for vectorised work."""
    return pairs["qid"].cat.codes.to_numpy(), pairs["did"].cat.codes.to_numpy()
