"""The statistics ``stats`` prints, by DuckDB, by Polars and by NegLens, on one scored file (issue 27).

    nice -n 10 .venv/bin/python benchmarks/stats_peers.py [--queries 1000000] [--shards 8]

Writes (once; ``--data``, default /work/cache/bench-data) a scored sentence-transformers n-tuple
Parquet file of N queries x (1 positive + 5 negatives) with ``scores``, generated vectorised as
``benchmarks/open_mined.py`` does, and the same rows as a folder of shards partitioned by query.
Then, each in its own child process (wall time and peak RSS, ``VmHWM``; a child past
``--max-rss-gib``, default 6, is killed and reported so), in one run:

- ``duckdb`` / ``polars``: count; per-query gap ``s_pos - s_neg`` (``s_pos`` the positive's
  score) mean and 25/50/75% quantiles; negative score mean and standard deviation; the 95%
  margin count (negatives with ``s_neg >= s_pos - 0.05 |s_pos|``, NV-Retriever's rule); a
  50-bin score histogram over [0, 1] and the file-rank histogram of the negatives (1-based
  position in the row's score order, positive included, as NegLens ranks a file).
- ``neglens`` / ``neglens_again``: ``python -m analysis stats FILE`` twice (first open, then a
  reopen that may use a cache); it prints the table (count, mean, median, std, min, quartiles,
  max of positives, negatives and gaps), not the margin count or histograms.
- ``neglens_shards_local`` / ``neglens_shards_ray``: ``stats SHARDS --engine local|ray``
  (Ray's worker processes are not in the driver's peak RSS).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

SQL = """
WITH rows AS (SELECT row_number() OVER () AS r, scores FROM read_parquet('{path}')),
pairs AS (SELECT r, scores[1] AS s_pos, unnest(scores) AS s, generate_subscripts(scores, 1) AS k FROM rows),
ranked AS (SELECT *, row_number() OVER (PARTITION BY r ORDER BY s DESC, k) AS rank FROM pairs),
neg AS (SELECT * FROM ranked WHERE k > 1)
SELECT (SELECT count(*) FROM rows) AS queries, count(*) AS negatives,
       avg(s_pos - s) AS gap_mean, quantile_cont(s_pos - s, [0.25, 0.5, 0.75]) AS gap_q,
       avg(s) AS neg_mean, stddev_samp(s) AS neg_std,
       count(*) FILTER (WHERE s >= s_pos - 0.05 * abs(s_pos)) AS margin95
FROM neg
"""
SQL_HIST = """
WITH rows AS (SELECT row_number() OVER () AS r, scores FROM read_parquet('{path}')),
pairs AS (SELECT r, unnest(scores) AS s, generate_subscripts(scores, 1) AS k FROM rows),
ranked AS (SELECT *, row_number() OVER (PARTITION BY r ORDER BY s DESC, k) AS rank FROM pairs)
SELECT (SELECT histogram(least(greatest(floor(s * 50), 0), 49)) FROM pairs) AS score_hist,
       (SELECT histogram(rank) FROM ranked WHERE k > 1) AS rank_hist
"""

CHILD = {
    "duckdb": """
import duckdb
con = duckdb.connect(config={"threads": 2})
con.execute("SET enable_progress_bar = false")  # the bar shares stdout with the figures
stats = con.execute(SQL.format(path=PATH)).fetchone()
hist = con.execute(SQL_HIST.format(path=PATH)).fetchone()
print("FIG", {"queries": stats[0], "negatives": stats[1], "gap_mean": stats[2], "gap_q": list(stats[3]),
              "neg_mean": stats[4], "neg_std": stats[5], "margin95": stats[6],
              "rank_hist": dict(sorted(hist[1].items()))})
""",
    "polars": """
import polars as pl
s = (pl.scan_parquet(PATH).select(pl.col("scores")).with_row_index("r")
     .with_columns(pl.col("scores").list.first().alias("s_pos"))
     .explode("scores").rename({"scores": "s"})
     .with_columns(k=pl.int_range(pl.len()).over("r"))
     .with_columns(rank=pl.struct((-pl.col("s")).alias("ns"), "k").rank("ordinal").over("r")))
neg = s.filter(pl.col("k") > 0).with_columns(gap=pl.col("s_pos") - pl.col("s"))
stats = neg.select(pl.len().alias("negatives"), pl.col("gap").mean().alias("gap_mean"),
                   *[pl.col("gap").quantile(q, "linear").alias(f"q{q}") for q in (0.25, 0.5, 0.75)],
                   pl.col("s").mean().alias("neg_mean"), pl.col("s").std().alias("neg_std"),
                   (pl.col("s") >= pl.col("s_pos") - 0.05 * pl.col("s_pos").abs()).sum().alias("margin95"),
                   pl.col("r").n_unique().alias("queries")).collect()
score_hist = s.select((pl.col("s") * 50).floor().clip(0, 49).value_counts()).collect()
rank_hist = neg.group_by("rank").len().sort("rank").collect()
row = stats.row(0, named=True)
print("FIG", {"queries": row["queries"], "negatives": row["negatives"], "gap_mean": row["gap_mean"],
              "gap_q": [row["q0.25"], row["q0.5"], row["q0.75"]], "neg_mean": row["neg_mean"],
              "neg_std": row["neg_std"], "margin95": row["margin95"],
              "rank_hist": dict(zip(rank_hist["rank"].to_list(), rank_hist["len"].to_list()))})
""",
}
STATS = """
import subprocess, sys
out = subprocess.run([sys.executable, "-m", "analysis", "stats", *ARGS], capture_output=True, text=True, cwd=REPO)
if out.returncode:
    raise SystemExit(out.stderr[-1500:])
lines = out.stdout.splitlines()
cell = lambda metric, col: [l.split()[col] for l in lines if l.split()[:1] == [metric]][0]
print("FIG", {"negatives": cell("Count", 2), "gap_mean": cell("Mean", 3), "gap_median": cell("Median", 3),
              "neg_mean": cell("Mean", 2), "neg_std": cell("Std", 2)})
"""


def _child_code(name: str, path: Path, shards: Path) -> str:
    if name.startswith("neglens"):
        args = {"neglens": [str(path)], "neglens_again": [str(path)],
                "neglens_shards_local": [str(shards), "--engine", "local"],
                "neglens_shards_ray": [str(shards), "--engine", "ray"]}[name]
        body = f"ARGS = {args!r}\n" + STATS
    else:
        body = f"SQL = {SQL!r}\nSQL_HIST = {SQL_HIST!r}\n" + CHILD[name]
    return (f"PATH = {str(path)!r}; REPO = {str(REPO)!r}\nimport time, resource\nt0 = time.perf_counter()\n"
            f"{body}\nwall = time.perf_counter() - t0\n"
            "own = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
            "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "print('FIG', {'wall_s': wall, 'peak_gib': max(int(own), kids) / 2**20})")


def child(name: str, path: Path, shards: Path, max_rss_gib: float) -> dict:
    from open_mined import _watch, child_figures

    proc = subprocess.Popen([sys.executable, "-c", _child_code(name, path, shards)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    killed = _watch_tree(proc, max_rss_gib) if name.startswith("neglens") else _watch(proc, max_rss_gib)
    return child_figures(proc, killed, max_rss_gib, tail=800)


def _watch_tree(proc, max_rss_gib: float) -> bool:
    """As ``open_mined._watch``, over the child and its own child (the ``stats`` process)."""
    import signal

    while proc.poll() is None:
        total = 0
        for pid in [proc.pid, *_children(proc.pid)]:
            try:
                total = max(total, next(int(l.split()[1]) for l in open(f"/proc/{pid}/status")
                                        if l.startswith("VmRSS")))
            except (OSError, StopIteration):
                pass
        if total / 2**20 > max_rss_gib:
            os.killpg(proc.pid, signal.SIGKILL)
            return True
        time.sleep(0.2)
    return False


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def write_shards(path: Path, folder: Path, shards: int) -> None:
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    rows = pq.ParquetFile(path).metadata.num_rows
    step = -(-rows // shards)
    table = pq.read_table(path)
    for number in range(shards):
        pq.write_table(table.slice(number * step, step), folder / f"part-{number:03d}.parquet")


def main() -> None:
    from open_mined import generate_parquet

    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=1_000_000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--data", default="/work/cache/bench-data")
    parser.add_argument("--parts", default="duckdb,polars,neglens,neglens_again,neglens_shards_local,"
                                           "neglens_shards_ray")
    parser.add_argument("--max-rss-gib", type=float, default=6.0)
    args = parser.parse_args()
    path = Path(args.data) / f"peers_{args.queries}x5.parquet"
    shards = Path(args.data) / f"peers_{args.queries}x5_{args.shards}shards"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file():
        t = time.perf_counter()
        generate_parquet(path, args.queries)
        print(f"generated {args.queries:,} queries in {time.perf_counter() - t:.0f} s", flush=True)
    if not shards.is_dir():
        write_shards(path, shards, args.shards)
    print(f"{path}: {path.stat().st_size / 2**20:,.0f} MiB; {args.shards} shards in {shards}", flush=True)
    for name in args.parts.split(","):
        print(name, child(name, path, shards, args.max_rss_gib), flush=True)


if __name__ == "__main__":
    main()
