"""A strategy and the export of its training data, per shard (``sample --engine local|ray``).

Strategies choose per query, and a sharded file keeps each query in one shard, so every shard
is selected and written alone: its candidates (``scoring.file_rank.as_candidates``), the
strategy's selection drawn from ``numpy.random.default_rng([seed, shard number])``, and its
training data written to ``OUT/<shard name>.<ext>`` in the format asked (no shuffle, no
gathering of rows on one machine). The driver merges the reports: queries, candidates,
selected and short queries summed, each filter's removals summed step by step. Draws come from
one generator per shard, so a random strategy's choice differs from the same file unsharded
(deterministic ones, e.g. ``top_k``, choose the same rows); the local engine and Ray use the same
generators and write the same bytes (tested).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from analysis.model import DataError
from analysis.workspace.shards import TASK_CPUS, map_shards, shard_paths

SUFFIXES = {"sentence-transformers": ".jsonl", "flagembedding": ".jsonl", "tevatron": ".jsonl"}


def _sample_shard(path: Path, *, numbers: dict, out_dir: str, strategy, seed: int, output: str,
                  scores: bool, keep_empty: bool) -> dict:
    from analysis.export.training_data import write_training_data
    from analysis.formats import load
    from analysis.scoring.file_rank import as_candidates

    pool = as_candidates(load(path))
    if pool is None:
        raise DataError("this shard carries no scores and is not a pool", file=str(path), field="score")
    selection = strategy.select(pool, np.random.default_rng([seed, numbers[str(path)]]))
    out = Path(out_dir) / (path.stem + SUFFIXES.get(output.split("/")[0], ".jsonl"))
    written, notes = write_training_data(selection.training_set(pool, keep_empty=True), out,
                                         format=output, scores=True if scores else None,
                                         keep_empty=keep_empty)
    report = selection.report
    return {"out": str(written), "queries": report.num_queries, "candidates": report.candidates,
            "selected": report.selected, "short": report.num_short, "requested": report.requested,
            "filters": [[step.name, int(step.removed)] for step in report.filters], "notes": list(notes)}


def merge_reports(reports: list[dict]) -> dict:
    """The shards' reports as one (see the module rules)."""
    merged = {"files": [r["out"] for r in reports], "notes": [n for r in reports for n in r["notes"]]}
    for key in ("queries", "candidates", "selected", "short"):
        merged[key] = int(sum(r[key] for r in reports))
    merged["requested"] = reports[0]["requested"] if reports else 0
    filters: dict[str, int] = {}
    for report in reports:
        for name, removed in report["filters"]:
            filters[name] = filters.get(name, 0) + int(removed)
    merged["filters"] = filters
    return merged


def sharded_sample(path: str | Path, out_dir: str | Path, strategy, *, seed: int = 0,
                   output: str = "sentence-transformers", scores: bool = False,
                   keep_empty: bool = False, engine: str = "local", address: str | None = None,
                   task_cpus: float = TASK_CPUS, progress=None) -> dict:
    """Select with ``strategy`` and write the training data of every shard of ``path`` into
    the folder ``out_dir`` (one file per shard); returns the merged report."""
    paths = shard_paths(path)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise DataError(f"{out_dir}: a sharded run writes a folder (one file per shard)", field="out")
    out_dir.mkdir(parents=True, exist_ok=True)
    fn = partial(_sample_shard, numbers={str(p): i for i, p in enumerate(paths)},
                 out_dir=str(out_dir.resolve()), strategy=strategy, seed=seed, output=output,
                 scores=scores, keep_empty=keep_empty)
    return merge_reports(map_shards(paths, fn, engine=engine, address=address,
                                    task_cpus=task_cpus, progress=progress))
