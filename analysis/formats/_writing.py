"""What every writer starts from: a set's pairs grouped per query, in a stable order.

Rules shared by the writers:

- Queries come in the order of ``nset.queries``; queries without pairs are not written.
- In each query, positives come first, then negatives; within each, documents ranked by the
  retriever come first by rank, then the rest by descending score, then in table order.
- A set with pairs from several sources (a pool plus selections) must name the one to write
  with ``source=``; pairs are never silently mixed.
- A writer that cannot hold a query in the asked layout (no positive, no negative, unknown
  scores...) raises DataError naming the first such query and how many there are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.model import RANK_UNKNOWN, DataError, NegativeSet


@dataclass(frozen=True)
class Doc:
    did: str
    text: str
    score: float


@dataclass
class QueryGroup:
    qid: str
    text: str
    pos: list[Doc] = field(default_factory=list)
    neg: list[Doc] = field(default_factory=list)

    @property
    def docs(self) -> list[Doc]:
        return self.pos + self.neg

    def scored(self) -> bool:
        return all(not math.isnan(d.score) for d in self.docs)


def query_groups(nset: NegativeSet, *, source: str | None = None) -> list[QueryGroup]:
    """The pairs of one source, grouped per query, ordered as the module docstring says."""
    pairs = nset.pairs
    sources = sorted(map(str, pairs["source"].unique()))
    if source is not None:
        if source not in sources:
            raise DataError(f"no pairs with source {source!r}; sources: {sources}", field="source")
        pairs = pairs[pairs["source"].astype(str) == source]
    elif len(sources) > 1:
        raise DataError(f"the set holds pairs from {len(sources)} sources {sources}; pass "
                        "source=... to choose the one to write", field="source")
    query_order = pd.Series(np.arange(len(nset.queries)), index=nset.queries["qid"].astype(str))
    rank = pairs["rank"].to_numpy()
    table = pd.DataFrame({
        "qid": pairs["qid"].astype(str).to_numpy(),
        "did": pairs["did"].astype(str).to_numpy(),
        "label": pairs["label"].to_numpy(),
        "score": pairs["score"].to_numpy(dtype=np.float64),
        "unranked": rank == RANK_UNKNOWN,
        "rank": rank,
    })
    table["order"] = query_order.reindex(table["qid"]).to_numpy()
    table["neg_score"] = -table["score"]
    table = table.sort_values(["order", "label", "unranked", "rank", "neg_score"],
                              ascending=[True, False, True, True, True], kind="stable",
                              na_position="last")
    qtext = dict(zip(nset.queries["qid"].astype(str), nset.queries["text"].astype(str)))
    dtext = dict(zip(nset.docs["did"].astype(str), nset.docs["text"].astype(str)))
    groups: dict[str, QueryGroup] = {}
    for qid, did, label, score in zip(table["qid"], table["did"], table["label"], table["score"]):
        group = groups.get(qid)
        if group is None:
            group = groups[qid] = QueryGroup(qid, qtext[qid])
        (group.pos if label == 1 else group.neg).append(Doc(did, dtext[did], float(score)))
    return list(groups.values())


def refuse(groups: list[QueryGroup], problem: str, hint: str) -> None:
    """DataError for the queries a layout cannot hold (no-op when there are none)."""
    if groups:
        first = groups[0]
        raise DataError(f"{len(groups)} queries {problem}, e.g. query {first.qid!r} "
                        f"({first.text[:40]!r}); {hint}", field="qid")


def require_scores(groups: list[QueryGroup]) -> None:
    refuse([g for g in groups if not g.scored()], "have pairs without a score",
           "write with scores=False")
