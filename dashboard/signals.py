"""The false-negative signals of the current candidates, for the pages that show them.

Browse asks per chunk of queries (``lazy_suspects``: only the query on screen is computed);
Review, Map and "suspects only" need every negative (``suspects``, with a progress bar for the
chunks still missing). Cached by the session's keys (``dashboard.session``), never a DataFrame.
"""

from __future__ import annotations

import streamlit as st

from analysis import workspace as ws
from dashboard import session, ui


@st.cache_resource(max_entries=2, show_spinner=False)
def _lazy_suspects(args: session._Args, has_embeddings: bool):
    doc_emb = session._embeddings(args)[1] if has_embeddings else None
    return ws.lazy_suspects(session._candidates(args), doc_emb=doc_emb,
                            clusters=session._clusters(args, has_embeddings),
                            bm25_index=session._term_index(args))


def lazy_suspects():
    """The signals, per chunk of queries when a page asks (``browse_signals.LazySuspects``)."""
    session.candidates()
    has = session.embeddings() is not None
    with ui.reported("Cannot compute the false-negative signals"):
        return _lazy_suspects(session._args(), has)


def suspects():
    """Every pool negative with its signals, risk and gap (missing chunks computed now, with a bar)."""
    lazy = lazy_suspects()
    with ui.reported("Cannot compute the false-negative signals"):
        if lazy.complete:
            return lazy.table(None)
        bar = st.progress(0.0, text="Computing false-negative signals ...")
        table = lazy.table(lambda done, total: bar.progress(
            done / total, text=f"Computing false-negative signals: {done:,} of {total:,} chunks of queries"))
        bar.empty()
        return table
