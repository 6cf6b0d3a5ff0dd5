"""``python -m analysis report INPUT [--strategy NAME[:KEY=VALUE,...] ...] --out report.html``.

Writes one self-contained HTML file (``analysis.export.report``): the score statistics, rank and gap
distributions per strategy, the metrics and overlap, and the top false-negative suspects, with
plotly.js inlined so it opens anywhere without network, and the estimated share of false
negatives from the review verdicts stored for INPUT. INPUT is a pool file, or any dataset
NegLens reads, pooled first with the bundled model (``--top-n``; encodings come from the cache
when present). Without ``--strategy`` the report compares top_k, margin with
relative_margin=0.05 (NV-Retriever's TopK-PercPos 95%) and random.
"""

from __future__ import annotations

import argparse

from analysis.cli.candidates import add_sample_option

DEFAULT_STRATEGIES = ("top_k", "margin:relative_margin=0.05", "random")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", help="write a self-contained HTML report comparing strategies on a pool",
        description=__doc__.split("\n\n")[1])
    parser.add_argument("input", nargs="+", help="a pool file, or a dataset to pool first; two or "
                        "more mined files are reported side by side on one --yardstick")
    parser.add_argument("--yardstick", default=None, metavar="SPEC",
                        help="with several files: model (default), model:NAME, file:NAME, pool:PATH")
    parser.add_argument("--miner", action="append", default=[], metavar="FILE=MINER:KEY=VALUE,...",
                        help="with several files: how FILE was mined (prints the implied call)")
    parser.add_argument("--format", help="format of INPUT (default: detected)")
    parser.add_argument("--strategy", action="append", metavar="NAME[:KEY=VALUE,...]",
                        help="a strategy and its parameters, repeatable (default: "
                             f"{', '.join(DEFAULT_STRATEGIES)})")
    parser.add_argument("--num-negatives", type=int, default=None, metavar="K",
                        help="negatives per query for every strategy whose spec sets none")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    add_sample_option(parser)
    parser.add_argument("--top-n", type=int, default=100,
                        help="candidates per query when INPUT must be pooled (default 100)")
    parser.add_argument("--title", default="NegLens report", help="the report's title")
    parser.add_argument("--out", required=True, metavar="report.html", help="HTML file to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if len(args.input) > 1:
        return run_files(args)
    args.input = args.input[0]
    from analysis.cli.compare import parse_spec
    from analysis.export.report import build_report, write_report
    from analysis.formats import load
    from analysis.formats.pool import is_pool

    specs = list(dict.fromkeys(args.strategy or DEFAULT_STRATEGIES))
    strategies = {spec: parse_spec(spec, args.num_negatives) for spec in specs}
    from analysis.scoring.file_rank import as_candidates

    nset = load(args.input, format=args.format)
    nset = as_candidates(nset) or nset  # a scored file is reported as it is: file ranks, no model
    if not is_pool(nset):
        from analysis.scoring.pool import build_pool

        nset = build_pool(nset, top_n=args.top_n)
    if args.sample:
        from analysis.measure.query_sample import sample_queries

        nset = sample_queries(nset, args.sample, seed=args.seed)
    from analysis.false_negatives.review import ReviewStore

    report = build_report(nset, strategies, seed=args.seed, title=args.title, source=args.input,
                          review=ReviewStore.for_data(args.input))
    path = write_report(args.out, report)
    print(f"wrote {path}: {len(strategies)} strategies on {len(nset.queries):,} queries "
          f"({path.stat().st_size / 2**20:.1f} MiB, opens without network)")
    return 0


def run_files(args: argparse.Namespace) -> int:
    from analysis.cli.compare_files import build
    from analysis.export.report import write_report
    from analysis.export.report_files import build_files_report

    args.pool = args.input
    union, _, result = build(args)
    title = args.title if args.title != "NegLens report" else "NegLens: files compared"
    path = write_report(args.out, build_files_report(result, title=title))
    print(f"wrote {path}: {len(union.names)} files on {union.report.union_queries:,} queries "
          f"({path.stat().st_size / 2**20:.1f} MiB, opens without network)")
    return 0
