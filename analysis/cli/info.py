"""``python -m analysis info PATH [--format NAME] [--json]``: what a file or folder holds.

Prints the format, the counts (queries, documents, positive and negative pair rows), whether
scores and ranks are present, the files used and ignored (folders), every skipped row with
its file, line and reason, and the warnings (merges, kept conflicts). ``--json`` prints one
JSON object: ``NegativeSet.summary()`` plus ``path``, ``warnings`` and ``files``. A file with
some bad rows still loads (exit 0); nothing usable is a one-line error and exit status 2.
"""

from __future__ import annotations

import json

HUMAN_LIMIT = 20


def register(subparsers) -> None:
    parser = subparsers.add_parser("info", help="show what a file or folder of negatives holds",
                                   description=__doc__.split("\n\n")[1])
    parser.add_argument("path", help="file or folder to load")
    parser.add_argument("--format", default=None,
                        help="format name, overriding detection (e.g. flagembedding, "
                             "sentence-transformers/triplet, tevatron, beir, smart)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def report(path: str, *, format: str | None = None) -> dict:
    """The info report for ``path`` as a JSON-ready dict."""
    from analysis.formats.columnar import open_columnar

    nset = open_columnar(path, format=format)   # through the columnar cache (issue 27)
    out = {"path": str(path), **nset.summary()}
    out["warnings"] = list(nset.meta.get("warnings", []))
    out["files"] = nset.meta.get("files", {"used": [str(path)], "ignored": []})
    return out


def run(args) -> int:
    info = report(args.path, format=args.format)
    if args.json:
        print(json.dumps(info, ensure_ascii=False))
    else:
        print(render(info))
    return 0


def render(info: dict) -> str:
    """The human-readable table."""
    yes = {True: "yes", False: "no"}
    rows = [("path", info["path"]), ("format", info["format"]),
            ("queries", f"{info['queries']:,}"), ("documents", f"{info['docs']:,}"),
            ("pairs", f"{info['pairs']:,}"), ("positives", f"{info['positives']:,}"),
            ("negatives", f"{info['negatives']:,}"), ("scores", yes[info["has_scores"]]),
            ("ranks", yes[info["has_ranks"]]), ("sources", ", ".join(info["sources"])),
            ("skipped rows", f"{len(info['skipped']):,}"), ("warnings", f"{len(info['warnings']):,}")]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    if info["files"].get("ignored"):
        lines += ["", "files used: " + ", ".join(info["files"]["used"]), "files ignored:"]
        lines += [f"  {i['file']}: {i['reason']}" for i in info["files"]["ignored"]]
    for title, items in (("skipped rows", info["skipped"]), ("warnings", info["warnings"])):
        if items:
            lines += ["", f"{title}:"]
            lines += [f"  {_where(i)}{i['reason']}" for i in items[:HUMAN_LIMIT]]
            if len(items) > HUMAN_LIMIT:
                lines.append(f"  ... and {len(items) - HUMAN_LIMIT:,} more (see --json)")
    return "\n".join(lines)


def _where(item: dict) -> str:
    parts = [str(item["file"])] if item.get("file") else []
    if item.get("line") is not None:
        parts.append(f"line {item['line']}")
    return ", ".join(parts) + ": " if parts else ""
