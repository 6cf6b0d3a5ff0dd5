"""The evidence risk: independent evidence fused on scales that keep what scores say across queries.

Input: an evidence table (``analysis.false_negatives.evidence``): per (query, candidate) the
file's own ``score``, each judge's ``judge:<name>``, ``bm25`` and ``identity``. The rule
(:class:`RiskRule`; the constants of :data:`DEFAULT_RULE` were chosen leave-one-collection-out,
``analysis.false_negatives.loco``, docs/false_negatives.md):

1. **Scales.** ``score`` and each judge's score are used raw; BM25 as ``log(1 + bm25)``
   (``bm25_form="log"``) or relative to the query's labelled positive's (``"relative"``).
   Each is standardised over the whole dataset's rows (one mean and one sd per dataset, never per
   query: per-query z-scores throw away that queries whose negatives all score high hold more
   false negatives; issue 24 measured that loss).
2. **Adaptation, from labelled positives only.** Each evidence ``e``'s *skill* is how well it
   ranks the labelled positives among their query's pool: ``auc_e`` = the mean over queries of the
   share of the query's negatives scoring below its labelled positive (ties half). No hidden
   label is used: a false negative looks like a labelled positive, so evidence that puts the
   labelled ones on top is evidence that puts the hidden ones there too.
3. **Fusion.** ``logit = sum_e beta_kind(e) * max(0, 2 auc_e - 1) ** gamma * z_e
   + beta_pc * positive_cosine_z + identity_weight * identity``: BM25 counts where it ranks positives well (a weak dense
   model), little where the dense scores rank them better.
4. **Probability** (``fn_share.evidence_risk``). ``risk = sigma(slope * u + b)`` with ``u`` the logit standardised over the
   negatives, and ``b`` set so that the mean risk of the negatives equals the estimated
   false-negative share (``analysis.false_negatives.fn_share``), so risks sum to the number of
   false negatives the data implies. ``is_suspect``: ``risk >= threshold``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from analysis.model import DataError

JUDGE_PREFIX = "judge:"


@dataclass(frozen=True)
class RiskRule:
    gamma: float = 1.0
    beta: dict = field(default_factory=lambda: {"score": 1.0, "judge": 1.0, "bm25": 1.0,
                                                "positive_cosine": 0.0})
    bm25_form: str = "log"
    identity_weight: float = 3.0
    slope: float = 1.5
    threshold: float = 0.5
    min_labelled: float = 0.1

    def as_dict(self) -> dict:
        return asdict(self)

    def with_(self, **changes) -> "RiskRule":
        return replace(self, **changes)


DEFAULT_RULE = RiskRule()


def evidence_columns(evidence: pd.DataFrame) -> dict[str, str]:
    """column -> kind (``score``, ``judge``, ``bm25``) of the continuous evidence present."""
    out = {}
    if "score" in evidence and evidence["score"].notna().any():
        out["score"] = "score"
    out.update({c: "judge" for c in evidence.columns if str(c).startswith(JUDGE_PREFIX)})
    if "bm25" in evidence:
        out["bm25"] = "bm25"
    if "positive_cosine" in evidence and evidence["positive_cosine"].notna().any():
        out["positive_cosine"] = "positive_cosine"
    return out


def _values(evidence: pd.DataFrame, column: str, rule: RiskRule) -> np.ndarray:
    v = evidence[column].to_numpy(dtype=np.float64)
    if column != "bm25":
        return v
    if rule.bm25_form == "log":
        return np.log1p(np.maximum(v, 0.0))
    if rule.bm25_form == "relative":
        pos = evidence["label"].to_numpy() == 1
        best = pd.Series(np.where(pos, v, np.nan)).groupby(evidence["qid"].astype(str).to_numpy()) \
            .transform("min").to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(best > 0, v / best, 0.0)
    raise DataError(f"bm25_form must be 'log' or 'relative', not {rule.bm25_form!r}",
                    field="bm25_form")


def positive_auc(evidence: pd.DataFrame, values: np.ndarray) -> float:
    """Mean over queries of the share of in-pool negatives scoring below the query's labelled
    positive (ties count half); 0.5 when no query has both."""
    keep = evidence["in_pool"].to_numpy(dtype=bool) if "in_pool" in evidence else \
        np.ones(len(evidence), dtype=bool)
    label = evidence["label"].to_numpy()[keep]
    v = np.nan_to_num(np.asarray(values, dtype=np.float64)[keep], nan=-np.inf)
    q = pd.factorize(evidence["qid"].astype(str).to_numpy()[keep])[0]
    pos_v = pd.Series(np.where(label == 1, v, np.nan)).groupby(q).transform("min").to_numpy()
    neg = (label == 0) & ~np.isnan(pos_v)
    if not neg.any():
        return 0.5
    win = (v[neg] < pos_v[neg]) + 0.5 * (v[neg] == pos_v[neg])
    return float(pd.Series(win).groupby(q[neg]).mean().mean())


def evidence_weights(evidence: pd.DataFrame, rule: RiskRule = DEFAULT_RULE) -> dict[str, dict]:
    """Per evidence column: its kind, skill (``auc``), weight, and the dataset mean and sd."""
    out = {}
    for column, kind in evidence_columns(evidence).items():
        v = _values(evidence, column, rule)
        auc = positive_auc(evidence, v)
        sd = float(np.nanstd(v))
        skill = max(0.0, 2 * auc - 1)
        weight = float(rule.beta.get(kind, 0.0)) * (skill ** rule.gamma if skill > 0 else 0.0)
        if kind == "positive_cosine":    # 1 for a labelled positive itself: its skill is moot
            auc, weight = float("nan"), float(rule.beta.get(kind, 0.0))
        out[column] = {"kind": kind, "auc": auc, "weight": weight if sd > 0 else 0.0,
                       "mean": float(np.nanmean(v)), "sd": sd}
    return out


def risk_logit(evidence: pd.DataFrame, rule: RiskRule = DEFAULT_RULE, *,
               symmetric: bool = False) -> np.ndarray:
    """The fused log-odds of every row (see the module rules; larger = likelier a false negative).
    ``symmetric``: only evidence that treats a labelled positive as it treats a hidden one
    (not ``positive_cosine`` nor ``identity``, which compare a row with the labelled positive):
    the ordering fn-share needs."""
    if "label" not in evidence or "qid" not in evidence:
        raise DataError("evidence needs qid and label columns", field="label")
    total = np.zeros(len(evidence))
    for column, w in evidence_weights(evidence, rule).items():
        if w["weight"] and not (symmetric and w["kind"] == "positive_cosine"):
            z = (_values(evidence, column, rule) - w["mean"]) / w["sd"]
            total += w["weight"] * np.nan_to_num(z, nan=0.0)
    if "identity" in evidence and not symmetric:
        total += rule.identity_weight * evidence["identity"].fillna(0).to_numpy(dtype=np.float64)
    return total


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def calibrate(logit: np.ndarray, negatives: np.ndarray, share: float, slope: float) -> np.ndarray:
    """``sigma(slope * u + b)`` with ``u`` the logit standardised over ``negatives`` and ``b``
    found by bisection so that the negatives' mean equals ``share``."""
    logit = np.asarray(logit, dtype=np.float64)
    ref = logit[negatives]
    sd = ref.std() if len(ref) and ref.std() > 0 else 1.0
    u = slope * (logit - (ref.mean() if len(ref) else 0.0)) / sd
    target = float(np.clip(share, 1e-4, 1 - 1e-4))
    low, high = -40.0, 40.0
    for _ in range(80):
        mid = (low + high) / 2
        if _sigmoid(u[negatives] + mid).mean() < target:
            low = mid
        else:
            high = mid
    return _sigmoid(u + (low + high) / 2)
