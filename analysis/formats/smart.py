"""SMART test collections (Cranfield, CISI, Medline, CACM): a folder of three files.

Documents and queries are ``.I id`` records whose fields start with a marker line (``.T``
title, ``.A`` authors, ``.B`` source, ``.W`` text, ``.X`` cross-references; CACM adds
``.N``/``.K``...). Only ``.T`` and ``.W`` are read. The relevance file has one judgement a line.

Which file is which is read from the content: the two ``.I`` record files are the documents
(more records) and the queries; the relevance file is all numeric lines. When a folder holds
more candidates, the usual names decide (``cran.all.1400``/``cran.qry``/``cranqrel``,
``CISI.ALL``/``CISI.QRY``/``CISI.REL``, ``MED.*``, ``cacm.all``/``query.text``/``qrels.text``);
every other file is listed in ``meta["files"]["ignored"]`` with the reason.

Text: each field's lines are joined with single spaces (newlines and runs of spaces
collapse) and the SMART tokeniser's " ." is closed up to "." where a space or the end follows
(never before a digit: " .5" stays). A record's text is ``title + "\\n" + body``; when the
body begins with the title (every Cranfield abstract does), that copy is dropped from the
body. Records with no text at all are kept (Cranfield 471 and 995) with a warning.

Ids: documents keep their ``.I`` number (leading zeros dropped). Queries are numbered by
position, 1..N: relevance files count queries that way (Cranfield's ``.I`` numbers run
001..365 with gaps; the other collections number 1..N anyway).

Relevance lines, by layout: ``q 0 d rel`` (Medline, TREC qrels: every second column 0):
rel > 0 positive, else judged negative; ``q d`` or ``q d 0 0`` (CISI, CACM): positive;
``q d code`` (Cranfield): Cleverdon's codes 1..4 are positives, -1 and 5 judged negatives
(label 0). Lines naming unknown queries or documents are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

from analysis.formats._builder import SetBuilder
from analysis.formats._open import open_bytes, read_head
from analysis.formats._read import RowError, decode_line, iter_lines
from analysis.formats._registry import Format
from analysis.formats.qrels import TREC, read_judgements
from analysis.model import DataError, NegativeSet

MARKER = re.compile(r"^\.([A-Z])(?:\s+(.*?))?\s*$")
SPACE_DOT = re.compile(r" \.(?=\s|$)")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
NAME_HINTS = {"docs": (".all", "all.", "docs"), "queries": ("qry", "query", "queries"),
              "rels": ("rel", "qrel")}
SAMPLE_BYTES = 65536


def _sample_lines(path: Path) -> list[str]:
    raw = read_head(path, SAMPLE_BYTES)
    lines = raw.decode("utf-8", errors="replace").splitlines()
    return [ln for ln in (lines[:-1] if len(raw) == SAMPLE_BYTES else lines) if ln.strip()]


def _classify(path: Path) -> str | None:
    """"records", "rels" or None, from the first 64 KiB."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    lines = _sample_lines(path)
    if lines and re.match(r"^\.I\s+\S+", lines[0]):
        return "records"
    if lines and all(2 <= len(t := ln.split()) <= 4 and all(NUMBER.match(x) for x in t)
                     for ln in lines):
        return "rels"
    return None


def _hinted(paths: list[Path], role: str) -> list[Path]:
    return [p for p in paths if any(h in p.name.lower() for h in NAME_HINTS[role])]


def _count_records(path: Path) -> int:
    with open_bytes(path) as handle:
        return sum(1 for line in handle if line.startswith(b".I"))


def _roles(folder: Path) -> tuple[dict[str, Path], list[dict]]:
    """{"docs", "queries", "rels"} -> file, plus the ignored files with reasons."""
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    kinds = {p: _classify(p) for p in entries}
    records = sorted((p for p in entries if kinds[p] == "records"), key=_count_records, reverse=True)
    rels = [p for p in entries if kinds[p] == "rels"]
    roles: dict[str, Path] = {}
    if len(records) >= 2:
        docs = _hinted(records, "docs")
        roles["docs"] = docs[0] if len(docs) == 1 else records[0]
        rest = [p for p in records if p != roles["docs"]]
        named = _hinted(rest, "queries")
        roles["queries"] = named[0] if len(named) == 1 else rest[0]
    if rels:
        named = _hinted(rels, "rels")
        roles["rels"] = named[0] if len(named) == 1 else rels[0]
    used = set(roles.values())
    ignored = [{"file": p.name, "reason": (
        "a subfolder" if p.is_dir() else "empty (0 bytes)" if p.stat().st_size == 0 else
        f"another {'record' if kinds[p] == 'records' else 'relevance'} file" if kinds[p] else
        "not a SMART file (neither .I records nor numeric relevance lines)")}
        for p in entries if p not in used]
    return roles, ignored


MAX_ENTRIES = 32  # a SMART collection is 3 files and a few more: detection opens no more


def detect(path: Path) -> bool:
    if not path.is_dir() or sum(1 for _ in zip(path.iterdir(), range(MAX_ENTRIES + 1))) > MAX_ENTRIES:
        return False
    return len(_roles(path)[0]) == 3


def load(path: Path) -> NegativeSet:
    """Load a folder holding a SMART documents file, queries file and relevance file."""
    if not path.is_dir():
        raise DataError("a SMART collection is a folder of three files (documents, queries, "
                        "relevance)", file=str(path))
    roles, ignored = _roles(path)
    missing = [role for role in ("docs", "queries", "rels") if role not in roles]
    if missing:
        names = {"docs": "documents", "queries": "queries", "rels": "relevance"}
        raise DataError(f"no SMART {' or '.join(names[m] for m in missing)} file found; looked at "
                        f"{[i['file'] for i in ignored] + [p.name for p in roles.values()]}",
                        file=str(path))
    builder = SetBuilder(str(roles["rels"]), source=path.name)
    for line, ident, text in _records(roles["docs"], builder):
        did = builder.doc(text, did=_number(ident), line=line)
        if not text:
            builder.warn(line, f"document {did} has no text", file=str(roles["docs"]))
    positions = [builder.query(text, qid=str(i), line=line)
                 for i, (line, _ident, text) in enumerate(_records(roles["queries"], builder), 1)]
    rule = _read_rels(roles["rels"], builder, len(positions))
    files = {"used": [roles[r].name for r in ("docs", "queries", "rels")], "ignored": ignored}
    return builder.build("smart", meta={"files": files, "relevance": rule})


def _number(ident: str) -> str:
    return str(int(ident)) if ident.isdigit() else ident


def _clean(lines: list[str]) -> str:
    return SPACE_DOT.sub(".", " ".join(" ".join(lines).split()))


def _text(fields: dict[str, list[str]]) -> str:
    title, body = _clean(fields.get("T", [])), _clean(fields.get("W", []))
    if title and (body == title or body.startswith(title + " ")):
        body = body[len(title):].lstrip()
    return "\n".join(part for part in (title, body) if part)


def _records(file: Path, builder: SetBuilder):
    """(line, .I id, text) for every readable record; a record with a bad line is skipped."""
    record = None
    for line, raw in iter_lines(file):
        try:
            text = decode_line(raw, line)
        except RowError as exc:
            if record is None:
                builder.skip(line, exc, file=str(file))
            else:
                record["bad"] = record["bad"] or (line, exc.reason)
            continue
        mark = MARKER.match(text)
        if mark and mark.group(1) == "I":
            yield from _finish(record, file, builder)
            record = {"line": line, "ident": (mark.group(2) or "").strip(), "fields": {},
                      "current": None, "bad": None}
        elif record is None:
            if text.strip():
                builder.skip(line, RowError(None, "text before the first .I line"), file=str(file))
        elif mark:
            record["current"] = mark.group(1)
            record["fields"].setdefault(mark.group(1), []).extend(
                [mark.group(2)] if mark.group(2) else [])
        elif record["current"] is not None:
            record["fields"][record["current"]].append(text)
        elif text.strip():
            record["bad"] = record["bad"] or (line, "text before the first field marker")
    yield from _finish(record, file, builder)


def _finish(record: dict | None, file: Path, builder: SetBuilder):
    if record is None:
        return
    if record["bad"] is not None:
        line, reason = record["bad"]
        builder.skip(line, RowError(None, f"record .I {record['ident']}: {reason}"), file=str(file))
        return
    yield record["line"], record["ident"], _text(record["fields"])


def _read_rels(file: Path, builder: SetBuilder, num_queries: int) -> str:
    qrels = read_judgements(file, separator="whitespace")
    for line, exc in qrels.skipped:
        builder.skip(line, exc)
    trec = qrels.layout == TREC
    graded = not trec and any(row.grade not in (None, 0) for row in qrels.judgements)
    for row in qrels.judgements:
        try:
            if not NUMBER.match(row.did):
                raise RowError("document", f"expected a document number, got {row.did[:40]!r}")
            label = _label(row.grade, trec=trec, graded=graded)
            if not row.qid.isdigit() or not 1 <= int(row.qid) <= num_queries:
                raise RowError("query", f"query {row.qid} is not among the {num_queries} queries")
            if _number(row.did) not in builder.docs:
                raise RowError("document", f"document {row.did} is not in the documents file")
        except RowError as exc:
            builder.skip(row.line, exc)
            continue
        builder.pair(str(int(row.qid)), _number(row.did), label, line=row.line)
    return ("trec: rel > 0 positive" if trec else
            "cleverdon codes: 1..4 positive, -1 and 5 judged negative" if graded else
            "every listed pair is positive")


def _label(grade: float | None, *, trec: bool, graded: bool) -> int:
    if trec:
        return int(grade > 0)
    if not graded or grade is None:
        return 1
    if grade in (1, 2, 3, 4):
        return 1
    if grade in (-1, 5):
        return 0
    raise RowError("code", f"relevance code {grade:g} is not 1..4, -1 or 5")


FORMAT = Format(name="smart", detect=detect, load=load, priority=30, files=False)
