"""False-negative signals per (query, negative), and a combined risk that ranks them for review.

The cleanlab contract: each signal ``x`` gives ``<x>_score`` in [0, 1] (1 = surely a false
negative; NaN = the signal cannot judge this row) and a flag ``is_<x>_issue``. Each score is
``sigma(z) = 1 / (1 + exp(-z))`` of the signal's evidence ``z``: its distance past the rule's
threshold in units of a stated width, so the threshold maps to exactly 0.5 and the flag is
``score >= 0.5``; half a width past gives 0.62, two widths 0.88, five 0.99. The rules
(:data:`SIGNAL_RULES`, shown in the app):

- ``margin`` (NV-Retriever TopK-PercPos 95%): flag ``s_neg >= t`` with
  ``t = s_pos - |s_pos| * (1 - p)``, p = 0.95 (for ``s_pos > 0``: ``s_neg / s_pos >= 0.95``;
  the sentence-transformers relative margin 0.05 otherwise);
  ``z = (s_neg - t) / (0.02 * max(|s_pos|, 0.001))``: for ``s_pos > 0``, width 0.02 of the
  ratio, so ratio 0.95 -> 0.5, 0.99 -> 0.88, 1.05 -> 0.99, 0.90 -> 0.08.
- ``cross_encoder`` (negminer, RLHN): with ``ce_score`` in [0, 1] (a sigmoid, as
  ``analysis.scoring.rerank`` stores it), flag ``ce_neg >= ce_pos - 0.05``;
  ``z = (ce_neg - ce_pos + 0.05) / 0.02``.
- ``near_duplicate`` (negminer ``dup_threshold``): ``c`` = highest cosine between the
  negative's document embedding and the query's positives' ones; flag ``c >= 0.95``;
  ``z = (c - 0.95) / 0.01``.
- ``answer_match`` (Tevatron ``--em``): the negative contains a known answer of its query as a
  token sequence (lowercased, accents stripped, words and single punctuation marks as tokens,
  as DPR's ``has_answer``); NaN where the query has no answers.
- ``same_cluster`` (ClusterNS): the negative's document is in the k-means cluster of one of the
  query's positives.

The two yes/no signals score 0.95 or 0.05 (``z = +-ln 19``): a string match or a shared
cluster is evidence, never certainty. ``s_pos`` and ``ce_pos`` are the minimum over the
query's labelled positives (DESIGN.md 3; ``how`` selects mean or max). Positives are looked up
by query across all sources.

Combined ``risk``, a logarithmic opinion pool (evidence adds in log-odds, as in naive Bayes):
``risk = sigma(sum_x w_x * min(z_x, 5) / sum_x w_x)`` over the signals known for the row, so
with one signal risk is that signal's score (capped at 0.993), and a missing signal changes
nothing (no signal: risk 0). The cap: five widths past its threshold a signal is surely past
it, and further distance adds nothing, so one extreme signal (a negative scoring twice its
positive) cannot outvote the others. Below the threshold evidence is not capped: how far below
keeps ordering the unflagged bulk, which is most of a pool.
Weights say how far a signal is trusted, set from its nature, not from evaluation labels:
near_duplicate 0.95 (same content as a positive), answer_match 0.9 (a string can sit in another
context), cross_encoder 0.8 (a stronger judge), margin 0.7 (a deliberately loose mining
filter), same_cluster 0.1 (a cluster holds many documents). Pooling rather than a noisy-OR:
a noisy-OR of saturating scores orders the unflagged bulk by whichever signal has the fattest
tail (a yes/no signal's constant bump), not by evidence; docs/false_negatives.md shows both.
``combine_risk`` is the former pooled score, kept for comparison; ``find_suspects``'s ``risk``
is the probability of ``analysis.false_negatives.risk`` (a fixed logistic rule over the
within-query dense score, BM25 and cosine to the positive) and ``is_suspect`` is
``risk >= threshold`` (``risk.DEFAULT_THRESHOLD``, 0.15), so the flag is selective.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.false_negatives.risk import DEFAULT_THRESHOLD, flag, prior_risk
from analysis.measure.clusters import same_cluster_as_positive
from analysis.measure.gaps import pair_positive_scores
from analysis.model import DataError

PERC_POS = 0.95
MARGIN_WIDTH = 0.02
CE_DELTA = 0.05
CE_WIDTH = 0.02
DUP_THRESHOLD = 0.95
DUP_WIDTH = 0.01
BINARY_Z = float(np.log(19.0))
EVIDENCE_CAP = 5.0
TRUSTED_WEIGHT = 0.5
RISK_THRESHOLD = DEFAULT_THRESHOLD
SIGNALS = ("margin", "cross_encoder", "near_duplicate", "answer_match", "same_cluster")
WEIGHTS = {"near_duplicate": 0.95, "answer_match": 0.9, "cross_encoder": 0.8, "margin": 0.7,
           "same_cluster": 0.1}
SIGNAL_RULES = {
    "margin": "score >= 95% of the query's positive score (NV-Retriever TopK-PercPos); "
              "0.5 at the ratio 0.95, rising to 1 with width 0.02",
    "cross_encoder": "cross-encoder score within 0.05 of the positive's, or above (negminer, RLHN)",
    "near_duplicate": "cosine to one of the query's positive documents >= 0.95 (negminer dup_threshold)",
    "answer_match": "contains a known answer string of the query (Tevatron --em)",
    "same_cluster": "in the k-means cluster of one of the query's positives (ClusterNS)",
    "risk": "probability of a false negative: a fixed logistic rule over the within-query dense "
            "score and BM25 and the cosine to the positive (fitted on Cranfield and sample_data); "
            "flagged at >= 15%",
}
_CHUNK = 65_536
_TOKEN = re.compile(r"\w+|[^\w\s]")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _yes_no(values: np.ndarray) -> np.ndarray:
    """1 -> 0.95, 0 -> 0.05, NaN stays: the score of a yes/no signal (``z = +-ln 19``)."""
    return np.where(np.isnan(values), np.nan, _sigmoid(BINARY_Z * (2 * values - 1)))


def _negatives_only(pairs: pd.DataFrame, score: np.ndarray) -> np.ndarray:
    score = np.asarray(score, dtype=np.float64)
    score[pairs["label"].to_numpy() == 1] = np.nan
    return score


def margin_signal(pairs: pd.DataFrame, *, perc_pos: float = PERC_POS, how: str = "min") -> np.ndarray:
    """The margin score of every row (NaN for positives and unscored rows); see the rules."""
    if not 0 < perc_pos <= 1:
        raise DataError(f"perc_pos must be in (0, 1], got {perc_pos}", field="perc_pos")
    s_pos = pair_positive_scores(pairs, how=how)
    s_neg = pairs["score"].to_numpy(dtype=np.float64)
    threshold = s_pos - np.abs(s_pos) * (1 - perc_pos)
    scale = MARGIN_WIDTH * np.maximum(np.abs(s_pos), 1e-3)
    return _negatives_only(pairs, _sigmoid((s_neg - threshold) / scale))


def cross_encoder_signal(pairs: pd.DataFrame, *, delta: float = CE_DELTA, how: str = "min") -> np.ndarray:
    """The cross-encoder score of every row (NaN without ``ce_score``); see the rules."""
    if "ce_score" not in pairs:
        return np.full(len(pairs), np.nan)
    ce_pos = pair_positive_scores(pairs, how=how, column="ce_score")
    ce_neg = pairs["ce_score"].to_numpy(dtype=np.float64)
    return _negatives_only(pairs, _sigmoid((ce_neg - ce_pos + delta) / CE_WIDTH))


def max_positive_cosine(pairs: pd.DataFrame, doc_embeddings: np.ndarray) -> np.ndarray:
    """Per row, the highest cosine between its document and a positive document of its query
    (NaN when the query has none); ``doc_embeddings`` rows follow the did categories."""
    emb = np.asarray(doc_embeddings, dtype=np.float32)
    if emb.ndim != 2 or len(emb) != len(pairs["did"].cat.categories):
        raise DataError(f"doc_embeddings of shape {emb.shape} for "
                        f"{len(pairs['did'].cat.categories)} documents", field="doc_embeddings")
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    emb = emb / np.where(norms > 0, norms, 1.0)
    q = pairs["qid"].cat.codes.to_numpy().astype(np.int64)
    d = pairs["did"].cat.codes.to_numpy().astype(np.int64)
    positive = pairs["label"].to_numpy() == 1
    pos_keys = np.unique(q[positive] * len(emb) + d[positive])
    pos_q, pos_d = np.divmod(pos_keys, len(emb))
    starts = np.searchsorted(pos_q, q)
    counts = np.searchsorted(pos_q, q, side="right") - starts
    out = np.full(len(pairs), np.nan)
    rows = np.flatnonzero(counts > 0)
    for begin in range(0, len(rows), _CHUNK):
        chunk = rows[begin:begin + _CHUNK]
        n = counts[chunk]
        offsets = np.repeat(starts[chunk] - np.r_[0, np.cumsum(n)[:-1]], n) + np.arange(n.sum())
        cos = np.einsum("ij,ij->i", emb[np.repeat(d[chunk], n)], emb[pos_d[offsets]])
        out[chunk] = np.maximum.reduceat(cos, np.r_[0, np.cumsum(n)[:-1]])
    return out


def near_duplicate_signal(pairs: pd.DataFrame, doc_embeddings: np.ndarray, *,
                          threshold: float = DUP_THRESHOLD) -> np.ndarray:
    """The near-duplicate score of every row; see the rules."""
    return _negatives_only(pairs, _sigmoid((max_positive_cosine(pairs, doc_embeddings) - threshold)
                                           / DUP_WIDTH))


def normalise_for_match(text: str) -> str:
    """Lowercased, accent-free tokens joined by single spaces, padded: ``" the tokens "``."""
    text = "".join(c for c in unicodedata.normalize("NFD", str(text).lower())
                   if unicodedata.category(c) != "Mn")
    return " " + " ".join(_TOKEN.findall(text)) + " "


def answer_match_signal(pairs: pd.DataFrame, doc_texts: pd.Series,
                        answers: Mapping[str, Sequence[str]]) -> np.ndarray:
    """0.95 where a negative's text contains one of its query's answers (a string or a list of
    strings), 0.05 where not, NaN where the query has no answers. ``doc_texts``: did -> text (``nset.doc_text()``)."""
    normalised = {str(q): [a for a in (normalise_for_match(x) for x in
                                       ([given] if isinstance(given, str) else given)) if a.strip()]
                  for q, given in answers.items()}
    qids = pairs["qid"].astype(str).to_numpy()
    negative = pairs["label"].to_numpy() == 0
    judged = negative & np.array([bool(normalised.get(q)) for q in qids], dtype=bool)
    out = np.full(len(pairs), np.nan)
    needed = pairs["did"].astype(str).to_numpy()[judged]
    missing = set(needed) - set(doc_texts.index.astype(str))
    if missing:
        raise DataError(f"no text for document {sorted(missing)[0]!r}", field="did")
    texts = {d: normalise_for_match(doc_texts[d]) for d in set(needed)}
    out[judged] = _yes_no(np.array([any(a in texts[d] for a in normalised[q])
                                    for q, d in zip(qids[judged], needed)], dtype=float))
    return out


def answers_from_pairs(pairs: pd.DataFrame, column: str = "answers") -> dict[str, list[str]]:
    """qid -> answers from a pairs column holding a string or a list of strings per row."""
    out: dict[str, list[str]] = {}
    for qid, value in zip(pairs["qid"].astype(str), pairs[column]):
        if isinstance(value, str):
            value = [value]
        elif value is None or (np.ndim(value) == 0 and pd.isna(value)):
            continue
        known = out.setdefault(qid, [])
        known.extend(str(v) for v in value if str(v) not in known)
    return out


def combine_risk(scores: Mapping[str, np.ndarray]) -> np.ndarray:
    """The pooled risk of the given signal scores (NaN = not available for that row): the
    sigmoid of the weighted mean log-odds (each capped at +5) of the available ones; 0 where
    none is available."""
    unknown = set(scores) - set(WEIGHTS)
    if unknown:
        raise DataError(f"unknown signal(s) {sorted(unknown)}; known: {list(SIGNALS)}", field="signal")
    lengths = {len(v) for v in scores.values()}
    if len(lengths) > 1:
        raise DataError("signal score arrays differ in length", field="signal")
    n = lengths.pop() if lengths else 0
    evidence, weight = np.zeros(n), np.zeros(n)
    for name, score in scores.items():
        p = np.clip(np.asarray(score, dtype=np.float64), np.finfo(float).tiny, 1 - np.finfo(float).epsneg)
        known = ~np.isnan(p)
        z = np.minimum(np.log(p[known]) - np.log1p(-p[known]), EVIDENCE_CAP)
        evidence[known] += WEIGHTS[name] * z
        weight[known] += WEIGHTS[name]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight > 0, _sigmoid(evidence / weight), 0.0)


def find_suspects(pairs: pd.DataFrame, *, doc_embeddings: np.ndarray | None = None,
                  doc_clusters: np.ndarray | None = None, doc_texts: pd.Series | None = None,
                  answers: Mapping[str, Sequence[str]] | None = None, how: str = "min",
                  threshold: float = RISK_THRESHOLD, query_texts: pd.Series | None = None,
                  bm25_index=None) -> pd.DataFrame:
    """Every negative row with the signals the inputs allow, and the combined risk.

    margin needs scores; cross_encoder a ``ce_score`` column; near_duplicate
    ``doc_embeddings``; same_cluster ``doc_clusters`` (both aligned with the did categories);
    answer_match ``doc_texts`` and ``answers`` (or an ``answers`` pairs column). Columns:
    ``qid, did, source, rank, score``, then ``<x>_score`` and ``is_<x>_issue`` per available
    signal, the raw ``positive_cosine`` (with embeddings) and ``bm25`` (with ``doc_texts`` and
    ``query_texts``: qid -> text), ``risk`` (``risk.prior_risk``) and ``is_suspect``
    (``risk >= threshold``). Rows keep the order of pairs.

    Every signal and the risk of a row depend only on its query's rows and on collection-wide
    statistics (BM25's, from ``doc_texts`` or the ``bm25_index.TermIndex`` given as
    ``bm25_index``), so the rows of some queries alone give their part of the whole table.
    """
    if not 0 <= threshold <= 1:
        raise DataError(f"threshold must be in [0, 1], got {threshold}", field="threshold")
    scores: dict[str, np.ndarray] = {}
    if pairs["score"].notna().any():
        scores["margin"] = margin_signal(pairs, how=how)
    if "ce_score" in pairs and pairs["ce_score"].notna().any():
        scores["cross_encoder"] = cross_encoder_signal(pairs, how=how)
    if doc_embeddings is not None:
        scores["near_duplicate"] = near_duplicate_signal(pairs, doc_embeddings)
    if answers is None and "answers" in pairs:
        answers = answers_from_pairs(pairs)
    if answers:
        if doc_texts is None:
            raise DataError("answer matching needs the document texts", field="doc_texts")
        scores["answer_match"] = answer_match_signal(pairs, doc_texts, answers)
    if doc_clusters is not None:
        scores["same_cluster"] = _negatives_only(
            pairs, _yes_no(same_cluster_as_positive(pairs, doc_clusters)))
    negative = pairs["label"].to_numpy() == 0
    out = pairs.loc[negative, ["qid", "did", "source", "rank", "score"]].reset_index(drop=True)
    for name in SIGNALS:
        if name in scores:
            value = scores[name][negative]
            out[f"{name}_score"] = value.astype(np.float32)
            out[f"is_{name}_issue"] = value >= 0.5
    if doc_embeddings is not None:
        out["positive_cosine"] = max_positive_cosine(pairs, doc_embeddings)[negative]
    if doc_texts is not None and query_texts is not None:
        from analysis.false_negatives.lexical import bm25_pair_scores

        out["bm25"] = bm25_pair_scores(pairs, doc_texts, query_texts, index=bm25_index)[negative]
    out["risk"] = prior_risk(out)
    out["is_suspect"] = flag(out["risk"].to_numpy(), threshold)
    return out
