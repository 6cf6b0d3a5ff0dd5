"""Probe: fine-tune the base model on each strategy's negatives and compare the retrievers.

The work is the library's (``analysis.probe``, docs/probe.md); this page only picks the
strategies (names from the registry, parameters from the URL state, set on the Compare page),
the training settings, starts a :class:`~analysis.probe.ProbeJob` in the background and shows
its progress and result. Jobs live in a ``st.cache_resource`` registry keyed by the probe
data's sha256, the settings and the strategies, so a run survives page switches and reruns and
a finished result is shown at once; finished models are also cached on disk by the library, so
starting again trains only what is missing, and a probe finished before a restart is read
back from there. torch loads in the job's thread, never on render. Extra evaluation-only judgements (a qrels TSV, e.g. sample_data's planted positives)
are read like the CLI's ``--eval-qrels``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import streamlit as st

from analysis.probe import (
    ProbeJob,
    ProbeSettings,
    find_finished,
    probe_data,
    quick,
    read_eval_qrels,
)
from analysis.probe.compare import interval_text
from analysis.probe.config import METRIC_LABELS, METRICS
from analysis.strategies import registry
from dashboard import charts, sampling, session, state, ui

view = session.view()


def kept(key: str, default):
    """Widget ``key``, seeded from its kept copy: Streamlit drops a widget's state while another
    page is shown, and the chosen probe must still be found when the user comes back."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(f"{key}:kept", default)
    return key


st.title("Probe training")
sampling.caption()
st.caption("Fine-tunes a fresh copy of the base model on each strategy's negatives and "
           "evaluates it and the untrained base on held-out queries (docs/probe.md).")

# -- strategies: names from the registry, parameters from the URL state (Compare page) ---------
names = st.multiselect("Strategies", list(registry()),
                       key=kept("probe_names", [name for name, _ in view.strategies][:4]),
                       help="Parameters are the ones set on the Compare page (kept in the URL).")
params_of = dict(view.strategies)
specs = [state.encode_strategy(name, params_of.get(name, {})) for name in names]
if not specs:
    st.info("Choose at least one strategy to probe.")
    st.stop()
if st.session_state.get("probe_reference:kept") not in specs:
    st.session_state["probe_reference:kept"] = specs[0]
reference = st.selectbox("Reference strategy", specs, key=kept("probe_reference", specs[0]),
                         help="Every other strategy is also compared with this one.")

# -- training settings --------------------------------------------------------------------------
quick_col, epochs_col, fraction_col, seeds_col = st.columns(4)
is_quick = quick_col.toggle("Quick", key=kept("probe_quick", True),
                            help="Budget preset: 128 tokens, 1 seed, 1 epoch, batches of 16, "
                                 "3 negatives per query.")
epochs = epochs_col.number_input("Epochs", min_value=1, max_value=20, step=1,
                                 key=kept("probe_epochs", 1), disabled=is_quick)
fraction = fraction_col.number_input("Held-out fraction", min_value=0.05, max_value=0.95,
                                     step=0.05, key=kept("probe_eval_fraction", 0.3))
seeds_text = seeds_col.text_input("Seeds", key=kept("probe_seeds", "0,1,2"), disabled=is_quick,
                                  help="Training seeds, comma-separated; each seeds the "
                                       "selection and the training.")
for key in ("probe_names", "probe_reference", "probe_quick", "probe_epochs",
            "probe_eval_fraction", "probe_seeds"):
    st.session_state[f"{key}:kept"] = st.session_state[key]
try:
    seeds = tuple(int(s) for s in seeds_text.split(",") if s.strip())
    settings = ProbeSettings(epochs=int(epochs), eval_fraction=float(fraction), seeds=seeds)
    settings = quick(settings, eval_fraction=float(fraction)) if is_quick else settings
except ValueError as exc:
    st.error(f"Settings: {exc}", icon=":material/error:")
    st.stop()


extra_qrels = st.text_input(
    "Extra judgements for evaluation only (optional)", key=kept("probe_eval_qrels", ""),
    placeholder="e.g. ground_truth/unlabelled_positives.tsv",
    help="A TSV of 'qid did [score]' lines, relative to the data folder or absolute: these pairs "
         "count as relevant when the models are evaluated and are never trained on.")
st.session_state["probe_eval_qrels:kept"] = extra_qrels


def _qrels_path(text: str) -> Path | None:
    if not text.strip():
        return None
    path = Path(text.strip()).expanduser()
    data = Path(view.data)
    return path if path.is_absolute() else (data if data.is_dir() else data.parent) / path


@st.cache_resource(max_entries=2, show_spinner="Preparing the probe data ...")
def _data(pool_key: str, decisions: str, qrels_path: str, qrels_sha: str):
    pool, corpus = session.pool(), session.dataset().docs[["did", "text"]]
    qrels, skipped, note = read_eval_qrels(qrels_path, pool, corpus) if qrels_path else (None, [], None)
    return probe_data(pool, corpus=corpus, eval_qrels=qrels, decisions=json.loads(decisions),
                      notes=[note] if note else [], skipped=skipped)


@st.cache_resource(max_entries=16, show_spinner=False)
def _jobs(data_sha: str, settings_json: str, specs_json: str, reference: str) -> dict:
    """One slot per probe (data, settings, strategies): holds its ProbeJob across reruns."""
    return {}


session.pool()  # built under a progress bar when missing
decisions = json.dumps(session.reviews().all().to_dict("records"), sort_keys=True, default=str)
with ui.reported("Cannot prepare the probe data"):
    qrels_path = _qrels_path(extra_qrels)
    qrels_sha = hashlib.sha256(qrels_path.read_bytes()).hexdigest() if qrels_path else ""
    data = _data(session.pool_key(), decisions, str(qrels_path or ""), qrels_sha)
    slot = _jobs(data.digest, json.dumps(settings.as_dict(), sort_keys=True), json.dumps(specs),
                 reference)

start_col, cancel_col, _ = st.columns([1, 1, 4])
job = slot.get("job")
busy = job is not None and job.running
if start_col.button("Start", type="primary", disabled=busy, icon=":material/play_arrow:"):
    slot["job"] = job = ProbeJob(data, specs, settings=settings, reference=reference).start()
    busy = True
if busy and cancel_col.button("Cancel", icon=":material/stop:"):
    job.cancel()
for note in data.notes:
    st.caption(note)
if data.skipped:
    st.warning(f"{len(data.skipped):,} judgement lines name a query or document outside the data "
               f"and are not used, e.g. {data.skipped[0].file} line {data.skipped[0].line}: "
               f"{data.skipped[0].reason}.", icon=":material/warning:")
if job is None:
    # a probe finished earlier (in another session, or before a restart) is read back from
    # the disk cache without loading torch
    if slot.get("finished") is None:
        with ui.reported("Cannot read the probe cache"):
            slot["finished"] = find_finished(data, specs, settings=settings, reference=reference)
    if slot["finished"] is None:
        st.info(f"{len(specs)} strategies x {len(settings.seeds)} seeds, plus the base model. "
                "Finished models are cached on disk, so a rerun trains only what is new.")
        st.stop()


def _progress(job: ProbeJob) -> None:
    """Per strategy: done, running (stage and step) or waiting; the runs go base, then each
    strategy under each seed, so the finished count says which are done."""
    status = job.status()
    done = status["finished"]
    with st.status(f"Probe {status['state']}: {done}/{status['total_runs']} models, "
                   f"{status['elapsed']:.0f} s", state="running" if job.running else "complete",
                   expanded=True):
        st.progress(min(done / status["total_runs"], 1.0))
        runs = ["base"] + [label for label in specs for _ in settings.seeds]
        for label in dict.fromkeys(runs):
            finished = sum(1 for i, r in enumerate(runs) if r == label and i < done)
            total = runs.count(label)
            if label == status["strategy"] and finished < total and job.running:
                share = status["step"] / status["total"] if status["total"] else 0.0
                st.progress(min(share, 1.0), text=f"{label}: {status['stage']} "
                            f"{status['step']:,}/{status['total']:,}")
            else:
                st.text(f"{label}: {finished}/{total} " + ("done" if finished == total else "waiting"))


if busy:
    @st.fragment(run_every=2)
    def _watch() -> None:
        _progress(job)
        if not job.running:
            st.rerun()
    _watch()
    st.stop()

if job is not None and job.cancelled:
    st.warning("The probe was cancelled; finished models stay cached. Start again to go on.")
    st.stop()
if job is not None and job.error is not None:
    st.error(f"The probe failed: {job.error}", icon=":material/error:")
    st.stop()

# -- the result ---------------------------------------------------------------------------------
result = job.result if job is not None else slot["finished"]
comparisons = result.comparisons
st.success(f"Probe finished in {result.seconds:.0f} s on {result.device}"
           f"{'' if job is not None else ' (read from the cache)'}: "
           f"{len(result.split.held_out)} held-out queries, {len(result.split.train)} trained on.")

for column, metric in zip(st.columns(len(METRICS)), METRICS):
    column.plotly_chart(charts.probe_metric(comparisons, metric, METRIC_LABELS[metric]),
                        key=f"probe_{metric}")
level = f"{settings.confidence:.0%}"
st.caption(f"Error bars: the {level} paired bootstrap interval of the difference to the base "
           "model, drawn around the strategy's mean. A bar that crosses the dashed base line is "
           "within noise.")

table = pd.DataFrame([{"metric": METRIC_LABELS[c.metric], "model": c.label, "mean": c.mean,
                       "sd over seeds": "-" if c.sd is None else f"{c.sd:.4f}",
                       f"vs base [{level} CI]": interval_text(c.vs_base),
                       f"vs {result.reference} [{level} CI]": interval_text(c.vs_reference)}
                      for c in comparisons])
st.dataframe(table, hide_index=True, height=35 * (len(table) + 1) + 3,
             column_config={"mean": st.column_config.NumberColumn(format="%.4f")})
noise = {label: [METRIC_LABELS[c.metric] for c in comparisons
                 if c.label == label and c.vs_base is not None and c.vs_base.within_noise]
         for label in specs}
lines = [f"- {label}: {', '.join(metrics)}" for label, metrics in noise.items() if metrics]
if lines:
    st.warning("Within noise against the base model (the interval contains 0; no difference the "
               "data can vouch for):\n" + "\n".join(lines))
if len(settings.seeds) == 1:
    st.caption("One seed: the intervals cover which queries were held out, not training noise; "
               "run more seeds before trusting a small difference.")
with st.expander("Full report"):
    st.code("\n".join(result.lines()), language=None)
st.download_button("Probe result (JSON)", json.dumps(result.as_dict(), indent=2, default=str),
                   "probe.json", mime="application/json")
