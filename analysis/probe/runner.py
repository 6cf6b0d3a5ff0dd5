"""``run_probe``: split, select, fine-tune and evaluate, one strategy and seed at a time.

The order of work, and what is shared:

1. The base model is loaded once, with the probe's ``max_seq_length``; its query and corpus
   embeddings go through the embedding cache (``analysis.scoring.encode``; the namespace names the
   token limit when it is not the model's own), so they are computed once per machine.
2. The queries are split (``analysis.probe.split``), stratified by k-means topic clusters of
   the base model's query embeddings (``analysis.measure.clusters``).
3. The base model is evaluated on the held-out queries against the whole corpus, reusing the
   cached corpus embeddings.
4. For each strategy and seed: the strategy selects from the training queries' pool rows with
   ``numpy.random.default_rng(seed)``; review decisions are applied and the rows are shaped
   exactly as ``python -m analysis export`` would write a sentence-transformers n-tuple file
   (``analysis.export.training_data``; queries with fewer negatives than asked are left out and
   counted); a fresh base model is fine-tuned (``analysis.probe.train``) and evaluated.
5. Every evaluated model is a :class:`~analysis.probe.results.RunResult`, cached on disk: a
   rerun, or a run with one more strategy, only trains what is new. The finished probe is
   indexed under its request (:func:`request_key`), and :func:`find_finished` returns it again
   without loading torch or the model.

``progress(strategy, step, total_steps, stage)`` is called throughout: ``strategy`` is the
label (``"base"`` for the untrained model); ``stage`` is one of ``encode``, ``split``,
``select``, ``train``, ``evaluate``, ``cached``, ``done``, followed by `` seed N`` for the
per-seed stages. ``cancel()`` is polled between stages and after every training step; when it
returns True, :class:`~analysis.probe.train.ProbeCancelled` is raised (finished runs stay cached).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from analysis.model import DataError
from analysis.probe.compare import ProbeResult
from analysis.probe.config import ProbeSettings, StrategySpec, parse_strategy
from analysis.probe.data import ProbeData
from analysis.probe.results import BASE, RunCache, RunResult, versions
from analysis.probe.split import Split, split_queries
from analysis.probe.train import ProbeCancelled, base_encoder, fine_tune, resolve_device

ProbeProgress = Callable[[str, int, int, str], None]


def run_probe(data: ProbeData, strategies: Iterable[str | StrategySpec], *,
              settings: ProbeSettings | None = None, reference: str | None = None,
              cache_dir: str | os.PathLike | None = None, use_cache: bool = True,
              progress: ProbeProgress | None = None,
              cancel: Callable[[], bool] | None = None) -> ProbeResult:
    """Probe ``strategies`` on ``data`` (module docstring); ``reference`` names the strategy
    the others are compared with (default: the first)."""
    settings = settings or ProbeSettings()
    specs, reference = _specs(strategies, settings, reference)
    report = progress or (lambda *args: None)
    stop = cancel or (lambda: False)
    started = time.perf_counter()
    _check(stop)
    device = resolve_device(settings.device)
    encoder = base_encoder(settings, device)
    split = _split(data, settings, encoder, cache_dir, report)
    cache = RunCache(data.digest, cache_dir=cache_dir, enabled=use_cache)
    common = {"data": data.digest, "split": split.held_out, "model": encoder.identity,
              "device": device.split(":")[0], **versions()}
    held = data.pool.queries.set_index(data.pool.queries["qid"].astype(str)).loc[list(split.held_out)]
    held = held.reset_index(drop=True)
    held_ids = set(split.held_out)
    relevant = {q: set(g) for q, g in data.relevant.groupby("qid")["did"] if q in held_ids}

    def evaluate_model(model, label, seed, embeddings=None) -> dict[str, list[float]]:
        from analysis.probe.evaluate import evaluate

        report(label, 0, 1, _stage("evaluate", seed))
        values = evaluate(model, queries=held, corpus=data.corpus, relevant=relevant,
                          batch_size=settings.eval_batch_size, corpus_embeddings=embeddings)
        return {name: array.tolist() for name, array in values.items()}

    base_key = RunCache.key({**common, "run": BASE, "max_seq_length": settings.max_seq_length,
                             "eval_batch_size": settings.eval_batch_size})
    base = cache.get(base_key)
    if base is None:
        begun = time.perf_counter()
        corpus_emb = encoder.embed(data.corpus["text"], role="document", cache_dir=cache_dir,
                                   batch_size=settings.eval_batch_size,
                                   progress=lambda done, total, _: report(BASE, done, total, "encode"))
        _check(stop)
        base = RunResult(BASE, None, None, list(split.held_out),
                         evaluate_model(encoder.model, BASE, None, corpus_emb),
                         seconds=time.perf_counter() - begun)
        cache.put(base_key, base)
    report(BASE, 1, 1, "cached" if base.cached else "done")
    train_ids = set(split.train)
    train_pool = data.pool.with_pairs(
        data.pool.pairs[data.pool.pairs["qid"].astype(str).isin(train_ids).to_numpy()])
    runs, run_keys = [], []
    for spec in specs:
        for seed in settings.seeds:
            _check(stop)
            key = RunCache.key({**common, "settings": settings.training_dict(),
                                "run": spec.as_dict(), "seed": seed})
            run = cache.get(key)
            if run is None:
                begun = time.perf_counter()
                report(spec.label, 0, 1, _stage("select", seed))
                rows, training = training_rows(train_pool, spec, seed=seed, decisions=data.decisions,
                                               relevant=data.relevant)
                _check(stop)
                model, info = fine_tune(rows, settings=settings, seed=seed, device=device, cancel=stop,
                                        progress=lambda s, t: report(spec.label, s, t, _stage("train", seed)))
                _check(stop)
                metrics = evaluate_model(model, spec.label, seed)
                del model
                run = RunResult(spec.label, {"name": spec.name, "params": spec.params}, seed,
                                list(split.held_out), metrics, {**training, **info.as_dict()},
                                seconds=time.perf_counter() - begun)
                cache.put(key, run)
            else:
                run.label = spec.label
            report(spec.label, 1, 1, _stage("cached" if run.cached else "done", seed))
            runs.append(run)
            run_keys.append(key)
    result = ProbeResult(settings=settings, specs=specs, reference=reference, split=split,
                         base=base, runs=runs, data=data.summary(), device=device,
                         seconds=time.perf_counter() - started)
    cache.put_index(request_key(data, specs, settings, reference), {
        "train": list(split.train), "held_out": list(split.held_out), "strata": split.strata,
        "excluded": split.excluded, "base": base_key, "runs": run_keys, "device": device,
        "seconds": result.seconds})
    return result


def find_finished(data: ProbeData, strategies: Iterable[str | StrategySpec], *,
                  settings: ProbeSettings | None = None, reference: str | None = None,
                  cache_dir: str | os.PathLike | None = None) -> ProbeResult | None:
    """The result of an earlier :func:`run_probe` with the same request, read from the run
    cache without loading torch or the model; None when there is none (or a record is gone)."""
    settings = settings or ProbeSettings()
    specs, reference = _specs(strategies, settings, reference)
    cache = RunCache(data.digest, cache_dir=cache_dir)
    index = cache.get_index(request_key(data, specs, settings, reference))
    if index is None:
        return None
    base = cache.get(index["base"])
    runs = [cache.get(key) for key in index["runs"]]
    if base is None or any(run is None for run in runs):
        return None
    labels = [spec.label for spec in specs for _ in settings.seeds]
    for run, label in zip(runs, labels):
        run.label = label
    split = Split(train=tuple(index["train"]), held_out=tuple(index["held_out"]),
                  strata=int(index["strata"]), excluded=int(index["excluded"]))
    return ProbeResult(settings=settings, specs=specs, reference=reference, split=split,
                       base=base, runs=runs, data=data.summary(), device=index["device"],
                       seconds=float(index["seconds"]))


def request_key(data: ProbeData, specs: list[StrategySpec], settings: ProbeSettings,
                reference: str) -> str:
    """What one probe request is indexed by: the data, the strategies in order, the reference,
    every setting, the base model's identity (its files) and the libraries' versions. Cheap: no
    model is loaded."""
    from analysis.scoring.encode import model_identity, resolve_model

    return RunCache.key({"data": data.digest, "strategies": [s.as_dict() for s in specs],
                         "reference": reference, "settings": settings.as_dict(),
                         "model": model_identity(resolve_model(settings.model)), **versions()})


def _specs(strategies, settings: ProbeSettings, reference: str | None) -> tuple[list[StrategySpec], str]:
    """Checked strategy specs (distinct labels, none called "base") and the reference label."""
    specs = [s if isinstance(s, StrategySpec) else parse_strategy(s, num_negatives=settings.num_negatives)
             for s in strategies]
    if not specs:
        raise DataError("name at least one strategy to probe", field="strategy")
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels) or BASE in labels:
        raise DataError(f"strategy labels must be distinct and not {BASE!r}, got {labels}",
                        field="strategy")
    return specs, resolve_reference(reference, specs)


def resolve_reference(reference: str | None, specs: list[StrategySpec]) -> str:
    """The label of the reference strategy: ``reference`` matched against labels, then names
    (it must match exactly one); None gives the first strategy."""
    if reference is None:
        return specs[0].label
    for matches in ([s for s in specs if s.label == reference], [s for s in specs if s.name == reference]):
        if len(matches) == 1:
            return matches[0].label
    raise DataError(f"reference {reference!r} must name exactly one of the probed strategies: "
                    f"{', '.join(s.label for s in specs)}", field="reference")


def training_rows(pool, spec: StrategySpec, *, seed: int, decisions=(),
                  relevant: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict]:
    """The n-tuple rows ``(anchor, positive, negative_1..k)`` one strategy and seed train on,
    shaped by the export path; and a summary (selection report, notes on left-out queries,
    the queries trained on, a digest of the rows so identical training data shows, and how many
    of the negatives trained on are judged relevant in ``relevant``: the evaluation's
    ``(qid, did)`` judgements, which know positives the training file does not)."""
    from analysis.export.training_data import (
        shape_training_data,
        training_set,
        write_training_data,
    )

    strategy = spec.create()
    selection = strategy.select(pool, np.random.default_rng(seed))
    nset, notes = training_set(pool, selection, decisions=decisions, false_negatives="drop")
    empty = int((selection.report.short["found"] == 0).sum())
    if empty:  # the selection leaves them out of its training set, as mine_hard_negatives does
        notes.insert(0, f"left out {empty:,} queries that got no negative from this strategy")
    layout = "sentence-transformers/n-tuple"
    with tempfile.TemporaryDirectory(prefix="neglens-probe-") as folder:
        path, left_out = write_training_data(nset, Path(folder) / "train.parquet", format=layout,
                                             num_negatives=strategy.num_negatives)
        rows = pd.read_parquet(path)
    rows_digest = hashlib.sha256(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
    summary = {"selection": selection.report.as_dict(), "notes": notes + left_out,
               "queries": int(rows["anchor"].nunique()), "rows_sha256": rows_digest.hexdigest()}
    if relevant is not None:
        kept, _ = shape_training_data(nset, layout, num_negatives=strategy.num_negatives)
        negatives = kept.pairs.loc[kept.pairs["label"] == 0, ["qid", "did"]].astype(str)
        judged = negatives.merge(relevant[["qid", "did"]].astype(str).drop_duplicates(), how="inner")
        summary["negatives"] = len(negatives)
        summary["negatives_judged_relevant"] = len(judged)
    return rows, summary


def _split(data: ProbeData, settings: ProbeSettings, encoder, cache_dir, report) -> Split:
    """Eligible queries (a training positive and a judgement), split with stratification."""
    from analysis.measure.clusters import default_k, kmeans_labels

    pairs = data.pool.pairs
    trainable = set(pairs.loc[pairs["label"] == 1, "qid"].astype(str))
    judged = set(data.relevant["qid"])
    queries = data.pool.queries.astype({"qid": str})
    eligible = queries[queries["qid"].isin(trainable & judged)]
    strata = None
    if settings.clusters != 0 and len(eligible) >= 4:
        emb = encoder.embed(eligible["text"], role="query", cache_dir=cache_dir,
                            progress=lambda done, total, _: report(BASE, done, total, "encode"))
        k = min(settings.clusters or default_k(len(eligible)), len(eligible) // 2)
        strata = kmeans_labels(emb, k=k, random_state=settings.split_seed).astype(np.int64)
    report(BASE, 1, 1, "split")
    return split_queries(eligible["qid"].tolist(), eval_fraction=settings.eval_fraction,
                         rng=np.random.default_rng(settings.split_seed), strata=strata,
                         excluded=len(queries) - len(eligible))


def _stage(kind: str, seed: int | None) -> str:
    return kind if seed is None else f"{kind} seed {seed}"


def _check(stop: Callable[[], bool]) -> None:
    if stop():
        raise ProbeCancelled()
