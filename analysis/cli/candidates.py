"""What the CLI's analysis commands read: a pool, or a scored mined file as its file's candidates.

``stats``, ``compare``, ``sample``, ``suspects`` and ``report`` take a pool file or any mined
file that carries scores (sentence-transformers with scores, FlagEmbedding with
``pos_scores``/``neg_scores``, a TREC run, ...). A scored file is analysed as it is: per query
its positives and negatives ordered by the file's score, ``rank`` = the file rank
(``analysis.scoring.file_rank``). No model is loaded. ``--sample N`` keeps a seeded random
sample of N queries (``analysis.measure.query_sample``).
"""

from __future__ import annotations


def add_sample_option(parser) -> None:
    parser.add_argument("--sample", type=int, default=None, metavar="N",
                        help="analyse a random sample of N queries (seeded by --seed); "
                             "default: the whole file")


def load_candidates(path, *, format: str | None = None, sample: int | None = None, seed: int = 0):
    """The candidates strategies choose from; DataError when the file has neither a pool nor
    scores (it says how to score it)."""
    from analysis.formats.columnar import open_columnar as load   # the columnar cache
    from analysis.model import DataError
    from analysis.scoring.file_rank import as_candidates

    nset = load(path, format=format)
    found = as_candidates(nset)
    if found is None:
        raise DataError("this file carries no scores and is not a pool, so there is nothing to "
                        "rank; build a pool first: python -m analysis pool "
                        f"{path} --out POOL.parquet (it prints an estimate before it starts)",
                        file=str(path), field="score")
    if sample:
        from analysis.measure.query_sample import sample_queries

        found = sample_queries(found, sample, seed=seed)
    return found


def rank_note(nset) -> str:
    """One line saying what ``rank`` means in ``nset`` (printed by every command)."""
    from analysis.scoring.file_rank import FILE_RANK, rank_kind

    kind = rank_kind(nset)
    if kind == FILE_RANK:
        return ("rank = file rank: position in the file's own score order per query, positives "
                "included (not a corpus rank)")
    if kind is None:
        return "no rank: this data has no ranking"
    return "rank = corpus rank (raw, positives included)"
