"""``python -m analysis export-settings SETTINGS.json --to TARGET [--json]``.

Prints the settings' strategy as the arguments of another miner (``analysis.export.mappings``):
sentence-transformers ``mine_hard_negatives(...)`` keyword arguments as a copyable Python snippet
and as JSON, FlagEmbedding ``hn_mine`` command-line arguments, or SimANS ``--a/--b``, with the
conditions for equal negatives and everything that differs. ``--json`` prints the mapping as one
JSON object instead. Exit status 1 when the strategy has no counterpart in the target.
"""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers) -> None:
    from analysis.export.mappings import TARGETS

    parser = subparsers.add_parser(
        "export-settings", help="print a settings file as mine_hard_negatives / hn_mine / SimANS arguments",
        description="Express a settings file's strategy in another miner's arguments, saying "
                    "what differs where it does not map exactly.")
    parser.add_argument("settings", metavar="SETTINGS.json", help="settings file (sample --save-settings)")
    parser.add_argument("--to", required=True, choices=TARGETS, help="target tool")
    parser.add_argument("--json", action="store_true", help="print the mapping as JSON")
    parser.add_argument("--candidate-pool", metavar="CORPUS.jsonl",
                        help="with --to flagembedding: also write hn_mine's --candidate_pool file "
                             "(every document text NegLens searched, BEIR titles kept)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analysis.export import settings
    from analysis.export.mappings import mapping

    found = mapping(settings.read(args.settings), args.to)
    if args.candidate_pool:
        from pathlib import Path

        from analysis.export.mappings import write_candidate_pool
        from analysis.model import DataError

        if args.to != "flagembedding":
            raise DataError("--candidate-pool is hn_mine's corpus file: use it with --to "
                            "flagembedding", field="candidate_pool")
        written = write_candidate_pool(args.settings, args.candidate_pool,
                                       base=Path(args.settings).resolve().parent)
        print(f"wrote {written}", file=sys.stderr)
    print(json.dumps(found.as_dict(), indent=2) if args.json else found.text())
    return 0 if found.supported else 1
