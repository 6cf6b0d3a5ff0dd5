"""The format registry: what a format is, and discovery of the format modules.

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

from analysis.formats._read import suggestion
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
    package = __name__.rpartition(".")[0]
    found = []
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.{info.name}")
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
        raise DataError(f"unknown format {name!r}{suggestion(base, known)}; known formats: "
                        f"{', '.join(known)}", field="format")
    return known[base], ({"layout": variant} if variant else {})


def detects(fmt: Format, path: Path) -> bool:
    """``fmt.detect(path)``, treating a detector's read error as 'no'."""
    try:
        return bool(fmt.detect(path))
    except (ValueError, OSError):
        return False


def check_options(func: Callable, options: dict, what: str) -> None:
    """DataError naming an option ``func`` does not take (instead of a TypeError)."""
    params = inspect.signature(func).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    known = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
    for name in options:
        if name not in known:
                raise DataError(f"{what} has no option {name!r}{suggestion(name, known)}; its "
                            f"options: {', '.join(known) or 'none'}", field=name)
