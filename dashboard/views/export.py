"""Export: the settings file, the equivalent miner calls, the training data, the review decisions.

The settings file is ``analysis.export.settings`` (JSON Schema-validated); ``python -m analysis apply
SETTINGS.json`` reproduces the same selection bit for bit from it. The miner snippets come from
``analysis.export.mappings``, which says where a tool cannot reproduce a strategy instead of pretending.
"""

from __future__ import annotations

import json

import streamlit as st

from analysis import workspace as ws
from analysis.export.mappings import TARGETS, mapping
from analysis.export.settings import check_decisions, loads
from analysis.export.training_data import FORMATS
from analysis.false_negatives.review import ACTIONS
from analysis.measure.query_sample import sample_note
from dashboard import multi, sampling, session, ui

if multi.active():  # several mined files: export one file's negatives, or a mix (issue 26)
    from dashboard import file_export_view

    file_export_view.render()
    session.write_url()  # st.stop() below ends the run before app.py writes it
    st.stop()
view = session.view()
st.title("Export")
sampling.caption()
if not view.strategies:
    st.info("Choose a strategy on the Compare page first.")
    st.stop()
candidates = session.candidates()
selections = session.selections()
with ui.reported("Cannot read the review decisions"):
    decisions = session.reviews().all()

names = [name for name, _ in view.strategies]
left, right = st.columns(2)
name = left.selectbox("Strategy to export", names, key="export_strategy")
params = dict(view.strategies)[name]
action = right.radio("Negatives reviewed as false_negative", ACTIONS, horizontal=True,
                     key="export_action", format_func={"drop": "drop them",
                                                       "promote": "promote them to positives"}.get,
                     help="As RLHN does; true_negative and unsure verdicts change nothing.")
selection = selections[name]
st.text(f"{name}: {len(selection):,} negatives for {selection.report.num_queries:,} queries, "
        f"seed {view.seed}, {len(decisions):,} review decision(s)"
        + (f"; on {sample_note(candidates)} (recorded in the settings: apply draws the same "
           "sample)" if sample_note(candidates) else ""))

# -- settings ----------------------------------------------------------------------------------
st.subheader("Settings file")


@st.cache_data(max_entries=8, show_spinner="Fingerprinting the inputs and the selection ...")
def settings_document(pool_key: str, specs: str, seed: int, name: str, action: str,
                      reviewed: str) -> dict:
    return ws.export_settings(view.data, candidates, selection, name=name, params=params,
                              seed=seed, format=view.format or None, decisions=decisions,
                              false_negatives=action).as_dict()


with ui.reported("Cannot write the settings"):
    settings = loads(settings_document(session.pool_key(), session.strategy_specs(), view.seed,
                                       name, action, decisions.to_json(date_format="iso")))
settings_text = json.dumps(settings.as_dict(), indent=2)
st.download_button("Download settings (JSON)", settings_text, "neglens-settings.json",
                   mime="application/json", type="primary", key="download_settings")
st.caption("Reproduce the selection anywhere with `python -m analysis apply neglens-settings.json "
           "--out negatives.jsonl`.")
with st.expander("Settings JSON"):
    st.code(settings_text, language="json")

# -- the same run in other tools ---------------------------------------------------------------
st.subheader("The same negatives with the miners you use")
for tab, target in zip(st.tabs(list(TARGETS)), TARGETS):
    with tab, ui.reported(f"Cannot map onto {target}"):
        mapped = mapping(settings, target)
        verdict = ("no equivalent" if not mapped.supported else
                   "exact (under the conditions below)" if mapped.exact else "approximate")
        st.text(f"{target}: {verdict}")
        if mapped.snippet:
            st.code(mapped.snippet, language="python" if target == "sentence-transformers" else "bash")
        for title, items in (("Conditions for the same negatives", mapped.conditions),
                             ("What differs", mapped.differences), ("Notes", mapped.notes)):
            if items:
                st.text(title + ":\n" + "\n".join(f"  - {item}" for item in items))

# -- training data -----------------------------------------------------------------------------
st.subheader("Training data")
fmt = st.selectbox("Format", FORMATS, key="export_format")
scores = st.checkbox("Include scores", value=False, key="export_scores",
                     disabled=fmt.startswith("tevatron"),
                     help="sentence-transformers: a scores column; FlagEmbedding: pos_scores/neg_scores")


@st.cache_data(max_entries=8, show_spinner="Writing the training data ...")
def training_file(pool_key: str, specs: str, seed: int, name: str, fmt: str, action: str,
                  scores: bool, reviewed: str) -> tuple[str, bytes, list[str]]:
    return ws.training_file(session.candidates(), session.selections()[name], format=fmt,
                            decisions=decisions, false_negatives=action,
                            scores=scores if not fmt.startswith("tevatron") else None)


with ui.reported("Cannot write the training data"):
    filename, content, notes = training_file(session.pool_key(), session.strategy_specs(),
                                             view.seed, name, fmt, action, scores,
                                             decisions.to_json(date_format="iso"))
st.download_button(f"Download {filename}", content, filename, key="download_training")
for note in notes:
    st.text(note)

# -- review decisions --------------------------------------------------------------------------
st.subheader("Review decisions")
if decisions.empty:
    st.text("No decisions yet: mark suspects on the Browse page.")
else:
    st.dataframe(decisions, hide_index=True)
    left, right = st.columns(2)
    left.download_button("Decisions (CSV)", decisions.to_csv(index=False), "neglens-review.csv",
                         mime="text/csv")
    right.download_button("Decisions (JSON)", json.dumps(check_decisions(decisions), indent=2),
                          "neglens-review.json", mime="application/json")
