"""Scale: NegLens on pools of millions of rows, every figure beside a reference (issue 8).

Run from the repository root::

    .venv/bin/python benchmarks/scale.py --rows 1000000              # 10,000 queries x 100
    .venv/bin/python benchmarks/scale.py --rows 5000000 --json       # 100,000 queries x 50
    .venv/bin/python benchmarks/scale.py --rows 20000 --pool-out /tmp/pool.parquet

Shape from N: up to 1,000,000 rows a query gets 100 candidates (N / 100 queries), beyond that
50 (N / 50 queries), so 1M = 10k x 100 and 5M = 100k x 50 as the issue fixes them;
``--queries`` and ``--pool-size`` override. The pool is ``analysis.scoring.synthetic.make_pool`` (realistic
cosine-like scores, 50 document clusters, seed 0; about 2% more rows than N: positives ranked
beyond the top are kept) written by the pool writer, so the file ``--pool-out`` keeps is read by
every ``python -m analysis`` command.

One run measures four parts, each in its own child process so its peak RSS
(the ``VmHWM`` high-water mark) is its own:

1. ``ours``: ``analysis.formats.load`` of the file, ``stats.summary_table``, every registered
   strategy with its defaults plus ``margin relative_margin=0.05``,
   ``compare.summary`` + ``compare.overlap`` of the dashboard's six default strategies,
   ``signals.margin_signal``; then the process's peak RSS.
2. ``pandas`` (the reference for 1): ``pd.read_parquet`` of the same file; the same statistics
   table, comparison metrics (from the same chosen rows) and margin signal written the plain
   pandas way (``groupby``, ``transform``, ``merge``, ``value_counts``); its peak RSS. It also
   says which of our statistics and metrics it does not reproduce (``disagree``).
3. ``loops``: the per-query reference implementations of benchmarks/strategies_benchmark.py, on
   the same pool: the SimANS release loop for ``simans``; the plain per-query loop for ``margin
   relative_margin=0.05`` (the sentence-transformers code port beside it); the same loop
   without a filter is ``top_k``'s rule exactly, and for every other strategy the cost floor of
   any per-query implementation (one sort and slice per query in Python). Where the rule is the
   same, the chosen negatives are checked identical.
4. ``app``: the steps of benchmarks/dashboard_benchmark.py (its parameter changes, reused by
   import): ``AppTest`` opens the whole app on a pool of ``--app-rows`` rows (default
   min(N, 1M): at 5M the Compare page gets a 1M pool of the same generator), goes to Compare and
   times reruns after a strategy parameter change; the reference is the library work that
   change needs, ``select`` + ``compare.summary`` of that one selection.

Each step is timed ``--repeats`` times and the best kept (the per-query loops once: they take
seconds to minutes). Times are wall seconds; CPU seconds (``time.process_time``) stand beside them, since on a shared
machine wall time also counts other processes. ``--json`` ends with one JSON line: every figure
with its reference and ratio, the targets (met or missed), the machine and the load average
before and after. Figures are printed, never asserted; benchmarks/RESULTS.md records runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dashboard.state import DEFAULT_STRATEGIES  # noqa: E402

APP_ROWS = 1_000_000
COMPARED = tuple(name for name, _ in DEFAULT_STRATEGIES)   # the Compare page's six
MARGIN_FILTERED = "margin relative_margin=0.05"
TARGETS = {"load_plus_statistics_ratio": 2.0, "strategy_s": 3.0, "peak_memory_mib": 2048.0,
           "compare_page_rerun_s": 1.0}


def rss_mib() -> float:
    """Peak resident set size of this process so far, MiB: ``VmHWM`` of /proc/self/status (the
    high-water mark of this process image), else ``ru_maxrss``, which Linux carries over from
    the parent across fork and exec, so a child would inherit the parent's peak."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, repeats: int = 1):
    """({"wall": best wall s, "cpu": best CPU s}, last result) over ``repeats`` calls."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        result = None            # let the previous result go first (peak RSS)
        cpu, wall = time.process_time(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"wall": min(walls), "cpu": min(cpus)}, result


def cases() -> list[tuple[str, str, dict]]:
    """(label, strategy, params): every registered strategy with its defaults, and margin with
    NV-Retriever's relative margin (its defaults filter nothing)."""
    from analysis.strategies import registry

    return [(name, name, {}) for name in registry()] + [(MARGIN_FILTERED, "margin",
                                                          {"relative_margin": 0.05})]


def pq_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def rows_file(work: Path, label: str) -> Path:
    return work / (label.replace(" ", "_").replace("=", "-") + ".npy")


# -- part 1: NegLens ----------------------------------------------------------------------------
def child_ours(path: Path, work: Path, *, repeats: int) -> dict:
    import numpy as np

    from analysis.false_negatives import signals
    from analysis.formats import formats, load
    from analysis.measure import compare
    from analysis.measure.stats import summary_table
    from analysis.strategies import create

    formats()   # imports every format module: imports are not part of the timed load
    out = {"baseline_rss_mib": rss_mib()}
    out["load"], pool = timed(lambda: load(path), repeats)
    out["bytes_per_row"] = float(pool.pairs.memory_usage(deep=True).sum() / len(pool.pairs))
    out["stats"], table = timed(lambda: summary_table(pool), repeats)
    out["rss_after_load_stats_mib"] = rss_mib()
    results = {"stats": table.loc[table["source"] == "pool"].set_index("metric")
               [["positive", "negative", "difference"]].to_dict()}
    out["strategies"], selections = {}, {}
    for label, name, params in cases():
        strategy = create(name, **params)
        timing, selection = timed(lambda: strategy.select(pool, np.random.default_rng(0)), repeats)
        out["strategies"][label] = {**timing, "selected": len(selection)}
        if label in COMPARED or label in (MARGIN_FILTERED, "top_k"):
            selections[label] = selection
            np.save(rows_file(work, label), selection.rows)
    compared = {label: selections[label] for label in COMPARED}
    requested = {label: s.report.requested for label, s in compared.items()}
    (work / "requested.json").write_text(json.dumps(requested))
    out["compare"], (metrics, jaccard) = timed(
        lambda: (compare.summary(pool, compared), compare.overlap(compared)), repeats)
    results["metrics"] = metrics.set_index("selection").select_dtypes("number").to_dict()
    results["jaccard"] = jaccard.to_numpy().tolist()
    (work / "results.json").write_text(json.dumps(results))
    out["margin_signal"], _ = timed(lambda: signals.margin_signal(pool.pairs), repeats)
    out["peak_rss_mib"] = rss_mib()
    return out


# -- part 2: plain pandas -----------------------------------------------------------------------
def pandas_positive(df):
    """Per row, the minimum score of its query's positives (``groupby.transform``)."""
    return df["score"].where(df["label"] == 1).groupby(df["qid"], observed=True).transform("min")


def pandas_stats(df):
    """The statistics table per source: positive, negative and gap ``describe`` plus median."""
    tables = {}
    for source, group in df.groupby("source", observed=True):
        gap = (pandas_positive(group) - group["score"])[group["label"] == 0]
        columns = {"positive": group.loc[group["label"] == 1, "score"],
                   "negative": group.loc[group["label"] == 0, "score"], "difference": gap}
        table = {name: col.astype("float64").describe() for name, col in columns.items()}
        for name, col in columns.items():
            table[name]["median"] = col.median()
        tables[source] = table
    return tables


def pandas_margin(df):
    """signals.margin_signal: sigmoid of the distance past 95% of s_pos, width 0.02 |s_pos|."""
    import numpy as np

    s_pos = pandas_positive(df)
    z = (df["score"] - (s_pos - s_pos.abs() * 0.05)) / (0.02 * s_pos.abs().clip(lower=1e-3))
    return (1 / (1 + np.exp(-z))).where(df["label"] == 0)


def pandas_compare(df, chosen: dict, requested: dict):
    """compare.summary's metrics and compare.overlap's Jaccard, from the chosen rows."""
    import numpy as np
    import pandas as pd

    df = df.assign(score=df["score"].astype("float64"))   # compare.summary works in float64
    s_pos = pandas_positive(df)
    negatives = df["label"] == 0
    base = df.assign(s_pos=s_pos, gap=s_pos - df["score"],
                     neg_rank=df["rank"].where(negatives).groupby(df["qid"], observed=True)
                     .rank(method="first"))
    queries = df["qid"].nunique()
    records, picked = [], {}
    for label, rows in chosen.items():
        sel = base.iloc[rows]
        picked[label] = sel[["qid", "did"]]
        counts = sel.groupby("qid", observed=True).size()
        docs = sel["did"].value_counts()
        docs = docs[docs > 0]
        share = sel.groupby(["qid", "cluster"], observed=True).size()
        p = share / share.groupby(level=0).transform("sum")
        records.append({"selection": label, "negatives": len(sel),
                        "coverage": (counts >= requested[label]).sum() / queries,
                        **{f"{stat}_{col}": getattr(sel[col], stat)() for stat in ("mean", "median")
                           for col in ("rank", "neg_rank", "gap")},
                        "suspect_share": (sel["score"] >= 0.95 * sel["s_pos"]).mean(),
                        "distinct_share": len(docs) / len(sel), "max_reuse": docs.max(),
                        "mean_reuse": docs.mean(),
                        "cluster_entropy": (-p * np.log2(p)).groupby(level=0).sum().mean()})
    labels = list(picked)
    jaccard = pd.DataFrame(1.0, index=labels, columns=labels)
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            common = len(picked[a].merge(picked[b], on=["qid", "did"]))
            jaccard.loc[a, b] = jaccard.loc[b, a] = common / (len(picked[a]) + len(picked[b]) - common)
    return pd.DataFrame(records), jaccard


def child_pandas(path: Path, work: Path, *, repeats: int) -> dict:
    import numpy as np
    import pandas as pd
    import pyarrow.parquet  # noqa: F401  (imported before timing, as on our side)

    out = {"baseline_rss_mib": rss_mib()}
    out["load"], df = timed(lambda: pd.read_parquet(path), repeats)
    out["bytes_per_row"] = float(df.memory_usage(deep=True).sum() / len(df))
    out["stats"], stats = timed(lambda: pandas_stats(df), repeats)
    out["rss_after_load_stats_mib"] = rss_mib()
    requested = json.loads((work / "requested.json").read_text())
    chosen = {label: np.load(rows_file(work, label)) for label in COMPARED}
    out["compare"], (metrics, jaccard) = timed(lambda: pandas_compare(df, chosen, requested),
                                               repeats)
    out["margin_signal"], _ = timed(lambda: pandas_margin(df), repeats)
    out["peak_rss_mib"] = rss_mib()
    out["disagree"] = disagreements(json.loads((work / "results.json").read_text()),
                                    stats["pool"], metrics.set_index("selection"), jaccard)
    return out


def disagreements(ours: dict, stats: dict, metrics, jaccard) -> dict:
    """Which of our results the pandas reference does not reproduce (relative 1e-6): statistics
    as ``column:metric``, comparison metrics by column, and ``jaccard``."""
    import numpy as np

    close = lambda a, b: bool(np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                          rtol=1e-6, atol=1e-9, equal_nan=True))  # noqa: E731
    names = {"Count": "count", "Mean": "mean", "Std": "std", "Min": "min", "25%": "25%",
             "50%": "50%", "75%": "75%", "Max": "max"}   # our Median is torch's lower median
    wrong_stats = [f"{column}:{ours_name}" for column, values in ours["stats"].items()
                   for ours_name, theirs in names.items()
                   if not close(values[ours_name], stats[column][theirs])]
    wrong_metrics = [column for column in metrics.columns if column in ours["metrics"]
                     and not close([ours["metrics"][column][label] for label in metrics.index],
                                   metrics[column].to_numpy())]
    return {"statistics": wrong_stats,
            "compare_metrics": wrong_metrics + ([] if close(ours["jaccard"], jaccard) else ["jaccard"])}


# -- part 3: per-query references ---------------------------------------------------------------
def child_loops(path: Path, work: Path, *, repeats: int) -> dict:
    import numpy as np

    sys.path.insert(0, str(REPO / "benchmarks"))
    import strategies_benchmark as sb

    from analysis.formats.pool import read_pool
    from analysis.strategies import create
    from analysis.strategies.view import PoolView

    class Chosen:          # what strategies_benchmark.by_query reads from a Selection
        def __init__(self, label):
            self.rows = np.load(rows_file(work, label))

    pool = read_pool(path)
    refs = {}
    simans = create("simans", a=0.5)  # the release loop needs a number: its own default
    inputs = sb.simans_inputs(pool)
    refs["SimANS release per-query loop"], _ = timed(lambda: sb.simans_release(
        inputs, a=simans.a, b=simans.b, k=simans.num_negatives, seed=0), repeats)
    del inputs
    margin = create("margin", relative_margin=0.05)
    max_pos = int(PoolView.of(pool).positives_per_query.max())
    range_max = margin.effective_range_max(max_pos)
    settings = dict(relative_margin=0.05, range_min=0, range_max=range_max,
                    num_negatives=margin.num_negatives)
    loop_inputs = sb.margin_inputs(pool)
    timing, chosen = timed(lambda: sb.margin_per_query(loop_inputs, window=range_max + max_pos,
                                                       **settings), repeats)
    refs["margin per-query loop"] = {**timing, "identical": {
        MARGIN_FILTERED: chosen == sb.by_query(pool, Chosen(MARGIN_FILTERED))}}
    k = create("top_k").num_negatives
    timing, chosen = timed(lambda: sb.margin_per_query(
        loop_inputs, relative_margin=float("-inf"), range_min=0, range_max=k, num_negatives=k,
        window=np.iinfo(np.int32).max), repeats)
    refs["top-k per-query loop"] = {**timing, "identical": {
        "top_k": chosen == sb.by_query(pool, Chosen("top_k"))}}
    del loop_inputs
    dense = sb.dense_window(pool, range_max + max_pos)
    timing, st_chosen = timed(lambda: sb.st_margin_port(*dense, **settings), repeats)
    refs["sentence-transformers margin code port"] = {**timing, "identical": {
        MARGIN_FILTERED: st_chosen == sb.by_query(pool, Chosen(MARGIN_FILTERED))}}
    reference_of = {label: "top-k per-query loop" for label, _, _ in cases()}
    reference_of.update({"simans": "SimANS release per-query loop",
                         MARGIN_FILTERED: "margin per-query loop"})
    return {"references": refs, "reference_of": reference_of, "peak_rss_mib": rss_mib()}


# -- part 4: the Compare page ------------------------------------------------------------------
def child_app(path: Path, work: Path, *, repeats: int) -> dict:
    """dashboard_benchmark's steps on ``path``, each timed in wall and CPU seconds (AppTest runs
    the page script in this process, so its CPU time is the page's work)."""
    import statistics

    import numpy as np

    sys.path.insert(0, str(REPO / "benchmarks"))
    from dashboard_benchmark import CHANGES, check, set_param
    from streamlit.testing.v1 import AppTest

    from analysis.formats import load
    from analysis.measure.compare import summary
    from analysis.strategies import create

    os.environ["NEGLENS_CACHE_DIR"] = str(work / "cache")
    os.environ["NEGLENS_DATA"] = str(path)
    at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=600)
    out = {}
    out["first_page"], _ = timed(at.run)
    check(at)
    out["compare_first"], _ = timed(lambda: at.switch_page("views/compare.py").run())
    check(at)
    unchanged = [timed(at.run)[0] for _ in range(3)]
    out["rerun_unchanged"] = {k: statistics.median(t[k] for t in unchanged) for k in ("wall", "cpu")}
    pool, changes = load(path), []
    for name, param, values in CHANGES:
        for value in values:
            page, _ = timed(lambda: set_param(at, name, param, value).run())
            check(at)
            strategy = create(name, **{param: value})
            reference, _ = timed(lambda: summary(pool, {name: strategy.select(
                pool, np.random.default_rng(0))}))
            changes.append({"change": f"{name}.{param}={value}", "page": page,
                            "reference": reference})
    out["changes"] = changes
    out["peak_rss_mib"] = rss_mib()
    return out


def shape(rows: int) -> tuple[int, int]:
    """(queries, pool size) for about ``rows`` rows: 100 candidates up to 1M rows, else 50."""
    pool_size = 100 if rows <= 1_000_000 else 50
    return max(1, round(rows / pool_size)), pool_size


def run_child(*args: str) -> dict:
    """Run this script as ``--child ...`` and return the JSON of its last line."""
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"child {args[:2]} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def figure(value: float, reference: float, reference_name: str, unit: str = "s", **extra) -> dict:
    return {"value": value, "unit": unit, "reference": reference, "reference_name": reference_name,
            "ratio": value / reference if reference else float("nan"), **extra}


def machine() -> dict:
    memory = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    import numpy
    import pandas
    import pyarrow
    return {"cpus": os.cpu_count(), "memory_gib": round(memory / 2**20, 1),
            "platform": platform.platform(), "python": platform.python_version(),
            "numpy": numpy.__version__, "pandas": pandas.__version__, "pyarrow": pyarrow.__version__}


def collect(ours: dict, pandas: dict, loops: dict, app: dict) -> dict:
    """Every figure beside its reference (see the module docstring for which is which)."""
    figures = {
        "load": figure(ours["load"]["wall"], pandas["load"]["wall"], "pandas.read_parquet",
                       cpu=ours["load"]["cpu"], reference_cpu=pandas["load"]["cpu"]),
        "statistics": figure(ours["stats"]["wall"], pandas["stats"]["wall"],
                             "pandas groupby + describe", cpu=ours["stats"]["cpu"],
                             reference_cpu=pandas["stats"]["cpu"],
                             disagree=pandas["disagree"]["statistics"]),
        "load_plus_statistics": figure(
            ours["load"]["wall"] + ours["stats"]["wall"],
            pandas["load"]["wall"] + pandas["stats"]["wall"], "pandas.read_parquet + groupby",
            cpu=ours["load"]["cpu"] + ours["stats"]["cpu"],
            reference_cpu=pandas["load"]["cpu"] + pandas["stats"]["cpu"]),
        "peak_memory": figure(ours["peak_rss_mib"], pandas["peak_rss_mib"],
                              "pandas process peak RSS", unit="MiB",
                              baseline=ours["baseline_rss_mib"],
                              reference_baseline=pandas["baseline_rss_mib"]),
        "peak_memory_load_statistics": figure(ours["rss_after_load_stats_mib"],
                                              pandas["rss_after_load_stats_mib"],
                                              "pandas process peak RSS after load + statistics",
                                              unit="MiB"),
        "memory_per_row": figure(ours["bytes_per_row"], pandas["bytes_per_row"],
                                 "pandas.read_parquet frame", unit="bytes"),
        "compare_metrics": figure(ours["compare"]["wall"], pandas["compare"]["wall"],
                                  "pandas merge/groupby/value_counts", cpu=ours["compare"]["cpu"],
                                  reference_cpu=pandas["compare"]["cpu"], strategies=list(COMPARED),
                                  disagree=pandas["disagree"]["compare_metrics"]),
        "margin_signal": figure(ours["margin_signal"]["wall"], pandas["margin_signal"]["wall"],
                                "pandas groupby.transform", cpu=ours["margin_signal"]["cpu"],
                                reference_cpu=pandas["margin_signal"]["cpu"]),
    }
    for label, timing in ours["strategies"].items():
        ref_key = loops["reference_of"][label]
        ref = loops["references"][ref_key]
        figures[f"strategy: {label}"] = figure(timing["wall"], ref["wall"], ref_key,
                                               cpu=timing["cpu"], reference_cpu=ref["cpu"],
                                               selected=timing["selected"],
                                               identical=ref.get("identical", {}).get(label))
    port = loops["references"]["sentence-transformers margin code port"]
    figures[f"strategy: {MARGIN_FILTERED} (vs code port)"] = figure(
        ours["strategies"][MARGIN_FILTERED]["wall"], port["wall"],
        "sentence-transformers margin code port", cpu=ours["strategies"][MARGIN_FILTERED]["cpu"],
        reference_cpu=port["cpu"], identical=port["identical"][MARGIN_FILTERED])
    worst = max(app["changes"], key=lambda c: c["page"]["wall"])
    median = sorted(app["changes"], key=lambda c: c["page"]["wall"])[len(app["changes"]) // 2]
    for name, change in (("median", median), ("worst", worst)):
        figures[f"compare_page_rerun_{name}"] = figure(
            change["page"]["wall"], change["reference"]["wall"], "select + compare.summary",
            cpu=change["page"]["cpu"], reference_cpu=change["reference"]["cpu"],
            rows=app["rows"], change=change["change"])
    figures["compare_page_rerun_unchanged"] = figure(
        app["rerun_unchanged"]["wall"], median["reference"]["wall"], "select + compare.summary",
        cpu=app["rerun_unchanged"]["cpu"], reference_cpu=median["reference"]["cpu"],
        rows=app["rows"])
    return figures


def targets(figures: dict, rows: int) -> list[dict]:
    slowest = max((k for k in figures if k.startswith("strategy: ")),
                  key=lambda k: figures[k]["value"])
    checks = [("load + statistics within 2x of pandas", figures["load_plus_statistics"]["ratio"],
               TARGETS["load_plus_statistics_ratio"], rows),
              (f"every strategy under 3 s (slowest: {slowest[10:]})", figures[slowest]["value"],
               TARGETS["strategy_s"], rows),
              ("peak memory under 2 GiB", figures["peak_memory"]["value"],
               TARGETS["peak_memory_mib"], rows),
              ("Compare page rerun under 1 s (worst change)",
               figures["compare_page_rerun_worst"]["value"], TARGETS["compare_page_rerun_s"],
               figures["compare_page_rerun_worst"]["rows"])]
    return [{"target": name, "value": value, "limit": limit, "met": bool(value < limit),
             "rows": at} for name, value, limit, at in checks]


def report(result: dict) -> None:
    pool = result["pool"]
    print(f"\npool: {pool['rows']:,} rows ({pool['queries']:,} queries x {pool['pool_size']}), "
          f"{pool['file_mib']:.1f} MiB Parquet; load average before "
          f"{result['load_average']['before']}, after {result['load_average']['after']}")
    print(f"\n{'figure':<50} {'value':>9} {'ref':>9} {'ratio':>6} {'cpu':>8} {'ref cpu':>8}"
          f" {'ratio':>6}  reference [unit]")
    for name, f in result["figures"].items():
        same = {True: " (same negatives)", False: " (DIFFERENT negatives)"}.get(f.get("identical"), "")
        if "disagree" in f:
            same = f" (values differ: {', '.join(f['disagree'])})" if f["disagree"] else " (same values)"
        cpu = (f"{f['cpu']:>8.3f} {f['reference_cpu']:>8.3f} {f['cpu'] / f['reference_cpu']:>6.2f}"
               if f.get("reference_cpu") else f"{'':>8} {'':>8} {'':>6}")
        print(f"{name:<50} {f['value']:>9.3f} {f['reference']:>9.3f} {f['ratio']:>6.2f} {cpu}  "
              f"{f['reference_name']} [{f['unit']}]{same}")
    print()
    for t in result["targets"]:
        print(f"{'met ' if t['met'] else 'MISSED'} {t['target']}: {t['value']:.3f} "
              f"(limit {t['limit']}, at {t['rows']:,} rows)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="pool rows (sets the shape)")
    parser.add_argument("--queries", type=int, help="override the number of queries")
    parser.add_argument("--pool-size", type=int, help="override the candidates per query")
    parser.add_argument("--pool-out", type=Path, help="keep the generated pool Parquet file here")
    parser.add_argument("--app-rows", type=int, help="rows of the Compare page's pool "
                                                     "(default min(rows, 1,000,000))")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per strategy (best)")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, path, work = args.child
        part = {"ours": child_ours, "pandas": child_pandas, "loops": child_loops,
                "app": child_app}[kind]
        print(json.dumps(part(Path(path), Path(work), repeats=args.repeats)))
        return 0
    if args.rows < 1 or args.repeats < 1:
        parser.error("--rows and --repeats must be positive")

    queries, pool_size = shape(args.rows)
    queries, pool_size = args.queries or queries, args.pool_size or pool_size
    app_queries, app_size = shape(min(args.rows, APP_ROWS) if args.app_rows is None else args.app_rows)
    before = os.getloadavg()
    from analysis.formats.pool import write_pool
    from analysis.scoring.synthetic import make_pool

    with tempfile.TemporaryDirectory(prefix="neglens-scale-") as tmp:
        work = Path(tmp)
        path = args.pool_out or work / "pool.parquet"
        start = time.perf_counter()
        pool = make_pool(num_queries=queries, pool_size=pool_size, seed=0, num_clusters=50)
        generated = time.perf_counter() - start
        start = time.perf_counter()
        write_pool(pool, path)
        info = {"rows": len(pool.pairs), "queries": queries, "pool_size": pool_size,
                "generate_s": generated, "write_s": time.perf_counter() - start,
                "file_mib": path.stat().st_size / 2**20, "path": str(path) if args.pool_out else None}
        del pool
        print(f"pool: {info['rows']:,} rows written in {info['write_s']:.1f} s; running NegLens ...",
              flush=True)
        common = ["--repeats", str(args.repeats)]
        ours = run_child("--child", "ours", str(path), str(work), *common)
        print("running the pandas reference ...", flush=True)
        pandas = run_child("--child", "pandas", str(path), str(work), *common)
        print("running the per-query references ...", flush=True)
        loops = run_child("--child", "loops", str(path), str(work), "--repeats", "1")
        app_path = path
        if (app_queries, app_size) != (queries, pool_size):
            app_path = write_pool(make_pool(num_queries=app_queries, pool_size=app_size, seed=0,
                                            num_clusters=50), work / "app.parquet")
        print(f"running the Compare page on {app_queries * app_size:,} rows ...", flush=True)
        app = run_child("--child", "app", str(app_path), str(work), *common)
        app["rows"] = int(pq_rows(app_path))

    figures = collect(ours, pandas, loops, app)
    result = {"command": "python benchmarks/scale.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "machine": machine(), "pool": info, "figures": figures,
              "targets": targets(figures, info["rows"]),
              "load_average": {"before": [round(x, 2) for x in before],
                               "after": [round(x, 2) for x in os.getloadavg()]},
              "app": app, "parent_peak_rss_mib": rss_mib()}
    report(result)
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
