"""What a strategy returns: the chosen pool rows and a report of how it got there.

A ``Selection`` is row indices into ``pool.pairs`` (int64, ordered by ``(qid, rank)``) plus the
strategy's name and parameters, so it costs 8 bytes a chosen row and never copies the pool. Its
``Report`` says, as sentence-transformers prints it, how many candidates each filter removed (in
order, each counting only what the earlier ones left) and which queries got fewer negatives than
asked: a strategy never pads a short query.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np
import pandas as pd

from analysis.model import NegativeSet
from analysis.strategies.view import FilterCount, FilterLog, PoolView


@dataclass(frozen=True, eq=False)
class Report:
    """How a selection was made.

    ``candidates``: non-positive rows the filters started from; ``filters``: sequential removal
    counts; ``short``: the queries that got fewer than ``requested`` negatives (columns ``qid``
    and ``found``); ``notes``: anything else worth knowing (a window deeper than the pool, ...).
    """

    requested: int
    num_queries: int
    candidates: int
    selected: int
    filters: tuple[FilterCount, ...]
    short: pd.DataFrame
    notes: tuple[str, ...]

    @property
    def num_short(self) -> int:
        return len(self.short)

    def lines(self) -> list[str]:
        """Human-readable report: non-zero filter counts, then the shortfall, then notes."""
        out = [step.line() for step in self.filters if step.removed]
        if self.num_short:
            share = self.num_short / self.num_queries if self.num_queries else 0.0
            out.append(f"Could not find enough negatives for {self.num_short:,} queries "
                       f"({share:.2%}): asked for {self.requested}, they got fewer (never padded).")
        return out + list(self.notes)

    def as_dict(self) -> dict:
        return {
            "requested": self.requested,
            "queries": self.num_queries,
            "candidates": self.candidates,
            "selected": self.selected,
            "filters": [step.as_dict() for step in self.filters],
            "short_queries": {str(q): int(n) for q, n in zip(self.short["qid"], self.short["found"])},
            "notes": list(self.notes),
        }


@dataclass(frozen=True, eq=False)
class Selection:
    """The pool rows a strategy chose (``rows``, into ``pool.pairs``) and its report."""

    rows: np.ndarray
    strategy: str
    params: Mapping[str, object]
    report: Report

    def __len__(self) -> int:
        return len(self.rows)

    def pairs(self, pool: NegativeSet) -> pd.DataFrame:
        """The chosen rows of ``pool.pairs`` with ``source`` set to the strategy name."""
        out = pool.pairs.iloc[self.rows].reset_index(drop=True)
        out["source"] = _constant_category(len(out), self.strategy)
        return out

    def training_set(self, pool: NegativeSet, *, keep_empty: bool = False) -> NegativeSet:
        """Training data: the labelled positives of the pool plus the chosen negatives.

        A query that got no negative at all is left out, as ``mine_hard_negatives`` leaves it out
        of its output (it stays listed in ``report.short`` with ``found`` 0); ``keep_empty=True``
        keeps its positives. Rows are ordered by ``(qid, rank)`` and carry ``source`` = the
        strategy name: what ``analysis.formats.write`` turns into sentence-transformers,
        FlagEmbedding or Tevatron files.
        """
        view = PoolView.of(pool)
        keep = np.zeros(len(pool.pairs), dtype=bool)
        keep[self.rows] = True
        positive = ~view.negatives
        if not keep_empty:
            served = np.bincount(view.qcode[keep[view.rows]], minlength=view.num_queries) > 0
            positive &= served[view.qcode]
        keep[view.rows[positive]] = True
        rows = view.rows[keep[view.rows]]
        pairs = pool.pairs.iloc[rows].reset_index(drop=True)
        pairs["source"] = _constant_category(len(pairs), self.strategy)
        return pool.with_pairs(pairs, meta={**pool.meta, "strategy": self.strategy,
                                            "params": dict(self.params)})


def _constant_category(n: int, value: str) -> pd.Categorical:
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[value])


def finish(view: PoolView, chosen: np.ndarray, log: FilterLog, *, strategy: str,
           params: Mapping[str, object], requested: int) -> Selection:
    """Turn a boolean mask over view positions into a ``Selection`` with its report."""
    where = np.flatnonzero(chosen)
    if view.label[where].any():
        raise AssertionError(f"strategy {strategy!r} chose a labelled positive")
    found = np.bincount(view.qcode[where], minlength=view.num_queries)
    short_codes = np.flatnonzero(view.present & (found < requested))
    qids = np.asarray(view.pairs["qid"].cat.categories, dtype=object)
    short = pd.DataFrame({"qid": pd.array(qids[short_codes], dtype="string"),
                          "found": found[short_codes].astype(np.int64)})
    report = Report(requested=requested, num_queries=int(view.present.sum()),
                    candidates=log.candidates, selected=len(where),
                    filters=tuple(log.steps), short=short, notes=tuple(log.notes))
    return Selection(rows=view.rows[where], strategy=strategy,
                     params=MappingProxyType(dict(params)), report=report)
