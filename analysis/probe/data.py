"""What a probe trains and evaluates on: candidates, the corpus and the relevance judgements.

Rules:

- Training draws negatives from the **candidate pool**: the rows of source ``"pool"``
  (``analysis.export.apply.candidate_pool``); its labelled positives are the training positives.
- Evaluation ranks the **whole corpus**: every document of the dataset (or of the pool file, when
  that is all there is), plus any pool document it lacks.
- **Relevance** for evaluation: every labelled positive of the dataset (all sources), plus
  extra judgements (``eval_qrels``: pairs that are relevant but must not be trained on, such as
  sample_data's planted unlabelled positives), plus review decisions confirming a false
  negative. Review decisions also remove that pair from training, as export does
  (``analysis.export.training_data``, ``false_negatives="drop"``).
- ``train_positives=n`` keeps the first ``n`` positives of each query (in file order) for
  training and hides the others from the pool, so they can turn up as negatives, as unlabelled
  positives do in real mined data; evaluation still counts all of them (Cranfield: one
  positive to train, all judgements to evaluate).
- A qrels file has one judgement a line: ``qid did``, ``qid did score`` or TREC's
  ``qid 0 did score``, tab- or space-separated, with an optional header line; score > 0 is
  relevant. Lines naming unknown queries or documents are skipped and reported.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from analysis.formats.qrels import read_judgements
from analysis.model import DataError, NegativeSet, Skip
from analysis.probe.config import ProbeSettings, digest

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, eq=False)
class ProbeData:
    """A candidate pool (source ``"pool"`` only), the evaluation corpus (``did``, ``text``),
    the relevance judgements (``qid``, ``did``), review decisions and notes on how they came."""

    pool: NegativeSet
    corpus: pd.DataFrame
    relevant: pd.DataFrame
    decisions: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()
    skipped: tuple[Skip, ...] = ()

    @cached_property
    def digest(self) -> str:
        """sha256 of everything that changes a probe's numbers: pool rows with ids, texts,
        ranks and scores, the corpus, the judgements and the decisions."""
        pairs = self.pool.pairs
        parts = {
            "queries": _table_digest(self.pool.queries, ["qid", "text"]),
            "docs": _table_digest(self.pool.docs, ["did", "text"]),
            "pairs": _table_digest(pd.DataFrame({
                "qid": pairs["qid"].astype(str), "did": pairs["did"].astype(str),
                "label": pairs["label"].astype(int), "rank": pairs["rank"].astype(int),
                "score": pairs["score"].astype(float).round(7)}), ["qid", "did", "label", "rank", "score"]),
            "corpus": _table_digest(self.corpus, ["did", "text"]),
            "relevant": _table_digest(self.relevant, ["qid", "did"]),
            "decisions": [(d["qid"], d["did"], d["verdict"]) for d in self.decisions],
        }
        return digest(parts)

    def summary(self) -> dict:
        return {"queries": len(self.pool.queries), "pool_pairs": len(self.pool.pairs),
                "corpus": len(self.corpus), "relevant_pairs": len(self.relevant),
                "false_negative_decisions": sum(d["verdict"] == "false_negative"
                                                for d in self.decisions),
                "notes": list(self.notes), "skipped": [s.as_dict() for s in self.skipped]}


def probe_data(pool: NegativeSet, *, corpus: pd.DataFrame | None = None,
               relevant: pd.DataFrame | None = None, eval_qrels: pd.DataFrame | None = None,
               decisions: Iterable[dict] = (), notes: Iterable[str] = (),
               skipped: Iterable[Skip] = ()) -> ProbeData:
    """Assemble :class:`ProbeData` from a pool (see the module rules).

    ``relevant`` defaults to the pool's labelled positives (all sources); ``eval_qrels`` adds
    judgements; ``corpus`` defaults to the pool's documents and always gains the pool's.
    """
    from analysis.export.apply import candidate_pool
    from analysis.export.settings import check_decisions
    from analysis.scoring.pool import merge_corpus

    if not isinstance(pool, NegativeSet):
        raise DataError(f"a pool must be a NegativeSet, got {type(pool).__name__}", field="pool")
    decisions = tuple(check_decisions(decisions))
    if relevant is None:
        positive = pool.pairs["label"] == 1
        relevant = pool.pairs.loc[positive, ["qid", "did"]]
    extra = [relevant]
    if eval_qrels is not None:
        extra.append(eval_qrels)
    confirmed = [(d["qid"], d["did"]) for d in decisions if d["verdict"] == "false_negative"]
    extra.append(pd.DataFrame(confirmed, columns=["qid", "did"]))
    relevant = pd.concat([t[["qid", "did"]].astype(str) for t in extra], ignore_index=True)
    relevant = relevant.drop_duplicates().reset_index(drop=True)
    docs, _ = merge_corpus(pool, corpus, name="corpus")
    unknown_q = ~relevant["qid"].isin(pool.queries["qid"].astype(str))
    unknown_d = ~relevant["did"].isin(docs["did"])
    for mask, column in ((unknown_q, "qid"), (unknown_d, "did")):
        if mask.any():
            raise DataError(f"{int(mask.sum())} relevance judgements name {column}s outside the "
                            f"pool and corpus, e.g. {relevant.loc[mask, column].iloc[0]!r}",
                            field=column)
    return ProbeData(pool=candidate_pool(pool), corpus=docs.reset_index(drop=True),
                     relevant=relevant, decisions=decisions, notes=tuple(notes),
                     skipped=tuple(skipped))


def load_probe_data(path: str | os.PathLike, *, format: str | None = None,
                    train_positives: int | None = None, eval_qrels: str | os.PathLike | None = None,
                    decisions: Iterable[dict] | None = None, settings=None, top_n: int = 100,
                    cache_dir: str | os.PathLike | None = None,
                    progress: Progress | None = None) -> ProbeData:
    """Load a pool file, or load any dataset and build its pool (see the module rules).

    The pool is built with the probe's base model under its token limit (``settings``, a
    :class:`~analysis.probe.config.ProbeSettings`; None: the defaults), so the pool and the base
    model's evaluation share one encoding of the corpus through the embedding cache.
    ``decisions`` None reads the review decisions stored beside the data (``analysis.false_negatives.review``)."""
    from analysis.false_negatives.review import ReviewStore
    from analysis.formats import load
    from analysis.formats.pool import is_pool
    from analysis.scoring.pool import build_pool

    if decisions is None:
        decisions = ReviewStore.for_data(path).all().to_dict("records")

    nset = load(Path(path), format=format)
    notes, skipped = [], list(nset.skipped)
    if is_pool(nset):
        if train_positives is not None:
            raise DataError("train_positives needs the dataset, not a pool built from it: "
                            "give the data folder or file instead", field="train_positives")
        pool, corpus, relevant = nset, None, None
    else:
        relevant = nset.pairs.loc[nset.pairs["label"] == 1, ["qid", "did"]]
        train = nset
        if train_positives is not None:
            train, note = keep_positives(nset, train_positives)
            notes.append(note)
        from analysis.probe.train import base_encoder, resolve_device

        settings = settings or ProbeSettings()
        encoder = base_encoder(settings, resolve_device(settings.device))
        pool = build_pool(train, model=encoder, top_n=top_n, batch_size=settings.eval_batch_size,
                          cache_dir=cache_dir, progress=progress)
        corpus = nset.docs[["did", "text"]]
    qrels = None
    if eval_qrels is not None:
        qrels, qrel_skips, note = read_eval_qrels(eval_qrels, pool, nset.docs)
        skipped.extend(qrel_skips)
        notes.append(note)
    return probe_data(pool, corpus=corpus, relevant=relevant, eval_qrels=qrels,
                      decisions=decisions, notes=notes, skipped=skipped)


def keep_positives(nset: NegativeSet, n: int) -> tuple[NegativeSet, str]:
    """``nset`` with only the first ``n`` positive rows of each query (pairs order), and a note."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise DataError(f"train_positives must be a positive integer, got {n!r}", field="train_positives")
    pairs = nset.pairs
    positive = (pairs["label"] == 1).to_numpy()
    order = pairs.loc[positive].groupby("qid", observed=True).cumcount().to_numpy()
    hide = np.zeros(len(pairs), dtype=bool)
    hide[np.flatnonzero(positive)[order >= n]] = True
    note = (f"kept the first {n} positive(s) of each query for training: {int(positive.sum() - hide.sum()):,} "
            f"of {int(positive.sum()):,}; the other {int(hide.sum()):,} count only in evaluation")
    return nset.with_pairs(pairs[~hide].reset_index(drop=True)), note


def read_eval_qrels(path: str | os.PathLike, pool: NegativeSet,
                    corpus: pd.DataFrame) -> tuple[pd.DataFrame, list[Skip], str]:
    """Extra judgements for evaluation only: :func:`read_qrels` against the pool's queries and
    the documents of the pool and ``corpus``; the lines skipped, and a note for the report."""
    qrels, skipped = read_qrels(path, queries=pool.queries["qid"].astype(str),
                                docs=pd.concat([pool.docs["did"], corpus["did"]]).astype(str))
    return qrels, skipped, f"{len(qrels):,} extra judgements for evaluation only from {path}"


def read_qrels(path: str | os.PathLike, *, queries: Iterable[str],
               docs: Iterable[str]) -> tuple[pd.DataFrame, list[Skip]]:
    """Relevant ``(qid, did)`` pairs of a qrels file (``analysis.formats.qrels`` rules) and the
    lines naming unknown queries or documents, skipped; a line that is no judgement stops it."""
    path = Path(path)
    known_q, known_d = set(map(str, queries)), set(map(str, docs))
    qrels = read_judgements(path)
    if qrels.skipped:
        line, exc = qrels.skipped[0]
        raise DataError(exc.reason, file=str(path), line=line, field=exc.field)
    rows, skipped = [], []
    for row in qrels.judgements:
        if not row.relevant:
            continue
        if row.qid not in known_q or row.did not in known_d:
            what = f"query {row.qid!r}" if row.qid not in known_q else f"document {row.did!r}"
            skipped.append(Skip(str(path), row.line, f"unknown {what}"))
            continue
        rows.append((row.qid, row.did))
    return pd.DataFrame(rows, columns=["qid", "did"]).drop_duplicates(), skipped


def _table_digest(table: pd.DataFrame, columns: list[str]) -> str:
    """sha256 of the rows' 64-bit pandas hashes, in order (a cache key, not a checksum)."""
    hashed = pd.util.hash_pandas_object(table[columns].astype(str), index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()
