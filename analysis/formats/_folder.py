"""A folder of single-file inputs (e.g. FlagEmbedding's folder of JSONL files) as one set.

Rules: every regular, non-hidden file directly in the folder whose name ends like a data file
(``.jsonl``, ``.json``, ``.csv``, ``.parquet``, ``.pq``, each optionally compressed) is a
candidate; others are listed as ignored by their name, unopened, and subfolders are not
entered. Detection opens at most ``MAX_DETECT`` candidates (a few bytes each) and a folder of
more than ``MAX_FILES`` candidates is refused with the reason, so a folder of 10,000 files is
answered in seconds. Without ``format=``, each file's format is detected and the format most files
share is used (ties: the higher-priority format); with ``format=``, every file is tried with
that format. Files that are not used are listed with the reason in ``meta["files"]``, beside
the files used. Each file's pairs keep the file's name as ``source``; queries and documents
with the same id (the same text, for id-less formats) are shared.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pandas as pd

from analysis.formats._open import plain_suffix
from analysis.formats._registry import Format, detects, formats
from analysis.model import DataError, NegativeSet

# What a file format's name can end with (compressed or not); any other file is passed over
# by its name, without opening it, so a folder of 10,000 unrelated files answers at once.
DATA_SUFFIXES = (".jsonl", ".json", ".csv", ".parquet", ".pq")
MAX_DETECT = 64        # files opened (a few bytes each) to tell a folder's format
MAX_FILES = 256        # data files loaded from one folder (each is one source)
MAX_LISTED = 20        # names listed in an error or per reason in meta["files"]["ignored"]


def _entries(folder: Path) -> list[Path]:
    with os.scandir(folder) as found:
        return sorted(Path(e.path) for e in found if not e.name.startswith("."))


def is_data_name(path: Path) -> bool:
    return plain_suffix(path) in DATA_SUFFIXES


def _candidates(entries: list[Path]) -> list[Path]:
    return [p for p in entries if is_data_name(p) and p.is_file()]


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
    if not is_data_name(path):
        return f"not a data file by its name (data files end {', '.join(DATA_SUFFIXES)})"
    if path.stat().st_size == 0:
        return "empty (0 bytes)"
    found = _file_format(path)
    return f"format {found}, not {chosen}" if found else "no known format"


def _names(paths: list[Path]) -> str:
    shown = ", ".join(p.name + ("/" if p.is_dir() else "") for p in paths[:MAX_LISTED])
    more = len(paths) - MAX_LISTED
    return (shown or "nothing") + (f" and {more:,} more" if more > 0 else "")


def folder_format(folder: Path) -> str:
    """The format most of the first ``MAX_DETECT`` data files of ``folder`` share (told by their
    names, then a few bytes each); DataError saying what was seen otherwise."""
    entries = _entries(folder)
    candidates = _candidates(entries)
    counts = Counter(f for p in candidates[:MAX_DETECT] if (f := _file_format(p)))
    if not counts:
        looked = (f"; looked inside the first {min(len(candidates), MAX_DETECT)} of "
                  f"{len(candidates):,} data files" if candidates else "")
        raise DataError(f"no known format matches this folder or any file in it. Looked at "
                        f"{len(entries):,} entries: {_names(entries)}{looked}. Data files end "
                        f"{', '.join(DATA_SUFFIXES)} (optionally .gz/.bz2/.xz/.zst). Formats "
                        f"tried: {', '.join(formats())}", file=str(folder))
    order = list(formats())
    return max(counts, key=lambda name: (counts[name], -order.index(name)))


def load_folder(folder: Path, fmt: Format, options: dict, *, forced: bool) -> NegativeSet:
    """Load every file of ``folder`` that is in ``fmt`` and merge them into one set."""
    entries = _entries(folder)
    candidates = _candidates(entries)
    if len(candidates) > MAX_FILES:
        raise DataError(f"the folder holds {len(candidates):,} data files ({_names(candidates)}); "
                        f"NegLens loads at most {MAX_FILES} files from one folder, each as its "
                        "own source. Join them into one file (JSON Lines: cat the files into "
                        "one .jsonl) or load a smaller folder", file=str(folder))
    sets, used, ignored = [], [], []
    chosen = set(candidates)
    for path in entries:
        found = _file_format(path) if path in chosen else None
        if found == fmt.name or (forced and found is None and path in chosen
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
        detail = "; ".join(f"{i['file']}: {i['reason']}" for i in ignored[:MAX_LISTED]) \
            or "the folder is empty"
        raise DataError(f"no file here could be read as {fmt.name}: {detail}", file=str(folder))
    merged = merge_sets(sets, fallback_format=fmt.name)
    merged.meta["files"] = {"used": used, "ignored": _summarised(ignored)}
    return merged


def _summarised(ignored: list[dict]) -> list[dict]:
    """At most ``MAX_LISTED`` files per reason, then one entry counting the rest."""
    by_reason: dict[str, list[dict]] = {}
    for item in ignored:
        by_reason.setdefault(item["reason"], []).append(item)
    out = []
    for reason, items in by_reason.items():
        out += items[:MAX_LISTED]
        if len(items) > MAX_LISTED:
            out.append({"file": f"{len(items) - MAX_LISTED:,} more files", "reason": reason})
    return out


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
