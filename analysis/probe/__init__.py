"""Probe training: which strategy's negatives actually train a better retriever?

Every statistic about negatives is a proxy; the probe measures the model they give. On the
user's own data it splits the queries into train and held-out, fine-tunes a fresh copy of the
base model per strategy and seed with sentence-transformers' MultipleNegativesRankingLoss, and
evaluates each model and the untrained base on the held-out queries against the whole corpus
(nDCG@10, MRR@10, Recall@100), with paired bootstrap intervals. See docs/probe.md.

Modules: ``config`` (settings, strategy specs, ``--quick``), ``data`` (pool, corpus,
judgements), ``split``, ``train``, ``evaluate``, ``results`` (run records and their disk
cache), ``compare`` (the table), ``runner`` (``run_probe``) and ``job`` (a background thread
for the dashboard). Importing this package is light: torch and sentence-transformers load when
a probe runs.
"""

from analysis.probe.compare import Comparison, ProbeResult
from analysis.probe.config import (
                                 METRICS,
                                 ProbeSettings,
                                 StrategySpec,
                                 parse_strategy,
                                 quick,
)
from analysis.probe.data import (
                                 ProbeData,
                                 keep_positives,
                                 load_probe_data,
                                 probe_data,
                                 read_eval_qrels,
                                 read_qrels,
)
from analysis.probe.job import ProbeJob
from analysis.probe.results import RunResult
from analysis.probe.runner import find_finished, run_probe
from analysis.probe.split import Split, split_queries
from analysis.probe.train import ProbeCancelled

__all__ = ["METRICS", "Comparison", "ProbeCancelled", "ProbeData", "ProbeJob", "ProbeResult",
           "ProbeSettings", "RunResult", "Split", "StrategySpec", "find_finished", "keep_positives",
           "load_probe_data", "parse_strategy", "probe_data", "quick", "read_eval_qrels", "read_qrels", "run_probe",
           "split_queries"]
