"""A folder of single-file inputs (e.g. FlagEmbedding's folder of JSONL files) as one set.

Rules: every regular, non-hidden file directly in the folder is looked at (subfolders are
not entered). Without ``format=``, each file's format is detected and the format most files
share is used (ties: the higher-priority format); with ``format=``, every file is tried with
that format. Files that are not used are listed with the reason in ``meta["files"]``, beside
the files used. Each file's pairs keep the file's name as ``source``; queries and documents
with the same id (the same text, for id-less formats) are shared.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from analysis.formats._registry import Format, detects, formats
from analysis.model import DataError, NegativeSet


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _file_format(path: Path) -> str | None:
    if path.stat().st_size == 0:
        return None
    for fmt in formats().values():
        if fmt.files and detects(fmt, path):
            return fmt.name
    return None


def _why_not(path: Path, chosen: str) -> str:
    if path.is_dir():
        return "a subfolder (load it on its own)"
    if not path.is_file():
        return "not a regular file"
    if path.stat().st_size == 0:
        return "empty (0 bytes)"
    found = _file_format(path)
    return f"format {found}, not {chosen}" if found else "no known format"


def folder_format(folder: Path) -> str:
    """The format most files of ``folder`` share; DataError listing what was seen otherwise."""
    counts = Counter(f for p in _entries(folder) if p.is_file() and (f := _file_format(p)))
    if not counts:
        seen = ", ".join(p.name + ("/" if p.is_dir() else "") for p in _entries(folder)) or "nothing"
        raise DataError(f"no known format matches this folder or any file in it. Looked at: "
                        f"{seen}. Formats tried: {', '.join(formats())}", file=str(folder))
    order = list(formats())
    return max(counts, key=lambda name: (counts[name], -order.index(name)))


def load_folder(folder: Path, fmt: Format, options: dict, *, forced: bool) -> NegativeSet:
    """Load every file of ``folder`` that is in ``fmt`` and merge them into one set."""
    sets, used, ignored = [], [], []
    for path in _entries(folder):
        found = _file_format(path) if path.is_file() else None
        if found == fmt.name or (forced and found is None and path.is_file()
                                 and path.stat().st_size > 0):
            try:
                sets.append(fmt.load(path, **options))
                used.append(path.name)
                continue
            except DataError as exc:
                ignored.append({"file": path.name, "reason": str(exc)})
                continue
        ignored.append({"file": path.name, "reason": _why_not(path, fmt.name)})
    if not sets:
        detail = "; ".join(f"{i['file']}: {i['reason']}" for i in ignored) or "the folder is empty"
        raise DataError(f"no file here could be read as {fmt.name}: {detail}", file=str(folder))
    merged = merge_sets(sets, fallback_format=fmt.name)
    merged.meta["files"] = {"used": used, "ignored": ignored}
    return merged


def merge_sets(sets: list[NegativeSet], *, fallback_format: str) -> NegativeSet:
    """One set from several with distinct sources; shared ids keep their first text."""
    warnings = [w for s in sets for w in s.meta.get("warnings", [])]
    queries = _union([s.queries for s in sets], "qid", "query", warnings)
    docs = _union([s.docs for s in sets], "did", "document", warnings)
    pairs = pd.concat([s.pairs.astype({"qid": str, "did": str, "source": str}) for s in sets],
                      ignore_index=True)
    meta: dict = {}
    for s in sets:
        for key, value in s.meta.items():
            if isinstance(value, dict):
                meta.setdefault(key, {}).update(value)
            elif key not in meta and key != "warnings":
                meta[key] = value
    meta["warnings"] = warnings
    variants = {s.format for s in sets}
    fmt = variants.pop() if len(variants) == 1 else fallback_format
    return NegativeSet(queries, docs, pairs, format=fmt,
                       skipped=[k for s in sets for k in s.skipped], meta=meta)


def _union(tables: list[pd.DataFrame], key: str, kind: str, warnings: list) -> pd.DataFrame:
    table = pd.concat([t.astype({key: str, "text": str}) for t in tables], ignore_index=True)
    first = table.drop_duplicates(key)
    clash = table.merge(first, on=key, suffixes=("", "_first"))
    clash = clash[clash["text"] != clash["text_first"]]
    for ident in clash[key].unique()[:20]:
        warnings.append({"file": None, "line": None,
                         "reason": f"{kind} id {ident!r} has different texts in two files; "
                                   "the first is kept"})
    return first.reset_index(drop=True)
