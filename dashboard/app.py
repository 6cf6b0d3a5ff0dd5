"""NegLens dashboard: ``streamlit run dashboard/app.py -- --data sample_data``.

The entry point sets the page up, reads the view from the URL on a session's first run, lets
``st.navigation`` run the chosen page (the page is the URL path) and writes the view back into
the query string, so the address bar always reproduces what is on screen.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `streamlit run` puts only dashboard/ on the path
    sys.path.insert(0, str(REPO))

import streamlit as st  # noqa: E402

from dashboard import session  # noqa: E402

VIEWS = Path(__file__).parent / "views"
PAGES = [
    st.Page(VIEWS / "data.py", title="Data", icon=":material/folder_open:", url_path="data",
            default=True),
    st.Page(VIEWS / "overview.py", title="Overview", icon=":material/bar_chart:", url_path="overview"),
    st.Page(VIEWS / "browse.py", title="Browse", icon=":material/manage_search:", url_path="browse"),
    st.Page(VIEWS / "review.py", title="Review", icon=":material/rate_review:", url_path="review"),
    st.Page(VIEWS / "compare.py", title="Compare", icon=":material/compare_arrows:",
            url_path="compare"),
    st.Page(VIEWS / "map.py", title="Map", icon=":material/scatter_plot:", url_path="map"),
    st.Page(VIEWS / "export.py", title="Export", icon=":material/download:", url_path="export"),
    st.Page(VIEWS / "probe.py", title="Probe", icon=":material/model_training:", url_path="probe"),
]

st.set_page_config(page_title="NegLens", page_icon=":material/troubleshoot:", layout="wide")
page = st.navigation(PAGES)
view = session.view()
with st.sidebar:
    st.caption("Dataset")
    st.text(Path(view.data).name or view.data, help=view.data)
    for other in view.files:  # further files compared with it (issue 26)
        st.text(Path(other).name, help=other)
    for problem in st.session_state.get("url_problems", []):
        st.warning(problem)
try:
    if view.data and session.refused(view.data):     # never read outside the data root
        st.error(f"Refused: {session.refused(view.data)}", icon=":material/block:")
    else:
        page.run()
except Exception as exc:  # noqa: BLE001  every library failure is a message, the log keeps the traceback
    logging.getLogger("neglens.dashboard").exception("page %s failed", page.title)
    st.error(f"Something went wrong: {type(exc).__name__}: {exc}", icon=":material/error:")
finally:  # also after st.stop(): the URL must match what is shown
    session.write_url()
