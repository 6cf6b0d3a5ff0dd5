"""Lexical evidence, independent of the bi-encoder: BM25 of each (query, negative) against the positive's.

Rules:

- BM25 (``bm25s``'s numbers, Lucene variant, k1 = 1.5, b = 0.75) over the documents given: the
  set's documents, or the whole corpus when one is given, so document frequencies come from the
  collection. Texts are tokenised as ``bm25s.tokenize`` does (lowercased words, English stop
  words removed, no stemming); a query with no token left scores 0 everywhere. Computed by
  ``bm25_index.TermIndex`` (collection statistics once, then only the pairs asked for; a test
  checks it against ``bm25s``'s index).
- ``bm25_relative``: a negative's BM25 divided by its query's positive's (the minimum over the
  query's labelled positives, DESIGN.md 3); NaN for positives and for queries whose positive
  scores 0 (no shared term: the ratio cannot judge).
- The signal (``bm25_score``, the cleanlab contract of ``signals``): ``sigma((r - 1) / 0.25)``
  of that ratio ``r``: 0.5 where the negative matches the query as well as the positive does,
  0.12 at half of it, 0.88 at 1.5 times; flag ``r >= 1``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.model import DataError

BM25_WIDTH = 0.25


def bm25_pair_scores(pairs: pd.DataFrame, doc_texts: pd.Series, query_texts: pd.Series, *,
                     index=None) -> np.ndarray:
    """BM25 of every row's (query, document), with the statistics of ``doc_texts`` (did -> text;
    every did of ``pairs`` must be there, more documents only sharpen the statistics), or of a
    prebuilt ``bm25_index.TermIndex`` of them (``index``: built once, then any subset of rows
    is scored alone, e.g. one query's). The numbers are ``bm25s``'s (see ``bm25_index``)."""
    from analysis.false_negatives.bm25_index import TermIndex

    if index is None:
        index = TermIndex(doc_texts)
    dids = pairs["did"].astype(str).to_numpy()
    qids = pairs["qid"].astype(str).to_numpy()
    query_texts = query_texts[~query_texts.index.duplicated()]
    query_texts.index = query_texts.index.astype(str)
    for name, ids, known in (("did", dids, index.ids), ("qid", qids, query_texts.index)):
        missing = pd.Index(np.unique(ids)).difference(known)
        if len(missing):
            raise DataError(f"no text for {name} {missing[0]!r}", field=name)
    unique_q, query_rows = np.unique(qids, return_inverse=True)
    tokens = index.query_tokens(query_texts.reindex(unique_q).to_numpy())
    return index.pair_scores(index.positions(dids), query_rows, tokens)


def bm25_relative(pairs: pd.DataFrame, bm25: np.ndarray) -> np.ndarray:
    """Each negative's BM25 over its query's positive's (see the rules)."""
    from analysis.measure.gaps import pair_positive_scores

    bm25 = np.asarray(bm25, dtype=np.float64)
    positive = pair_positive_scores(pairs[["qid", "label"]].assign(bm25=bm25), column="bm25")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(positive > 0, bm25 / positive, np.nan)
    ratio[pairs["label"].to_numpy() == 1] = np.nan
    return ratio


def bm25_signal(ratio: np.ndarray) -> np.ndarray:
    """The ``bm25_score`` of each ratio (NaN stays NaN)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-(np.asarray(ratio, dtype=np.float64) - 1.0) / BM25_WIDTH))
