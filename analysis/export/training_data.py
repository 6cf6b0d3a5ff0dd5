"""Training data out: the selected negatives, review decisions applied, in a trainer's format.

``training_set(pool, selection, decisions=...)`` is ``Selection.training_set`` (every labelled
positive of the pool plus the chosen negatives, ordered by ``(qid, rank)``, ``source`` = the
strategy) with the reviewer's verdicts applied as RLHN does (``analysis.false_negatives.review.apply_decisions``):
a ``false_negative`` verdict on a chosen negative drops it (``false_negatives="drop"``) or
relabels it as a positive (``"promote"``); ``true_negative`` and ``unsure`` change nothing.
Verdicts on pairs the selection did not choose are counted, not applied.

``write_training_data(nset, path, format=...)`` writes it with ``analysis.formats.write``:

==================================  ==================================================
format                              file
==================================  ==================================================
sentence-transformers[/LAYOUT]      LAYOUT triplet (default), n-tuple, labeled-pair or
                                    labeled-list; ``.jsonl``, ``.csv``, ``.parquet``, or
                                    no suffix for a ``datasets`` save_to_disk folder
flagembedding                       JSONL ``query``/``pos``/``neg`` (+ ``pos_scores`` /
                                    ``neg_scores`` when every pair of the query is scored)
tevatron[/legacy|new]               JSONL with passages, or ids + ``corpus.jsonl``
==================================  ==================================================

Queries a layout cannot hold are left out when writing and counted in the returned notes, as
``mine_hard_negatives`` leaves them out: a query with no negative (found none, or the review
removed them; every layout but labeled-pair, which keeps its positive rows), one without a
positive (every layout but labeled-pair), or, for n-tuple, one with another number of negatives
than ``num_negatives`` (n-tuple rows are ``num_negatives`` wide; default: the strategy's
``num_negatives`` from the set's ``meta["params"]``, so ``sample``, ``apply`` and the dashboard
write the same bytes).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.false_negatives.review import ACTIONS as FALSE_NEGATIVE_ACTIONS
from analysis.false_negatives.review import apply_decisions
from analysis.model import DataError, NegativeSet

FORMATS = ("sentence-transformers/triplet", "sentence-transformers/n-tuple",
           "sentence-transformers/labeled-pair", "sentence-transformers/labeled-list",
           "flagembedding", "tevatron/legacy", "tevatron/new")
_DEFAULT_LAYOUT = {"sentence-transformers": "triplet", "tevatron": "legacy"}


def training_set(pool: NegativeSet, selection, *, decisions: Iterable[dict] = (),
                 false_negatives: str = "drop") -> tuple[NegativeSet, list[str]]:
    """The selection's training data with decisions applied, and notes on what they changed.

    ``decisions`` are ``{qid, did, verdict, ...}`` dicts (a settings file's) or a
    ``ReviewStore.all()`` table; they are applied by ``analysis.false_negatives.review.apply_decisions``.
    """
    if false_negatives not in FALSE_NEGATIVE_ACTIONS:
        raise DataError(f"false_negatives must be one of {FALSE_NEGATIVE_ACTIONS}, got "
                        f"{false_negatives!r}", field="false_negatives")
    # every query's positives: labeled-pair keeps those of a query that got no negative, as
    # mine_hard_negatives does; shape_training_data drops them from the other layouts
    base = selection.training_set(pool, keep_empty=True)
    table = decisions if isinstance(decisions, pd.DataFrame) else \
        pd.DataFrame(list(decisions), columns=["qid", "did", "verdict"])
    if table.empty:
        return base, []
    pairs, counts = apply_decisions(base.pairs, table, false_negative=false_negatives)
    done = "dropped" if false_negatives == "drop" else "promoted to positives"
    notes = [f"review: {counts['dropped'] + counts['promoted']:,} false negatives {done}, "
             f"{counts['kept']:,} negatives confirmed or unsure kept"]
    if counts["not_found"]:
        notes.append(f"review: {counts['not_found']:,} decisions name pairs that are not chosen "
                     "negatives of this selection (not applied)")
    return base.with_pairs(pairs), notes


def resolve_format(format: str) -> tuple[str, str | None]:
    """``(format name for analysis.formats.write, layout)``; the default layout when omitted."""
    base, _, layout = str(format).partition("/")
    layout = layout or _DEFAULT_LAYOUT.get(base)
    name = f"{base}/{layout}" if layout else base
    if name not in FORMATS:
        raise DataError(f"cannot write training data as {format!r}; formats: {', '.join(FORMATS)}",
                        field="format")
    return name, layout


def write_training_data(nset: NegativeSet, path: str | os.PathLike, *,
                        format: str = "sentence-transformers", scores: bool | None = None,
                        num_negatives: int | None = None,
                        keep_empty: bool = False) -> tuple[Path, list[str]]:
    """Write ``nset`` (one source) as training data; returns the path and notes on left-out queries.

    Queries with positives but no negative stay in labeled-pair (their positive rows are valid);
    ``keep_empty`` keeps them in labeled-list too; other layouts leave them out, as
    mine_hard_negatives does.

    ``scores``: sentence-transformers adds its ``scores``/``score`` column when True;
    FlagEmbedding writes ``pos_scores``/``neg_scores`` where known unless False. ``num_negatives``
    is the n-tuple width (default: the strategy's, else the most common number of negatives).
    """
    from analysis.formats import write

    name, _ = resolve_format(format)
    kept, notes = shape_training_data(nset, format, num_negatives=num_negatives, keep_empty=keep_empty)
    options = {}
    if name.startswith("sentence-transformers"):
        options["scores"] = bool(scores)
        if name.endswith("/n-tuple"):
            options["num_negatives"] = ntuple_width(kept)
    elif name == "flagembedding":
        options["scores"] = scores
    elif scores:
        raise DataError("Tevatron files carry no scores; drop --scores", field="scores")
    return write(kept, Path(path), format=name, **options), notes


def shape_training_data(nset: NegativeSet, format: str, *, num_negatives: int | None = None,
                        keep_empty: bool = False) -> tuple[NegativeSet, list[str]]:
    """The rows :func:`write_training_data` writes as ``format``: ``nset`` without the queries
    the layout cannot hold (module docstring), and a note for each rule that left some out."""
    name, layout = resolve_format(format)
    pairs = nset.pairs
    codes = pairs["qid"].cat.codes.to_numpy()
    size = len(pairs["qid"].cat.categories)
    negatives = np.bincount(codes, weights=(pairs["label"] == 0).to_numpy(), minlength=size)
    positives = np.bincount(codes, weights=(pairs["label"] == 1).to_numpy(), minlength=size)
    present = np.bincount(codes, minlength=size) > 0
    rules = []
    if layout != "labeled-pair" and not (keep_empty and layout == "labeled-list"):
        rules.append((negatives == 0, "have no negative"))
    if layout != "labeled-pair":
        rules.append((positives == 0, "have no positive"))
    if layout == "n-tuple":
        counts = negatives[present & (negatives > 0)]
        width = num_negatives or ntuple_width(nset) or \
            (int(np.bincount(counts.astype(np.int64)).argmax()) if len(counts) else 0)
        rules.append((negatives != width, f"have fewer than {width} negatives (n-tuple rows are all "
                                          f"{width} negatives wide)"))
    drop = np.zeros(size, dtype=bool)
    notes = []
    for mask, why in rules:
        new = mask & present & ~drop
        if new.any():
            notes.append(f"left out {int(new.sum()):,} queries that {why}")
        drop |= new
    if layout == "n-tuple":
        nset = nset.with_pairs(nset.pairs, meta={**nset.meta, "ntuple_width": width})
    if not drop.any():
        return nset, notes
    if drop[present].all():
        raise DataError(f"no query can be written as {name}: " + "; ".join(notes), field="format")
    return nset.with_pairs(pairs[~drop[codes]].reset_index(drop=True)), notes


def ntuple_width(nset: NegativeSet) -> int | None:
    """The n-tuple width a set asks for: ``shape_training_data``'s, else its strategy's
    ``num_negatives`` (``Selection.training_set`` records the params in ``meta``)."""
    width = nset.meta.get("ntuple_width") or (nset.meta.get("params") or {}).get("num_negatives")
    return int(width) if width else None
