"""The input files a settings file records, and whether they still match.

Every input is listed with its sha256 and size: the file itself, or every file under a folder
(``analysis.formats.identity.data_files``: hidden files are left out). Paths inside ``files``
are relative to the dataset folder (a single file lists its own name); a relative dataset path
(edited by hand) is taken relative to the settings file.
"""

from __future__ import annotations

import os
from pathlib import Path

from analysis.formats.identity import data_files, sha256_file


def file_digests(path: str | os.PathLike) -> list[dict]:
    """``[{"path", "sha256", "bytes"}]`` for a file (its name) or each file under a folder."""
    path = Path(path)
    files = data_files(path)
    return [{"path": f.name if path.is_file() else f.relative_to(path).as_posix(),
             "sha256": sha256_file(f), "bytes": f.stat().st_size} for f in files]


def changed_inputs(settings, *, base: str | os.PathLike | None = None,
                   data: str | os.PathLike | None = None) -> list[str]:
    """What no longer matches the files a :class:`~analysis.export.settings.Settings` records:
    one line per changed, missing or new file.

    ``base`` is the folder relative dataset paths are taken from; ``data`` replaces the
    dataset path (the same data moved elsewhere). An empty list means every sha256 matches.
    """
    problems = []
    entries = [("dataset", settings.dataset, data)]
    if settings.dataset.get("corpus"):
        entries.append(("corpus", settings.dataset["corpus"], None))
    for role, entry, override in entries:
        path = Path(override) if override is not None else resolve_path(entry["path"], base)
        if not path.exists():
            problems.append(f"{role} {path}: no such file or folder")
            continue
        recorded = {f["path"]: f for f in entry["files"]}
        found = {f["path"]: f for f in file_digests(path)}
        if path.is_file() and len(recorded) == 1:   # one file: its name may change with --data
            found = {name: dict(f) for name, f in zip(recorded, found.values())}
        for name in sorted(recorded.keys() | found.keys()):
            where = path if path.is_file() else path / name
            if name not in found:
                problems.append(f"{role} file {where}: missing (recorded sha256 "
                                f"{recorded[name]['sha256'][:12]}...)")
            elif name not in recorded:
                problems.append(f"{role} file {where}: new file, not in the settings")
            elif found[name]["sha256"] != recorded[name]["sha256"]:
                problems.append(f"{role} file {where}: sha256 {found[name]['sha256'][:12]}... "
                                f"!= recorded {recorded[name]['sha256'][:12]}...")
    return problems


def resolve_path(path: str, base: str | os.PathLike | None) -> Path:
    """``path`` as stored; relative paths are taken from ``base`` (the settings file's folder)."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() or base is None else Path(base) / candidate
