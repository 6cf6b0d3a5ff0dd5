"""A probe running in a background thread, for the dashboard: start, watch, cancel, collect.

``ProbeJob(data, strategies, settings=...).start()`` runs :func:`~analysis.probe.run_probe`
in a daemon thread. The page keeps the job object (e.g. in a module-level dict keyed by the
probe's settings, so it survives page switches and reruns) and on each rerun reads
:meth:`status`, a snapshot taken under a lock. :meth:`cancel` asks the run to stop after the
current training step; finished runs are already in the on-disk cache, so starting again
later trains only what is missing. ``result`` is set when the run finished, ``error`` holds
the exception when it failed (a cancelled job has ``cancelled`` True and neither).
"""

from __future__ import annotations

import threading
import time

from analysis.probe.config import ProbeSettings
from analysis.probe.runner import run_probe
from analysis.probe.train import ProbeCancelled


class ProbeJob:
    """One background probe; every keyword is passed on to ``run_probe``."""

    def __init__(self, data, strategies, **options):
        if "progress" in options or "cancel" in options:
            raise TypeError("ProbeJob reports progress and handles cancelling itself")
        self._args, self._options = (data, list(strategies)), options
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = {"strategy": None, "step": 0, "total": 0, "stage": "waiting", "finished": 0}
        self.result = None
        self.error: BaseException | None = None
        self.cancelled = False
        self.started_at: float | None = None
        self.ended_at: float | None = None

    @property
    def total_runs(self) -> int:
        """Models to evaluate: the base, then each strategy under each seed."""
        settings = self._options.get("settings") or ProbeSettings()
        return 1 + len(self._args[1]) * len(settings.seeds)

    def start(self) -> "ProbeJob":
        if self._thread is not None:
            raise RuntimeError("this probe job was already started")
        self.started_at = time.time()
        self._thread = threading.Thread(target=self._run, name="neglens-probe", daemon=True)
        self._thread.start()
        return self

    def _progress(self, strategy: str, step: int, total: int, stage: str) -> None:
        with self._lock:
            self._state.update(strategy=strategy, step=step, total=total, stage=stage)
            if stage.split()[0] in ("done", "cached"):
                self._state["finished"] += 1

    def _run(self) -> None:
        try:
            self.result = run_probe(*self._args, progress=self._progress,
                                    cancel=self._stop.is_set, **self._options)
        except ProbeCancelled:
            self.cancelled = True
        except BaseException as exc:       # reported through .error, never lost in the thread
            self.error = exc
        finally:
            self.ended_at = time.time()

    def cancel(self) -> None:
        """Ask the run to stop at the next training step or stage."""
        self._stop.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True when it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.done

    def status(self) -> dict:
        """``strategy``, ``step``, ``total``, ``stage`` of the latest report, ``finished`` and
        ``total_runs`` models, ``elapsed`` seconds, and ``state``: waiting, running, done,
        failed or cancelled."""
        with self._lock:
            out = dict(self._state)
        out["total_runs"] = self.total_runs
        end = self.ended_at or time.time()
        out["elapsed"] = end - self.started_at if self.started_at else 0.0
        out["state"] = ("waiting" if self._thread is None else "running" if self.running
                        else "cancelled" if self.cancelled else "failed" if self.error else "done")
        return out
