"""A judge on the pairs a page analyses: planned first, scored only when asked, kept on disk.

A *judge* is a second model (``analysis.scoring.judge``: a stronger bi-encoder, or a
cross-encoder) that scores exactly the pairs under review. The dashboard's Browse and Review
pages use one set of them:

- **Pairs** (:func:`judge_pairs`): every distinct (qid, did) of the candidates, negatives and
  positives, as strings. The candidates are the query sample when one is analysed, and the
  review queue runs over the same negatives (one row per (qid, did)), so the sample's pairs
  and the queue's pairs are one set, scored once.
- **Plan** (:func:`judge_plan`): which judge (bi-encoder or cross-encoder, detected), how many
  pairs, how many texts, how many are cached already, and the estimated time, before anything
  is loaded.
- **Kept** (:func:`scores_file`): ``<workspace>/judge-scores/<key>.parquet`` with ``qid, did,
  judge``, the key a sha256 of the candidates' key (data sha256, loader override,
  candidates settings, query sample) and the judge's name. Written to a temporary file, then
  renamed; an unreadable file is treated as missing (scored again) and reported as such.
- **Applied** (:func:`with_judge`): the signals table gets ``judge`` per negative row and
  its ``risk`` / ``is_suspect`` are recomputed by ``analysis.false_negatives.risk`` with the
  judge as evidence.

Nothing here imports streamlit or torch at import time.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.model import NegativeSet
from analysis.workspace.data import workspace_dir

JUDGE_COLUMN = "judge"  # not "*_score": the pages read those as [0, 1] signals
_LOG = logging.getLogger(__name__)


def judge_pairs(candidates: NegativeSet) -> pd.DataFrame:
    """``qid, did, label`` (strings, int8) of every distinct pair of ``candidates``, in order."""
    pairs = candidates.pairs
    out = pd.DataFrame({"qid": pairs["qid"].astype(str).to_numpy(),
                        "did": pairs["did"].astype(str).to_numpy(),
                        "label": pairs["label"].to_numpy(dtype=np.int8)})
    out = out.sort_values("label", ascending=False, kind="stable")  # a pair labelled positive
    return out.drop_duplicates(["qid", "did"]).sort_index().reset_index(drop=True)  # anywhere is one


def _texts(candidates: NegativeSet) -> tuple[pd.Series, pd.Series]:
    queries = candidates.queries.assign(qid=candidates.queries["qid"].astype(str))
    return queries.set_index("qid")["text"].astype(str), candidates.doc_text()


def judge_plan(candidates: NegativeSet, judge: str):
    """``analysis.scoring.judge.plan_judge`` for :func:`judge_pairs` (loads no model)."""
    from analysis.scoring.judge import plan_judge

    queries, docs = _texts(candidates)
    return plan_judge(judge, judge_pairs(candidates)[["qid", "did"]], queries, docs)


def scores_file(candidates_key: str, judge: str, *, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where the judge's scores of these candidates are kept (see the module)."""
    tag = hashlib.sha256(f"{candidates_key}\0{judge.strip()}".encode()).hexdigest()[:24]
    return workspace_dir(cache_dir) / "judge-scores" / f"{tag}.parquet"


def kept_scores(candidates_key: str, judge: str, *,
                cache_dir: str | os.PathLike | None = None) -> pd.DataFrame | None:
    """The kept ``qid, did, judge`` table, or None (never scored, or unreadable)."""
    path = scores_file(candidates_key, judge, cache_dir=cache_dir)
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # a torn or foreign file: scored again, said in the log
        _LOG.warning("unreadable judge scores %s (%s): scoring again", path, exc)
        return None


def ensure_scores(candidates: NegativeSet, candidates_key: str, judge: str, *, progress=None,
                  should_stop=None, cache_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """The judge's scores of :func:`judge_pairs`: kept ones, else scored now and kept."""
    found = kept_scores(candidates_key, judge, cache_dir=cache_dir)
    if found is not None:
        return found
    from analysis.scoring.judge import judge_scores

    pairs = judge_pairs(candidates)[["qid", "did"]]
    queries, docs = _texts(candidates)
    scores = judge_scores(judge, pairs, queries, docs, progress=progress, should_stop=should_stop)
    table = pairs.assign(**{JUDGE_COLUMN: np.asarray(scores, dtype=np.float32)})
    path = scores_file(candidates_key, judge, cache_dir=cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    table.to_parquet(partial, index=False)
    os.replace(partial, path)
    return table


def score_lookup(scores: pd.DataFrame) -> dict:
    """``qid + "\\0" + did`` -> the judge's score (a plain dict: a page looks pairs up one by one)."""
    keys = scores["qid"].astype(str) + "\0" + scores["did"].astype(str)
    return dict(zip(keys, scores[JUDGE_COLUMN].astype(float)))


def with_judge(signals: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """``signals`` (``browse.suspects``) with ``judge`` per row and the risk and flag
    recomputed with the judge as evidence; a row the scores lack gets NaN (no evidence)."""
    from analysis.false_negatives.risk import flag, prior_risk

    index = pd.Index(scores["qid"].astype(str) + "\0" + scores["did"].astype(str))
    keys = signals["qid"].astype(str) + "\0" + signals["did"].astype(str)
    at = index.get_indexer(keys)
    values = scores[JUDGE_COLUMN].to_numpy(dtype=np.float32)
    out = signals.copy()
    out[JUDGE_COLUMN] = np.where(at >= 0, values[np.maximum(at, 0)], np.nan).astype(np.float32)
    out["risk"] = prior_risk(out)
    out["is_suspect"] = flag(out["risk"].to_numpy())
    return out
