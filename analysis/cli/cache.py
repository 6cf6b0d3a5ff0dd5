"""``python -m analysis cache info`` / ``cache prune --max-gb N``: what the cache holds, and
making it fit a size.

Areas under ``$NEGLENS_CACHE_DIR`` (else ``~/.cache/neglens``): embeddings (one entry per shard:
keys and vectors together), pools and uploads (``workspace/``), projections, probe runs, search
blocks of unfinished pool builds (``search/``).
``prune`` first sweeps temporaries left by dead writers, then removes the least recently written
entries until the total fits. Review decisions (``workspace/reviews``) are never pruned.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

AREAS = {"embeddings": "embeddings", "pools": "workspace/pools", "uploads": "workspace/uploads",
         "projections": "projections", "probe runs": "probe", "search blocks": "search",
         "columnar": "columnar"}   # one entry per input: analysis/formats/columnar


def register(subparsers) -> None:
    parser = subparsers.add_parser("cache", help="cache size per area, and pruning to a size",
                                   description="Show or prune the NegLens cache (never the reviews).")
    parser.add_argument("action", choices=("info", "prune"))
    parser.add_argument("--max-gb", type=float, help="prune: the size to fit, in GB (10^9 bytes)")
    parser.add_argument("--cache-dir", help="cache folder (default: $NEGLENS_CACHE_DIR or ~/.cache/neglens)")
    parser.set_defaults(func=run)


def entries(root: Path) -> list[tuple[str, float, int, list[Path]]]:
    """(area, mtime, bytes, paths) per removable entry."""
    out = []
    for area, sub in AREAS.items():
        base = root / sub
        if not base.is_dir():
            continue
        if area == "embeddings":
            for keys in base.glob("*/*.keys.npy"):
                vectors = keys.with_name(keys.name.replace(".keys.npy", ".vectors.npy"))
                paths = [p for p in (keys, vectors) if p.exists()]
                out.append((area, keys.stat().st_mtime, sum(p.stat().st_size for p in paths), paths))
            continue
        for item in base.iterdir():
            if item.name.endswith((".lock", ".tmp")) or item.name.startswith(".building-"):
                continue
            size = sum(f.stat().st_size for f in item.rglob("*") if f.is_file()) if item.is_dir() \
                else item.stat().st_size
            out.append((area, item.stat().st_mtime, size, [item]))
    return out


def run(args: argparse.Namespace) -> int:
    from analysis.model import DataError
    from analysis.scoring.embedding_cache import default_cache_dir, sweep_temporaries

    root = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    if args.action == "prune":
        if args.max_gb is None or args.max_gb < 0:
            raise DataError("prune needs --max-gb N (N >= 0)", field="max-gb")
        swept = sweep_temporaries(root) if root.is_dir() else 0
        found = sorted(entries(root), key=lambda e: e[1])
        total, limit, removed = sum(e[2] for e in found), args.max_gb * 1e9, 0
        for area, _, size, paths in found:
            if total <= limit:
                break
            for p in paths:
                shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
            total -= size
            removed += 1
        print(f"removed {removed} entries and {swept} stale temporaries; {total / 1e9:.3f} GB left")
        return 0
    found = entries(root)
    print(f"cache: {root}")
    for area in AREAS:
        rows = [e for e in found if e[0] == area]
        print(f"{area:>12}: {len(rows):>6} entries {sum(e[2] for e in rows) / 1e9:10.3f} GB")
    print(f"{'total':>12}: {len(found):>6} entries {sum(e[2] for e in found) / 1e9:10.3f} GB")
    return 0
