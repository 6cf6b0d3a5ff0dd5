"""``python -m analysis fn-share POOL_OR_FILE [--judge NAME_OR_PATH ...] [--json]``: the share of
false negatives among the negatives, before any review.

A positive-unlabelled estimate (``analysis.false_negatives.fn_share`` states the rule): the
labelled positives inside the pool (or a scored file's own candidates) against the negatives'
evidence (the file's score, BM25, each judge's score), with a 95% bootstrap interval over
queries. ``--judge`` (repeatable; ``default`` = all-mpnet-base-v2) scores exactly the pool's
negatives and positives, through the cache; the plan is printed before it starts. ``--json``
prints ``{"share", "low", "high", "negatives"}``.
"""

from __future__ import annotations

import argparse
import json


def add_judge_option(parser) -> None:
    parser.add_argument("--judge", action="append", default=[], metavar="NAME_OR_PATH",
                        help="a second model as independent evidence (repeatable): 'default' "
                             "(all-mpnet-base-v2 from its PyPI packages), a sentence-transformers "
                             "bi-encoder or a CrossEncoder (kind detected)")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "fn-share", help="estimated share of false negatives among a pool's negatives",
        description="Estimate, before any review, which share of the negatives are false "
                    "negatives (labelled positives vs the negatives' evidence), with a 95% interval.")
    parser.add_argument("pool", metavar="POOL_OR_FILE", help="a pool, or a mined file with scores")
    parser.add_argument("--format", help="format of POOL_OR_FILE (default: detected)")
    add_judge_option(parser)
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--json", action="store_true", help='print {"share","low","high","negatives"}')
    parser.set_defaults(func=run)


def print_plans(nset, judges, *, stream=None) -> None:
    """One line per judge: what scoring the candidates costs (before it starts)."""
    import sys

    from analysis.false_negatives.evidence import candidate_rows
    from analysis.scoring.judge import plan_judge

    if not judges:
        return
    rows = candidate_rows(nset)
    for judge in judges:
        plan = plan_judge(judge, rows[["qid", "did"]], nset.query_text(), nset.doc_text())
        print(plan.describe(), file=stream or sys.stderr)


def run(args: argparse.Namespace) -> int:
    from analysis.false_negatives.fn_share import fn_share_of_set
    from analysis.formats import load
    from analysis.model import DataError

    if args.bootstrap < 1:
        raise DataError("--bootstrap must be positive", field="bootstrap")
    nset = load(args.pool, format=args.format)
    print_plans(nset, args.judge)
    est = fn_share_of_set(nset, judges=args.judge, n_boot=args.bootstrap, seed=args.seed)
    if args.json:
        print(json.dumps({"share": est.share, "low": est.low, "high": est.high,
                          "negatives": est.negatives}))
    else:
        print(est.describe())
    return 0
