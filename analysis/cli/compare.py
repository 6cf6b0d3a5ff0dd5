"""``python -m analysis compare POOL --strategy NAME[:KEY=VALUE,...] ... [--json]``.

Runs several strategies on the same pool, each with its own generator seeded by ``--seed``,
and prints the comparison (``analysis.measure.compare``): per strategy the coverage, rank, neg_rank and
gap statistics, the share of false-negative suspects, diversity and reuse; then the Jaccard
overlap of every two selections and each selection's report. ``--num-negatives K`` sets every
strategy's number unless its spec sets one. ``--json`` prints one JSON object instead.
"""

from __future__ import annotations

import json

from analysis.cli.candidates import add_sample_option, load_candidates, rank_note

SHOWN = ("negatives", "coverage", "short_queries", "mean_rank", "median_rank", "mean_neg_rank",
         "median_neg_rank", "mean_gap", "median_gap", "suspect_share", "distinct_share",
         "max_reuse", "mean_reuse", "cluster_entropy")


def register(subparsers) -> None:
    parser = subparsers.add_parser("compare", help="compare sampling strategies on one pool",
                                   description=__doc__.split("\n\n")[1])
    parser.add_argument("pool", nargs="*", metavar="FILE",
                        help="a pool file (any file analysis.formats.load reads); two or more "
                             "mined files are compared side by side on one --yardstick")
    parser.add_argument("--strategy", action="append", metavar="NAME[:KEY=VALUE,...]",
                        help="a strategy and its parameters, repeatable "
                             "(e.g. --strategy top_k --strategy simans:a=50,b=0); optional "
                             "when two or more files are given")
    parser.add_argument("--num-negatives", type=int, default=None, metavar="K",
                        help="negatives per query for every strategy whose spec sets none")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--format", help="format of POOL (default: detected)")
    add_sample_option(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    from analysis.cli.compare_files import add_file_options

    add_file_options(parser)
    parser.set_defaults(func=run)


def parse_spec(spec: str, num_negatives: int | None):
    """``NAME[:KEY=VALUE,...]`` -> a strategy (``num_negatives`` fills in when the spec has none)."""
    from analysis.strategies import create, parse_params

    name, _, rest = spec.partition(":")
    settings = parse_params(name.strip(), [item for item in rest.split(",") if item.strip()])
    if num_negatives is not None:
        settings.setdefault("num_negatives", num_negatives)
    return create(name.strip(), **settings)


def run(args) -> int:
    from analysis.measure.compare_stream import compare_one_by_one
    from analysis.measure.query_sample import sample_note
    from analysis.scoring.file_rank import candidate_counts

    if len(args.pool) > 1 or args.apply:
        from analysis.cli.compare_files import run_files

        return run_files(args)
    if not args.strategy or not args.pool:
        from analysis.model import DataError

        raise DataError("compare one file needs at least one --strategy (or give two or more "
                        "files to compare them)", field="strategy")
    args.pool = args.pool[0]
    labels = list(dict.fromkeys(args.strategy))
    strategies = {label: parse_spec(label, args.num_negatives) for label in labels}
    pool = load_candidates(args.pool, format=args.format, sample=args.sample, seed=args.seed)
    # one selection held at a time (a 10M x 10 file's six selections are ~5 GiB of row numbers)
    table, jaccard, selections = compare_one_by_one(pool, strategies, seed=args.seed)
    if args.json:
        print(json.dumps({
            "pool": str(args.pool), "seed": args.seed,
            "strategies": {label: s.to_json() for label, s in strategies.items()},
            "summary": json.loads(table.to_json(orient="records")),
            "overlap": json.loads(jaccard.to_json(orient="index")),
            "reports": {label: sel.report.as_dict() for label, sel in selections.items()},
            "rank": rank_note(pool), "sample": sample_note(pool),
            "candidates_per_query": candidate_counts(pool),
        }, ensure_ascii=False))
        return 0
    print(header(pool))
    print(render(table, jaccard, selections))
    return 0


def header(pool) -> str:
    """What the numbers are about: the rank's meaning, the sample, the candidates per query."""
    from analysis.measure.query_sample import sample_note
    from analysis.scoring.file_rank import candidate_counts

    counts = candidate_counts(pool)
    lines = [rank_note(pool),
             f"each strategy chose among {counts['median']:g} negatives per query (min "
             f"{counts['min']:,}, max {counts['max']:,}) of {counts['queries']:,} queries"]
    note = sample_note(pool)
    if note:
        lines.append(f"on {note}")
    return "\n".join(lines) + "\n"


def render(table, jaccard, selections) -> str:
    """Metrics as rows, one column per strategy; then the overlap matrix and the reports."""
    import pandas as pd

    shown = table.set_index("selection")[[c for c in SHOWN if c in table.columns]].T.astype(object)
    for row in shown.index:
        if "rank" in row:
            shown.loc[row] = shown.loc[row].map(lambda v: "no rank" if v != v else v)
    with pd.option_context("display.width", 200, "display.max_columns", 50,
                           "display.float_format", "{:.4g}".format):
        lines = [shown.to_string(), "", "Jaccard overlap of (qid, did) pairs", jaccard.to_string()]
    for label, selection in selections.items():
        report = selection.report.lines()
        if report:
            lines += ["", f"{label}:"] + [f"  {line}" for line in report]
    return "\n".join(lines)
