"""NV-Retriever's positive-aware mining: filter by a ceiling on the negative score, then top-k.

Moreira et al., "NV-Retriever: Improving text embedding models with effective hard-negative
mining" (arXiv 2407.15831, 2024). Each method keeps candidates below a maximum negative score and
takes the ``num_negatives`` best-scored survivors (ties by raw rank):

- ``topk_abs``: keep ``s <= threshold`` (an absolute ceiling, 0.7 here);
- ``topk_marginpos``: keep ``s < s_pos - margin`` (margin 0.05);
- ``topk_percpos``: keep ``s < percentage * s_pos`` (95%, with 4 negatives: the paper's best).

``s_pos`` is the query's minimum positive score by default (``positive`` selects min/mean/max).
sentence-transformers' ``relative_margin=0.05`` is the same idea but written
``s > s_pos - |s_pos| * 0.05`` (equal to ``0.95 * s_pos`` for positive ``s_pos``) and removes
only strictly greater scores; the ``margin`` strategy reproduces that variant exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.model import POSITIVE_REDUCTIONS
from analysis.strategies.base import Strategy, param, register
from analysis.strategies.baseline import hardest
from analysis.strategies.view import FilterLog, drop_unscored, drop_without_positive

NV = "NV-Retriever (Moreira et al. 2024)"
POSITIVE_HELP = "how s_pos reduces several positives: min (harder positive), mean or max"


@register
@dataclass(frozen=True)
class TopKAbs(Strategy):
    name = "topk_abs"
    summary = "keep s <= threshold, then the k best-scored"
    source = f"{NV} TopK-Abs"

    num_negatives: int = param(4, low=1, high=10_000, help="negatives to choose per query",
                               source=NV)
    threshold: float = param(0.7, low=-1e6, high=1e6, help="highest negative score kept",
                             source=f"{NV} TopK-Abs ablation")

    def _choose(self, view, rng, log: FilterLog) -> np.ndarray:
        drop_unscored(view, log)
        log.remove("threshold", self.threshold, view.score > np.float32(self.threshold),
                   f"s > {self.threshold}")
        return hardest(view, log.alive, self.num_negatives)


@register
@dataclass(frozen=True)
class TopKMarginPos(Strategy):
    name = "topk_marginpos"
    summary = "keep s < s_pos - margin, then the k best-scored"
    source = f"{NV} TopK-MarginPos"

    num_negatives: int = param(4, low=1, high=10_000, help="negatives to choose per query",
                               source=NV)
    margin: float = param(0.05, low=-1e6, high=1e6, help="absolute margin below s_pos",
                          source=f"{NV} TopK-MarginPos ablation")
    positive: str = param("min", choices=POSITIVE_REDUCTIONS, help=POSITIVE_HELP)

    def _choose(self, view, rng, log: FilterLog) -> np.ndarray:
        drop_unscored(view, log)
        s_pos = view.positive_score(self.positive)
        drop_without_positive(s_pos, log)
        with np.errstate(invalid="ignore"):
            log.remove("margin", self.margin, ~(view.score < s_pos - np.float32(self.margin)),
                       f"s >= s_pos - {self.margin}")
        return hardest(view, log.alive, self.num_negatives)


@register
@dataclass(frozen=True)
class TopKPercPos(Strategy):
    name = "topk_percpos"
    summary = "keep s < percentage * s_pos, then the k best-scored"
    source = f"{NV} TopK-PercPos (95%, 4 negatives: its best)"

    num_negatives: int = param(4, low=1, high=10_000, help="negatives to choose per query",
                               source=f"{NV} best setting")
    percentage: float = param(0.95, low=0.0, high=10.0, help="ceiling as a fraction of s_pos",
                              source=f"{NV} TopK-PercPos 95%")
    positive: str = param("min", choices=POSITIVE_REDUCTIONS, help=POSITIVE_HELP)

    def _choose(self, view, rng, log: FilterLog) -> np.ndarray:
        drop_unscored(view, log)
        s_pos = view.positive_score(self.positive)
        drop_without_positive(s_pos, log)
        with np.errstate(invalid="ignore"):
            log.remove("percentage", self.percentage,
                       ~(view.score < s_pos * np.float32(self.percentage)),
                       f"s >= {self.percentage} * s_pos")
        return hardest(view, log.alive, self.num_negatives)
