"""``python -m analysis pool INPUT --out POOL.parquet``: score and rank candidates for a set.

Loads INPUT in any format ``analysis.formats`` reads, builds the pool (``analysis.scoring.pool``:
top-N by exact cosine search over the corpus, every labelled positive, the input's own pairs
located in the ranking) and writes it as a pool Parquet file (``analysis.formats.pool``), whose
``query`` and ``document`` columns carry the texts. Progress goes to stderr as tqdm bars, one
per stage; the summary line goes to stdout.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "pool", help="score and rank candidates: write a pool Parquet file",
        description="Build a candidate pool: for each query, the top-N corpus documents by exact "
                    "cosine search, plus every labelled positive, with raw ranks and scores.")
    parser.add_argument("input", help="file or folder to pool (any format NegLens reads)")
    parser.add_argument("--format", help="format of INPUT (default: detected)")
    parser.add_argument("--corpus", metavar="PATH",
                        help="documents to search: anything NegLens reads (its documents are "
                             "used) or a BEIR corpus.jsonl; default: the input's own documents")
    parser.add_argument("--corpus-format", help="format of --corpus (default: detected)")
    parser.add_argument("--model", metavar="NAME_OR_PATH",
                        help="sentence-transformers bi-encoder (default: the bundled all-MiniLM-L6-v2)")
    parser.add_argument("--query-prompt", help="text prepended to every query before encoding")
    parser.add_argument("--document-prompt", help="text prepended to every document before encoding")
    parser.add_argument("--cross-encoder", metavar="NAME_OR_PATH",
                        help="sentence-transformers CrossEncoder: adds ce_score to every pair")
    parser.add_argument("--keep-equal-texts", action="store_true",
                        help="keep documents (queries) with equal text as separate ones; by default "
                             "they are one, as sentence-transformers' mine_hard_negatives ranks them")
    parser.add_argument("--top-n", type=int, default=100, help="candidates per query (default 100)")
    parser.add_argument("--batch-size", type=int, default=32, help="encoding batch size (default 32)")
    parser.add_argument("--search", choices=("exact", "hnsw"), default="exact",
                        help="exact (default) or hnsw: approximate faiss HNSW search, recall@N "
                             "measured on 200 queries and stored in the pool's settings")
    parser.add_argument("--engine", choices=("local", "ray"), default="local",
                        help="local (default) or ray: encode and search on a Ray cluster")
    parser.add_argument("--ray-address", metavar="ADDRESS",
                        help="Ray cluster to use with --engine ray (default: start a local Ray)")
    parser.add_argument("--ray-actors", type=int, default=2,
                        help="encoding actors with --engine ray (default 2)")
    parser.add_argument("--device", help="torch device for the models (default: sentence-transformers' choice)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--own-pairs", action="store_true",
                        help="score only INPUT's own pairs (its queries and the documents its "
                             "pairs name, with --model) and write them with scores as FlagEmbedding "
                             "JSONL (pos_scores/neg_scores) to --out: the cheap first look at a "
                             "file without scores; stats/compare/sample read the result")
    parser.add_argument("--out", required=True, metavar="POOL.parquet", help="pool file to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from analysis.formats import load
    from analysis.formats.pool import write_pool
    from analysis.model import DataError
    from analysis.scoring.encode import load_encoder
    from analysis.scoring.pool import build_pool
    from analysis.scoring.rerank import load_cross_encoder

    for name in ("top_n", "batch_size"):
        if getattr(args, name) < 1:
            raise DataError(f"{name} must be a positive integer, got {getattr(args, name)}",
                            field=name)
    if args.quiet:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    nset = load(args.input, format=args.format)
    if args.own_pairs:
        return own_pairs(nset, args)
    corpus = None
    if args.corpus:
        corpus, skipped = load_corpus(args.corpus, format=args.corpus_format)
        if skipped:
            print(f"{args.corpus}: {len(skipped)} unreadable lines skipped (first: line "
                  f"{skipped[0].line}: {skipped[0].reason})", file=sys.stderr)
    encoder = load_encoder(args.model, device=args.device) if args.engine == "local" else None
    reranker = load_cross_encoder(args.cross_encoder, device=args.device) \
        if args.cross_encoder else None
    progress = TqdmProgress(disable=args.quiet)
    try:
        if args.engine == "ray":
            from analysis.scoring.engine_ray import build_pool_ray

            pool = build_pool_ray(nset, corpus=corpus, corpus_name=args.corpus, model=args.model,
                                  query_prompt=args.query_prompt, top_n=args.top_n,
                                  document_prompt=args.document_prompt, search=args.search,
                                  batch_size=args.batch_size, address=args.ray_address,
                                  actors=args.ray_actors, progress=progress,
                                  merge_texts=not args.keep_equal_texts)
            if reranker is not None:
                from analysis.scoring.rerank import add_ce_scores

                pool = add_ce_scores(pool, reranker, batch_size=args.batch_size, progress=progress)
        else:
            pool = build_pool(nset, corpus=corpus, corpus_name=args.corpus, model=encoder,
                              query_prompt=args.query_prompt, document_prompt=args.document_prompt,
                              top_n=args.top_n, cross_encoder=reranker, batch_size=args.batch_size,
                              search=args.search, merge_texts=not args.keep_equal_texts,
                              progress=progress)
    finally:
        progress.close()
    write_pool(pool, args.out)
    rows = pool.pairs[pool.pairs["source"] == "pool"]
    beyond = int((rows["rank"] > args.top_n).sum())
    print(f"wrote {args.out}: {len(pool.queries):,} queries, {len(rows):,} pool pairs "
          f"(top {args.top_n} of {pool.meta['pool']['corpus_size']:,} documents, {beyond:,} "
          f"positives beyond), {len(pool.pairs) - len(rows):,} input pairs ranked; "
          f"{encoder.encoded if encoder else pool.meta['pool']['encoded_texts']:,} texts "
          "encoded, the rest from the cache")
    merged = pool.meta["pool"].get("merged_equal_texts")
    if merged and any(merged.values()):
        print(f"merged equal texts: {merged['documents']:,} documents into others "
              f"({merged['positive_copies']:,} of them copies of a positive, masked as the positive), "
              f"{merged['queries']:,} queries")
    return 0


def own_pairs(nset, args: argparse.Namespace) -> int:
    """``--own-pairs``: score the input's own pairs, write FlagEmbedding JSONL with scores."""
    import time

    from analysis.export.training_data import write_training_data
    from analysis.scoring.estimate import estimate_build, record_rate
    from analysis.scoring.own_pairs import own_pairs_texts, score_own_pairs

    texts = own_pairs_texts(nset)
    print(f"scoring the input's own pairs: {estimate_build(texts).describe()}", file=sys.stderr)
    progress, started = TqdmProgress(disable=args.quiet), time.monotonic()
    try:
        scored = score_own_pairs(nset, model=args.model, batch_size=args.batch_size,
                                 progress=progress)
    finally:
        progress.close()
    record_rate("local", texts, time.monotonic() - started)
    pairs = scored.pairs.assign(source=scored.pairs["source"].astype(str).iloc[:1].tolist()[0]
                                if len(scored.pairs) else "input")
    path, notes = write_training_data(scored.with_pairs(pairs), args.out, format="flagembedding",
                                      scores=True, keep_empty=True)
    print(f"wrote {path}: {len(scored.pairs):,} pairs of {len(scored.queries):,} queries scored "
          f"({texts:,} texts); open it with stats, compare or the dashboard (file rank)")
    for note in notes:
        print(note, file=sys.stderr)
    return 0


def load_corpus(path, *, format: str | None = None):
    """``--corpus``: ``(documents, skipped)``. Anything ``analysis.formats`` loads gives its
    documents table; a JSON Lines file no format claims is read as a BEIR ``corpus.jsonl``:
    ``{"_id", "title", "text"}`` a line, text = title + " " + text when the title is not blank
    (BEIR's join, as ``analysis.formats.beir`` does). Bad lines become Skip records; a
    repeated ``_id`` keeps its first line."""
    from pathlib import Path

    from analysis.formats import detect_format, load
    from analysis.model import DataError

    from analysis.formats._open import plain_suffix

    path = Path(path)
    if format is None and path.is_file() and plain_suffix(path) == ".jsonl":
        try:
            detect_format(path)
        except DataError:
            return _corpus_jsonl(path)
    nset = load(path, format=format)
    return nset.docs, list(nset.skipped)


def _corpus_jsonl(path):
    import json

    import pandas as pd

    from analysis.formats._open import open_text
    from analysis.model import DataError, Skip

    docs: dict[str, str] = {}
    skipped: list[Skip] = []
    with open_text(path, errors="replace") as handle:        # plain or compressed
        for line, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
                did, text, title = str(row["_id"]), row["text"], row.get("title")
                if not isinstance(text, str):
                    raise TypeError(f'"text" is {type(text).__name__}, not text')
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                skipped.append(Skip(str(path), line, f"not a corpus record: {exc!s}"))
                continue
            if did in docs:
                skipped.append(Skip(str(path), line, f"_id {did!r} appears again"))
                continue
            has_title = isinstance(title, str) and title.strip()
            docs[did] = (f"{title} {text}" if text.strip() else title) if has_title else text
    if not docs:
        raise DataError("no corpus record could be read", file=str(path),
                        line=skipped[0].line if skipped else None)
    return pd.DataFrame({"did": list(docs), "text": list(docs.values())}), skipped


class TqdmProgress:
    """``progress(done, total, stage)`` as tqdm bars on stderr, a new bar for each stage."""

    def __init__(self, *, disable: bool = False):
        self.disable, self.stage, self.bar = disable, None, None

    def __call__(self, done: int, total: int, stage: str) -> None:
        if self.disable:
            return
        if stage != self.stage:
            from tqdm import tqdm

            self.close()
            self.stage = stage
            self.bar = tqdm(total=total, desc=stage, file=sys.stderr, leave=True)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.bar, self.stage = None, None
