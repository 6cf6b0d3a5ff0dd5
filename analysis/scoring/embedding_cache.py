"""On-disk embedding cache: a second run over the same texts encodes nothing.

Layout, under ``$NEGLENS_CACHE_DIR`` (else ``~/.cache/neglens``)::

    embeddings/<namespace>/namespace.json        what the namespace holds (for people)
    embeddings/<namespace>/<shard>.vectors.npy   float32 (n, dim), L2-normalised
    embeddings/<namespace>/<shard>.keys.npy      |S32 (n,): sha256 of each text, same order

A *namespace* is one way of turning text into vectors: the model identity (see
``analysis.scoring.encode.model_identity``), the role (``query`` or ``document``: models with routers
or prompts encode them differently) and the prompt. Its directory name is the sha256 of that
description, so changing any part of it starts a fresh namespace instead of returning vectors
made another way.

Rules that keep concurrent writers (pytest-xdist workers, two CLI runs) safe without locks:

- shards are immutable and only ever added; a shard's name is a hash of its keys, so two
  processes writing the same texts write the same file;
- each file is written to a temporary name and moved into place with ``os.replace`` (atomic on
  POSIX); vectors first, keys second, so a shard is visible only once it is complete.

Only ``.npy`` files of plain dtypes are read, with ``allow_pickle=False``: never pickle.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

KEY_DTYPE = np.dtype("S32")


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
        self._keys = np.empty(0, dtype=KEY_DTYPE)   # sorted
        self._where: np.ndarray = np.empty((0, 2), dtype=np.int64)  # (shard number, row) per key
        self._shards: list[np.ndarray] = []
        self._shard_names: list[str] = []
        self.refresh()

    def __len__(self) -> int:
        return len(self._keys)

    def refresh(self) -> None:
        """(Re)read the list of complete shards on disk; vectors are memory-mapped, not loaded."""
        names = sorted(p.name[: -len(".keys.npy")] for p in self.path.glob("*.keys.npy")) \
            if self.path.is_dir() else []
        keys, where, shards = [], [], []
        for number, name in enumerate(names):
            shard_keys = np.load(self.path / f"{name}.keys.npy", allow_pickle=False)
            vectors = np.load(self.path / f"{name}.vectors.npy", mmap_mode="r", allow_pickle=False)
            if shard_keys.dtype != KEY_DTYPE or vectors.ndim != 2 or len(vectors) != len(shard_keys):
                raise ValueError(f"{self.path / name}: corrupt embedding cache shard "
                                 f"({len(shard_keys)} keys, vectors {vectors.shape}); delete it")
            keys.append(shard_keys)
            where.append(np.column_stack([np.full(len(shard_keys), number), np.arange(len(shard_keys))]))
            shards.append(vectors)
        self._shard_names, self._shards = names, shards
        self._index(keys, where)

    def _index(self, keys: list[np.ndarray], where: list[np.ndarray]) -> None:
        all_keys = np.concatenate(keys) if keys else np.empty(0, dtype=KEY_DTYPE)
        all_where = np.concatenate(where) if where else np.empty((0, 2), dtype=np.int64)
        all_keys, first = np.unique(all_keys, return_index=True)
        self._keys, self._where = all_keys, all_where[first]

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """``(found, vectors)``: a boolean mask over ``keys`` and the vectors of the found ones.

        ``vectors`` has one row per ``True`` in ``found``, in the order of ``keys``; it is
        None when nothing was found.
        """
        keys = np.asarray(keys, dtype=KEY_DTYPE)
        if not len(self._keys) or not len(keys):
            return np.zeros(len(keys), dtype=bool), None
        pos = np.searchsorted(self._keys, keys).clip(max=len(self._keys) - 1)
        found = self._keys[pos] == keys
        if not found.any():
            return found, None
        where = self._where[pos[found]]
        dim = self._shards[0].shape[1]
        out = np.empty((len(where), dim), dtype=np.float32)
        for number in np.unique(where[:, 0]):
            rows = where[:, 0] == number
            out[rows] = self._shards[number][where[rows, 1]]
        return found, out

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Store one shard of vectors (float32, one row per key) and make it visible here."""
        keys = np.asarray(keys, dtype=KEY_DTYPE)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(keys):
            raise ValueError(f"cannot cache {len(keys)} keys with vectors of shape {vectors.shape}")
        if not len(keys):
            return
        if self._shards and self._shards[0].shape[1] != vectors.shape[1]:
            raise ValueError(f"vectors of dimension {vectors.shape[1]} do not fit a cache of "
                             f"dimension {self._shards[0].shape[1]} ({self.path})")
        self.path.mkdir(parents=True, exist_ok=True)
        description = self.path / "namespace.json"
        if not description.exists():
            _atomic_write(description, lambda f: f.write(
                json.dumps(self.description, indent=2, sort_keys=True).encode("utf-8")))
        name = hashlib.sha256(keys.tobytes()).hexdigest()[:24]
        _atomic_write(self.path / f"{name}.vectors.npy", lambda f: np.save(f, vectors))
        _atomic_write(self.path / f"{name}.keys.npy", lambda f: np.save(f, keys))
        if name not in self._shard_names:
            self._shard_names.append(name)
            self._shards.append(np.load(self.path / f"{name}.vectors.npy", mmap_mode="r"))
            number = len(self._shards) - 1
            self._index([self._keys, keys], [self._where, np.column_stack(
                [np.full(len(keys), number), np.arange(len(keys))])])


def _atomic_write(path: Path, write) -> None:
    """Write through a temporary file in the same directory, then move it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
