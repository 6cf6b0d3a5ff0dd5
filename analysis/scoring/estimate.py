"""How long an encoding job will take, before it starts: texts x a rate measured on this machine.

``estimate_build(n_texts, engine="local", cache_dir=None)`` -> :class:`Estimate` (texts,
rate_per_s, minutes, measured). The rate is the last one :func:`record_rate` stored for the
engine (every pool build records its texts and wall time), kept in ``<cache_dir>/rates.json``
(default: the workspace cache folder, ``<NegLens cache dir>/workspace``); before any build on
this machine it is ``DEFAULT_RATE`` (30 passages/s: all-MiniLM-L6-v2 on 2 CPU cores, measured
for issue 15) and ``measured`` is False. Written to a temporary file and renamed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from analysis.scoring.embedding_cache import default_cache_dir

DEFAULT_RATE = 30.0
RATES_FILE = "rates.json"


@dataclass(frozen=True)
class Estimate:
    texts: int
    rate_per_s: float
    minutes: float
    measured: bool

    def describe(self) -> str:
        """'encodes 12,480 texts, about 7 min (30 texts/s measured on this machine)'."""
        how = "measured on this machine" if self.measured else "a typical 2-core CPU; not yet measured here"
        when = f"about {self.minutes:.0f} min" if self.minutes >= 1 else \
            f"about {self.minutes * 60:.0f} s"
        return f"encodes {self.texts:,} texts, {when} ({self.rate_per_s:,.0f} texts/s, {how})"


def _path(cache_dir) -> Path:
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir() / "workspace"
    return base / RATES_FILE


def _read(cache_dir) -> dict:
    try:
        return json.loads(_path(cache_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or unreadable: fall back to the default rate


def record_rate(engine: str, texts: int, seconds: float, cache_dir=None) -> float:
    """Store ``texts / seconds`` as ``engine``'s rate; returns it (ignored for tiny runs)."""
    if texts < 1 or seconds <= 0:
        return 0.0
    rate = texts / seconds
    rates = _read(cache_dir)
    rates[engine] = {"texts": int(texts), "seconds": float(seconds), "rate": rate}
    path = _path(cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{RATES_FILE}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(rates, indent=2), encoding="utf-8")
    os.replace(partial, path)
    return rate


def estimate_build(n_texts: int, *, engine: str = "local", cache_dir=None) -> Estimate:
    """The estimate for encoding ``n_texts`` texts with ``engine`` (see the module docstring)."""
    found = _read(cache_dir).get(engine)
    rate = float(found["rate"]) if isinstance(found, dict) and found.get("rate") else DEFAULT_RATE
    return Estimate(texts=int(n_texts), rate_per_s=rate, minutes=n_texts / rate / 60,
                    measured=bool(found))


def time_left(done: int, total: int, elapsed_s: float) -> str:
    """Time left of a running stage, from its progress so far: "about 7 min left".

    Extrapolates the stage's mean rate (``elapsed_s`` for ``done`` of ``total``); says
    "estimating time left" until there is progress to go by (no item done, or under a second)."""
    if total <= 0 or done >= total:
        return "finishing"
    if done <= 0 or elapsed_s < 1:
        return "estimating time left"
    left = elapsed_s * (total - done) / done
    if left < 90:
        return f"about {max(1, round(left))} s left"
    if left < 90 * 60:
        return f"about {round(left / 60)} min left"
    return f"about {left / 3600:.1f} h left"


def pool_texts(nset) -> int:
    """Texts a corpus pool of ``nset`` encodes: its queries and its documents."""
    return len(nset.queries) + len(nset.docs)
