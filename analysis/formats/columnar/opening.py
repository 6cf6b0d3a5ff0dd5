"""Open an input through the columnar cache (see the package docstring)."""


from __future__ import annotations

import shutil
from pathlib import Path

import analysis.formats.columnar.store as store
from analysis.model import NegativeSet


def open_columnar(path, *, format: str | None = None, **options) -> NegativeSet:
    """``analysis.formats.load(path, format=..., **options)``, through the columnar cache."""
    from analysis.formats import load
    from analysis.formats.identity import data_files
    from analysis.formats.pool import detect as is_pool_file

    path = Path(path)
    if not path.exists() or (path.is_file() and is_pool_file(path)):
        return load(path, format=format, **options)
    root = store.cache_root()
    key = store.entry_key(data_files(path), format=format, options=options)
    target = root / key
    if (target / "meta.json").is_file():
        found = store.open_entry(target)
        if found is not None:
            return found
    try:
        folder = store.new_folder(root)
    except OSError:
        return load(path, format=format, **options)
    try:
        built = _build(path, folder, format, options)
        if built is not None:
            return built
        store.publish(folder, target)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return store.open_entry(target) or load(path, format=format, **options)


def _build(path: Path, folder: Path, format: str | None, options: dict) -> NegativeSet | None:
    """Fill ``folder``; a set returned instead means the input stays as its reader gave it."""
    from analysis.formats import load
    from analysis.formats.columnar.stream import stream_layout, stream_sbert

    layout = stream_layout(path, format, options)
    if layout is not None:
        stream_sbert(path, folder, layout)
        return None
    nset = load(path, format=format, **options)
    if not store.from_set(nset, folder):
        shutil.rmtree(folder, ignore_errors=True)
        return nset
    return None
