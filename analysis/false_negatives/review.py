"""A person's verdicts on false-negative suspects, stored beside the data, applied on export.

Rules:

- A verdict is ``false_negative`` (the document truly answers the query), ``true_negative``
  or ``unsure``, one per (qid, did), with the UTC time it was given (ISO 8601). Marking a pair
  again replaces its verdict and time.
- The store is one JSON file: ``{"format": "neglens-review", "version": 1, "decisions":
  [{"qid", "did", "verdict", "marked_at"}, ...]}``, sorted by (qid, did). Never pickle.
- Default location (:func:`default_review_path`): beside the data, ``<file>.neglens-review.json``
  for a file and ``<folder>/neglens-review.json`` for a folder dataset, so loading the same
  data again brings the decisions back. When that place cannot be written (read-only data),
  ``$NEGLENS_CACHE_DIR/reviews/<sha256 of the absolute data path>.json`` instead.
- Every write goes to a temporary file in the same folder, then ``os.replace``: a crash never
  leaves half a file. The file is re-read before each change, so two views marking different
  pairs do not lose each other's work.
- :func:`apply_decisions` turns verdicts into actions on negatives, as RLHN does:
  ``false_negative`` drops the row (``"drop"``) or relabels it positive (``"promote"``);
  ``true_negative`` and ``unsure`` leave it as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.formats.identity import REVIEW_FILE
from analysis.model import DataError

VERDICTS = ("false_negative", "true_negative", "unsure")
ACTIONS = ("drop", "promote")
FORMAT = "neglens-review"
VERSION = 1
COLUMNS = ["qid", "did", "verdict", "marked_at"]


def default_review_path(data_path: str | os.PathLike) -> Path:
    """Where the decisions about ``data_path`` live; see the rules."""
    data = Path(data_path).expanduser().resolve()
    beside = data / REVIEW_FILE if data.is_dir() else data.with_name(data.name + ".neglens-review.json")
    if beside.exists() or os.access(beside.parent, os.W_OK):
        return beside
    env = os.environ.get("NEGLENS_CACHE_DIR")
    root = Path(env) if env else Path.home() / ".cache" / "neglens"
    return root / "reviews" / f"{hashlib.sha256(str(data).encode()).hexdigest()[:32]}.json"


class ReviewStore:
    """The decisions in one JSON file (created on the first mark)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    @classmethod
    def for_data(cls, data_path: str | os.PathLike) -> "ReviewStore":
        return cls(default_review_path(data_path))

    def _read(self) -> dict[tuple[str, str], dict]:
        if not self.path.exists():
            return {}
        try:
            blob = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(f"cannot read the review file: {exc}", file=str(self.path)) from exc
        if not isinstance(blob, dict) or blob.get("format") != FORMAT:
            raise DataError(f"not a NegLens review file (format must be {FORMAT!r})",
                            file=str(self.path), field="format")
        if blob.get("version") != VERSION:
            raise DataError(f"review file version {blob.get('version')!r} is not supported",
                            file=str(self.path), field="version")
        out = {}
        for number, item in enumerate(blob.get("decisions", [])):
            if not isinstance(item, dict) or set(COLUMNS) - set(item) or item["verdict"] not in VERDICTS:
                raise DataError(f"decision {number + 1} is malformed: {item!r}", file=str(self.path),
                                field="decisions")
            out[(str(item["qid"]), str(item["did"]))] = {c: str(item[c]) for c in COLUMNS}
        return out

    def _write(self, decisions: dict[tuple[str, str], dict]) -> None:
        blob = {"format": FORMAT, "version": VERSION,
                "decisions": [decisions[key] for key in sorted(decisions)]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(blob, handle, indent=1, ensure_ascii=False)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def mark(self, qid: str, did: str, verdict: str, *, at: datetime | None = None) -> dict:
        """Record (or replace) the verdict on (qid, did); returns the stored decision."""
        return self.mark_many([(qid, did)], verdict, at=at)[0]

    def mark_many(self, keys: list[tuple[str, str]], verdict: str, *,
                  at: datetime | None = None) -> list[dict]:
        """The same verdict on several pairs, in one write."""
        if verdict not in VERDICTS:
            raise DataError(f"verdict must be one of {VERDICTS}, got {verdict!r}", field="verdict")
        stamp = (at or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")
        decisions = self._read()
        added = []
        for qid, did in keys:
            item = {"qid": str(qid), "did": str(did), "verdict": verdict, "marked_at": stamp}
            decisions[(item["qid"], item["did"])] = item
            added.append(item)
        self._write(decisions)
        return added

    def get(self, qid: str, did: str) -> str | None:
        """The verdict on (qid, did), or None."""
        item = self._read().get((str(qid), str(did)))
        return item["verdict"] if item else None

    def unmark(self, qid: str, did: str) -> bool:
        """Forget the verdict on (qid, did); True when there was one."""
        decisions = self._read()
        found = decisions.pop((str(qid), str(did)), None) is not None
        if found:
            self._write(decisions)
        return found

    def clear(self) -> None:
        """Forget every decision (the file stays, empty)."""
        self._write({})

    def all(self) -> pd.DataFrame:
        """Every decision: ``qid, did, verdict, marked_at`` (UTC datetimes), sorted by (qid, did)."""
        decisions = self._read()
        table = pd.DataFrame([decisions[k] for k in sorted(decisions)], columns=COLUMNS)
        table["marked_at"] = pd.to_datetime(table["marked_at"], utc=True)
        return table


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
    keys = pairs["qid"].astype(str).to_numpy(dtype=object) + "\0" + pairs["did"].astype(str).to_numpy(dtype=object)
    decided = table["qid"].astype(str).to_numpy(dtype=object) + "\0" + table["did"].astype(str).to_numpy(dtype=object)
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
