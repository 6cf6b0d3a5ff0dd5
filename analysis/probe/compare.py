"""The honest comparison: per strategy, mean and spread over seeds, and paired differences.

For each strategy and metric:

- ``mean``: the metric averaged over held-out queries, then over seeds; ``sd``: the standard
  deviation over seeds of the per-seed means (ddof 1; None with one seed).
- ``vs_base``: the paired per-query difference against the untrained base model, with its
  paired bootstrap interval over queries and seeds (``analysis.probe.bootstrap``).
- ``vs_reference``: the same against the reference strategy, paired by query and by seed.
- A difference whose interval contains 0 is reported as "within noise". With one seed the
  interval covers only which queries were held out, not training noise; the report says so.

Each interval draws from its own generator, seeded by ``bootstrap_seed`` and the names
compared, so adding a strategy never moves another's interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from analysis.probe.bootstrap import Interval, paired_bootstrap
from analysis.probe.config import (
    METRIC_LABELS,
    METRICS,
    ProbeSettings,
    StrategySpec,
    digest,
)
from analysis.probe.results import BASE, RunResult
from analysis.probe.split import Split


@dataclass(frozen=True)
class Comparison:
    """One strategy on one metric (the base model has no intervals)."""

    label: str
    metric: str
    mean: float
    sd: float | None
    seeds: int
    vs_base: Interval | None
    vs_reference: Interval | None

    def as_dict(self) -> dict:
        return {"label": self.label, "metric": self.metric, "mean": self.mean, "sd": self.sd,
                "seeds": self.seeds,
                "vs_base": self.vs_base.as_dict() if self.vs_base else None,
                "vs_reference": self.vs_reference.as_dict() if self.vs_reference else None}


@dataclass
class ProbeResult:
    """Everything a probe produced: settings, split, the base run, every strategy run."""

    settings: ProbeSettings
    specs: list[StrategySpec]
    reference: str
    split: Split
    base: RunResult
    runs: list[RunResult]
    data: dict = field(default_factory=dict)
    device: str = "cpu"
    seconds: float = 0.0

    def runs_of(self, label: str) -> list[RunResult]:
        return [self.base] if label == BASE else [r for r in self.runs if r.label == label]

    def matrix(self, label: str, metric: str) -> np.ndarray:
        """(seeds, held-out queries) values of a strategy, or (1, queries) for the base."""
        return np.stack([run.values(metric) for run in self.runs_of(label)])

    @cached_property
    def comparisons(self) -> list[Comparison]:
        out = []
        for metric in METRICS:
            base = self.matrix(BASE, metric)[0]
            out.append(Comparison(BASE, metric, float(base.mean()), None, 1, None, None))
            reference = self.matrix(self.reference, metric)
            for spec in self.specs:
                values = self.matrix(spec.label, metric)
                per_seed = values.mean(axis=1)
                out.append(Comparison(
                    spec.label, metric, float(per_seed.mean()),
                    float(per_seed.std(ddof=1)) if len(per_seed) > 1 else None, len(per_seed),
                    self._interval(values, base, spec.label, BASE, metric),
                    None if spec.label == self.reference
                    else self._interval(values, reference, spec.label, self.reference, metric)))
        return out

    def _interval(self, a, b, label: str, against: str, metric: str) -> Interval:
        words = int(digest([label, against, metric])[:12], 16)
        rng = np.random.default_rng([self.settings.bootstrap_seed, words])
        return paired_bootstrap(a, b, rng=rng, resamples=self.settings.resamples,
                                confidence=self.settings.confidence)

    def as_dict(self) -> dict:
        """JSON-ready: settings, data summary, split, comparisons and every run's record."""
        return {"settings": self.settings.as_dict(), "data": self.data,
                "split": self.split.as_dict(), "reference": self.reference,
                "strategies": [s.as_dict() for s in self.specs], "device": self.device,
                "seconds": round(self.seconds, 1),
                "comparisons": [c.as_dict() for c in self.comparisons],
                "runs": [run.as_dict() for run in [self.base, *self.runs]]}

    def lines(self) -> list[str]:
        """The probe table as text: one block per metric, then how each model was trained."""
        s, split = self.settings, self.split
        level = f"{s.confidence:.0%}"
        width = max(len(c.label) for c in self.comparisons) + 2
        out = [f"Probe: {len(split.held_out)} held-out queries, {len(split.train)} trained on "
               f"({split.strata} topic strata, {split.excluded} without positive or judgement left out); "
               f"corpus {self.data.get('corpus', 0):,} documents; seeds {', '.join(map(str, s.seeds))}; "
               f"device {self.device}; {self.seconds:.0f} s"]
        for metric in METRICS:
            out.append("")
            out.append(f"{METRIC_LABELS[metric]:<{width}}{'mean':>8}{'sd':>8}   "
                       f"{'vs base [' + level + ' CI]':<46}vs {self.reference} [{level} CI]")
            for c in (c for c in self.comparisons if c.metric == metric):
                sd = f"{c.sd:8.4f}" if c.sd is not None else f"{'-':>8}"
                out.append(f"{c.label:<{width}}{c.mean:8.4f}{sd}   {interval_text(c.vs_base):<46}"
                           f"{interval_text(c.vs_reference)}")
        out.append("")
        out.append(f"A difference is 'within noise' when its {level} paired bootstrap interval "
                   f"({s.resamples} resamples over held-out queries"
                   + (" and seeds" if len(s.seeds) > 1 else "") + ") contains 0.")
        if len(s.seeds) == 1:
            out.append("One seed: the intervals cover which queries were held out, not training "
                       "noise; run more seeds (--seeds 0,1,2) before trusting a small difference.")
        out.append("")
        out.append("Training (per strategy and seed):")
        seen: dict[tuple, str] = {}
        for run in self.runs:
            t = run.training
            out.append(f"  {run.label} seed {run.seed}: {t.get('examples', 0):,} rows from "
                       f"{t.get('queries', 0):,} queries, {t.get('steps', 0)} steps, loss "
                       f"{t.get('first_loss', float('nan')):.3f} first, {t.get('mean_loss', float('nan')):.3f} "
                       f"mean, {t.get('last_loss', float('nan')):.3f} last; weights moved "
                       f"{100 * t.get('weight_change', 0.0):.3f}%; {run.seconds:.0f} s"
                       + (" (cached)" if run.cached else ""))
            notes = list(t.get("notes", []))
            if t.get("negatives_judged_relevant"):
                judged, total = t["negatives_judged_relevant"], t["negatives"]
                notes.append(f"{judged:,} of its {total:,} negatives ({judged / total:.1%}) are judged "
                             "relevant in the evaluation: false negatives it was trained against")
            same = seen.setdefault((t["rows_sha256"], run.seed), run.label) \
                if t.get("rows_sha256") else run.label
            if same != run.label:
                notes.append(f"the same training rows as {same} seed {run.seed}: this strategy "
                             "chose exactly the same negatives")
            out.extend(f"    {note}" for note in notes)
        return out


def interval_text(interval: Interval | None) -> str:
    """``+0.0123 [-0.0040, +0.0290] within noise``, or ``-`` for no interval."""
    if interval is None:
        return "-"
    verdict = interval.verdict()
    return f"{interval.mean:+.4f} [{interval.low:+.4f}, {interval.high:+.4f}] {verdict}"
