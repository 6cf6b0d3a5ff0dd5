"""``python -m analysis project POOL --method pca|umap|tsne --out COORDS.parquet``: a 2-D map.

Embeds the set's queries and documents with the model that built the pool (its settings are
in the pool file; ``--model`` overrides; every text comes from the embedding cache when it is
there), projects them with ``analysis.measure.projection`` (one point per query and per pair row; a
stratified sample when ``--max-points`` is given, every positive kept) and writes the points
table: ``role, qid, did, source, rank, score, x, y``. The projection is cached on disk, so the
same command runs again at once.
"""

from __future__ import annotations

import argparse
import time


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "project", help="2-D map (PCA, UMAP, t-SNE) of a pool's queries and documents",
        description="Project queries, positives and negatives to 2-D coordinates.")
    parser.add_argument("pool", help="pool Parquet file (or any set NegLens reads)")
    parser.add_argument("--format", help="format of POOL (default: detected)")
    parser.add_argument("--method", choices=("pca", "umap", "tsne"), default="pca",
                        help="projection (default pca; umap compiles ~10-40 s in a new process)")
    parser.add_argument("--max-points", type=int, metavar="N",
                        help="draw at most N points: every query and positive, negatives "
                             "sampled evenly over queries and sources")
    parser.add_argument("--seed", type=int, default=0, help="sampling and projection seed (default 0)")
    parser.add_argument("--model", metavar="NAME_OR_PATH",
                        help="bi-encoder (default: the pool's own model, else all-MiniLM-L6-v2)")
    parser.add_argument("--out", required=True, metavar="COORDS.parquet", help="points file to write")
    parser.set_defaults(func=run)


def embed_set(nset, *, model=None, roles=("query", "document")):
    """``(encoder, {role: embeddings})`` of a set's queries and documents, with the model and
    prompts recorded in its pool settings unless ``model`` is given."""
    from analysis.scoring.encode import load_encoder

    settings = nset.meta.get("pool", {})
    encoder = load_encoder(model or settings.get("model"))
    same = model is None
    out = {}
    if "query" in roles:
        out["query"] = encoder.embed(nset.queries["text"], role="query",
                                     prompt=settings.get("query_prompt") if same else None)
    if "document" in roles:
        out["document"] = encoder.embed(nset.docs["text"], role="document",
                                        prompt=settings.get("document_prompt") if same else None)
    return encoder, out


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from analysis.formats import load
    from analysis.measure.maps import map_points
    from analysis.measure.projection import Projector

    nset = load(args.pool, format=args.format)
    _, emb = embed_set(nset, model=args.model)
    projector = Projector(args.method, random_state=args.seed)
    start = time.perf_counter()
    points, sample = map_points(nset.pairs, emb["query"], emb["document"], projector=projector,
                                max_points=args.max_points, rng=np.random.default_rng(args.seed))
    elapsed = time.perf_counter() - start
    points.to_parquet(args.out, index=False)
    source = "from the projection cache" if projector.last_cache_hit else f"in {elapsed:.1f} s"
    print(f"wrote {args.out}: {len(points):,} points, {args.method} {source}; {sample.note}")
    return 0
