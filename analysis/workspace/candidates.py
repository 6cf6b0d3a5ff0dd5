"""What the pages analyse: a scored file's own candidates or a corpus-wide pool, whole or as a
seeded sample of queries. Deciding which never encodes a text."""

from __future__ import annotations

from analysis.formats.pool import is_pool
from analysis.model import NegativeSet
from analysis.workspace.data import PoolSettings, ensure_pool
from analysis.workspace.embed import with_embedding_model


def candidates_kind(nset: NegativeSet, *, pool_built: bool) -> str:
    """``pool`` (a pool file, a ranked and scored file, or a pool already built for it),
    ``file`` (a scored file, analysed by file rank), or ``''`` (no scores and no pool yet: the
    Data page offers to build one)."""
    if is_pool(nset) or (nset.has_ranks and nset.has_scores) or pool_built:
        return "pool"
    return "file" if nset.has_scores else ""


def open_candidates(nset: NegativeSet, data_sha: str, *, kind: str, settings: PoolSettings,
                    format: str | None = None, sample: int = 0, seed: int = 0) -> NegativeSet:
    """The candidates of ``kind`` (see :func:`candidates_kind`): the file's own, tagged with the
    model that would embed them on request, or the pool (read from the workspace, built when
    missing); then the seeded sample of ``sample`` queries when one is asked for (0: all)."""
    if kind == "file":
        from analysis.scoring.file_rank import file_candidates

        if sample:   # ranks are per query: sample first, rank 2,000 queries, not a million
            from analysis.measure.query_sample import sample_queries

            nset, sample = sample_queries(nset, sample, seed=seed), 0
        found = with_embedding_model(file_candidates(nset), settings.model)
    else:
        found = ensure_pool(nset, data_sha, settings, format=format)
    if not sample:
        return found
    from analysis.measure.query_sample import sample_queries

    return sample_queries(found, sample, seed=seed)
