"""Which files make up a dataset, and the sha256 that identifies it.

Rules:

- A dataset is a file, or every file under a folder (sorted), except hidden ones and the
  review file a folder may hold (:data:`REVIEW_FILE`), so reviewing never changes a dataset's
  identity.
- A file is identified by the sha256 of its bytes; a folder by each file's relative name and
  bytes in turn (:func:`fingerprint`). Fingerprints are memoised on every file's (size,
  mtime_ns), so asking again costs a ``stat`` per file, not a re-read.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from analysis.model import DataError

REVIEW_FILE = "neglens-review.json"  # a folder's review decisions (older NegLens wrote them there)
_READ_CHUNK = 1 << 20
_fingerprints: dict[tuple, str] = {}


def sha256_file(path: str | os.PathLike) -> str:
    """sha256 (hex) of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def data_files(path: str | os.PathLike) -> list[Path]:
    """The files that make up a dataset: the file itself, or every file under a folder (sorted),
    except hidden ones and the folder's review file."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError("no such file or folder", file=str(path))
    review = (path / REVIEW_FILE).resolve()
    files = sorted(p for p in path.rglob("*") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(path).parts)
                   and p.resolve() != review)
    if not files:
        raise DataError("the folder holds no data files", file=str(path))
    return files


def fingerprint(path: str | os.PathLike) -> str:
    """sha256 (hex) of a dataset: a file's bytes; for a folder, of each file's relative name
    and bytes in turn."""
    path = Path(path)
    files = data_files(path)
    stamp = tuple((str(f), (st := f.stat()).st_size, st.st_mtime_ns) for f in files)
    if stamp not in _fingerprints:
        if len(_fingerprints) > 256:  # a long session touching many files: start over
            _fingerprints.clear()
        if path.is_file():
            _fingerprints[stamp] = sha256_file(path)
        else:
            digest = hashlib.sha256()
            for f in files:
                digest.update(f.relative_to(path).as_posix().encode("utf-8") + b"\0")
                digest.update(sha256_file(f).encode("ascii"))
            _fingerprints[stamp] = digest.hexdigest()
    return _fingerprints[stamp]
