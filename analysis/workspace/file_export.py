"""Export from a file comparison: one file's negatives, or a mix, as training data, and a
settings file that reproduces the choice.

The choice (:func:`choose`): ``primary`` names a selection (a file, or a strategy run over the
union). Negatives flagged by any of ``drop`` (``padding``, ``sibling``: a sibling positive,
``suspect``: a false-negative suspect on the yardstick) are left out. With a ``fallback``, a
query whose primary negatives hold a flagged one takes the fallback's negatives instead
(unflagged ones), "per query from file X unless flagged". Positives are every file's positives
of the query.

Training data is FlagEmbedding JSONL (``{"query", "pos", "neg"}``), one line per query in the
union's query order. The settings file (``{"kind": "neglens-file-choice", "version": 1, files
with sha256, yardstick, sample, seed, strategies, primary, fallback, drop, output sha256}``)
is read back by :func:`apply_choice`, which refuses a changed input and writes the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from analysis.model import DataError

KIND = "neglens-file-choice"
FLAGS = ("padding", "sibling", "suspect")


def _flagged(cmp, name: str, drop) -> np.ndarray:
    rows = cmp.selections[name]
    out = np.zeros(len(rows), dtype=bool)
    if "padding" in drop:
        out |= cmp.padding[name]
    if "sibling" in drop:
        out |= cmp.siblings[name] != ""
    if "suspect" in drop:
        out |= cmp.fn["suspect"].to_numpy()[rows]
    return out


def choose(cmp, primary: str, *, fallback: str | None = None, drop=FLAGS) -> tuple[np.ndarray, dict]:
    """(union rows chosen, counts) for the rule in the module docstring."""
    for name in (primary, fallback):
        if name is not None and name not in cmp.selections:
            raise DataError(f"no selection {name!r} (have: {', '.join(cmp.selections)})", field="primary")
    unknown = set(drop) - set(FLAGS)
    if unknown:
        raise DataError(f"unknown flag {sorted(unknown)[0]!r} (flags: {', '.join(FLAGS)})", field="drop")
    qcode = cmp.columns["q"].to_numpy()
    rows, bad = cmp.selections[primary], _flagged(cmp, primary, drop)
    keep = rows[~bad]
    counts = {"dropped": int(bad.sum()), "queries_from_fallback": 0}
    if fallback is not None:
        moved = np.unique(qcode[rows[bad]])
        other, other_bad = cmp.selections[fallback], _flagged(cmp, fallback, drop)
        keep = np.r_[keep[~np.isin(qcode[keep], moved)],
                     other[~other_bad & np.isin(qcode[other], moved)]]
        counts["queries_from_fallback"] = int(len(moved))
    keep = np.unique(keep)
    counts["negatives"] = int(len(keep))
    return keep, counts


def training_lines(cmp, rows: np.ndarray) -> str:
    """FlagEmbedding JSONL of the chosen negatives with every file's positives."""
    pairs = cmp.union.nset.pairs
    qcode = pairs["qid"].cat.codes.to_numpy()
    dcode = pairs["did"].cat.codes.to_numpy()
    qtext = cmp.union.nset.queries["text"].astype(str).to_numpy()
    dtext = cmp.union.nset.docs["text"].astype(str).to_numpy()
    positive = np.flatnonzero(pairs["label"].to_numpy() == 1)
    lines = []
    for q in np.unique(qcode[rows]):
        pos = [dtext[d] for d in dcode[positive[qcode[positive] == q]]]
        neg = [dtext[d] for d in dcode[rows[qcode[rows] == q]]]
        if pos and neg:
            lines.append(json.dumps({"query": qtext[q], "pos": pos, "neg": neg}, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


def choice_settings(cmp, *, primary: str, fallback: str | None, drop, seed: int, sample: int,
                    strategies: list[str], text: str) -> dict:
    from analysis.formats.identity import fingerprint

    union = cmp.union
    return {"kind": KIND, "version": 1,
            "files": [{"name": n, "path": str(Path(p).resolve()), "sha256": fingerprint(p)}
                      for n, p in union.files.items()],
            "yardstick": cmp.measured.spec.text(), "sample": int(sample), "seed": int(seed),
            "strategies": list(strategies), "primary": primary, "fallback": fallback,
            "drop": list(drop), "output": {"format": "flagembedding",
                                           "sha256": hashlib.sha256(text.encode()).hexdigest()}}


def apply_choice(path: str | Path, *, progress=None) -> str:
    """The training data a settings file describes, re-made from its files (same bytes)."""
    from analysis.formats.identity import fingerprint
    from analysis.measure import yardstick
    from analysis.measure.file_match import open_files
    from analysis.workspace.compare_files import compare, parse_strategy

    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    if doc.get("kind") != KIND:
        raise DataError(f"not a file-choice settings file (kind {doc.get('kind')!r})", file=str(path),
                        field="kind")
    for f in doc["files"]:
        if fingerprint(f["path"]) != f["sha256"]:
            raise DataError(f"{f['path']} changed since the choice was made (sha256 differs)",
                            file=str(path), field="files")
    union = open_files([f["path"] for f in doc["files"]], sample=doc["sample"], seed=doc["seed"])
    measured = yardstick.measure(union, yardstick.parse(doc["yardstick"], union.names), progress=progress)
    strategies = {spec: parse_strategy(spec) for spec in doc["strategies"]}
    cmp = compare(union, measured, strategies=strategies, seed=doc["seed"])
    rows, _ = choose(cmp, doc["primary"], fallback=doc["fallback"], drop=doc["drop"])
    return training_lines(cmp, rows)
