"""Sharded Parquet, per shard on one machine or on Ray Data (``--engine local|ray``).

A sharded file is a folder of ``*.parquet`` shards of one scored file, partitioned by query
(every query's rows in one shard; shards read in name order). Each shard is read alone
(``analysis.formats.load``), a pure function of its pairs gives a partial result
(``analysis.measure.partials``, ``analysis.strategies``), and the driver merges the partials
in shard order: no shuffle, and the memory of one shard per worker. The local engine runs the
same function on each shard in turn, so both engines give identical results (tested).

On Ray, the shards are a Ray Dataset of paths (one block each) mapped by tasks of
``task_cpus`` CPUs (0.5 by default, as the pool engine's actors: a 2-CPU local Ray with whole
CPUs per task starves its own read tasks). Partials travel back as ``.npz`` bytes (arrays
plus a JSON tree; no pickle), which round-trips floats exactly.
"""

from __future__ import annotations

import io
import json
import time
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from analysis.model import DataError

ENGINES = ("local", "ray")
TASK_CPUS = 0.5


def shard_paths(path: str | Path) -> list[Path]:
    """The shards of ``path``: its ``*.parquet`` files in name order, or the file itself."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataError(f"{path}: no such file or folder", field="input")
    shards = sorted(p for p in path.glob("*.parquet") if p.is_file() and not p.name.startswith("."))
    if not shards:
        raise DataError(f"{path}: a sharded file is a folder of *.parquet shards; none found", field="input")
    return shards


def read_shard(path: Path, *, name: str | None = None) -> pd.DataFrame:
    """A shard's pairs; the shard's own file name as ``source`` becomes ``name`` (the sharded
    file's), so a file's rows are one group however it is split."""
    from analysis.formats import load

    pairs = load(path).pairs
    if name is not None and isinstance(pairs["source"].dtype, pd.CategoricalDtype):
        pairs["source"] = pairs["source"].cat.rename_categories(
            lambda s: name if s == path.name else s)
    return pairs


def announce(paths: list[Path], engine: str, out=None) -> Callable[[int, int], None]:
    """Print what a sharded run is about to do (shards, rows from the Parquet footers, engine)
    to ``out`` (stderr), and return a progress callback that prints each finished shard with
    the time left, extrapolated from the shards done."""
    import sys

    import pyarrow.parquet as pq

    out = out or sys.stderr
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in paths if p.suffix == ".parquet")
    print(f"{len(paths):,} shard(s), {rows:,} rows, engine {engine}"
          + (f", tasks of {TASK_CPUS} CPU" if engine == "ray" else ""), file=out, flush=True)
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        left = (time.monotonic() - started) / done * (total - done) if done else 0.0
        print(f"shard {done:,}/{total:,} done, about {left:.0f} s left", file=out, flush=True)

    return progress


def _pack(value) -> bytes:
    arrays: list[np.ndarray] = []

    def tree(v):
        if isinstance(v, dict):
            return {k: tree(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [tree(x) for x in v]
        if isinstance(v, np.ndarray):
            arrays.append(v)
            return {"__array__": len(arrays) - 1}
        return v.item() if isinstance(v, np.generic) else v

    skeleton = json.dumps(tree(value))
    buffer = io.BytesIO()
    np.savez(buffer, __json__=np.frombuffer(skeleton.encode(), dtype=np.uint8),
             **{f"a{i}": a for i, a in enumerate(arrays)})
    return buffer.getvalue()


def _unpack(blob: bytes):
    with np.load(io.BytesIO(blob), allow_pickle=False) as stored:
        arrays = {k: stored[k] for k in stored.files}

    def tree(v):
        if isinstance(v, dict):
            if set(v) == {"__array__"}:
                return arrays[f"a{v['__array__']}"]
            return {k: tree(x) for k, x in v.items()}
        return [tree(x) for x in v] if isinstance(v, list) else v

    return tree(json.loads(arrays.pop("__json__").tobytes().decode()))


def _on_shard(row: dict, *, fn: Callable) -> dict:
    return {"i": row["i"], "blob": _pack(fn(Path(row["path"])))}


def map_shards(paths: list[Path], fn: Callable[[Path], dict], *, engine: str = "local",
               address: str | None = None, task_cpus: float = TASK_CPUS,
               progress: Callable[[int, int], None] | None = None) -> list:
    """``[fn(path) for path in paths]``, on this machine in turn or as Ray Data tasks;
    results in shard order either way. ``fn`` must be picklable (a module-level function or
    a ``functools.partial`` of one)."""
    if engine not in ENGINES:
        raise DataError(f"engine must be one of {ENGINES}, got {engine!r}", field="engine")
    if engine == "local":
        out = []
        for number, path in enumerate(paths):
            out.append(fn(path))
            if progress is not None:
                progress(number + 1, len(paths))
        return out
    import ray.data

    from analysis.scoring.engine_ray import connect

    connect(address)
    items = [{"i": i, "path": str(p)} for i, p in enumerate(paths)]
    data = ray.data.from_items(items, override_num_blocks=len(items))
    results: dict[int, object] = {}
    for row in data.map(partial(_on_shard, fn=fn), num_cpus=task_cpus).iter_rows():
        results[int(row["i"])] = _unpack(bytes(row["blob"]))
        if progress is not None:
            progress(len(results), len(paths))
    return [results[i] for i in range(len(paths))]


def _stats_of_shard(path: Path, *, name: str, by, how: str, column: str) -> dict:
    from analysis.measure.partials import stats_partial

    return stats_partial(read_shard(path, name=name), by=by, how=how, column=column)


def sharded_stats(path: str | Path, *, by: str | None = "source", how: str = "min",
                  column: str = "score", engine: str = "local", address: str | None = None,
                  task_cpus: float = TASK_CPUS, progress=None) -> pd.DataFrame:
    """``summary_table``'s table of a sharded file, per shard on ``engine`` (see the module)."""
    from analysis.measure.partials import merge_partials, partial_table

    paths = shard_paths(path)
    fn = partial(_stats_of_shard, name=Path(path).name, by=by, how=how, column=column)
    partials = map_shards(paths, fn, engine=engine, address=address, task_cpus=task_cpus,
                          progress=progress)
    return partial_table(merge_partials(partials), by=by)
