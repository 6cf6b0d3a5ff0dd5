"""Leave-one-collection-out: every constant of the evidence risk and fn-share chosen without the
collection it is reported on.

``loco(collections)``: for each collection in turn, ``fit_rule`` gets the *other* collections'
evidence tables (with their ``truth``) and returns a :class:`~analysis.false_negatives.fusion.RiskRule`;
``measure`` applies it to the held-out collection, whose ``truth`` is read only to score the
result. ``fit_rule`` searches, in this order, on the training collections only:

1. the ordering (``gamma``, each kind's ``beta``, ``bm25_form``) over :data:`GRID`, maximising
   ``mean + min`` over the training collections of ``log(AP risk / AP raw score)`` (the mean
   rewards gains, the min punishes any collection that loses);
2. ``min_labelled`` of fn-share, minimising the mean absolute error of the share;
3. ``slope``, minimising the mean log-loss of the calibrated risk on the negatives;
4. ``flag_of_share`` (the flag marks that fraction of the estimated false negatives): first the
   most collections whose flag marks <= 15% of negatives at >= 2x the base rate, then the
   highest mean log lift.

AP is ``sklearn.metrics.average_precision_score`` over the in-pool negatives, ``truth`` =
a hidden relevant document.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from analysis.false_negatives.fn_share import estimate_fn_share, mixture_share
from analysis.false_negatives.fusion import (DEFAULT_RULE, RiskRule, calibrate, combine,
                                            evidence_parts, flag_top, identity_of, risk_logit)

GRID = {"gamma": (0.0, 0.5, 1.0, 2.0, 3.0), "bm25": (0.0, 0.25, 0.5, 1.0, 2.0),
        "judge": (0.0, 0.5, 1.0, 2.0), "bm25_form": ("log", "relative"),
        "positive_cosine": (0.0, 0.5, 1.0, 2.0, 4.0)}
MIN_LABELLED_GRID = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
SLOPE_GRID = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
FLAG_GRID = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
FLAG_SHARE, FLAG_LIFT = 0.15, 2.0
COLUMNS = ["collection", "negatives", "base_rate", "ap_raw", "ap_risk", "ratio", "flag_share",
           "flag_precision", "lift", "share", "low", "high", "share_true"]


def _negatives(evidence: pd.DataFrame) -> np.ndarray:
    keep = evidence["in_pool"].to_numpy(dtype=bool) if "in_pool" in evidence else True
    return (evidence["label"].to_numpy() == 0) & keep


def _ap(truth: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(truth, score)) if truth.any() else float("nan")


def _share_point(evidence, logit, min_labelled) -> float:
    return estimate_fn_share(evidence, order=logit, min_labelled=min_labelled, n_boot=1).share


def _ordering(training: Mapping[str, pd.DataFrame], base: RiskRule) -> RiskRule:
    judged = all(any(str(c).startswith("judge:") for c in e.columns) for e in training.values())
    cosine = all("positive_cosine" in e for e in training.values())
    prepared = {}
    for name, e in training.items():
        neg = _negatives(e)
        truth = e["truth"].to_numpy(dtype=bool)[neg]
        raw = _ap(truth, e["score"].to_numpy()[neg])
        identity = identity_of(e)
        parts = {form: [(c, k, s, z[neg]) for c, k, s, z in evidence_parts(e, form)]
                 for form in GRID["bm25_form"]}
        prepared[name] = (truth, raw, None if identity is None else identity[neg], parts)
    best, best_value = base, -np.inf
    for gamma, bm25, judge, form, pc in itertools.product(
            GRID["gamma"], GRID["bm25"], GRID["judge"] if judged else (1.0,), GRID["bm25_form"],
            GRID["positive_cosine"] if cosine else (0.0,)):
        rule = base.with_(gamma=gamma, bm25_form=form,
                          beta={"score": 1.0, "judge": judge, "bm25": bm25, "positive_cosine": pc})
        logs = []
        for truth, raw, identity, parts in prepared.values():
            fused = _ap(truth, combine(parts[form], identity, rule))
            if np.isfinite(raw) and np.isfinite(fused) and raw > 0:
                logs.append(np.log(max(fused, 1e-9) / raw))
        value = np.mean(logs) + np.min(logs) if logs else -np.inf
        if value > best_value + 1e-12:
            best, best_value = rule, value
    return best


def fit_rule(training: Mapping[str, pd.DataFrame], *, base: RiskRule = DEFAULT_RULE) -> RiskRule:
    """The rule the training collections choose (see the module docstring)."""
    rule = _ordering(training, base)
    logits = {n: risk_logit(e, rule) for n, e in training.items()}
    orders = {n: risk_logit(e, rule, symmetric=True) for n, e in training.items()}
    errors = {}
    for m in MIN_LABELLED_GRID:
        errors[m] = np.mean([abs(_share_point(e, orders[n], m) - e["truth"][_negatives(e)].mean())
                             for n, e in training.items()])
    rule = rule.with_(min_labelled=min(errors, key=errors.get))
    shares = {n: _share_point(e, orders[n], rule.min_labelled) for n, e in training.items()}
    losses = {}
    for slope in SLOPE_GRID:
        loss = []
        for n, e in training.items():
            neg = _negatives(e)
            p = np.clip(calibrate(logits[n], neg, shares[n], slope)[neg], 1e-6, 1 - 1e-6)
            y = e["truth"].to_numpy(dtype=bool)[neg]
            loss.append(-np.mean(np.where(y, np.log(p), np.log1p(-p))))
        losses[slope] = float(np.mean(loss))
    rule = rule.with_(slope=min(losses, key=losses.get))
    scores = {}
    for t in FLAG_GRID:
        met, lifts = 0, []
        for n, e in training.items():
            share, lift = _flag(e, flag_top(logits[n], _negatives(e), shares[n], t))
            met += share <= FLAG_SHARE and lift >= FLAG_LIFT
            lifts.append(np.log(max(lift, 1e-3)))
        scores[t] = (met, float(np.mean(lifts)))
    return rule.with_(flag_of_share=float(max(scores, key=scores.get)))


def _flag(e: pd.DataFrame, flag: np.ndarray) -> tuple[float, float]:
    neg = _negatives(e)
    flagged = flag[neg]
    truth = e["truth"].to_numpy(dtype=bool)[neg]
    base = truth.mean() if len(truth) else np.nan
    precision = truth[flagged].mean() if flagged.any() else 0.0
    return float(flagged.mean()), float(precision / base) if base > 0 else float("nan")


def measure(name: str, evidence: pd.DataFrame, rule: RiskRule, *, n_boot: int = 1000,
            seed: int = 0) -> dict:
    """The held-out collection's row of the table under ``rule`` (``truth`` only scores it)."""
    neg = _negatives(evidence)
    truth = evidence["truth"].to_numpy(dtype=bool)[neg]
    logit = risk_logit(evidence, rule)
    est = estimate_fn_share(evidence, order=risk_logit(evidence, rule, symmetric=True),
                            min_labelled=rule.min_labelled,
                            n_boot=n_boot, seed=seed)
    flagged = flag_top(logit, neg, est.share, rule.flag_of_share)[neg]
    raw = _ap(truth, evidence["score"].to_numpy()[neg])
    fused = _ap(truth, logit[neg])
    base = float(truth.mean())
    precision = float(truth[flagged].mean()) if flagged.any() else float("nan")
    return {"collection": name, "negatives": int(neg.sum()), "base_rate": base, "ap_raw": raw,
            "ap_risk": fused, "ratio": fused / raw if raw else float("nan"),
            "flag_share": float(flagged.mean()), "flag_precision": precision,
            "lift": precision / base if base else float("nan"), "share": est.share,
            "low": est.low, "high": est.high, "share_true": base}


@dataclass
class LocoResult:
    table: pd.DataFrame
    rules: dict          # held-out collection -> the rule fitted without it

    def targets(self) -> dict:
        """Each issue-24 target: met or not, with the figure it was judged on."""
        t = self.table
        err = (t["share"] - t["share_true"]).abs()
        covered = (t["low"] <= t["share_true"]) & (t["share_true"] <= t["high"])
        n = len(t)
        need = max(n - 1, 1)
        return {
            "risk AP >= raw on every collection": (bool((t["ratio"] >= 1).all()),
                                                   f"{int((t['ratio'] >= 1).sum())}/{n}"),
            "risk AP >= 1.15x raw on the mean": (bool(t["ratio"].mean() >= 1.15),
                                                 f"{t['ratio'].mean():.3f}x"),
            "fn-share within 5 points on 4 of 5": (bool((err <= 0.05).sum() >= need),
                                                  f"{int((err <= 0.05).sum())}/{n}"),
            "fn-share interval covers on 4 of 5": (bool(covered.sum() >= need),
                                                  f"{int(covered.sum())}/{n}"),
            "flag <= 15% of negatives at >= 2x base rate": (
                bool(((t["flag_share"] <= FLAG_SHARE) & (t["lift"] >= FLAG_LIFT)).all()),
                f"{int(((t['flag_share'] <= FLAG_SHARE) & (t['lift'] >= FLAG_LIFT)).sum())}/{n}"),
        }


def loco(collections: Mapping[str, pd.DataFrame], *,
         fit: Callable[[Mapping[str, pd.DataFrame]], RiskRule] = fit_rule,
         n_boot: int = 1000, seed: int = 0) -> LocoResult:
    """Fit on all collections but one, report that one, for each in turn."""
    rows, rules = [], {}
    for held in collections:
        training = {n: e for n, e in collections.items() if n != held}
        rules[held] = fit(training)
        rows.append(measure(held, collections[held], rules[held], n_boot=n_boot, seed=seed))
    return LocoResult(table=pd.DataFrame(rows, columns=COLUMNS), rules=rules)


def render(result: LocoResult, title: str = "") -> str:
    """The table as text, then each target met or missed."""
    head = (f"{'collection':<14}{'AP raw':>8}{'AP risk':>9}{'ratio':>7}{'flag':>7}{'flag prec':>10}"
            f"{'base':>7}{'lift':>6}{'fn-share [95%]':>22}{'true':>7}")
    lines = [title] if title else []
    lines.append(head)
    for r in result.table.itertuples(index=False):
        lines.append(f"{r.collection:<14}{r.ap_raw:>8.3f}{r.ap_risk:>9.3f}{r.ratio:>7.2f}"
                     f"{r.flag_share:>7.1%}{r.flag_precision:>10.3f}{r.base_rate:>7.3f}{r.lift:>6.1f}"
                     f"{f'{r.share:.3f} [{r.low:.3f}, {r.high:.3f}]':>22}{r.share_true:>7.3f}")
    t = result.table
    lines.append(f"{'mean':<14}{t.ap_raw.mean():>8.3f}{t.ap_risk.mean():>9.3f}{t.ratio.mean():>7.2f}")
    for target, (met, figure) in result.targets().items():
        lines.append(f"  {'met   ' if met else 'MISSED'} {target}: {figure}")
    return "\n".join(lines)


__all__ = ["GRID", "LocoResult", "fit_rule", "loco", "measure", "mixture_share", "render"]
