"""Every registered reader fails cleanly: random bytes, truncations and mutations of a valid file
give a NegativeSet or a DataError, never another exception (property-based, hypothesis).

Each reader gets a valid input (written here, small), then hypothesis spoils one of its files:
replaced by random bytes, cut at a random byte, or with bytes overwritten, inserted or deleted.
Plain and gzip-compressed copies are both fed. The example counts are modest so the module runs
in well under a minute; ``NEGLENS_FUZZ_EXAMPLES=500`` runs a deeper search.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.formats import formats, load
from analysis.formats.qrels import read_judgements
from analysis.model import DataError, NegativeSet

FLAG = [{"query": "what is a cat", "pos": ["a cat is a feline"], "neg": ["a dog barks", "sun"],
         "pos_scores": [0.9], "neg_scores": [0.5, 0.1]},
        {"query": "capital of france", "pos": ["paris"], "neg": ["berlin"]}]
TRIPLET = [{"anchor": "what is a cat", "positive": "a feline", "negative": "a dog",
            "scores": [0.9, 0.2]},
           {"anchor": "capital of france", "positive": "paris", "negative": "berlin",
            "scores": [0.8, 0.3]}]
LEGACY = [{"query_id": "1", "query": "what is a cat",
           "positive_passages": [{"docid": "d1", "title": "Cat", "text": "a feline"}],
           "negative_passages": [{"docid": "d2", "title": "", "text": "a dog"}]}]


def _jsonl(rows) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def _csv(rows) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(rows[0]))
    for row in rows:
        writer.writerow([json.dumps(v) if isinstance(v, list) else v for v in row.values()])
    return out.getvalue().encode()


def _parquet(rows) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue()


def _write(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def _pool() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        nset = load(_write(Path(tmp), {"f.jsonl": _jsonl(FLAG)}) / "f.jsonl")
        from analysis.formats.pool import write_pool

        return write_pool(nset, Path(tmp) / "p.parquet").read_bytes()


BEIR = {"corpus.jsonl": _jsonl([{"_id": "d1", "title": "Cat", "text": "a feline"},
                                {"_id": "d2", "title": "", "text": "a dog"}]),
        "queries.jsonl": _jsonl([{"_id": "q1", "text": "what is a cat"}]),
        "qrels/test.tsv": b"query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\n",
        "run.trec": b"q1 Q0 d1 1 12.5 bm25\nq1 Q0 d2 2 7.25 bm25\n"}
SMART = {"cran.all": b".I 1\n.T\nthe cat\n.W\na cat is a feline\n.I 2\n.T\ndogs\n.W\nbark\n"
                     b".I 3\n.T\nsun\n.W\na star\n",
         "cran.qry": b".I 001\n.W\nwhat is a cat\n.I 002\n.W\nwhat barks\n",
         "cranqrel": b"1 1 2\n1 2 5\n     2     2\t0\t0.000000\n"}

# reader name -> (files of a valid input, the file hypothesis spoils, the path to load)
CASES = {
    "flagembedding": ({"f.jsonl": _jsonl(FLAG)}, "f.jsonl", "f.jsonl"),
    "tevatron": ({"t.jsonl": _jsonl(LEGACY)}, "t.jsonl", "t.jsonl"),
    "sentence-transformers.jsonl": ({"s.jsonl": _jsonl(TRIPLET)}, "s.jsonl", "s.jsonl"),
    "sentence-transformers.csv": ({"s.csv": _csv(TRIPLET)}, "s.csv", "s.csv"),
    "sentence-transformers.parquet": ({"s.parquet": _parquet(TRIPLET)}, "s.parquet", "s.parquet"),
    "pool": ({"p.parquet": _pool()}, "p.parquet", "p.parquet"),
    "beir.corpus": (BEIR, "corpus.jsonl", "."),
    "beir.qrels": (BEIR, "qrels/test.tsv", "."),
    "beir.run": (BEIR, "run.trec", "."),
    "smart.docs": (SMART, "cran.all", "."),
    "smart.qrels": (SMART, "cranqrel", "."),
}


def test_every_registered_format_has_a_case():
    assert {name.split(".")[0] for name in CASES} == set(formats())


@st.composite
def spoiled(draw, valid: bytes) -> bytes:
    kind = draw(st.sampled_from(["random", "truncate", "overwrite", "insert", "delete"]))
    if kind == "random":
        return draw(st.binary(max_size=600))
    at = draw(st.integers(0, len(valid)))
    if kind == "truncate":
        return valid[:at]
    chunk = draw(st.binary(min_size=1, max_size=16))
    if kind == "overwrite":
        return valid[:at] + chunk + valid[at + len(chunk):]
    if kind == "insert":
        return valid[:at] + chunk + valid[at:]
    return valid[:at] + valid[at + draw(st.integers(1, 32)):]


def _check(case: str, data: bytes, compress: bool, forced: bool) -> None:
    files, target, entry = CASES[case]
    name = target + (".gz" if compress else "")
    payload = gzip.compress(data) if compress else data
    with tempfile.TemporaryDirectory() as tmp:
        root = _write(Path(tmp), {n: d for n, d in files.items() if n != target}
                      | {name: payload})
        path = root / (name if entry == target else entry)
        fmt = case.split(".")[0] if forced else None
        try:
            result = load(path, format=fmt)
        except DataError:
            return
        assert isinstance(result, NegativeSet)
        assert not result.pairs["score"].isin([float("inf"), float("-inf")]).any()


EXAMPLES = int(os.environ.get("NEGLENS_FUZZ_EXAMPLES", "12"))  # raise it for a deeper run
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("case", list(CASES))
@FUZZ
@given(data=st.data(), forced=st.booleans())
def test_a_spoiled_file_gives_a_result_or_a_data_error(case, data, forced):
    files, target, _ = CASES[case]
    _check(case, data.draw(spoiled(files[target])), compress=False, forced=forced)


@pytest.mark.parametrize("case", [c for c in CASES if "parquet" not in c and c != "pool"])
@settings(FUZZ, max_examples=max(EXAMPLES // 2, 1))
@given(data=st.data())
def test_a_spoiled_gzip_file_gives_a_result_or_a_data_error(case, data):
    files, target, _ = CASES[case]
    raw = data.draw(spoiled(files[target]))
    if data.draw(st.booleans()):                       # spoil the compressed bytes instead
        packed = gzip.compress(files[target])
        cut = data.draw(st.integers(0, len(packed)))
        raw = packed[:cut] + data.draw(st.binary(max_size=8)) + packed[cut + 4:]
        _check_raw(case, raw)
        return
    _check(case, raw, compress=True, forced=False)


def _check_raw(case: str, packed: bytes) -> None:
    files, target, entry = CASES[case]
    with tempfile.TemporaryDirectory() as tmp:
        root = _write(Path(tmp), {n: d for n, d in files.items() if n != target}
                      | {target + ".gz": packed})
        try:
            load(root / (target + ".gz" if entry == target else entry))
        except DataError:
            pass


@FUZZ
@given(data=st.binary(max_size=400))
def test_the_qrels_reader_returns_judgements_and_skips_on_any_bytes(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "qrels.tsv"
        path.write_bytes(data)
        for separator in ("auto", "tab", "whitespace"):
            try:
                qrels = read_judgements(path, separator=separator)
            except DataError:         # bytes that look compressed and are not
                continue
            assert all(j.grade is None or abs(j.grade) < float("inf") for j in qrels.judgements)
