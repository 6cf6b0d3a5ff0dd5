"""Probe results: one record per trained (or base) model, cached on disk as JSON, never pickle.

A :class:`RunResult` holds a model's per-query metrics on the held-out queries (in the split's
order), how its training went and how long it took. Runs are cached under
``<cache dir>/probe/<data digest[:16]>/<run key>.json`` (cache dir: ``$NEGLENS_CACHE_DIR`` or
``~/.cache/neglens``). The run key is the sha256 of everything that changes the numbers: the
data digest (pool, corpus, judgements, review decisions), the split, the base model's
identity (its files), the training settings, the strategy with its parameters, the seed, the
device type and the versions of torch, transformers and sentence-transformers. Files are
written to a temporary name and moved into place, so a reader never sees half a file.

A finished probe also leaves an index record, ``probe-<request key>.json``: which run records
make up the result of one request (data, strategies, reference, settings, base model,
libraries), with the split, the device and the time taken. :func:`~analysis.probe.runner.find_finished`
reads it back without loading torch, so the dashboard shows a finished probe again after a
restart without a click.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from analysis.probe.config import METRICS, digest
from analysis.scoring.embedding_cache import default_cache_dir

FORMAT = "neglens-probe-run"
INDEX_FORMAT = "neglens-probe-index"
VERSION = 1
BASE = "base"


@dataclass
class RunResult:
    """One evaluated model. ``label`` is the strategy's label or ``"base"``; ``metrics`` maps
    each metric to per-query values aligned with ``queries``."""

    label: str
    strategy: dict | None
    seed: int | None
    queries: list[str]
    metrics: dict[str, list[float]]
    training: dict = field(default_factory=dict)
    seconds: float = 0.0
    cached: bool = False

    def mean(self, metric: str) -> float:
        return float(np.mean(self.metrics[metric]))

    def values(self, metric: str) -> np.ndarray:
        return np.asarray(self.metrics[metric], dtype=np.float64)

    def as_dict(self) -> dict:
        out = asdict(self)
        out.pop("cached")
        return {"format": FORMAT, "version": VERSION, **out,
                "means": {m: self.mean(m) for m in self.metrics}}

    @classmethod
    def from_dict(cls, blob: dict) -> "RunResult":
        if blob.get("format") != FORMAT or blob.get("version") != VERSION:
            raise ValueError(f"not a probe run record (format {blob.get('format')!r}, "
                             f"version {blob.get('version')!r})")
        missing = [m for m in METRICS if m not in blob.get("metrics", {})]
        if missing:
            raise ValueError(f"probe run record lacks metric {missing[0]!r}")
        return cls(label=blob["label"], strategy=blob["strategy"], seed=blob["seed"],
                   queries=list(blob["queries"]), metrics={m: list(v) for m, v in blob["metrics"].items()},
                   training=dict(blob.get("training", {})), seconds=float(blob.get("seconds", 0.0)),
                   cached=True)


def versions() -> dict:
    """Versions of the libraries whose changes change trained weights (read from the installed
    packages' metadata, so nothing is imported)."""
    from importlib.metadata import version

    return {"torch": version("torch"), "transformers": version("transformers"),
            "sentence_transformers": version("sentence-transformers")}


class RunCache:
    """Run records of one dataset under ``<cache dir>/probe/<data digest[:16]>``; ``enabled``
    False turns reads and writes off (every run is recomputed, nothing is stored)."""

    def __init__(self, data_digest: str, *, cache_dir: str | os.PathLike | None = None,
                 enabled: bool = True):
        root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.path = root / "probe" / data_digest[:16]
        self.enabled = enabled

    @staticmethod
    def key(parts: dict) -> str:
        return digest(parts)[:32]

    def get(self, key: str) -> RunResult | None:
        file = self.path / f"{key}.json"
        if not self.enabled or not file.is_file():
            return None
        try:
            return RunResult.from_dict(json.loads(file.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None                                   # unreadable: recompute and replace

    def put(self, key: str, run: RunResult) -> None:
        self._write(f"{key}.json", run.as_dict())

    def get_index(self, key: str) -> dict | None:
        """The index record of a finished probe (module docstring), or None."""
        file = self.path / f"probe-{key}.json"
        if not self.enabled or not file.is_file():
            return None
        try:
            blob = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return blob if isinstance(blob, dict) and blob.get("format") == INDEX_FORMAT else None

    def put_index(self, key: str, record: dict) -> None:
        self._write(f"probe-{key}.json", {"format": INDEX_FORMAT, **record})

    def _write(self, name: str, blob: dict) -> None:
        if not self.enabled:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(blob, handle)
            os.replace(tmp, self.path / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
