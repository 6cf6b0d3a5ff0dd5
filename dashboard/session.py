"""The app's state and caches: the current View, the loaded dataset, its pool, the selections.

Caching rules (DESIGN.md section 8):

- ``st.cache_resource`` holds the big read-only objects (datasets, pools, selections), keyed
  only by small strings: the data's sha256, the loader override, the pool settings, the
  strategy's JSON and the seed. No DataFrame is ever hashed.
- A pool missing from the disk cache is built *outside* the cached function, under a progress
  bar, then read back through it; so a cache hit never replays stale progress bars.
- ``st.cache_data`` holds small derived results (histograms, tables) in the pages.
"""

from __future__ import annotations

import json
import time
from typing import NamedTuple

import streamlit as st

from analysis import workspace as ws
from analysis.model import NegativeSet
from dashboard import state, ui
from dashboard.served import refused, startup_data, startup_files, store_upload  # noqa: F401

_VIEW = "view"


def choose_data(path: str) -> None:
    """Make ``path`` the dataset, unless it lies outside the data root (then say so, stop)."""
    problem = refused(path)
    if problem:
        st.error(f"Refused: {problem}", icon=":material/block:")
        st.stop()
    current = view()
    current.data, current.format = path, ""


def view() -> state.View:
    """This session's View: read from the URL on the first run, kept in session state after.
    A ``data`` outside the data root is refused (reported, never read): the start data stays."""
    if _VIEW not in st.session_state:
        current, problems = state.from_query(st.query_params.to_dict() | _repeated("s")
                                             | _repeated("also"), default_data=startup_data())
        if not {"data", "also"} & set(st.query_params.keys()):  # -- --data A --data B: compare them
            current.files = startup_files()[1:]
        problem = refused(current.data)
        if problem:
            problems.append(f"Refused the data in the link: {problem}")
            current.data, current.format = startup_data(), ""
            if refused(current.data):
                current.data = ""
        st.session_state[_VIEW] = current
        st.session_state["url_problems"] = problems
    return st.session_state[_VIEW]


def _repeated(key: str) -> dict[str, list[str]]:
    values = st.query_params.get_all(key)
    return {key: values} if values else {}


def write_url() -> None:
    """Put the current View into the address bar (called at the end of every run)."""
    wanted = state.to_query(view())
    current = {key: st.query_params.get_all(key) for key in st.query_params.keys()}
    normalised = {k: v if isinstance(v, list) else [v] for k, v in wanted.items()}
    if current != normalised:
        st.query_params.from_dict(wanted)


def pool_settings() -> ws.PoolSettings:
    current = view()
    return ws.PoolSettings(model=current.model, top_n=current.top_n,
                           cross_encoder=current.cross_encoder)


# -- dataset ------------------------------------------------------------------------------------
@st.cache_resource(max_entries=4, show_spinner="Loading the data ...")
def _dataset(path: str, sha: str, fmt: str) -> NegativeSet:
    nset = ws.load_dataset(path, format=fmt or None)
    # a file without scores whose own pairs were scored (Data page) opens with those scores
    return nset if nset.has_scores else (ws.with_own_scores(nset, sha) or nset)


def data_sha() -> str:
    with ui.reported(f"Cannot read {view().data}"):
        return ws.fingerprint(view().data)


def dataset() -> NegativeSet:
    """The current dataset, loaded once per (sha256, format override); bad data stops the page
    with a clear message."""
    current = view()
    sha = data_sha()
    with ui.reported(f"Cannot load {current.data}"):
        return _dataset(current.data, sha, current.format)


# -- candidates: the file's own (scored file) or a pool --------------------------------------------
def sample_size() -> int:
    """Queries analysed: 0 = all, else a seeded random sample (``state.sample_size``)."""
    return state.sample_size(view(), len(dataset().queries))


def pool_key() -> str:
    """Identity of the current candidates: data sha256, loader override, either ``file``
    (a scored file's own candidates, no model) or the pool settings' key, and the query sample
    (``#sample=N,seed=S``) when one is analysed."""
    current = view()
    sampled = f"#sample={sample_size()},seed={current.seed}" if sample_size() else ""
    if candidates_kind() == "file":
        return f"{data_sha()}|{current.format}|file{sampled}"
    with ui.reported("Pool settings"):
        return f"{data_sha()}|{current.format}|{pool_settings().key()}{sampled}"


class _Args(NamedTuple):
    """What the cached candidates depend on (their cache key: small strings and numbers)."""

    key: str
    sha: str
    path: str
    fmt: str
    kind: str
    model: str
    top_n: int
    ce: str
    sample: int
    seed: int


def _args() -> _Args:
    current = view()
    return _Args(pool_key(), data_sha(), current.data, current.format, candidates_kind(),
                 current.model, current.top_n, current.cross_encoder, sample_size(), current.seed)


@st.cache_resource(max_entries=3, show_spinner="Reading the candidates ...")
def _pool(args: _Args) -> NegativeSet:
    settings = ws.PoolSettings(model=args.model, top_n=args.top_n, cross_encoder=args.ce)
    return ws.open_candidates(_dataset(args.path, args.sha, args.fmt), args.sha, kind=args.kind,
                              settings=settings, format=args.fmt or None, sample=args.sample,
                              seed=args.seed)


def pool_ready() -> bool:
    """True when the pool needs no model: the data is a pool, or the pool is cached on disk."""
    if ws.is_pool(dataset()):
        return True
    with ui.reported("Pool settings"):
        return ws.pool_file(data_sha(), pool_settings(), format=view().format or None).is_file()


def candidates_kind() -> str:
    """``pool``, ``file`` or ``''`` (``analysis.workspace.candidates_kind``). Never encodes."""
    return ws.candidates_kind(dataset(), pool_built=pool_ready())


def build_pool(progress, engine: str = "local") -> None:
    """Build the corpus-wide pool (the Data page's explicit button) with ``engine``; cached on disk."""
    with ui.reported("Cannot build the pool"):
        ws.ensure_pool(dataset(), data_sha(), pool_settings(), format=view().format or None,
                       engine=engine, progress=progress)


def pool() -> NegativeSet:
    """The current candidates; a page on data without scores or pool stops with a pointer to
    the Data page (opening a page never encodes a text)."""
    if candidates_kind() == "":
        st.info("This file carries no scores and no pool has been built for it yet. Build one "
                "on the **Data** page (it shows an estimate before it starts).")
        st.page_link("views/data.py", label="Data", icon=":material/folder_open:")
        st.stop()
    with ui.reported("Cannot read the candidates"):
        return _pool(_args())


@st.cache_resource(max_entries=3, show_spinner=False)
def _candidates(args: _Args) -> NegativeSet:
    from analysis.export.apply import candidate_pool

    return candidate_pool(_pool(args))


def candidates() -> NegativeSet:
    """The pool rows strategies choose from (a loaded file's own pairs set aside); Browse's
    BM25 statistics start building in the background."""
    pool()  # builds when missing
    with ui.reported("Cannot prepare the pool"):
        found = _candidates(_args())
        _term_index(_args())
        return found


@st.cache_resource(max_entries=3, show_spinner=False)
def _term_index(args: _Args):
    return ws.start_term_index(_candidates(args))


@st.cache_resource(max_entries=2, show_spinner=False)
def _embeddings(args: _Args):
    found = ws.pool_embeddings(_candidates(args))
    if found is None:
        raise LookupError("not all embeddings are cached")  # exceptions are not cached
    return found


def can_embed() -> bool:
    """Whether the candidates record the model that embeds them: the pool's, or the one a
    file's own candidates are tagged with (a synthetic pool records none)."""
    from analysis.workspace.data import embedding_spec

    return bool(embedding_spec(candidates()).get("model_identity"))


def embeddings(*, encode_missing: bool = False, progress=None):
    """(query, document) embeddings of the pool, from the embedding cache; None when some are
    missing, unless ``encode_missing`` (which loads the model and encodes them)."""
    args = _args()
    if not can_embed():
        return None
    missed = st.session_state.setdefault("embeddings_missed", {})  # pool key -> when
    if encode_missing:
        ws.pool_embeddings(_candidates(args), encode_missing=True, progress=progress)
        missed.clear()
    if time.monotonic() - missed.get(args.key, -60.0) < 60:  # looked up a moment ago: one
        return None                                          # lookup per minute, not per call
    try:
        with ui.reported("Cannot read the embeddings"):
            return _embeddings(args)
    except LookupError:
        missed[args.key] = time.monotonic()
        return None


# -- selections ---------------------------------------------------------------------------------
@st.cache_resource(max_entries=64, show_spinner=False)
def _selection(args: _Args, spec: str, seed: int):
    chosen = json.loads(spec)
    return ws.select(_candidates(args), chosen["name"], chosen["params"], seed=seed)


def strategy_specs() -> str:
    """The compared strategies and their parameters as canonical JSON (a cache key)."""
    return json.dumps(view().strategies, sort_keys=True)


def selections() -> dict:
    """Strategy name -> Selection (rows into :func:`candidates`) for every strategy in the View."""
    current = view()
    candidates()  # builds when missing
    args = _args()
    out = {}
    for name, params in current.strategies:
        spec = json.dumps({"name": name, "params": params}, sort_keys=True)
        with ui.reported(f"Strategy {name}"):
            out[name] = _selection(args, spec, current.seed)
    return out


# -- clusters, reviews (the signals: dashboard/signals.py) -------------------------------------
@st.cache_resource(max_entries=2, show_spinner="Clustering the documents ...")
def _clusters(args: _Args, has_embeddings: bool):
    return ws.doc_clusters(_candidates(args), _embeddings(args)[1] if has_embeddings else None)


def clusters():
    """Cluster of each document (None when the pool has neither clusters nor embeddings)."""
    candidates()
    has = embeddings() is not None
    with ui.reported("Cannot cluster the documents"):
        return _clusters(_args(), has)


def reviews():
    """The review store beside the current data."""
    return ws.review_store(view().data)
