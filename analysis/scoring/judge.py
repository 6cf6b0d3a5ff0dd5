"""A judge scores exactly the pairs under review, planned like a pool build, cached, cancellable.

``plan_judge(judge, pairs, queries, docs)`` -> :class:`JudgePlan`: how many pairs, how many
texts (bi-encoder: distinct query and document texts; cross-encoder: distinct pairs) still to
run through the model, how many are cached, and the seconds that takes at the rate measured on
this machine (``analysis.scoring.estimate``'s ``rates.json``, under the engine name
``judge:<kind>:<model folder name>``; before a measurement, all-mpnet-base-v2's 7 texts/s on 2
CPU cores, else 30 texts/s for a bi-encoder and 15 pairs/s for a cross-encoder).

``judge_scores(judge, pairs, queries, docs)`` -> float32 array aligned with ``pairs`` rows:

- bi-encoder: cosine of the L2-normalised query (``encode_query``) and document
  (``encode_document``) embeddings, through the embedding cache keyed by the judge's identity,
  exactly as ``analysis.scoring.encode`` embeds for a pool;
- cross-encoder: the model's own ``predict`` of ``(query text, document text)`` (its default
  activation), each distinct pair cached (one-value "vectors" in an ``EmbeddingCache``
  namespace of the judge's identity, keyed by the sha256 of the pair).

Only the pairs given are scored. Work goes in chunks of :data:`CHUNK` texts or pairs; after
each, ``progress(done, total, stage)`` is called and ``should_stop()`` asked: when it says
True, :class:`JudgeCancelled` is raised (finished chunks stay cached, so starting again resumes).
``pairs`` is a DataFrame with ``qid`` and ``did``; ``queries`` and ``docs`` map id -> text (a
``pandas.Series`` indexed by id, as ``NegativeSet.query_text()`` gives, or a dict).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from analysis.model import DataError
from analysis.scoring.embedding_cache import EmbeddingCache, text_keys
from analysis.scoring.encode import Progress, model_identity
from analysis.scoring.estimate import _read as _read_rates
from analysis.scoring.estimate import record_rate
from analysis.scoring.judge_model import (BI_ENCODER, CROSS_ENCODER, DEFAULT_JUDGE,
                                          DEFAULT_JUDGE_NAME, default_judge_path, judge_kind,
                                          resolve_judge, unpacked_default)

__all__ = ["DEFAULT_JUDGE", "BI_ENCODER", "CROSS_ENCODER", "JudgeCancelled", "JudgePlan",
           "default_judge_path", "judge_kind", "judge_scores", "plan_judge", "resolve_judge"]
CHUNK = 128
DEFAULT_RATES = {DEFAULT_JUDGE_NAME: 7.0, BI_ENCODER: 30.0, CROSS_ENCODER: 15.0}
PAIR_ROLE = "pair score"


class JudgeCancelled(Exception):
    """``should_stop()`` said stop; what was scored so far is cached."""


@dataclass(frozen=True)
class JudgePlan:
    judge: str       # the name or path asked for
    kind: str        # "bi-encoder" or "cross-encoder"
    pairs: int       # pairs to score
    texts: int       # texts (bi-encoder) or pairs (cross-encoder) still to run through the model
    cached: int      # texts or pairs found in the cache
    seconds: float   # texts / rate
    rate_per_s: float = DEFAULT_RATES[BI_ENCODER]
    measured: bool = False

    def describe(self) -> str:
        """'judge default (bi-encoder) scores 1,200 pairs: encodes 640 texts (80 cached), about
        2 min (7 texts/s, measured on this machine)'."""
        unit = "texts" if self.kind == BI_ENCODER else "pairs"
        verb = "encodes" if self.kind == BI_ENCODER else "runs"
        head = f"judge {self.judge} ({self.kind}) scores {self.pairs:,} pairs"
        if not self.texts:
            return f"{head}: all {self.cached:,} {unit} cached, nothing to encode"
        when = f"about {self.seconds / 60:.0f} min" if self.seconds >= 60 else \
            f"about {max(1, round(self.seconds))} s"
        how = "measured on this machine" if self.measured else "a typical 2-core CPU; not yet measured here"
        return (f"{head}: {verb} {self.texts:,} {unit} ({self.cached:,} cached), {when} "
                f"({self.rate_per_s:,.1f} {unit}/s, {how})")


def _texts(ids: pd.Series, table, name: str) -> list[str]:
    """The text of each id (``DataError`` naming the first id without one)."""
    if isinstance(table, Mapping) and not isinstance(table, pd.Series):
        table = pd.Series(dict(table), dtype=object)
    table = pd.Series(table)
    table.index = table.index.astype(str)
    table = table[~table.index.duplicated()]
    ids = pd.Index(pd.Series(ids).astype(str))
    found = table.reindex(ids)
    if found.isna().any():
        raise DataError(f"no text for {name} {ids[found.isna().to_numpy()][0]!r}", field=name)
    return [str(t) for t in found.to_numpy()]


def _pair_index(pairs: pd.DataFrame):
    for column in ("qid", "did"):
        if column not in pairs:
            raise DataError(f"pairs need a {column!r} column", field=column)
    qcodes, qids = pd.factorize(pairs["qid"].astype(str), sort=False)
    dcodes, dids = pd.factorize(pairs["did"].astype(str), sort=False)
    return qcodes, pd.Series(qids), dcodes, pd.Series(dids)


def _pair_keys(qtexts: list[str], dtexts: list[str]) -> np.ndarray:
    return text_keys([json.dumps([q, d], ensure_ascii=False) for q, d in zip(qtexts, dtexts)])


def _namespace(identity: str, role: str) -> dict:
    return {"model": identity, "role": role, "prompt": None}


def _engine(kind: str, resolved: str) -> str:
    return f"judge:{kind}:{Path(resolved).name}"


def _rate(kind: str, resolved: str, cache_dir) -> tuple[float, bool]:
    found = _read_rates(_rates_dir(cache_dir)).get(_engine(kind, resolved))
    if isinstance(found, dict) and found.get("rate"):
        return float(found["rate"]), True
    return DEFAULT_RATES.get(Path(resolved).name, DEFAULT_RATES[kind]), False


def _rates_dir(cache_dir):
    return None if cache_dir is None else Path(cache_dir) / "workspace"


def plan_judge(judge: str, pairs: pd.DataFrame, queries, docs, *,
               cache_dir: str | os.PathLike | None = None) -> JudgePlan:
    """What scoring ``pairs`` with ``judge`` costs (see the module docstring); loads no model
    and never unpacks the default judge (before it is unpacked nothing of it is cached)."""
    if str(judge) == DEFAULT_JUDGE and unpacked_default(cache_dir) is None:
        resolved, kind = str(Path(DEFAULT_JUDGE_NAME)), BI_ENCODER
        identity = None
    else:
        resolved = resolve_judge(judge, cache_dir=cache_dir)
        kind = judge_kind(resolved)
        identity = model_identity(resolved)
    qcodes, qids, dcodes, dids = _pair_index(pairs)
    qtexts, dtexts = _texts(qids, queries, "qid"), _texts(dids, docs, "did")
    if kind == BI_ENCODER:
        wanted = [("query", np.unique(text_keys(qtexts))), ("document", np.unique(text_keys(dtexts)))]
    else:
        keys = _pair_keys([qtexts[i] for i in qcodes], [dtexts[i] for i in dcodes])
        wanted = [(PAIR_ROLE, np.unique(keys))]
    total = sum(len(k) for _, k in wanted)
    cached = 0
    if identity is not None:
        for role, keys in wanted:
            found, _ = EmbeddingCache(_namespace(identity, role), directory=cache_dir).lookup(keys)
            cached += int(found.sum())
    rate, measured = _rate(kind, resolved, cache_dir)
    todo = total - cached
    return JudgePlan(judge=str(judge), kind=kind, pairs=len(pairs), texts=todo, cached=cached,
                     seconds=todo / rate, rate_per_s=rate, measured=measured)


@lru_cache(maxsize=2)
def _load(resolved: str, kind: str, identity: str, device: str | None):
    if kind == BI_ENCODER:
        from analysis.scoring.encode import load_encoder
        return load_encoder(resolved, device=device)
    from analysis.scoring.rerank import load_cross_encoder
    return load_cross_encoder(resolved, device=device)


def _check(should_stop: Callable[[], bool] | None) -> None:
    if should_stop is not None and should_stop():
        raise JudgeCancelled()


def judge_scores(judge: str, pairs: pd.DataFrame, queries, docs, *,
                 progress: Progress | None = None, should_stop: Callable[[], bool] | None = None,
                 cache_dir: str | os.PathLike | None = None, batch_size: int = 32,
                 device: str | None = None) -> np.ndarray:
    """The judge's score of every row of ``pairs`` (see the module docstring)."""
    resolved = resolve_judge(judge, cache_dir=cache_dir)
    kind = judge_kind(resolved)
    identity = model_identity(resolved)
    qcodes, qids, dcodes, dids = _pair_index(pairs)
    qtexts, dtexts = _texts(qids, queries, "qid"), _texts(dids, docs, "did")
    if not len(pairs):
        return np.zeros(0, dtype=np.float32)
    _check(should_stop)
    started, model = time.perf_counter(), None
    if kind == BI_ENCODER:
        encoder = _load(resolved, kind, identity, device)
        vectors, done = [], 0
        total = len(set(qtexts)) + len(set(dtexts))
        before = encoder.encoded
        for role, texts in (("query", qtexts), ("document", dtexts)):
            unique = list(dict.fromkeys(texts))
            out = {}
            for start in range(0, len(unique), CHUNK):
                chunk = unique[start:start + CHUNK]
                out.update(zip(chunk, encoder.embed(chunk, role=role, cache_dir=cache_dir,
                                                    batch_size=batch_size)))
                done += len(chunk)
                if progress:
                    progress(done, total, f"judge: encode {role} texts")
                _check(should_stop)
            vectors.append(np.stack([out[t] for t in texts]))
        qvec, dvec = vectors
        scores = np.einsum("ij,ij->i", qvec[qcodes], dvec[dcodes]).astype(np.float32)
        ran = encoder.encoded - before
    else:
        model = _load(resolved, kind, identity, device)
        scores, ran = _cross_scores(model, identity, qtexts, dtexts, qcodes, dcodes,
                                    cache_dir=cache_dir, batch_size=batch_size,
                                    progress=progress, should_stop=should_stop)
    if ran >= 2 * CHUNK:          # enough to measure a rate the next plan can use
        record_rate(_engine(kind, resolved), ran, time.perf_counter() - started,
                    cache_dir=_rates_dir(cache_dir))
    return scores


def _cross_scores(reranker, identity: str, qtexts, dtexts, qcodes, dcodes, *, cache_dir,
                  batch_size: int, progress, should_stop) -> tuple[np.ndarray, int]:
    from analysis.scoring.rerank import cross_encoder_scores

    q_all = [qtexts[i] for i in qcodes]
    d_all = [dtexts[i] for i in dcodes]
    keys = _pair_keys(q_all, d_all)
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    cache = EmbeddingCache(_namespace(identity, PAIR_ROLE), directory=cache_dir)
    values = np.empty(len(unique), dtype=np.float32)
    found, cached = cache.lookup(unique)
    if cached is not None:
        values[found] = cached[:, 0]
    missing = np.flatnonzero(~found)
    for start in range(0, len(missing), CHUNK):
        chunk = missing[start:start + CHUNK]
        rows = first[chunk]
        out = cross_encoder_scores(reranker, [q_all[r] for r in rows], [d_all[r] for r in rows],
                                   batch_size=batch_size)
        values[chunk] = out
        cache.add(unique[chunk], out.reshape(-1, 1))
        if progress:
            progress(start + len(chunk), len(missing), "judge: score pairs")
        _check(should_stop)
    return values[inverse.reshape(-1)].astype(np.float32), len(missing)
