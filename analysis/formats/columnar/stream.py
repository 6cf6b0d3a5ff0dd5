"""Which inputs stream into the columnar cache, and the streaming build itself.

Streamed: a file that ``analysis.formats.load`` reads as a sentence-transformers triplet or
n-tuple table (Parquet, JSON Lines, CSV; detected, or forced with ``format=`` and an optional
``layout``), no other option. The result is the set ``sbert.load`` builds: ``text_id`` ids,
queries and documents in order of first appearance, pairs in row order with repeats merged,
the same skipped rows (file, line, reason) and warnings, source = the file's name.
"""

from __future__ import annotations

import numpy as np

import analysis.formats.columnar.store as store
from analysis.formats.columnar.build import DOCS_FILE, QUERIES_FILE, PairBuilder
from analysis.formats.columnar.sources import parquet_batches, row_batches, width_of
from analysis.model import Skip

STREAMED = ("triplet", "n-tuple")


def stream_layout(path, format: str | None, options: dict) -> str | None:
    """The layout to stream ``path`` as, or None when its own reader must load it."""
    from analysis.formats import detect_format
    from analysis.formats._registry import resolve
    from analysis.formats._tables import peek_columns, table_kind
    from analysis.formats.sbert import layout_of

    if not path.is_file() or table_kind(path) not in ("parquet", "jsonl", "csv"):
        return None
    fmt, implied = resolve(format if format is not None else detect_format(path))
    options = {**implied, **options}
    if fmt.name != "sentence-transformers" or set(options) - {"layout"}:
        return None
    try:
        found = layout_of(peek_columns(path))
    except ValueError:
        return None
    if found not in STREAMED or options.get("layout", found) != found:
        return None
    return found


def stream_sbert(path, folder, layout: str) -> None:
    """Read ``path`` batch by batch into the entry ``folder`` (see the module docstring)."""
    from analysis.formats._tables import peek_columns, table_kind
    from analysis.formats.sbert import load as row_load

    columns = peek_columns(path)
    skipped: list[Skip] = []

    def on_skip(line, error) -> None:
        skipped.append(Skip(str(path), line, error.describe()))

    builder = PairBuilder(folder, file=str(path), width=width_of(columns, layout))
    if table_kind(path) == "parquet":
        batches = parquet_batches(path, columns, layout, on_skip)
    else:
        batches = row_batches(path, layout, on_skip)
    for lines, anchors, docs, scores in batches:
        builder.add(lines, anchors, docs, scores)
    if not builder.num_rows:
        builder.queries.close()
        builder.docs.close()
        row_load(path)            # nothing usable: the row reader raises the located error
        raise AssertionError("the row reader read what the batches could not")
    pairs, warnings = builder.finish()
    pairs["source"] = np.zeros(len(pairs["qid"]), dtype=np.int8)
    info = {"format": f"sentence-transformers/{layout}", "skipped": [s.as_dict() for s in skipped],
            "meta": {"layout": layout, "warnings": warnings}}
    order = ("qid", "did", "label", "source", "rank", "score")
    store.write_pairs(folder, {name: pairs[name] for name in order}, sources=[path.name], info=info)
    del pairs
    for name in (QUERIES_FILE, DOCS_FILE):
        store.compact_texts(folder / name)
