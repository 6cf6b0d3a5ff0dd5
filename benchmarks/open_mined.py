"""Open what you mined (issue 15): a generated sentence-transformers n-tuple file with scores.

    .venv/bin/python benchmarks/open_mined.py --queries 100000 [--out /tmp/mined.jsonl]
    .venv/bin/python benchmarks/open_mined.py --queries 1000000 --out /tmp/mined.parquet

A ``.parquet`` out writes the same rows as Parquet (vectorised generation) and compares with
``pandas.read_parquet``; the ``compare`` part selects with the six default strategies on the
file's candidates in the library (no app), and every child is killed past ``--max-rss-gib``
(default 12) so a run never starves a shared machine.

Writes N queries (~10 words) x (1 positive + 5 negatives, 30-90 words; a shared vocabulary so
passages repeat across queries as mined ones do) with ``scores``, then, each in a fresh child
process (its own peak RSS, ``VmHWM``): ``pandas.read_json(lines=True)`` of the file (the
reference); ``analysis.formats.load`` and file candidates, timed apart, then the reference
again in the same child (a shared machine's load changes between children); the app in ``AppTest`` on the file:
Overview first render, Browse, Compare first render (six strategies) and a rerun after one
parameter change, and whether torch / sentence_transformers were imported.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def generate_parquet(path: Path, queries: int, seed: int = 0) -> None:
    """The same shape as :func:`generate`, vectorised: passages drawn from a pool of queries/2."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(5000)])
    passages = np.array([" ".join(rng.choice(vocab, rng.integers(30, 91)))
                         for _ in range(max(1000, queries // 2))], dtype=object)
    words = rng.integers(0, len(vocab), size=(queries, 8))
    anchors = [f"query {q} " + " ".join(vocab[w]) for q, w in enumerate(words)]
    pick = rng.integers(0, len(passages), size=(queries, 6))  # a rare repeat in a row is kept
    scores = np.sort(rng.uniform(0.2, 0.9, (queries, 6)), axis=1)[:, ::-1].round(4)
    columns = {"anchor": anchors,
               "positive": [f"answer {q} " + p for q, p in enumerate(passages[pick[:, 0]])]}
    for k in range(1, 6):
        columns[f"negative_{k}"] = passages[pick[:, k]].tolist()
    columns["scores"] = pa.array(list(scores), type=pa.list_(pa.float64()))
    pq.write_table(pa.table(columns), path, row_group_size=100_000)


def generate(path: Path, queries: int, seed: int = 0) -> None:
    if path.suffix == ".parquet":
        return generate_parquet(path, queries, seed)
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(5000)])
    passages = [" ".join(rng.choice(vocab, rng.integers(30, 91))) for _ in range(max(1000, queries // 2))]
    with path.open("w", encoding="utf-8") as out:
        for q in range(queries):
            idx = rng.choice(len(passages), 6, replace=False)
            scores = np.sort(rng.uniform(0.2, 0.9, 6))[::-1].round(4).tolist()
            row = {"anchor": f"query {q} " + " ".join(rng.choice(vocab, 8)),
                   "positive": f"answer {q} " + passages[idx[0]]}
            row.update({f"negative_{k}": passages[idx[k]] for k in range(1, 6)})
            row["scores"] = scores
            out.write(json.dumps(row) + "\n")


CHILD = {
    "pandas": "import pandas as pd; pd.read_json(PATH, lines=True)",
    "pandas_parquet": "import pandas as pd; pd.read_parquet(PATH)",
    "compare": r"""
from analysis import workspace as ws
from analysis.export.apply import candidate_pool
from analysis.formats import load
from analysis.scoring.file_rank import file_candidates
from dashboard.state import DEFAULT_STRATEGIES
t = time.perf_counter(); cands = candidate_pool(file_candidates(load(PATH))); t_load = time.perf_counter() - t
t = time.perf_counter()
for name, params in DEFAULT_STRATEGIES:
    ws.select(cands, name, dict(params), seed=0)
t_six = time.perf_counter() - t
t = time.perf_counter(); ws.select(cands, "top_k", {"num_negatives": 2}, seed=0); t_one = time.perf_counter() - t
print("FIG", {"load_candidates_s": t_load, "six_strategies_s": t_six, "rerun_one_s": t_one,
              "pairs": len(cands.pairs)})
""",
    "load": r"""
from pathlib import Path
import pandas as pd
from analysis.formats import load
from analysis.scoring.file_rank import file_candidates
t = time.perf_counter(); nset = load(Path(PATH)); t_load = time.perf_counter() - t
t = time.perf_counter(); file_candidates(nset); t_cand = time.perf_counter() - t
del nset
t = time.perf_counter()      # the reference again, here: a shared machine's load changes
pd.read_parquet(PATH) if PATH.endswith(".parquet") else pd.read_json(PATH, lines=True)
print("FIG", {"load_s": t_load, "file_candidates_s": t_cand,
              "reference_here_s": time.perf_counter() - t})
""",
    "app": r"""
import os, sys, time
os.environ["NEGLENS_DATA"] = PATH
from streamlit.testing.v1 import AppTest
app = REPO + "/dashboard/app.py"
def page(name):
    at = AppTest.from_file(app, default_timeout=600); at.query_params.update(QUERY)
    at.switch_page(f"views/{name}.py")
    t = time.perf_counter(); at.run(); return at, time.perf_counter() - t
at, t_over = page("overview")
_, t_browse = page("browse")
at, t_cmp = page("compare")
def change(box):
    t = time.perf_counter(); box.set_value(box.value + 1).run(); return time.perf_counter() - t
param = next(b for b in at.number_input if b.key != "compare_seed")   # a strategy's parameter
t_rerun = change(param)
t_seed = change(at.number_input(key="compare_seed"))   # also the sample's seed: re-draws it
assert not at.exception, [e.value for e in at.exception]
print("FIG", {"sample": [c.value[:60] for c in at.caption if "random sample" in c.value][:1],
              "overview_s": t_over, "browse_s": t_browse, "compare_first_s": t_cmp,
              "compare_rerun_s": t_rerun, "rerun_param": param.label,
              "compare_seed_change_s": t_seed, "torch": "torch" in sys.modules,
              "sentence_transformers": "sentence_transformers" in sys.modules})
""",
}


CHILD["app_whole"] = CHILD["app"]  # the whole file: the link's sample=0
QUERIES = {"app_whole": {"sample": "0"}}


def child(name: str, path: Path, max_rss_gib: float = 12.0) -> dict:
    code = (f"PATH = {str(path)!r}; REPO = {str(REPO)!r}; QUERY = {QUERIES.get(name, {})!r}\n"
            "import sys, time; sys.path.insert(0, REPO)\n"
            f"t0 = time.perf_counter()\n{CHILD[name]}\nwall = time.perf_counter() - t0\n"
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
            "print('FIG', {'wall_s': wall, 'peak_gib': int(hwm) / 2**20})")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**__import__("os").environ, "NEGLENS_CACHE_DIR": "/tmp/neglens-open-mined"})
    return child_figures(proc, _watch(proc, max_rss_gib), max_rss_gib, tail=1500)


def child_figures(proc, killed: bool, max_rss_gib: float, *, tail: int) -> dict:
    """The ``FIG {...}`` lines a measured child printed, with ``error`` when it was killed past
    ``max_rss_gib`` or failed (the last ``tail`` characters of its stderr)."""
    stdout, stderr = proc.communicate()
    figs = {}
    for line in stdout.splitlines():
        if line.startswith("FIG"):
            figs.update(eval(line[4:]))  # our own child's dict literal
    if killed:
        figs["error"] = f"killed: RSS passed {max_rss_gib} GiB"
    elif proc.returncode:
        figs["error"] = stderr[-tail:]
    return figs


def _watch(proc, max_rss_gib: float) -> bool:
    """Poll the child's RSS every 0.2 s; kill it (True) when it passes ``max_rss_gib``."""
    while proc.poll() is None:
        try:
            rss = next(int(line.split()[1]) for line in open(f"/proc/{proc.pid}/status")
                       if line.startswith("VmRSS"))
        except (OSError, StopIteration):
            rss = 0
        if rss / 2**20 > max_rss_gib:
            proc.kill()
            return True
        time.sleep(0.2)
    return False


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--out", default="/tmp/open_mined.jsonl")
    parser.add_argument("--parts", default=None,
                        help="comma-separated children (default: pandas,load,app for JSONL; "
                             "pandas_parquet,load,compare for Parquet)")
    parser.add_argument("--max-rss-gib", type=float, default=12.0)
    parser.add_argument("--keep", action="store_true", help="reuse an existing --out file")
    args = parser.parse_args()
    path = Path(args.out)
    t = time.perf_counter()
    if not (args.keep and path.is_file()):
        generate(path, args.queries)
    print(f"generated {args.queries:,} queries in {time.perf_counter() - t:.0f} s, "
          f"{path.stat().st_size / 2**20:.0f} MiB", flush=True)
    default = "pandas_parquet,load,compare" if path.suffix == ".parquet" else "pandas,load,app"
    for name in (args.parts or default).split(","):
        print(name, child(name, path, args.max_rss_gib), flush=True)


if __name__ == "__main__":
    main()
