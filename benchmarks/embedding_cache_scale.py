"""A 1M-text embedding cache: time to open it and open file descriptors, new layout beside the
reference (the shard-per-1,024-texts cache of commit 1227936, loaded from git) in the same run.

Vectors are dimension 8 (the figures measured are about files and keys, which do not depend on
the dimension; a real 384-d cache holds 48x the vector bytes, memory-mapped, not read at open).
Run: python benchmarks/embedding_cache_scale.py [N]

Measured 2026-12-06, 2 shared CPU cores, 1,000,000 texts, dim 8, one run:
      new: open 0.02 s, 9 fds held, 20 files (build through add() 26 s)
reference: open 0.51 s, 977 fds held, 1955 files (build 19 s)
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from analysis.scoring import embedding_cache as new  # noqa: E402

N, BATCH, DIM = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000, 1024, 8
REFERENCE_COMMIT = "1227936"


def reference_module(folder: Path):
    source = subprocess.run(["git", "show", f"{REFERENCE_COMMIT}:analysis/scoring/embedding_cache.py"],
                            cwd=REPO, capture_output=True, text=True, check=True).stdout
    path = folder / "reference_embedding_cache.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("reference_embedding_cache", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def measure(module, directory: Path) -> dict:
    description = {"model": "bench", "role": "document", "prompt": None}
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    writer = module.EmbeddingCache(description, directory=directory)
    for lo in range(0, N, BATCH):
        keys = rng.bytes(32 * min(BATCH, N - lo))
        writer.add(np.frombuffer(keys, dtype="S32"), rng.normal(size=(len(keys) // 32, DIM)))
    build = time.perf_counter() - start
    del writer
    before = fds()
    start = time.perf_counter()
    cache = module.EmbeddingCache(description, directory=directory)
    opened = time.perf_counter() - start
    held = fds() - before
    files = len(list(cache.path.iterdir()))
    return {"build_s": build, "open_s": opened, "fds_held": held, "files": files, "texts": len(cache)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"{N:,} texts, dim {DIM}, batches of {BATCH}")
        for label, module in (("new", new), ("reference", reference_module(tmp))):
            try:
                row = measure(module, tmp / label)
                print(f"{label:>9}: open {row['open_s']:.2f} s, {row['fds_held']} fds held, "
                      f"{row['files']} files, {row['texts']:,} texts (build {row['build_s']:.0f} s)")
            except Exception as exc:  # the reference may run out of file descriptors
                print(f"{label:>9}: failed: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    main()
