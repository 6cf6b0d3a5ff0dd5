"""Detection and the ``load`` / ``write`` dispatch over the registered formats.

``load`` detects the format unless one is forced, checks the options against the loader's
signature, and loads a folder of single-file inputs through ``_folder``; ``write`` refuses a
format without a writer, naming the writable ones.
"""

from __future__ import annotations

import csv
import lzma
import zlib
from pathlib import Path

from analysis.formats._folder import folder_format, load_folder
from analysis.formats._read import suggestion
from analysis.formats._registry import check_options, detects, formats, resolve
from analysis.formats._tables import peek_columns, table_kind
from analysis.model import DataError, NegativeSet

# Errors a reading library raises on bad bytes; a loader's own bugs (TypeError, KeyError...) are
# not among them, so they still surface.
UNREADABLE = (OSError, ValueError, EOFError, OverflowError, RecursionError, lzma.LZMAError,
              zlib.error, csv.Error)


def detect_format(path) -> str:
    """The name of the format of a file or folder; DataError saying what was looked at."""
    path = Path(path)
    if not path.exists():
        raise DataError("no such file or folder", file=str(path))
    if path.is_file() and path.stat().st_size == 0:
        raise DataError("the file is empty (0 bytes)", file=str(path), line=1)
    for fmt in formats().values():
        if detects(fmt, path):
            return fmt.name
    if path.is_dir():
        if table_kind(path) == "dataset":
            peek_columns(path)  # a datasets folder that no format took: say what is wrong in it
        return folder_format(path)
    raise DataError(f"no known format matches. {describe(path)}", file=str(path))


def describe(path: Path) -> str:
    """What detection looked at in a file, with the closest format's missing fields."""
    size = path.stat().st_size
    try:
        columns = peek_columns(path)
    except (ValueError, OSError) as exc:
        return f"Looked at: {size} bytes, suffix {path.suffix or '(none)'!r}; {str(exc).strip()}"
    seen = (f"Looked at: {size} bytes, suffix {path.suffix or '(none)'!r}, "
            f"first record's fields {columns}.")
    best, best_hits = None, 0
    for fmt in formats().values():
        hits = sum(1 for f in fmt.fields if f in columns or suggestion(f, columns))
        if fmt.fields and hits > best_hits:
            best, best_hits = fmt, hits
    tried = ", ".join(formats())
    if best is None:
        return f"{seen} Formats tried: {tried}."
    missing = [f'"{f}"{suggestion(f, columns)}' for f in best.fields if f not in columns]
    return (f"{seen} Closest: {best.name}, which needs {list(best.fields)}; missing "
            f"{', '.join(missing)}. Formats tried: {tried}; pass format=... to force one.")


def load(path, *, format: str | None = None, **options) -> NegativeSet:
    """Load a file or folder into a NegativeSet (``format`` overrides detection)."""
    path = Path(path)
    if not path.exists():
        raise DataError("no such file or folder", file=str(path))
    name = format if format is not None else detect_format(path)
    fmt, implied = resolve(name)
    options = {**implied, **options}
    check_options(fmt.load, options, f"the {fmt.name} loader")
    if path.is_dir() and fmt.files and not detects(fmt, path):
        return load_folder(path, fmt, options, forced=format is not None)
    if path.is_file() and path.stat().st_size == 0:
        raise DataError("the file is empty (0 bytes)", file=str(path), line=1)
    try:
        return fmt.load(path, **options)
    except DataError:
        raise
    except Exception as exc:  # a library's own read error (pyarrow on a corrupt Parquet file)
        if not isinstance(exc, UNREADABLE) and not type(exc).__module__.startswith("pyarrow"):
            raise
        raise DataError(f"cannot be read as {fmt.name}: {type(exc).__name__}: "
                        f"{str(exc).strip()[:300]}", file=str(path)) from None


def write(nset: NegativeSet, path, *, format: str, **options) -> Path:
    """Write ``nset`` in a format that has a writer; returns the path written."""
    if not isinstance(nset, NegativeSet):
        raise DataError(f"write needs a NegativeSet, got {type(nset).__name__}")
    fmt, implied = resolve(format)
    if fmt.write is None:
        writable = [f.name for f in formats().values() if f.write is not None]
        raise DataError(f"format {fmt.name!r} has no writer; writable formats: "
                        f"{', '.join(writable)}", field="format")
    options = {**implied, **options}
    check_options(fmt.write, options, f"the {fmt.name} writer")
    return fmt.write(nset, Path(path), **options)
