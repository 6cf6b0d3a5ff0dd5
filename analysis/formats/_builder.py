"""Collect queries, documents and pairs row by row, then build one NegativeSet.

Merging rules (shared by every loader, stated for users in ``analysis.formats``):

- Formats without ids get ``text_id(text, "q")`` / ``text_id(text, "d")``, so the same text is
  one query (one document) however many rows or files it appears in.
- A (query, document) pair met twice is one pair. If one occurrence says positive and the
  other negative, the positive wins; if both carry different scores (or ranks), the first is
  kept. Each such conflict is a warning naming both lines; exact repeats are silent (triplet
  files repeat every positive on purpose).
- An id met twice with different text keeps the first text, with a warning.
- Rows that cannot be read are ``Skip`` records; when no pair at all could be read, ``build``
  raises DataError located at the first problem.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd

from analysis.formats._read import RowError
from analysis.model import RANK_UNKNOWN, DataError, NegativeSet, Skip

TEXT_ID_DIGITS = 16


def text_id(text: str, prefix: str) -> str:
    """A stable id for a text: ``prefix`` + the first 16 hex digits of sha1(UTF-8 text).

    The same text gets the same id in every file and run, so sets loaded from id-less
    formats line up. 64 bits keep collisions out of reach below billions of texts; a
    collision is still detected and raised by the builder.
    """
    if not isinstance(text, str):
        raise DataError(f"text_id needs text, got {type(text).__name__}")
    return prefix + hashlib.sha1(text.encode("utf-8")).hexdigest()[:TEXT_ID_DIGITS]


class SetBuilder:
    """Accumulates one input's rows. ``file`` names the input in messages and in ``source``."""

    def __init__(self, file: str, *, source: str):
        self.file, self.source = file, source
        self.queries: dict[str, str] = {}
        self.docs: dict[str, str] = {}
        self._id_lines: dict[tuple[str, str], int | None] = {}
        self._text_ids: dict[tuple[str, str], str] = {}  # (prefix, text) -> text_id, memoised
        self._pair_index: dict[tuple[str, str], int] = {}
        self._qid: list[str] = []
        self._did: list[str] = []
        self._label: list[int] = []
        self._rank: list[int] = []
        self._score: list[float] = []
        self._line: list[int | None] = []
        self.skipped: list[Skip] = []
        self.warnings: list[dict] = []
        self._first_problem: tuple[str, int | None, str | None, str] | None = None

    # -- problems ---------------------------------------------------------------------------
    def skip(self, line: int | None, error: RowError, *, file: str | None = None) -> None:
        """Count one unreadable row."""
        file = file or self.file
        self.skipped.append(Skip(file, line, error.describe()))
        if self._first_problem is None:
            self._first_problem = (file, line, error.field, error.reason)

    def warn(self, line: int | None, reason: str, *, file: str | None = None) -> None:
        """Note something merged or kept that the user should know about."""
        self.warnings.append({"file": file or self.file, "line": line, "reason": reason})

    # -- rows -------------------------------------------------------------------------------
    def query(self, text: str, *, qid: str | None = None, line: int | None = None) -> str:
        return self._add(self.queries, "query", "q", text, qid, line)

    def doc(self, text: str, *, did: str | None = None, line: int | None = None) -> str:
        return self._add(self.docs, "document", "d", text, did, line)

    def _add(self, table: dict, kind: str, prefix: str, text: str, key: str | None,
             line: int | None) -> str:
        by_text = key is None
        if by_text:
            key = self._text_ids.get((prefix, text))
            if key is not None:
                return key
            key = self._text_ids[(prefix, text)] = text_id(text, prefix)
        else:
            key = str(key)
        old = table.get(key)
        if old is None:
            table[key] = text
            self._id_lines[(prefix, key)] = line
        elif old != text:
            if by_text:
                raise DataError(f"two different texts share the id {key!r}: raise "
                                "TEXT_ID_DIGITS", file=self.file, line=line)
            first = self._id_lines[(prefix, key)]
            self.warn(line, f"{kind} id {key!r} has a different text than on line {first}; "
                            "the first text is kept")
        return key

    def pair(self, qid: str, did: str, label: int, *, score: float = math.nan,
             rank: int = RANK_UNKNOWN, line: int | None = None) -> None:
        """Add one labelled pair, merging it with an earlier occurrence of (qid, did)."""
        at = self._pair_index.get((qid, did))
        if at is None:
            self._pair_index[(qid, did)] = len(self._qid)
            self._qid.append(qid)
            self._did.append(did)
            self._label.append(label)
            self._rank.append(rank)
            self._score.append(score)
            self._line.append(line)
            return
        first = self._line[at]
        where = f"query {qid!r}, document {did!r}"
        if label != self._label[at]:
            self.warn(line, f"{where} is a positive on one line and a negative on another "
                            f"(lines {first} and {line}); kept as a positive")
            self._label[at] = 1
        if not math.isnan(score):
            old = self._score[at]
            if math.isnan(old):
                self._score[at] = score
            elif np.float32(old) != np.float32(score):
                self.warn(line, f"{where} has score {score} here and {old} on line {first}; "
                                "the first is kept")
        if rank != RANK_UNKNOWN:
            if self._rank[at] == RANK_UNKNOWN:
                self._rank[at] = rank
            elif self._rank[at] != rank:
                self.warn(line, f"{where} has rank {rank} here and {self._rank[at]} on line "
                                f"{first}; the first is kept")

    @property
    def num_pairs(self) -> int:
        return len(self._qid)

    # -- result -----------------------------------------------------------------------------
    def build(self, fmt: str, *, meta: dict | None = None) -> NegativeSet:
        """The NegativeSet, or DataError at the first problem when no pair could be read."""
        if not self._qid:
            self._raise_nothing_usable()
        pairs = pd.DataFrame({
            "qid": self._qid, "did": self._did,
            "label": np.asarray(self._label, dtype=np.int8),
            "source": self.source,
            "rank": np.asarray(self._rank, dtype=np.int32),
            "score": np.asarray(self._score, dtype=np.float32),
        })
        queries = pd.DataFrame({"qid": list(self.queries), "text": list(self.queries.values())})
        docs = pd.DataFrame({"did": list(self.docs), "text": list(self.docs.values())})
        meta = dict(meta or {})
        meta["warnings"] = meta.get("warnings", []) + self.warnings
        return NegativeSet(queries, docs, pairs, format=fmt, skipped=list(self.skipped), meta=meta)

    def _raise_nothing_usable(self) -> None:
        if self._first_problem is None:
            raise DataError("no data rows found", file=self.file)
        file, line, field, reason = self._first_problem
        raise DataError(f"nothing usable could be read ({len(self.skipped)} rows skipped); "
                        f"first problem: {reason}", file=file, line=line, field=field)
