"""How fast the Compare page redraws after a strategy parameter change, with a big pool loaded.

Writes a synthetic pool (``analysis.scoring.synthetic.make_pool``, default 10,000 queries x 100
candidates = 1,000,000 rows) as a pool Parquet file, opens the whole app on it with Streamlit's
``AppTest`` (the page script runs as in a browser session, minus the network), goes to Compare
and times, in one run:

- the app's first page (reading the pool) and Compare's first render (every default strategy);
- a rerun with nothing changed (the floor: the script, the caches, the charts);
- reruns after changing one parameter (top_k's ``num_negatives``, then simans' ``a``), each to a
  value not seen before, so that strategy really re-selects and its metrics are recomputed;

and beside them, as the reference, the library work such a change needs with no app around it:
``strategy.select`` plus ``analysis.measure.compare.summary`` of that one selection. The ratio says what
the page adds on top. Figures are printed, never asserted (issue 6 target: under 1 s).

    .venv/bin/python benchmarks/dashboard_benchmark.py [--queries 10000] [--pool-size 100] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHANGES = [("top_k", "num_negatives", [10, 12, 14]), ("simans", "a", [1.0, 2.0, 4.0])]


def set_param(at, name: str, param: str, value):
    """A strategy parameter's widget set to ``value``: its number input, or the text input of a
    nullable parameter (simans' ``a``, derived from the pool unless set)."""
    key = f"param:{name}:{param}"
    numbers = [w for w in at.number_input if w.key == key]
    return numbers[0].set_value(value) if numbers else at.text_input(key=key).set_value(str(value))


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def check(at) -> None:
    problems = [e.value for e in at.exception] + [e.value for e in at.error]
    if problems:
        raise SystemExit(f"the page failed: {problems}")


def reference(pool, name: str, param: str, value) -> float:
    """select + compare.summary of one selection, outside the app."""
    import numpy as np

    from analysis.measure.compare import summary
    from analysis.strategies import create

    strategy = create(name, **{param: value})
    return timed(lambda: summary(pool, {name: strategy.select(pool, np.random.default_rng(0))}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--pool-size", type=int, default=100)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    args = parser.parse_args(argv)

    from streamlit.testing.v1 import AppTest

    from analysis.formats.pool import write_pool
    from analysis.scoring.synthetic import make_pool

    with tempfile.TemporaryDirectory(prefix="neglens-dashboard-bench-") as tmp:
        os.environ["NEGLENS_CACHE_DIR"] = tmp
        pool = make_pool(num_queries=args.queries, pool_size=args.pool_size, num_clusters=50)
        path = write_pool(pool, Path(tmp) / "pool.parquet")
        os.environ["NEGLENS_DATA"] = str(path)
        rows = len(pool.pairs)
        print(f"pool: {rows:,} rows ({args.queries:,} queries x {args.pool_size} candidates), "
              f"{path.stat().st_size / 2**20:.1f} MiB on disk")

        at = AppTest.from_file(str(REPO / "dashboard" / "app.py"), default_timeout=600)
        figures = {"rows": rows, "first_page_s": timed(at.run)}
        check(at)
        figures["compare_first_s"] = timed(lambda: at.switch_page("views/compare.py").run())
        check(at)
        figures["rerun_unchanged_s"] = statistics.median(timed(at.run) for _ in range(3))

        changes = []
        for name, param, values in CHANGES:
            for value in values:
                seconds = timed(lambda: set_param(at, name, param, value).run())
                check(at)
                changes.append({"strategy": name, "param": param, "value": value,
                                "page_s": seconds, "reference_s": reference(pool, name, param, value)})
        figures["changes"] = changes

    print(f"\n{'step':<44} {'seconds':>8}")
    print(f"{'first page (read the pool)':<44} {figures['first_page_s']:>8.2f}")
    print(f"{'Compare, first render (6 strategies)':<44} {figures['compare_first_s']:>8.2f}")
    print(f"{'Compare rerun, nothing changed (median of 3)':<44} {figures['rerun_unchanged_s']:>8.2f}")
    print(f"\n{'parameter change':<28} {'page s':>8} {'select+summary s':>17} {'page/reference':>15}")
    for c in changes:
        label = f"{c['strategy']}.{c['param']}={c['value']}"
        print(f"{label:<28} {c['page_s']:>8.2f} {c['reference_s']:>17.2f} "
              f"{c['page_s'] / c['reference_s']:>15.1f}x")
    page = [c["page_s"] for c in changes]
    figures["change_median_s"] = statistics.median(page)
    figures["change_max_s"] = max(page)
    print(f"\nCompare redraw after a parameter change: median {figures['change_median_s']:.2f} s, "
          f"worst {figures['change_max_s']:.2f} s (target: under 1 s at 1,000,000 rows)")
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
