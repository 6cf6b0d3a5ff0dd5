"""The cache entry of one input: Arrow IPC files, written once, reopened memory-mapped.

Layout, under ``$NEGLENS_CACHE_DIR/columnar`` (else ``~/.cache/neglens/columnar``)::

    <key>/pairs.arrow     qid, did (int32 codes), label (int8), source (int8 codes), rank
                          (int32), score (float32) [+ ce_score float32]: 18 bytes a pair
    <key>/queries.arrow   id, text (code order = first appearance, as the row readers)
    <key>/docs.arrow      id, text
    <key>/meta.json       format, skipped rows, warnings and meta, the sources' names

``key`` is the sha256 of the input's identity (resolved path, size, mtime_ns, inode and the
sha256 of the first and last MiB of each of its files), the format and options asked for, and :data:`VERSION`. Identity, not content: hashing
a 10 GB file would cost more than the reopen this cache is for; a file changed in place gets a
new size or mtime and so a new entry. An entry is built in a temporary folder and renamed into
place, so a crash mid-build leaves nothing half-written; an entry that cannot be read is removed
with a warning and built again.

Reopening maps the three files (no read, no copy): the numbers are numpy views of the map and
the texts Arrow strings in it, paged in only for the rows a page shows, encodes or exports.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.formats.columnar.build import DOCS_FILE, META_FILE, PAIRS_FILE, QUERIES_FILE
from analysis.model import NegativeSet, Skip

VERSION = 1
AREA = "columnar"
_FLOATS = ("score", "ce_score")


def cache_root() -> Path:
    """``$NEGLENS_CACHE_DIR/columnar`` (else ``~/.cache/neglens/columnar``)."""
    env = os.environ.get("NEGLENS_CACHE_DIR")
    return (Path(env).expanduser() if env else Path.home() / ".cache" / "neglens") / AREA


def entry_key(files: list[Path], *, format: str | None, options: dict) -> str:
    stamp = [(str(f.resolve()), (st := f.stat()).st_size, st.st_mtime_ns, st.st_ino, _ends(f))
             for f in files]
    text = json.dumps({"version": VERSION, "files": stamp, "format": format,
                       "options": {k: str(v) for k, v in sorted(options.items())}})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _ends(path: Path, size: int = 1 << 20) -> str:
    """sha256 of a file's first and last MiB: a rewrite within one mtime tick still shows."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        digest.update(handle.read(size))
        handle.seek(max(0, path.stat().st_size - size))
        digest.update(handle.read(size))
    return digest.hexdigest()


def new_folder(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".building-", dir=root))


def publish(folder: Path, target: Path) -> Path:
    """Rename a finished temporary folder into place (another process may have won)."""
    try:
        os.rename(folder, target)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
    return target


def write_pairs(folder: Path, columns: dict[str, np.ndarray], *, sources: list[str], info: dict) -> None:
    """pairs.arrow and meta.json (``columns``: qid, did, label, source, rank, score, ...)."""
    import pyarrow as pa

    arrays = {name: pa.array(np.ascontiguousarray(values)) for name, values in columns.items()}
    table = pa.table(arrays)
    with pa.OSFile(str(folder / PAIRS_FILE), "wb") as sink, \
            pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=max(1, table.num_rows))
    (folder / META_FILE).write_text(json.dumps({**info, "sources": sources}, ensure_ascii=False))


TEXT_SCHEMA = (("id", "large_string"), ("text", "large_string"))


def write_texts(path: Path, ids, texts) -> None:
    """One text store: (id, text) as one record batch (a take from one chunk reads only the rows
    taken; from many chunks Arrow first copies them all into one)."""
    import pyarrow as pa

    schema = pa.schema([(name, getattr(pa, kind)()) for name, kind in TEXT_SCHEMA])
    table = pa.table([pa.array(ids).cast(pa.large_string()), pa.array(texts).cast(pa.large_string())],
                     schema=schema).combine_chunks()
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        writer.write_table(table, max_chunksize=max(1, table.num_rows))


def compact_texts(path: Path) -> None:
    """Rewrite a text store written batch by batch as one record batch (see ``write_texts``)."""
    import pyarrow as pa

    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
        if table.column("id").num_chunks <= 1:
            return
        ids, texts = table.column("id").combine_chunks(), table.column("text").combine_chunks()
    del table
    partial = path.with_suffix(".compacting")
    write_texts(partial, ids, texts)
    os.replace(partial, path)


def from_set(nset: NegativeSet, folder: Path) -> bool:
    """Write an already loaded set as an entry; False when it holds a column the entry cannot
    (an extra non-float column), so the caller keeps the set as it is."""
    pairs = nset.pairs
    extra = [c for c in pairs.columns if c not in ("qid", "did", "label", "source", "rank", *_FLOATS)]
    if extra or len(pairs["source"].cat.categories) > 127:
        return False
    write_texts(folder / QUERIES_FILE, nset.queries["qid"].array, nset.queries["text"].array)
    write_texts(folder / DOCS_FILE, nset.docs["did"].array, nset.docs["text"].array)
    columns = {"qid": pairs["qid"].cat.codes.to_numpy().astype(np.int32),
               "did": pairs["did"].cat.codes.to_numpy().astype(np.int32),
               "label": pairs["label"].to_numpy(np.int8),
               "source": pairs["source"].cat.codes.to_numpy().astype(np.int8),
               "rank": pairs["rank"].to_numpy(np.int32)}
    for name in _FLOATS:
        if name in pairs:
            columns[name] = pairs[name].to_numpy(np.float32)
    try:
        info = _info(nset)
        json.dumps(info)
    except (TypeError, ValueError):
        return False
    write_pairs(folder, columns, sources=[str(s) for s in pairs["source"].cat.categories], info=info)
    return True


def _info(nset: NegativeSet) -> dict:
    return {"format": nset.format, "skipped": [s.as_dict() for s in nset.skipped], "meta": nset.meta}


def open_entry(folder: Path) -> NegativeSet | None:
    """The set an entry holds, memory-mapped; None (entry removed, warning) when unreadable."""
    try:
        return _open(folder)
    except Exception as exc:      # a torn or foreign entry: rebuild rather than fail
        warnings.warn(f"columnar cache entry {folder} is unreadable ({exc}); building it again")
        shutil.rmtree(folder, ignore_errors=True)
        return None


def _open(folder: Path) -> NegativeSet:
    import pyarrow as pa

    info = json.loads((folder / META_FILE).read_text())
    tables = {}
    for name in (PAIRS_FILE, QUERIES_FILE, DOCS_FILE):
        tables[name] = pa.ipc.open_file(pa.memory_map(str(folder / name))).read_all()
    pairs_t = tables[PAIRS_FILE]
    qids, dids = (_strings(tables[n].column("id")) for n in (QUERIES_FILE, DOCS_FILE))
    column = {name: _numpy(pairs_t.column(name)) for name in pairs_t.column_names}
    pairs = pd.DataFrame({
        "qid": _coded(column.pop("qid"), qids), "did": _coded(column.pop("did"), dids),
        "label": column.pop("label"),
        "source": _coded(column.pop("source"), _strings(pa.chunked_array(
            [pa.array(info["sources"], pa.string())]))),
        "rank": column.pop("rank"), **column}, copy=False)     # no consolidating copy
    nset = object.__new__(NegativeSet)      # checked when the entry was written
    nset.queries = pd.DataFrame({"qid": qids, "text": _strings(tables[QUERIES_FILE].column("text"))},
                                copy=False)
    nset.docs = pd.DataFrame({"did": dids, "text": _strings(tables[DOCS_FILE].column("text"))},
                             copy=False)
    nset.pairs, nset.format = pairs, info["format"]
    nset.skipped = [Skip(s["file"], s["line"], s["reason"]) for s in info["skipped"]]
    nset.meta = {**info["meta"], "columnar_cache": str(folder)}
    nset.columnar_entry = str(folder)   # on this object only: sets derived from it do not inherit it
    return nset


def save_derived(folder, name: str, pairs: pd.DataFrame) -> None:
    """Pairs derived from an entry's set (its file candidates), kept beside it as
    ``<name>.arrow``: codes over the set's own categories, written atomically."""
    import pyarrow as pa

    columns = {"qid": pairs["qid"].cat.codes.to_numpy(), "did": pairs["did"].cat.codes.to_numpy(),
               "label": pairs["label"].to_numpy(), "source": pairs["source"].cat.codes.to_numpy(),
               "rank": pairs["rank"].to_numpy()}
    columns.update({c: pairs[c].to_numpy() for c in _FLOATS if c in pairs})
    table = pa.table({k: pa.array(np.ascontiguousarray(v)) for k, v in columns.items()})
    sources = json.dumps([str(c) for c in pairs["source"].cat.categories])
    table = table.replace_schema_metadata({"sources": sources})
    partial = Path(folder) / f".{name}.arrow.partial"
    with pa.OSFile(str(partial), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=max(1, table.num_rows))
    os.replace(partial, Path(folder) / f"{name}.arrow")


def open_derived(nset: NegativeSet, folder, name: str) -> pd.DataFrame | None:
    """The pairs ``save_derived`` kept for ``nset``'s entry, memory-mapped; None when absent
    or unreadable (the caller computes them again)."""
    import pyarrow as pa

    path = Path(folder) / f"{name}.arrow"
    if not path.is_file():
        return None
    try:
        table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
        sources = json.loads(table.schema.metadata[b"sources"])
        column = {c: _numpy(table.column(c)) for c in table.column_names}
        return pd.DataFrame({
            "qid": pd.Categorical.from_codes(column.pop("qid"), dtype=nset.pairs["qid"].dtype,
                                             validate=False),
            "did": pd.Categorical.from_codes(column.pop("did"), dtype=nset.pairs["did"].dtype,
                                             validate=False),
            "label": column.pop("label"),
            "source": pd.Categorical.from_codes(column.pop("source"), categories=sources),
            "rank": column.pop("rank"), **column}, copy=False)
    except Exception as exc:      # torn: compute again
        warnings.warn(f"{path} is unreadable ({exc}); computing it again")
        return None


def _numpy(column) -> np.ndarray:
    chunk = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    return chunk.to_numpy(zero_copy_only=False)


def _strings(column) -> pd.arrays.ArrowStringArray:
    import pyarrow as pa

    if column.type not in (pa.string(), pa.large_string()):
        column = column.cast(pa.large_string())
    return pd.arrays.ArrowStringArray(column)


def _coded(codes: np.ndarray, categories: pd.arrays.ArrowStringArray) -> pd.Categorical:
    """A categorical over ``categories`` from its codes without hashing the categories (they
    are unique by construction): ~seconds saved on ten million ids."""
    index = pd.Index(categories)
    fast = getattr(pd.CategoricalDtype, "_from_fastpath", None)
    dtype = fast(index, False) if fast else pd.CategoricalDtype(index)
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
