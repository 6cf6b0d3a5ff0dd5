"""Optional cross-encoder rescoring: a ``ce_score`` beside the bi-encoder's ``score``.

Any sentence-transformers ``CrossEncoder`` name or local path works, as long as it outputs one
score per (query, document) pair (``num_labels=1``). ``ce_score`` is exactly what the model's
own ``predict`` returns, with its default activation (a sigmoid for one label, as
sentence-transformers sets it), stored as float32.

Each distinct (query, document) pair is scored once, however many sources hold it.
``sentence_transformers`` is imported lazily, inside :func:`load_cross_encoder`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from analysis.model import DataError, NegativeSet, pair_codes
from analysis.scoring.encode import model_identity

Progress = Callable[[int, int, str], None]
PREDICT_CHUNK = 1024  # pairs per predict call: the granularity of progress reports
STAGE = "cross-encoder"


@dataclass
class Reranker:
    """A loaded cross-encoder, the name it was loaded by, and its cache identity."""

    model: Any
    name: str
    identity: str


def load_cross_encoder(name_or_path: str | os.PathLike, *, device: str | None = None) -> Reranker:
    """Load a sentence-transformers CrossEncoder; remote code is never trusted.

    Raises ``DataError`` (field ``cross_encoder``) when it cannot be loaded or does not give one
    score per pair.
    """
    from sentence_transformers import CrossEncoder

    name = str(name_or_path)
    try:
        model = CrossEncoder(name, device=device, trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot load cross-encoder {name!r}: {exc}", field="cross_encoder") from exc
    if getattr(model, "num_labels", 1) != 1:
        raise DataError(f"cross-encoder {name!r} has {model.num_labels} labels; one score per "
                        "pair (num_labels=1) is needed", field="cross_encoder")
    return Reranker(model=model, name=name, identity=model_identity(name))


def cross_encoder_scores(reranker: Reranker, queries: list[str], documents: list[str], *,
                         batch_size: int = 32, progress: Progress | None = None) -> np.ndarray:
    """float32 score of each (query, document) pair, in chunks of ``PREDICT_CHUNK`` pairs."""
    if len(queries) != len(documents):
        raise DataError(f"{len(queries)} queries but {len(documents)} documents", field="documents")
    if batch_size < 1:
        raise DataError(f"batch_size must be at least 1, got {batch_size}", field="batch_size")
    total = len(queries)
    out = np.empty(total, dtype=np.float32)
    if progress:
        progress(0, total, STAGE)
    for start in range(0, total, PREDICT_CHUNK):
        stop = min(start + PREDICT_CHUNK, total)
        pairs = [[q, d] for q, d in zip(queries[start:stop], documents[start:stop])]
        scores = np.asarray(reranker.model.predict(pairs, batch_size=batch_size,
                                                   show_progress_bar=False, convert_to_numpy=True))
        out[start:stop] = scores.reshape(len(pairs)).astype(np.float32)
        if progress:
            progress(stop, total, STAGE)
    return out


def add_ce_scores(nset: NegativeSet, reranker: Reranker, *, batch_size: int = 32,
                  progress: Progress | None = None) -> NegativeSet:
    """A copy of ``nset`` whose pairs carry ``ce_score`` from ``reranker`` (every row)."""
    q_codes, d_codes = pair_codes(nset.pairs)
    keys = q_codes.astype(np.int64) * max(len(nset.docs), 1) + d_codes
    unique, inverse = np.unique(keys, return_inverse=True)
    q_unique, d_unique = np.divmod(unique, max(len(nset.docs), 1))
    query_text = nset.queries["text"].to_numpy(dtype=object)
    doc_text = nset.docs["text"].to_numpy(dtype=object)
    scores = cross_encoder_scores(reranker, query_text[q_unique].tolist(),
                                  doc_text[d_unique].tolist(), batch_size=batch_size,
                                  progress=progress)
    pairs = nset.pairs.copy()
    pairs["ce_score"] = scores[inverse.reshape(-1)]
    return nset.with_pairs(pairs)
