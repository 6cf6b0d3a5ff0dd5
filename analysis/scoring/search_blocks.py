"""Checkpointed search: the queries are searched in blocks, each finished block is written to
disk, and a search started again over the same inputs skips the blocks already written.

Rules:

- Blocks are ``block`` consecutive queries (default: at least ``MIN_BLOCK``, and at most
  ``MAX_BLOCKS`` blocks per search, so a search leaves a bounded number of files). The result
  is the blocks' results concatenated in query order; an engine only decides where and in
  which order blocks run (``run_blocks``), so the local and the Ray engine share this code.
- The checkpoint folder is ``<root>/<key>``: ``key`` is the sha256 of everything the result
  depends on (both embedding matrices, ``top_n``, the requested pairs, the block size and the
  search kind), so a changed model, prompt, corpus, setting or input never reuses a block.
  The workspace passes a root beside its pool file (the pool key); the CLI uses
  ``<NegLens cache dir>/search``.
- A block file is written to a temporary file, fsynced and renamed: a process killed at any
  point leaves whole blocks or none. An unreadable block is recomputed, with a warning.
- ``progress(done, total, "search")`` counts queries and starts at those already done.
- The folder is removed by :func:`clear` once the caller has what it needs (``build_pool``
  does so when the pool is complete).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Progress = Callable[[int, int, str], None]
MIN_BLOCK = 256
MAX_BLOCKS = 256


@dataclass(frozen=True)
class SearchResult:
    """Top-k per query (best first) and the exact score and rank of each requested pair."""

    top_docs: np.ndarray    # (queries, k) int64 corpus positions
    top_scores: np.ndarray  # (queries, k) float32
    scores: np.ndarray      # (requests,) float32
    ranks: np.ndarray       # (requests,) int64, 1-based over the whole corpus


# (block number, queries, request rows within the block, request corpus positions)
BlockTask = tuple[int, np.ndarray, np.ndarray, np.ndarray]
RunBlocks = Callable[[list[BlockTask]], Iterable[tuple[int, SearchResult]]]
_FIELDS = ("top_docs", "top_scores", "scores", "ranks")


def block_size(num_queries: int, block: int | None = None) -> int:
    """Queries per block: ``block`` when given, else the default of the module rules."""
    if block is not None:
        return max(1, int(block))
    return max(MIN_BLOCK, -(-num_queries // MAX_BLOCKS))


def checkpoint_dir(root: str | os.PathLike, query_emb: np.ndarray, doc_emb: np.ndarray, *,
                   top_n: int, requests: tuple[np.ndarray, np.ndarray], block: int,
                   kind: str = "exact") -> Path:
    """``<root>/<key>`` where ``key`` hashes every input of the search (module rules)."""
    digest = hashlib.sha256(f"{kind}|{top_n}|{block}|{query_emb.shape}|{doc_emb.shape}".encode())
    for array in (query_emb, doc_emb, *requests):
        digest.update(memoryview(np.ascontiguousarray(array)).cast("B"))
    return Path(root) / digest.hexdigest()[:32]


def blockwise_search(query_emb: np.ndarray, doc_emb: np.ndarray, *, top_n: int,
                     requests: tuple[np.ndarray, np.ndarray] | None, run_blocks: RunBlocks,
                     directory: str | os.PathLike | None = None, block: int | None = None,
                     progress: Progress | None = None) -> SearchResult:
    """The search of all queries as blocks; blocks found in ``directory`` are loaded, the
    others computed by ``run_blocks`` (which may yield them in any order) and written."""
    num_q = len(query_emb)
    size = block_size(num_q, block)
    req_q, req_d = (np.asarray(r, np.int64) for r in requests) if requests is not None \
        else (np.empty(0, np.int64), np.empty(0, np.int64))
    order = np.argsort(req_q, kind="stable")
    starts = list(range(0, num_q, size))
    bounds = np.searchsorted(req_q[order], [*starts, num_q])
    folder = Path(directory) if directory is not None else None
    parts: dict[int, SearchResult] = {}
    pending: list[BlockTask] = []
    for number, start in enumerate(starts):
        found = _load(folder / f"block-{number:06d}.npz") if folder is not None else None
        if found is not None:
            parts[number] = found
            continue
        idx = order[bounds[number]:bounds[number + 1]]
        pending.append((number, query_emb[start:start + size], req_q[idx] - start, req_d[idx]))
    done = sum(min(size, num_q - starts[n]) for n in parts)
    if progress:
        progress(done, num_q, "search")
    if pending and folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    for number, result in run_blocks(pending):
        if folder is not None:
            _save(folder / f"block-{number:06d}.npz", result)
        parts[number] = result
        done += len(result.top_docs)
        if progress:
            progress(done, num_q, "search")
    scores = np.empty(len(req_q), np.float32)
    ranks = np.empty(len(req_q), np.int64)
    if not starts:  # no queries
        k = min(top_n, len(doc_emb))
        return SearchResult(np.empty((0, k), np.int64), np.empty((0, k), np.float32), scores, ranks)
    for number in range(len(starts)):
        idx = order[bounds[number]:bounds[number + 1]]
        scores[idx], ranks[idx] = parts[number].scores, parts[number].ranks
    return SearchResult(np.concatenate([parts[n].top_docs for n in range(len(starts))]),
                        np.concatenate([parts[n].top_scores for n in range(len(starts))]),
                        scores, ranks)


def local_blocks(search: Callable[..., SearchResult], *, top_n: int, doc_emb: np.ndarray,
                 **options) -> RunBlocks:
    """``run_blocks`` for one process: ``search(queries, doc_emb, top_n=..., requests=...)``
    on each block in turn."""
    def run(tasks: list[BlockTask]) -> Iterator[tuple[int, SearchResult]]:
        for number, queries, rows, positions in tasks:
            yield number, search(queries, doc_emb, top_n=top_n, requests=(rows, positions),
                                 **options)
    return run


def clear(directory: str | os.PathLike | None) -> None:
    """Remove a checkpoint folder (nothing when there is none)."""
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


def _save(path: Path, result: SearchResult) -> None:
    # Another process building the same pool may have finished and cleared the folder.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **{name: getattr(result, name) for name in _FIELDS})
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)


def _load(path: Path) -> SearchResult | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return SearchResult(*(data[name] for name in _FIELDS))
    except (OSError, ValueError, KeyError) as exc:
        warnings.warn(f"search checkpoint {path} is unreadable ({exc}); that block is searched again",
                      stacklevel=3)
        return None
