"""Real files as they come (issue 25): compressed reads beside the plain read, a folder of 10,000
files, and the battery of broken inputs through the command line.

    .venv/bin/python benchmarks/real_files.py [--queries 100000] [--work /tmp/real_files]

1. **Compressed.** Writes the n-tuple JSONL of ``benchmarks/open_mined.py`` (N queries x 1
   positive + 5 negatives, with scores), gzip (level 6) and zstd (level 3) copies of it, then
   ``analysis.formats.load`` of each in a fresh child process (its own peak RSS, ``VmHWM``), plain
   and compressed alternating, three times each; the children print a hash of the pairs, so "the same
   result" is checked, not assumed. Target: at most 1.5x the plain read's time and memory.
2. **Folder.** 10,000 small FlagEmbedding files in one folder: ``python -m analysis info DIR``
   (a fresh interpreter, imports included) and ``load(DIR)`` in-process. Target: answered < 5 s.
3. **Battery.** The issue's table of inputs (made here), each through ``python -m analysis info``
   with a 10 s timeout: counts tracebacks, silent acceptances (exit 0 where a skip or an error is
   due) and hangs. Target: 0, 0, 0.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

CHILD = r"""
import hashlib, json, sys, time
import pandas as pd
from analysis.formats import load
start = time.perf_counter()
nset = load(sys.argv[1])
seconds = time.perf_counter() - start
digest = hashlib.sha1(pd.util.hash_pandas_object(nset.pairs[["qid", "did", "label", "score"]],
                                                 index=False).to_numpy().tobytes()).hexdigest()
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"seconds": seconds, "peak_mib": peak / 1024, "pairs": len(nset.pairs),
                  "skipped": len(nset.skipped), "hash": digest}))
"""


def child(path: Path) -> dict:
    run = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=REPO, capture_output=True,
                         text=True, timeout=1200)
    if run.returncode:
        raise SystemExit(run.stderr[-2000:])
    return json.loads(run.stdout.strip().splitlines()[-1])


def compressed(work: Path, queries: int) -> None:
    import zstandard
    from open_mined import generate

    plain = work / "mined.jsonl"
    if not plain.exists():
        generate(plain, queries)
    gz, zst = work / "mined.jsonl.gz", work / "mined.jsonl.zst"
    if not gz.exists():
        with open(plain, "rb") as src, gzip.open(gz, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    if not zst.exists():
        with open(plain, "rb") as src, open(zst, "wb") as dst:
            zstandard.ZstdCompressor(level=3).copy_stream(src, dst)
    mib = {p.name: p.stat().st_size / 2**20 for p in (plain, gz, zst)}
    print(f"\n## Compressed reads: {queries:,} queries; sizes "
          + ", ".join(f"{k} {v:.1f} MiB" for k, v in mib.items()))
    runs: dict[str, list[dict]] = {p.name: [] for p in (plain, gz, zst)}
    for _ in range(3):
        for path in (plain, gz, zst):
            runs[path.name].append(child(path))
    base = runs[plain.name]
    best = {name: (min(r["seconds"] for r in rs), max(r["peak_mib"] for r in rs))
            for name, rs in runs.items()}
    hashes = {r["hash"] for rs in runs.values() for r in rs}
    print("| file | load s, best (each run) | peak MiB | vs plain, best / median time; memory | same pairs |")
    print("|---|---|---|---|---|")
    for name, (seconds, peak) in best.items():
        median = sorted(r["seconds"] for r in runs[name])[len(runs[name]) // 2]
        base_median = sorted(r["seconds"] for r in base)[len(base) // 2]
        ratio = (f"{seconds / best[plain.name][0]:.2f}x / {median / base_median:.2f}x; "
                 f"{peak / best[plain.name][1]:.2f}x")
        each = ", ".join(f"{r['seconds']:.2f}" for r in runs[name])
        print(f"| {name} | {seconds:.2f} ({each}) "
              f"| {peak:.0f} | {ratio} | {len(hashes) == 1} |")
    print(f"pairs {base[0]['pairs']:,}, skipped {base[0]['skipped']}")


def folder(work: Path) -> None:
    from analysis.formats import load

    many = work / "many"
    if not many.exists():
        many.mkdir()
        for i in range(10_000):
            (many / f"part-{i:05d}.jsonl").write_text(json.dumps(
                {"query": f"q{i}", "pos": [f"p{i}"], "neg": [f"n{i}"]}) + "\n")
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "analysis", "info", str(many)], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    cli = time.perf_counter() - start
    start = time.perf_counter()
    try:
        load(many)
    except ValueError:
        pass
    inproc = time.perf_counter() - start
    print("\n## Folder of 10,000 small files")
    print(f"python -m analysis info: {cli:.2f} s (exit {run.returncode}); load() in-process "
          f"{inproc:.2f} s; answer: {run.stderr.strip()[:160]}...")


def _battery_inputs(root: Path) -> dict[str, tuple[Path, str]]:
    """name -> (path, what is due: "ok", "skip" or "error")."""
    from broken_inputs import make_all

    return make_all(root)


def battery(work: Path, code: Path = REPO) -> None:
    """``code``: the checkout whose ``python -m analysis`` runs (another one for a before/after)."""
    root = work / "battery"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    cases = _battery_inputs(root)
    tracebacks, silent, hangs, refused, slowest = [], [], [], [], (0.0, "")
    for name, (path, due) in cases.items():
        start = time.perf_counter()
        try:
            run = subprocess.run([sys.executable, "-m", "analysis", "info", str(path), "--json"],
                                 cwd=code, capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            hangs.append(name)
            continue
        took = time.perf_counter() - start
        slowest = max(slowest, (took, name))
        if "Traceback" in run.stderr or run.returncode not in (0, 2):
            tracebacks.append(name)
        elif due == "ok" and run.returncode != 0:
            refused.append(name)
        elif due != "ok" and run.returncode == 0:
            skipped = json.loads(run.stdout)["skipped"]
            if due == "error" or not skipped:
                silent.append(name)
    print(f"\n## Battery: {len(cases)} inputs through python -m analysis info (10 s timeout), "
          f"code in {code}")
    print(f"tracebacks {len(tracebacks)} {tracebacks}; silent acceptances {len(silent)} {silent}; "
          f"hangs {len(hangs)} {hangs}; readable inputs refused {len(refused)} {refused}; "
          f"slowest {slowest[0]:.1f} s ({slowest[1]})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/real_files"))
    parser.add_argument("--code", type=Path, default=REPO,
                        help="checkout the battery runs (default: this one)")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["compressed", "folder", "battery"])
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if "battery" not in args.skip:
        battery(args.work, args.code)
    if "folder" not in args.skip:
        folder(args.work)
    if "compressed" not in args.skip:
        compressed(args.work, args.queries)


if __name__ == "__main__":
    main()
