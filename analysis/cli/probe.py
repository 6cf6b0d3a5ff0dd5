"""``python -m analysis probe POOL --strategy NAME[:KEY=VALUE,...] ...``: train and compare.

Fine-tunes a fresh copy of the base model per strategy and seed on the training queries'
negatives, evaluates every model and the untrained base on held-out queries against the whole
corpus, and prints the probe table (``analysis.probe``; docs/probe.md). POOL is a pool Parquet
file or any dataset NegLens reads (its pool is then built with the base model). Progress goes
to stderr, the table (or ``--json``) to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "probe", help="fine-tune the base model on each strategy's negatives and compare",
        description="Probe training: which strategy's negatives train a better retriever? "
                    "Splits the queries, fine-tunes a fresh base model per strategy and seed "
                    "(MultipleNegativesRankingLoss), evaluates on held-out queries (nDCG@10, "
                    "MRR@10, Recall@100) with paired bootstrap intervals.")
    parser.add_argument("pool", metavar="POOL",
                        help="pool Parquet file, or a dataset in any format NegLens reads")
    parser.add_argument("--strategy", action="append", required=True, metavar="NAME[:KEY=VALUE,...]",
                        help="strategy to probe (repeat the option for several)")
    parser.add_argument("--reference", metavar="NAME",
                        help="strategy the others are compared with (default: the first)")
    parser.add_argument("--format", help="format of POOL (default: detected)")
    parser.add_argument("--model", metavar="NAME_OR_PATH",
                        help="base bi-encoder (default: the bundled all-MiniLM-L6-v2)")
    parser.add_argument("--epochs", type=int, help="training epochs (default 1)")
    parser.add_argument("--max-steps", type=int, help="train exactly this many steps (overrides epochs)")
    parser.add_argument("--eval-fraction", type=float, help="share of queries held out (default 0.3)")
    parser.add_argument("--seeds", type=_seeds, help="training seeds, e.g. 0,1,2 (default 0,1,2; --quick: 0)")
    parser.add_argument("--split-seed", type=int, help="seed of the train/held-out split (default 0)")
    parser.add_argument("--clusters", type=int,
                        help="topic clusters the split is stratified by (0: none; default: sqrt(n/2))")
    parser.add_argument("--negatives", type=int, dest="num_negatives",
                        help="negatives per training query for every strategy that does not set "
                             "num_negatives itself (default 3)")
    parser.add_argument("--batch-size", type=int, help="training batch size (default 16; memory grows with it)")
    parser.add_argument("--learning-rate", type=float, help="AdamW learning rate (default 5e-5)")
    parser.add_argument("--max-seq-length", type=int,
                        help="token limit for training and evaluation (default: the model's; --quick: 128)")
    parser.add_argument("--quick", action="store_true",
                        help="the budget preset: 128 tokens, one seed, one epoch")
    parser.add_argument("--train-positives", type=int, metavar="N",
                        help="train on the first N positives of each query; the others count only "
                             "in evaluation (e.g. Cranfield: 1)")
    parser.add_argument("--eval-qrels", metavar="TSV",
                        help="extra relevance judgements for evaluation only (qid did [score])")
    parser.add_argument("--no-review", action="store_true",
                        help="ignore the review decisions stored beside the data")
    parser.add_argument("--top-n", type=int, default=100,
                        help="candidates per query when a pool is built (default 100)")
    parser.add_argument("--resamples", type=int, help="bootstrap resamples (default 2000)")
    parser.add_argument("--device", help="torch device (default: CUDA when available, else CPU)")
    parser.add_argument("--cache-dir", help="cache folder (default: $NEGLENS_CACHE_DIR or ~/.cache/neglens)")
    parser.add_argument("--no-cache", action="store_true", help="retrain every model; store nothing")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(func=run)


SETTING_OPTIONS = ("model", "epochs", "max_steps", "eval_fraction", "seeds", "split_seed",
                   "clusters", "num_negatives", "batch_size", "learning_rate", "max_seq_length",
                   "resamples", "device")


def settings_from_args(args: argparse.Namespace):
    """``ProbeSettings`` from the options given (``--quick`` first, explicit options win)."""
    from analysis.probe import ProbeSettings, quick

    given = {name: getattr(args, name) for name in SETTING_OPTIONS if getattr(args, name) is not None}
    return quick(**given) if args.quick else ProbeSettings(**given)


def run(args: argparse.Namespace) -> int:
    from transformers.utils import logging as hf_logging

    from analysis.probe import load_probe_data, run_probe

    started = time.perf_counter()
    hf_logging.disable_progress_bar()          # one model load per run: our own lines say enough
    settings = settings_from_args(args)
    progress = LineProgress(disable=args.quiet)
    data = load_probe_data(args.pool, format=args.format, train_positives=args.train_positives,
                           eval_qrels=args.eval_qrels, decisions=() if args.no_review else None,
                           settings=settings, top_n=args.top_n, cache_dir=args.cache_dir,
                           progress=lambda done, total, stage: progress("pool", done, total, stage))
    result = run_probe(data, args.strategy, settings=settings, reference=args.reference,
                       cache_dir=args.cache_dir, use_cache=not args.no_cache, progress=progress)
    total = time.perf_counter() - started
    if args.json:
        print(json.dumps({**result.as_dict(), "command_seconds": round(total, 1)}))
    else:
        print("\n".join(result.lines()))
        print(f"\nWhole command: {total:.0f} s (data and pool included).")
    return 0


class LineProgress:
    """``progress(strategy, step, total, stage)`` as plain lines on stderr, each with the
    seconds since the start: one when the stage changes, and during training at most one
    every 10 seconds."""

    def __init__(self, *, disable: bool = False):
        self.disable, self.last, self.when = disable, None, 0.0
        self.start = time.monotonic()

    def __call__(self, strategy: str, step: int, total: int, stage: str) -> None:
        if self.disable:
            return
        now = time.monotonic()
        changed = (strategy, stage) != self.last
        if changed or step == total or now - self.when >= 10:
            counts = f" {step:,}/{total:,}" if total > 1 else ""
            print(f"{now - self.start:6.0f} s  [{strategy}] {stage}{counts}", file=sys.stderr, flush=True)
            self.last, self.when = (strategy, stage), now


def _seeds(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds are comma-separated integers, got {text!r}") from None
    if not seeds:
        raise argparse.ArgumentTypeError("name at least one seed")
    return seeds
