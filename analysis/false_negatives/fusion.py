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
   false negatives the data implies.
5. **Flag** (``is_suspect``): the ``K`` riskiest negatives, ``K = flag_of_share * share * N``
   clipped to [:data:`FLAG_MIN`, :data:`FLAG_MAX`] of the ``N`` negatives: a fraction of the
   false negatives the data implies, never more than 15% of the negatives.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from analysis.model import DataError

JUDGE_PREFIX = "judge:"
FLAG_MIN, FLAG_MAX = 0.005, 0.15


@dataclass(frozen=True)
class RiskRule:
    gamma: float = 1.0
    beta: dict = field(default_factory=lambda: {"score": 1.0, "judge": 1.0, "bm25": 1.0,
                                                "positive_cosine": 0.0})
    bm25_form: str = "log"
    identity_weight: float = 3.0
    slope: float = 1.5
    flag_of_share: float = 0.5     # the flag marks this fraction of the estimated false negatives
    min_labelled: float = 0.1

    def as_dict(self) -> dict:
        return asdict(self)

    def with_(self, **changes) -> "RiskRule":
        return replace(self, **changes)


# fit_rule on all five shared collections (top-50 all-MiniLM-L6-v2 pools, no judge); each
# collection's row of the LOCO table is measured with the rule fitted on the other four instead
DEFAULT_RULE = RiskRule(gamma=0.0, beta={"score": 1.0, "judge": 1.0, "bm25": 0.5,
                                         "positive_cosine": 1.0},
                        bm25_form="log", identity_weight=3.0, slope=1.0, flag_of_share=0.05,
                        min_labelled=0.02)


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


def evidence_parts(evidence: pd.DataFrame, bm25_form: str = "log") -> list[tuple]:
    """``(column, kind, skill, z)`` per continuous evidence: ``skill = max(0, 2 auc - 1)`` (NaN
    for ``positive_cosine``) and ``z`` its values standardised over the dataset (NaN -> 0)."""
    if "label" not in evidence or "qid" not in evidence:
        raise DataError("evidence needs qid and label columns", field="label")
    rule = RiskRule(bm25_form=bm25_form)
    parts = []
    for column, w in evidence_weights(evidence, rule).items():
        if w["sd"] > 0:
            z = np.nan_to_num((_values(evidence, column, rule) - w["mean"]) / w["sd"], nan=0.0)
            parts.append((column, w["kind"], max(0.0, 2 * w["auc"] - 1), z))
    return parts


def combine(parts: list[tuple], identity: np.ndarray | None, rule: RiskRule, *,
            symmetric: bool = False) -> np.ndarray:
    """The fused log-odds from :func:`evidence_parts` (see the module rules)."""
    total = np.zeros(len(parts[0][3]) if parts else (len(identity) if identity is not None else 0))
    for _, kind, skill, z in parts:
        if kind == "positive_cosine":
            weight = 0.0 if symmetric else float(rule.beta.get(kind, 0.0))
        else:
            weight = float(rule.beta.get(kind, 0.0)) * (skill ** rule.gamma if skill > 0 else 0.0)
        if weight:
            total = total + weight * z
    if identity is not None and not symmetric:
        total = total + rule.identity_weight * identity
    return total


def identity_of(evidence: pd.DataFrame) -> np.ndarray | None:
    return evidence["identity"].fillna(0).to_numpy(dtype=np.float64) if "identity" in evidence else None


def risk_logit(evidence: pd.DataFrame, rule: RiskRule = DEFAULT_RULE, *,
               symmetric: bool = False) -> np.ndarray:
    """The fused log-odds of every row (see the module rules; larger = likelier a false negative).
    ``symmetric``: only evidence that treats a labelled positive as it treats a hidden one
    (not ``positive_cosine`` nor ``identity``, which compare a row with the labelled positive):
    the ordering fn-share needs."""
    out = combine(evidence_parts(evidence, rule.bm25_form), identity_of(evidence), rule,
                  symmetric=symmetric)
    return out if len(out) == len(evidence) else np.zeros(len(evidence))


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


def flag_top(logit: np.ndarray, negatives: np.ndarray, share: float, flag_of_share: float) -> np.ndarray:
    """The flag of the rules (step 5): True on the ``K`` negatives of highest log-odds."""
    rows = np.flatnonzero(negatives)
    k = int(round(np.clip(flag_of_share * share, FLAG_MIN, FLAG_MAX) * len(rows)))
    out = np.zeros(len(logit), dtype=bool)
    out[rows[np.argsort(-np.asarray(logit)[rows], kind="stable")[:k]]] = True
    return out
