"""Score only a file's own pairs: the cheap way to analyse a mined file that carries no scores.

A file without scores (sentence-transformers triplets, Tevatron training files, FlagEmbedding
without ``pos_scores``) lists per query its positives and negatives. Scoring just those pairs
encodes the file's queries and the documents its pairs name, never the rest of the corpus, and
gives every pair the bi-encoder's cosine: the file then opens as its file's candidates, ranked
by that score (``analysis.scoring.file_rank``). A corpus-wide pool re-mines instead and costs
every corpus document.

``own_pairs_texts(nset)`` counts the texts to encode (for the estimate);
``score_own_pairs(nset, model=None, ...)`` returns the set with ``score`` filled and
``meta["own_pair_scores"] = {"model", "model_identity"}``. Embeddings go through the cache.
"""

from __future__ import annotations

import os

import numpy as np

from analysis.model import NegativeSet
from analysis.scoring.encode import Progress

OWN_PAIR_SCORES = "own_pair_scores"


def own_pairs_texts(nset: NegativeSet) -> int:
    """Texts scoring the own pairs encodes: the queries and the documents the pairs name."""
    return int(nset.pairs["qid"].nunique() + nset.pairs["did"].nunique())


def score_own_pairs(nset: NegativeSet, *, model: str | None = None,
                    cache_dir: str | os.PathLike | None = None,
                    progress: Progress | None = None, batch_size: int = 32) -> NegativeSet:
    """``nset`` with each pair's ``score`` = cosine of its query and document embeddings."""
    from analysis.scoring.encode import load_encoder

    pairs = nset.pairs
    encoder = load_encoder(model)
    qids = pairs["qid"].astype(str).unique()
    dids = pairs["did"].astype(str).unique()
    qtext = nset.queries.set_index(nset.queries["qid"].astype(str))["text"].astype(str)
    dtext = nset.docs.set_index(nset.docs["did"].astype(str))["text"].astype(str)
    qvec = encoder.embed(qtext.reindex(qids).fillna("").tolist(), role="query",
                         cache_dir=cache_dir, progress=progress, batch_size=batch_size)
    dvec = encoder.embed(dtext.reindex(dids).fillna("").tolist(), role="document",
                         cache_dir=cache_dir, progress=progress, batch_size=batch_size)
    qrow = pd_index(qids).get_indexer(pairs["qid"].astype(str))
    drow = pd_index(dids).get_indexer(pairs["did"].astype(str))
    score = np.einsum("ij,ij->i", qvec[qrow], dvec[drow]).astype(np.float32)
    meta = {**nset.meta, OWN_PAIR_SCORES: {"model": model, "model_identity": encoder.identity}}
    return nset.with_pairs(pairs.assign(score=score), meta=meta)


def pd_index(values):  # pandas is imported where it is used
    import pandas as pd

    return pd.Index(values)
