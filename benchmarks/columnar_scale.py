"""Files larger than memory (issue 27): the columnar core on a generated scored n-tuple Parquet.

    nice -n 10 .venv/bin/python benchmarks/columnar_scale.py --queries 1000000 --negatives 5
    nice -n 10 .venv/bin/python benchmarks/columnar_scale.py --queries 10000000 --negatives 10

Writes (once; ``--keep`` reuses it) N queries x (1 positive + K negatives) with ``scores`` under
``/work/cache/bench-data`` (never the repository), vectorised: passages of 8-24 words (``--words``)
from a shared vocabulary, drawn from a pool of N/2 so documents repeat across queries as mined
ones do; each query's positive is its own. Then, each in a fresh process niced, its peak RSS
(``VmHWM``; ``ru_maxrss`` would count the parent's memory copied at fork), in the same run:

- ``read_row_groups``: every row group of the file read with pyarrow (``read_table``'s decoding
  work, without holding the table: at 10M rows it would not fit in memory), and on files whose
  decoded text fits, ``pyarrow.parquet.read_table`` itself;
- ``first_open``: ``open_columnar`` with no cache entry (the streaming build), ``reopen`` (the entry
  mapped), then ``python -m analysis info``, ``stats`` (twice), ``compare`` with the app's six
  default strategies;
- DuckDB on the same file: the statistics ``stats`` prints (positive, negative and gap count,
  mean, std, min, quartiles, max), one query.

Prints one JSON line per step and a final summary.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = Path("/work/cache/bench-data")
STRATEGIES = ("top_k", "range", "margin", "topk_percpos", "simans", "random")


def _passages(rng, count: int, lo: int, hi: int, vocab: int = 5000):
    """``count`` texts of lo..hi words "w0000".."w4999", built as Arrow buffers (no Python str)."""
    import pyarrow as pa

    lengths = rng.integers(lo, hi + 1, count)
    words = rng.integers(0, vocab, int(lengths.sum()))
    digits = np.stack([(words // 10 ** p) % 10 for p in (3, 2, 1, 0)], axis=1).astype(np.uint8) + 48
    cells = np.empty((len(words), 6), dtype=np.uint8)
    cells[:, 0], cells[:, 1:5], cells[:, 5] = ord("w"), digits, ord(" ")
    ends = np.cumsum(lengths) - 1
    keep = np.ones((len(words), 6), dtype=bool)
    keep[ends, 5] = False                                       # no space after the last word
    data = cells[keep]
    offsets = np.r_[0, np.cumsum(lengths * 6 - 1)].astype(np.int64)
    return pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data.tobytes()))


def _join(prefix: str, numbers, texts):
    import pyarrow as pa
    import pyarrow.compute as pc

    big = pa.large_string()
    return pc.binary_join_element_wise(pa.scalar(prefix, big), numbers, pa.scalar(" ", big), texts,
                                       pa.scalar("", big))


def generate(path: Path, queries: int, negatives: int, words: tuple[int, int], seed: int = 0) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    pool = _passages(rng, max(1000, queries // 2), *words)
    chunk = 1_000_000
    writer = None
    tmp = path.with_suffix(".partial")
    for start in range(0, queries, chunk):
        n = min(chunk, queries - start)
        numbers = pa.array([str(q) for q in range(start, start + n)], pa.large_string())
        columns = {
            "anchor": _join("query ", numbers, _passages(rng, n, 8, 8)),
            "positive": _join("answer ", numbers,
                                pool.take(pa.array(rng.integers(0, len(pool), n)))),
        }
        pick = rng.integers(0, len(pool), size=(n, negatives))
        for k in range(negatives):
            columns[f"negative_{k + 1}"] = pool.take(pa.array(pick[:, k]))
        scores = np.sort(rng.uniform(0.2, 0.9, (n, negatives + 1)), axis=1)[:, ::-1].round(4)
        columns["scores"] = pa.FixedSizeListArray.from_arrays(scores.ravel(), negatives + 1).cast(
            pa.list_(pa.float64()))
        table = pa.table(columns)
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema)
        writer.write_table(table, row_group_size=100_000)
    writer.close()
    tmp.rename(path)


def child(code: str, *, cache: Path, max_rss_gib: float) -> dict:
    """Run python ``code`` in a niced child; its wall time and the figures it prints."""
    env = {**os.environ, "NEGLENS_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    proc = subprocess.Popen(["nice", "-n", "10", sys.executable, "-c", code], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    figs = {"wall_s": round(wall, 2)}
    for line in out.splitlines():
        if line.startswith("FIG "):
            figs.update(json.loads(line[4:]))
    if proc.returncode:
        figs["error"] = err[-800:]
    return figs


PEAK = ("hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print('FIG', json.dumps({'peak_gib': round(int(hwm) / 2**20, 2)}))")


def steps(path: Path, *, whole_table: bool) -> dict[str, str]:
    p = repr(str(path))
    template = ("import time, json; t = time.perf_counter()\nBODY\n"
                "print('FIG', json.dumps({'s': round(time.perf_counter() - t, 2)}))\n" + PEAK)

    def timed_body(body: str) -> str:
        return template.replace("BODY", body)
    cli = ("import sys, runpy; sys.argv = ['analysis'] + {}; sys.stdout = open('/dev/null', 'w')\n"
           "runpy.run_module('analysis', run_name='__main__')")
    out = {"read_row_groups": timed_body(
        f"import pyarrow.parquet as pq; f = pq.ParquetFile({p})\n"
        "for i in range(f.num_row_groups): f.read_row_group(i)")}
    if whole_table:
        out["read_table"] = timed_body(f"import pyarrow.parquet as pq; pq.read_table({p})")
    opener = f"from analysis.formats.columnar import open_columnar; n = open_columnar({p}); len(n.pairs)"
    out["first_open"] = timed_body(opener)
    out["reopen"] = timed_body(opener)
    strategies = [x for s in STRATEGIES for x in ("--strategy", s)]
    for name, argv in (("info", ["info", str(path), "--json"]), ("stats", ["stats", str(path)]),
                       ("stats_again", ["stats", str(path)]), ("compare_6", ["compare", str(path), *strategies])):
        out[name] = timed_body("try:\n    " + cli.format(argv).replace("\n", "\n    ") +
                                 "\nexcept SystemExit:\n    pass\nfinally:\n    sys.stdout = sys.__stdout__")
    out["duckdb_stats"] = timed_body(DUCKDB.format(path=str(path)))
    return out


DUCKDB = '''import duckdb
con = duckdb.connect(); con.execute("SET threads TO 2")
con.execute("""WITH t AS (SELECT scores[1] AS pos, unnest(scores[2:]) AS neg FROM read_parquet('{path}'))
SELECT count(*), avg(neg), stddev_samp(neg), min(neg), quantile_cont(neg, [0.25, 0.5, 0.75]), max(neg),
       avg(pos - neg), stddev_samp(pos - neg), min(pos - neg), quantile_cont(pos - neg, [0.25, 0.5, 0.75]),
       max(pos - neg) FROM t""").fetchall()
con.execute("SELECT count(*), avg(scores[1]), stddev_samp(scores[1]), quantile_cont(scores[1], [0.25, 0.5, 0.75]) FROM read_parquet('{path}')").fetchall()'''


APP = r"""
import os, time, json
os.environ["NEGLENS_DATA"] = PATH
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(REPO + "/dashboard/app.py", default_timeout=900)
at.switch_page("views/overview.py")
t = time.perf_counter(); at.run(); took = time.perf_counter() - t
assert not at.exception, [e.value for e in at.exception]
print("FIG", json.dumps({"overview_s": round(took, 2)}))
"""


def app_overview(path: Path, repo: Path, cache: Path) -> dict:
    """The app's Overview first render on ``path`` with the code at ``repo`` (this checkout, or
    /work/main as it was before the columnar core), in a fresh process with a fresh cache."""
    code = f"PATH = {str(path)!r}; REPO = {str(repo)!r}\nimport sys; sys.path.insert(0, REPO)\n" + APP + \
        "\nimport json\n" + PEAK
    env = {**os.environ, "NEGLENS_CACHE_DIR": str(cache), "PYTHONPATH": str(repo)}
    proc = subprocess.run(["nice", "-n", "10", sys.executable, "-c", code], cwd=repo, env=env,
                          capture_output=True, text=True)
    figs = {}
    for line in proc.stdout.splitlines():
        if line.startswith("FIG "):
            figs.update(json.loads(line[4:]))
    if proc.returncode:
        figs["error"] = proc.stderr[-800:]
    return figs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=1_000_000)
    parser.add_argument("--negatives", type=int, default=5)
    parser.add_argument("--words", default="8-24", help="passage length in words, LO-HI")
    parser.add_argument("--keep", action="store_true", help="reuse the generated file")
    parser.add_argument("--parts", default=None, help="comma-separated steps (default: all)")
    parser.add_argument("--max-rss-gib", type=float, default=9.0)
    parser.add_argument("--app", default=None, metavar="PARQUET",
                        help="only measure the app's Overview first render on this file, here and "
                             "with --baseline-repo's code")
    parser.add_argument("--baseline-repo", default="/work/main")
    args = parser.parse_args()
    if args.app:
        for repo in (REPO, Path(args.baseline_repo)):
            cache = DATA / "cache" / f"app-{repo.name}"
            shutil.rmtree(cache, ignore_errors=True)
            for when in ("cold", "warm"):     # warm: a new process, the cache entry kept
                figs = app_overview(Path(args.app), repo, cache)
                print(json.dumps({"app_overview": str(repo), "cache": when, **figs}), flush=True)
        return
    lo, hi = (int(x) for x in args.words.split("-"))
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"ntuple_{args.queries}x{args.negatives}_w{lo}-{hi}.parquet"
    if not (args.keep and path.is_file()):
        t = time.perf_counter()
        generate(path, args.queries, args.negatives, (lo, hi))
        print(json.dumps({"generated_s": round(time.perf_counter() - t, 1)}), flush=True)
    print(json.dumps({"file": str(path), "gib": round(path.stat().st_size / 2**30, 2)}), flush=True)
    cache = DATA / "cache" / path.stem
    todo = steps(path, whole_table=args.queries * (args.negatives + 2) * 110 < 4 * 2**30)
    parts = args.parts.split(",") if args.parts else list(todo)
    if "first_open" in parts:       # else the steps reuse the entry an earlier run built
        shutil.rmtree(cache, ignore_errors=True)
    results = {}
    for name in parts:
        results[name] = child(todo[name], cache=cache, max_rss_gib=args.max_rss_gib)
        print(json.dumps({name: results[name]}), flush=True)
    print("SUMMARY", json.dumps(results))


if __name__ == "__main__":
    main()
