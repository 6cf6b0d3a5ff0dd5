"""Compare strategies one at a time: select, summarise, keep a bit mask, drop the selection.

``compare.summary`` and ``compare.overlap`` take every selection at once; each holds its chosen
rows as int64, 8 bytes a chosen pair: six selections of a 10M x 10 file's candidates are ~5 GiB
on top of the candidates. ``compare_one_by_one`` gives the same table and the same Jaccard
matrix while holding one selection at a time, plus one bit per candidate per strategy
(``numpy.packbits``; intersections counted with ``numpy.bitwise_count``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from analysis.measure.compare import Summariser
from analysis.model import NegativeSet


@dataclass(frozen=True)
class Reported:
    """What is kept of a selection once summarised: its strategy and report."""

    strategy: str
    report: object


def compare_one_by_one(pool: NegativeSet, strategies: Mapping, *, seed: int = 0
                       ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Reported]]:
    """(``summary`` table, ``overlap`` matrix, label -> Reported) of ``strategies`` (label ->
    strategy), each drawing with ``numpy.random.default_rng(seed)`` as the CLI does."""
    summarise = Summariser(pool)
    records, masks, counts, kept = [], {}, {}, {}
    size = len(pool.pairs)
    for label, strategy in strategies.items():
        selection = strategy.select(pool, np.random.default_rng(seed))
        records.append(summarise.record(label, selection))
        mask = np.zeros(size, dtype=bool)
        mask[selection.rows] = True
        counts[label] = int(mask.sum())
        masks[label] = np.packbits(mask)
        kept[label] = Reported(selection.strategy, selection.report)
        del selection, mask
    return pd.DataFrame.from_records(records), packed_overlap(masks, counts), kept


def packed_overlap(masks: Mapping[str, np.ndarray], counts: Mapping[str, int]) -> pd.DataFrame:
    """``compare.overlap``'s Jaccard matrix from packed row masks and their set bit counts."""
    labels = list(masks)
    matrix = np.ones((len(labels), len(labels)))
    for i, a in enumerate(labels):
        for j in range(i + 1, len(labels)):
            b = labels[j]
            common = int(np.bitwise_count(masks[a] & masks[b]).sum())
            union = counts[a] + counts[b] - common
            matrix[i, j] = matrix[j, i] = common / union if union else 1.0
    return pd.DataFrame(matrix, index=pd.Index(labels, name="selection"), columns=labels)
