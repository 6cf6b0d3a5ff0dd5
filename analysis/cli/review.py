"""``python -m analysis review ...``: verdicts on negatives from the command line.

- ``review mark DATA --query QID --doc DID --verdict V [--reviewer NAME]``: one verdict;
- ``review mark DATA --from FILE``: many, from CSV (header ``qid,did,verdict[,reviewer]``) or
  JSONL (one object per line with those keys): another annotator's, or an LLM judge's;
- ``review list DATA --json``: every current decision, ``qid, did, verdict, reviewer, time``;
- ``review export DATA --out FILE``: the same as JSON (``.json``) or CSV (any other suffix);
- ``review estimate DATA [--strategy SPEC ...] [--json]``: the estimated share and count of
  false negatives among all negatives and among each strategy's selection, with a 95% interval,
  recomputed from the store (``analysis.false_negatives.estimate.stored_estimate``; the Review
  page stores how its queue drew each item). The negatives are the candidates the dashboard
  reviews: the pool (a pool file, or the pool cached for DATA with the default settings), else
  a scored file's own candidates.

DATA is whatever the other commands take; the decisions live in the review store beside it
(``analysis.false_negatives.review``). Verdicts: false_negative, true_negative, unsure.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

FIELDS = ["qid", "did", "verdict", "reviewer", "time"]


def register(subparsers) -> None:
    parser = subparsers.add_parser("review", help="record, list and export review verdicts",
                                   description="Verdicts on negatives, stored beside the data.")
    sub = parser.add_subparsers(dest="review_command", required=True, metavar="ACTION")
    mark = sub.add_parser("mark", help="record one verdict, or many from a CSV/JSONL file")
    mark.add_argument("data", help="data file, folder or pool")
    mark.add_argument("--query", help="query id")
    mark.add_argument("--doc", help="document id")
    mark.add_argument("--verdict", help="false_negative, true_negative or unsure")
    mark.add_argument("--reviewer", help="who gave the verdict")
    mark.add_argument("--from", dest="source", metavar="FILE", help="CSV or JSONL of qid,did,verdict")
    listing = sub.add_parser("list", help="every current decision")
    listing.add_argument("data")
    listing.add_argument("--json", action="store_true", help="a JSON array (default: a table)")
    export = sub.add_parser("export", help="write every decision to a JSON or CSV file")
    export.add_argument("data")
    export.add_argument("--out", required=True, metavar="FILE")
    estimate = sub.add_parser("estimate", help="estimated share of false negatives, with a 95%% interval")
    estimate.add_argument("data")
    estimate.add_argument("--strategy", action="append", default=[], metavar="NAME[:KEY=VALUE,...]",
                          help="also estimate among this strategy's selection (repeatable)")
    estimate.add_argument("--num-negatives", type=int, default=None, metavar="K",
                          help="negatives per query for every strategy whose spec sets none")
    estimate.add_argument("--seed", type=int, default=0, help="strategy seed (default 0)")
    estimate.add_argument("--format", help="format of DATA (default: detected)")
    estimate.add_argument("--json", action="store_true", help="one JSON object (default: text)")
    parser.set_defaults(func=run)


def review_candidates(data: str, fmt: str | None = None):
    """The negatives the Review page queues for ``data`` (see the module rules)."""
    from analysis import workspace as ws
    from analysis.export.apply import candidate_pool
    from analysis.model import DataError
    from analysis.scoring.file_rank import file_candidates

    nset = ws.load_dataset(data, format=fmt)
    if ws.is_pool(nset) or (nset.has_ranks and nset.has_scores):
        return candidate_pool(nset)
    cached = ws.cached_pool(ws.fingerprint(data), ws.PoolSettings(), format=fmt)
    if cached is not None:
        return candidate_pool(cached)
    if nset.has_scores:
        return candidate_pool(file_candidates(nset))
    raise DataError("this data has no scores and no pool with the default settings was built for "
                    "it, so there are no negatives to estimate over: press Build pool on the Data "
                    "page (the pool is cached for this data)", file=str(data), field="score")


def estimate(args: argparse.Namespace, store) -> int:
    import math

    import numpy as np

    from analysis.cli.compare import parse_spec
    from analysis.false_negatives.estimate import dataset_estimate, describe

    candidates = review_candidates(args.data, args.format)
    out = {"data": str(args.data), "all_negatives": dataset_estimate(store, candidates), "strategies": {}}
    for spec in dict.fromkeys(args.strategy):
        selection = parse_spec(spec, args.num_negatives).select(candidates, np.random.default_rng(args.seed))
        out["strategies"][spec] = dataset_estimate(store, candidates, selection)
    if args.json:
        clean = lambda v: None if isinstance(v, float) and not math.isfinite(v) else v
        for est in [out["all_negatives"], *out["strategies"].values()]:
            est.update({k: clean(v) if not isinstance(v, tuple) else [clean(x) for x in v]
                        for k, v in est.items()})
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(describe(out["all_negatives"]))
        for spec, est in out["strategies"].items():
            print(describe(est, f"the selection of {spec}"))
    return 0


def read_verdicts(path: Path) -> list[dict]:
    """Rows ``qid, did, verdict[, reviewer]`` of a CSV or JSONL file; a bad row names its line."""
    from analysis.false_negatives.review import VERDICTS
    from analysis.model import DataError

    rows = []
    with open(path, encoding="utf-8", newline="") as handle:
        if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
            items = []
            for line_no, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    items.append((line_no, json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise DataError(f"not JSON: {exc.msg}", file=str(path), line=line_no) from exc
        else:
            items = [(n + 2, row) for n, row in enumerate(csv.DictReader(handle))]
    for line_no, item in items:
        if not isinstance(item, dict):
            raise DataError("expected an object with qid, did, verdict", file=str(path), line=line_no)
        for field in ("qid", "did", "verdict"):
            if item.get(field) in (None, ""):
                raise DataError(f"missing {field}", file=str(path), line=line_no, field=field)
        if item["verdict"] not in VERDICTS:
            raise DataError(f"verdict must be one of {VERDICTS}, got {item['verdict']!r}",
                            file=str(path), line=line_no, field="verdict")
        rows.append({"qid": str(item["qid"]), "did": str(item["did"]), "verdict": item["verdict"],
                     "reviewer": item.get("reviewer") or None})
    return rows


def _mark(store, qid: str, did: str, verdict: str, reviewer: str | None) -> None:
    # issue 19's SQLite store takes reviewer=; the JSON store before it does not
    if reviewer is not None:
        try:
            store.mark(qid, did, verdict, reviewer=reviewer)
            return
        except TypeError:
            pass
    store.mark(qid, did, verdict)


def decisions(store) -> list[dict]:
    """Every decision as ``qid, did, verdict, reviewer, time`` (ISO 8601 UTC)."""
    table = store.all()
    time_col = "time" if "time" in table else "marked_at"
    out = []
    for row in table.to_dict("records"):
        stamp = row.get(time_col)
        out.append({"qid": str(row["qid"]), "did": str(row["did"]), "verdict": row["verdict"],
                    "reviewer": row.get("reviewer") if isinstance(row.get("reviewer"), str) else None,
                    "time": stamp.isoformat() if hasattr(stamp, "isoformat") else stamp})
    return out


def run(args: argparse.Namespace) -> int:
    from analysis.false_negatives.review import ReviewStore
    from analysis.model import DataError

    store = ReviewStore.for_data(args.data)
    if args.review_command == "mark":
        if args.source:
            if args.query or args.doc or args.verdict:
                raise DataError("--from goes without --query/--doc/--verdict", field="from")
            rows = read_verdicts(Path(args.source))
            for row in rows:
                _mark(store, row["qid"], row["did"], row["verdict"], row["reviewer"] or args.reviewer)
            print(f"marked {len(rows):,} decision(s) in {store.path}")
            return 0
        for name in ("query", "doc", "verdict"):
            if not getattr(args, name):
                raise DataError(f"--{name} is required without --from", field=name)
        from analysis.false_negatives.review import VERDICTS

        if args.verdict not in VERDICTS:
            raise DataError(f"--verdict must be one of {VERDICTS}, got {args.verdict!r}", field="verdict")
        _mark(store, args.query, args.doc, args.verdict, args.reviewer)
        print(f"marked {args.query} / {args.doc}: {args.verdict} in {store.path}")
        return 0
    if args.review_command == "estimate":
        return estimate(args, store)
    rows = decisions(store)
    if args.review_command == "list":
        if args.json:
            print(json.dumps(rows, ensure_ascii=False))
        else:
            for row in rows:
                print("\t".join("" if row[f] is None else str(row[f]) for f in FIELDS))
        return 0
    out = Path(args.out)
    if out.suffix.lower() == ".json":
        out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        with open(out, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    print(f"wrote {len(rows):,} decision(s) to {out}")
    return 0
