"""Review: one negative at a time across all queries, a verdict a keystroke.

The queue (``analysis.false_negatives.queue``) shows the most probable false negative first,
mixes in uncertain and random ones, and refits its model every 10 verdicts; every verdict is
written to the review store at once, a random draw with its chance. The estimate
(``analysis.false_negatives.estimate.stored_estimate``, recomputed from the store, as on the
Overview and Compare pages and ``review estimate``) is the share of false negatives among all
negatives and among the filtered strategy's selection.
Texts from the data are shown as escaped Markdown (shared words highlighted), never as HTML.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_shortcuts import shortcut_button

from analysis.false_negatives.queue import ReviewQueue
from analysis.false_negatives.signals import SIGNAL_RULES
from analysis.scoring.file_rank import rank_label
from analysis.workspace import review as rv
from dashboard import judging, sampling, session, ui

KEYS = [("false_negative", "False negative", "f"), ("true_negative", "True negative", "t"),
        ("unsure", "Unsure", "u"), ("skip", "Skip", "s")]

st.title("Review")
sampling.caption()
candidates = session.candidates()
store = session.reviews()
judging.panel(key="review")
state_key = f"review_queue:{session.pool_key()}:{store.path}:{judging.applied()}"  # a judge: new risk
if state_key not in st.session_state:
    table = rv.queue_table(judging.suspects())
    with ui.reported("Cannot read the review decisions"):
        known = store.all()
    st.session_state[state_key] = ReviewQueue(table, known=known, seed=session.view().seed,
                                              prior_share=judging.prior_share())
queue: ReviewQueue = st.session_state[state_key]
table = queue.signals

# -- filters -----------------------------------------------------------------------------------
selections = session.selections()
left, middle, right = st.columns([2, 3, 2])
strategy = left.selectbox("Negatives of", ["all negatives", *selections], key="review_strategy")
search = middle.text_input("Query search (id or words)", key="review_search")
low, high = right.slider("Probability", 0.0, 1.0, (0.0, 1.0), 0.01, key="review_range")
chosen = rv.selection_mask(table, candidates, selections[strategy]) if strategy in selections else None
mask = rv.query_mask(table, candidates, search) & (queue.prob >= low) & (queue.prob <= high)
if chosen is not None:
    mask &= chosen
unfiltered = strategy not in selections and not search.strip() and (low, high) == (0.0, 1.0)


def act(verdict: str, qid: str, did: str) -> None:
    try:
        if verdict == "undo":
            step = queue.undo()
            if step is not None:
                key = (str(table["qid"].iat[step.row]), str(table["did"].iat[step.row]))
                (store.undo if hasattr(store, "undo") else store.unmark)(*key)
            return
        queue.answer(verdict)
        step = queue.steps[-1]
        if verdict != "skip":  # a random draw is stored with its chance: the estimate needs it
            store.mark(qid, did, verdict,
                       draw=None if np.isnan(step.chance) else (step.chance, step.p))
    except (ValueError, OSError) as exc:
        st.session_state["review_failed"] = str(exc)


row = queue.next(None if unfiltered else mask)
if "review_failed" in st.session_state:
    st.error(f"Could not save the verdict: {st.session_state.pop('review_failed')}")
counts = queue.counts()
cols = st.columns(4)
cols[0].metric("Reviewed", counts["reviewed"])
cols[1].metric("False negatives found", counts["found"])
cols[2].metric("Model precision (p >= 0.5)",
               "-" if np.isnan(counts["precision"]) else f"{counts['precision']:.0%}")
cols[3].metric("Model refits", counts["refits"])
share_slot = st.container()  # the share before review: filled last, so the item shows first
with ui.reported("Cannot read the review decisions"):
    for line in rv.estimate_lines(store, candidates, keys=queue.keys,
                                  masks={strategy: chosen} if chosen is not None else None):
        st.text(line)

if row is None:
    st.info("Nothing left to review under these filters.")
    shortcut_button("Undo", "z", on_click=act, args=("undo", "", ""), key="review_undo")
    with share_slot:
        judging.fn_share_lines(ask=True)
    st.stop()
shown = rv.item(candidates, table, row)
buttons = st.columns(len(KEYS) + 1)
for col, (verdict, label, key) in zip(buttons, KEYS):
    with col:
        shortcut_button(label, key, on_click=act, args=(verdict, shown["qid"], shown["did"]),
                        key=f"review_{verdict}", width="stretch",
                        type="primary" if verdict == "false_negative" else "secondary")
with buttons[-1]:
    shortcut_button("Undo", "z", on_click=act, args=("undo", "", ""), key="review_undo",
                    disabled=not queue.steps, width="stretch")
ui.shortcuts_skip_typing()  # typing f in the query search is not a verdict

words = rv.shared_words(shown["document"], shown["query"], *(t for _, t in shown["positives"]))
st.caption(f"Query {shown['qid']}")
st.markdown(rv.highlighted(shown["query"], words))
pos_col, neg_col = st.columns(2)
with pos_col:
    for did, text in shown["positives"]:
        st.caption(f"Positive {did}")
        st.markdown(rv.highlighted(text, words))
with neg_col:
    st.caption(f"Negative {shown['did']}: is it a false negative?")
    st.markdown(rv.highlighted(shown["document"], words))
judge = f" · judge {table['judge'].iat[row]:.4f}" if "judge" in table else ""
st.text(f"{rank_label(candidates)} {shown['rank']} · score {shown['score']:.4f} · gap {shown['gap']:.4f}{judge} · "
        f"probability {queue.prob[row]:.1%}")
st.text("signals: " + ", ".join(f"{k} {v:.2f}" for k, v in shown["signals"].items() if not np.isnan(v)))
with st.expander("What the signals mean"):
    for name in [*shown["signals"], "risk"]:
        st.text(f"{name}: {SIGNAL_RULES.get(name, '')}")
with share_slot:
    judging.fn_share_lines(ask=True)
