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
from collections.abc import Iterator
from pathlib import Path

from analysis.formats._read import RowError, first_json_object, iter_jsonl
from analysis.model import DataError

SUFFIXES = {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}
NEGLENS_KEY = b"neglens"


def table_kind(path: Path) -> str | None:
    """"jsonl", "csv", "parquet", "dataset", or None when ``path`` is no table."""
    if path.is_dir():
        has = {p.name for p in path.iterdir()}
        return "dataset" if {"dataset_info.json", "dataset_dict.json"} & has else None
    return SUFFIXES.get(path.suffix.lower()) if path.is_file() else None


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
            with open(path, "rb") as handle:
                array = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")
            raise DataError("the file holds a JSON array; NegLens reads JSON Lines (one object "
                            "per line)" if array else "no JSON object in the first lines",
                            file=str(path))
        return list(first)
    if kind == "csv":
        with open(path, encoding="utf-8", errors="replace", newline="") as handle:
            return next(csv.reader(handle), [])
    if kind == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    if kind == "dataset":
        info = path / "dataset_info.json"
        if not info.exists():
            splits = json.loads((path / "dataset_dict.json").read_text()).get("splits") or [""]
            info = path / splits[0] / "dataset_info.json"
        features = json.loads(info.read_text()).get("features")
        if not isinstance(features, dict):
            raise DataError("no features listed in dataset_info.json", file=str(info))
        return list(features)
    raise DataError(f"not a table file (suffix {path.suffix or '(none)'!r}; "
                    f"tables are {', '.join(SUFFIXES)} or a datasets folder)", file=str(path))


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
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        end = reader.line_num
        for cells in reader:
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


def _load_dataset(path: Path, split: str | None):
    import datasets

    loaded = datasets.load_from_disk(str(path))
    if isinstance(loaded, datasets.DatasetDict):
        names = list(loaded)
        if split is None:
            split = "train" if "train" in names or len(names) != 1 else names[0]
        if split not in names:
            raise DataError(f"no split {split!r}; splits: {names}", file=str(path), field="split")
        loaded = loaded[split]
    return loaded


def write_table(path: Path, columns: dict[str, list], *, hf_dataset: bool = False) -> Path:
    """Write equal-length columns; the type follows the suffix, a ``datasets`` folder when
    the suffix is empty or ``hf_dataset`` is set."""
    names = list(columns)
    rows = len(columns[names[0]]) if names else 0
    if hf_dataset or not path.suffix:
        import datasets

        datasets.Dataset.from_dict(columns).save_to_disk(str(path))
        return path
    kind = SUFFIXES.get(path.suffix.lower())
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "jsonl":
        write_jsonl(path, ({name: columns[name][i] for name in names} for i in range(rows)))
    elif kind == "csv":
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            for i in range(rows):
                writer.writerow([_cell(columns[name][i]) for name in names])
    elif kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pydict(columns), path)
    else:
        raise DataError(f"cannot write suffix {path.suffix!r}; use {', '.join(SUFFIXES)} or no "
                        "suffix for a datasets folder", file=str(path))
    return path


def write_jsonl(path: Path, rows) -> Path:
    """One JSON object per line, UTF-8 as is (no \\u escapes); NaN is refused."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")
    return path


def _cell(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value
