"""The search corpus of a pool: the set's documents, or a separate corpus plus any set
documents it lacks (the corpus rules of :mod:`analysis.scoring.pool`)."""

from __future__ import annotations

import pandas as pd

from analysis.model import DataError, NegativeSet


def merge_corpus(nset: NegativeSet, corpus: pd.DataFrame | NegativeSet | None, *,
                 name: str | None = None) -> tuple[pd.DataFrame, int]:
    """(did, text) of the search corpus, and how many corpus documents were merged into set
    documents by identical text. See the module rules."""
    if corpus is None:
        return nset.docs[["did", "text"]].copy(), 0
    table = corpus.docs if isinstance(corpus, NegativeSet) else corpus
    file = name or "corpus"
    missing = {"did", "text"} - set(table.columns)
    if missing:
        raise DataError(f"the corpus lacks column(s) {sorted(missing)}", file=file, field=min(missing))
    table = pd.DataFrame({"did": table["did"].astype(str), "text": table["text"].astype(str)})
    if table["did"].duplicated().any():
        raise DataError(f"corpus id {table.loc[table['did'].duplicated(), 'did'].iloc[0]!r} appears "
                        "twice", file=file, field="did")
    set_text = nset.doc_text().astype(str)
    shared = table["did"].isin(set_text.index)
    differs = shared & (table["text"].to_numpy() != set_text.reindex(table["did"]).to_numpy())
    if differs.any():
        raise DataError(f"document {table.loc[differs, 'did'].iloc[0]!r} has different text in the "
                        f"corpus and in the set ({int(differs.sum())} documents)", file=file, field="text")
    same_text = ~shared & table["text"].isin(set_text.to_numpy())
    extra = nset.docs.loc[~nset.docs["did"].astype(str).isin(table["did"]), ["did", "text"]]
    docs = pd.concat([table[~same_text], extra.astype(str)], ignore_index=True)
    return docs, int(same_text.sum())
