"""Open what you mined (issue 15): a generated sentence-transformers n-tuple file with scores.

    .venv/bin/python benchmarks/open_mined.py --queries 100000 [--out /tmp/mined.jsonl]
    .venv/bin/python benchmarks/open_mined.py --queries 1000000 --out /tmp/mined.parquet

Writes N queries (~10 words) x (1 positive + 5 negatives, 30-90 words; a shared vocabulary so
passages repeat across queries as mined ones do) with ``scores``, then, each in a fresh child
process (its own peak RSS, ``VmHWM``): ``pandas.read_json(lines=True)`` or ``read_parquet`` of
the file (the reference); ``analysis.formats.load`` + file candidates, then the reference
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


def rows(queries: int, seed: int = 0):
    """The generated rows, one dict per query, the same for either file format."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(5000)])
    passages = [" ".join(rng.choice(vocab, rng.integers(30, 91))) for _ in range(max(1000, queries // 2))]
    for q in range(queries):
        idx = rng.choice(len(passages), 6, replace=False)
        scores = np.sort(rng.uniform(0.2, 0.9, 6))[::-1].round(4).tolist()
        row = {"anchor": f"query {q} " + " ".join(rng.choice(vocab, 8)),
               "positive": f"answer {q} " + passages[idx[0]]}
        row.update({f"negative_{k}": passages[idx[k]] for k in range(1, 6)})
        row["scores"] = scores
        yield row


def generate(path: Path, queries: int, seed: int = 0, chunk: int = 100_000) -> None:
    """JSONL, or Parquet (row groups of ``chunk`` queries) when ``path`` ends in .parquet."""
    if path.suffix != ".parquet":
        with path.open("w", encoding="utf-8") as out:
            for row in rows(queries, seed):
                out.write(json.dumps(row) + "\n")
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer, batch = None, []
    for row in rows(queries, seed):
        batch.append(row)
        if len(batch) == chunk:
            writer = _write(pa, pq, writer, path, batch)
            batch = []
    if batch or writer is None:
        writer = _write(pa, pq, writer, path, batch)
    writer.close()


def _write(pa, pq, writer, path: Path, batch: list[dict]):
    table = pa.Table.from_pylist(batch)
    writer = writer or pq.ParquetWriter(path, table.schema)
    writer.write_table(table)
    return writer


CHILD = {
    "pandas": ("import pandas as pd; pd.read_parquet(PATH) if PATH.endswith('.parquet') "
               "else pd.read_json(PATH, lines=True)"),
    "load": ("from pathlib import Path; from analysis.formats import load; "
             "from analysis.scoring.file_rank import file_candidates\n"
             "t = time.perf_counter(); nset = load(Path(PATH)); t_load = time.perf_counter() - t\n"
             "t = time.perf_counter(); file_candidates(nset); t_cand = time.perf_counter() - t\n"
             "del nset; import pandas as pd; t = time.perf_counter()\n"   # the reference again, here:
             "pd.read_parquet(PATH) if PATH.endswith('.parquet') else pd.read_json(PATH, lines=True)\n"
             "t_ref = time.perf_counter() - t\n"                           # the same load on the box
             "print('FIG', {'load_s': t_load, 'file_candidates_s': t_cand, 'reference_here_s': t_ref})"),
    "app": r"""
import os, sys, time
os.environ["NEGLENS_DATA"] = PATH
from streamlit.testing.v1 import AppTest
app = REPO + "/dashboard/app.py"
def page(name):
    at = AppTest.from_file(app, default_timeout=600); at.switch_page(f"views/{name}.py")
    t = time.perf_counter(); at.run(); return at, time.perf_counter() - t
at, t_over = page("overview")
_, t_browse = page("browse")
at, t_cmp = page("compare")
box = at.number_input[0]; t = time.perf_counter(); box.set_value(box.value + 1).run(); t_rerun = time.perf_counter() - t
assert not at.exception, [e.value for e in at.exception]
print("FIG", {"overview_s": t_over, "browse_s": t_browse, "compare_first_s": t_cmp,
              "compare_rerun_s": t_rerun, "torch": "torch" in sys.modules,
              "sentence_transformers": "sentence_transformers" in sys.modules})
""",
}


def child(name: str, path: Path) -> dict:
    code = (f"PATH = {str(path)!r}; REPO = {str(REPO)!r}\nimport sys, time; sys.path.insert(0, REPO)\n"
            f"t0 = time.perf_counter()\n{CHILD[name]}\nwall = time.perf_counter() - t0\n"
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
            "print('FIG', {'wall_s': wall, 'peak_gib': int(hwm) / 2**20})")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env={**__import__("os").environ, "NEGLENS_CACHE_DIR": "/tmp/neglens-open-mined"})
    figs = {}
    for line in done.stdout.splitlines():
        if line.startswith("FIG"):
            figs.update(eval(line[4:]))  # our own child's dict literal
    if done.returncode:
        figs["error"] = done.stderr[-1500:]
    return figs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--out", default="/tmp/open_mined.jsonl")
    args = parser.parse_args()
    path = Path(args.out)
    t = time.perf_counter()
    generate(path, args.queries)
    print(f"generated {args.queries:,} queries in {time.perf_counter() - t:.0f} s, "
          f"{path.stat().st_size / 2**20:.0f} MiB", flush=True)
    for name in ("pandas", "load", "app"):
        print(name, child(name, path), flush=True)


if __name__ == "__main__":
    main()
