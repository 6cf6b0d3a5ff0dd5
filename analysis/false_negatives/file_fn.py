"""False-negative evidence for the union candidates of several files, on the yardstick.

``union_risk(union, measured)`` runs ``signals.find_suspects`` once over the union's pairs with
the yardstick's score, BM25 of the texts and, when the yardstick has them, its document
embeddings (near-duplicate cosine), so every selection's negatives are judged by the same
evidence, independent of any one file's miner. Positives are every file's positives of the
query. A negative that another file labels positive for the same query is a known false
negative: risk 1, suspect.

``fn_columns`` returns per union pair ``risk`` (NaN for the union's own positives that no
selection holds as a negative) and ``suspect``. The estimated false-negative share of a
selection is the **mean risk** of its negatives (the risk is a probability,
``analysis.false_negatives.risk``; a review-based estimate is not available across files).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.false_negatives.signals import find_suspects

SHARE_RULE = "mean risk of the negatives (risk: a probability from the yardstick score, BM25 " \
             "and, with embeddings, cosine to the positive; labelled positives elsewhere count as 1)"


def fn_columns(union, measured) -> pd.DataFrame:
    pairs = union.nset.pairs.assign(score=np.asarray(measured.score, dtype=np.float32))
    nset = union.nset
    found = find_suspects(pairs, doc_embeddings=measured.doc_embeddings,
                          doc_texts=nset.doc_text(), query_texts=nset.query_text())
    risk = np.full(len(pairs), np.nan)
    suspect = np.zeros(len(pairs), dtype=bool)
    negative = np.flatnonzero(pairs["label"].to_numpy() == 0)
    risk[negative] = found["risk"].to_numpy(dtype=np.float64)
    suspect[negative] = found["is_suspect"].to_numpy(dtype=bool)
    labelled = pairs["label"].to_numpy() == 1
    risk[labelled], suspect[labelled] = 1.0, True
    return pd.DataFrame({"risk": risk, "suspect": suspect})


def selection_fn(fn: pd.DataFrame, rows: np.ndarray) -> dict:
    sub = fn.iloc[rows]
    known = sub["risk"].dropna()
    return {"fn_suspects": int(sub["suspect"].sum()),
            "fn_share_est": float(known.mean()) if len(known) else float("nan")}
