"""False-negative signals computed when they are looked at: per chunk of queries, kept once done.

Browse shows one query at a time; computing the signals of every candidate before showing the
first one took 94.5 s on a 100,000-query file. Every signal and the risk of a row depend only on
its query's rows and on collection-wide BM25 statistics (``signals.find_suspects``), so
:class:`LazySuspects` builds those statistics once (``bm25_index.TermIndex``, a pass over the
texts with Arrow) and then computes the chunk of :data:`QUERIES_PER_CHUNK` queries holding the
query asked for. :meth:`LazySuspects.table` completes the missing chunks (a progress callback
hears each step) and gives exactly the table ``browse.suspects`` gives (tested), in the pool's
negative-row order. Safe to share between threads (one lock; a chunk is computed once).
The statistics can be started in the background when the candidates open
(:func:`start_term_index`), so Browse finds them built.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

import numpy as np
import pandas as pd

from analysis.model import DataError, NegativeSet

_BACKGROUND = ThreadPoolExecutor(max_workers=1, thread_name_prefix="neglens-term-index")
QUERIES_PER_CHUNK = 32
CHUNKS_PER_STEP = 512


def _code_of(column: pd.Series, qid: str) -> int:
    """The category code of ``qid`` in a categorical column (-1 when absent), through the
    categories' own hash table (built once), not a new index of strings per call."""
    categories = column.cat.categories
    try:
        return int(categories.get_loc(str(qid)))
    except (KeyError, TypeError):  # categories that are not strings
        return int(pd.Index(categories.astype(str)).get_indexer([str(qid)])[0])


def start_term_index(candidates: NegativeSet) -> Future:
    """BM25's collection statistics of ``candidates`` (``bm25_index.TermIndex``), built in a
    background thread from now on (one at a time); pass the Future as ``bm25_index``."""
    from analysis.false_negatives.bm25_index import TermIndex

    return _BACKGROUND.submit(TermIndex, candidates.doc_text())


class LazySuspects:
    """The signals table of ``candidates``' negatives, computed chunk by chunk on demand."""

    def __init__(self, candidates: NegativeSet, *, doc_emb: np.ndarray | None = None,
                 clusters: np.ndarray | None = None, queries_per_chunk: int = QUERIES_PER_CHUNK,
                 bm25_index=None):
        if queries_per_chunk < 1:
            raise DataError(f"queries_per_chunk must be >= 1, got {queries_per_chunk}",
                            field="queries_per_chunk")
        self._candidates, self._doc_emb, self._clusters = candidates, doc_emb, clusters
        pairs = candidates.pairs
        categories = pairs["qid"].cat.categories
        codes = pairs["qid"].cat.codes.to_numpy().astype(np.int64)
        order = pd.Index(candidates.queries["qid"].astype(str)).get_indexer(categories.astype(str))
        missing = order < 0  # a pairs' query absent from the queries table goes last
        order[missing] = len(candidates.queries) + np.arange(missing.sum())
        self._chunk_of_code = order // queries_per_chunk
        chunk_of_row = self._chunk_of_code[codes]
        self._rows = np.argsort(chunk_of_row, kind="stable")
        self._bounds = np.searchsorted(chunk_of_row[self._rows],
                                       np.arange(int(chunk_of_row.max(initial=-1)) + 2))
        self.chunks = len(self._bounds) - 1
        self._negative_row = np.cumsum(pairs["label"].to_numpy() == 0) - 1
        self._done: dict[int, pd.DataFrame] = {}
        self._index = bm25_index  # a TermIndex, a Future of one (start_term_index) or None
        self._lock = threading.RLock()

    def _bm25_index(self):
        if isinstance(self._index, Future):
            self._index = self._index.result()
        if self._index is None:
            from analysis.false_negatives.bm25_index import TermIndex

            self._index = TermIndex(self._candidates.doc_text())
        return self._index

    def _compute(self, chunks: list[int]) -> None:
        from analysis.false_negatives.signals import find_suspects
        from analysis.measure.gaps import score_gaps

        rows = np.sort(np.concatenate([self._rows[self._bounds[c]:self._bounds[c + 1]] for c in chunks]))
        pairs = self._candidates.pairs.iloc[rows]
        table = find_suspects(pairs, doc_embeddings=self._doc_emb, doc_clusters=self._clusters,
                              doc_texts=self._candidates.doc_text(), bm25_index=self._bm25_index(),
                              query_texts=self._candidates.queries.set_index("qid")["text"])
        negative = pairs["label"].to_numpy() == 0
        table.insert(5, "gap", score_gaps(pairs)[negative].astype(np.float32))
        table.index = self._negative_row[rows[negative]]
        chunk = self._chunk_of_code[pairs["qid"].cat.codes.to_numpy()[negative]]
        for c in chunks:
            self._done[c] = table[chunk == c]

    def chunk_of(self, qid: str) -> int:
        """The chunk holding query ``qid`` (DataError when the candidates lack it)."""
        code = _code_of(self._candidates.pairs["qid"], qid)
        if code < 0:
            raise DataError(f"no query {qid!r} among the candidates", field="qid")
        return int(self._chunk_of_code[code])

    def for_query(self, qid: str) -> pd.DataFrame:
        """The signals of the negatives of ``qid``'s chunk (computed now if they are not yet);
        no rows for a query without candidates."""
        try:
            chunk = self.chunk_of(qid)
        except DataError:
            return self._empty()
        with self._lock:
            if chunk not in self._done:
                self._compute([chunk])
            return self._done[chunk]

    def known(self) -> pd.DataFrame:
        """The rows computed so far, in the pool's negative-row order (none yet: the key
        columns only, without computing a chunk)."""
        with self._lock:
            if not self._done:
                return pd.DataFrame({"qid": pd.Series(dtype=str), "did": pd.Series(dtype=str),
                                     "risk": pd.Series(dtype=float), "is_suspect": pd.Series(dtype=bool)})
            return self._joined(list(self._done.values()))

    @property
    def complete(self) -> bool:
        return len(self._done) == self.chunks

    def table(self, progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
        """The whole table (``browse.suspects``'s), computing the missing chunks
        :data:`CHUNKS_PER_STEP` at a time; ``progress(done, total)`` after each step."""
        with self._lock:
            missing = [c for c in range(self.chunks) if c not in self._done]
            for begin in range(0, len(missing), CHUNKS_PER_STEP):
                self._compute(missing[begin:begin + CHUNKS_PER_STEP])
                if progress is not None:
                    progress(len(self._done), self.chunks)
            return self._joined([self._done[c] for c in range(self.chunks)])

    def _joined(self, parts: list[pd.DataFrame]) -> pd.DataFrame:
        if not parts:
            return self._empty()
        return pd.concat(parts).sort_index(kind="stable").reset_index(drop=True)

    def _empty(self) -> pd.DataFrame:
        with self._lock:
            if not self._done and self.chunks:
                self._compute([0])
            if not self._done:  # no candidates at all
                return pd.DataFrame(columns=["qid", "did", "source", "rank", "score", "gap",
                                             "risk", "is_suspect"])
            return next(iter(self._done.values())).iloc[:0].reset_index(drop=True)
