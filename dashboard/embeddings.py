"""Embedding views on demand: the map, the near-duplicate signal and the document clusters.

A scored file's own candidates come without embeddings. Pages that draw them call
:func:`offer`, which says what they need ("encodes 12,480 texts, about 7 min ...", counting
what the embedding cache already holds, for the sample or the whole file in view) and encodes
only when the button is pressed; opening a page never loads a model.
"""

from __future__ import annotations

import time

import streamlit as st

from analysis import workspace as ws
from analysis.measure.query_sample import sample_note
from analysis.scoring.estimate import record_rate
from dashboard import session, ui


@st.cache_data(max_entries=8, show_spinner=False, ttl=60)
def _need(pool_key: str) -> str:
    return ws.embedding_need(session.candidates(), rates_dir=ws.workspace_dir()).describe()


def offer(what: str, *, key: str) -> bool:
    """True when the embeddings are there; else say what ``what`` needs, with an Encode button
    (pressed: encode under a progress bar, then rerun) and return False."""
    if not session.can_embed():
        return False
    if session.embeddings() is not None:
        return True
    candidates = session.candidates()
    scope = sample_note(candidates) or f"all {len(candidates.queries):,} queries"
    st.info(f"For {what}, NegLens needs the embeddings of the texts of {scope}: "
            f"{_need(session.pool_key())}.")
    if st.button("Encode the texts", key=key, type="primary",
                 help="Loads the bi-encoder and encodes what the cache lacks; cached for next time"):
        missing = ws.embedding_need(candidates).estimate.texts
        bar, started = ui.ProgressBar("Encoding"), time.monotonic()
        with ui.reported("Cannot encode"):
            session.embeddings(encode_missing=True, progress=bar)
        bar.done()  # the measured rate makes the next estimate this machine's
        record_rate("local", missing, time.monotonic() - started, cache_dir=ws.workspace_dir())
        _need.clear()
        st.rerun()
    return False


def own_pairs_offer(nset) -> None:
    """The Data page's first choice for a file without scores: score only its own pairs (its
    queries and the documents its pairs name, with the packaged model), with the estimate."""
    from analysis.scoring.estimate import estimate_build
    from analysis.scoring.own_pairs import own_pairs_texts

    estimate = estimate_build(own_pairs_texts(nset), cache_dir=ws.workspace_dir())
    st.info("This file carries no scores. **First choice: score only its own pairs**: encode "
            f"its queries and the documents its pairs name, nothing else ({estimate.describe()}); "
            "the file then opens ranked by that score (file rank). Or re-mine the whole corpus "
            "below (a pool).")
    if st.button("Score its own pairs", type="primary", key="own_pairs"):
        st.button("Cancel", key="cancel_own_pairs")  # any rerun stops the scoring
        bar = ui.ProgressBar(f"Scoring its own pairs ({estimate.describe()})")
        with ui.reported("Cannot score the pairs"):
            ws.ensure_own_scores(nset, session.data_sha(), progress=bar)
        bar.done()
        session._dataset.clear()  # reloaded with the kept scores
        st.rerun()
