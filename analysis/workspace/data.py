"""Data identity, the pool cache, selections and embeddings: the heavy half of the workspace.

See the package docstring for the rules.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from analysis.formats.identity import data_files, fingerprint  # noqa: F401  (the workspace's face re-exports them)
from analysis.formats.pool import is_pool
from analysis.model import DataError, NegativeSet
from analysis.scoring.embedding_cache import default_cache_dir

Progress = Callable[[int, int, str], None]
DEFAULT_TOP_N = 100
RAY_ADDRESS_ENV = "NEGLENS_RAY_ADDRESS"
ENGINES = ("local", "ray")


def ray_address() -> str | None:
    """The Ray cluster pools may be built on from the dashboard: ``$NEGLENS_RAY_ADDRESS``
    (what ``ray.init(address=...)`` takes: ``auto``, ``ray://head:10001``, ...), None when unset."""
    return os.environ.get(RAY_ADDRESS_ENV, "").strip() or None


def workspace_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """Where pools built for the dashboard (and uploads) are kept: ``cache_dir`` when given,
    else ``<NegLens cache dir>/workspace``."""
    return Path(cache_dir) if cache_dir is not None else default_cache_dir() / "workspace"


def load_dataset(path: str | os.PathLike, *, format: str | None = None) -> NegativeSet:
    """The dataset at ``path`` read with ``analysis.formats.load`` (``format`` overrides
    detection); a pool Parquet file comes back as the pool it holds."""
    from analysis.formats.columnar import open_columnar   # numbers mapped, texts on disk

    return open_columnar(Path(path), format=format or None)


def store_upload(name: str, content: bytes, *, cache_dir: str | os.PathLike | None = None,
                 max_bytes: int | None = None) -> Path:
    """Keep an uploaded file as ``<workspace>/uploads/<sha256[:16]>/<name>`` and return its path.

    The name keeps only its last component (no directories from the browser); the folder is
    named by content, so uploading the same bytes twice reuses the file.
    """
    base = Path(str(name).replace("\\", "/")).name.strip()
    if not base or base in (".", ".."):
        raise DataError(f"an upload needs a file name, got {name!r}", field="name")
    if not content:
        raise DataError("the uploaded file is empty (0 bytes)", file=base, line=1)
    from analysis.workspace.served import DEFAULT_MAX_UPLOAD, check_upload_size

    check_upload_size(len(content), DEFAULT_MAX_UPLOAD if max_bytes is None else max_bytes)
    target = workspace_dir(cache_dir) / "uploads" / hashlib.sha256(content).hexdigest()[:16] / base
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{base}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, target)
    return target


# -- the pool -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PoolSettings:
    """How a pool is built: bi-encoder ('' = the packaged all-MiniLM-L6-v2), candidates per
    query, and an optional cross-encoder ('' = none)."""

    model: str = ""
    top_n: int = DEFAULT_TOP_N
    cross_encoder: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.top_n, int) or isinstance(self.top_n, bool) or self.top_n < 1:
            raise DataError(f"top_n must be a positive integer, got {self.top_n!r}", field="top_n")

    def key(self) -> str:
        """Short hash of the settings and the model's identity (a changed model file changes it)."""
        from analysis.scoring.encode import model_identity, resolve_model

        ident = {"settings": asdict(self), "model": model_identity(resolve_model(self.model or None))}
        if self.cross_encoder:
            ident["cross_encoder"] = model_identity(self.cross_encoder)
        blob = json.dumps(ident, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()[:16]


def pool_file(data_sha: str, settings: PoolSettings, *, format: str | None = None,
              cache_dir: str | os.PathLike | None = None) -> Path:
    """Where the pool for this data, loader override and settings is cached."""
    tag = hashlib.sha256(f"{data_sha}|{format or ''}|{settings.key()}".encode()).hexdigest()[:24]
    return workspace_dir(cache_dir) / "pools" / f"{data_sha[:16]}-{tag}.parquet"


def cached_pool(data_sha: str, settings: PoolSettings, *, format: str | None = None,
                cache_dir: str | os.PathLike | None = None) -> NegativeSet | None:
    """The cached pool, or None when it has not been built (no model is loaded either way)."""
    from analysis.formats.pool import read_pool

    path = pool_file(data_sha, settings, format=format, cache_dir=cache_dir)
    return read_pool(path) if path.is_file() else None


def ensure_pool(nset: NegativeSet, data_sha: str, settings: PoolSettings, *,
                format: str | None = None, cache_dir: str | os.PathLike | None = None,
                engine: str = "local", progress: Progress | None = None) -> NegativeSet:
    """The pool of ``nset`` under ``settings``: ``nset`` itself when it is a pool, else the
    cached one, else built with ``analysis.scoring.pool.build_pool`` (reporting ``progress``) and cached.
    Its search blocks are checkpointed beside the pool file (``<pool file stem>.search/``, so
    keyed by the pool key): a build stopped or killed resumes where it stopped. ``engine``
    ``ray`` builds it on the cluster at :func:`ray_address` (the same pool, the same file)."""
    if engine not in ENGINES or (engine == "ray" and not ray_address()):
        raise DataError(f"engine must be one of {ENGINES} (ray needs ${RAY_ADDRESS_ENV}), "
                        f"not {engine!r}", field="engine")
    if is_pool(nset):
        return nset
    found = cached_pool(data_sha, settings, format=format, cache_dir=cache_dir)
    if found is not None:
        return found
    import time

    from analysis.formats.pool import write_pool
    from analysis.scoring.estimate import pool_texts, record_rate
    from analysis.scoring.pool import build_pool

    target = pool_file(data_sha, settings, format=format, cache_dir=cache_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with pool_lock(target):   # two sessions asking for one pool: the second waits, then reads it
        found = cached_pool(data_sha, settings, format=format, cache_dir=cache_dir)
        if found is not None:
            return found
        started = time.perf_counter()
        checkpoint = target.with_name(target.stem + ".search")
        if engine == "ray":
            pool = _build_on_ray(nset, settings, checkpoint, progress)
        else:
            pool = build_pool(nset, model=settings.model or None, top_n=settings.top_n,
                              cross_encoder=settings.cross_encoder or None, progress=progress,
                              checkpoint=checkpoint)
        record_rate(engine, pool_texts(nset), time.perf_counter() - started,
                    cache_dir=workspace_dir(cache_dir))  # the next estimate uses this rate
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        try:
            write_pool(pool, Path(partial))
            with open(partial, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(partial, target)
        finally:
            Path(partial).unlink(missing_ok=True)
    return pool


def _build_on_ray(nset: NegativeSet, settings: PoolSettings, checkpoint: Path,
                  progress: Progress | None) -> NegativeSet:
    from analysis.scoring.engine_ray import build_pool_ray
    from analysis.scoring.rerank import add_ce_scores, load_cross_encoder

    pool = build_pool_ray(nset, model=settings.model or None, top_n=settings.top_n,
                          address=ray_address(), checkpoint=checkpoint, progress=progress)
    if settings.cross_encoder:
        reranker = load_cross_encoder(settings.cross_encoder)
        pool = add_ce_scores(pool, reranker, progress=progress)
        pool.meta["pool"]["cross_encoder"] = reranker.name
    return pool


@contextmanager
def pool_lock(target: Path):
    """An exclusive ``fcntl`` lock on ``<pool file>.lock``, held while the pool is built and
    written (released by the kernel if the process dies)."""
    with open(target.with_name(target.name + ".lock"), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- embeddings of a pool (for the map) -----------------------------------------------------------
def embedding_spec(nset: NegativeSet) -> dict:
    """The model settings ``nset``'s texts are embedded with: its pool's, else the model a
    file's own candidates are tagged with (``meta["embedding"]``, ``analysis.workspace.embed``)."""
    return nset.meta.get("pool") or nset.meta.get("embedding") or {}


def pool_embeddings(pool: NegativeSet, *, encode_missing: bool = False,
                    cache_dir: str | os.PathLike | None = None,
                    progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Query and document embeddings aligned with ``pool.queries`` / ``pool.docs`` rows.

    Read from the embedding cache under the pool's recorded model identity and prompts, so
    after a pool build they come back without loading a model. When some are missing: None,
    unless ``encode_missing``, which loads the pool's model and encodes them (``progress``).
    A pool that records no model (a synthetic one) raises DataError.
    """
    from analysis.scoring.embedding_cache import EmbeddingCache, text_keys

    settings = embedding_spec(pool)  # a pool's model, or the one a file's candidates are tagged with
    identity = settings.get("model_identity")
    if not identity:
        raise DataError("this pool does not record the model that scored it, so its texts "
                        "cannot be embedded consistently", field="pool.model_identity")
    out, encoder = [], None
    for role, table, prompt in (("query", pool.queries, settings.get("query_prompt")),
                                ("document", pool.docs, settings.get("document_prompt"))):
        texts = table["text"].astype(str).tolist()
        cache = EmbeddingCache({"model": identity, "role": role, "prompt": prompt}, directory=cache_dir)
        found, vectors = cache.lookup(text_keys(texts))
        if found.all():
            out.append(vectors)
            continue
        if not encode_missing:
            return None
        if encoder is None:
            from analysis.scoring.encode import load_encoder

            encoder = load_encoder(settings.get("model"))
        if encoder.identity != identity:
            raise DataError(f"the model {settings.get('model')!r} changed since the pool was built",
                            field="pool.model_identity")
        out.append(encoder.embed(texts, role=role, prompt=prompt, cache_dir=cache_dir,
                                 progress=progress))
    return out[0], out[1]

# -- strategies -----------------------------------------------------------------------------------
def select(pool: NegativeSet, name: str, params: dict, *, seed: int):
    """The selection strategy ``name`` with ``params`` makes on ``pool``, drawing from
    ``numpy.random.default_rng(seed)`` (its own generator: strategies never share draws)."""
    from analysis.strategies import create

    strategy = create(name, **params)
    return strategy.select(pool, np.random.default_rng(seed))
