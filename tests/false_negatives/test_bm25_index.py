"""The term index scores pairs as bm25s does (its index and get_scores are the reference), on
real collections and on the tokenizer's corner cases, and any subset of rows scores alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.false_negatives.bm25_index import TermIndex
from analysis.false_negatives.lexical import bm25_pair_scores
from analysis.formats import load
from tests.conftest import SAMPLE_DATA


def reference(pairs: pd.DataFrame, doc_texts: pd.Series, query_texts: pd.Series) -> np.ndarray:
    """BM25 the way bm25s computes it: the whole corpus indexed, each query scored against it."""
    import bm25s

    doc_texts = doc_texts[~doc_texts.index.duplicated()]
    position = pd.Series(np.arange(len(doc_texts)), index=doc_texts.index.astype(str))
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([str(t) for t in doc_texts], stopwords="en", show_progress=False),
                    show_progress=False)
    vocab = retriever.vocab_dict
    out = np.zeros(len(pairs))
    qids, dids = pairs["qid"].astype(str).to_numpy(), pairs["did"].astype(str).to_numpy()
    for qid, rows in pd.Series(np.arange(len(pairs))).groupby(qids).indices.items():
        words = bm25s.tokenize([str(query_texts[qid])], stopwords="en", show_progress=False,
                               return_ids=False)[0]
        words = [w for w in words if w in vocab]
        if words:
            out[rows] = retriever.get_scores(words)[position[dids[rows]].to_numpy()]
    return out


def _all_pairs(nset):
    pairs = nset.pairs.drop_duplicates(["qid", "did"]).reset_index(drop=True)
    return pairs, nset.doc_text(), nset.queries.set_index("qid")["text"]


def test_sample_data_matches_bm25s():
    pairs, docs, queries = _all_pairs(load(SAMPLE_DATA))
    expected = reference(pairs, docs, queries)
    got = bm25_pair_scores(pairs, docs, queries)
    assert (expected > 0).mean() > 0.5                      # a real test: most pairs share terms
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=1e-6)   # bm25s keeps float32


def test_cranfield_matches_bm25s(cranfield_dir):
    pairs, docs, queries = _all_pairs(load(cranfield_dir))
    np.testing.assert_allclose(bm25_pair_scores(pairs, docs, queries),
                               reference(pairs, docs, queries), rtol=2e-6, atol=1e-6)


def test_tokenizer_corner_cases_match_bm25s():
    docs = pd.Series(["Hello, WORLD! hello-world", "", "the and of", "Café naïve ÉCOLE x y",
                      "tab\there\nnew  line", "a1 b2 3c under_score", "...", "world world world"],
                     index=[f"d{i}" for i in range(8)])
    queries = pd.Series(["hello world", "école café", "", "the", "under_score 3c", "world world"],
                        index=[f"q{i}" for i in range(6)])
    pairs = pd.DataFrame([(q, d) for q in queries.index for d in docs.index], columns=["qid", "did"])
    expected = reference(pairs, docs, queries)
    np.testing.assert_allclose(bm25_pair_scores(pairs, docs, queries), expected, rtol=2e-6, atol=1e-6)
    assert expected[pairs.index[(pairs["qid"] == "q0") & (pairs["did"] == "d0")][0]] > 0
    assert (expected[(pairs["qid"].isin(["q2", "q3"])).to_numpy()] == 0).all()   # no word, stop words


def test_a_subset_of_rows_scores_as_in_the_whole():
    _, docs, queries = _all_pairs(load(SAMPLE_DATA))
    pairs = pd.DataFrame([(q, d) for q in queries.index[:10] for d in docs.index[:100]],
                         columns=["qid", "did"])
    index = TermIndex(docs)
    whole = bm25_pair_scores(pairs, docs, queries, index=index)
    some = pairs["qid"].isin(pairs["qid"].unique()[[3, 7]]).to_numpy()
    assert some.sum() == 200 and (whole[some] > 0).sum() > 20
    np.testing.assert_array_equal(bm25_pair_scores(pairs[some], docs, queries, index=index), whole[some])


def test_unknown_document_is_refused():
    from analysis.model import DataError

    docs = pd.Series(["some text"], index=["d0"])
    pairs = pd.DataFrame({"qid": ["q"], "did": ["d9"]})
    with pytest.raises(DataError, match="d9"):
        bm25_pair_scores(pairs, docs, pd.Series(["text"], index=["q"]))


def test_texts_of_plain_words_take_the_one_token_per_piece_path():
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(50)] + ["the", "of", "x"])
    docs = pd.Series([" ".join(rng.choice(words, rng.integers(3, 30))) for _ in range(60)],
                     index=[f"d{i}" for i in range(60)])
    queries = pd.Series([" ".join(rng.choice(words, 4)) for _ in range(8)], index=[f"q{i}" for i in range(8)])
    index = TermIndex(docs)
    assert index._single is not None                  # no piece holds two words here
    pairs = pd.DataFrame([(q, d) for q in queries.index for d in docs.index], columns=["qid", "did"])
    expected = reference(pairs, docs, queries)
    assert (expected > 0).mean() > 0.3
    np.testing.assert_allclose(bm25_pair_scores(pairs, docs, queries, index=index), expected,
                               rtol=2e-6, atol=1e-6)
