"""Relevance judgements (qrels): the one reader behind BEIR, SMART, probe and evaluation files.

Rules, the same for every caller:

- Separator (``separator=``): ``"tab"`` for BEIR files, whose loader splits on tabs (ids may
  contain spaces); ``"whitespace"`` for SMART and TREC files, split on any run of spaces and
  tabs (a published CISI copy writes ``     1     28\t0\t0.000000``: query 1, document 28);
  ``"auto"`` (default) splits a line holding a tab on tabs unless a field would then hold
  spaces and the whitespace split gives 2..4 fields, else on whitespace.
- Layout, decided once per file: ``qid iter did grade`` when every four-column line has ``0``
  or ``Q0`` second (TREC, Medline); ``qid did grade`` (BEIR, Cranfield); ``qid did`` or
  CACM's ``qid did 0 0``: the pair is listed as relevant and has no grade.
- The first non-blank line is a header when a column names an ``id`` or its grade is not
  a number (``query-id corpus-id score``) and is passed over; blank lines carry nothing.
- A line with another column count, a grade that is not a number, or bytes that are not
  UTF-8 is returned as a ``(line, RowError)`` skip; the caller decides whether it skips or stops.

What counts as relevant stays with the caller (BEIR: grade > 0; SMART maps Cleverdon's codes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from analysis.formats._errors import RowError
from analysis.formats._read import decode_line, iter_lines, short_value

TREC, GRADED, LISTED = "trec", "graded", "listed"


@dataclass(frozen=True)
class Judgement:
    line: int
    qid: str
    did: str
    grade: float | None  # None: the pair is listed as relevant, with no grade

    @property
    def relevant(self) -> bool:
        """Listed, or graded above 0 (the TREC and BEIR rule)."""
        return self.grade is None or self.grade > 0


@dataclass
class Qrels:
    layout: str
    judgements: list[Judgement] = field(default_factory=list)
    skipped: list[tuple[int, RowError]] = field(default_factory=list)


SEPARATORS = ("auto", "tab", "whitespace")


def read_judgements(path: str | Path, *, separator: str = "auto") -> Qrels:
    """Every judgement of a qrels file under the module's rules, and the lines it could not read."""
    if separator not in SEPARATORS:
        raise ValueError(f"separator must be one of {SEPARATORS}, got {separator!r}")
    rows, skipped = [], []
    for line, raw in iter_lines(Path(path)):
        try:
            tokens = _split(decode_line(raw, line), separator)
            if not any(tokens):
                continue
            if not 2 <= len(tokens) <= 4:
                raise RowError(None, f"a judgement is 'qid did [grade]' or 'qid 0 did grade', "
                                     f"got {len(tokens)} columns")
        except RowError as exc:
            skipped.append((line, exc))
            continue
        rows.append((line, tokens))
    layout = _layout([tokens for _, tokens in rows])
    if rows and _is_header(rows[0][1]):
        rows = rows[1:]
    judgements = []
    for line, tokens in rows:
        try:
            judgements.append(_judgement(line, tokens, layout))
        except RowError as exc:
            skipped.append((line, exc))
    return Qrels(layout, judgements, sorted(skipped, key=lambda s: s[0]))


def _split(text: str, separator: str) -> list[str]:
    if separator == "whitespace" or "\t" not in text:
        return text.split()
    tabbed = [t.strip() for t in text.split("\t")]
    if separator == "auto" and any(len(t.split()) > 1 for t in tabbed) \
            and 2 <= len(text.split()) <= 4:
        return text.split()
    return tabbed


def _layout(rows: list[list[str]]) -> str:
    four = [t for t in rows if len(t) == 4]
    if four and all(t[1] in ("0", "Q0") for t in four):
        return TREC
    return GRADED if any(len(t) == 3 for t in rows) else LISTED


def _judgement(line: int, tokens: list[str], layout: str) -> Judgement:
    if len(tokens) == 4 and layout == TREC:
        qid, did, grade = tokens[0], tokens[2], tokens[3]
    elif len(tokens) == 3:
        qid, did, grade = tokens
    else:
        qid, did, grade = tokens[0], tokens[1], None
    if grade is None:
        return Judgement(line, qid, did, None)
    try:
        value = float(grade)
    except ValueError:
        raise RowError("score", f"expected a number, got {short_value(grade)}") from None
    if not math.isfinite(value):
        raise RowError("score", f"expected a finite grade, got {short_value(grade)}")
    return Judgement(line, qid, did, value)


def _is_header(tokens: list[str]) -> bool:
    """``query-id corpus-id score``: a column naming an id, or a grade that is not a number."""
    return (any("id" in t.lower() and not _is_number(t) for t in tokens)
            or (len(tokens) == 3 and not _is_number(tokens[2])))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
