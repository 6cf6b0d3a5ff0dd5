"""``python -m analysis stats INPUT_OR_POOL [--json]``: the score statistics table per source.

The table sentence-transformers prints after mining (``analysis.measure.stats``), for ``score`` and,
when the set has one, ``ce_score``. A file without scores gets a note on stderr saying how
to get them (build a pool first). ``--json`` prints ``{"input", "how", "by", "tables":
{column: {group: {metric: {"positive", "negative", "difference"}}}}}`` with null for
statistics that do not exist (no values). ``--engine local|ray`` reads INPUT per shard
(``analysis.workspace.shards``: a folder of ``*.parquet`` shards partitioned by query) and
prints the same table for ``score``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from analysis.model import POSITIVE_REDUCTIONS


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "stats", help="score statistics per source (the table sentence-transformers prints)",
        description="Print Count, Mean, Median, Std, Min, 25%%, 50%%, 75%%, Max of positive "
                    "scores, negative scores and their difference (s_pos - s_neg), per source.")
    parser.add_argument("input", help="pool file, or any file or folder NegLens reads")
    parser.add_argument("--format", help="format of INPUT (default: detected)")
    parser.add_argument("--how", choices=POSITIVE_REDUCTIONS, default="min",
                        help="s_pos of a query with several positives (default: min, as "
                             "sentence-transformers)")
    parser.add_argument("--by", default="source", help="pair column to group by (default: source)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--engine", choices=("local", "ray"), default=None,
                        help="per shard: INPUT is a folder of *.parquet shards of one scored file "
                             "(partitioned by query) or one file; local runs the shards in turn, "
                             "ray as Ray Data tasks, merging partial aggregates (same table)")
    parser.add_argument("--ray-address", default=None,
                        help="Ray cluster to use with --engine ray (default: start a local Ray)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analysis.formats.columnar import open_columnar as load   # the columnar cache
    from analysis.measure.stats import format_table, summary_table

    if args.engine:
        return _run_sharded(args)
    nset = load(args.input, format=args.format)
    columns = ["score"] + (["ce_score"] if "ce_score" in nset.pairs.columns else [])
    tables = {column: summary_table(nset, by=args.by, how=args.how, column=column)
              for column in columns}
    if not nset.has_scores:
        print(f"note: {args.input} has no scores; build a pool first "
              f"(python -m analysis pool {args.input} --out POOL.parquet)", file=sys.stderr)
    if args.json:
        print(json.dumps({"input": str(args.input), "how": args.how, "by": args.by,
                          "tables": {c: _nested(t) for c, t in tables.items()}}, indent=2))
        return 0
    for number, (column, table) in enumerate(tables.items()):
        if number:
            print()
        print(f"== {column} ({args.how} positive per query) ==")
        print(format_table(table))
    return 0


def _nested(table) -> dict:
    group_col = table.columns[0]
    out: dict = {}
    for row in table.to_dict("records"):
        cast = int if row["metric"] == "Count" else float
        out.setdefault(row[group_col], {})[row["metric"]] = {
            col: None if math.isnan(row[col]) else cast(row[col])
            for col in ("positive", "negative", "difference")}
    return out


def _run_sharded(args: argparse.Namespace) -> int:
    from analysis.measure.stats import format_table
    from analysis.workspace.shards import announce, shard_paths, sharded_stats

    progress = announce(shard_paths(args.input), args.engine)
    table = sharded_stats(args.input, by=args.by, how=args.how, engine=args.engine,
                          address=args.ray_address, progress=progress)
    if args.json:
        print(json.dumps({"input": str(args.input), "how": args.how, "by": args.by,
                          "engine": args.engine, "tables": {"score": _nested(table)}}, indent=2))
        return 0
    print(f"== score ({args.how} positive per query; per shard, engine {args.engine}) ==")
    print(format_table(table))
    return 0
