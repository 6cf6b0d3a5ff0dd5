"""The query sample on screen: the Data page's control and the line every analysis page shows.

A large file (more than ``state.LARGE_FILE`` queries) opens on a seeded random sample of
``DEFAULT_SAMPLE`` queries (``analysis.measure.query_sample``; the seed is the View's seed, the
one strategies draw with), so the first look takes seconds; "Analyse the whole file" is one
click on every page. The sample is the same one ``--sample N --seed S`` draws in the CLI and
the settings file records for ``apply``.
"""

from __future__ import annotations

import streamlit as st

from analysis.measure.query_sample import DEFAULT_SAMPLE, sample_note
from dashboard import session


def _whole_file() -> None:
    session.view().sample = 0


def caption() -> None:
    """Under a page's title: which queries the page is about, and the whole file one click away
    (nothing when the whole file is analysed)."""
    note = sample_note(session.pool())
    if not note:
        return
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.caption(f"Analysing {note}: every number, chart and export here is about the sample "
                 f"(the CLI's --sample {session.sample_size()} --seed {session.view().seed}).")
    right.button("Analyse the whole file", key="sample_whole_file", on_click=_whole_file,
                 help="All queries: slower to compute, same charts")


def control(num_queries: int) -> None:
    """The Data page's choice: a seeded random sample of N queries, or the whole file."""
    view = session.view()
    size = session.sample_size()
    with st.form("sample_form", border=False):
        left, mid, right = st.columns([2, 1, 1], vertical_alignment="bottom")
        sampled = left.toggle(f"Analyse a random sample of the {num_queries:,} queries",
                              value=size > 0,
                              help="A first look in seconds; the sample is drawn with the seed, "
                                   "so the same seed gives the same queries (CLI: --sample N "
                                   "--seed S)")
        wanted = mid.number_input("Queries in the sample", min_value=1,
                                  max_value=max(num_queries, 1),
                                  value=size or min(DEFAULT_SAMPLE, num_queries), step=500)
        seed = right.number_input("Seed", min_value=0, value=view.seed, step=1,
                                  help="Also the seed every strategy draws with")
        if st.form_submit_button("Apply"):
            view.sample = int(wanted) if sampled and wanted < num_queries else 0
            view.seed = int(seed)
            st.rerun()
    st.caption(f"Analysing a random sample of {size:,} of {num_queries:,} queries (seed "
               f"{view.seed})." if size else f"Analysing all {num_queries:,} queries.")
