"""Data: choose the dataset, see how it loaded, set the pool up and build it.

Nothing heavy is imported before the load report is on screen: the pool is read from the disk
cache when it is there, and built (model loaded, texts encoded, corpus searched, under progress
bars) only for the dataset the app was started on or when "Build pool" is pressed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis import workspace as ws
from analysis.formats import detect_format, formats
from dashboard import embeddings, multi, sampling, session, ui

view = session.view()
st.title("Data")

# -- where the data comes from -----------------------------------------------------------------
startup = session.startup_data()
SOURCES = (f"Start dataset ({Path(startup).name})", "Path on this server", "Upload a file")
if "data_source" not in st.session_state:
    st.session_state["data_source"] = SOURCES[0] if view.data == startup else SOURCES[1]
source = st.radio("Source", SOURCES, key="data_source", horizontal=True)

if source == SOURCES[0]:
    if view.data != startup:
        view.data, view.format = startup, ""
elif source == SOURCES[1]:
    with st.form("data_path_form", border=False):
        typed = st.text_input("File or folder on the server", value=view.data,
                              help="Any format NegLens reads: a BEIR folder, a SMART collection, "
                                   "sentence-transformers / FlagEmbedding / Tevatron files, a pool")
        if st.form_submit_button("Load") and typed.strip() != view.data:
            session.choose_data(typed.strip())
else:
    upload = st.file_uploader("One data file (JSONL, CSV, Parquet)", accept_multiple_files=False)
    if upload is not None:
        with ui.reported("Cannot store the upload"):
            saved = session.store_upload(upload.name, upload.getvalue())
        if str(saved) != view.data:
            view.data, view.format = str(saved), ""

st.text(f"Dataset: {view.data}")
multi.data_section()  # several mined files over the same queries (issue 26)

# -- format and load report --------------------------------------------------------------------
with ui.reported(f"Cannot read {view.data}"):
    detected = detect_format(view.data)
names = ["auto"] + list(formats())
chosen = st.selectbox("Format", names, index=names.index(view.format) if view.format in names else 0,
                      format_func=lambda n: f"auto-detect ({detected})" if n == "auto" else n,
                      help="Detected from the file's name and first record; override it when "
                           "detection guesses wrong.")
view.format = "" if chosen == "auto" else chosen

nset = session.dataset()
summary = nset.summary()
st.subheader("Load report")
cols = st.columns(6)
for col, (label, value) in zip(cols, [("Format", summary["format"]), ("Queries", summary["queries"]),
                                      ("Documents", summary["docs"]),
                                      ("Positives", summary["positives"]),
                                      ("Negatives", summary["negatives"]),
                                      ("Skipped rows", len(summary["skipped"]))]):
    col.metric(label, f"{value:,}" if isinstance(value, int) else str(value))
own_scored = bool(nset.meta.get("own_pair_scores"))
scored = "no (its own pairs scored here)" if own_scored else "yes" if summary["has_scores"] else "no"
st.caption(f"Scores in the file: {scored} · "
           f"ranks in the file: {'yes' if summary['has_ranks'] else 'no'}")
st.dataframe(pd.DataFrame({"source": summary["sources"]}), hide_index=True)
if summary["skipped"]:
    skipped = pd.DataFrame(summary["skipped"])
    st.warning(f"{len(skipped):,} rows could not be read; they are listed below, with reasons.")
    st.dataframe(skipped, hide_index=True)
    left, right = st.columns(2)
    left.download_button("Skipped rows (CSV)", skipped.to_csv(index=False), "skipped_rows.csv",
                         mime="text/csv")
    right.download_button("Skipped rows (JSON)", json.dumps(summary["skipped"], indent=2),
                          "skipped_rows.json", mime="application/json")

# -- which queries ----------------------------------------------------------------------------
st.subheader("Queries analysed")
sampling.control(len(nset.queries))

# -- the candidates ------------------------------------------------------------------------------
from analysis.scoring.estimate import estimate_build, pool_texts  # noqa: E402

st.subheader("Candidates")
kind = session.candidates_kind()
if ws.is_pool(nset):
    st.info("This file already is a candidate pool: it is used as it is.")
    st.json(nset.meta.get("pool", {}), expanded=False)
elif kind == "file":
    st.success(f"{'Its own pairs are scored' if own_scored else 'This file carries scores'}, "
               "so it is analysed as it is: per query its positives "
               "and negatives ordered by the file's score. Every page shows the **file rank** "
               "(position in that order, positives included), not a corpus rank. No model is "
               "loaded and nothing is encoded to open a page.")
elif kind == "":
    embeddings.own_pairs_offer(nset)
if own_scored:
    st.caption("Scores: its own pairs scored with the packaged all-MiniLM-L6-v2 (kept in the "
               "workspace cache).")
estimate = estimate_build(pool_texts(nset), cache_dir=ws.workspace_dir())
address = ws.ray_address()  # $NEGLENS_RAY_ADDRESS: pools may also be built on that Ray cluster
if not ws.is_pool(nset):
    with st.expander("Re-mine from the whole corpus (build a pool)", expanded=kind == ""):
        if kind == "":
            st.caption("Second choice: a pool searches every corpus document for each query "
                       "(nothing is encoded until you press Build pool).")
        on_ray = estimate_build(pool_texts(nset), engine="ray", cache_dir=ws.workspace_dir())
        st.caption(f"A pool {estimate.describe()}"
                   + (f"; on the Ray cluster it {on_ray.describe()}" if address else "")
                   + ". The result is cached; pressing Cancel (or leaving the page) stops the "
                     "build, and a build started again resumes its search where it stopped.")
        with st.form("pool_settings"):
            left, mid, right = st.columns(3)
            model = left.text_input("Bi-encoder", value=view.model,
                                    placeholder="all-MiniLM-L6-v2 (packaged)",
                                    help="A sentence-transformers model name or local path; "
                                         "empty = the packaged all-MiniLM-L6-v2 (no download)")
            top_n = mid.number_input("Candidates per query (top N)", min_value=1,
                                     max_value=10_000, value=view.top_n, step=10)
            cross = right.text_input("Cross-encoder (optional)", value=view.cross_encoder,
                                     placeholder="none", help="Rescore candidates: adds ce_score")
            engine = st.radio("Engine", ws.ENGINES, horizontal=True, key="pool_engine",
                              format_func=lambda e: "This machine" if e == "local"
                              else f"Ray cluster ({address})",
                              help="Ray encodes and searches on the cluster at "
                                   "$NEGLENS_RAY_ADDRESS: the same pool") if address else "local"
            pressed = st.form_submit_button("Build pool", type="primary")
        if pressed:
            view.model, view.top_n, view.cross_encoder = model.strip(), int(top_n), cross.strip()
            st.button("Cancel", key="cancel_pool")  # any rerun stops the running build
            bar = ui.ProgressBar(f"Building the pool ({(on_ray if engine == 'ray' else estimate).describe()})")
            session.build_pool(bar, engine)
            bar.done()
            st.rerun()

if session.candidates_kind():
    pool = session.pool()
    counts = pool.pairs.groupby("source", observed=True)["label"].agg(["size", "sum"])
    own = session.candidates_kind() == "file"
    rank = "file rank" if own else "corpus rank"
    st.success(f"{'Candidates' if own else 'Pool'} ready: {len(pool.queries):,} queries, {len(pool.docs):,} documents, "
               f"{int((pool.pairs['source'] == 'pool').sum()):,} candidates ({rank}).")
    st.dataframe(counts.rename(columns={"size": "pairs", "sum": "positives"}))
    st.page_link("views/compare.py", label="Compare strategies on these candidates",
                 icon=":material/compare_arrows:")
