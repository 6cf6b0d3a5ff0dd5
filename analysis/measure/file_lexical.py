"""BM25 of exactly the union's (query, document) pairs, vectorised: the lexical witness of the
file comparison, and the ``bm25`` column its false-negative risk reads.

Lucene's BM25 (k1 = 1.5, b = 0.75, ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``) over the
union's documents, words from scikit-learn's ``CountVectorizer`` (lower case, every run of word
characters a token, ``bm25s``' English stop words removed, as the app's BM25 signal; each query term counted once). A pair's score is the sum of its query's terms'
weights in the document: one sparse product over the pairs, not a search per query (the
``bm25s`` route of ``analysis.false_negatives.lexical`` scores every document for every query,
which took seconds per 1,000 queries here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

K1, B = 1.5, 0.75


def counts(union):
    """(term counts of the union's documents, the fitted vectorizer), or (None, None) when no
    document has a word; shared by BM25 and the TF-IDF clusters (one tokenisation)."""
    from bm25s.stopwords import STOPWORDS_EN
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(stop_words=list(STOPWORDS_EN), token_pattern=r"(?u)\b\w+\b",
                                 dtype=np.float32)
    try:
        return vectorizer.fit_transform(union.nset.docs["text"].astype(str).tolist()).tocsr(), vectorizer
    except ValueError:  # no word left in any document
        return None, None


def bm25_pairs(union, found=None) -> np.ndarray:
    """BM25 of every union pair; ``found``: :func:`counts` when already computed."""
    nset = union.nset
    tf, vectorizer = found or counts(union)
    if tf is None:
        return np.zeros(len(nset.pairs))
    n = tf.shape[0]
    df = np.bincount(tf.indices, minlength=tf.shape[1])
    idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
    length = np.asarray(tf.sum(axis=1)).ravel()
    norm = K1 * (1 - B + B * length / max(length.mean(), 1e-9))
    weights = tf.copy()
    rows = np.repeat(np.arange(n), np.diff(tf.indptr))
    weights.data = idf[tf.indices] * tf.data * (K1 + 1) / (tf.data + norm[rows])
    queries = vectorizer.transform(nset.queries["text"].astype(str).tolist()).tocsr()
    queries.data[:] = 1.0
    q = nset.pairs["qid"].cat.codes.to_numpy()
    d = nset.pairs["did"].cat.codes.to_numpy()
    return np.asarray(weights[d].multiply(queries[q]).sum(axis=1)).ravel().astype(np.float64)


def relative(union, bm25: np.ndarray) -> np.ndarray:
    """Each pair's BM25 over its query's lowest positive BM25 (NaN for positives; where that is 0,
    1 for a pair sharing a term with the query and 0 for one that shares none)."""
    pairs = union.nset.pairs
    label = pairs["label"].to_numpy()
    q = pairs["qid"].cat.codes.to_numpy()
    pos = pd.Series(np.where(label == 1, bm25, np.inf)).groupby(q).transform("min").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isfinite(pos) & (pos > 0), bm25 / pos, (bm25 > 0).astype(np.float64))
    ratio[label == 1] = np.nan
    return ratio
