"""Several mined files in the app (issue 26): which files, their union, the yardstick, the
comparison, each cached by small strings (the files' sha256, the sample, the seed, the
yardstick spec, the strategies' JSON), never by hashing a DataFrame.

``--data A --data B`` (or the Data page, or ``also=`` in the link) makes ``view.files`` the
files compared with ``view.data``. Opening a page never encodes: a model yardstick whose texts
are not all in the embedding cache waits for the page's **Encode** button (with its estimate).
"""

from __future__ import annotations

import json

import streamlit as st

from analysis import workspace as ws
from analysis.measure import yardstick
from dashboard import session, ui


def paths() -> list[str]:
    current = session.view()
    return [current.data, *current.files] if current.files else []


def active() -> bool:
    return len(paths()) >= 2


def _key() -> tuple[tuple[str, ...], tuple[str, ...], int, int]:
    found = paths()
    for path in found:
        problem = session.refused(path)
        if problem:
            st.error(f"Refused: {problem}", icon=":material/block:")
            st.stop()
    with ui.reported("Cannot read the files"):
        shas = tuple(ws.fingerprint(p) for p in found)
    current = session.view()
    return tuple(found), shas, int(current.sample), int(current.seed)


@st.cache_resource(max_entries=2, show_spinner="Opening and matching the files ...")
def _union(found: tuple, shas: tuple, sample: int, seed: int):
    from analysis.measure.file_match import open_files

    return open_files(list(found), sample=sample, seed=seed)


def union():
    with ui.reported("Cannot open the files"):
        return _union(*_key())


def spec_text() -> str:
    return session.view().yardstick or "model"


def spec():
    with ui.reported("Yardstick"):
        return yardstick.parse(spec_text(), union().names)


@st.cache_data(max_entries=8, show_spinner=False)
def _need(key: tuple, text: str):
    texts, cached, estimate = yardstick.need(_union(*key), yardstick.parse(text),
                                            rates_dir=ws.workspace_dir())
    return texts, cached, estimate


def need():
    return _need(_key(), spec_text())


@st.cache_resource(max_entries=4, show_spinner="Scoring the union's pairs on the yardstick ...")
def _measured(key: tuple, text: str):
    return yardstick.measure(_union(*key), yardstick.parse(text))


def measured(*, progress=None):
    """The yardstick's scores; None while a model yardstick still has texts to encode."""
    texts, cached, _ = need()
    if texts > cached and not st.session_state.get(f"encode:{spec_text()}"):
        return None
    with ui.reported("Cannot score on the yardstick"):
        return _measured(_key(), spec_text())


@st.cache_resource(max_entries=4, show_spinner="Judging the candidates (risk, clusters) ...")
def _prepared(key: tuple, text: str):
    from analysis.workspace.compare_files import prepare

    return prepare(_union(*key), _measured(key, text), seed=key[3])


@st.cache_resource(max_entries=16, show_spinner="Comparing the selections ...")
def _comparison(key: tuple, text: str, strategies: str, miners: str):
    from analysis.workspace.compare_files import compare, parse_strategy

    made = {s: parse_strategy(s) for s in json.loads(strategies)}
    return compare(_union(*key), _measured(key, text), strategies=made, seed=key[3],
                   miners=json.loads(miners), prepared=_prepared(key, text))


def strategy_specs() -> list[str]:
    return st.session_state.get("files_strategies", [])


def miners() -> dict[str, str]:
    return {name: text for name, text in st.session_state.get("files_miners", {}).items() if text}


def comparison():
    if measured() is None:
        return None
    with ui.reported("Cannot compare the files"):
        return _comparison(_key(), spec_text(), json.dumps(strategy_specs()),
                           json.dumps(miners(), sort_keys=True))


def data_section() -> None:
    """The Data page's "compare with more files" box."""
    current = session.view()
    with st.expander("Compare with other mined files over the same queries", expanded=active()):
        st.caption("One path per line. Queries are matched by id where the ids agree, else by "
                   "their normalised text; the Compare page shows the files side by side.")
        with st.form("more_files", border=False):
            typed = st.text_area("Further files", value="\n".join(current.files), height=90)
            if st.form_submit_button("Compare these files"):
                current.files = [line.strip() for line in typed.splitlines() if line.strip()]
                st.rerun()
        if active():
            for line in union().report.lines():
                st.text(line)
            st.page_link("views/compare.py", label="Compare the files", icon=":material/compare_arrows:")
