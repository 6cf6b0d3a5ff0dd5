"""The format registry: discovery, detection, and the ``load`` / ``write`` dispatch.

A format module is any module of this package whose name does not start with ``_`` and
that defines ``FORMAT = Format(...)``. Modules are found with ``pkgutil`` the first time a
format is needed, so adding a format never edits this file.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from analysis.model import DataError, NegativeSet


@dataclass(frozen=True)
class Format:
    """One file format.

    name      the name users pass as ``format=`` / ``--format`` (``NAME/VARIANT`` passes
              ``layout=VARIANT`` to ``load`` and ``write``)
    detect    ``detect(path) -> bool``: cheap test on a file or folder; must not raise
    load      ``load(path, **options) -> NegativeSet``
    write     ``write(nset, path, **options) -> Path``, or None for read-only formats
    priority  higher is tried first when several formats could match
    fields    the field names a record of this format carries; used to suggest fixes
              ("did you mean ...") when detection finds nothing
    files     True when one file is a complete input, so a folder of such files can be
              loaded as one set (one ``source`` per file)
    """

    name: str
    detect: Callable[[Path], bool]
    load: Callable[..., NegativeSet]
    write: Callable[..., Path] | None = None
    priority: int = 0
    fields: tuple[str, ...] = ()
    files: bool = True


@cache
def formats() -> dict[str, Format]:
    """Every registered format by name, highest priority first."""
    import analysis.formats as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        fmt = getattr(module, "FORMAT", None)
        if isinstance(fmt, Format):
            found.append(fmt)
    found.sort(key=lambda f: (-f.priority, f.name))
    return {f.name: f for f in found}


def resolve(name: str) -> tuple[Format, dict]:
    """The Format for ``name`` and the options its variant implies (``layout``)."""
    base, _, variant = str(name).partition("/")
    known = formats()
    if base not in known:
        from analysis.formats._read import suggestion

        raise DataError(f"unknown format {name!r}{suggestion(base, known)}; known formats: "
                        f"{', '.join(known)}", field="format")
    return known[base], ({"layout": variant} if variant else {})


def detects(fmt: Format, path: Path) -> bool:
    """``fmt.detect(path)``, treating a detector's read error as 'no'."""
    try:
        return bool(fmt.detect(path))
    except (ValueError, OSError):
        return False


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
        from analysis.formats._folder import folder_format

        return folder_format(path)
    raise DataError(f"no known format matches. {describe(path)}", file=str(path))


def describe(path: Path) -> str:
    """What detection looked at in a file, with the closest format's missing fields."""
    from analysis.formats._read import suggestion
    from analysis.formats._tables import peek_columns

    size = path.stat().st_size
    try:
        columns = peek_columns(path)
    except (ValueError, OSError) as exc:
        return f"Looked at: {size} bytes, suffix {path.suffix or '(none)'!r}; {exc}"
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
    _check_options(fmt.load, options, f"the {fmt.name} loader")
    if path.is_dir() and fmt.files and not detects(fmt, path):
        from analysis.formats._folder import load_folder

        return load_folder(path, fmt, options, forced=format is not None)
    if path.is_file() and path.stat().st_size == 0:
        raise DataError("the file is empty (0 bytes)", file=str(path), line=1)
    return fmt.load(path, **options)


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
    _check_options(fmt.write, options, f"the {fmt.name} writer")
    return fmt.write(nset, Path(path), **options)


def _check_options(func: Callable, options: dict, what: str) -> None:
    """DataError naming an option ``func`` does not take (instead of a TypeError)."""
    params = inspect.signature(func).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    known = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
    for name in options:
        if name not in known:
            from analysis.formats._read import suggestion

            raise DataError(f"{what} has no option {name!r}{suggestion(name, known)}; its "
                            f"options: {', '.join(known) or 'none'}", field=name)
