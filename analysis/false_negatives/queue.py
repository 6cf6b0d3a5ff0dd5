"""The review queue: one negative at a time across all queries, in the order that finds false
negatives fastest, and a record of how each was drawn so the dataset-level share can be
estimated from it (``analysis.false_negatives.estimate``).

Rules:

- Each step picks a *target*: the unreviewed negative with the highest probability; once a
  model has been refit on verdicts, every ``uncertain_every``-th target is instead the one
  closest to 0.5 (what the model learns most from).
- Then, with probability ``explore`` (default 0.25, a seeded ``numpy.random.Generator``), the
  item shown is drawn at random instead, with probability proportional to
  ``sqrt(p (1 - p)) + 0.2`` (Neyman allocation: more draws where the outcome is uncertain;
  the floor keeps every negative drawable, and near-uniform where the model knows little). The chance ``q`` that the item shown was picked is
  therefore known exactly: ``(1 - explore) * [item is the target] + explore * q_random(item)``,
  and it is logged with the step. This is what makes the estimate design-consistent. A step
  the random share drew also keeps ``chance`` = ``q_random(item)``, the chance given that the
  random share drew; the page stores it with the verdict so the estimate can be recomputed
  from the review store alone (``estimate.stored_estimate``).
- With a false-negative share known before the first review (``prior_share``, an
  ``analysis.false_negatives.fn_share.FnShare``, and a ``risk`` calibrated to it, as the
  evidence risk is), the random share shrinks to :data:`EXPLORE_WITH_PRIOR` unless ``explore``
  is given: the difference estimator's ``P_t`` already starts near the truth, so fewer random
  draws keep its interval honest, and more steps go to the likeliest negatives
  (``benchmarks/review_simulation.py --evidence`` measures both; docs/false_negatives.md).
  The random share never reaches 0: every negative must stay drawable for the estimate. Its
  refits are then shrunk toward that prior: log-odds ``prior + n / (n + prior_strength) *
  (refit - prior)`` after ``n`` verdicts (:data:`PRIOR_STRENGTH` = 200), so a few hundred
  verdicts do not throw away evidence the prior already had; and no target is picked for
  being uncertain (``uncertain_every`` 0): measured, each of these three found more false
  negatives in 200 reviews (docs/false_negatives.md).
- Probabilities start from the static prior (the ``risk`` column) and are refit every
  ``refit_every`` verdicts with ``refit(signals, verdicts)`` (default
  ``analysis.false_negatives.learn.refit``; the contract of issue 16's ``risk.refit``).
- Verdicts: ``false_negative`` / ``true_negative`` answer the step; ``unsure`` and ``skip``
  take the item out of the queue without an answer (the step leaves the estimate: a missing
  answer, stated in the estimate's ``unanswered``); ``undo`` takes back the last step.
- Filters (a mask over the rows) restrict what is shown; steps taken under a filter are not
  random draws over all negatives, so they count as known verdicts but not as draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from analysis.model import DataError

ANSWERS = ("false_negative", "true_negative")
NO_ANSWER = ("unsure", "skip")
FLOOR = 0.2
EXPLORE = 0.25
EXPLORE_WITH_PRIOR = 0.1
PRIOR_STRENGTH = 200.0
UNCERTAIN_EVERY = 4


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p) - np.log1p(-p)


@dataclass
class Step:
    row: int
    q: float            # chance this row was the one shown (nan: not a design draw)
    p: float            # the model's probability of the row when it was shown
    snapshot: int       # which probability vector was current
    verdict: str | None = None
    chance: float = float("nan")  # drawn by the random share: its chance among the open rows


class ReviewQueue:
    """The queue over ``signals`` (a suspects table: ``qid, did, risk`` and signal columns)."""

    def __init__(self, signals: pd.DataFrame, *, known: pd.DataFrame | None = None,
                 refit: Callable | None = None, refit_every: int = 10,
                 explore: float | None = None, uncertain_every: int | None = None, seed: int = 0,
                 prior_share=None, prior_strength: float = PRIOR_STRENGTH):
        self.prior_strength = prior_strength
        if explore is None:
            explore = EXPLORE if prior_share is None else EXPLORE_WITH_PRIOR
        if uncertain_every is None:
            uncertain_every = UNCERTAIN_EVERY if prior_share is None else 0
        self.prior_share = prior_share
        if not 0 <= explore < 1:
            raise DataError(f"explore must be in [0, 1), got {explore}", field="explore")
        if refit_every < 1:
            raise DataError(f"refit_every must be >= 1, got {refit_every}", field="refit_every")
        if refit is None:
            from analysis.false_negatives.learn import refit, warm_up

            warm_up()
        self.signals = signals.reset_index(drop=True)
        self.keys = (self.signals["qid"].astype(str) + "\0" + self.signals["did"].astype(str)).to_numpy()
        self._refit, self.refit_every, self.explore = refit, refit_every, explore
        self.uncertain_every, self.rng = uncertain_every, np.random.default_rng(seed)
        self.snapshots = [np.clip(self.signals["risk"].to_numpy(np.float64), 0.0, 1.0)]
        self.reviewed = np.zeros(len(self.signals), dtype=bool)
        self.label = np.full(len(self.signals), np.nan)   # 1 / 0 / nan (no answer)
        self.steps: list[Step] = []
        self.since_refit, self.refits, self._targets = 0, 0, 0
        self.current: Step | None = None
        if known is not None and len(known):
            self._take_known(known)

    @property
    def prob(self) -> np.ndarray:
        return self.snapshots[-1]

    def _take_known(self, known: pd.DataFrame) -> None:
        """Verdicts given before this queue (another session, the CLI): known, not drawn."""
        index = pd.Series(np.arange(len(self.keys)), index=self.keys)
        keys = (known["qid"].astype(str) + "\0" + known["did"].astype(str)).to_numpy()
        hit = pd.Series(keys).isin(index.index).to_numpy()
        rows = index[keys[hit]].to_numpy()
        verdicts = known["verdict"].to_numpy()[hit]
        self.reviewed[rows] = True
        self.label[rows] = np.where(verdicts == "false_negative", 1.0,
                                    np.where(verdicts == "true_negative", 0.0, np.nan))
        if np.isfinite(self.label).sum() >= 2:
            self.refit_now()

    def next(self, mask: np.ndarray | None = None) -> int | None:
        """The row to show next (the same until it is answered), or None when none is left."""
        if self.current is not None and not self.reviewed[self.current.row] and (
                mask is None or mask[self.current.row]):
            return self.current.row
        open_ = ~self.reviewed if mask is None else (~self.reviewed & mask)
        rows = np.flatnonzero(open_)
        if not len(rows):
            self.current = None
            return None
        p = self.prob[rows]
        self._targets += 1
        uncertain = self.refits > 0 and self.uncertain_every and self._targets % self.uncertain_every == 0
        target = int(np.argmin(np.abs(p - 0.5)) if uncertain else np.argmax(p))
        weight = np.sqrt(p * (1 - p)) + FLOOR
        weight /= weight.sum()
        pick = target
        drawn = self.rng.random() < self.explore
        if drawn:
            pick = int(self.rng.choice(len(rows), p=weight))
        q = (1 - self.explore) * (pick == target) + self.explore * weight[pick]
        design = mask is None or bool(mask.all())
        self.current = Step(int(rows[pick]), float(q) if design else np.nan, float(p[pick]),
                            len(self.snapshots) - 1,
                            chance=float(weight[pick]) if drawn and design else np.nan)
        return self.current.row

    def answer(self, verdict: str) -> None:
        """Record the verdict on the current item (see the rules) and refit when due."""
        if verdict not in ANSWERS + NO_ANSWER:
            raise DataError(f"verdict must be one of {ANSWERS + NO_ANSWER}, got {verdict!r}",
                            field="verdict")
        if self.current is None:
            raise DataError("no item is on screen: call next() first", field="verdict")
        step, self.current = self.current, None
        step.verdict = verdict
        self.reviewed[step.row] = True
        self.label[step.row] = {"false_negative": 1.0, "true_negative": 0.0}.get(verdict, np.nan)
        self.steps.append(step)
        if verdict in ANSWERS:
            self.since_refit += 1
            if self.since_refit >= self.refit_every:
                self.refit_now()

    def undo(self) -> Step | None:
        """Take back the last step: its item is unreviewed again and shown next."""
        if not self.steps:
            return None
        step = self.steps.pop()
        self.reviewed[step.row], self.label[step.row] = False, np.nan
        if step.verdict in ANSWERS:
            self.since_refit = max(self.since_refit - 1, 0)
        self.current = step
        return step

    def verdicts(self) -> pd.DataFrame:
        """Every answered row as ``qid, did, verdict``."""
        rows = np.flatnonzero(np.isfinite(self.label))
        return pd.DataFrame({"qid": self.signals["qid"].astype(str).to_numpy()[rows],
                             "did": self.signals["did"].astype(str).to_numpy()[rows],
                             "verdict": np.where(self.label[rows] == 1, "false_negative", "true_negative")})

    def refit_now(self) -> None:
        model = self._refit(self.signals, self.verdicts())
        p = np.clip(np.asarray(model.predict(self.signals), dtype=np.float64), 0, 1)
        if self.prior_share is not None and self.prior_strength:
            n = int(np.isfinite(self.label).sum())
            weight = n / (n + self.prior_strength)       # trust the verdicts as they accumulate
            prior = _logit(self.snapshots[0])
            p = 1.0 / (1.0 + np.exp(-(prior + weight * (_logit(p) - prior))))
        self.snapshots.append(p)
        self.since_refit, self.refits = 0, self.refits + 1

    def counts(self) -> dict:
        """reviewed, found (false negatives), and the model's precision on them: among answered
        steps it shown with p >= 0.5, the share that were false negatives."""
        answered = [s for s in self.steps if s.verdict in ANSWERS]
        confident = [s for s in answered if s.p >= 0.5]
        hits = sum(s.verdict == "false_negative" for s in confident)
        return {"reviewed": len(self.steps), "answered": len(answered),
                "found": sum(s.verdict == "false_negative" for s in answered),
                "precision": hits / len(confident) if confident else float("nan"),
                "refits": self.refits}
