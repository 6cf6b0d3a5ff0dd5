"""Probe settings and strategy specs: what a probe run is, and the key its results are cached by.

``ProbeSettings`` holds everything that changes a probe's numbers: the base model, the split,
the training recipe and the evaluation. ``QUICK`` is the budget preset (``--quick``): 128-token
inputs, one seed, one epoch (with the default batches of 16 and 3 negatives per query), sized
for four strategies on Cranfield-size data (225 queries, 1,400 documents) in under 10 minutes
on 2 CPU cores.

Memory: ``MultipleNegativesRankingLoss`` back-propagates through every text of a batch at
once, ``batch_size * (2 + num_negatives)`` sequences. On the CPU, one step of all-MiniLM-L6-v2
with 16 rows of 5 full-length texts peaked at 4.2 GB at 128 tokens and 9.7 GB at 256 tokens
(measured); raise ``batch_size`` with care.

Fairness rule: every strategy is trained with the same number of negatives per query,
``num_negatives`` (default 3), unless its spec sets ``num_negatives`` itself; otherwise a
strategy's own default (15 for ``random`` and ``simans``, 4 for ``topk_percpos``) would change
the count as well as the choice, and the comparison would mix the two.

A strategy spec is ``NAME`` or ``NAME:KEY=VALUE,KEY=VALUE`` (the parameters a strategy
declares, parsed with their declared types by ``analysis.strategies.parse_params``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace

from analysis.model import DataError

METRICS = ("ndcg@10", "mrr@10", "recall@100")
METRIC_LABELS = {"ndcg@10": "nDCG@10", "mrr@10": "MRR@10", "recall@100": "Recall@100"}


@dataclass(frozen=True)
class StrategySpec:
    """One strategy to probe: its registered name, the parameters it is created with, and the
    label it is shown under (the spec as written, so two settings of one strategy differ)."""

    label: str
    name: str
    params: dict = field(default_factory=dict)

    def create(self):
        from analysis.strategies import create

        return create(self.name, **self.params)

    def as_dict(self) -> dict:
        return {"label": self.label, "name": self.name, "params": dict(self.params)}


def parse_strategy(spec: str, *, num_negatives: int | None = None) -> StrategySpec:
    """``"simans:a=0.5,b=0"`` -> a checked :class:`StrategySpec`; ``num_negatives`` is applied
    when the spec does not set it (see the fairness rule)."""
    from analysis.strategies import parse_params

    if not isinstance(spec, str) or not spec.strip():
        raise DataError(f"a strategy is NAME or NAME:KEY=VALUE,..., got {spec!r}", field="strategy")
    name, _, rest = spec.strip().partition(":")
    items = [item for item in rest.split(",") if item.strip()]
    params = parse_params(name.strip(), items)
    if num_negatives is not None and "num_negatives" not in params:
        params["num_negatives"] = num_negatives
    strategy = StrategySpec(label=spec.strip(), name=name.strip(), params=params)
    return replace(strategy, params=dict(strategy.create().params))


@dataclass(frozen=True)
class ProbeSettings:
    """How each model is trained and evaluated (the CLI options of ``python -m analysis probe``).

    model            base bi-encoder (None: the bundled all-MiniLM-L6-v2)
    seeds            training seeds; each seeds the strategy's selection
                     (``numpy.random.default_rng(seed)``) and training (torch, numpy, random,
                     ``transformers.set_seed``, the batch order)
    eval_fraction    share of queries held out for evaluation
    split_seed       seed of the train/held-out split (one split for every strategy and seed,
                     so per-query differences are paired)
    clusters         topic clusters the split is stratified by (0: no stratification;
                     None: ``analysis.measure.clusters.default_k``, round(sqrt(queries / 2)); never
                     more than half the queries)
    epochs, max_steps, batch_size, learning_rate, warmup_ratio
                     the SentenceTransformerTrainer recipe (``max_steps`` > 0 overrides epochs)
    num_negatives    negatives per training query (see the fairness rule)
    max_seq_length   token limit for training and evaluation of every model, the base included
                     (None: the model's own)
    eval_batch_size  encoding batch size during evaluation
    resamples, confidence, bootstrap_seed   the paired bootstrap (``analysis.probe.bootstrap``)
    device           torch device (None: CUDA when available, else the CPU)
    """

    model: str | None = None
    seeds: tuple[int, ...] = (0, 1, 2)
    eval_fraction: float = 0.3
    split_seed: int = 0
    clusters: int | None = None
    epochs: int = 1
    max_steps: int = 0
    batch_size: int = 16
    learning_rate: float = 5e-5
    warmup_ratio: float = 0.1
    num_negatives: int | None = 3
    max_seq_length: int | None = None
    eval_batch_size: int = 64
    resamples: int = 2000
    confidence: float = 0.95
    bootstrap_seed: int = 0
    device: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "seeds", tuple(self.seeds))
        if not self.seeds or len(set(self.seeds)) != len(self.seeds) or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in self.seeds):
            raise DataError(f"seeds must be distinct non-negative integers, got {self.seeds!r}",
                            field="seeds")
        if not 0.0 < self.eval_fraction < 1.0:
            raise DataError(f"eval_fraction must be between 0 and 1, got {self.eval_fraction!r}",
                            field="eval_fraction")
        for name, low in (("epochs", 1), ("max_steps", 0), ("batch_size", 2), ("eval_batch_size", 1),
                          ("resamples", 1), ("split_seed", 0), ("bootstrap_seed", 0)):
            _check_int(getattr(self, name), name, low)
        for name, low in (("clusters", 0), ("num_negatives", 1), ("max_seq_length", 8)):
            if getattr(self, name) is not None:
                _check_int(getattr(self, name), name, low)
        if not 0.0 < self.learning_rate < 1.0:
            raise DataError(f"learning_rate must be in (0, 1), got {self.learning_rate!r}",
                            field="learning_rate")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise DataError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio!r}",
                            field="warmup_ratio")
        if not 0.0 < self.confidence < 1.0:
            raise DataError(f"confidence must be in (0, 1), got {self.confidence!r}", field="confidence")

    def as_dict(self) -> dict:
        return {**asdict(self), "seeds": list(self.seeds)}

    def training_dict(self) -> dict:
        """The settings that decide a trained model (what a run's cache key holds)."""
        keys = ("epochs", "max_steps", "batch_size", "learning_rate", "warmup_ratio",
                "max_seq_length", "eval_batch_size")
        return {k: getattr(self, k) for k in keys}


QUICK = {"seeds": (0,), "epochs": 1, "max_steps": 0, "max_seq_length": 128}


def quick(settings: ProbeSettings | None = None, **overrides) -> ProbeSettings:
    """The ``--quick`` preset applied to ``settings``; explicit ``overrides`` win."""
    return replace(settings or ProbeSettings(), **{**QUICK, **overrides})


def digest(obj) -> str:
    """sha256 (hex) of ``obj`` as canonical JSON: cache keys."""
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def _check_int(value, name: str, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise DataError(f"{name} must be an integer >= {low}, got {value!r}", field=name)
