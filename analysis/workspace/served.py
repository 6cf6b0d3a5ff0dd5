"""Served mode: a server started for a team reads only under its data root, and caps uploads.

Rules (DESIGN.md section 8):

- :func:`confine` resolves a typed or URL path (relative paths against the data root, ``~``
  expanded, symlinks followed) and refuses, with a DataError, any path that does not lie under
  one of the allowed roots (the data root, and the workspace's uploads). Nothing is read first.
- Uploads are refused above ``max_bytes`` (default :data:`DEFAULT_MAX_UPLOAD`, 2 GiB).
"""

from __future__ import annotations

import os
from pathlib import Path

from analysis.model import DataError

DEFAULT_MAX_UPLOAD = 2 << 30


def confine(path: str | os.PathLike, root: str | os.PathLike, *, also=()) -> Path:
    """``path`` resolved (relative to ``root``); DataError unless it lies under ``root`` or one
    of ``also``."""
    base = Path(root).expanduser().resolve()
    typed = Path(str(path)).expanduser()
    resolved = (typed if typed.is_absolute() else base / typed).resolve()
    for allowed in (base, *(Path(a).expanduser().resolve() for a in also)):
        if resolved == allowed or allowed in resolved.parents:
            return resolved
    raise DataError(f"{str(path)!r} is outside the data root {base}; nothing was read",
                    field="data")


def check_upload_size(size: int, max_bytes: int = DEFAULT_MAX_UPLOAD) -> None:
    """DataError when an upload of ``size`` bytes is over the cap."""
    if size > max_bytes:
        raise DataError(f"the upload is {size / 2**20:,.1f} MiB, over the limit of "
                        f"{max_bytes / 2**20:,.0f} MiB", field="upload")
