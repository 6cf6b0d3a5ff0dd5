"""Held-out evaluation with sentence-transformers' ``InformationRetrievalEvaluator``, per query.

The evaluator ranks the whole corpus for each held-out query (the model's own similarity,
cosine for all-MiniLM-L6-v2; ties by ascending corpus id) and reports means only. The paired
comparison needs each query's value, so :class:`PerQueryEvaluator` keeps the ranked hits the
evaluator computed and scores every query with the evaluator's own formulas (binary
relevance):

- nDCG@10 = DCG@10 / ideal DCG@10, ``DCG = sum rel_i / log2(i + 1)`` over ranks i = 1..10,
  the ideal ranking putting all of the query's relevant documents first;
- MRR@10 = 1 / rank of the first relevant document in the top 10, else 0;
- Recall@100 = relevant documents in the top 100 / relevant documents of the query.

The mean of the per-query values must equal the evaluator's figure (to 1e-9); if a future
sentence-transformers changed its formulas, :func:`evaluate` raises instead of reporting two
different numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.probe.config import METRICS

_EVALUATOR_KEYS = {"ndcg@10": "ndcg@10", "mrr@10": "mrr@10", "recall@100": "recall@100"}


def _evaluator_class():
    from sentence_transformers.sentence_transformer.evaluation import (
        InformationRetrievalEvaluator,
    )

    class PerQueryEvaluator(InformationRetrievalEvaluator):
        """``InformationRetrievalEvaluator`` that keeps each query's ranked hits."""

        hits: list = []

        def compute_metrics(self, queries_result_list):
            self.hits = queries_result_list
            return super().compute_metrics(queries_result_list)

    return PerQueryEvaluator


def evaluate(model, *, queries: pd.DataFrame, corpus: pd.DataFrame, relevant: dict[str, set[str]],
             batch_size: int = 64, corpus_embeddings=None) -> dict[str, np.ndarray]:
    """Per-query metrics of ``model`` on ``queries`` (``qid``, ``text``; each must have a
    judgement) against ``corpus`` (``did``, ``text``): ``{metric: float64 array}`` aligned with
    ``queries``. ``corpus_embeddings`` (aligned with ``corpus``) skips encoding the corpus."""
    evaluator = _evaluator_class()(
        queries=dict(zip(queries["qid"].astype(str), queries["text"].astype(str))),
        corpus=dict(zip(corpus["did"].astype(str), corpus["text"].astype(str))),
        relevant_docs=relevant, mrr_at_k=[10], ndcg_at_k=[10], accuracy_at_k=[10],
        precision_recall_at_k=[100], map_at_k=[100], batch_size=batch_size, write_csv=False,
        show_progress_bar=False)
    if len(evaluator.queries_ids) != len(queries):
        raise ValueError("every held-out query needs at least one relevant document")
    kwargs = {}
    if corpus_embeddings is not None:
        import torch

        kwargs["corpus_embeddings"] = torch.as_tensor(np.asarray(corpus_embeddings),
                                                      device=model.device)
    summary = evaluator(model, **kwargs)
    per_query = {name: np.empty(len(queries)) for name in METRICS}
    for row, (qid, hits) in enumerate(zip(evaluator.queries_ids, evaluator.hits)):
        values = query_metrics([h["corpus_id"] for h in sorted(hits, key=lambda h: (-h["score"], h["corpus_id"]))],
                               relevant[qid])
        for name in METRICS:
            per_query[name][row] = values[name]
    prefix = model.similarity_fn_name
    for name in METRICS:
        reported = summary[f"{prefix}_{_EVALUATOR_KEYS[name]}"]
        if abs(float(per_query[name].mean()) - float(reported)) > 1e-9:
            raise RuntimeError(f"per-query {name} averages {per_query[name].mean():.12f} but "
                               f"InformationRetrievalEvaluator reports {reported:.12f}")
    return per_query


def query_metrics(ranking: list[str], relevant: set[str]) -> dict[str, float]:
    """nDCG@10, MRR@10 and Recall@100 of one ranked list of document ids (module rules)."""
    gains = np.array([d in relevant for d in ranking[:10]], dtype=np.float64)
    discounts = 1.0 / np.log2(np.arange(2, 12))
    ideal = discounts[:min(len(relevant), 10)].sum()
    first = np.flatnonzero(gains)
    return {
        "ndcg@10": float((gains * discounts[:len(gains)]).sum() / ideal),
        "mrr@10": float(1.0 / (first[0] + 1)) if len(first) else 0.0,
        "recall@100": sum(d in relevant for d in ranking[:100]) / len(relevant),
    }
