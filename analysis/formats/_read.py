"""Reading primitives shared by the format modules: located errors, JSON Lines, field checks.

Rules every loader follows through these helpers:

- Line numbers are 1-based physical lines (JSONL, TSV, SMART), the line a record starts on
  (CSV), or the row number (Parquet, ``datasets`` folders).
- A row that cannot be read raises ``RowError(field, reason)`` inside the loader's loop; the
  loop turns it into a ``Skip`` and goes on. Blank lines carry no data and are passed over.
- Bytes that are not UTF-8 make that line a skip naming the byte and its column; a UTF-8
  byte-order mark at the start of a file is accepted.
- A missing field suggests the closest name present in the row (``difflib``).
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterator
from pathlib import Path

from analysis.formats._cells import parse_list_cell
from analysis.formats._errors import RowError
from analysis.formats._open import open_bytes
from analysis.model import DataError


def check_file(path: Path) -> None:
    """Raise DataError unless ``path`` is an existing, non-empty regular file."""
    if not path.exists():
        raise DataError("no such file or folder", file=str(path))
    if not path.is_file():
        raise DataError("expected a file, found a folder", file=str(path))
    if path.stat().st_size == 0:
        raise DataError("the file is empty (0 bytes)", file=str(path), line=1)


def decode_line(raw: bytes, lineno: int) -> str:
    """UTF-8 text of one line; RowError naming the first bad byte and its column otherwise."""
    if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start]
        raise RowError(None, f"not valid UTF-8: byte 0x{bad:02x} at column {exc.start + 1}") from None


def iter_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, raw bytes without the line break) for every line of a file, decompressed
    as it streams when the file is compressed (``_open``); corrupt compressed data is a
    DataError at the line where it begins."""
    lineno = 0
    with open_bytes(path) as handle:
        try:
            for lineno, raw in enumerate(handle, start=1):
                yield lineno, raw.rstrip(b"\r\n")
        except DataError as exc:
            raise DataError(exc.reason, file=exc.file, line=lineno + 1) from None


def iter_jsonl(path: Path, on_skip) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each JSON object line; ``on_skip(line, RowError)`` for bad ones."""
    for lineno, raw in iter_lines(path):
        if not raw.strip():
            continue
        try:
            text = decode_line(raw, lineno)
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise RowError(None, f"malformed JSON: {exc.msg} at column {exc.colno}") from None
            except RecursionError:
                raise RowError(None, "JSON nested too deeply to read") from None
            if not isinstance(obj, dict):
                raise RowError(None, f"expected a JSON object, got {type(obj).__name__}")
        except RowError as exc:
            on_skip(lineno, exc)
            continue
        yield lineno, obj


def first_json_object(path: Path, *, max_lines: int = 50) -> dict | None:
    """The first JSON object among the first lines of a file, or None (used by ``detect``)."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    for lineno, raw in iter_lines(path):
        if lineno > max_lines:
            break
        if not raw.strip():
            continue
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"not UTF-8 at line {lineno}, byte {exc.start + 1} "
                            f"(0x{raw[exc.start]:02x}); save the file as UTF-8",
                            file=str(path), line=lineno) from None
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            continue
        except RecursionError:
            raise DataError("JSON nested too deeply to read", file=str(path), line=lineno) from None
        if isinstance(obj, dict):
            return obj
    return None


# -- field checks: each raises RowError naming the field -------------------------------------
def get_field(row: dict, name: str):
    """``row[name]``, or RowError 'missing' with the closest present name as a suggestion."""
    if name in row:
        return row[name]
    raise RowError(name, "missing" + suggestion(name, row.keys()))


def suggestion(name: str, candidates) -> str:
    """' (did you mean "x"?)' for the closest candidate, or ''."""
    close = difflib.get_close_matches(name, [str(c) for c in candidates], n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def check_text(value, field: str) -> str:
    """A non-blank string (texts are kept verbatim: no stripping, no HTML handling)."""
    if not isinstance(value, str):
        raise RowError(field, f"expected text, got {_kind(value)}")
    if not value.strip():
        raise RowError(field, "empty text")
    return value


def check_text_list(value, field: str, *, allow_empty: bool = False) -> list[str]:
    """A list of non-blank strings."""
    value = _as_list(value, field)
    if not value and not allow_empty:
        raise RowError(field, "empty list")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise RowError(field, f"item {i + 1}: expected non-empty text, got {_kind(item)}")
    return value


FLOAT32_MAX = 3.4028234663852886e38  # scores are stored as float32: a larger one would be inf


def check_score(value, field: str) -> float:
    """A finite number within float32 range (numeric strings accepted, as CSV cells are
    strings). NaN, infinity, text that is no number and numbers too large to store are a
    RowError quoting the value: a skipped, reported row, never a NaN in the statistics."""
    if isinstance(value, bool):
        raise RowError(field, "expected a number, got a boolean")
    try:
        number = float(value)
    except OverflowError:  # an integer with hundreds of digits
        raise RowError(field, f"number {short_value(value)} is out of range") from None
    except (TypeError, ValueError):
        raise RowError(field, f"expected a number, got {_kind(value)}") from None
    if math.isnan(number):
        raise RowError(field, f"score is NaN (value {short_value(value)})")
    if math.isinf(number):
        raise RowError(field, f"score is infinite (value {short_value(value)})")
    if abs(number) > FLOAT32_MAX:
        raise RowError(field, f"number {short_value(value)} is out of range (scores are float32)")
    return number


def short_value(value) -> str:
    """``repr(value)``, shortened to 40 characters with its length when longer."""
    text = repr(value)
    if len(text) <= 40:
        return text
    size = f"{len(str(value))} digits" if isinstance(value, int) else f"{len(text)} characters"
    return f"{text[:30]}... ({size})"


def check_list(value, field: str, *, length: int, expected: str) -> list:
    """A list of ``length`` items; ``expected`` says what they belong to."""
    value = _as_list(value, field)
    if len(value) != length:
        raise RowError(field, f"has {len(value)} items, expected {length} ({expected})")
    return value


def check_scores(value, field: str, *, length: int, expected: str) -> list[float]:
    """A list of ``length`` finite numbers; ``expected`` says what they score. A bad item is
    named by its position (1-based)."""
    out = []
    for i, item in enumerate(check_list(value, field, length=length, expected=expected), 1):
        try:
            out.append(check_score(item, field))
        except RowError as exc:
            raise RowError(field, f"item {i}: {exc.reason}") from None
    return out


def check_label(value, field: str) -> int:
    """0 or 1 (booleans, 0.0/1.0 and their strings accepted)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError(field, f"expected label 0 or 1, got {_kind(value)}") from None
    if number not in (0.0, 1.0):
        raise RowError(field, f"expected label 0 or 1, got {value!r}")
    return int(number)


def _as_list(value, field: str) -> list:
    if isinstance(value, str):
        value = parse_list_cell(value, field)
    elif hasattr(value, "tolist") and not isinstance(value, list):
        value = value.tolist()
    if not isinstance(value, list):
        raise RowError(field, f"expected a list, got {_kind(value)}")
    return value


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "empty text" if not value.strip() else f"text {value[:30]!r}"
    return type(value).__name__
