"""Browse: one query at a time, its positives, and its negatives with every false-negative signal.

Select negatives in the table and mark them ``false_negative``, ``true_negative`` or ``unsure``:
the verdict is written to the review file beside the data at once (``analysis.false_negatives.review``), so it
survives a reload and is applied on export. Texts from the data are shown as text only.
"""

from __future__ import annotations

import streamlit as st

from analysis import workspace as ws
from analysis.false_negatives.fusion import DEFAULT_RULE, FLAG_MAX, FLAG_MIN
from analysis.false_negatives.review import VERDICTS
from analysis.false_negatives.signals import SIGNAL_RULES
from analysis.scoring.file_rank import rank_label
from dashboard import embeddings, judging, sampling, session, signals, ui
from dashboard.state import BROWSE_FILTERS

view = session.view()
st.title("Browse")
sampling.caption()
candidates = session.candidates()
rank = rank_label(candidates)  # "file rank" on a scored file's own candidates
signals_of = signals.lazy_suspects()  # per chunk of queries, when shown
# a judge's kept scores change the risk of every negative: then the whole judged table is used
judged_table = judging.suspects() if judging.scores() is not None else None
store = session.reviews()
with ui.reported("Cannot read the review decisions"):
    decisions = store.all()

judging.panel(key="browse")

# -- which query -------------------------------------------------------------------------------
left, right = st.columns([3, 2])
search = left.text_input("Search queries (id or words)", key="browse_search")
if "browse_only" not in st.session_state:
    st.session_state["browse_only"] = view.only
view.only = right.radio("Show", BROWSE_FILTERS, horizontal=True, key="browse_only",
                        format_func={"all": "all", "suspects": "suspects only",
                                     "reviewed": "reviewed only"}.get,
                        help="Filters the query list and the negatives shown.")
if judged_table is not None:
    table = judged_table
else:
    table = signals.suspects() if view.only == "suspects" else signals_of.known()
queries = ws.query_list(candidates, table, decisions, only=view.only, search=search)
if queries.empty:
    st.info("No query matches: widen the search or show all.")
    st.stop()
qids = queries["qid"].tolist()
if st.session_state.get("browse_query") in qids:
    view.query = st.session_state["browse_query"]
elif view.query not in qids:
    view.query = qids[0]


def step(offset: int) -> None:
    index = qids.index(view.query) + offset
    view.query = qids[min(max(index, 0), len(qids) - 1)]
    st.session_state["browse_query"] = view.query


st.session_state["browse_query"] = view.query
labels = dict(zip(queries["qid"], queries["text"]))
prev_col, pick_col, next_col = st.columns([1, 8, 1], vertical_alignment="bottom")
prev_col.button("Previous", on_click=step, args=(-1,), disabled=qids.index(view.query) == 0,
                width="stretch")
view.query = pick_col.selectbox(  # a window of the list around the query: 100k options took 1 s
    f"Query ({qids.index(view.query) + 1} of {len(qids)})", ws.query_window(qids, view.query),
    key="browse_query", format_func=lambda q: f"{q} · {labels[q][:120]}",
    help=f"Lists the {ws.QUERY_WINDOW:,} queries around this one; search to find others."
    if len(qids) > ws.QUERY_WINDOW else None)
next_col.button("Next", on_click=step, args=(1,), disabled=qids.index(view.query) == len(qids) - 1,
                width="stretch")

ui.show_passage("Query", labels[view.query])
positives = ws.query_positives(candidates, view.query)
for _, row in positives.iterrows():
    ui.show_passage(f"Positive · {rank} {row['rank']} · score {row['score']:.4f}"
                    f"{judging.of(view.query, row['did'])}", row["document"])

# -- its negatives -----------------------------------------------------------------------------
with_signals = judged_table if judged_table is not None else signals_of.for_query(view.query)
negatives = ws.query_negatives(candidates, with_signals, decisions, view.query, only=view.only)
signal_cols = [c for c in negatives.columns if c.endswith("_score") and c != "score"]
st.subheader(f"Negatives ({len(negatives)})")
with st.expander("What the signals mean"):
    for name in [s.removesuffix("_score") for s in signal_cols] + ["risk"]:
        st.text(f"{name}: {SIGNAL_RULES[name]}")
if session.can_embed() and session.embeddings() is None:
    with st.expander("More signals: near duplicates and document clusters (need embeddings)"):
        embeddings.offer("the near-duplicate signal and the document clusters", key="browse_encode")
judged = [c for c in ("judge",) if c in negatives]  # the judge's score, once it has scored
shown = negatives[["did", "rank", "score", "gap", *judged, "risk", "verdict", *signal_cols, "is_suspect",
                   "document"]].rename(columns={"rank": rank})
config = {c: st.column_config.ProgressColumn(c.removesuffix("_score"), min_value=0.0, max_value=1.0,
                                             format="%.2f", width="small")
          for c in signal_cols}
config["risk"] = st.column_config.NumberColumn(
    "risk", format="percent", width="small",
    help="probability that the negative is a false negative; flagged at >= 15%; with a judge "
         f"(the evidence risk) the {DEFAULT_RULE.flag_of_share:.0%} riskiest of the false "
         f"negatives the share before review implies ({FLAG_MIN:.1%} to {FLAG_MAX:.0%} of negatives)")
config["judge"] = st.column_config.NumberColumn(
    "judge", format="%.4f", width="small", help=f"the judge {view.judge}'s score of the pair")
config["document"] = st.column_config.TextColumn("document", width="large")
event = st.dataframe(shown, hide_index=True, on_select="rerun", selection_mode="multi-row",
                     column_config=config, key=f"browse_table:{view.query}:{view.only}")
picked = shown.iloc[event.selection.rows] if event else shown.iloc[:0]


def mark(verdict: str | None, keys: list[tuple[str, str]]) -> None:
    try:
        if verdict is None:
            store.unmark_many(keys)
        else:
            store.mark_many(keys, verdict)
    except (ValueError, OSError) as exc:
        st.session_state["browse_failed"] = str(exc)
        return
    st.session_state["browse_saved"] = (verdict, len(keys))


keys = [(view.query, did) for did in picked["did"]]
cols = st.columns(len(VERDICTS) + 1)
for col, verdict in zip(cols, VERDICTS):
    col.button(f"Mark {verdict}", key=f"mark:{verdict}", on_click=mark, args=(verdict, keys),
               disabled=not keys, width="stretch",
               type="primary" if verdict == "false_negative" else "secondary")
cols[-1].button("Clear verdict", on_click=mark, args=(None, keys), disabled=not keys, width="stretch")
if "browse_failed" in st.session_state:
    st.error(f"Could not save the decision: {st.session_state.pop('browse_failed')}")
if "browse_saved" in st.session_state:
    verdict, count = st.session_state.pop("browse_saved")
    st.toast(f"Saved: {count} negative(s) {'cleared' if verdict is None else verdict}")
verdicts = decisions[decisions["qid"].astype(str) == view.query]["verdict"].value_counts()
st.text("Verdicts on this query: " + (", ".join(f"{v} {n}" for v, n in verdicts.items()) or "none")
        + f"  ·  saved at once to {ws.display_path(store.path)}")
for _, row in picked.iterrows():
    ui.show_passage(f"Negative {row['did']} · {rank} {row[rank]} · risk {row['risk']:.0%}",
                    row["document"])
