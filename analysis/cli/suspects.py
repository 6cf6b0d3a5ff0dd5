"""``python -m analysis suspects POOL --out SUSPECTS.parquet``: rank negatives for review.

Computes the false-negative signals of ``analysis.false_negatives.signals`` for every negative of POOL:
margin (from the scores), near_duplicate and same_cluster (document embeddings from the
pool's model, through the embedding cache; k-means clusters), cross_encoder (the file's
``ce_score``, or ``--cross-encoder`` rescores), answer_match (``--answers``, or an ``answers``
column). Writes one row per (qid, did), highest risk first: ``qid, did, risk``, one
``<signal>_score`` column per available signal, and ``is_suspect``. A pair held by several
sources keeps its riskiest row.

``--judge NAME_OR_PATH`` (repeatable; ``default`` = all-mpnet-base-v2): each judge scores exactly
the pool's negatives and positives (planned first, cached), its score is written as
``judge:<name>``, and ``risk`` / ``is_suspect`` become the evidence risk of
``analysis.false_negatives.fusion`` (file score, judges, BM25, identity and cosine to the
positive, weighted by how well each ranks the labelled positives; calibrated to the fn-share
estimate; constants chosen leave-one-collection-out).
"""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "suspects", help="false-negative signals and risk for every negative of a pool",
        description="Score every negative for being a false negative and rank them for review.")
    parser.add_argument("pool", help="pool Parquet file (or any scored set NegLens reads)")
    parser.add_argument("--format", help="format of POOL (default: detected)")
    parser.add_argument("--cross-encoder", metavar="NAME_OR_PATH",
                        help="sentence-transformers CrossEncoder to rescore with (when POOL has no ce_score)")
    parser.add_argument("--threshold", type=float, default=0.15,
                        help="risk (a probability) at or above which a negative is a suspect "
                             "(default 0.15)")
    parser.add_argument("--answers", metavar="ANSWERS.json",
                        help='JSON object {"qid": ["answer", ...]} for answer matching')
    parser.add_argument("--clusters", type=int, metavar="K",
                        help="k-means clusters of the documents (default sqrt(docs/2), 2..50)")
    parser.add_argument("--model", metavar="NAME_OR_PATH",
                        help="bi-encoder for document embeddings (default: the pool's own model)")
    parser.add_argument("--no-embeddings", action="store_true",
                        help="score-based signals only (margin, cross_encoder, answer_match): "
                             "no model loaded, no text encoded")
    from analysis.cli.fn_share import add_judge_option

    add_judge_option(parser)
    parser.add_argument("--out", required=True, metavar="SUSPECTS.parquet", help="file to write")
    parser.set_defaults(func=run)


def read_answers(path) -> dict[str, list[str]]:
    """``{"qid": ["answer", ...]}`` (a single string is one answer) from a JSON file."""
    import json

    from analysis.model import DataError

    try:
        blob = json.loads(open(path, encoding="utf-8").read())
    except json.JSONDecodeError as exc:
        raise DataError(f"not JSON: {exc.msg}", file=str(path), line=exc.lineno) from exc
    if not isinstance(blob, dict):
        raise DataError('expected an object {"qid": ["answer", ...]}', file=str(path))
    out = {}
    for qid, answers in blob.items():
        answers = [answers] if isinstance(answers, str) else answers
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            raise DataError(f"answers of query {qid!r} must be a string or a list of strings",
                            file=str(path), field=str(qid))
        out[str(qid)] = answers
    return out


def run(args: argparse.Namespace) -> int:
    from analysis.cli.project import embed_set
    from analysis.false_negatives.signals import SIGNALS, find_suspects
    from analysis.formats import load
    from analysis.measure.clusters import kmeans_labels
    from analysis.model import DataError

    if not 0 <= args.threshold <= 1:
        raise DataError(f"--threshold must be in [0, 1], got {args.threshold}", field="threshold")
    nset = load(args.pool, format=args.format)
    answers = read_answers(args.answers) if args.answers else None
    if args.cross_encoder and not ("ce_score" in nset.pairs and nset.pairs["ce_score"].notna().any()):
        from analysis.scoring.rerank import add_ce_scores, load_cross_encoder

        nset = add_ce_scores(nset, load_cross_encoder(args.cross_encoder))
    doc_emb = clusters = None
    if not args.no_embeddings:
        _, emb = embed_set(nset, model=args.model, roles=("document",))
        doc_emb = emb["document"]
        clusters = kmeans_labels(doc_emb, k=args.clusters)
    table = find_suspects(nset.pairs, doc_embeddings=doc_emb, doc_clusters=clusters,
                          doc_texts=nset.doc_text(), answers=answers, threshold=args.threshold,
                          query_texts=nset.queries.set_index("qid")["text"])
    signals = [name for name in SIGNALS if f"{name}_score" in table]
    judged = []
    if args.judge:
        table, judged = with_judges(nset, table, args.judge, doc_emb)
    columns = ["qid", "did", "risk", *(f"{name}_score" for name in signals), *judged, "is_suspect"]
    table = (table.sort_values("risk", ascending=False, kind="stable")
             .drop_duplicates(["qid", "did"])[columns].reset_index(drop=True))
    for column in ("qid", "did"):
        table[column] = table[column].astype(str)
    table.to_parquet(args.out, index=False)
    print(f"wrote {args.out}: {len(table):,} negatives, {int(table['is_suspect'].sum()):,} suspects; "
          f"signals: {', '.join(signals + judged) or 'none'}")
    return 0


def with_judges(nset, table, judges, doc_emb):
    """``table`` with each judge's score and the evidence risk (see the module docstring)."""
    from analysis.cli.fn_share import print_plans
    from analysis.false_negatives.evidence import judge_column, pool_evidence
    from analysis.false_negatives.fn_share import evidence_risk, with_evidence_risk

    print_plans(nset, judges)
    evidence = evidence_risk(pool_evidence(nset, judges=judges, doc_embeddings=doc_emb))
    columns = [judge_column(j) for j in judges]
    table = with_evidence_risk(table, evidence, columns)
    return table, columns
