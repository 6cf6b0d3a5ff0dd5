"""The evidence table: per (query, candidate) of a pool, every independent piece of evidence.

``pool_evidence(pool, judges=(), corpus=None)`` -> DataFrame, one row per distinct
``(qid, did)`` of the pool's ``source="pool"`` rows plus every labelled positive:

- ``qid, did, label`` (1 = labelled positive), ``rank`` (raw corpus rank), ``in_pool`` (the
  row is one of the pool's top-N; a positive ranked below N is not);
- ``score``: the file's own (mining) score;
- ``bm25``: BM25 of the pair over the corpus (``analysis.false_negatives.lexical``), so
  document frequencies come from the collection;
- ``identity``: 1 when the document's normalised text equals one of the query's labelled
  positives' (``signals.normalise_for_match``), else 0;
- ``positive_cosine`` (when document embeddings are given): the highest cosine between the
  document and one of the query's labelled positives (1 for the positives themselves);
- ``judge:<name>`` for each judge (``analysis.scoring.judge``): its score of the pair. Judges
  score exactly these rows: the pool's negatives and the query's positives.

All raw values: nothing is standardised within a query (that loses what the scores say across
queries, issue 24). ``collection_evidence(path)`` adds ``truth`` (a hidden or planted relevant
pair: a false negative) for ground-truth collections, by ``fn_eval``'s rules.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.model import DataError, NegativeSet

POOL_SOURCE = "pool"
BASE_COLUMNS = ["qid", "did", "label", "rank", "in_pool", "score", "bm25", "identity"]


def judge_column(judge: str) -> str:
    return f"judge:{judge}"


def candidate_rows(pool: NegativeSet) -> pd.DataFrame:
    pairs = pool.pairs
    source = pairs["source"].astype(str) if "source" in pairs else pd.Series("", index=pairs.index)
    in_pool = (source == POOL_SOURCE).to_numpy()
    if not in_pool.any():            # a file's own candidates: every pair is a candidate
        in_pool = np.ones(len(pairs), dtype=bool)
    keep = in_pool | (pairs["label"].to_numpy() == 1)
    columns = [c for c in ("qid", "did", "label", "rank", "score") if c in pairs]
    rows = pairs.loc[keep, columns].copy()
    rows["qid"], rows["did"] = rows["qid"].astype(str), rows["did"].astype(str)
    rows["source"] = in_pool[keep]
    rows["in_pool"] = rows["source"]
    rows = rows.sort_values(["qid", "did", "in_pool"], ascending=[True, True, False], kind="stable")
    label = rows.groupby(["qid", "did"], sort=False)["label"].transform("max")
    rows = rows.assign(label=label.astype(np.int8)).drop_duplicates(["qid", "did"])
    return rows.drop(columns="source").reset_index(drop=True)


def identity_with_positive(rows: pd.DataFrame, doc_text: pd.Series) -> np.ndarray:
    """1.0 where a row's document text equals (normalised) a labelled positive's of its query."""
    from analysis.false_negatives.signals import normalise_for_match

    norm = doc_text.astype(str).map(normalise_for_match)
    norm = norm[~norm.index.duplicated()]
    text = norm.reindex(rows["did"].astype(str)).to_numpy(dtype=object)
    pos = rows["label"].to_numpy() == 1
    wanted = set(zip(rows["qid"].to_numpy()[pos], text[pos]))
    hit = np.array([(q, t) in wanted for q, t in zip(rows["qid"].to_numpy(), text)])
    return np.where(pos, 0.0, hit.astype(np.float64))


def positive_cosine(rows: pd.DataFrame, vectors: dict) -> np.ndarray:
    """Highest cosine of each row's document to one of its query's labelled positives (NaN for
    a query without one); ``vectors`` maps did -> L2-normalised vector."""
    out = np.full(len(rows), np.nan)
    dids, qids = rows["did"].to_numpy(), rows["qid"].to_numpy()
    pos = rows["label"].to_numpy() == 1
    for qid, index in pd.Series(np.arange(len(rows))).groupby(qids).indices.items():
        positives = [vectors[d] for d in dids[index][pos[index]] if d in vectors]
        if positives:
            mat = np.stack([vectors[d] for d in dids[index]])
            out[index] = (mat @ np.stack(positives).T).max(axis=1)
    return out


def pool_evidence(pool: NegativeSet, *, judges=(), corpus: pd.Series | None = None,
                  doc_embeddings: np.ndarray | None = None, cache_dir: str | os.PathLike | None = None, progress=None,
                  should_stop=None) -> pd.DataFrame:
    """The evidence table of ``pool`` (see the module docstring); ``corpus`` (did -> text) gives
    BM25 its document frequencies (default: the pool's documents)."""
    from analysis.false_negatives.lexical import bm25_pair_scores
    from analysis.scoring.judge import judge_scores

    if not pool.has_scores:
        raise DataError("evidence needs scored candidates: a pool, or a mined file with scores "
                        "(score its own pairs first)", field="score")
    rows = candidate_rows(pool)
    doc_text, query_text = pool.doc_text(), pool.query_text()
    doc_text.index, query_text.index = doc_text.index.astype(str), query_text.index.astype(str)
    corpus = doc_text if corpus is None else pd.concat([corpus.astype(str), doc_text])
    corpus.index = corpus.index.astype(str)
    rows["bm25"] = bm25_pair_scores(rows, corpus, query_text).astype(np.float32)
    rows["identity"] = identity_with_positive(rows, doc_text).astype(np.float32)
    if doc_embeddings is not None:   # aligned with pool.docs
        vectors = dict(zip(pool.docs["did"].astype(str), np.asarray(doc_embeddings)))
        rows["positive_cosine"] = positive_cosine(rows, vectors).astype(np.float32)
    for judge in judges:
        rows[judge_column(judge)] = judge_scores(judge, rows[["qid", "did"]], query_text,
                                                 doc_text, cache_dir=cache_dir,
                                                 progress=progress, should_stop=should_stop)
    return rows


def collection_evidence(path: str | os.PathLike, *, top_n: int = 50, judges=(),
                        truth: str | os.PathLike | None = None, model=None,
                        cache_dir: str | os.PathLike | None = None, progress=None) -> pd.DataFrame:
    """The evidence table of a ground-truth collection's top-``top_n`` pool (the bundled
    bi-encoder by default), with ``truth``; ``attrs["name"]`` is the folder's name."""
    from analysis.false_negatives.fn_eval import TRUTH_FILE, hide_positives, read_truth
    from analysis.formats import load
    from analysis.scoring.pool import build_pool

    path = Path(path)
    nset = load(path)
    truth_path = Path(truth) if truth else (path / TRUTH_FILE if path.is_dir() else None)
    if truth_path is not None and truth_path.is_file():
        hidden = read_truth(truth_path, nset)
    elif truth is not None:
        raise DataError("ground-truth file not found", file=str(truth))
    else:
        nset, hidden = hide_positives(nset)
    from analysis.scoring.encode import Encoder, load_encoder

    encoder = model if isinstance(model, Encoder) else load_encoder(model)
    pool = build_pool(nset, model=encoder, top_n=top_n, progress=progress, cache_dir=cache_dir)
    emb = encoder.embed(pool.docs["text"].astype(str).tolist(), role="document", cache_dir=cache_dir)
    rows = pool_evidence(pool, judges=judges, corpus=nset.doc_text(), doc_embeddings=emb,
                         cache_dir=cache_dir, progress=progress)
    keys = rows["qid"] + "\0" + rows["did"]
    known = hidden["qid"].astype(str) + "\0" + hidden["did"].astype(str)
    rows["truth"] = keys.isin(known).to_numpy() & (rows["label"].to_numpy() == 0)
    rows.attrs["name"] = path.name
    return rows
