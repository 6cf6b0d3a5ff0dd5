"""Column tables stored as JSON Lines, CSV, Parquet or a ``datasets`` ``save_to_disk`` folder.

The file type comes from the suffix (``.jsonl``/``.json``, ``.csv``, ``.parquet``); a folder
holding ``dataset_info.json`` (a ``Dataset``) or ``dataset_dict.json`` (a ``DatasetDict``, of
which option ``split`` picks one, default "train" or the only one) is a ``datasets`` folder.
Column order is the file's: JSON key order of the first object, CSV header, Parquet schema,
the dataset's features. CSV cells holding lists are read by ``_cells.parse_list_cell`` and
written as JSON. Parquet files whose schema metadata carries the key ``neglens`` are
NegLens's own files (pools) and are never read as plain tables here.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from analysis.formats._open import is_compressed_name, open_text, open_write, plain_suffix, read_head
from analysis.formats._read import RowError, first_json_object, iter_jsonl
from analysis.model import DataError

csv.field_size_limit(sys.maxsize)  # a CSV cell may hold a whole long passage (> 128 KiB)

SUFFIXES = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}
NEGLENS_KEY = b"neglens"


def table_kind(path: Path) -> str | None:
    """"jsonl", "csv", "parquet", "dataset", or None when ``path`` is no table."""
    if path.is_dir():
        has = {p.name for p in path.iterdir()}
        return "dataset" if {"dataset_info.json", "dataset_dict.json"} & has else None
    if not path.is_file():
        return None
    kind = SUFFIXES.get(plain_suffix(path))
    return None if kind == "parquet" and is_compressed_name(path) else kind


def is_neglens_parquet(path: Path) -> bool:
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    return NEGLENS_KEY in metadata


def peek_columns(path: Path) -> list[str]:
    """Column names in file order, read cheaply (no full load)."""
    kind = table_kind(path)
    if kind == "jsonl":
        first = first_json_object(path)
        if first is None:
            array = read_head(path, 4096).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")
            raise DataError("the file holds a JSON array; NegLens reads JSON Lines (one object "
                            "per line)" if array else "no JSON object in the first lines",
                            file=str(path))
        return list(first)
    if kind == "csv":
        with open_text(path, errors="replace", newline="") as handle:
            return next(csv.reader(handle), [])
    if kind == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    if kind == "dataset":
        info = path / "dataset_info.json"
        if not info.exists():
            splits = _json_file(path / "dataset_dict.json").get("splits") or [""]
            if not isinstance(splits, list) or not isinstance(splits[0], str):
                raise DataError(f"expected a list of split names, got {splits!r:.60}",
                                file=str(path / "dataset_dict.json"), field="splits")
            info = path / splits[0] / "dataset_info.json"
        features = _json_file(info).get("features")
        if not isinstance(features, dict):
            raise DataError("no features listed in dataset_info.json", file=str(info))
        return list(features)
    if is_compressed_name(path) and plain_suffix(path) == ".parquet":
        raise DataError("a compressed Parquet file: Parquet compresses its own columns; "
                        "decompress it first", file=str(path))
    raise DataError(f"not a table file (suffix {path.suffix or '(none)'!r}; tables are "
                    f"{', '.join(SUFFIXES)}, optionally .gz/.bz2/.xz/.zst, or a datasets "
                    "folder)", file=str(path))


def _json_file(path: Path) -> dict:
    """A JSON object file of a ``datasets`` folder; DataError when missing, bad or no object."""
    try:
        value = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise DataError("missing from the datasets folder", file=str(path)) from None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise DataError(f"not readable JSON: {exc}", file=str(path)) from None
    if not isinstance(value, dict):
        raise DataError(f"expected a JSON object, got a JSON {type(value).__name__}",
                        file=str(path))
    return value


def read_table(path: Path, on_skip, *, split: str | None = None
               ) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """(columns, iterator of (line or row number, row dict)); bad rows go to ``on_skip``."""
    kind = table_kind(path)
    if kind == "jsonl":
        return peek_columns(path), iter_jsonl(path, on_skip)
    if kind == "csv":
        return peek_columns(path), _iter_csv(path, on_skip)
    if kind == "parquet":
        import pyarrow.parquet as pq

        handle = pq.ParquetFile(path)
        return list(handle.schema_arrow.names), _iter_batches(handle.iter_batches(batch_size=4096))
    if kind == "dataset":
        dataset = _load_dataset(path, split)
        batches = dataset.with_format("arrow").iter(batch_size=4096)
        return list(dataset.column_names), _iter_batches(batches)
    peek_columns(path)  # raises the 'not a table' error
    raise AssertionError("unreachable")


def _iter_batches(batches) -> Iterator[tuple[int, dict]]:
    row = 0
    for batch in batches:
        names = batch.schema.names
        for values in zip(*(column.to_pylist() for column in batch.columns)):
            row += 1
            yield row, dict(zip(names, values))


def _iter_csv(path: Path, on_skip) -> Iterator[tuple[int, dict]]:
    with open_text(path, errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        header = _next_row(reader, path) or []
        end = reader.line_num
        while (cells := _next_row(reader, path)) is not None:
            start, end = end + 1, reader.line_num
            if not cells or not any(c.strip() for c in cells):
                continue
            try:
                for cell in cells:
                    bad = next((ch for ch in cell if "\udc80" <= ch <= "\udcff"), None)
                    if bad is not None:
                        raise RowError(None, f"not valid UTF-8: byte 0x{ord(bad) - 0xdc00:02x}")
                if len(cells) != len(header):
                    raise RowError(None, f"has {len(cells)} cells, the header has {len(header)}")
            except RowError as exc:
                on_skip(start, exc)
                continue
            yield start, dict(zip(header, cells))


def _next_row(reader, path: Path) -> list[str] | None:
    """The next CSV row, or None at the end; a CSV or decompression error is a DataError
    located at the line where the row starts."""
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as exc:
        raise DataError(f"the CSV cannot be read on: {exc}", file=str(path),
                        line=reader.line_num) from None
    except DataError as exc:
        raise DataError(exc.reason, file=exc.file, line=reader.line_num + 1) from None


def _load_dataset(path: Path, split: str | None):
    import datasets

    try:
        loaded = datasets.load_from_disk(str(path))
    except (OSError, ValueError, KeyError, TypeError) as exc:  # pyarrow's errors are these
        raise DataError(f"the datasets folder cannot be read: {_bad_shard(path)}"
                        f"{type(exc).__name__}: {str(exc)[:200]}", file=str(path)) from None
    if isinstance(loaded, datasets.DatasetDict):
        names = list(loaded)
        if split is None:
            split = "train" if "train" in names or len(names) != 1 else names[0]
        if split not in names:
            raise DataError(f"no split {split!r}; splits: {names}", file=str(path), field="split")
        loaded = loaded[split]
    return loaded


def _bad_shard(path: Path) -> str:
    """'file X is not a readable Arrow stream; ' for the first shard of ``path`` that is not."""
    import pyarrow as pa

    for shard in sorted(path.rglob("*.arrow")):
        try:
            with pa.memory_map(str(shard)) as source:
                pa.ipc.open_stream(source).read_all()
        except (OSError, ValueError, pa.ArrowException) as exc:
            return f"shard {shard} is not a readable Arrow stream ({str(exc)[:120]}); "
    return ""


def write_table(path: Path, columns: dict[str, list], *, hf_dataset: bool = False) -> Path:
    """Write equal-length columns; the type follows the suffix, a ``datasets`` folder when
    the suffix is empty or ``hf_dataset`` is set."""
    names = list(columns)
    rows = len(columns[names[0]]) if names else 0
    if hf_dataset or not path.suffix:
        import datasets

        datasets.Dataset.from_dict(columns).save_to_disk(str(path))
        return path
    kind = SUFFIXES.get(plain_suffix(path))
    if kind == "parquet" and is_compressed_name(path):
        kind = None
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "jsonl":
        write_jsonl(path, ({name: columns[name][i] for name in names} for i in range(rows)))
    elif kind == "csv":
        with open_write(path, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            for i in range(rows):
                writer.writerow([_cell(columns[name][i]) for name in names])
    elif kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pydict(columns), path)
    else:
        raise DataError(f"cannot write suffix {path.suffix!r}; use {', '.join(SUFFIXES)} (text "
                        "ones optionally + .gz/.bz2/.xz/.zst) or no suffix for a datasets folder",
                        file=str(path))
    return path


def write_jsonl(path: Path, rows) -> Path:
    """One JSON object per line, UTF-8 as is (no \\u escapes); NaN is refused."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_write(path) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")
    return path


def _cell(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value
