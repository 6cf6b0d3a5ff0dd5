"""Simulate a reviewer who answers from ground truth: how many false negatives does each order
find with a budget, and does the estimate's 95% interval hold the true share?

    python benchmarks/review_simulation.py DATA [--truth QRELS.tsv] --budget 200 --json

DATA is a dataset NegLens loads. The false negatives are the hidden relevant pairs, as
``analysis.false_negatives.fn_eval`` defines them: ``--truth`` (or the folder's
``ground_truth/unlabelled_positives.tsv``) as planted positives, else each query keeps its
first relevant document and the others are hidden. A pool (top 100, the default bi-encoder,
through the embedding cache) is mined and its negatives get the signals and static risk of
``analysis.false_negatives.signals``. Then ``--budget`` negatives are reviewed:

- ``learning_queue``: ``analysis.false_negatives.queue.ReviewQueue`` (refit every 10 verdicts,
  25% random draws), the reviewer answering from the truth;
- ``static_risk``: the highest static risk first; ``raw_score``: the highest bi-encoder score
  first; ``random``: a seeded random order.

The estimate (``analysis.false_negatives.estimate``) comes from the learning queue's verdicts:
``estimate`` the in-session difference estimator, ``stored_estimate`` the one ``review
estimate`` recomputes from the store. ``--refit risk`` runs the queue on issue 16's
``risk.refit`` instead of ``learn.refit``.
``--evidence`` (issue 24) uses instead the evidence table of
``analysis.false_negatives.evidence`` (top ``--top-n`` pool; ``--judge`` adds judges) with the
evidence risk (``fusion``, the shipped rule, calibrated to fn-share) as the static prior, gives
the queue the fn-share estimate as ``prior_share`` (so its random share shrinks to
``queue.EXPLORE_WITH_PRIOR`` unless ``--explore`` says otherwise), and reports
``best_static`` = the better of ``static_risk`` and ``raw_score``.
The last line printed is one JSON object (``--json``); figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def suspects_with_truth(data: Path, truth: Path | None, top_n: int):
    from analysis.false_negatives.fn_eval import TRUTH_FILE, hide_positives, read_truth
    from analysis.formats import load
    from analysis.scoring.encode import load_encoder
    from analysis.scoring.pool import build_pool
    from analysis.workspace.browse import doc_clusters, suspects

    nset = load(data)
    truth = truth or (data / TRUTH_FILE if data.is_dir() and (data / TRUTH_FILE).is_file() else None)
    if truth is not None:
        hidden = read_truth(truth, nset)
    else:
        nset, hidden = hide_positives(nset)
    encoder = load_encoder(None)
    pool = build_pool(nset, model=encoder, top_n=top_n)
    emb = encoder.embed(pool.docs["text"], role="document")
    table = suspects(pool, doc_emb=emb, clusters=doc_clusters(pool, emb))
    table = table[table["source"].astype(str) == "pool"].drop_duplicates(["qid", "did"])
    table = table.reset_index(drop=True)
    keys = table["qid"].astype(str) + "\0" + table["did"].astype(str)
    y = keys.isin(hidden["qid"].astype(str) + "\0" + hidden["did"].astype(str)).to_numpy()
    return table, y


def evidence_with_truth(data: Path, truth: Path | None, top_n: int, judges=()):
    """(negatives of the evidence table with the evidence risk, truth, the fn-share estimate)."""
    from analysis.false_negatives.evidence import collection_evidence
    from analysis.false_negatives.fn_share import estimate_fn_share, evidence_risk
    from analysis.false_negatives.fusion import DEFAULT_RULE, risk_logit

    evidence = collection_evidence(data, top_n=top_n, judges=judges, truth=truth)
    share = estimate_fn_share(evidence, order=risk_logit(evidence, DEFAULT_RULE, symmetric=True),
                              min_labelled=DEFAULT_RULE.min_labelled)
    table = evidence_risk(evidence, DEFAULT_RULE, share=share.share)
    table = table[(table["label"] == 0) & table["in_pool"]].reset_index(drop=True)
    return table, table["truth"].to_numpy(dtype=bool), share


def stored(queue, table) -> dict:
    """The estimate recomputed as ``review estimate`` does, from what the page stores."""
    import pandas as pd

    from analysis.false_negatives.estimate import stored_estimate

    steps = [s for s in queue.steps if s.verdict != "skip"]
    log = pd.DataFrame({"qid": [table["qid"].iat[s.row] for s in steps],
                        "did": [table["did"].iat[s.row] for s in steps],
                        "verdict": [s.verdict for s in steps], "chance": [s.chance for s in steps]})
    keys = (table["qid"].astype(str) + "\0" + table["did"].astype(str)).to_numpy(dtype=object)
    return stored_estimate(log, log[["qid", "did", "verdict"]], keys)


def simulate(table, y: np.ndarray, *, budget: int, seed: int, refit: str = "learn",
             explore: float | None = None, prior_share=None, uncertain_every=None) -> dict:
    from analysis.false_negatives.estimate import queue_estimate
    from analysis.false_negatives.queue import ReviewQueue

    if refit == "risk":
        from analysis.false_negatives.risk import refit as chosen
    else:
        from analysis.false_negatives.learn import refit as chosen
    extra = {} if uncertain_every is None else {"uncertain_every": uncertain_every}
    queue = ReviewQueue(table, seed=seed, refit=chosen, explore=explore, prior_share=prior_share,
                        **extra)
    latencies = []
    for _ in range(min(budget, len(table))):
        row = queue.next()
        start = time.perf_counter()
        queue.answer("false_negative" if y[row] else "true_negative")
        queue.next()
        latencies.append(time.perf_counter() - start)
    est, kept = queue_estimate(queue), stored(queue, table)
    order = {"static_risk": np.argsort(-table["risk"].to_numpy(), kind="stable"),
             "raw_score": np.argsort(-table["score"].to_numpy(), kind="stable"),
             "random": np.random.default_rng(seed).permutation(len(table))}
    found = {"learning_queue": queue.counts()["found"],
             **{name: int(y[rows[:budget]].sum()) for name, rows in order.items()}}
    found["best_static"] = max(found["static_risk"], found["raw_score"])
    return {"found": found,
            "estimate": {"true": float(y.mean()), "estimate": est["share"], "low": est["low"],
                         "high": est["high"]},
            "stored_estimate": {"estimate": kept["share"], "low": kept["low"], "high": kept["high"],
                                "draws": kept["draws"]},
            "refit": refit, "explore": queue.explore,
            "budget": budget, "negatives": len(table), "false_negatives": int(y.sum()),
            "verdict_to_next_ms": {"median": 1000 * float(np.median(latencies)),
                                   "max": 1000 * float(np.max(latencies))}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--truth", type=Path, help="BEIR-style qrels of the hidden relevant pairs")
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--top-n", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--refit", choices=["learn", "risk"], default="learn",
                        help="the queue's model: learn.refit or issue 16's risk.refit")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    parser.add_argument("--evidence", action="store_true",
                        help="the evidence risk and fn-share as the queue's start (issue 24)")
    parser.add_argument("--judge", action="append", default=[], help="judge (with --evidence)")
    parser.add_argument("--explore", type=float, help="the queue's random share (default: its rule)")
    args = parser.parse_args(argv)
    prior = None
    if args.evidence:
        table, y, prior = evidence_with_truth(args.data, args.truth, args.top_n, args.judge)
    else:
        table, y = suspects_with_truth(args.data, args.truth, args.top_n)
    result = simulate(table, y, budget=args.budget, seed=args.seed, refit=args.refit,
                      explore=args.explore, prior_share=prior)
    if prior is not None:
        result["fn_share"] = prior.as_dict()
    result["dataset"] = args.data.name
    if not args.json:
        print(f"{args.data.name}: {len(table):,} negatives, {int(y.sum()):,} false negatives")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
