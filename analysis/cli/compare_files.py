"""``python -m analysis compare A.jsonl B.jsonl [...] [--yardstick SPEC] [--strategy ...] [--json]``.

Two or more mined files over the same queries, side by side on one yardstick
(``analysis.workspace.compare_files``): the match report, then one column per file (and per
strategy run over the union of their candidates) with hardness, false-negative suspects and
share, diversity, padding and sibling positives, then the overlap of every two selections.
``--yardstick`` is ``model`` (default: the packaged all-MiniLM-L6-v2 scores exactly the union's
pairs, encoding only texts not yet cached; the estimate is printed first), ``model:NAME``,
``file:NAME``, ``pool:PATH`` or ``cross-encoder:NAME``. ``--miner FILE=MINER:KEY=VALUE,...``
says how a file was mined, and the implied ``mine_hard_negatives`` / ``hn_mine`` call is
printed. ``--export NAME [--fallback NAME] [--drop FLAGS] --out train.jsonl [--save-settings
choice.json]`` writes NAME's negatives (flagged ones dropped; with a fallback, a query with a
flagged negative takes the fallback's) as FlagEmbedding JSONL; ``--apply choice.json --out
train.jsonl`` writes the same bytes again from the settings file.
"""

from __future__ import annotations

import json
import sys

SHOWN = ("kind", "queries", "negatives", "mean_rank", "median_rank", "mean_gap", "median_gap",
         "fn_suspects", "fn_share_est", "fn_share_low", "fn_share_high", "mean_risk",
         "margin_suspect_share", "distinct_share", "max_reuse",
         "mean_reuse", "cluster_entropy", "padding", "padding_share", "sibling_positives",
         "only_here")


def add_file_options(parser) -> None:
    parser.add_argument("--yardstick", default=None, metavar="SPEC",
                        help="with several files: the common scorer: model (default), "
                             "model:NAME, file:NAME, pool:PATH, cross-encoder:NAME")
    parser.add_argument("--miner", action="append", default=[], metavar="FILE=MINER:KEY=VALUE,...",
                        help="how FILE was mined, e.g. A.jsonl=sentence-transformers:range_min=10,"
                             "relative_margin=0.05 or B.jsonl=flagembedding:range_for_sampling=10-210")


    parser.add_argument("--export", metavar="NAME", help="with several files: write NAME's negatives "
                        "(a file's name or a --strategy) to --out")
    parser.add_argument("--fallback", metavar="NAME", help="queries with a flagged negative take "
                        "this selection's negatives instead")
    parser.add_argument("--drop", default="padding,sibling,suspect", metavar="FLAGS",
                        help="flags left out of the export (default padding,sibling,suspect; '' none)")
    parser.add_argument("--out", metavar="train.jsonl", help="training data to write")
    parser.add_argument("--save-settings", metavar="choice.json", help="the settings file of the export")
    parser.add_argument("--apply", metavar="choice.json", help="re-make an export from its settings file")


def miners(items: list[str]) -> dict[str, str]:
    from analysis.model import DataError

    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep:
            raise DataError(f"--miner {item!r} is not FILE=MINER:KEY=VALUE,...", field="miner")
        out[name.rsplit("/", 1)[-1]] = text
    return out


def build(args, *, progress=None):
    """(union, measured, comparison) for parsed compare/report arguments."""
    from analysis.measure import yardstick
    from analysis.measure.file_match import open_files
    from analysis.model import DataError
    from analysis.workspace.compare_files import compare, parse_strategy

    union = open_files(list(args.pool), sample=args.sample or 0, seed=args.seed)
    spec = yardstick.parse(args.yardstick, union.names)
    texts, cached, estimate = yardstick.need(union, spec)
    if texts and not getattr(args, "json", False):
        print(f"yardstick {spec.text()}: {texts:,} texts, {cached:,} cached; "
              f"{estimate.describe()}", file=sys.stderr)
    measured = yardstick.measure(union, spec, progress=progress)
    strategies = {label: parse_strategy(label, args.num_negatives)
                  for label in dict.fromkeys(args.strategy or [])}
    given = miners(args.miner)
    unknown = set(given) - set(union.names)
    if unknown:
        raise DataError(f"--miner names {sorted(unknown)[0]!r}, none of the files "
                        f"({', '.join(union.names)})", field="miner")
    return union, measured, compare(union, measured, strategies=strategies, seed=args.seed,
                                    miners=given)


def run_files(args) -> int:
    from pathlib import Path

    from analysis.model import DataError
    from analysis.workspace import file_export

    if args.apply or args.export:
        if not args.out:
            raise DataError("--export and --apply need --out train.jsonl", field="out")
    if args.apply:
        text = file_export.apply_choice(args.apply)
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out} from {args.apply}")
        return 0
    union, measured, result = build(args)
    if args.export:
        drop = [f for f in args.drop.split(",") if f.strip()]
        rows, counts = file_export.choose(result, args.export, fallback=args.fallback, drop=drop)
        text = file_export.training_lines(result, rows)
        Path(args.out).write_text(text, encoding="utf-8")
        if args.save_settings:
            doc = file_export.choice_settings(result, primary=args.export, fallback=args.fallback,
                                              drop=drop, seed=args.seed, sample=args.sample or 0,
                                              strategies=list(dict.fromkeys(args.strategy or [])),
                                              text=text)
            Path(args.save_settings).write_text(json.dumps(doc, indent=2), encoding="utf-8")
        print(f"wrote {counts['negatives']:,} negatives to {args.out} ({counts['dropped']:,} flagged "
              f"left out, {counts['queries_from_fallback']:,} queries from the fallback)")
        return 0
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
        return 0
    print(render(result))
    return 0


def render(result) -> str:
    import pandas as pd

    table = result.table.set_index("name")
    shown = table[[c for c in SHOWN if c in table.columns]].T.astype(object)
    lines = [result.statement, ""] + result.union.report.lines()
    lines += result.measured.notes
    with pd.option_context("display.width", 200, "display.max_columns", 50,
                           "display.max_colwidth", 28, "display.float_format", "{:.4g}".format):
        lines += ["", shown.to_string(), "",
                  "Overlap: jaccard = shared / all (query, negative) pairs over the queries both hold",
                  result.overlap.to_string(index=False)]
    for name, call in result.calls.items():
        lines += ["", f"{name} was mined with {call['given']}; the call:", call["call"]]
    for name, report in result.reports.items():
        if report:
            lines += ["", f"{name}:"] + [f"  {line}" for line in report]
    return "\n".join(lines)
