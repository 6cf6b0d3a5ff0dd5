"""A judge on the pairs a page analyses: planned first, scored only when asked, kept on disk.

A *judge* is a second model (``analysis.scoring.judge``: a stronger bi-encoder, or a
cross-encoder) that scores exactly the pairs under review. The dashboard's Browse and Review
pages use one set of them:

- **Pairs** (:func:`judge_pairs`): every distinct (qid, did) of the candidates and every
  labelled positive, as the CLI's judges score them. The candidates are the query sample when
  one is analysed, and the review queue runs over the same negatives (one row per (qid, did)),
  so the sample's pairs and the queue's pairs are one set, scored once.
- **Plan** (:func:`judge_plan`): which judge (bi-encoder or cross-encoder, detected), how many
  pairs, how many texts, how many are cached already, and the estimated time, before anything
  is loaded.
- **Kept** (:func:`scores_file`): ``<workspace>/judge-scores/<key>.parquet`` with ``qid, did,
  judge``, the key a sha256 of the candidates' key (data sha256, loader override,
  candidates settings, query sample) and the judge's identity (:func:`judge_identity`). Written to a temporary file, then
  renamed; an unreadable file is treated as missing (scored again) and reported as such.
- **Evidence** (:func:`evidence`): the candidates' evidence table
  (``analysis.false_negatives.evidence``: file score, BM25, identity with a positive), with the
  kept judge's scores as its ``judge:<name>`` column: nothing is encoded for it.
- **The false-negative share before any review** (:func:`fn_share`): ``fn-share``'s estimate
  (``analysis.false_negatives.fn_share``) of that table, so the app, the CLI and the library
  give the same number for the same candidates, judge and seed.
- **Applied** (:func:`with_judge`): the signals table gets ``judge`` per negative row and its
  ``risk`` / ``is_suspect`` become the evidence risk (``analysis.false_negatives.fusion``,
  calibrated to the share), as ``python -m analysis suspects --judge`` writes them.

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
    """``qid, did, label`` (strings, int8) of the pairs a judge scores: the candidates' rows and
    every labelled positive, each distinct pair once (``evidence.candidate_rows``, the rows
    ``fn-share`` and ``suspects --judge`` score)."""
    from analysis.false_negatives.evidence import candidate_rows

    return candidate_rows(candidates)[["qid", "did", "label"]]


def _texts(candidates: NegativeSet) -> tuple[pd.Series, pd.Series]:
    queries = candidates.queries.assign(qid=candidates.queries["qid"].astype(str))
    return queries.set_index("qid")["text"].astype(str), candidates.doc_text()


def judge_plan(candidates: NegativeSet, judge: str):
    """``analysis.scoring.judge.plan_judge`` for :func:`judge_pairs` (loads no model)."""
    from analysis.scoring.judge import plan_judge

    queries, docs = _texts(candidates)
    return plan_judge(judge, judge_pairs(candidates)[["qid", "did"]], queries, docs)


def judge_identity(judge: str) -> str:
    """The judge's name, with its model folder's fingerprint (``encode.model_identity``) when it
    is one here (``default`` once unpacked): replacing its files changes the kept scores' key."""
    from analysis.scoring.encode import model_identity
    from analysis.scoring.judge_model import DEFAULT_JUDGE, unpacked_default

    judge = judge.strip()
    folder = unpacked_default() if judge == DEFAULT_JUDGE else Path(judge).expanduser()
    return f"{judge}#{model_identity(folder)}" if folder is not None and folder.is_dir() else judge


def scores_file(candidates_key: str, judge: str, *, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where the judge's scores of these candidates are kept (see the module)."""
    tag = hashlib.sha256(f"{candidates_key}\0{judge_identity(judge)}".encode()).hexdigest()[:24]
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


def evidence(candidates: NegativeSet, scores: pd.DataFrame | None = None, judge: str = "", *,
             doc_emb: np.ndarray | None = None) -> pd.DataFrame:
    """The candidates' evidence table (``analysis.false_negatives.evidence.pool_evidence``, no
    judge run), with the kept ``scores`` of ``judge`` as its ``judge:<name>`` column (a pair
    they lack: NaN, no evidence): the table ``pool_evidence(candidates, judges=[judge])``
    gives, without loading the judge. ``doc_emb`` (aligned with ``candidates.docs``) adds the
    cosine to the positive, as ``suspects --judge`` passes it."""
    from analysis.false_negatives.evidence import judge_column, pool_evidence

    table = pool_evidence(candidates, doc_embeddings=doc_emb)
    if scores is not None:
        keys = table["qid"].astype(str) + "\0" + table["did"].astype(str)
        found = pd.Series(score_lookup(scores), dtype=np.float64)
        table[judge_column(judge)] = found.reindex(keys).to_numpy(dtype=np.float32)
    return table


def fn_share(table: pd.DataFrame, *, seed: int = 0):
    """The false-negative share before any review (a ``FnShare``) of an :func:`evidence` table,
    by ``fn_share.fn_share_of_set``'s rule (ordering: the shipped rule's symmetric evidence
    log-odds; bootstrap seeded as the CLI's ``--seed``, default 0)."""
    from analysis.false_negatives.fn_share import estimate_fn_share
    from analysis.false_negatives.fusion import DEFAULT_RULE, risk_logit

    return estimate_fn_share(table, order=risk_logit(table, DEFAULT_RULE, symmetric=True),
                             min_labelled=DEFAULT_RULE.min_labelled, seed=seed)


def with_judge(signals: pd.DataFrame, table: pd.DataFrame, judge: str) -> pd.DataFrame:
    """``signals`` (``browse.suspects``) with the judge's score as ``judge`` and ``risk`` /
    ``is_suspect`` from the evidence risk (``fn_share.evidence_risk``) of the :func:`evidence`
    ``table`` holding the judge, as ``suspects --judge`` writes them; a row outside the
    evidence keeps its prior risk."""
    from analysis.false_negatives.evidence import judge_column
    from analysis.false_negatives.fn_share import evidence_risk, with_evidence_risk

    column = judge_column(judge)
    out = with_evidence_risk(signals, evidence_risk(table), [column])
    out[JUDGE_COLUMN] = out.pop(column).to_numpy(dtype=np.float32)
    return out
