"""``python -m analysis evaluate-fn [PATH ...]``: how well do the signals find known false negatives?

For each dataset (default: ``../shared/data/cranfield`` beside the checkout and the bundled
``sample_data``, where present) mines a pool and prints, per signal, for the combined risk and
for the raw-score baseline: average precision over the pool's negatives, and precision and
recall of the default flags (``analysis.false_negatives.fn_eval`` states the rules). A folder with
``ground_truth/unlabelled_positives.tsv`` (or ``--truth``) is scored against those planted
positives; any other dataset keeps one relevant document per query and hides the rest.

``--protocol loco`` (issue 24): the evidence risk and fn-share of
``analysis.false_negatives.loco``, leave-one-collection-out: each collection is reported with
every constant fitted on the others only. It prints one table (AP of the raw score and of the
risk, their ratio, the flag's share and precision against the base rate, fn-share with its
interval against the true share) and each target met or missed. ``--judge`` (repeatable) adds
judges as evidence; they score exactly each pool's negatives and positives, cached.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATASETS = tuple(REPO.parent / "shared" / "data" / name for name in ("cranfield", "med", "cacm", "adi")) + (REPO / "sample_data",)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate-fn", help="measure the false-negative signals against ground truth",
        description="Average precision, precision and recall of each false-negative signal, "
                    "the combined risk and the raw-score baseline, on datasets with known "
                    "false negatives.")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="datasets (default: ../shared/data/{cranfield,med,cacm,adi} and sample_data)")
    parser.add_argument("--truth", metavar="FILE",
                        help="query-id<TAB>corpus-id file of unlabelled positives (one PATH only)")
    parser.add_argument("--top-n", type=int, default=50, help="pool depth (default 50)")
    parser.add_argument("--model", metavar="NAME_OR_PATH", help="bi-encoder (default all-MiniLM-L6-v2)")
    parser.add_argument("--cross-encoder", metavar="NAME_OR_PATH",
                        help="CrossEncoder: adds the cross_encoder signal")
    parser.add_argument("--threshold", type=float, default=0.15,
                        help="risk (a probability) at or above which a negative is flagged (default 0.15)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per dataset")
    parser.add_argument("--protocol", choices=("single", "loco"), default="single",
                        help="single: each dataset on its own (default); loco: fit the evidence "
                             "risk on all datasets but one, report that one, for each in turn")
    from analysis.cli.fn_share import add_judge_option

    add_judge_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analysis.false_negatives.fn_eval import evaluate_path
    from analysis.model import DataError
    from analysis.scoring.encode import load_encoder

    paths = [Path(p) for p in args.paths] or [p for p in DEFAULT_DATASETS if p.exists()]
    if not paths:
        raise DataError("no dataset given and neither default dataset exists", field="paths")
    if args.truth and len(paths) != 1:
        raise DataError("--truth goes with exactly one PATH", field="truth")
    if args.top_n < 1 or not 0 <= args.threshold <= 1:
        raise DataError("--top-n must be positive and --threshold in [0, 1]", field="top_n")
    encoder = load_encoder(args.model)
    if args.protocol == "loco" or args.judge:
        return run_loco(args, paths, encoder)
    for number, path in enumerate(paths):
        result = evaluate_path(path, truth=args.truth, model=encoder, top_n=args.top_n,
                               cross_encoder=args.cross_encoder, threshold=args.threshold)
        if args.json:
            print(json.dumps({"dataset": result.dataset, "queries": result.queries,
                              "negatives": result.negatives,
                              "false_negatives_in_pool": result.false_negatives_in_pool,
                              "false_negatives_total": result.false_negatives_total,
                              "calibration": result.calibration,
                              "settings": result.settings,
                              "table": json.loads(result.table.to_json(orient="records"))}))
        else:
            print(("\n" if number else "") + result.render())
    return 0


def run_loco(args: argparse.Namespace, paths: list[Path], encoder) -> int:
    import sys

    from analysis.false_negatives.evidence import collection_evidence
    from analysis.false_negatives.loco import loco, render
    from analysis.model import DataError

    if len(paths) < 2:
        raise DataError("--protocol loco needs at least two datasets", field="paths")
    collections = {}
    for path in paths:
        print(f"evidence of {path.name} (top {args.top_n}"
              + (f", judges {', '.join(args.judge)})" if args.judge else ")"), file=sys.stderr)
        evidence = collection_evidence(path, top_n=args.top_n, judges=args.judge, model=encoder,
                                       truth=args.truth)
        collections[evidence.attrs.get("name", path.name)] = evidence
    result = loco(collections)
    if args.json:
        print(json.dumps({"protocol": "loco", "judges": args.judge, "top_n": args.top_n,
                          "table": json.loads(result.table.to_json(orient="records")),
                          "targets": {k: {"met": m, "figure": f}
                                      for k, (m, f) in result.targets().items()},
                          "rules": {k: r.as_dict() for k, r in result.rules.items()}}))
    else:
        judges = f" + judges {', '.join(args.judge)}" if args.judge else ""
        print(render(result, f"leave-one-collection-out, top-{args.top_n} {encoder.name} pools{judges}"))
    return 0
