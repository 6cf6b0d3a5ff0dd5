"""Helpers for the format tests: write small files, and compare sets by their texts."""

from __future__ import annotations

import json
import math

import pytest


@pytest.fixture
def write_jsonl(tmp_path):
    """write_jsonl(name, rows) -> path; a row that is a str or bytes is written as is."""

    def write(name: str, rows) -> object:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            for row in rows:
                if isinstance(row, bytes):
                    handle.write(row + b"\n")
                elif isinstance(row, str):
                    handle.write(row.encode("utf-8") + b"\n")
                else:
                    handle.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        return path

    return write


def pair_texts(nset) -> list[tuple]:
    """Sorted (query text, document text, label, score or None) of every pair."""
    q, d = nset.query_text(), nset.doc_text()
    return sorted((str(q[r.qid]), str(d[r.did]), int(r.label),
                   None if math.isnan(r.score) else float(r.score))
                  for r in nset.pairs.itertuples())


@pytest.fixture
def texts():
    return pair_texts
