"""The pool file: a NegativeSet in one Parquet file, read back exactly.

Columns, one row per pair:

==========  ==================================================================
qid, did    string, dictionary-encoded
label       int8 (1 labelled positive, 0 negative)
source      string, dictionary-encoded ("pool", a file name, a strategy name)
rank        int32, 1-based raw rank over the whole corpus (0 = unknown)
score       float32 bi-encoder cosine (NaN = unknown)
ce_score    float32 cross-encoder score, only when the set has one
query       the query's text, dictionary-encoded (each text stored once)
document    the document's text, dictionary-encoded
...         any extra pair columns the set carries, as Arrow stores them
==========  ==================================================================

The schema metadata key ``b"neglens"`` holds JSON: ``{"kind": "pool", "format_version": 1,
"pool": <pool settings>, "meta": <the rest of NegativeSet.meta>, "format": <set format>,
"skipped": [<Skip records>]}``. ``meta`` must therefore be JSON-serialisable.

Reading rebuilds the queries and documents tables from the text columns, in order of first
appearance, so a set whose tables are in that order (every pool ``build_pool`` makes) comes
back exactly; queries or documents no pair refers to are not stored.

Registered as format ``"pool"``: ``analysis.formats.load("pool.parquet")`` detects it by the
metadata key, and ``analysis.formats.write(nset, path, format="pool")`` writes it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.formats._registry import Format
from analysis.formats._pool_values import check_values
from analysis.model import (
    OPTIONAL_FLOAT_COLUMNS,
    PAIR_COLUMNS,
    DataError,
    NegativeSet,
    Skip,
)

METADATA_KEY = b"neglens"
KIND = "pool"
FORMAT_VERSION = 1
TEXT_COLUMNS = ("query", "document")
SUFFIXES = (".parquet", ".pq")


def write_pool(nset: NegativeSet, path: str | os.PathLike) -> Path:
    """Write ``nset`` as a pool Parquet file (see the module docstring); returns the path."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    pairs = nset.pairs
    clash = [c for c in TEXT_COLUMNS if c in pairs.columns]
    if clash:
        raise DataError(f"pair column {clash[0]!r} would clash with the text column of that name",
                        file=str(path), field=clash[0])
    q_codes = pairs["qid"].cat.codes.to_numpy().astype(np.int32)
    d_codes = pairs["did"].cat.codes.to_numpy().astype(np.int32)
    columns = {
        "qid": _dictionary(q_codes, nset.queries["qid"]),
        "did": _dictionary(d_codes, nset.docs["did"]),
        "label": pa.array(pairs["label"].to_numpy(), pa.int8()),
        "source": pa.array(pairs["source"].astype(str).to_numpy(dtype=object),
                           pa.string()).dictionary_encode(),
        "rank": pa.array(pairs["rank"].to_numpy(), pa.int32()),
        "score": pa.array(pairs["score"].to_numpy(), pa.float32(), from_pandas=False),
    }
    for extra in pairs.columns:
        if extra not in columns:
            values = pairs[extra]
            columns[extra] = pa.array(values.to_numpy(), pa.float32()) \
                if extra in OPTIONAL_FLOAT_COLUMNS else pa.array(values)
    columns["query"] = _dictionary(q_codes, nset.queries["text"])
    columns["document"] = _dictionary(d_codes, nset.docs["text"])
    meta = dict(nset.meta)
    header = {"kind": KIND, "format_version": FORMAT_VERSION, "pool": meta.pop("pool", {}),
              "meta": meta, "format": nset.format, "skipped": [s.as_dict() for s in nset.skipped]}
    try:
        blob = json.dumps(header, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise DataError(f"the set's meta cannot be stored as JSON: {exc}", file=str(path),
                        field="meta") from exc
    table = pa.table(columns).replace_schema_metadata({METADATA_KEY: blob})
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def _dictionary(codes: np.ndarray, values: pd.Series):
    import pyarrow as pa

    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()),
                                          pa.array(values.astype(str).to_numpy(dtype=object), pa.string()))


def read_header(path: str | os.PathLike) -> dict | None:
    """The ``neglens`` JSON of a pool file, or None when ``path`` is not one (no exception for
    a file that is not Parquet at all)."""
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_schema(path).metadata or {}
    except (OSError, ValueError):
        return None
    try:
        header = json.loads(metadata[METADATA_KEY])
    except (KeyError, ValueError):
        return None
    return header if isinstance(header, dict) and header.get("kind") == KIND else None


def read_pool(path: str | os.PathLike) -> NegativeSet:
    """Read a pool Parquet file back into the NegativeSet that was written."""
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise DataError("no such file", file=str(path))
    header = read_header(path)
    if header is None:
        raise DataError("not a NegLens pool file (no neglens metadata of kind 'pool')",
                        file=str(path))
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        raise DataError(f"pool format_version {version!r} is not supported (this NegLens reads "
                        f"{FORMAT_VERSION})", file=str(path), field="format_version")
    parquet = pq.ParquetFile(path)
    names = parquet.schema_arrow.names
    missing = [c for c in (*PAIR_COLUMNS, *TEXT_COLUMNS) if c not in names]
    if missing:
        raise DataError(f"the pool file lacks column(s) {missing}", file=str(path), field=missing[0])
    # The pair columns first, then one text column at a time, each Arrow table freed as pandas
    # takes it over: a 5M-row pool peaks ~250 MB lower than reading everything at once.
    pairs = _read_columns(parquet, [c for c in names if c not in TEXT_COLUMNS])
    keep, bad_rows = check_values(pairs, path)
    if keep is not None:
        pairs = pairs[keep].reset_index(drop=True)
    queries = _first_texts(pairs, _kept(_read_columns(parquet, ["query"])["query"], keep),
                           "qid", "query", path)
    docs = _first_texts(pairs, _kept(_read_columns(parquet, ["document"])["document"], keep),
                        "did", "document", path)
    meta = dict(header.get("meta") or {})
    if header.get("pool"):
        meta["pool"] = header["pool"]
    skipped = [Skip(file=s["file"], line=s.get("line"), reason=s["reason"])
               for s in header.get("skipped") or []] + bad_rows
    return NegativeSet(queries, docs, pairs, format=header.get("format", KIND),
                       skipped=skipped, meta=meta)


def _kept(values: pd.Series, keep) -> pd.Series:
    return values if keep is None else values[keep].reset_index(drop=True)


def _read_columns(parquet, columns: list[str]) -> pd.DataFrame:
    return parquet.read(columns=columns).to_pandas(split_blocks=True, self_destruct=True)


def _first_texts(frame: pd.DataFrame, texts: pd.Series, id_col: str, text_col: str,
                 path: Path) -> pd.DataFrame:
    """(id, text) in order of first appearance, ``texts`` aligned with ``frame``'s rows; an id
    with two different texts is an error."""
    ids = frame[id_col]
    if not (isinstance(ids.dtype, pd.CategoricalDtype) and isinstance(texts.dtype, pd.CategoricalDtype)):
        ids, texts = ids.astype("category"), texts.astype("category")
    id_codes, text_codes = ids.cat.codes.to_numpy(), texts.cat.codes.to_numpy()
    if (id_codes < 0).any():
        row = int(np.flatnonzero(id_codes < 0)[0])
        raise DataError(f"{id_col} is missing", file=str(path), line=row + 1, field=id_col)
    # First row of every id code (one pass, no hashing), then every row's text checked against
    # the text at its id's first row: the first mismatch is the first row of a second text.
    first = np.full(len(ids.cat.categories), len(id_codes), dtype=np.int64)
    np.minimum.at(first, id_codes, np.arange(len(id_codes), dtype=np.int64))
    clash = np.flatnonzero(text_codes != text_codes[first[id_codes]])
    if len(clash):
        row = int(clash[0])
        raise DataError(f"{id_col} {ids.iloc[row]!r} has two different texts",
                        file=str(path), line=row + 1, field=text_col)
    rows = np.sort(first[first < len(id_codes)])
    # Straight from the dictionaries (code -1 = no text, left NaN for NegativeSet to reject):
    # no per-row Python strings.
    return pd.DataFrame({id_col: ids.cat.categories[id_codes[rows]],
                         "text": texts.cat.categories.take(text_codes[rows], allow_fill=True,
                                                           fill_value=np.nan)})


def detect(path: Path) -> bool:
    """A Parquet file whose schema metadata says it is a NegLens pool."""
    return path.is_file() and path.suffix.lower() in SUFFIXES and read_header(path) is not None


def _load(path: Path, **options) -> NegativeSet:
    if options:
        raise DataError(f"the pool format takes no options, got {sorted(options)}", file=str(path))
    return read_pool(path)


def _write(nset: NegativeSet, path: Path, **options) -> Path:
    if options:
        raise DataError(f"the pool format takes no options, got {sorted(options)}", file=str(path))
    return write_pool(nset, path)


FORMAT = Format(name=KIND, detect=detect, load=_load, write=_write, priority=100,
                fields=(*PAIR_COLUMNS, *TEXT_COLUMNS), files=False)


def is_pool(nset: NegativeSet) -> bool:
    """True when ``nset`` already is a candidate pool: it holds ranked, scored rows of source
    ``"pool"`` (a pool file written by ``python -m analysis pool`` or by the workspace)."""
    candidates = nset.pairs["source"] == "pool"
    return bool(candidates.any()) and nset.has_ranks and nset.has_scores
