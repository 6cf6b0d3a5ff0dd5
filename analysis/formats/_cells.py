"""List values stored in one CSV cell, as the tools that write them spell them.

A CSV cell holding a list (sentence-transformers' ``scores``, ``labels`` or a labeled-list
document column) is read by the first rule that applies:

1. JSON, e.g. ``["a", "b"]`` or ``[0.5, 0.25]`` (what NegLens writes);
2. a Python literal, e.g. ``['a', "b's"]`` (``str(list)``);
3. a numpy array repr, e.g. ``['a' 'b']`` or ``[0.5  0.25]``: what ``datasets.Dataset.to_csv``
   writes, since it goes through pandas. Numpy shortens arrays of more than 1000 items with
   ``...``; such a cell cannot be read back and is reported.
"""

from __future__ import annotations

import ast
import io
import json
import tokenize

from analysis.formats._errors import RowError


def parse_list_cell(cell: str, field: str) -> list:
    """The list a CSV cell holds, or RowError saying why it could not be read."""
    text = cell.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise RowError(field, f"expected a list in brackets, got text {cell[:30]!r}")
    try:
        value = json.loads(text)
        if isinstance(value, list):
            return value
    except json.JSONDecodeError:
        pass
    inner = text[1:-1].replace("\n", " ").strip()  # a repr escapes newlines inside items
    strings = _string_tokens(inner)
    if strings is not None:  # numpy: 'a' 'b' with no commas (Python would glue them into one)
        return [ast.literal_eval(s) for s in strings]
    try:
        value = ast.literal_eval(text)
        if isinstance(value, list):
            return value
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        pass
    parts = inner.split()
    if "..." in parts:
        raise RowError(field, "the list was shortened with '...' when the CSV was written; "
                              "write the file as JSONL or Parquet instead")
    try:
        return [float(p) for p in parts]
    except ValueError:
        raise RowError(field, f"cannot read a list from {text[:40]!r}") from None


def _string_tokens(inner: str) -> list[str] | None:
    """The string literals of ``inner`` when it holds nothing else, else None."""
    skip = (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT)
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(inner).readline)
                  if t.type not in skip]
    except (tokenize.TokenError, SyntaxError):
        return None
    if tokens and all(t.type == tokenize.STRING for t in tokens):
        return [t.string for t in tokens]
    return None
