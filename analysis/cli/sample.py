"""``python -m analysis sample POOL --strategy NAME [--param KEY=VALUE ...] --out FILE``.

Re-samples a pool with one registered strategy and writes the training data: every labelled
positive of the pool plus the chosen negatives, in a format people train with
(``--format sentence-transformers|flagembedding|tevatron``, ``NAME/LAYOUT`` or ``--layout`` for
a layout, ``--scores`` to write scores where the format can). ``--num-negatives K`` and
``--seed S`` complete the setting: the same pool, strategy, parameters and seed write the same
bytes. The selection report (filter counts, queries short of negatives) goes to stderr. Rows
are those mine_hard_negatives writes: a query that got no negative is left out (and counted),
except in labeled-pair, which keeps its positive rows; ``--keep-empty`` keeps them in
labeled-list too. n-tuple rows are ``num_negatives`` wide; shorter queries are left out, as in
``apply``.
"""

from __future__ import annotations

import json
import sys

from analysis.cli.candidates import add_sample_option

FORMATS = ("sentence-transformers", "flagembedding", "tevatron")


def register(subparsers) -> None:
    parser = subparsers.add_parser("sample", help="re-sample a pool with a strategy, write training data",
                                   description=__doc__.split("\n\n")[1])
    parser.add_argument("pool", help="a pool file (any file analysis.formats.load reads)")
    parser.add_argument("--strategy", required=True,
                        help="a registered strategy, e.g. margin, simans, topk_percpos "
                             "(all of them: docs/strategies.md)")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a strategy parameter, repeatable (e.g. --param relative_margin=0.05)")
    parser.add_argument("--num-negatives", type=int, default=None, metavar="K",
                        help="negatives per query (default: the strategy's)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_sample_option(parser)
    parser.add_argument("--out", required=True, help="file to write")
    parser.add_argument("--format", default="sentence-transformers",
                        help=f"output format: {', '.join(FORMATS)} (or NAME/LAYOUT)")
    parser.add_argument("--layout", default=None,
                        help="format layout, e.g. triplet, n-tuple, labeled-list (sentence-transformers), "
                             "legacy or new (tevatron)")
    parser.add_argument("--scores", action="store_true", help="write scores where the format can")
    parser.add_argument("--keep-empty", action="store_true",
                        help="labeled-list: keep the positives of queries that got no negative "
                             "(labeled-pair always keeps them, as mine_hard_negatives does)")
    parser.add_argument("--json", action="store_true",
                        help="print the run (strategy, seed, report) as one JSON object")
    parser.add_argument("--save-settings", metavar="SETTINGS.json",
                        help="also write the settings file that reproduces this run "
                             "(python -m analysis apply SETTINGS.json)")
    parser.add_argument("--engine", choices=("local", "ray"), default=None,
                        help="per shard: POOL is a folder of *.parquet shards partitioned by query; "
                             "each shard is selected (seed, shard number) and written to a file in "
                             "the folder --out, in turn (local) or as Ray Data tasks (ray)")
    parser.add_argument("--ray-address", default=None,
                        help="Ray cluster to use with --engine ray (default: start a local Ray)")
    parser.set_defaults(func=run)


def strategy_from_args(name: str, params: list[str], num_negatives: int | None):
    """The strategy ``name`` with ``KEY=VALUE`` params; ``num_negatives`` overrides when given."""
    from analysis.strategies import create, parse_params

    settings = parse_params(name, params)
    if num_negatives is not None:
        settings["num_negatives"] = num_negatives
    return create(name, **settings)


def run(args) -> int:
    import numpy as np

    from analysis.cli.candidates import load_candidates
    from analysis.export.training_data import write_training_data

    strategy = strategy_from_args(args.strategy, args.param, args.num_negatives)
    if args.engine:
        return _run_sharded(args, strategy)
    pool = load_candidates(args.pool, sample=args.sample, seed=args.seed)
    selection = strategy.select(pool, np.random.default_rng(args.seed))
    output = f"{args.format}/{args.layout}" if args.layout else args.format
    # every query's positives; the writer drops what the layout cannot hold (as `apply` does)
    data = selection.training_set(pool, keep_empty=True)
    # the same writer as `apply`, so a settings file reproduces these bytes
    path, notes = write_training_data(data, args.out, format=output,
                                      scores=True if args.scores else None,
                                      keep_empty=args.keep_empty)
    if args.save_settings:
        from analysis.export import settings

        settings.write(settings.from_run(args.pool, strategy=strategy, seed=args.seed, pool=pool,
                                         selection=selection, output_format=output,
                                         output_scores=args.scores),
                       args.save_settings)
    report = selection.report
    for line in report.lines():
        print(line, file=sys.stderr)
    for note in notes:
        print(note[:1].upper() + note[1:] + ".", file=sys.stderr)
    if args.json:
        print(json.dumps({"pool": str(args.pool), "out": str(path), **strategy.to_json(),
                          "seed": args.seed, "report": report.as_dict()}, ensure_ascii=False))
    else:
        print(f"wrote {report.selected:,} negatives for {report.num_queries:,} queries "
              f"({strategy.name}, seed {args.seed}) to {path}")
    return 0


def _run_sharded(args, strategy) -> int:
    from analysis.model import DataError
    from analysis.workspace.shard_sample import sharded_sample
    from analysis.workspace.shards import announce, shard_paths

    if args.save_settings or args.sample:
        raise DataError("--save-settings and --sample work on one file, not with --engine", field="engine")
    output = f"{args.format}/{args.layout}" if args.layout else args.format
    progress = announce(shard_paths(args.pool), args.engine)
    report = sharded_sample(args.pool, args.out, strategy, seed=args.seed, output=output,
                            scores=args.scores, keep_empty=args.keep_empty, engine=args.engine,
                            address=args.ray_address, progress=progress)
    for name, removed in report["filters"].items():
        if removed:
            print(f"Skipped {removed:,} potential negatives due to the {name}.", file=sys.stderr)
    if report["short"]:
        print(f"Could not find enough negatives for {report['short']:,} queries: asked for "
              f"{report['requested']}, they got fewer (never padded).", file=sys.stderr)
    if args.json:
        print(json.dumps({"pool": str(args.pool), "out": str(args.out), **strategy.to_json(),
                          "seed": args.seed, "engine": args.engine, "report": report}, ensure_ascii=False))
    else:
        print(f"wrote {report['selected']:,} negatives for {report['queries']:,} queries "
              f"({strategy.name}, seed {args.seed}, one generator per shard) to "
              f"{len(report['files'])} files in {args.out}")
    return 0
