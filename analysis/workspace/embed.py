"""Embeddings of a scored file's own candidates, computed only when asked (issue 15).

A file analysed as it is carries scores but no embeddings, so the map, the near-duplicate
signal and the document clusters need its texts encoded. :func:`with_embedding_model` tags the
candidates with the model that would embed them (``meta["embedding"]``: model, identity,
prompts; ``pool_embeddings`` reads it as it reads a pool's ``meta["pool"]``), and
:func:`embedding_need` says before anything is loaded what encoding them costs: the texts not
yet in the embedding cache, at the rate measured on this machine. Nothing here imports torch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from analysis.model import NegativeSet
from analysis.scoring.estimate import Estimate, estimate_build
from analysis.workspace.data import embedding_spec, workspace_dir

EMBEDDING = "embedding"


def with_embedding_model(nset: NegativeSet, model: str | None = None) -> NegativeSet:
    """``nset`` with ``meta["embedding"]`` naming the bi-encoder (default: the packaged
    all-MiniLM-L6-v2) its texts are embedded with; the pairs are shared, not copied."""
    from analysis.scoring.encode import model_identity, resolve_model

    spec = {"model": model or None, "model_identity": model_identity(resolve_model(model or None)),
            "query_prompt": None, "document_prompt": None}
    return nset.with_pairs(nset.pairs, meta={**nset.meta, EMBEDDING: spec})


@dataclass(frozen=True)
class Need:
    """What embedding ``texts`` distinct texts costs: ``cached`` of them are already in the cache;
    ``estimate`` covers the rest."""

    texts: int
    cached: int
    estimate: Estimate

    def describe(self) -> str:
        """'encodes 12,480 texts, about 7 min (...); 1,200 of 13,680 are cached already'."""
        if self.estimate.texts == 0:
            return f"all {self.texts:,} texts are in the embedding cache already (no encoding)"
        return f"{self.estimate.describe()}; {self.cached:,} of {self.texts:,} are cached already"


def embedding_need(nset: NegativeSet, *, cache_dir: str | os.PathLike | None = None,
                   rates_dir: str | os.PathLike | None = None) -> Need:
    """How many of ``nset``'s query and document texts still need encoding (see the module)."""
    import numpy as np

    from analysis.scoring.embedding_cache import EmbeddingCache, text_keys

    spec = embedding_spec(nset)
    total = cached = 0
    for role, table, prompt in (("query", nset.queries, spec.get("query_prompt")),
                                ("document", nset.docs, spec.get("document_prompt"))):
        texts = list(dict.fromkeys(table["text"].astype(str).tolist()))
        total += len(texts)
        if not texts or not spec.get("model_identity"):
            continue
        cache = EmbeddingCache({"model": spec["model_identity"], "role": role, "prompt": prompt},
                               directory=cache_dir)
        found, _ = cache.lookup(text_keys(texts))
        cached += int(np.count_nonzero(found))
    return Need(texts=total, cached=cached, estimate=estimate_build(total - cached, cache_dir=rates_dir))


# -- a file's own pairs, scored once and kept in the workspace cache -----------------------------
def own_scores_file(data_sha: str, cache_dir: str | os.PathLike | None = None):
    """Where the own-pair scores of the data with this sha256 are kept (packaged model)."""
    return workspace_dir(cache_dir) / "own-scores" / f"{data_sha[:16]}.parquet"


def with_own_scores(nset: NegativeSet, data_sha: str, *,
                    cache_dir: str | os.PathLike | None = None) -> NegativeSet | None:
    """``nset`` with its own pairs' kept scores, or None when they were never scored (or the
    kept scores do not match its pairs)."""
    import pandas as pd

    from analysis.scoring.own_pairs import OWN_PAIR_SCORES

    path = own_scores_file(data_sha, cache_dir)
    if not path.is_file():
        return None
    kept = pd.read_parquet(path)
    pairs = nset.pairs
    if len(kept) != len(pairs) or not (kept["qid"].to_numpy() == pairs["qid"].astype(str).to_numpy()).all() \
            or not (kept["did"].to_numpy() == pairs["did"].astype(str).to_numpy()).all():
        return None
    meta = {**nset.meta, OWN_PAIR_SCORES: {"model": None, "kept": str(path)}}
    return nset.with_pairs(pairs.assign(score=kept["score"].to_numpy()), meta=meta)


def ensure_own_scores(nset: NegativeSet, data_sha: str, *, progress=None,
                      cache_dir: str | os.PathLike | None = None) -> NegativeSet:
    """Score ``nset``'s own pairs with the packaged model (``analysis.scoring.own_pairs``) unless
    already kept; keeps them (written to a temporary file, then renamed) and records the rate."""
    import time

    import pandas as pd

    from analysis.scoring.estimate import record_rate
    from analysis.scoring.own_pairs import own_pairs_texts, score_own_pairs

    found = with_own_scores(nset, data_sha, cache_dir=cache_dir)
    if found is not None:
        return found
    started = time.monotonic()
    scored = score_own_pairs(nset, progress=progress)
    record_rate("local", own_pairs_texts(nset), time.monotonic() - started,
                cache_dir=workspace_dir(cache_dir))
    path = own_scores_file(data_sha, cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame({"qid": nset.pairs["qid"].astype(str).to_numpy(),
                          "did": nset.pairs["did"].astype(str).to_numpy(),
                          "score": scored.pairs["score"].to_numpy()})
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    table.to_parquet(partial, index=False)
    os.replace(partial, path)
    return scored
