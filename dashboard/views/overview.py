"""Overview: counts, the statistics table, score and gap distributions, filter removal counts.

Groups are the pool's sources (``pool``; a loaded file's own pairs keep their file name) and
each compared strategy's selection. The estimated share of false negatives comes from the
review store (``analysis.workspace.review.estimate_lines``). The statistics are sentence-transformers' table
(``analysis.measure.stats``); ``gap = s_pos - s_neg`` with ``s_pos`` the query's lowest positive score.
"""

from __future__ import annotations

import streamlit as st

from analysis import workspace as ws
from analysis.scoring.file_rank import FILE_RANK, rank_label, say_rank
from analysis.workspace import review as rv
from dashboard import charts, judging, sampling, session, ui

view = session.view()
st.title("Overview")
sampling.caption()
pool = session.pool()
selections = session.selections()
rank = rank_label(pool)
if rank == FILE_RANK:
    st.caption("Candidates: the file's own positives and negatives with its own scores; every "
               "rank here is a file rank (position in the file's score order per query, "
               "positives included), not a corpus rank.")


@st.cache_data(max_entries=8, show_spinner="Computing the statistics ...")
def tables(key: str, specs: str, seed: int) -> dict:
    return ws.overview_tables(session.pool(), session.candidates(), session.selections())


pairs = pool.pairs
cols = st.columns(5)
cols[0].metric("Queries", f"{len(pool.queries):,}")
cols[1].metric("Documents", f"{len(pool.docs):,}")
if rank == FILE_RANK:   # a file's own candidates: no pool rows, the file's pairs are the candidates
    cols[2].metric("Candidates", f"{len(session.candidates().pairs):,}")
else:
    cols[2].metric("Pool candidates", f"{int((pairs['source'] == 'pool').sum()):,}")
cols[3].metric("Labelled positives", f"{session.candidates().num_positives:,}")
cols[4].metric("Strategies compared", len(selections))

data = tables(session.pool_key(), session.strategy_specs(), view.seed)

st.subheader("False negatives among the negatives")
share_slot = st.container()  # the share before any review, filled last (its bootstrap takes
                             # seconds on a large sample; the rest of the page shows meanwhile)
with ui.reported("Cannot read the review decisions"):
    for line in rv.estimate_lines(session.reviews(), session.candidates(), selections):
        st.text(line)

st.subheader("Score statistics")
st.caption("Per group: positive scores, negative scores, and Difference = s_pos - s_neg "
           "(s_pos: the query's lowest positive score), as sentence-transformers prints them.")
stats = data["stats"]
column = st.radio("Statistics of", ["difference", "negative", "positive"], horizontal=True,
                  key="overview_column")
table = stats.pivot(index="source", columns="metric", values=column)
table = table.reindex(index=list(dict.fromkeys(stats["source"])),
                      columns=list(dict.fromkeys(stats["metric"])))
st.dataframe(table.rename_axis("group"), column_config={"Count": st.column_config.NumberColumn(format="%d")})

left, right = st.columns(2)
score_axis = "score in the file (the miner's)" if rank == FILE_RANK else "bi-encoder score (cosine)"
left.plotly_chart(charts.overlaid_histogram(data["scores"], x=score_axis,
                                            title="Score distribution"), key="scores")
right.plotly_chart(charts.overlaid_histogram(data["gaps"], x="gap = s_pos - s_neg",
                                             title="Gap distribution (negatives)"), key="gaps")

st.subheader("What each strategy's filters removed")
st.caption("Sequential counts, as sentence-transformers prints them: each filter counts only "
           "what the earlier ones left. 'shortfall' counts queries that got fewer negatives "
           "than asked (never padded with random documents).")
st.dataframe(data["filters"].assign(rule=[say_rank(str(r), rank) for r in data["filters"]["rule"]]),
             hide_index=True)
with share_slot:
    judging.fn_share_lines()
