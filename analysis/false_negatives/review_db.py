"""The SQLite file behind :class:`analysis.false_negatives.review.ReviewStore`.

Rules:

- One SQLite database per dataset, in WAL mode with ``synchronous=FULL``: readers never block
  the writer, and a change is on disk when its transaction commits (a process killed after
  ``mark`` returned loses nothing; one killed before loses the whole change, never half of it).
- Every change is one ``BEGIN IMMEDIATE`` transaction (bulk marks included); a connection is
  opened per change and closed after, so threads and processes share nothing but the file, and
  waits for the write lock up to :data:`BUSY_TIMEOUT_S`.
- Tables: ``decisions`` (the verdict in force per (qid, did), with reviewer, time and the
  verdict it replaced), ``history`` (every change, with the state it replaced: what ``undo``
  restores), ``meta`` (format, version, which JSON review files were imported).
- Version 3 adds to ``history`` how the review queue drew the item a verdict answers
  (``draw_chance``: its probability among the unreviewed negatives when the queue's random
  share drew it; ``draw_p``: the model's probability then; both NULL for a verdict not drawn at
  random, e.g. the queue's top pick or ``review mark``). The estimate is recomputed from them
  (``analysis.false_negatives.estimate``). A version-2 store is migrated in place when opened
  (two ``ALTER TABLE ... ADD COLUMN``; its older verdicts count as not drawn at random).
- Review files of NegLens before 0.x (one JSON file per dataset) are imported once, read only;
  the JSON file is never changed or removed.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from analysis.model import DataError

FORMAT = "neglens-review"
VERSION = 3
VERDICTS = ("false_negative", "true_negative", "unsure")
BUSY_TIMEOUT_S = 60.0
JSON_COLUMNS = ["qid", "did", "verdict", "marked_at"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    qid TEXT NOT NULL, did TEXT NOT NULL, verdict TEXT NOT NULL, reviewer TEXT,
    marked_at TEXT NOT NULL, previous TEXT, PRIMARY KEY (qid, did)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, qid TEXT NOT NULL, did TEXT NOT NULL,
    verdict TEXT, reviewer TEXT, marked_at TEXT NOT NULL,
    prev_verdict TEXT, prev_reviewer TEXT, prev_marked_at TEXT, prev_previous TEXT,
    draw_chance REAL, draw_p REAL);
CREATE INDEX IF NOT EXISTS history_pair ON history (qid, did, id);
"""
_ready: set[str] = set()


@contextmanager
def transaction(path: Path, *, write: bool = True):
    """A connection inside one transaction (``BEGIN IMMEDIATE`` when ``write``), committed on
    success, rolled back on any exception; SQLite errors become DataError naming the file."""
    con = None
    try:
        con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        yield con
        con.execute("COMMIT")
    except sqlite3.Error as exc:
        raise DataError(f"cannot use the review database: {exc}", file=str(path)) from exc
    finally:
        if con is not None:
            if con.in_transaction:
                con.execute("ROLLBACK")
            con.close()


def prepare(path: Path, legacy: tuple[Path, ...] = ()) -> None:
    """Create the database (WAL, schema) once per process, and import ``legacy`` JSON review
    files not imported before."""
    key = str(path)
    if key in _ready and not legacy:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None) as con:
            con.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            con.execute("PRAGMA journal_mode=WAL")
        con.close()
    except sqlite3.Error as exc:
        raise DataError(f"cannot open the review database: {exc}", file=str(path)) from exc
    with transaction(path) as con:
        for statement in filter(str.strip, SCHEMA.split(";")):
            con.execute(statement)
        found = dict(con.execute("SELECT key, value FROM meta").fetchall())
        if found.get("format", FORMAT) != FORMAT or int(found.get("version", VERSION)) > VERSION:
            raise DataError(f"not a NegLens review database of version <= {VERSION}", file=key)
        have = {row[1] for row in con.execute("PRAGMA table_info(history)")}
        for column in ("draw_chance", "draw_p"):  # version 2 -> 3, in place
            if column not in have:
                con.execute(f"ALTER TABLE history ADD COLUMN {column} REAL")
        con.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))
        con.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(VERSION),))
        for source in legacy:
            mark = f"imported:{source}"
            if mark in found or not source.is_file():
                continue
            rows = [(d["qid"], d["did"], d["verdict"], d["marked_at"]) for d in read_json(source)]
            con.executemany("INSERT OR IGNORE INTO decisions (qid, did, verdict, marked_at) "
                            "VALUES (?, ?, ?, ?)", rows)
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (mark, str(len(rows))))
    _ready.add(key)


def read_json(path: Path) -> list[dict]:
    """The decisions of a version-1 JSON review file (``{"format": "neglens-review",
    "version": 1, "decisions": [{qid, did, verdict, marked_at}, ...]}``), validated."""
    try:
        blob = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read the review file: {exc}", file=str(path)) from exc
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise DataError(f"not a NegLens review file (format must be {FORMAT!r})",
                        file=str(path), field="format")
    if blob.get("version") != 1:
        raise DataError(f"review file version {blob.get('version')!r} is not supported",
                        file=str(path), field="version")
    out = []
    for number, item in enumerate(blob.get("decisions", [])):
        if not isinstance(item, dict) or set(JSON_COLUMNS) - set(item) or item["verdict"] not in VERDICTS:
            raise DataError(f"decision {number + 1} is malformed: {item!r}", file=str(path),
                            field="decisions")
        out.append({c: str(item[c]) for c in JSON_COLUMNS})
    return out
