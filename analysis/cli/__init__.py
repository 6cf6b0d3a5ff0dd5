"""The command line: one subcommand per module in this package.

A subcommand module defines ``register(subparsers)``, which adds its parser and sets
``func=run`` where ``run(args) -> int`` is the exit status. Modules are discovered, so adding
a subcommand never edits this file. Heavy imports belong inside ``run``.

Errors a user can fix (``ValueError``, ``OSError``) end the program with one line on stderr
and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis",
                                     description="NegLens: inspect and re-sample mined hard negatives.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
