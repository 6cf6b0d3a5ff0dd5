"""A person's verdicts on false-negative suspects, kept in the workspace, applied on export.

Rules:

- A verdict is ``false_negative`` (the document truly answers the query), ``true_negative``
  or ``unsure``, one per (qid, did), with the UTC time it was given (ISO 8601), an optional
  reviewer name and the verdict it replaced. Marking a pair again replaces all three.
- The decisions live in SQLite (``analysis.false_negatives.review_db``: WAL, one transaction
  per change, a bulk mark is one transaction), never by rewriting a whole file: two browser
  tabs, two processes, or a process killed mid-change lose nothing acknowledged.
- Location (:func:`default_review_path`): ``<workspace>/reviews/<sha256 of the data>.sqlite``,
  workspace ``$NEGLENS_CACHE_DIR/workspace`` (else ``~/.cache/neglens/workspace``). Keyed by
  content, the same data loaded from anywhere finds its decisions; the data folder is never
  written. JSON review files of older versions (beside the data, or under
  ``<cache>/reviews``) are imported once and left as they are.
- Every change is kept in a history, so :meth:`ReviewStore.undo` puts back what a pair had
  before its last change. A verdict the review queue's random share drew carries its draw
  (``draw=(chance, p)``, see ``review_db``), so the estimate can be recomputed from the store
  (:meth:`ReviewStore.design_log`).
- :func:`apply_decisions` turns verdicts into actions on negatives, as RLHN does:
  ``false_negative`` drops the row (``"drop"``) or relabels it positive (``"promote"``);
  ``true_negative`` and ``unsure`` leave it as it is.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.false_negatives.review_db import VERDICTS, prepare, transaction
from analysis.formats.identity import REVIEW_FILE, fingerprint
from analysis.model import DataError
from analysis.scoring.embedding_cache import default_cache_dir

ACTIONS = ("drop", "promote")
COLUMNS = ["qid", "did", "verdict", "marked_at", "reviewer", "time", "previous"]
_UPSERT = ("INSERT INTO decisions (qid, did, verdict, reviewer, marked_at, previous) "
           "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (qid, did) DO UPDATE SET verdict = excluded.verdict, "
           "reviewer = excluded.reviewer, marked_at = excluded.marked_at, previous = excluded.previous")
_LOG = ("INSERT INTO history (qid, did, verdict, reviewer, marked_at, prev_verdict, prev_reviewer, "
        "prev_marked_at, prev_previous, draw_chance, draw_p) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def default_review_path(data_path: str | os.PathLike, *,
                        workspace: str | os.PathLike | None = None) -> Path:
    """Where the decisions about ``data_path`` live; see the rules."""
    root = Path(workspace) if workspace is not None else default_cache_dir() / "workspace"
    return root / "reviews" / f"{fingerprint(data_path)}.sqlite"


def legacy_review_paths(data_path: str | os.PathLike) -> tuple[Path, ...]:
    """Where NegLens before the SQLite store kept a dataset's JSON review file."""
    data = Path(data_path).expanduser().resolve()
    beside = data / REVIEW_FILE if data.is_dir() else data.with_name(data.name + ".neglens-review.json")
    digest = hashlib.sha256(str(data).encode()).hexdigest()[:32]
    return beside, default_cache_dir() / "reviews" / f"{digest}.json"


def _stamp(at: datetime | None) -> str:
    return (at or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")


class ReviewStore:
    """The decisions in one SQLite file (created when first opened). ``legacy``: JSON review
    files imported (once) into it."""

    def __init__(self, path: str | os.PathLike, *, legacy: tuple = ()):
        self.path = Path(path)
        prepare(self.path, tuple(Path(p) for p in legacy))

    @classmethod
    def for_data(cls, data_path: str | os.PathLike, *,
                 workspace: str | os.PathLike | None = None) -> "ReviewStore":
        """The store of ``data_path`` (see :func:`default_review_path`), older JSON imported."""
        return cls(default_review_path(data_path, workspace=workspace),
                   legacy=legacy_review_paths(data_path))

    def mark(self, qid: str, did: str, verdict: str, *, at: datetime | None = None,
             reviewer: str | None = None, draw: tuple[float, float] | None = None) -> dict:
        """Record (or replace) the verdict on (qid, did); returns the stored decision. ``draw``:
        ``(chance, p)`` when the review queue's random share drew the pair (see the rules)."""
        return self.mark_many([(qid, did)], verdict, at=at, reviewer=reviewer, draw=draw)[0]

    def mark_many(self, keys, verdict: str, *, at: datetime | None = None,
                  reviewer: str | None = None, draw: tuple[float, float] | None = None) -> list[dict]:
        """The same verdict on several pairs, in one transaction; returns the stored decisions
        (``qid, did, verdict, marked_at, reviewer, previous``)."""
        if verdict not in VERDICTS:
            raise DataError(f"verdict must be one of {VERDICTS}, got {verdict!r}", field="verdict")
        chance, p = (None, None) if draw is None else (float(draw[0]), float(draw[1]))
        if chance is not None and not 0 < chance <= 1:
            raise DataError(f"a draw's chance must be in (0, 1], got {chance}", field="draw")
        reviewer = str(reviewer).strip() or None if reviewer is not None else None
        stamp, added = _stamp(at), []
        with transaction(self.path) as con:
            for qid, did in keys:
                qid, did = str(qid), str(did)
                old = _current(con, qid, did)
                con.execute(_LOG, (qid, did, verdict, reviewer, stamp, *old, chance, p))
                con.execute(_UPSERT, (qid, did, verdict, reviewer, stamp, old[0]))
                added.append({"qid": qid, "did": did, "verdict": verdict, "marked_at": stamp,
                              "reviewer": reviewer, "previous": old[0]})
        return added

    def get(self, qid: str, did: str) -> str | None:
        """The verdict on (qid, did), or None."""
        with transaction(self.path, write=False) as con:
            row = con.execute("SELECT verdict FROM decisions WHERE qid = ? AND did = ?",
                              (str(qid), str(did))).fetchone()
        return row[0] if row else None

    def unmark(self, qid: str, did: str) -> bool:
        """Forget the verdict on (qid, did); True when there was one."""
        return self.unmark_many([(qid, did)]) == 1

    def unmark_many(self, keys, *, reviewer: str | None = None) -> int:
        """Forget the verdicts on several pairs in one transaction; how many there were."""
        stamp, count = _stamp(None), 0
        with transaction(self.path) as con:
            for qid, did in keys:
                qid, did = str(qid), str(did)
                old = _current(con, qid, did)
                if old[0] is None:
                    continue
                con.execute(_LOG, (qid, did, None, reviewer, stamp, *old, None, None))
                con.execute("DELETE FROM decisions WHERE qid = ? AND did = ?", (qid, did))
                count += 1
        return count

    def clear(self) -> None:
        """Forget every decision, in one transaction (each can still be undone)."""
        stamp = _stamp(None)
        with transaction(self.path) as con:
            con.execute("INSERT INTO history (qid, did, verdict, reviewer, marked_at, prev_verdict, "
                        "prev_reviewer, prev_marked_at, prev_previous) SELECT qid, did, NULL, NULL, ?, "
                        "verdict, reviewer, marked_at, previous FROM decisions", (stamp,))
            con.execute("DELETE FROM decisions")

    def undo(self, qid: str, did: str) -> str | None:
        """Take back the last change to (qid, did): the pair gets back the verdict (reviewer,
        time) it had before, or none. Returns that verdict (None: no verdict now, or nothing
        to undo). Undoing again walks further back."""
        qid, did = str(qid), str(did)
        with transaction(self.path) as con:
            row = con.execute("SELECT id, prev_verdict, prev_reviewer, prev_marked_at, prev_previous "
                              "FROM history WHERE qid = ? AND did = ? ORDER BY id DESC LIMIT 1",
                              (qid, did)).fetchone()
            if row is None:
                return None
            con.execute("DELETE FROM history WHERE id = ?", (row[0],))
            if row[1] is None:
                con.execute("DELETE FROM decisions WHERE qid = ? AND did = ?", (qid, did))
            else:
                con.execute(_UPSERT, (qid, did, row[1], row[2], row[3], row[4]))
        return row[1]

    def all(self) -> pd.DataFrame:
        """Every decision, sorted by (qid, did): ``qid, did, verdict, marked_at, reviewer, time,
        previous`` (``marked_at`` and ``time`` the same UTC datetimes; ``reviewer`` and
        ``previous`` None when unknown)."""
        with transaction(self.path, write=False) as con:
            rows = con.execute("SELECT qid, did, verdict, marked_at, reviewer, marked_at, previous "
                               "FROM decisions ORDER BY qid, did").fetchall()
        table = pd.DataFrame(rows, columns=COLUMNS, dtype=object)
        for column in ("marked_at", "time"):
            table[column] = pd.to_datetime(table[column], utc=True, format="ISO8601")
        return table

    def history(self) -> pd.DataFrame:
        """Every change still on record, oldest first: ``qid, did, verdict`` (None: unmarked),
        ``reviewer, time, previous``."""
        with transaction(self.path, write=False) as con:
            rows = con.execute("SELECT qid, did, verdict, reviewer, marked_at, prev_verdict "
                               "FROM history ORDER BY id").fetchall()
        table = pd.DataFrame(rows, columns=["qid", "did", "verdict", "reviewer", "time", "previous"], dtype=object)
        table["time"] = pd.to_datetime(table["time"], utc=True, format="ISO8601")
        return table


    def design_log(self) -> pd.DataFrame:
        """What the estimate needs, oldest change first: ``qid, did, verdict`` (None: unmarked),
        ``chance`` and ``p`` (NaN unless the queue's random share drew the pair)."""
        with transaction(self.path, write=False) as con:
            rows = con.execute("SELECT qid, did, verdict, draw_chance, draw_p FROM history "
                               "ORDER BY id").fetchall()
        table = pd.DataFrame(rows, columns=["qid", "did", "verdict", "chance", "p"])
        return table.astype({"chance": np.float64, "p": np.float64})


def _current(con, qid: str, did: str) -> tuple:
    """(verdict, reviewer, marked_at, previous) of the pair now, all None when unmarked."""
    row = con.execute("SELECT verdict, reviewer, marked_at, previous FROM decisions "
                      "WHERE qid = ? AND did = ?", (qid, did)).fetchone()
    return tuple(row) if row else (None, None, None, None)


def apply_decisions(pairs: pd.DataFrame, decisions: pd.DataFrame | ReviewStore, *,
                    false_negative: str = "drop") -> tuple[pd.DataFrame, dict]:
    """Apply verdicts to the negatives of ``pairs``; returns (new pairs, counts).

    Only label-0 rows change: ``false_negative`` rows are dropped or promoted to label 1 in
    every source that holds them. Counts: ``dropped``, ``promoted``, ``kept`` (negatives with
    a true_negative/unsure verdict) and ``not_found`` (decisions matching no negative).
    """
    if false_negative not in ACTIONS:
        raise DataError(f"false_negative must be one of {ACTIONS}, got {false_negative!r}",
                        field="false_negative")
    table = decisions.all() if isinstance(decisions, ReviewStore) else decisions
    missing = {"qid", "did", "verdict"} - set(table.columns)
    if missing:
        raise DataError(f"decisions lack column(s) {sorted(missing)}", field=sorted(missing)[0])
    # Series sums: a numpy object array + "\0" loses the NUL, so ("1", "23") met ("12", "3")
    keys = (pairs["qid"].astype(str) + "\0" + pairs["did"].astype(str)).to_numpy(dtype=object)
    decided = (table["qid"].astype(str) + "\0" + table["did"].astype(str)).to_numpy(dtype=object)
    negative = pairs["label"].to_numpy() == 0
    fn = np.isin(keys, decided[table["verdict"].to_numpy() == "false_negative"]) & negative
    others = np.isin(keys, decided[table["verdict"].to_numpy() != "false_negative"]) & negative
    counts = {"dropped": 0, "promoted": 0, "kept": int(others.sum()),
              "not_found": int((~np.isin(decided, keys[negative])).sum())}
    if false_negative == "drop":
        counts["dropped"] = int(fn.sum())
        return pairs[~fn].reset_index(drop=True), counts
    out = pairs.copy()
    out.loc[fn, "label"] = np.int8(1)
    counts["promoted"] = int(fn.sum())
    return out, counts
