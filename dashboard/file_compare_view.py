"""The Compare page when several files are open: which is harder, which overlaps, which is
padded, which holds sibling positives, all on one stated yardstick (issue 26)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from analysis import workspace as ws
from analysis.strategies import registry
from dashboard import charts, file_charts, multi, session, ui

ROWS = {  # metric -> (label, format)
    "kind": ("selection of", "{}"), "queries": ("queries", "{:,}"), "negatives": ("negatives", "{:,}"),
    "median_rank": ("median rank (yardstick)", "{:,.0f}"), "mean_rank": ("mean rank", "{:,.1f}"),
    "median_gap": ("median gap s_pos - s_neg", "{:.3f}"), "fn_suspects": ("false-negative suspects", "{:,}"),
    "fn_share_est": ("estimated false-negative share (fn-share)", "{:.1%}"),
    "fn_share_high": ("  its 95% interval's upper end", "{:.1%}"), "mean_risk": ("mean risk", "{:.1%}"),
    "sibling_positives": ("sibling positives", "{:,}"), "padding": ("padding (random filler)", "{:,}"),
    "padding_share": ("padding share", "{:.1%}"), "distinct_share": ("distinct docs / negatives", "{:.2f}"),
    "max_reuse": ("most queries one doc serves", "{:,}"), "cluster_entropy": ("cluster entropy (bits)", "{:.2f}"),
    "only_here": ("negatives no other file has", "{:,}"),
}


def _yardstick_picker(names: list[str]) -> None:
    current = session.view()
    options = ["model"] + [f"file:{n}" for n in names] + ["pool:", "model:", "cross-encoder:"]
    labels = {"model": "all-MiniLM-L6-v2 (packaged)", "pool:": "a pool Parquet ...",
              "model:": "another bi-encoder ...", "cross-encoder:": "a cross-encoder ..."}
    text = multi.spec_text()
    kind = text if text in options else text.split(":", 1)[0] + ":"
    left, right = st.columns([2, 3])
    chosen = left.selectbox("Yardstick", options, index=options.index(kind) if kind in options else 0,
                            format_func=lambda o: labels.get(o, f"the scores in {o[5:]}"),
                            help="The files' own scores come from different models: every rank and gap "
                                 "below is measured on this one scorer.")
    if chosen.endswith(":"):
        value = right.text_input("Path or model name", value=text.split(":", 1)[1] if ":" in text else "")
        current.yardstick = chosen + value.strip() if value.strip() else current.yardstick
    else:
        current.yardstick = "" if chosen == "model" else chosen


def _encode_offer() -> None:
    texts, cached, estimate = multi.need()
    st.info(f"The yardstick {multi.spec_text()} needs the embeddings of the union's {texts:,} texts: "
            f"{cached:,} are cached; {estimate.describe()}. Nothing is encoded until you press the button.")
    if st.button("Encode the texts", type="primary", key="files_encode"):
        st.session_state[f"encode:{multi.spec_text()}"] = True
        st.rerun()


def _metrics(cmp) -> pd.DataFrame:
    table = cmp.table.set_index("name")
    out = {}
    for key, (label, fmt) in ROWS.items():
        if key in table.columns:
            out[label] = [fmt.format(v) if v == v else "n/a" for v in table[key]]
    return pd.DataFrame(out, index=table.index).T


def render() -> None:
    st.title("Compare files")
    union = multi.union()
    with st.expander(f"Match report: {union.report.common_queries:,} of {union.report.union_queries:,} "
                     "queries are in every file", expanded=False):
        for line in union.report.lines():
            st.text(line)
    _yardstick_picker(union.names)
    names = st.multiselect("Strategies over the union of candidates (optional)", list(registry()),
                           key="files_strategies",
                           help="Each re-samples the union's candidates on the yardstick's scores.")
    cmp = multi.comparison()
    if cmp is None:
        _encode_offer()
        return
    note = cmp.statement
    st.caption(note + (" · " + " · ".join(cmp.measured.notes) if cmp.measured.notes else ""))
    for line in verdict(cmp):
        st.markdown("- " + line)  # names only: file names and numbers, never data text
    st.subheader("Metrics")
    st.table(_metrics(cmp))
    st.caption("padding: negatives far below the file's own candidate range (4x its lower-quartile "
               "yardstick rank), the signature of random filler; sibling positives: negatives "
               "another file labels positive for the query, or near-copies of a positive; "
               "false-negative share: fn-share's positive-unlabelled estimate over the negatives.")
    rank_col, gap_col = st.columns(2)
    ranks = cmp.values("rank")
    top = max((float(np.nanmax(v)) for v in ranks.values() if len(v)), default=1.0)
    rank_fig = charts.ecdf(ws.ecdf_table(ranks, grid=np.unique(np.geomspace(1, max(top, 2), 200).round())),
                           x="rank on the yardstick (log scale, positives included)",
                           title=file_charts._title("Rank ECDF", note, 60), groups=list(cmp.selections))
    rank_fig.update_xaxes(type="log")
    rank_fig.update_layout(margin=dict(t=90))
    rank_col.plotly_chart(rank_fig, key="files_rank_ecdf")
    gap_fig = charts.ecdf(ws.ecdf_table(cmp.values("gap")), x="gap = s_pos - s_neg on the yardstick",
                          title=file_charts._title("Gap ECDF", note, 60), groups=list(cmp.selections))
    gap_fig.update_layout(margin=dict(t=90))
    gap_col.plotly_chart(gap_fig, key="files_gap_ecdf")
    left, right = st.columns(2)
    left.plotly_chart(file_charts.matrix(file_charts.jaccard_matrix(cmp.overlap, list(cmp.selections)),
                                         title="Overlap: Jaccard of (query, negative) pairs",
                                         note="over the queries both hold"), key="files_jaccard")
    if cmp.clusters is not None:
        right.plotly_chart(file_charts.matrix(cmp.js(), title="Cluster distributions: Jensen-Shannon",
                                              note="0 = the same spread, 1 = disjoint"), key="files_js")
        st.plotly_chart(file_charts.share_heatmap(cmp.cluster_shares(), title="Where the negatives fall: "
                                                  "share per document cluster", note=note,
                                                  basis=cmp.cluster_basis and _basis(cmp.cluster_basis)),
                        key="files_clusters")
    _flags(cmp)
    _calls(union.names)


def _md(name: str) -> str:
    return "`" + str(name).replace("`", "'") + "`"


def verdict(cmp) -> list[str]:
    """One line each: which is harder, which overlaps, which is padded, which holds siblings."""
    t = cmp.table.set_index("name")
    out = [f"**Hardest** (lowest median rank on the yardstick): {_md(t['median_rank'].idxmin())} "
           f"({t['median_rank'].min():,.0f}); easiest: {_md(t['median_rank'].idxmax())} "
           f"({t['median_rank'].max():,.0f})"]
    if len(cmp.overlap):
        top = cmp.overlap.sort_values("jaccard", ascending=False).iloc[0]
        out.append(f"**Most overlap**: {_md(top['a'])} and {_md(top['b'])} (Jaccard {top['jaccard']:.2f})")
    padded = t[t["padding"] > 0].sort_values("padding_share", ascending=False)
    out.append("**Padded**: " + (", ".join(f"{_md(n)} ({r.padding:,}, {r.padding_share:.0%})"
                                           for n, r in padded.iterrows()) or "none"))
    sib = t[t["sibling_positives"] > 0]
    out.append("**Sibling positives**: " + (", ".join(f"{_md(n)} ({r.sibling_positives:,})"
                                                       for n, r in sib.iterrows()) or "none"))
    return out


def _basis(key: str) -> str:
    from analysis.measure.file_clusters import BASES

    return BASES[key]


def _flags(cmp) -> None:
    st.subheader("Padding and sibling positives")
    nset = cmp.union.nset
    qtext, dtext = nset.queries["text"].astype(str).to_numpy(), nset.docs["text"].astype(str).to_numpy()
    counts = {n: int(cmp.padding[n].sum() + (cmp.siblings[n] != "").sum()) for n in cmp.selections}
    names = sorted(cmp.selections, key=lambda n: -counts[n])  # the most flagged first
    name = st.selectbox("Show the flagged negatives of", names, key="files_flag_of",
                        format_func=lambda n: f"{n} ({counts[n]:,} flagged)")
    rows = cmp.selections[name]
    flag = pd.Series("", index=range(len(rows)), dtype=object)
    flag[cmp.padding[name]] = "padding"
    sib = cmp.siblings[name] != ""
    flag[sib] = "sibling (" + pd.Series(cmp.siblings[name][sib]).to_numpy() + ")"
    picked = flag != ""
    shown = pd.DataFrame({"flag": flag[picked].to_numpy(),
                          "rank": cmp.columns["rank"].to_numpy()[rows][picked.to_numpy()],
                          "query": qtext[cmp.columns["q"].to_numpy()[rows][picked.to_numpy()]],
                          "negative": dtext[cmp.columns["d"].to_numpy()[rows][picked.to_numpy()]]})
    st.caption(f"{int(picked.sum()):,} of {len(rows):,} negatives of {name} are flagged")
    st.dataframe(shown.head(500), hide_index=True, width="stretch")


def _calls(names: list[str]) -> None:
    st.subheader("What each file's settings imply")
    st.caption("Say how a file was mined, in its miner's words, e.g. "
               "sentence-transformers:range_min=10,relative_margin=0.05,num_negatives=5 or "
               "flagembedding:range_for_sampling=10-210,negative_number=15.")
    given = st.session_state.setdefault("files_miners", {})
    for name in names:
        given[name] = st.text_input(f"How {name} was mined", value=given.get(name, ""), key=f"miner:{name}")
    with ui.reported("Miner settings"):
        calls = multi.comparison().calls
    for name, call in calls.items():
        st.text(f"{name}: the {call['miner']} call")
        st.code(call["call"], language="python" if call["miner"] != "flagembedding" else "bash")
        for line in call["differences"][:3]:
            st.caption("- " + line)
