"""Probe training end to end on a tiny hand-written slice, plus its parts on hand-checked data."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.model import DataError, NegativeSet
from analysis.probe import (
    ProbeJob,
    ProbeSettings,
    find_finished,
    keep_positives,
    load_probe_data,
    parse_strategy,
    probe_data,
    quick,
    read_qrels,
    run_probe,
    split_queries,
)
from analysis.probe.evaluate import query_metrics
from analysis.probe.runner import training_rows
from analysis.probe.train import fine_tune, load_model
from tests.conftest import SAMPLE_DATA

# Four topics, three questions each; every question has one passage that answers it, and each
# topic has two passages that answer none of them (same vocabulary: the hard negatives).
TOPICS = {
    "bread": [
        ("How long should bread dough rise?", "Let bread dough rise for about an hour until it doubles in size."),
        ("Why is my sourdough starter not bubbling?", "A sourdough starter stays flat when the kitchen is cold or it needs feeding."),
        ("What oven temperature bakes a crusty loaf?", "Bake a crusty loaf in a very hot oven, around 230 degrees Celsius."),
        (None, "Rye flour gives bread a dense crumb and a sour taste."),
        (None, "Store baked bread in a paper bag to keep the crust crisp."),
    ],
    "bicycle": [
        ("How do I fix a flat bicycle tyre?", "To fix a flat tyre, remove the tube, find the hole and glue on a patch."),
        ("How often should a bike chain be oiled?", "Oil a bike chain every few hundred kilometres or after riding in rain."),
        ("Why do my bicycle brakes squeal?", "Brakes squeal when the pads are dirty or the rim is wet."),
        (None, "A road bicycle has narrow tyres and drop handlebars."),
        (None, "Gears let a cyclist keep a steady pedalling rhythm on hills."),
    ],
    "sleep": [
        ("How many hours of sleep do adults need?", "Most adults need between seven and nine hours of sleep each night."),
        ("Does coffee in the evening hurt sleep?", "Caffeine from evening coffee can delay sleep for several hours."),
        ("What is REM sleep?", "REM sleep is the stage with rapid eye movements and vivid dreams."),
        (None, "Some people snore loudly when they sleep on their backs."),
        (None, "Naps shorter than half an hour leave most people refreshed."),
    ],
    "volcano": [
        ("What causes a volcano to erupt?", "A volcano erupts when pressure from gas-rich magma breaks the rock above it."),
        ("What is the Pacific Ring of Fire?", "The Ring of Fire is a belt of volcanoes and earthquakes around the Pacific Ocean."),
        ("How is lava different from magma?", "Magma is molten rock underground; it is called lava once it reaches the surface."),
        (None, "Volcanic ash can ground aircraft for days."),
        (None, "Basalt is a dark rock formed from cooled lava flows."),
    ],
}

TINY_OPTIONS = {"seeds": (0,), "max_steps": 1, "batch_size": 4, "max_seq_length": 32,
                "num_negatives": 2, "eval_fraction": 0.34, "clusters": 0, "eval_batch_size": 16,
                "resamples": 200, "learning_rate": 1e-4, "warmup_ratio": 0.0}
TINY = ProbeSettings(**TINY_OPTIONS)


def tiny_set() -> NegativeSet:
    queries, docs, pairs = [], [], []
    for topic, items in TOPICS.items():
        for number, (question, passage) in enumerate(items, start=1):
            did = f"{topic}-d{number}"
            docs.append((did, passage))
            if question is not None:
                qid = f"{topic}-q{number}"
                queries.append((qid, question))
                pairs.append((qid, did, 1))
    return NegativeSet(pd.DataFrame(queries, columns=["qid", "text"]),
                       pd.DataFrame(docs, columns=["did", "text"]),
                       pd.DataFrame(pairs, columns=["qid", "did", "label"]).assign(source="tiny"))


@pytest.fixture(scope="module")
def tiny_pool() -> NegativeSet:
    from analysis.scoring.pool import build_pool

    return build_pool(tiny_set(), top_n=6)


@pytest.fixture(scope="module")
def probe_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("probe-cache")


@pytest.fixture(scope="module")
def first_probe(tiny_pool, probe_cache):
    """One probe of random and top_k into a fresh cache, with every progress call recorded."""
    calls = []
    result = run_probe(probe_data(tiny_pool), ["random", "top_k"], settings=TINY,
                       cache_dir=probe_cache, progress=lambda *a: calls.append(a))
    return result, calls


# -- end to end ----------------------------------------------------------------------------
def test_probe_trains_evaluates_and_reports(first_probe):
    result, calls = first_probe
    assert len(result.split.held_out) == 4 and len(result.split.train) == 8
    assert [r.label for r in result.runs] == ["random", "top_k"]
    for run in result.runs:
        assert run.training["steps"] == 1 and run.training["examples"] == 8
        assert run.training["weight_change"] > 0
        assert run.queries == list(result.split.held_out)
        for values in run.metrics.values():
            assert len(values) == 4 and all(0.0 <= v <= 1.0 for v in values)
    table = {(c.label, c.metric): c for c in result.comparisons}
    assert set(table) == {(label, m) for label in ("base", "random", "top_k")
                          for m in ("ndcg@10", "mrr@10", "recall@100")}
    assert table[("top_k", "ndcg@10")].vs_reference is not None
    assert table[("random", "ndcg@10")].vs_reference is None          # random is the reference
    assert table[("base", "recall@100")].mean == 1.0                  # 20 documents: all retrieved
    text = "\n".join(result.lines())
    assert "vs random" in text and "One seed" in text
    stages = [stage for *_, stage in calls]
    assert "train seed 0" in stages and stages[-1] == "done seed 0"
    train_steps = [(step, total) for strategy, step, total, stage in calls
                   if strategy == "top_k" and stage == "train seed 0"]
    assert train_steps == [(0, 1), (1, 1)]


def test_same_seed_gives_the_same_metrics_and_cache_returns_them(first_probe, tiny_pool, probe_cache):
    result, _ = first_probe
    again = run_probe(probe_data(tiny_pool), ["random", "top_k"], settings=TINY, use_cache=False,
                      cache_dir=probe_cache)
    for first, second in zip(result.runs, again.runs):
        assert not second.cached
        assert first.metrics == second.metrics
        assert first.training["weight_change"] == second.training["weight_change"]
    cached = run_probe(probe_data(tiny_pool), ["top_k", "random"], settings=TINY, cache_dir=probe_cache)
    assert all(run.cached for run in cached.runs) and cached.base.cached
    assert cached.reference == "top_k"
    assert {r.label: r.metrics for r in cached.runs} == {r.label: r.metrics for r in result.runs}


def test_a_finished_probe_is_found_again_without_torch(first_probe, tiny_pool, probe_cache):
    result, _ = first_probe
    data = probe_data(tiny_pool)
    found = find_finished(data, ["random", "top_k"], settings=TINY, cache_dir=probe_cache)
    assert found is not None and all(run.cached for run in found.runs)
    assert found.split == result.split and found.reference == "random"
    assert [c.as_dict() for c in found.comparisons] == [c.as_dict() for c in result.comparisons]
    # another request (other strategies, one more seed, another setting) is not that probe
    assert find_finished(data, ["top_k"], settings=TINY, cache_dir=probe_cache) is None
    assert find_finished(data, ["random", "top_k"], settings=TINY, reference="top_k",
                         cache_dir=probe_cache) is None
    assert find_finished(data, ["random", "top_k"], settings=replace(TINY, seeds=(0, 1)),
                         cache_dir=probe_cache) is None
    assert find_finished(data, ["random", "top_k"], settings=replace(TINY, learning_rate=3e-4),
                         cache_dir=probe_cache) is None
    # a lost run record means there is no finished result to show (never a partial one)
    copy = probe_cache.parent / "probe-cache-copy"
    shutil.copytree(probe_cache, copy)
    records = [f for f in (copy / "probe").rglob("*.json") if not f.name.startswith("probe-")]
    records[0].unlink()
    assert find_finished(data, ["random", "top_k"], settings=TINY, cache_dir=copy) is None
    # and the read needs neither torch nor the model: checked in a fresh interpreter
    from analysis.formats.pool import write_pool

    write_pool(tiny_pool, probe_cache.parent / "tiny-pool.parquet")
    script = "\n".join([
        "import sys",
        "from analysis.formats import load",
        "from analysis.probe import ProbeSettings, find_finished, probe_data",
        f"settings = ProbeSettings(**{TINY_OPTIONS!r})",
        f"data = probe_data(load({str(probe_cache.parent / 'tiny-pool.parquet')!r}))",
        f"found = find_finished(data, ['random', 'top_k'], settings=settings, cache_dir={str(probe_cache)!r})",
        "print(found is not None, 'torch' in sys.modules)"])
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["True", "False"], out.stderr


def test_training_changes_the_weights(tiny_pool):
    data = probe_data(tiny_pool)
    rows, summary = training_rows(data.pool, parse_strategy("top_k", num_negatives=2), seed=0)
    assert list(rows.columns) == ["anchor", "positive", "negative_1", "negative_2"]
    assert len(rows) == 12 and summary["queries"] == 12
    base = load_model(TINY, "cpu")
    model, info = fine_tune(rows, settings=TINY, seed=0, device="cpu")
    moved = [name for (name, p), q in zip(base.named_parameters(), model.parameters())
             if not np.array_equal(p.detach().numpy(), q.detach().numpy())]
    assert moved and info.steps == 1 and info.weight_change > 0
    assert model.max_seq_length == 32


def test_job_runs_in_the_background_from_the_cache(first_probe, tiny_pool, probe_cache):
    job = ProbeJob(probe_data(tiny_pool), ["random", "top_k"], settings=TINY, cache_dir=probe_cache)
    assert job.status()["state"] == "waiting"
    job.start()
    assert job.join(timeout=300)
    status = job.status()
    assert status["state"] == "done" and job.error is None
    assert status["finished"] == status["total_runs"] == 3
    assert [r.metrics for r in job.result.runs] == [r.metrics for r in first_probe[0].runs]


def test_job_can_be_cancelled(tiny_pool, tmp_path):
    job = ProbeJob(probe_data(tiny_pool), ["random"], settings=TINY, cache_dir=tmp_path)
    job.cancel()
    job.start()
    assert job.join(timeout=300)
    assert job.status()["state"] == "cancelled" and job.result is None and job.error is None


def test_cli_prints_json(tiny_pool, tmp_path, capsys):
    from analysis.formats.pool import write_pool

    path = write_pool(tiny_pool, tmp_path / "tiny.parquet")
    status = main(["probe", str(path), "--strategy", "top_k:num_negatives=1", "--max-steps", "1",
                   "--seeds", "3", "--batch-size", "4", "--max-seq-length", "32", "--clusters", "0",
                   "--resamples", "100", "--cache-dir", str(tmp_path), "--json", "--quiet"])
    assert status == 0
    out = json.loads(capsys.readouterr().out)
    assert out["settings"]["seeds"] == [3] and out["strategies"][0]["params"]["num_negatives"] == 1
    assert {c["label"] for c in out["comparisons"]} == {"base", "top_k:num_negatives=1"}
    assert out["runs"][1]["training"]["steps"] == 1


def test_cli_bad_strategy_is_one_line(tmp_path, tiny_pool, capsys):
    from analysis.formats.pool import write_pool

    path = write_pool(tiny_pool, tmp_path / "tiny.parquet")
    assert main(["probe", str(path), "--strategy", "simans:a=oops", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and '"a"' in err


# -- parts ---------------------------------------------------------------------------------
def test_query_metrics_hand_checked():
    values = query_metrics(["a", "x", "b", "y"], {"a", "b", "c"})
    ideal = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert values["ndcg@10"] == pytest.approx((1 + 1 / np.log2(4)) / ideal)
    assert values["mrr@10"] == 1.0 and values["recall@100"] == pytest.approx(2 / 3)
    late = query_metrics(["x"] * 10 + ["a"], {"a"})
    assert (late["ndcg@10"], late["mrr@10"], late["recall@100"]) == (0.0, 0.0, 1.0)


def test_split_is_exact_stratified_and_seeded():
    qids = [f"q{i}" for i in range(10)]
    strata = np.array([0] * 6 + [1] * 4)
    split = split_queries(qids, eval_fraction=0.3, rng=np.random.default_rng(0), strata=strata)
    held = set(split.held_out)
    assert len(held) == 3 and set(split.train) == set(qids) - held
    # quotas 6*3/10 = 1.8 and 4*3/10 = 1.2: floors 1 + 1, the larger remainder (stratum 0) gets the last
    assert len(held & set(qids[:6])) == 2 and len(held & set(qids[6:])) == 1
    again = split_queries(qids, eval_fraction=0.3, rng=np.random.default_rng(0), strata=strata)
    assert again == split
    assert list(split.train) == [q for q in qids if q not in held]      # input order kept


@pytest.mark.parametrize("kwargs, field", [
    ({"qids": ["a"], "eval_fraction": 0.5}, "queries"),
    ({"qids": ["a", "b"], "eval_fraction": 1.0}, "eval_fraction"),
    ({"qids": ["a", "b"], "eval_fraction": 0.5, "strata": [0]}, "strata"),
])
def test_split_validates(kwargs, field):
    with pytest.raises(DataError) as err:
        split_queries(rng=np.random.default_rng(0), **kwargs)
    assert err.value.field == field


def test_split_never_holds_out_everything():
    split = split_queries(["a", "b"], eval_fraction=0.9, rng=np.random.default_rng(0))
    assert len(split.held_out) == 1 and len(split.train) == 1


def test_parse_strategy_applies_the_shared_negative_count():
    spec = parse_strategy("simans:a=2,b=0.1", num_negatives=4)
    assert spec.label == "simans:a=2,b=0.1" and spec.name == "simans"
    assert spec.params["a"] == 2.0 and spec.params["b"] == 0.1 and spec.params["num_negatives"] == 4
    own = parse_strategy("top_k:num_negatives=7", num_negatives=4)
    assert own.params["num_negatives"] == 7
    with pytest.raises(DataError, match="unknown strategy"):
        parse_strategy("nope")
    with pytest.raises(DataError):
        parse_strategy("top_k:num_negatives")


def test_quick_preset_and_explicit_options():
    q = quick()
    assert (q.seeds, q.max_seq_length, q.batch_size, q.epochs) == ((0,), 128, 16, 1)
    assert quick(seeds=(1, 2)).seeds == (1, 2)
    with pytest.raises(DataError) as err:
        ProbeSettings(seeds=(1, 1))
    assert err.value.field == "seeds"


def test_keep_positives_hides_the_rest_for_training():
    nset = tiny_set()
    extra = pd.DataFrame([("bread-q1", "bread-d4", 1, "tiny"), ("bread-q1", "bread-d5", 1, "tiny")],
                         columns=["qid", "did", "label", "source"])
    nset = nset.with_pairs(pd.concat([nset.pairs.astype(str), extra.astype(str)]))
    kept, note = keep_positives(nset, 1)
    rows = kept.pairs[kept.pairs["qid"] == "bread-q1"]
    assert rows["did"].astype(str).tolist() == ["bread-d1"]
    assert len(kept.pairs) == 12 and "other 2 count only in evaluation" in note


def test_read_qrels_formats_and_skips(tmp_path):
    path = tmp_path / "qrels.tsv"
    path.write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\nq2\td9\t1\nq2\td2\n"
                    "q2 0 d1 2\n", encoding="utf-8")
    table, skipped = read_qrels(path, queries=["q1", "q2"], docs=["d1", "d2"])
    assert sorted(map(tuple, table.to_numpy())) == [("q1", "d1"), ("q2", "d1"), ("q2", "d2")]
    assert [(s.line, s.reason) for s in skipped] == [(4, "unknown document 'd9'")]
    path.write_text("q1 d1 1 2 3\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_qrels(path, queries=["q1"], docs=["d1"])
    assert err.value.line == 1 and err.value.file == str(path)


def test_review_decisions_leave_training_and_join_evaluation(tiny_pool):
    pool = probe_data(tiny_pool).pool
    rows, _ = training_rows(pool, parse_strategy("top_k", num_negatives=2), seed=0)
    first = rows.iloc[0]
    qid = pool.queries.loc[pool.queries["text"] == first["anchor"], "qid"].iloc[0]
    did = pool.docs.loc[pool.docs["text"] == first["negative_1"], "did"].iloc[0]
    decisions = [{"qid": qid, "did": did, "verdict": "false_negative"}]
    data = probe_data(tiny_pool, decisions=decisions)
    assert ((data.relevant["qid"] == qid) & (data.relevant["did"] == did)).sum() == 1
    reviewed, summary = training_rows(data.pool, parse_strategy("top_k", num_negatives=2), seed=0,
                                      decisions=data.decisions)
    assert first["negative_1"] not in reviewed[["negative_1", "negative_2"]].to_numpy()
    assert len(reviewed) == len(rows) - 1                          # that query is one short now
    assert any("fewer than 2 negatives" in note for note in summary["notes"])
    assert data.digest != probe_data(tiny_pool).digest


def test_queries_a_strategy_gives_no_negative_are_counted(tiny_pool):
    pool = probe_data(tiny_pool).pool
    pairs = pool.pairs[pool.pairs["label"] == 0]
    lowest = np.sort(pairs.groupby("qid", observed=True)["score"].min().to_numpy())
    threshold = float((lowest[3] + lowest[4]) / 2)   # 8 of 12 queries have no negative below it
    rows, summary = training_rows(pool, parse_strategy(f"topk_abs:threshold={threshold}",
                                                       num_negatives=1), seed=0)
    assert len(rows) == 4
    assert summary["notes"][0] == "left out 8 queries that got no negative from this strategy"


def test_negatives_judged_relevant_in_evaluation_are_counted(tiny_pool):
    pool = probe_data(tiny_pool).pool
    spec = parse_strategy("top_k", num_negatives=2)
    rows, summary = training_rows(pool, spec, seed=0, relevant=probe_data(tiny_pool).relevant)
    assert summary["negatives"] == 2 * len(rows) and summary["negatives_judged_relevant"] == 0
    chosen = [(pool.queries.loc[pool.queries["text"] == row["anchor"], "qid"].iloc[0],
               pool.docs.loc[pool.docs["text"] == row[column], "did"].iloc[0])
              for _, row in rows.head(3).iterrows() for column in ("negative_1", "negative_2")]
    hidden = pd.DataFrame(chosen[:5] + [("bread-q1", "no-such-doc")], columns=["qid", "did"])
    _, summary = training_rows(pool, spec, seed=0, relevant=hidden)
    assert summary["negatives_judged_relevant"] == 5


def test_relevance_outside_the_corpus_is_an_error(tiny_pool):
    with pytest.raises(DataError) as err:
        probe_data(tiny_pool, eval_qrels=pd.DataFrame({"qid": ["bread-q1"], "did": ["nowhere"]}))
    assert err.value.field == "did"


def test_labels_must_be_distinct(tiny_pool):
    with pytest.raises(DataError, match="distinct"):
        run_probe(probe_data(tiny_pool), ["top_k", "top_k"], settings=TINY)


# -- real data -----------------------------------------------------------------------------
def test_cranfield_trains_on_one_positive_and_evaluates_on_all(cranfield_dir):
    data = load_probe_data(cranfield_dir, train_positives=1, top_n=20, decisions=())
    positives = data.pool.pairs[data.pool.pairs["label"] == 1]
    assert positives.groupby("qid", observed=True).size().eq(1).all() and len(positives) == 225
    assert len(data.relevant) == 1612 and data.relevant["qid"].nunique() == 225
    assert len(data.corpus) >= 1398                 # 1,400 abstracts (two empty ones may merge)
    assert any("other 1,387 count only in evaluation" in note for note in data.notes)


def test_sample_data_planted_positives_join_evaluation():
    qrels = SAMPLE_DATA / "ground_truth" / "unlabelled_positives.tsv"
    data = load_probe_data(SAMPLE_DATA, eval_qrels=qrels, top_n=10, decisions=())
    assert len(data.relevant) == 120 + 36
    assert int((data.pool.pairs["label"] == 1).sum()) == 120


def test_comparison_table_hand_checked():
    from analysis.probe import ProbeResult, RunResult, Split
    from analysis.probe.config import StrategySpec

    queries = ["q1", "q2", "q3"]

    def run(label, seed, ndcg, rows="r"):
        metrics = {"ndcg@10": ndcg, "mrr@10": ndcg, "recall@100": [1.0, 1.0, 1.0]}
        return RunResult(label, None if label == "base" else {"name": label}, seed, queries, metrics,
                         {"rows_sha256": rows, "steps": 1} if seed is not None else {})

    settings = ProbeSettings(seeds=(0, 1), resamples=500)
    result = ProbeResult(
        settings=settings, specs=[StrategySpec("a", "a"), StrategySpec("b", "b")], reference="a",
        split=Split(("t1",), tuple(queries), 1), base=run("base", None, [0.2, 0.4, 0.6]),
        runs=[run("a", 0, [0.3, 0.5, 0.7]), run("a", 1, [0.5, 0.7, 0.9], rows="s"),
              run("b", 0, [0.3, 0.5, 0.7]), run("b", 1, [0.3, 0.5, 0.7], rows="s")],
        data={"corpus": 10})
    table = {(c.label, c.metric): c for c in result.comparisons}
    a, b = table[("a", "ndcg@10")], table[("b", "ndcg@10")]
    assert a.mean == pytest.approx(0.6) and a.sd == pytest.approx(np.std([0.5, 0.7], ddof=1))
    assert b.mean == pytest.approx(0.5) and b.sd == pytest.approx(0.0)
    assert a.vs_base.mean == pytest.approx(0.2) and a.vs_base.verdict() == "better"
    assert b.vs_reference.mean == pytest.approx(-0.1)
    # seed 0 of b equals seed 0 of a, seed 1 is 0.2 worse on every query: resampling seeds
    # gives 0, -0.1 or -0.2, so the interval reaches 0 and the difference is within noise
    assert (b.vs_reference.low, b.vs_reference.high) == pytest.approx((-0.2, 0.0))
    assert b.vs_reference.within_noise
    assert table[("a", "recall@100")].vs_base.mean == 0.0
    text = "\n".join(result.lines())
    assert "the same training rows as a seed 0" in text and "the same training rows as a seed 1" in text
    assert "One seed" not in text and "queries and seeds" in text
    again = replace(result, specs=list(reversed(result.specs)))          # order never moves an interval
    assert {c.label: c.vs_base for c in again.comparisons if c.metric == "ndcg@10"} == \
        {c.label: c.vs_base for c in result.comparisons if c.metric == "ndcg@10"}
