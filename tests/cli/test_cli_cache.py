"""``python -m analysis cache info|prune``: sizes per area; prune removes the oldest entries
until the cache fits, sweeps stale temporaries, and never touches the reviews."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "analysis", "cache", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


def test_info_and_prune(tmp_path):
    old = tmp_path / "workspace" / "pools" / "old.parquet"
    new = tmp_path / "projections" / "new.npz"
    review = tmp_path / "workspace" / "reviews" / "x.sqlite"
    stale = tmp_path / "embeddings" / "ns" / ".a.npy.1.tmp"
    for path, size in ((old, 600_000), (new, 500_000), (review, 100), (stale, 10)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
    os.utime(old, (time.time() - 100,) * 2)
    os.utime(stale, (time.time() - 7200,) * 2)
    info = _cli("info", "--cache-dir", str(tmp_path))
    assert info.returncode == 0 and "pools:      1 entries" in info.stdout
    out = _cli("prune", "--max-gb", "0.0008", "--cache-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert not old.exists() and new.exists() and review.exists() and not stale.exists()
    assert "removed 1 entries and 1 stale temporaries" in out.stdout
    assert _cli("prune", "--cache-dir", str(tmp_path)).returncode != 0
