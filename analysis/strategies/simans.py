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
it has ``num_negatives`` distinct ids. Defaults follow the release (``b = 0``, 15 negatives
from a top-100/200 pool) except ``a``: by default (``a`` none) it is derived from the pool,
``a = 2 / sd^2`` with sd the median per-query standard deviation of the candidates' scores,
and stated in the selection's notes; ``a = 0.5`` gives the release's value. ``a`` is in 1/score^2: the release scores are dot products
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


def derived_spread(view, alive: np.ndarray) -> float:
    """The median over queries of the standard deviation of their eligible candidates' scores."""
    import pandas as pd

    frame = pd.DataFrame({"q": view.qcode[alive], "s": view.score[alive].astype(np.float64)})
    sd = frame.groupby("q")["s"].std(ddof=0).dropna()
    return float(sd.median()) if len(sd) else 0.0


@register
@dataclass(frozen=True)
class SimANS(Strategy):
    name = "simans"
    summary = "sample with p ∝ exp(-a (s - s_pos - b)^2): negatives scored near the positive"
    source = SOURCE

    num_negatives: int = param(15, low=1, high=10_000, help="negatives to choose per query",
                               source="SimANS release --number_neg=15")
    a: float | None = param(None, type=float, nullable=True, low=0.0, high=1e9,
                            help="sharpness of the preference (1/score^2); none: derived from "
                                 "the pool's score spread, 2 / sd^2 (the release: a=0.5)",
                            source="SimANS release default a=0.5; NegLens default: from the spread")
    b: float = param(0.0, low=-1e6, high=1e6,
                     help="offset: favour negatives scored b above s_pos (README sign)",
                     source="SimANS README; the release's b has the opposite sign")
    positive: str = param("min", choices=POSITIVE_REDUCTIONS,
                          help="how s_pos reduces several positives: min, mean or max")

    def _choose(self, view, rng, log: FilterLog) -> np.ndarray:
        drop_unscored(view, log)
        s_pos = view.positive_score(self.positive)
        drop_without_positive(s_pos, log)
        a = self.a
        if a is None:
            spread = derived_spread(view, log.alive)
            a = 2.0 / spread ** 2 if spread > 0 else 0.5
            log.notes.append(f"a = {a:.4g}, derived from the pool's score spread: the median "
                             f"per-query sd of the candidates' scores is {spread:.4g}, a = 2 / sd^2 "
                             f"(a kernel of half that sd around s_pos + b); the release uses a = 0.5")
        with np.errstate(invalid="ignore"):
            logw = simans_log_weights(view.score, s_pos, a=a, b=self.b)
        logw[~log.alive] = -np.inf
        return gumbel_top_k(view.qcode, logw, self.num_negatives, rng, layout=view.layout)
