"""Equal texts are one text: the corpus and the queries merged by exact text, as
sentence-transformers' ``mine_hard_negatives`` does before it ranks anything.

sentence-transformers (v6, ``util/hard_negatives.py``) builds its corpus as
``dict.fromkeys(corpus + positives)`` and its queries as ``dict.fromkeys(queries)``: two ids
with one text are one document (one query), and a query's positives are texts. So

- a document repeating another's text takes no second place in the ranking (raw ranks and the
  ``range_min``/``range_max`` window would shift by one per copy otherwise);
- a copy of a positive under another id *is* the positive: masked, never a negative scored
  like the positive;
- a query repeating another's text is one query whose positives are the union of both.

``merge_equal_texts(nset, docs)`` does this to a set and its search corpus. The first id of
each text (in ``docs`` order for documents, ``nset.queries`` order for queries) names it;
every pair is moved onto those ids, and pairs that then coincide (same query, document and
source) become one row, labelled positive if any of them was (first row's rank and score).
The counts say what was merged: ``documents`` (corpus documents dropped as copies),
``positive_copies`` (of those, copies of a document some query labels positive) and
``queries``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.model import DataError, NegativeSet


def _canonical(ids: pd.Series, texts: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """id -> first id with the same text, and the mask of first occurrences."""
    ids = ids.astype(str).reset_index(drop=True)
    texts = texts.astype(str).reset_index(drop=True)
    first = ~texts.duplicated(keep="first").to_numpy()
    first_id = pd.Series(ids[first].to_numpy(), index=texts[first].to_numpy())
    return pd.Series(first_id.reindex(texts).to_numpy(), index=ids.to_numpy()), first


def merge_equal_texts(nset: NegativeSet, docs: pd.DataFrame | None = None
                      ) -> tuple[NegativeSet, pd.DataFrame, dict[str, int]]:
    """``(set, corpus, counts)`` with equal texts merged; see the module rules. ``docs`` is the
    search corpus (``did``, ``text``) holding every set document; None: the set's documents."""
    corpus = nset.docs[["did", "text"]] if docs is None else docs
    doc_map, doc_first = _canonical(corpus["did"], corpus["text"])
    query_map, query_first = _canonical(nset.queries["qid"], nset.queries["text"])
    pairs = nset.pairs.copy()
    old_did = pairs["did"].astype(str)
    pairs["qid"] = pairs["qid"].astype(str).map(query_map)
    pairs["did"] = old_did.map(doc_map)
    if pairs["did"].isna().any():
        missing = old_did[pairs["did"].isna()].iloc[0]
        raise DataError(f"document {missing!r} of the set is missing from the corpus", field="did")
    positives = set(pairs.loc[pairs["label"] == 1, "did"])
    copies = doc_map[~doc_first]
    counts = {"documents": int((~doc_first).sum()),
              "positive_copies": int(copies.isin(positives).sum()),
              "queries": int((~query_first).sum())}
    if not any(counts.values()):
        return nset, corpus.reset_index(drop=True), counts
    key = ["qid", "did", "source"]
    label = pairs.groupby(key, sort=False, observed=True)["label"].transform("max")
    pairs = pairs.assign(label=label.to_numpy()).drop_duplicates(key, keep="first")
    set_ids = nset.docs["did"].astype(str)
    kept = nset.docs[(set_ids.map(doc_map) == set_ids).to_numpy()]
    first = corpus[doc_first].astype({"did": str})
    extra = first[first["did"].isin(set(pairs["did"])) & ~first["did"].isin(set(set_ids))]
    out_docs = pd.concat([kept, extra[["did", "text"]]], ignore_index=True)
    out_queries = nset.queries[query_first]
    merged = NegativeSet(out_queries.reset_index(drop=True), out_docs.reset_index(drop=True),
                         pairs.reset_index(drop=True), format=nset.format,
                         skipped=list(nset.skipped), meta=dict(nset.meta))
    return merged, corpus[doc_first].reset_index(drop=True), counts
