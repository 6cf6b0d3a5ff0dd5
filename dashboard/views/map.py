"""Map: queries, positives and negatives in two dimensions, coloured by what you ask.

PCA is drawn at once; UMAP and t-SNE run only when asked (UMAP's first fit in a process pays
numba's compilation) and are cached on disk by ``analysis.measure.projection``. At most
``MAX_POINTS[method]`` points are drawn, with WebGL: 100,000 for PCA, 20,000 for UMAP and t-SNE
(UMAP on 20,000 points takes about 20-50 s on 2 cores; above that it switches to approximate
neighbours and t-SNE grows slower still). Larger pools are sampled (every query and positive
kept) and the count is stated. Box or lasso selection lists the selected points below.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import workspace as ws
from dashboard import charts, embeddings, judging, sampling, session, ui
from dashboard.state import MAP_COLOURS

MAX_POINTS = {"pca": 100_000, "umap": 20_000, "tsne": 20_000}
METHODS = {"pca": "PCA (instant)", "umap": "UMAP", "tsne": "t-SNE"}

view = session.view()
st.title("Map")
sampling.caption()
candidates = session.candidates()
key = session.pool_key()

if not session.can_embed():
    st.info("This pool does not record the model that scored it (a synthetic or foreign pool), "
            "so there are no embeddings to draw.")
    st.stop()
if not embeddings.offer("the map", key="map_encode"):
    st.stop()

left, right = st.columns([2, 3])
method = left.radio("Projection", list(METHODS), format_func=METHODS.get, horizontal=True,
                    key="map_method")
asked = st.session_state.setdefault("map_asked", {"pca"})
if method not in asked:
    right.info(f"{METHODS[method]} takes a while the first time (UMAP compiles once per machine); "
               "PCA is shown until you start it.")
    if right.button(f"Compute {METHODS[method]}", key="map_compute"):
        asked.add(method)
        st.rerun()
shown = method if method in asked else "pca"


@st.cache_data(max_entries=6, show_spinner=False)
def points(pool_key: str, method: str) -> tuple[pd.DataFrame, str]:
    table, note = ws.map_table(session.candidates(), *session.embeddings(), method=method,
                               max_points=MAX_POINTS[method])
    return table, note


if shown == "pca":
    table, note = points(key, shown)
else:
    with st.status(f"Computing {METHODS[shown]} (cached on disk for next time) ...", expanded=False) as status:
        table, note = points(key, shown)
        status.update(label=f"{METHODS[shown]} ready", state="complete")
st.caption(note)


@st.fragment
def chart() -> None:
    if "map_color" not in st.session_state:
        st.session_state["map_color"] = view.color
    view.color = st.radio("Colour by", MAP_COLOURS, horizontal=True, key="map_color")
    extra = {"doc_clusters": session.clusters()} if view.color == "cluster" else \
        {"risk": judging.suspects()} if view.color == "risk" else {}
    with ui.reported("Cannot colour the map"):
        coloured = table.assign(group=ws.map_colours(table, candidates, session.selections(),
                                                     by=view.color, **extra))
    fig = charts.scatter_map(coloured, x=f"{shown} 1", y=f"{shown} 2")
    event = st.plotly_chart(fig, key="map_chart", on_select="rerun", selection_mode=("box", "lasso"))
    points = event["selection"]["points"] if event else []
    picked = [p["customdata"] for p in points if "customdata" in p]
    if picked:
        chosen = coloured.loc[picked].drop(columns=["x", "y"])
        st.text(f"{len(chosen):,} points selected")
        st.dataframe(ws.with_texts(chosen, candidates), hide_index=True)
    else:
        st.caption("Draw a box or a lasso on the map to list the points inside it.")


chart()
