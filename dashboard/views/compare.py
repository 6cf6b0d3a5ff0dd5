"""Compare: strategies from the registry, their parameters, and how their selections differ.

Every widget for a strategy parameter is built from the registry's declarations
(``dashboard.ui.param_widget``). Selections are cached per (pool, strategy JSON, seed), so
changing one parameter re-runs one strategy; the charts draw binned tables, never raw rows.
"""

from __future__ import annotations

import json

import streamlit as st

from analysis import workspace as ws
from analysis.strategies import create, registry
from dashboard import charts, session, ui

view = session.view()
st.title("Compare strategies")
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

with st.expander("Selection reports: filter counts and shortfalls"):
    for name, sel in selections.items():
        st.text(f"{name}: {len(sel):,} negatives for {sel.report.num_queries:,} queries "
                f"(asked {sel.report.requested} each)")
        for line in sel.report.lines():
            st.text("    " + line)


@st.cache_resource(max_entries=6, show_spinner=False)
def pool_column(pool_key: str, column: str):
    return ws.pool_column(session.candidates(), column)


@st.cache_data(max_entries=32, show_spinner=False)
def distribution(pool_key: str, specs: str, seed: int, column: str, kind: str):
    values = {name: pool_column(pool_key, column)[sel.rows]
              for name, sel in session.selections().items()}
    if kind == "ecdf":
        return ws.ecdf_table(values)
    return ws.histogram_table(values, bins=50, integer=column != "gap")


RANKS = {"raw rank (positives included)": "rank",
         "rank among non-positives (sentence-transformers range_min)": "neg_rank"}


@st.fragment
def rank_charts() -> None:
    label = st.radio("Rank", list(RANKS), horizontal=True, key="compare_rank_kind")
    column = RANKS[label]
    hist_col, ecdf_col = st.columns(2)
    hist_col.plotly_chart(charts.overlaid_histogram(
        distribution(key, specs, view.seed, column, "hist"), x=label, title="Rank distribution",
        groups=names), key="rank_hist")
    ecdf_col.plotly_chart(charts.ecdf(
        distribution(key, specs, view.seed, column, "ecdf"), x=label, title="Rank ECDF",
        groups=names), key="rank_ecdf")


st.subheader("Where the negatives come from")
rank_charts()

st.subheader("How hard they are")
gap_col, gap_ecdf_col = st.columns(2)
gap_col.plotly_chart(charts.overlaid_histogram(
    distribution(key, specs, view.seed, "gap", "hist"), x="gap = s_pos - s_neg",
    title="Gap distribution", groups=names), key="gap_hist")
gap_ecdf_col.plotly_chart(charts.ecdf(
    distribution(key, specs, view.seed, "gap", "ecdf"), x="gap = s_pos - s_neg", title="Gap ECDF",
    groups=names), key="gap_ecdf")
st.caption("gap = s_pos - s_neg, s_pos the query's lowest positive score: near or below 0 "
           "means a hard negative, or a possible false negative.")
st.download_button("Strategies (JSON)", json.dumps(
    [create(n, **p).to_json() | {"seed": view.seed} for n, p in view.strategies], indent=2),
    "strategies.json", mime="application/json")
