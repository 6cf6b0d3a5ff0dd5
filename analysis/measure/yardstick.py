"""One yardstick for several files: the scorer every file's negatives are ranked and gapped on.

The files' own scores come from different models and cannot be compared, so a comparison
measures every union pair (``analysis.measure.file_match``) on one scorer, named by a spec:

=====================  ==========================================================================
spec                   score, and what ``rank`` means
=====================  ==========================================================================
``file:NAME``          that file's own scores, only when it scored every union pair (else refused,
                       saying how many it lacks); rank among the query's union candidates
``pool:PATH``          a NegLens pool Parquet: its score and **corpus rank**; a pair outside the
                       pool gets rank ``top_n + 1`` (a lower bound) and no score
``model`` / ``model:NAME``  a bi-encoder (default: the packaged all-MiniLM-L6-v2) encodes the
                       union's query and document texts (only those not in the embedding cache)
                       and scores exactly the union's pairs; rank among **all the union's
                       documents** for the query (a corpus of what any file mined)
``cross-encoder:NAME`` a cross-encoder scores exactly the union's pairs; rank among the query's
                       union candidates
=====================  ==========================================================================

``need(union, spec)`` says what a spec costs before anything loads (texts to encode, how many
are cached, the estimate at the measured rate, ``analysis.scoring.estimate``);
``measure(union, spec)`` returns a :class:`Measured`. Ranks are 1-based, positives included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.model import DataError

KINDS = ("file", "pool", "model", "cross-encoder")
UNION_RANK = "rank among the union's documents"
CANDIDATE_RANK = "rank among the query's union candidates"
CORPUS_RANK = "corpus rank in the pool"


@dataclass(frozen=True)
class Spec:
    kind: str
    value: str = ""

    def text(self) -> str:
        return self.kind + (f":{self.value}" if self.value else "")


def parse(text: str | None, names: list[str] | None = None) -> Spec:
    """``file:NAME``, ``pool:PATH``, ``model[:NAME]``, ``cross-encoder:NAME`` (default ``model``)."""
    kind, _, value = (text or "model").partition(":")
    kind, value = kind.strip(), value.strip()
    if kind not in KINDS:
        raise DataError(f"yardstick must be one of {', '.join(KINDS)} (as KIND[:VALUE]), got {text!r}",
                        field="yardstick")
    if kind in ("file", "pool", "cross-encoder") and not value:
        raise DataError(f"yardstick {kind} needs a value ({kind}:...)", field="yardstick")
    if kind == "file" and names is not None and value not in names:
        raise DataError(f"yardstick file:{value} names none of the files ({', '.join(names)})",
                        field="yardstick")
    return Spec(kind, value)


@dataclass
class Measured:
    """Per union pair: ``score`` (NaN unknown) and ``rank`` (float, NaN unknown)."""

    spec: Spec
    label: str
    rank_kind: str
    score: np.ndarray
    rank: np.ndarray
    query_embeddings: np.ndarray | None = None
    doc_embeddings: np.ndarray | None = None
    encoded: int = 0
    notes: list[str] = field(default_factory=list)
    reference: int | None = None   # documents the rank runs over (None: the query's candidates)

    def statement(self) -> str:
        """The line every chart and table states: 'yardstick: ... · rank = ...'."""
        return f"yardstick: {self.label} · rank = {self.rank_kind}, positives included"


def _texts(union):
    nset = union.nset
    return nset.queries["text"].astype(str).tolist(), nset.docs["text"].astype(str).tolist()


def need(union, spec: Spec, *, cache_dir=None, rates_dir=None):
    """(texts to encode or pairs to score, already cached, Estimate) of ``spec``; zeros when it
    encodes nothing (file scores, a pool)."""
    from analysis.scoring.estimate import estimate_build

    if spec.kind == "cross-encoder":
        n = len(union.nset.pairs)
        return n, 0, estimate_build(n, cache_dir=rates_dir)
    if spec.kind != "model":
        return 0, 0, estimate_build(0, cache_dir=rates_dir)
    from analysis.scoring.embedding_cache import EmbeddingCache, text_keys
    from analysis.scoring.encode import model_identity, resolve_model

    identity = model_identity(resolve_model(spec.value or None))
    queries, docs = _texts(union)
    total = cached = 0
    for role, texts in (("query", queries), ("document", docs)):
        unique = list(dict.fromkeys(texts))
        total += len(unique)
        found, _ = EmbeddingCache({"model": identity, "role": role, "prompt": None},
                                  directory=cache_dir).lookup(text_keys(unique))
        cached += int(np.count_nonzero(found))
    return total, cached, estimate_build(total - cached, cache_dir=rates_dir)


def measure(union, spec: Spec, *, cache_dir=None, progress=None, encoder=None) -> Measured:
    """Score and rank every union pair on ``spec`` (see the module table)."""
    if spec.kind == "file":
        return _file(union, spec)
    if spec.kind == "pool":
        from analysis.measure.yardstick_pool import pool_yardstick

        score, rank, label, notes, corpus = pool_yardstick(union, spec)
        return Measured(spec, label, CORPUS_RANK, score, rank, notes=notes, reference=corpus)
    if spec.kind == "cross-encoder":
        return _cross_encoder(union, spec, progress)
    return _model(union, spec, cache_dir=cache_dir, progress=progress, encoder=encoder)


def candidate_rank(union, score: np.ndarray) -> np.ndarray:
    """1-based rank of each pair among its query's union candidates by ``score`` (ties share the
    best rank; NaN scores rank last)."""
    qcode = union.nset.pairs["qid"].cat.codes.to_numpy()
    filled = np.where(np.isnan(score), -np.inf, score)
    return pd.Series(filled).groupby(qcode).rank(method="min", ascending=False).to_numpy()


def _file(union, spec: Spec) -> Measured:
    score = union.own_scores[spec.value]
    missing = int(np.isnan(score).sum())
    if missing:
        raise DataError(f"{spec.value} scored {len(score) - missing:,} of the {len(score):,} union "
                        f"pairs; its model never saw the other {missing:,} (other files' "
                        "negatives), so its scores cannot be the yardstick: use a pool or a model",
                        file=spec.value, field="yardstick")
    return Measured(spec, f"the scores in {spec.value} (its own model)", CANDIDATE_RANK,
                    score.astype(np.float64), candidate_rank(union, score))


def _cross_encoder(union, spec: Spec, progress) -> Measured:
    from analysis.scoring.rerank import add_ce_scores, load_cross_encoder

    scored = add_ce_scores(union.nset, load_cross_encoder(spec.value), progress=progress)
    score = scored.pairs["ce_score"].to_numpy(dtype=np.float64)
    return Measured(spec, f"cross-encoder {spec.value} scoring the union's {len(score):,} pairs",
                    CANDIDATE_RANK, score, candidate_rank(union, score), encoded=len(score))


def _cached(spec: Spec, texts: list[str], role: str, cache_dir) -> np.ndarray | None:
    """Every text's vector from the embedding cache, or None when one is missing (then the
    model is loaded; when all are cached, torch is never imported)."""
    from analysis.scoring.embedding_cache import EmbeddingCache, text_keys
    from analysis.scoring.encode import model_identity, resolve_model

    cache = EmbeddingCache({"model": model_identity(resolve_model(spec.value or None)),
                            "role": role, "prompt": None}, directory=cache_dir)
    found, vectors = cache.lookup(text_keys(texts))
    return vectors if vectors is not None and found.all() else None


def _model(union, spec: Spec, *, cache_dir, progress, encoder) -> Measured:
    queries, docs = _texts(union)
    qvec = dvec = None
    if encoder is None:
        qvec, dvec = _cached(spec, queries, "query", cache_dir), _cached(spec, docs, "document", cache_dir)
    before = encoder.encoded if encoder is not None else 0
    if qvec is None or dvec is None:
        from analysis.scoring.encode import load_encoder

        encoder = encoder or load_encoder(spec.value or None)
        before = encoder.encoded
        qvec = encoder.embed(queries, role="query", cache_dir=cache_dir, progress=progress)
        dvec = encoder.embed(docs, role="document", cache_dir=cache_dir, progress=progress)
    qcode = union.nset.pairs["qid"].cat.codes.to_numpy()
    dcode = union.nset.pairs["did"].cat.codes.to_numpy()
    score = np.einsum("ij,ij->i", qvec[qcode], dvec[dcode]).astype(np.float64)
    name = spec.value or "all-MiniLM-L6-v2 (packaged)"
    return Measured(spec, f"{name} scoring the union's {len(score):,} pairs", UNION_RANK, score,
                    union_rank(qvec, dvec, qcode, score), qvec, dvec,
                    encoded=(encoder.encoded - before) if encoder is not None else 0,
                    reference=len(dvec))


def union_rank(qvec: np.ndarray, dvec: np.ndarray, qcode: np.ndarray, score: np.ndarray, *,
               block: int = 256) -> np.ndarray:
    """1-based rank of each pair's document among all documents for its query (by cosine):
    one matrix product per block of queries, each row sorted once, ranks by one search."""
    rank = np.empty(len(score), dtype=np.float64)
    qcode = np.asarray(qcode, dtype=np.int64)
    order = np.argsort(qcode, kind="stable")
    starts = np.searchsorted(qcode[order], np.arange(0, len(qvec) + block, block))
    for b, lo in enumerate(range(0, len(qvec), block)):
        rows = order[starts[b]:starts[b + 1]]
        if not len(rows):
            continue
        sims = np.sort(qvec[lo:lo + block] @ dvec.T, axis=1)  # ascending per query
        offset = 4.0 * np.arange(len(sims))[:, None]          # cosines lie in [-1, 1]
        flat = (sims + offset).ravel()
        local = qcode[rows] - lo
        above = np.searchsorted(flat, score[rows] + 4.0 * local + 1e-6, side="left")
        rank[rows] = (local + 1) * sims.shape[1] - above + 1
    return rank
