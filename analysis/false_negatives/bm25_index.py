"""BM25 of given (query, document) pairs without a corpus-wide score matrix: the collection's
term statistics once, then only the rows asked for.

``bm25s`` (what :mod:`analysis.false_negatives.lexical` used) indexes every document into a
score matrix and scores each query against the whole corpus: on 100,000 queries over 150,000
passages that is about 80 s, and nothing can be shown before it ends. The score of a pair needs
only the collection's document frequencies and mean length plus the pair's own term counts, so
:class:`TermIndex` keeps those (one pass over the texts with Arrow, one int32 per word) and
:meth:`TermIndex.pair_scores` scores any subset of rows, e.g. the query on screen.

Same numbers as ``bm25s`` (checked by a test against it): its tokenizer (lowercased
``(?u)\\b\\w\\w+\\b`` words, its English stop words removed), Lucene ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))`` and the
term-frequency part ``tf / (tf + k1 * (1 - b + b * len / mean len))``, k1 = 1.5, b = 0.75; a
query token counts once per occurrence, tokens outside the documents' vocabulary count nothing.
Words never span ASCII whitespace, so texts are split on it by Arrow and only the distinct
pieces go through Python's regex: the tokens are exactly Python's.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

K1, B = 1.5, 0.75
_WORD = re.compile(r"(?u)\b\w\w+\b")
_ROWS_PER_STEP = 65_536


@lru_cache(maxsize=1)
def _stopwords() -> frozenset:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def _pieces(texts, *, as_arrow: bool = False) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(text index of each whitespace piece, piece code, distinct pieces: a list, or an
    Arrow array with ``as_arrow``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(texts, pd.Series):  # Arrow-backed strings: no Python string per text
        arr = pa.array(texts.astype("string[pyarrow]").fillna("nan"))
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
    else:
        arr = pa.array([str(t) for t in texts], type=pa.large_string())
    split = pc.ascii_split_whitespace(arr)
    parents = pc.list_parent_indices(split).to_numpy()
    encoded = pc.dictionary_encode(pc.list_flatten(split))
    dictionary = encoded.dictionary if as_arrow else encoded.dictionary.to_pylist()
    return parents, encoded.indices.to_numpy().astype(np.int64), dictionary


def _distinct(keys: np.ndarray, *, counts: bool = False):
    """Sorted distinct values (and how often each occurs): a sort, not ``np.unique``'s hash
    table, which took 8 s on 9M keys here."""
    keys = np.sort(keys)
    first = np.r_[True, keys[1:] != keys[:-1]] if len(keys) else np.zeros(0, dtype=bool)
    if not counts:
        return keys[first]
    starts = np.flatnonzero(first)
    return keys[first], np.diff(np.r_[starts, len(keys)])


def _spans(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + n) for s, n in zip(starts, lengths)])``, vectorised."""
    lengths = np.asarray(lengths, dtype=np.int64)
    return np.repeat(np.asarray(starts, dtype=np.int64) - np.r_[0, np.cumsum(lengths)[:-1]], lengths) \
        + np.arange(lengths.sum())


class TermIndex:
    """Term statistics of a collection (``doc_texts``: id -> text; a repeated id counts once).

    Built in one pass that splits the texts and tokenises each distinct piece once; document
    frequencies are counted when a term is first needed (the terms of the queries scored so
    far) and kept, so scoring one query does not wait for the whole vocabulary's."""

    def __init__(self, doc_texts: pd.Series):
        doc_texts = doc_texts[~doc_texts.index.duplicated()]
        self.ids = pd.Index(doc_texts.index.astype(str))
        self.vocab: dict[str, int] = {}
        parents, codes, pieces = _pieces(doc_texts, as_arrow=True)
        piece_of, token = self._tokenise_pieces(pieces)
        per_piece = np.bincount(piece_of, minlength=len(pieces)).astype(np.int64)
        self._piece_start = np.r_[0, np.cumsum(per_piece)].astype(np.int64)
        self._piece_flat = token.astype(np.int32)
        self._piece_of_flat = piece_of
        self._single = None  # most texts: no piece holds two words, so a piece is a token or none
        if per_piece.max(initial=0) <= 1:
            self._single = np.full(len(pieces), -1, dtype=np.int32)
            self._single[self._piece_of_flat] = self._piece_flat
        self.n = n = len(doc_texts)
        self._parents, self._codes = parents.astype(np.int32), codes.astype(np.int32)
        self._doc_start = np.searchsorted(parents, np.arange(n + 1)).astype(np.int64)
        lengths = np.bincount(parents, weights=per_piece[codes], minlength=n) if n else np.zeros(0)
        self.avg_len = float(lengths.mean()) if n else 0.0
        self.norm = K1 * (1 - B + B * lengths / self.avg_len) if self.avg_len else np.full(n, K1)
        self._df = np.full(max(len(self.vocab), 1), -1, dtype=np.int64)

    def _tokens_of(self, occurrences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(token, occurrence index) of every token in the given piece occurrences."""
        pieces = self._codes[occurrences]
        if self._single is not None:
            tokens = self._single[pieces]
            keep = np.flatnonzero(tokens >= 0)
            return tokens[keep], keep
        counts = self._piece_start[pieces + 1] - self._piece_start[pieces]
        return (self._piece_flat[_spans(self._piece_start[pieces], counts)],
                np.repeat(np.arange(len(occurrences)), counts))

    def idf(self, terms: np.ndarray) -> np.ndarray:
        """Lucene idf of each term, counting the documents of terms not counted before."""
        terms = np.asarray(terms, dtype=np.int64)
        unknown = np.unique(terms[self._df[terms] < 0])
        if len(unknown):
            need = np.zeros(len(self._df), dtype=bool)
            need[unknown] = True
            has = np.bincount(self._piece_of_flat, weights=need[self._piece_flat],
                              minlength=len(self._piece_start) - 1) > 0
            occurrences = np.flatnonzero(has[self._codes])
            tokens, which = self._tokens_of(occurrences)
            keep = need[tokens]
            vocab_size = len(self._df)
            pairs = _distinct(self._parents[occurrences[which[keep]]].astype(np.int64) * vocab_size
                              + tokens[keep])
            self._df[unknown] = np.bincount(pairs % vocab_size, minlength=vocab_size)[unknown]
        df = self._df[terms]
        return np.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def _tokenise_pieces(self, pieces) -> tuple[np.ndarray, np.ndarray]:
        """(piece, token) of every token of the distinct pieces, by piece; the vocabulary
        grows. A piece of ASCII word characters only is one word (or none: too short, a stop
        word), found by Arrow; only the others go through Python's regex, so tokens stay
        exactly Python's."""
        import pyarrow as pa
        import pyarrow.compute as pc

        simple = pc.match_substring_regex(pieces, pattern=r"^[A-Za-z0-9_]+$").to_numpy(zero_copy_only=False)
        words = pc.ascii_lower(pieces)
        keep = simple & (pc.utf8_length(words).to_numpy(zero_copy_only=False) >= 2) & \
            ~pc.is_in(words, value_set=pa.array(sorted(_stopwords()))).to_numpy(zero_copy_only=False)
        kept = np.flatnonzero(keep)
        encoded = pc.dictionary_encode(pc.take(words, pa.array(kept)))
        self.vocab = dict(zip(encoded.dictionary.to_pylist(), range(len(encoded.dictionary))))
        piece_of, token = [kept], [encoded.indices.to_numpy().astype(np.int64)]
        hard = np.flatnonzero(~simple)
        if len(hard):
            lists = self._map_pieces(pc.take(pieces, pa.array(hard)).to_pylist(), grow=True)
            counts = np.array([len(t) for t in lists], dtype=np.int64)
            piece_of.append(np.repeat(hard, counts))
            token.append(np.fromiter((c for t in lists for c in t), dtype=np.int64, count=int(counts.sum())))
        piece_of, token = np.concatenate(piece_of), np.concatenate(token)
        order = np.argsort(piece_of, kind="stable")
        return piece_of[order], token[order]

    def _map_pieces(self, pieces: list[str], *, grow: bool) -> list[list[int]]:
        """Token codes of each distinct piece (vocabulary grown when ``grow``, else unknown
        tokens left out)."""
        stop, out = _stopwords(), []
        for piece in pieces:
            words = _WORD.findall(piece.lower())
            if grow:
                out.append([self.vocab.setdefault(w, len(self.vocab)) for w in words if w not in stop])
            else:
                out.append([self.vocab[w] for w in words if w not in stop and w in self.vocab])
        return out

    def query_tokens(self, texts) -> list[np.ndarray]:
        """Per text, its token codes in this vocabulary (repeats kept, unknown words left out)."""
        texts = [str(t) for t in texts]
        parents, codes, pieces = _pieces(texts)
        piece_tokens = self._map_pieces(pieces, grow=False)
        out: list[list[int]] = [[] for _ in texts]
        for parent, code in zip(parents, codes):
            out[parent].extend(piece_tokens[code])
        return [np.array(t, dtype=np.int64) for t in out]

    def positions(self, dids) -> np.ndarray:
        """Position of each document id in the index (-1 where unknown)."""
        return self.ids.get_indexer(pd.Index(dids).astype(str))

    def pair_scores(self, doc_positions: np.ndarray, query_rows: np.ndarray,
                    query_tokens: list[np.ndarray]) -> np.ndarray:
        """BM25 of each row: document ``doc_positions[i]``, query ``query_tokens[query_rows[i]]``."""
        out = np.zeros(len(doc_positions))
        for begin in range(0, len(doc_positions), _ROWS_PER_STEP):
            rows = slice(begin, begin + _ROWS_PER_STEP)
            out[rows] = self._scores(np.asarray(doc_positions[rows]), np.asarray(query_rows[rows]),
                                     query_tokens)
        return out

    def _scores(self, docs: np.ndarray, queries: np.ndarray, query_tokens: list[np.ndarray]) -> np.ndarray:
        vocab_size = max(len(self.vocab), 1)
        n = len(docs)
        occurrences = _spans(self._doc_start[docs], self._doc_start[docs + 1] - self._doc_start[docs])
        row_of_occurrence = np.repeat(np.arange(n), self._doc_start[docs + 1] - self._doc_start[docs])
        tokens, which = self._tokens_of(occurrences)
        doc_keys, tf = _distinct(row_of_occurrence[which] * vocab_size + tokens, counts=True)
        q_len = np.array([len(t) for t in query_tokens], dtype=np.int64)
        q_flat = np.concatenate([np.zeros(0, dtype=np.int64), *query_tokens])
        terms = q_flat[_spans(np.r_[0, np.cumsum(q_len)[:-1]][queries], q_len[queries])]
        owner = np.repeat(np.arange(n), q_len[queries])
        keys = owner * vocab_size + terms
        at = np.minimum(np.searchsorted(doc_keys, keys), max(len(doc_keys) - 1, 0))
        found = np.where(doc_keys[at] == keys, tf[at], 0) if len(doc_keys) else np.zeros(len(keys))
        part = self.idf(terms) * found / (found + self.norm[docs][owner])
        return np.bincount(owner, weights=part, minlength=n)
