"""Two-dimensional maps of embeddings: PCA, UMAP and t-SNE, cached on disk.

Rules:

- ``Projector(method, ...).fit_transform(X)`` returns float32 ``(n, 2)`` coordinates aligned
  with the rows of ``X``. Rows are L2-normalised first, so every method sees cosine geometry.
- PCA (scikit-learn, exact eigendecomposition of the covariance, sign-fixed) is instant: what
  a view shows while UMAP runs. Fewer than 4 points get PCA whatever the method.
- UMAP uses exact cosine nearest neighbours (chunked ``X @ X.T``) up to ``exact_knn_max``
  points and hands them to UMAP as ``precomputed_knn``; that skips pynndescent, whose numba
  compilation costs ~30 s in every new process. Above ``exact_knn_max`` UMAP's own
  approximate search runs (metric cosine). With ``random_state`` set UMAP is single-threaded
  and deterministic.
- t-SNE: scikit-learn Barnes-Hut, cosine metric, PCA initialisation; ``perplexity`` is capped
  below the number of points.
- Same data + method + parameters = same coordinates: results are cached as ``.npy`` under
  ``$NEGLENS_CACHE_DIR/projections`` (else ``~/.cache/neglens/projections``), keyed by the
  sha256 of the float32 embedding bytes, the shape, the method and its parameters. Never pickle.
- numba's cache stays on: when ``NUMBA_CACHE_DIR`` is unset it is pointed at
  ``~/.cache/neglens/numba`` (per machine, deliberately not the per-run
  ``$NEGLENS_CACHE_DIR``) before UMAP is first imported, so compiled code that can be cached is
  compiled once per machine.

Which points a map draws lives in ``analysis.measure.maps``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from analysis.model import DataError

METHODS = ("pca", "umap", "tsne")
_KNN_CHUNK = 2048


def projection_cache_dir() -> Path:
    """``$NEGLENS_CACHE_DIR/projections``, else ``~/.cache/neglens/projections``."""
    env = os.environ.get("NEGLENS_CACHE_DIR")
    return (Path(env) if env else Path.home() / ".cache" / "neglens") / "projections"


def keep_numba_cache() -> None:
    """Point numba's on-disk cache at ``~/.cache/neglens/numba`` unless ``NUMBA_CACHE_DIR`` is set.

    Must run before numba is imported (it reads the variable once), so it is called before
    every lazy ``import umap``.
    """
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "neglens" / "numba"))


@dataclass(frozen=True)
class Projector:
    """Estimator-style 2-D projection; see the module rules.

    ``n_neighbors``, ``min_dist`` and ``exact_knn_max`` apply to UMAP, ``perplexity`` to t-SNE.
    ``cache`` False turns the disk cache off; ``cache_dir`` overrides its location.
    After ``fit_transform``, ``last_cache_hit`` says whether the result came from disk.
    """

    method: str = "pca"
    random_state: int = 0
    n_neighbors: int = 15
    min_dist: float = 0.1
    perplexity: float = 30.0
    exact_knn_max: int = 20_000
    cache: bool = True
    cache_dir: str | None = None
    last_cache_hit: bool = field(default=False, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise DataError(f"projection method must be one of {METHODS}, got {self.method!r}",
                            field="method")
        if self.n_neighbors < 2:
            raise DataError(f"n_neighbors must be at least 2, got {self.n_neighbors}",
                            field="n_neighbors")
        if not 0.0 <= self.min_dist <= 1.0:
            raise DataError(f"min_dist must be in [0, 1], got {self.min_dist}", field="min_dist")
        if self.perplexity <= 0:
            raise DataError(f"perplexity must be positive, got {self.perplexity}", field="perplexity")

    @property
    def params(self) -> dict:
        """The parameters that shape the result (what the cache key holds)."""
        out = asdict(self)
        keep = {"pca": ("method", "random_state"),
                "umap": ("method", "random_state", "n_neighbors", "min_dist", "exact_knn_max"),
                "tsne": ("method", "random_state", "perplexity")}[self.method]
        return {k: out[k] for k in keep}

    def cache_key(self, X: np.ndarray) -> str:
        """sha256 of the float32 embedding bytes, the shape and :attr:`params`."""
        X = as_matrix(X)
        digest = hashlib.sha256(X.tobytes())
        digest.update(json.dumps({"shape": X.shape, **self.params}, sort_keys=True).encode())
        return digest.hexdigest()

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        """float32 ``(n, 2)`` coordinates, one row per row of ``X``."""
        X = as_matrix(X)
        path = Path(self.cache_dir) if self.cache_dir else projection_cache_dir()
        path = path / f"{self.method}-{self.cache_key(X)}.npy"
        if self.cache and path.is_file():
            coords = np.load(path, allow_pickle=False)
            if coords.shape == (len(X), 2):
                object.__setattr__(self, "last_cache_hit", True)
                return coords
        coords = _project(_normalise(X), self).astype(np.float32)
        object.__setattr__(self, "last_cache_hit", False)
        if self.cache:
            _atomic_save(path, coords)
        return coords


def as_matrix(X) -> np.ndarray:
    X = np.ascontiguousarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[1] < 1:
        raise DataError(f"embeddings must be a 2-D array, got shape {X.shape}", field="embeddings")
    if not np.isfinite(X).all():
        raise DataError("embeddings contain NaN or infinite values", field="embeddings")
    return X


def _normalise(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def _project(X: np.ndarray, p: Projector) -> np.ndarray:
    n = len(X)
    if n < 4 or p.method == "pca":
        return _pca(X, p.random_state)
    if p.method == "umap":
        return _umap(X, p)
    from sklearn.manifold import TSNE

    perplexity = min(p.perplexity, max(1.0, (n - 1) / 3))
    return TSNE(n_components=2, perplexity=perplexity, metric="cosine", init="pca",
                random_state=p.random_state).fit_transform(X)


def _pca(X: np.ndarray, random_state: int) -> np.ndarray:
    """PCA to 2-D; fewer than two usable directions leave zero columns."""
    from sklearn.decomposition import PCA

    out = np.zeros((len(X), 2), dtype=np.float32)
    components = min(2, len(X), X.shape[1])
    if len(X) >= 2:
        out[:, :components] = PCA(n_components=components, svd_solver="covariance_eigh",
                                  random_state=random_state).fit_transform(X)
    return out


def _umap(X: np.ndarray, p: Projector) -> np.ndarray:
    import warnings

    keep_numba_cache()
    import umap

    n_neighbors = min(p.n_neighbors, len(X) - 1)
    options = dict(n_components=2, n_neighbors=n_neighbors, min_dist=p.min_dist,
                   metric="cosine", random_state=p.random_state)
    if len(X) <= p.exact_knn_max:
        options["precomputed_knn"] = (*exact_knn(X, n_neighbors), None)
    with warnings.catch_warnings():  # "n_jobs overridden by random_state", "no search index"
        warnings.simplefilter("ignore", UserWarning)
        return umap.UMAP(**options).fit_transform(X)


def exact_knn(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``k`` nearest neighbours of each row of normalised ``X`` (itself first), by cosine.

    Returns ``(indices int64 (n, k), cosine distances float32 (n, k))``, nearest first; ties
    are broken by row order. Works in chunks of 2,048 rows of ``X @ X.T``.
    """
    n = len(X)
    k = min(k, n)
    indices = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, _KNN_CHUNK):
        sim = X[start:start + _KNN_CHUNK] @ X.T
        rows = np.arange(len(sim))
        sim[rows, start + rows] = np.inf          # a point is its own nearest neighbour
        part = np.argpartition(sim, n - k, axis=1)[:, n - k:]
        part_sim = np.take_along_axis(sim, part, axis=1)
        order = np.lexsort((part, -part_sim), axis=1)
        indices[start:start + _KNN_CHUNK] = np.take_along_axis(part, order, axis=1)
        best = np.take_along_axis(part_sim, order, axis=1)
        best[:, 0] = 1.0
        distances[start:start + _KNN_CHUNK] = np.clip(1.0 - best, 0.0, 2.0)
    return indices, distances


def _atomic_save(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, array, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
