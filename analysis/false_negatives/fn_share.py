"""The false-negative share among a pool's negatives, before any review (positive-unlabelled).

``estimate_fn_share(evidence)`` -> :class:`FnShare` (``share, low, high, negatives``): the
estimated share of false negatives among the negatives, with a 95% bootstrap interval.

The rule (a mixture-proportion estimate, Blanchard, Lee & Scott 2010; Scott 2015):

- The labelled positives inside the pool are taken as a sample of all its relevant pairs
  ("selected completely at random": each query's kept positive is one of its relevant
  documents, as the hidden ones are), so any ordering of the rows ranks them as it ranks the
  hidden false negatives.
- The negatives are a mixture ``F_neg = pi * F_pos + (1 - pi) * F_true_neg``. For each cut
  ``t`` of an ordering (the rows at or above the cut), ``pi <= P_neg(above t) / P_pos(above t)``,
  tight where no true negative is above ``t``. The estimate is that ratio at the highest cut
  holding :data:`MIN_LABELLED` of the labelled positives, clipped to [0, 1]: with one labelled
  positive per query, the smallest ratio over all cuts (the textbook estimator) is pulled far
  below the truth by the noise of the top few positives (a planted 20% came out 9%), and a
  lower cut lets true negatives in (upward bias); the fraction was chosen
  leave-one-collection-out. The better the
  ordering separates true negatives from positives at its top, the tighter the bound; the
  ordering is the evidence risk's log-odds (``analysis.false_negatives.fusion.risk_logit``),
  which uses no hidden label either.
- The interval: percentile bootstrap over queries (:data:`BOOTSTRAP` resamples, seeded), each
  resample recomputing the whole estimate. ``tests/test_fn_share.py`` checks it against
  ``scipy.stats.bootstrap``.

``MIN_LABELLED`` was chosen leave-one-collection-out (``analysis.false_negatives.loco``). Rows
outside the pool's top-N (a positive ranked below N) are left out when ``in_pool`` is given.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from analysis.model import DataError

MIN_LABELLED = 0.02   # chosen leave-one-collection-out on 4 of 5 folds; fit on all five
BOOTSTRAP = 1000
CONFIDENCE = 0.95
_BLOCK = 100     # bootstrap resamples per vectorised block (memory: block x rows floats)


@dataclass(frozen=True)
class FnShare:
    share: float     # estimated share of false negatives among the negatives
    low: float       # the interval's lower end
    high: float      # and upper end
    negatives: int   # negatives the share is of

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """'about 12.3% of 4,900 negatives are false negatives (95% interval 9.8% to 15.1%)'."""
        return (f"about {self.share:.1%} of {self.negatives:,} negatives are false negatives "
                f"(95% interval {self.low:.1%} to {self.high:.1%}; estimated from the labelled "
                "positives, before any review)")


def mixture_share(is_pos: np.ndarray, weight: np.ndarray | None = None, *,
                  min_labelled: float = MIN_LABELLED) -> np.ndarray:
    """The estimate for each row of ``weight`` (resamples x rows; None: one, all 1), with rows
    already sorted by the ordering, descending. Returns one share per resample."""
    is_pos = np.asarray(is_pos, dtype=bool)
    w = np.ones((1, len(is_pos))) if weight is None else np.atleast_2d(weight).astype(np.float64)
    pos_w, neg_w = w * is_pos, w * ~is_pos
    cum_pos, cum_neg = np.cumsum(pos_w, axis=1), np.cumsum(neg_w, axis=1)
    n_pos, n_neg = cum_pos[:, -1:], cum_neg[:, -1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (cum_neg / n_neg) / (cum_pos / n_pos)
    usable = is_pos[None, :] & (cum_pos >= np.maximum(min_labelled * n_pos, 1.0)) & (pos_w > 0)
    first = usable.argmax(axis=1)                       # the first cut holding enough of them
    share = np.where(usable.any(axis=1), ratio[np.arange(len(w)), first], np.nan)
    share[(n_neg[:, 0] == 0) | (n_pos[:, 0] == 0)] = np.nan
    return np.clip(share, 0.0, 1.0)


def _prepared(evidence: pd.DataFrame, order):
    for column in ("qid", "label"):
        if column not in evidence:
            raise DataError(f"evidence lacks column {column!r}", field=column)
    keep = evidence["in_pool"].to_numpy(dtype=bool) if "in_pool" in evidence else \
        np.ones(len(evidence), dtype=bool)
    if order is None:
        from analysis.false_negatives.fusion import risk_logit
        order = risk_logit(evidence, symmetric=True)
    order = np.asarray(order, dtype=np.float64)
    if len(order) != len(evidence):
        raise DataError(f"{len(order)} order values for {len(evidence)} rows", field="order")
    rows = np.flatnonzero(keep & ~np.isnan(order))
    rows = rows[np.argsort(-order[rows], kind="stable")]
    is_pos = evidence["label"].to_numpy()[rows] == 1
    q_codes = pd.factorize(evidence["qid"].astype(str).to_numpy()[rows])[0]
    return is_pos, q_codes


def estimate_fn_share(evidence: pd.DataFrame, *, order=None, min_labelled: float = MIN_LABELLED,
                      n_boot: int = BOOTSTRAP, seed: int = 0,
                      confidence: float = CONFIDENCE) -> FnShare:
    """The share and its interval (see the module rules); ``evidence`` has ``qid``, ``label``
    (1 = labelled positive), optionally ``in_pool``, and the evidence columns; ``order``
    replaces the evidence risk's log-odds as the ordering."""
    if not 0 < confidence < 1 or n_boot < 1:
        raise DataError("confidence must be in (0, 1) and n_boot positive", field="confidence")
    is_pos, q_codes = _prepared(evidence, order)
    negatives = int((~is_pos).sum())
    if not is_pos.any() or not negatives:
        raise DataError("the share needs labelled positives and negatives inside the pool "
                        f"({int(is_pos.sum())} positives, {negatives} negatives)", field="label")
    share = float(mixture_share(is_pos, min_labelled=min_labelled)[0])
    draws = bootstrap_shares(is_pos, q_codes, n_boot=n_boot, seed=seed, min_labelled=min_labelled)
    alpha = (1 - confidence) / 2
    low, high = np.nanquantile(draws, [alpha, 1 - alpha]) if np.isfinite(draws).any() else (share, share)
    return FnShare(share=share, low=float(min(low, share)), high=float(max(high, share)),
                   negatives=negatives)


def bootstrap_shares(is_pos: np.ndarray, q_codes: np.ndarray, *, n_boot: int = BOOTSTRAP,
                     seed: int = 0, min_labelled: float = MIN_LABELLED) -> np.ndarray:
    """The estimate on ``n_boot`` resamples of the queries (with replacement): each query's rows
    weighted by how often it was drawn. Rows sorted by the ordering, descending."""
    rng = np.random.default_rng(seed)
    n_q = int(q_codes.max()) + 1 if len(q_codes) else 0
    out = []
    for start in range(0, n_boot, _BLOCK):
        size = min(_BLOCK, n_boot - start)
        counts = np.stack([np.bincount(rng.integers(0, n_q, n_q), minlength=n_q) for _ in range(size)])
        out.append(mixture_share(is_pos, counts[:, q_codes], min_labelled=min_labelled))
    return np.concatenate(out) if out else np.zeros(0)


def fn_share_of_set(nset, *, judges=(), rule=None, n_boot: int = BOOTSTRAP, seed: int = 0,
                    cache_dir=None, progress=None, should_stop=None) -> FnShare:
    """:func:`estimate_fn_share` of a pool (or a scored file's own candidates): its evidence
    table (``analysis.false_negatives.evidence.pool_evidence``, each judge scoring exactly the
    candidates and positives) ordered by the evidence risk of ``rule`` (default: the shipped one)."""
    from analysis.false_negatives.evidence import pool_evidence
    from analysis.false_negatives.fusion import DEFAULT_RULE, risk_logit

    rule = rule or DEFAULT_RULE
    evidence = pool_evidence(nset, judges=judges, cache_dir=cache_dir, progress=progress,
                             should_stop=should_stop)
    return estimate_fn_share(evidence, order=risk_logit(evidence, rule, symmetric=True),
                             min_labelled=rule.min_labelled, n_boot=n_boot, seed=seed)


def evidence_risk(evidence: pd.DataFrame, rule=None, *,
                  share: float | None = None) -> pd.DataFrame:
    """``evidence`` plus ``risk_logit``, ``risk`` (a probability) and ``is_suspect`` for every row
    (positives get a risk too; only the negatives' matters). ``share`` (the fn-share estimate)
    is computed from the evidence when not given."""
    from analysis.false_negatives.fusion import DEFAULT_RULE, calibrate, flag_top, risk_logit

    rule = rule or DEFAULT_RULE
    logit = risk_logit(evidence, rule)
    negatives = evidence["label"].to_numpy() == 0
    if share is None:
        share = estimate_fn_share(evidence, order=risk_logit(evidence, rule, symmetric=True),
                                  min_labelled=rule.min_labelled, n_boot=1).share
    risk = calibrate(logit, negatives, share, rule.slope)
    return evidence.assign(risk_logit=logit, risk=risk,
                           is_suspect=flag_top(logit, negatives, share, rule.flag_of_share))


def with_evidence_risk(signals: pd.DataFrame, risked: pd.DataFrame,
                       columns: list[str]) -> pd.DataFrame:
    """``signals`` (one row per candidate, with ``risk`` / ``is_suspect``) with ``risk`` and
    ``is_suspect`` taken from :func:`evidence_risk`'s ``risked`` table and its ``columns`` (the
    judges' scores) added; a row outside the evidence keeps its prior risk. What ``suspects
    --judge`` writes and Browse shows."""
    keyed = risked.set_index(["qid", "did"])[["risk", "is_suspect", *columns]]
    found = keyed.reindex(pd.MultiIndex.from_arrays([signals["qid"].astype(str),
                                                     signals["did"].astype(str)]))
    known = found["risk"].notna().to_numpy()
    out = signals.assign(**{c: found[c].to_numpy() for c in columns})
    out["risk"] = np.where(known, found["risk"].to_numpy(dtype=np.float64), out["risk"])
    out["is_suspect"] = np.where(known, found["is_suspect"].fillna(False).to_numpy(dtype=bool),
                                 out["is_suspect"])
    return out
