"""``python -m analysis apply SETTINGS.json --out FILE [--format F] [--allow-changed-data]``.

Reproduces the selection a settings file describes (``analysis.export.apply``): checks every input
file's sha256, reads the pool (or rebuilds it from the raw dataset, using the embedding cache),
re-runs the strategy with the recorded seed, proves the selection matches the exported
fingerprint, applies the review decisions and writes the training data. Refuses, with the
changed files listed, when an input changed (``--allow-changed-data`` applies anyway, with
warnings); ``--data PATH`` points at the same data moved elsewhere. Progress and notes go to
stderr, the summary line to stdout.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "apply", help="reproduce a selection from a settings file and write its training data",
        description="Reproduce the exported selection bit for bit from a settings file alone.")
    parser.add_argument("settings", metavar="SETTINGS.json", help="settings file (sample --save-settings)")
    parser.add_argument("--out", required=True, help="training data file to write")
    parser.add_argument("--format", default=None,
                        help="sentence-transformers[/triplet|n-tuple|labeled-pair|labeled-list], "
                             "flagembedding or tevatron[/legacy|new] (default: the settings' "
                             "output format, else sentence-transformers triplets)")
    parser.add_argument("--scores", action="store_true", help="write scores where the format can")
    parser.add_argument("--data", metavar="PATH", help="the dataset, when it moved since the export")
    parser.add_argument("--allow-changed-data", action="store_true",
                        help="apply even when an input file's sha256 changed (warns)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analysis.cli.pool import TqdmProgress
    from analysis.export.apply import apply_file

    progress = TqdmProgress(disable=args.quiet)
    try:
        applied = apply_file(args.settings, args.out, format=args.format, data=args.data,
                             allow_changed_data=args.allow_changed_data,
                             scores=True if args.scores else None, progress=progress)
    finally:
        progress.close()
    for line in applied.warnings:
        print(f"warning: {line}", file=sys.stderr)
    for line in applied.selection.report.lines() + applied.notes:
        print(line, file=sys.stderr)
    proof = {True: "identical to the export", False: "DIFFERENT from the export",
             None: "no fingerprint recorded"}[applied.reproduced]
    print(f"wrote {args.out}: {len(applied.selection):,} negatives for "
          f"{applied.selection.report.num_queries:,} queries ({applied.settings.strategy['name']}, "
          f"seed {applied.settings.seed}); selection {proof}")
    return 0
