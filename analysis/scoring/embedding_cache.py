"""On-disk embedding cache: a second run over the same texts encodes nothing.

Layout, under ``$NEGLENS_CACHE_DIR`` (else ``~/.cache/neglens``)::

    embeddings/<namespace>/namespace.json        what the namespace holds (for people)
    embeddings/<namespace>/<shard>.vectors.npy   float32 (n, dim), L2-normalised
    embeddings/<namespace>/<shard>.keys.npy      |S32 (n,): sha256 of each text, sorted, same order

A *namespace* is one way of turning text into vectors: the model identity (see
``analysis.scoring.encode.model_identity``), the role (``query`` or ``document``: models with routers
or prompts encode them differently) and the prompt. Its directory name is the sha256 of that
description, so changing any part of it starts a fresh namespace instead of returning vectors
made another way.

Rules that keep concurrent writers (pytest-xdist workers, two CLI runs, Streamlit sessions) and
crashes safe:

- shards are immutable; a shard's name is a hash of its keys, so two processes writing the same
  texts write the same file;
- each file is written to a temporary name, fsynced, and moved into place with ``os.replace``
  (atomic on POSIX); vectors first, keys second, so a shard is visible only once it is complete;
- a bounded number of files: once a namespace holds more than :data:`MAX_SHARDS` shards, the
  smallest are merged into one (under a lock file, so one process merges at a time; the merged
  shard is in place before the small ones go). Opening reads one keys file per shard and maps one
  vectors file per shard, so about a million texts open in a few dozen files, not a thousand;
- an unreadable shard (a crash or power loss left it empty or cut short, a pickle, a wrong
  shape) is skipped with a warning and removed, so its texts are encoded and stored again;
- temporaries older than :data:`STALE_S` (a writer killed mid-write) are swept when a namespace
  is opened, and a namespace opened with more than :data:`MAX_SHARDS` shards (a writer killed
  between writing a merged shard and removing the small ones) is merged again.

Only ``.npy`` files of plain dtypes are read, with ``allow_pickle=False``: never pickle.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

KEY_DTYPE = np.dtype("S32")
MAX_SHARDS = 16     # more than this after an add: merge the smallest
STALE_S = 3600.0    # a temporary this old belongs to a dead writer
log = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """``$NEGLENS_CACHE_DIR`` when set, else ``~/.cache/neglens``."""
    env = os.environ.get("NEGLENS_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "neglens"


def text_keys(texts: list[str]) -> np.ndarray:
    """The sha256 digest of each text (UTF-8), as a ``|S32`` array aligned with ``texts``."""
    return np.array([hashlib.sha256(t.encode("utf-8")).digest() for t in texts], dtype=KEY_DTYPE)


def namespace_id(description: dict) -> str:
    """Directory name of a namespace: sha256 of its description as canonical JSON."""
    blob = json.dumps(description, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:32]


class EmbeddingCache:
    """The vectors of one namespace: look them up by text key, add new ones as shards.

    ``description`` is a JSON-serialisable dict (model identity, role, prompt); ``directory``
    defaults to :func:`default_cache_dir`. Shards present when the cache is opened, and those
    this object adds, are visible to :meth:`lookup`; call :meth:`refresh` to see shards other
    processes added since.
    """

    def __init__(self, description: dict, *, directory: str | os.PathLike | None = None):
        self.description = dict(description)
        root = Path(directory) if directory is not None else default_cache_dir()
        self.path = root / "embeddings" / namespace_id(self.description)
        self._shards: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # name -> (sorted keys, vectors)
        if self.path.is_dir():
            sweep_temporaries(self.path)
        self.refresh()
        if len(self._shards) > MAX_SHARDS:              # a writer killed mid-merge left extras
            try:
                self._merge()
            except OSError as exc:                      # a read-only cache still reads
                log.warning("%s: could not merge %d shards (%s)", self.path, len(self._shards), exc)

    def __len__(self) -> int:
        keys = [k for k, _ in self._shards.values()]
        return len(np.unique(np.concatenate(keys))) if len(keys) > 1 else sum(map(len, keys))

    def refresh(self) -> None:
        """(Re)read the list of complete shards on disk; vectors are memory-mapped, not loaded."""
        names = sorted(p.name[: -len(".keys.npy")] for p in self.path.glob("*.keys.npy")) \
            if self.path.is_dir() else []
        shards = {}
        for name in names:
            shard = self._shards.get(name) or self._open(name)
            if shard is not None:
                shards[name] = shard
        self._shards = shards

    def _open(self, name: str) -> tuple[np.ndarray, np.ndarray] | None:
        keys_file, vectors_file = self.path / f"{name}.keys.npy", self.path / f"{name}.vectors.npy"
        try:
            keys = np.load(keys_file, allow_pickle=False)
            vectors = np.load(vectors_file, mmap_mode="r", allow_pickle=False)
            dims = {v.shape[1] for _, v in self._shards.values()}
            if keys.dtype != KEY_DTYPE or keys.ndim != 1 or vectors.ndim != 2 \
                    or len(vectors) != len(keys) or vectors.dtype != np.float32 \
                    or (dims and vectors.shape[1] not in dims):
                raise ValueError(f"{len(keys)} keys of {keys.dtype}, vectors {vectors.shape} "
                                 f"of {vectors.dtype}")
        except FileNotFoundError:
            return None                                 # merged away by another process meanwhile
        except (OSError, ValueError, EOFError) as exc:
            message = (f"{self.path / name}: unreadable embedding cache shard ({exc}); "
                       "skipped and removed, its texts will be encoded again")
            warnings.warn(message, RuntimeWarning, stacklevel=3)
            log.warning(message)
            for f in (keys_file, vectors_file):
                f.unlink(missing_ok=True)
            return None
        if len(keys) > 1 and not np.all(keys[:-1] <= keys[1:]):   # shards of older versions
            order = np.argsort(keys, kind="stable")
            keys, vectors = keys[order], np.asarray(vectors)[order]
        return keys, vectors

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """``(found, vectors)``: a boolean mask over ``keys`` and the vectors of the found ones.

        ``vectors`` has one row per ``True`` in ``found``, in the order of ``keys``; it is
        None when nothing was found.
        """
        keys = np.asarray(keys, dtype=KEY_DTYPE)
        found = np.zeros(len(keys), dtype=bool)
        if not self._shards or not len(keys):
            return found, None
        dim = next(iter(self._shards.values()))[1].shape[1]
        out = np.empty((len(keys), dim), dtype=np.float32)
        for shard_keys, vectors in self._shards.values():
            todo = np.flatnonzero(~found)
            if not len(todo):
                break
            pos = np.searchsorted(shard_keys, keys[todo]).clip(max=len(shard_keys) - 1)
            hit = shard_keys[pos] == keys[todo]
            if hit.any():
                rows = pos[hit]
                order = np.argsort(rows, kind="stable")   # read the map in file order
                out[todo[hit][order]] = vectors[rows[order]]
                found[todo[hit]] = True
        return found, (out[found] if found.any() else None)

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Store one shard of vectors (float32, one row per key) and make it visible here."""
        keys = np.asarray(keys, dtype=KEY_DTYPE)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(keys):
            raise ValueError(f"cannot cache {len(keys)} keys with vectors of shape {vectors.shape}")
        if not len(keys):
            return
        dims = {v.shape[1] for _, v in self._shards.values()}
        if dims and vectors.shape[1] not in dims:
            raise ValueError(f"vectors of dimension {vectors.shape[1]} do not fit a cache of "
                             f"dimension {dims.pop()} ({self.path})")
        self.path.mkdir(parents=True, exist_ok=True)
        description = self.path / "namespace.json"
        if not description.exists():
            atomic_write(description, lambda f: f.write(
                json.dumps(self.description, indent=2, sort_keys=True).encode("utf-8")))
        keys, first = np.unique(keys, return_index=True)
        self._write_shard(keys, vectors[first])
        if len(self._shards) > MAX_SHARDS:
            self._merge()

    def _write_shard(self, keys: np.ndarray, vectors: np.ndarray) -> str:
        name = hashlib.sha256(keys.tobytes()).hexdigest()[:24]
        atomic_write(self.path / f"{name}.vectors.npy", lambda f: np.save(f, vectors))
        atomic_write(self.path / f"{name}.keys.npy", lambda f: np.save(f, keys))
        if name not in self._shards:
            self._shards[name] = (keys, np.load(self.path / f"{name}.vectors.npy", mmap_mode="r"))
        return name

    def _merge(self) -> None:
        """Merge the smallest shards into one, so at most about MAX_SHARDS / 2 + 1 remain.
        One process merges at a time; another finding the lock taken leaves it to that one."""
        with open(self.path / ".merge.lock", "a+b") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            self.refresh()
            by_size = sorted(self._shards, key=lambda n: len(self._shards[n][0]))
            small = by_size[: len(by_size) - MAX_SHARDS // 2]
            if len(small) < 2:
                return
            keys = np.concatenate([self._shards[n][0] for n in small])
            vectors = np.concatenate([np.asarray(self._shards[n][1]) for n in small])
            keys, first = np.unique(keys, return_index=True)
            merged = self._write_shard(keys, vectors[first])
            for name in small:
                if name != merged:
                    (self.path / f"{name}.keys.npy").unlink(missing_ok=True)
                    (self.path / f"{name}.vectors.npy").unlink(missing_ok=True)
                    self._shards.pop(name, None)


def sweep_temporaries(folder: Path, *, older_than: float = STALE_S) -> int:
    """Remove ``*.tmp`` files under ``folder`` untouched for ``older_than`` seconds (left by a
    writer that died); how many went."""
    gone, now = 0, time.time()
    for tmp in folder.rglob("*.tmp"):
        try:
            if now - tmp.stat().st_mtime > older_than:
                tmp.unlink()
                gone += 1
        except OSError:
            pass
    return gone


def atomic_write(path: Path, write) -> None:
    """Write through a temporary file in the same directory, fsync it, then move it into place
    (and fsync the directory, so the new name survives a power loss)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
