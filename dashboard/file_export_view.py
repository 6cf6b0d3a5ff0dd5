"""The Export page when several files are open: one file's negatives, or a mix ("per query
from file X unless flagged, then from file Y"), as FlagEmbedding training data, and the
settings file that reproduces the choice (``analysis.workspace.file_export``)."""

from __future__ import annotations

import json

import streamlit as st

from analysis.workspace import file_export
from dashboard import multi, session, ui


def render() -> None:
    st.title("Export from the files")
    cmp = multi.comparison()
    if cmp is None:
        st.info("Pick the yardstick on the Compare page first (it encodes nothing until asked).")
        st.page_link("views/compare.py", label="Compare", icon=":material/compare_arrows:")
        return
    st.caption(cmp.statement)
    names = list(cmp.selections)
    left, mid = st.columns(2)
    primary = left.selectbox("Negatives from", names, key="files_primary")
    fallback = mid.selectbox("Queries with a flagged negative take theirs from", ["(none: just drop "
                             "the flagged ones)"] + [n for n in names if n != primary], key="files_fallback")
    fallback = None if fallback.startswith("(none") else fallback
    drop = st.multiselect("Flags", list(file_export.FLAGS), default=list(file_export.FLAGS),
                          key="files_drop", help="padding: random filler; sibling: a positive of the "
                                                 "query elsewhere; suspect: a false-negative suspect")
    with ui.reported("Cannot make the choice"):
        rows, counts = file_export.choose(cmp, primary, fallback=fallback, drop=drop)
        text = file_export.training_lines(cmp, rows)
        settings = file_export.choice_settings(cmp, primary=primary, fallback=fallback, drop=drop,
                                               seed=session.view().seed, sample=session.view().sample,
                                               strategies=multi.strategy_specs(), text=text)
    st.text(f"{counts['negatives']:,} negatives; {counts['dropped']:,} flagged ones of {primary} left out"
            + (f"; {counts['queries_from_fallback']:,} queries from {fallback}" if fallback else ""))
    a, b = st.columns(2)
    a.download_button("Training data (FlagEmbedding JSONL)", text, "train.jsonl", mime="application/json")
    b.download_button("Settings file (JSON)", json.dumps(settings, indent=2), "choice.json",
                      mime="application/json")
    st.caption("`python -m analysis compare --apply choice.json --out train.jsonl` writes the same "
               "bytes again from the files (refused if one changed).")
