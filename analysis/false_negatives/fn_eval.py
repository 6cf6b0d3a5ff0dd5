"""Ground truth for false-negative detection: do the signals find documents known to be relevant?

Two kinds of ground truth:

- **Hidden positives** (:func:`hide_positives`, used on Cranfield): each query keeps its
  *first* relevant document in relevance-file order (cranqrel order; the SMART loader does
  not keep Cleverdon's codes, so "best code" is not available) as the labelled positive; its
  other relevant documents are hidden. Judged non-relevant rows (code -1) are dropped: the
  pool supplies the negatives. A query with one relevant document has nothing hidden.
- **Planted positives** (sample_data): a ``query-id<TAB>corpus-id`` file of passages that answer
  a query but are not labelled (``ground_truth/unlabelled_positives.tsv``).

Then a pool is mined (``analysis.scoring.pool.build_pool``, top 100 by default) and every pool
negative (``source == "pool"``, label 0) is a candidate; the hidden or planted ones are the
false negatives to find. Each ranking is scored over that one global review queue (all
queries together, as a reviewer would work through it):

- average precision (``sklearn.metrics.average_precision_score``; a signal's NaN, "cannot
  judge", ranks last);
- precision and recall of its flag (``is_<x>_issue``; ``is_suspect`` for risk);
- the baseline ranks negatives by raw bi-encoder score; its "flag" is the top-K by score with
  K = the number risk flags, so the two are compared at the same review budget;
- ``random`` gives the prevalence, the AP of a random order.

Recall is over the false negatives inside the pool; ``in_pool`` says how many of all the hidden
ones the top-N retrieved at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.false_negatives.signals import RISK_THRESHOLD, SIGNALS, find_suspects
from analysis.formats.qrels import read_judgements
from analysis.model import DataError, NegativeSet

TRUTH_FILE = Path("ground_truth") / "unlabelled_positives.tsv"
REVIEWS = 200
METRIC_COLUMNS = ["ranking", "ap", "flagged", "hits", "precision", "recall"]


@dataclass
class Evaluation:
    """The result table of one dataset and what it was measured on."""

    dataset: str
    table: pd.DataFrame
    queries: int
    negatives: int
    false_negatives_in_pool: int
    false_negatives_total: int
    calibration: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    def render(self) -> str:
        """The table as text, with a header line that states the setting."""
        head = (f"{self.dataset}: {self.queries:,} queries, pool top {self.settings.get('top_n')}, "
                f"{self.negatives:,} pool negatives, {self.false_negatives_in_pool:,} of "
                f"{self.false_negatives_total:,} known false negatives inside the pool")
        lines = [head, f"{'ranking':<22}{'AP':>8}{'flagged':>9}{'hits':>7}{'precision':>11}{'recall':>8}"]
        for row in self.table.itertuples(index=False):
            flag = (f"{row.flagged:>9,}{row.hits:>7,}{row.precision:>11.3f}{row.recall:>8.3f}"
                    if row.flagged >= 0 else f"{'':>9}{'':>7}{'':>11}{'':>8}")
            lines.append(f"{row.ranking:<22}{row.ap:>8.3f}{flag}")
        if self.calibration:
            c = self.calibration
            lines.append(f"flagged share {c['flagged_share']:.1%}, ECE prior {c['ece_prior']:.3f}, "
                         f"ECE after refit on {c['reviewed']} verdicts {c['ece_refit']:.3f} "
                         f"(on the other negatives)")
        return "\n".join(lines)


def calibration_after_reviews(suspects: pd.DataFrame, *, reviews: int = REVIEWS,
                              seed: int = 0) -> dict:
    """ECE of the prior risk on every negative, and of ``risk.refit`` on ``reviews`` negatives
    drawn at random (``seed``) with their ground truth as verdicts, measured on the others."""
    from analysis.false_negatives.risk import expected_calibration_error, refit

    truth = suspects["truth"].to_numpy()
    out = {"flagged_share": float(suspects["is_suspect"].mean()),
           "ece_prior": expected_calibration_error(truth, suspects["risk"].to_numpy()),
           "reviewed": min(reviews, len(suspects)), "ece_refit": float("nan")}
    if len(suspects) > reviews:
        drawn = np.random.default_rng(seed).permutation(len(suspects))
        seen, rest = drawn[:reviews], drawn[reviews:]
        verdicts = suspects.iloc[seen][["qid", "did"]].assign(
            verdict=np.where(truth[seen], "false_negative", "true_negative"))
        model = refit(suspects, verdicts)
        out["ece_refit"] = expected_calibration_error(truth[rest], model.predict(suspects.iloc[rest]))
    return out


def hide_positives(nset: NegativeSet) -> tuple[NegativeSet, pd.DataFrame]:
    """(the set with one positive per query, the hidden relevant ``qid, did`` pairs)."""
    positives = nset.pairs[nset.pairs["label"] == 1]
    first = ~positives["qid"].duplicated()
    hidden = positives.loc[~first, ["qid", "did"]].astype(str).drop_duplicates().reset_index(drop=True)
    return nset.with_pairs(positives[first].reset_index(drop=True)), hidden


def read_truth(path: str | os.PathLike, nset: NegativeSet) -> pd.DataFrame:
    """The relevant ``qid, did`` pairs of a ground-truth qrels file (``analysis.formats.qrels``
    rules), checked against the set's ids: an unreadable line or an unknown id stops it."""
    path = Path(path)
    qrels = read_judgements(path)
    if qrels.skipped:
        line, exc = qrels.skipped[0]
        raise DataError(exc.reason, file=str(path), line=line, field=exc.field)
    known = {"qid": set(nset.queries["qid"].astype(str)), "did": set(nset.docs["did"].astype(str))}
    rows = []
    for row in qrels.judgements:
        for column, value in (("qid", row.qid), ("did", row.did)):
            if value not in known[column]:
                raise DataError(f"unknown {column} {value!r}", file=str(path), line=row.line,
                                field=column)
        if row.relevant:
            rows.append((row.qid, row.did))
    return pd.DataFrame(rows, columns=["qid", "did"], dtype=str).drop_duplicates().reset_index(drop=True)


def ranking_metrics(y_true: np.ndarray, scores: dict[str, np.ndarray],
                    flags: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per ranking: AP of its scores and precision/recall of its flags (``flagged``
    is -1 and the rest NaN when a ranking has no flag)."""
    from sklearn.metrics import average_precision_score

    y_true = np.asarray(y_true, dtype=bool)
    positives = int(y_true.sum())
    rows = []
    for name, score in scores.items():
        score = np.asarray(score, dtype=np.float64)
        known = ~np.isnan(score)
        floor = score[known].min() - 1.0 if known.any() else 0.0
        ap = average_precision_score(y_true, np.where(known, score, floor)) if positives else np.nan
        row = {"ranking": name, "ap": float(ap), "flagged": -1, "hits": -1,
               "precision": np.nan, "recall": np.nan}
        if name in flags:
            flag = np.asarray(flags[name], dtype=bool)
            hits = int((flag & y_true).sum())
            row.update(flagged=int(flag.sum()), hits=hits,
                       precision=hits / flag.sum() if flag.any() else np.nan,
                       recall=hits / positives if positives else np.nan)
        rows.append(row)
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def evaluate_pool(pool: NegativeSet, truth: pd.DataFrame, *, doc_embeddings: np.ndarray,
                  doc_clusters: np.ndarray | None = None, doc_texts: pd.Series | None = None,
                  query_texts: pd.Series | None = None,
                  threshold: float = RISK_THRESHOLD) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(metrics table, the suspects table with a ``truth`` column) for the pool's negatives."""
    from analysis.measure.clusters import kmeans_labels

    pairs = pool.pairs[pool.pairs["source"].astype(str) == "pool"].reset_index(drop=True)
    if doc_clusters is None:
        doc_clusters = kmeans_labels(doc_embeddings)
    suspects = find_suspects(pairs, doc_embeddings=doc_embeddings, doc_clusters=doc_clusters,
                             threshold=threshold, doc_texts=doc_texts, query_texts=query_texts)
    keys = suspects["qid"].astype(str) + "\0" + suspects["did"].astype(str)
    suspects["truth"] = keys.isin(truth["qid"].astype(str) + "\0" + truth["did"].astype(str)).to_numpy()
    scores = {"risk": suspects["risk"].to_numpy()}
    flags = {"risk": suspects["is_suspect"].to_numpy()}
    for name in SIGNALS:
        if f"{name}_score" in suspects:
            scores[name] = suspects[f"{name}_score"].to_numpy()
            flags[name] = suspects[f"is_{name}_issue"].to_numpy()
    for name in ("bm25", "positive_cosine"):
        if name in suspects:
            scores[name] = suspects[name].to_numpy()
    raw = suspects["score"].to_numpy(dtype=np.float64)
    budget = int(flags["risk"].sum())
    top = np.zeros(len(raw), dtype=bool)
    top[np.argsort(-raw, kind="stable")[:budget]] = True
    scores["raw score (baseline)"], flags["raw score (baseline)"] = raw, top
    table = ranking_metrics(suspects["truth"].to_numpy(), scores, flags)
    prevalence = float(suspects["truth"].mean()) if len(suspects) else np.nan
    table.loc[len(table)] = ["random (prevalence)", prevalence, -1, -1, np.nan, np.nan]
    return table, suspects


def evaluate_dataset(nset: NegativeSet, truth: pd.DataFrame, *, name: str, top_n: int = 50,
                     model=None, cross_encoder=None, threshold: float = RISK_THRESHOLD,
                     progress=None) -> Evaluation:
    """Mine a pool of ``nset`` and measure the signals against ``truth`` (qid, did)."""
    from analysis.scoring.encode import Encoder, load_encoder
    from analysis.scoring.pool import build_pool

    encoder = model if isinstance(model, Encoder) else load_encoder(model)
    pool = build_pool(nset, model=encoder, top_n=top_n, cross_encoder=cross_encoder,
                      progress=progress)
    doc_embeddings = encoder.embed(pool.docs["text"], role="document")
    table, suspects = evaluate_pool(pool, truth, doc_embeddings=doc_embeddings, threshold=threshold,
                                    doc_texts=pool.doc_text(),
                                    query_texts=pool.queries.set_index("qid")["text"])
    calibration = calibration_after_reviews(suspects)
    return Evaluation(dataset=name, table=table, queries=int(pool.queries.shape[0]),
                      negatives=len(suspects), false_negatives_in_pool=int(suspects["truth"].sum()),
                      false_negatives_total=len(truth),
                      calibration=calibration,
                      settings={"top_n": top_n, "model": encoder.name, "threshold": threshold,
                                "cross_encoder": pool.meta["pool"].get("cross_encoder")})


def evaluate_path(path: str | os.PathLike, *, truth: str | os.PathLike | None = None,
                  **options) -> Evaluation:
    """Load a dataset and evaluate it: with a ground-truth file (``truth``, or the folder's
    ``ground_truth/unlabelled_positives.tsv``) as planted positives, else by hiding positives."""
    from analysis.formats import load

    path = Path(path)
    nset = load(path)
    truth_path = Path(truth) if truth else (path / TRUTH_FILE if path.is_dir() else None)
    if truth_path is not None and truth_path.is_file():
        return evaluate_dataset(nset, read_truth(truth_path, nset), name=path.name, **options)
    if truth is not None:
        raise DataError("ground-truth file not found", file=str(truth))
    reduced, hidden = hide_positives(nset)
    return evaluate_dataset(reduced, hidden, name=f"{path.name} (hidden positives)", **options)
