"""Compare: strategies from the registry, their parameters, and how their selections differ.

Every widget for a strategy parameter is built from the registry's declarations
(``dashboard.ui.param_widget``). Selections are cached per (pool, strategy JSON, seed), so
changing one parameter re-runs one strategy; the charts draw binned tables, never raw rows.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from analysis import workspace as ws
from analysis.measure import compare, file_clusters
from analysis.scoring.file_rank import rank_label, say_rank
from analysis.strategies import create, registry
from analysis.workspace import review as rv
from dashboard import charts, embeddings, file_charts, multi, sampling, session, ui

if multi.active():  # several mined files: side by side on one yardstick (issue 26)
    from dashboard import file_compare_view

    file_compare_view.render()
    session.write_url()  # st.stop() below ends the run before app.py writes it
    st.stop()
view = session.view()
st.title("Compare strategies")
sampling.caption()
strategies = registry()
candidates = session.candidates()

# -- choose strategies and their parameters ----------------------------------------------------
if "compare_names" not in st.session_state:
    st.session_state["compare_names"] = [name for name, _ in view.strategies]
left, right = st.columns([4, 1])
names = left.multiselect("Strategies", list(strategies), key="compare_names",
                         help="Each draws from the same candidate pool with its own generator "
                              "seeded by the seed on the right.")
if "compare_seed" not in st.session_state:
    st.session_state["compare_seed"] = view.seed
view.seed = int(right.number_input("Seed", min_value=0, step=1, key="compare_seed"))

previous = dict(view.strategies)
chosen: list[tuple[str, dict]] = []
columns = st.columns(3)
for i, name in enumerate(names):
    info = strategies[name]
    current = previous.get(name, {})
    with columns[i % 3].expander(f"{name}: {info.summary}", expanded=False):
        if info.source:
            st.caption(f"Source: {info.source}")
        values = {decl.name: ui.param_widget(decl, current.get(decl.name, decl.default),
                                             key=f"param:{name}:{decl.name}")
                  for decl in info.params}
        params = {k: v for k, v in values.items()
                  if v != next(d.default for d in info.params if d.name == k)}
        try:
            create(name, **params)
        except ValueError as exc:
            st.warning(f"{exc}; keeping the last valid parameters")
            params = current
    chosen.append((name, params))
view.strategies = chosen
if not chosen:
    st.info("Choose at least one strategy to compare.")
    st.stop()

selections = session.selections()
key, specs = session.pool_key(), session.strategy_specs()
specs_of = {name: json.dumps([name, params], sort_keys=True) for name, params in view.strategies}

with st.expander("Selection reports: filter counts and shortfalls"):
    for name, sel in selections.items():
        st.text(f"{name}: {len(sel):,} negatives for {sel.report.num_queries:,} queries "
                f"(asked {sel.report.requested} each)")
        for line in sel.report.lines():
            st.text("    " + say_rank(line, rank_label(candidates)))


@st.cache_resource(max_entries=3, show_spinner=False)
def pool_columns(pool_key: str):
    return compare.pool_columns(session.candidates())


@st.cache_resource(max_entries=6, show_spinner=False)
def axes(pool_key: str, column: str):
    """Bins and ECDF grid over the whole pool: they stay still while strategies change."""
    values = pool_columns(pool_key)[column].to_numpy()
    return ws.bin_edges(values, bins=50, integer=column != "gap"), ws.ecdf_grid(values)


@st.cache_data(max_entries=256, show_spinner=False)
def strategy_distribution(pool_key: str, spec: str, seed: int, name: str, column: str, kind: str):
    values = {name: pool_columns(pool_key)[column].to_numpy()[session.selections()[name].rows]}
    edges, grid = axes(pool_key, column)
    if kind == "ecdf":
        return ws.ecdf_table(values, grid=grid)
    return ws.histogram_table(values, edges=edges)


def distribution(column: str, kind: str):
    """One strategy at a time, so a parameter change recomputes one strategy's curves."""
    return pd.concat([strategy_distribution(key, specs_of[name], view.seed, name, column, kind)
                      for name in names], ignore_index=True)


@st.cache_data(max_entries=64, show_spinner=False)
def metrics_row(pool_key: str, spec: str, seed: int, name: str):
    return compare.summary(session.candidates(), {name: session.selections()[name]})


@st.cache_data(max_entries=16, show_spinner=False)
def jaccard(pool_key: str, specs: str, seed: int):
    return compare.overlap(session.selections())


@st.cache_data(max_entries=64, show_spinner=False)
def cluster_shares(pool_key: str, spec: str, seed: int, name: str):
    return ws.cluster_shares(session.candidates(), session.selections()[name], session.clusters(),
                             label=name)


RANK = rank_label(candidates)  # "file rank" on a scored file's own candidates
RANKS = {f"{'raw rank' if RANK == 'corpus rank' else RANK} (positives included)": "rank",
         f"{RANK} among non-positives (sentence-transformers range_min)": "neg_rank"}


@st.fragment
def rank_charts() -> None:
    label = st.radio("Rank", list(RANKS), horizontal=True, key="compare_rank_kind")
    column = RANKS[label]
    hist_col, ecdf_col = st.columns(2)
    hist_col.plotly_chart(charts.overlaid_histogram(
        distribution(column, "hist"), x=label, title=f"{RANK.capitalize()} distribution",
        groups=names), key="rank_hist")
    ecdf_col.plotly_chart(charts.ecdf(
        distribution(column, "ecdf"), x=label, title=f"{RANK.capitalize()} ECDF",
        groups=names), key="rank_ecdf")


st.subheader("Where the negatives come from")
rank_charts()

st.subheader("How hard they are")
gap_col, gap_ecdf_col = st.columns(2)
gap_col.plotly_chart(charts.overlaid_histogram(
    distribution("gap", "hist"), x="gap = s_pos - s_neg",
    title="Gap distribution", groups=names), key="gap_hist")
gap_ecdf_col.plotly_chart(charts.ecdf(
    distribution("gap", "ecdf"), x="gap = s_pos - s_neg", title="Gap ECDF",
    groups=names), key="gap_ecdf")
st.caption("gap = s_pos - s_neg, s_pos the query's lowest positive score: near or below 0 "
           "means a hard negative, or a possible false negative.")

st.subheader("Metrics")
metrics = pd.concat([metrics_row(key, specs_of[name], view.seed, name) for name in names],
                    ignore_index=True)
if RANK == "file rank":  # never a column that reads as a corpus rank
    metrics = metrics.rename(columns={f"{how}_{col}": f"{how} {RANK}{among}" for how in ("mean", "median")
                                      for col, among in (("rank", ""), ("neg_rank", " among non-positives"))})
shown = metrics.drop(columns=["strategy"]).set_index("selection").T.astype(float)  # metrics as rows
st.dataframe(shown, width="stretch",  # one column per strategy: fits the page at any count
             column_config={c: st.column_config.NumberColumn(format="%.4g") for c in shown.columns})
st.caption("coverage: share of queries that got every negative asked for; suspect_share: "
           "negatives scoring >= 95% of the positive (NV-Retriever); distinct_share: distinct "
           "documents / negatives; max_reuse / mean_reuse: queries served by one document.")

st.subheader("False negatives, estimated from reviews")
with ui.reported("Cannot read the review decisions"):
    for line in rv.estimate_lines(session.reviews(), session.candidates(), selections):
        st.text(line)

overlap_col, cluster_col = st.columns(2)
overlap_col.plotly_chart(charts.heatmap(jaccard(key, specs, view.seed),
                                        title="Overlap: Jaccard index of chosen (query, document) pairs"),
                         key="jaccard")
if session.clusters() is None:
    with cluster_col:
        if not embeddings.offer("the cluster distribution", key="compare_encode") \
                and not session.can_embed():
            st.info("No document clusters: these candidates have neither a cluster column nor "
                    "embeddings.")
else:
    shares = pd.concat([cluster_shares(key, specs_of[name], view.seed, name) for name in names],
                       ignore_index=True)
    st.plotly_chart(file_charts.share_heatmap(
        file_clusters.top_shares(shares), title="Cluster distribution: share of each strategy's negatives",
        basis="k-means"), key="clusters")
st.download_button("Strategies (JSON)", json.dumps(
    [create(n, **p).to_json() | {"seed": view.seed} for n, p in view.strategies], indent=2),
    "strategies.json", mime="application/json")
