"""Served mode: the dataset the app starts on, the data root it may read inside, the upload cap.

Nothing here holds state: each call reads the command line (``-- --data``, ``--data-root``,
``--max-upload-mb``) and the matching ``NEGLENS_*`` variables, so a page can ask at any time.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from analysis import workspace as ws
from analysis.workspace.served import DEFAULT_MAX_UPLOAD, confine

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = "sample_data"


def startup_data() -> str:
    """The dataset the app was started on: ``-- --data PATH``, else ``$NEGLENS_DATA``, else
    ``sample_data`` (the folder the project ships)."""
    chosen = (startup_files() or [None])[0] or os.environ.get("NEGLENS_DATA")
    if chosen:
        return chosen
    return DEFAULT_DATA if Path(DEFAULT_DATA).exists() else str(REPO / DEFAULT_DATA)


def startup_files() -> list[str]:
    """Every ``-- --data PATH`` given (``--data A --data B`` opens a comparison of the files)."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--data", action="append", default=[])
    args, _ = parser.parse_known_args(sys.argv[1:])
    return list(args.data)


def _served() -> tuple[str | None, int]:
    """(data root, upload cap in bytes): ``-- --data-root DIR`` / ``$NEGLENS_DATA_ROOT`` and
    ``-- --max-upload-mb N`` / ``$NEGLENS_MAX_UPLOAD_MB`` (default 2 GiB)."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--data-root")
    parser.add_argument("--max-upload-mb", type=float)
    args, _ = parser.parse_known_args(sys.argv[1:])
    root = args.data_root or os.environ.get("NEGLENS_DATA_ROOT") or None
    mb = args.max_upload_mb or float(os.environ.get("NEGLENS_MAX_UPLOAD_MB") or 0)
    return root, int(mb * 2**20) if mb else DEFAULT_MAX_UPLOAD


def refused(path: str) -> str | None:
    """Why ``path`` may not be read in served mode (outside the data root), else None."""
    root = _served()[0]
    if root is None:
        return None
    try:
        confine(path, root, also=(ws.workspace_dir() / "uploads",))
    except ValueError as exc:
        return str(exc)
    return None


def store_upload(name: str, content: bytes):
    """An upload kept in the workspace, under the served upload cap."""
    return ws.store_upload(name, content, max_bytes=_served()[1])
