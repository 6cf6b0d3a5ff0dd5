"""SimANS: sample ambiguous negatives, those scored close to the positive.

Zhou et al., "SimANS: Simple Ambiguous Negatives Sampling for Dense Text Retrieval" (EMNLP 2022).
The README (github.com/microsoft/SimXNS, SimANS/README.md) gives the sampling distribution over
the pool's non-positives as

    p_i  ∝  exp(-a * (s_i - s_pos - b)^2)

which we follow: ``b > 0`` favours negatives scored ``b`` *above* the positive. The released
training code (``SimANS/utils/*.py``: ``math.exp(-(neg_score - pos_score + self.b) ** 2 * self.a)``)
uses ``(s_i - s_pos + b)``, i.e. the sign of ``b`` is flipped there; with the default ``b = 0`` both
agree. To reproduce a run of the release with its ``--b B``, pass ``b = -B`` here.

``num_negatives`` are drawn without replacement with these weights (Gumbel-top-k), which is
successive weighted sampling: what the release approximates by calling ``random.choices`` until
it has ``num_negatives`` distinct ids. Defaults follow the release (``a = 0.5``, ``b = 0``, 15
negatives from a top-100/200 pool). ``a`` is in 1/score^2: the release scores are dot products
spanning tens of units; on cosine scores (spread ~0.1) ``a = 0.5`` is almost uniform and values
in the hundreds give a comparable preference for ambiguous negatives. ``s_pos`` is the query's
minimum positive score (the release picks one positive at random per example).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.model import POSITIVE_REDUCTIONS
from analysis.strategies.base import Strategy, param, register
from analysis.strategies.segments import gumbel_top_k
from analysis.strategies.view import FilterLog, drop_unscored, drop_without_positive

SOURCE = "SimANS (Zhou et al., EMNLP 2022), README formula"


def simans_log_weights(score: np.ndarray, s_pos: np.ndarray, *, a: float, b: float) -> np.ndarray:
    """``log p_i`` up to a constant: ``-a * (s_i - s_pos - b)^2``, in the scores' float32."""
    diff = score - s_pos - np.float32(b)
    return np.float32(-a) * diff * diff


@register
@dataclass(frozen=True)
class SimANS(Strategy):
    name = "simans"
    summary = "sample with p ∝ exp(-a (s - s_pos - b)^2): negatives scored near the positive"
    source = SOURCE

    num_negatives: int = param(15, low=1, high=10_000, help="negatives to choose per query",
                               source="SimANS release --number_neg=15")
    a: float = param(0.5, low=0.0, high=1e9, help="sharpness of the preference (1/score^2)",
                     source="SimANS release default a=0.5")
    b: float = param(0.0, low=-1e6, high=1e6,
                     help="offset: favour negatives scored b above s_pos (README sign)",
                     source="SimANS README; the release's b has the opposite sign")
    positive: str = param("min", choices=POSITIVE_REDUCTIONS,
                          help="how s_pos reduces several positives: min, mean or max")

    def _choose(self, view, rng, log: FilterLog) -> np.ndarray:
        drop_unscored(view, log)
        s_pos = view.positive_score(self.positive)
        drop_without_positive(s_pos, log)
        with np.errstate(invalid="ignore"):
            logw = simans_log_weights(view.score, s_pos, a=self.a, b=self.b)
        logw[~log.alive] = -np.inf
        return gumbel_top_k(view.qcode, logw, self.num_negatives, rng, layout=view.layout)
