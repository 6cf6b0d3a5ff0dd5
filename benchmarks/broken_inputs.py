"""The battery of issue 25: real-world input variants, made in a folder, each with what is due.

``make_all(root) -> {name: (path, due)}`` where due is "ok" (reads, nothing to report), "skip"
(reads, with at least one reported skipped row) or "error" (a clean refusal). Used by
``benchmarks/real_files.py``; the tests build their own, hand-checked, in tests/formats.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import math
from pathlib import Path

import zstandard

FLAG = [{"query": f"query {i}", "pos": [f"passage {i}"], "neg": [f"neg {i} a", f"neg {i} b"],
         "pos_scores": [0.9], "neg_scores": [0.5, 0.25]} for i in range(20)]
NTUPLE = [{"anchor": f"query {i}", "positive": f"passage {i}", "negative_1": f"neg {i} a",
           "negative_2": f"neg {i} b", "scores": [0.9, 0.5, 0.25]} for i in range(20)]
PACK = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress,
        ".zst": lambda d: zstandard.ZstdCompressor().compress(d)}


def _jsonl(rows) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _with(rows, index, **change):
    rows = [dict(r) for r in rows]
    rows[index].update(change)
    return rows


def make_all(root: Path) -> dict[str, tuple[Path, str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out: dict[str, tuple[Path, str]] = {}

    def put(name: str, data: bytes, due: str) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out[name] = (path, due)

    for suffix, pack in PACK.items():
        put(f"msmarco-hard-negatives.jsonl{suffix}", pack(_jsonl(NTUPLE)), "ok")
        put(f"fe/train.jsonl{suffix}", pack(_jsonl(FLAG)), "ok")
        put(f"truncated.jsonl{suffix}", pack(_jsonl(FLAG * 400))[:-200], "error")
    put("gzip-named-plain.jsonl", gzip.compress(_jsonl(FLAG)), "ok")
    put("excel.csv", b"\xef\xbb\xbfanchor,positive,negative\r\nq,p,n\r\nq2,p2,n2\r\n", "ok")
    put("long-cell.csv", ("anchor,positive,negative\nq,\"" + "x " * 80_000 + "\",n\n").encode(), "ok")
    put("excel-short-row.csv", b"\xef\xbb\xbfanchor,positive,negative\r\nq,p,n\r\nq2,p2\r\n", "skip")
    for name, value in (("nan", math.nan), ("inf", math.inf), ("text", "oops"),
                        ("401digits", 10 ** 400), ("f32", 1e39)):
        text = "".join(json.dumps(r) + "\n" for r in _with(FLAG, 3, neg_scores=[0.5, value]))
        put(f"fe-{name}.jsonl", text.encode(), "skip")
        text = "".join(json.dumps(r) + "\n" for r in _with(NTUPLE, 3, scores=[0.9, value, 0.2]))
        put(f"st-{name}.jsonl", text.encode(), "skip")
    table = pa.Table.from_pylist(_with(NTUPLE, 5, scores=[0.9, math.nan, 0.2]))
    pq.write_table(table, root / "triplet-nan.parquet")
    out["triplet-nan.parquet"] = (root / "triplet-nan.parquet", "skip")
    _pool_with_text_scores(root, out)
    put("corrupt.parquet", b"PAR1" + b"\x07" * 300 + b"PAR1", "error")
    put("array.json", json.dumps(FLAG).encode(), "error")
    put("empty.jsonl", b"", "error")
    put("binary.jsonl", bytes(range(256)) * 20, "error")
    put("ds-list/dataset_info.json", b'["not", "an", "object"]', "error")
    put("cisi/CISI.ALL", "".join(f".I {i}\n.T\nt {i}\n.W\nbody {i}\n" for i in range(1, 30)).encode(),
        "ok")
    put("cisi/CISI.QRY", b".I 1\n.W\nfirst\n.I 2\n.W\nsecond\n", "ok")
    put("cisi/CISI.REL", b"     1     28\t0\t0.000000\n     2      3\t0\t0.000000\n", "ok")
    for name in ("cisi/CISI.ALL", "cisi/CISI.QRY", "cisi/CISI.REL"):
        out.pop(name)
    out["cisi"] = (root / "cisi", "ok")
    return out


def _pool_with_text_scores(root: Path, out: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from analysis.formats import load
    from analysis.formats.pool import write_pool

    source = root / "pool-source.jsonl"
    source.write_bytes(_jsonl(FLAG))
    table = pq.read_table(write_pool(load(source), root / "pool-tmp.parquet"))
    scores = [str(s) for s in table.column("score").to_pylist()]
    scores[7] = "oops"
    table = table.set_column(table.schema.get_field_index("score"), "score",
                             pa.array(scores)).replace_schema_metadata(table.schema.metadata)
    pq.write_table(table, root / "pool-text-scores.parquet")
    source.unlink()
    (root / "pool-tmp.parquet").unlink()
    out["pool-text-scores.parquet"] = (root / "pool-text-scores.parquet", "skip")
