"""Compare two mined files (issue 26): two 100,000-query files over the same queries in the app.

    nice -n 10 .venv/bin/python benchmarks/compare_files.py [--queries 100000] [--dir /tmp/cmpbench]

Writes two sentence-transformers n-tuple Parquet files over the same N queries (~10 words,
passages of 30-90 words from a shared vocabulary): ``a.parquet`` with 10 negatives per query and
their scores (the candidates its model scored), ``b.parquet`` with 5 of those 10 chosen at
random, scored by "another model" (other numbers). ``a``'s scores cover every union pair, so
the yardstick is ``file:a.parquet`` (no model, no encoding). Then, in a fresh child process
(its own peak RSS, ``VmHWM``): ``pandas.read_parquet`` of both files (the reference, timed in
the same child), and the app in ``AppTest`` started as ``--data a --data b`` with
``yardstick=file:a.parquet`` in the link: the Compare page's first render (files loaded,
matched on the default sample of 2,000 queries, measured) and a rerun after a change (a
strategy added over the union). Targets: first render < 15 s, rerun < 1 s, peak < 3 GiB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def generate(folder: Path, queries: int, seed: int = 0) -> tuple[Path, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(5000)])
    passages = np.array([" ".join(rng.choice(vocab, rng.integers(30, 91)))
                         for _ in range(max(1000, queries // 2))], dtype=object)
    anchors = [f"query {q} " + " ".join(vocab[w]) for q, w in enumerate(rng.integers(0, 5000, (queries, 8)))]
    positives = [f"answer {q} " + p for q, p in enumerate(passages[rng.integers(0, len(passages), queries)])]
    pick = np.argsort(rng.random((queries, len(passages) if len(passages) < 64 else 64)), axis=1)[:, :10]
    pick = rng.integers(0, len(passages), (queries, 1)) + pick  # 10 distinct passages per query
    pick %= len(passages)
    scores_a = np.sort(rng.uniform(0.2, 0.9, (queries, 11)), axis=1)[:, ::-1].round(4)
    a = {"anchor": anchors, "positive": positives}
    a.update({f"negative_{k + 1}": passages[pick[:, k]].tolist() for k in range(10)})
    a["scores"] = pa.array(list(scores_a), type=pa.list_(pa.float64()))
    keep = np.sort(np.argsort(rng.random((queries, 10)), axis=1)[:, :5], axis=1)
    b = {"anchor": anchors, "positive": positives}
    b.update({f"negative_{k + 1}": passages[pick[np.arange(queries), keep[:, k]]].tolist() for k in range(5)})
    scores_b = np.sort(rng.uniform(10, 90, (queries, 6)), axis=1)[:, ::-1].round(2)
    b["scores"] = pa.array(list(scores_b), type=pa.list_(pa.float64()))
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(a), folder / "a.parquet", row_group_size=100_000)
    pq.write_table(pa.table(b), folder / "b.parquet", row_group_size=100_000)
    return folder / "a.parquet", folder / "b.parquet"


CHILD = r"""
import json, os, sys, time
import pandas as pd
A, B = sys.argv[1], sys.argv[2]
t = time.perf_counter(); pd.read_parquet(A); pd.read_parquet(B); ref = time.perf_counter() - t
from streamlit.testing.v1 import AppTest
os.environ["NEGLENS_DATA"] = A
at = AppTest.from_file(os.path.join(sys.argv[3], "dashboard", "app.py"), default_timeout=600)
at.query_params.update({"also": [B], "yardstick": "file:a.parquet"})
at.run()
t = time.perf_counter(); at = at.switch_page("views/compare.py").run(); first = time.perf_counter() - t
assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
assert at.title[0].value == "Compare files", at.title[0].value
cols = list(at.table[0].value.columns)
t = time.perf_counter(); at.multiselect(key="files_strategies").set_value(["top_k"]).run()
rerun = time.perf_counter() - t
assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
again = list(at.table[0].value.columns)
t = time.perf_counter(); at.run(); same = time.perf_counter() - t
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({"read_parquet_both_s": ref, "first_render_s": first, "rerun_after_change_s": rerun,
                  "rerun_unchanged_s": same, "peak_gib": int(hwm) / 2**20, "columns": cols,
                  "columns_after": again,
                  "heavy": sorted(m for m in ("torch", "sentence_transformers") if m in sys.modules)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/neglens-compare-files"))
    args = parser.parse_args()
    a, b = generate(args.dir, args.queries)
    print(f"wrote {a} ({a.stat().st_size / 2**20:.0f} MiB) and {b} ({b.stat().st_size / 2**20:.0f} MiB)")
    out = subprocess.run([sys.executable, "-c", CHILD, str(a), str(b), str(REPO)], capture_output=True,
                         text=True, cwd=args.dir, env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    if out.returncode:
        sys.exit(out.stderr[-3000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=2))
    print(f"first Compare render {result['first_render_s']:.1f} s (target < 15 s), rerun after a change "
          f"{result['rerun_after_change_s']:.2f} s (< 1 s), peak {result['peak_gib']:.2f} GiB (< 3 GiB); "
          f"reference: read_parquet of both files {result['read_parquet_both_s']:.1f} s in the same process")


if __name__ == "__main__":
    main()
