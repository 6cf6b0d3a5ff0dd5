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


def register(subparsers) -> None:
    from analysis.export.mappings import TARGETS

    parser = subparsers.add_parser(
        "export-settings", help="print a settings file as mine_hard_negatives / hn_mine / SimANS arguments",
        description="Express a settings file's strategy in another miner's arguments, saying "
                    "what differs where it does not map exactly.")
    parser.add_argument("settings", metavar="SETTINGS.json", help="settings file (sample --save-settings)")
    parser.add_argument("--to", required=True, choices=TARGETS, help="target tool")
    parser.add_argument("--json", action="store_true", help="print the mapping as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analysis.export import settings
    from analysis.export.mappings import mapping

    found = mapping(settings.read(args.settings), args.to)
    print(json.dumps(found.as_dict(), indent=2) if args.json else found.text())
    return 0 if found.supported else 1
