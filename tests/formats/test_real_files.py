"""Real files as they come (issue 25): each row of the issue's table, reproduced on a file made
here and run through ``python -m analysis info`` / ``stats``; the answer is a result or one clear
error line, never a traceback, and an invalid value is never silently kept.

Folders, datasets folders and SMART judgements are in ``test_real_folders.py``.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import math
import subprocess
import sys

import pytest
import zstandard

from analysis.cli import main

COMPRESS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress,
            ".zst": lambda data: zstandard.ZstdCompressor().compress(data)}

# sentence-transformers' published msmarco-hard-negatives style: n-tuple rows with scores
NTUPLE = [{"anchor": f"query {i}", "positive": f"passage {i}", "negative_1": f"neg {i} a",
           "negative_2": f"neg {i} b", "scores": [0.9, 0.5 - i / 100, 0.25]} for i in range(6)]
FLAG = [{"query": f"query {i}", "pos": [f"passage {i}"], "neg": [f"neg {i} a", f"neg {i} b"],
         "pos_scores": [0.9], "neg_scores": [0.5, 0.25]} for i in range(6)]


def _jsonl(rows) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def info(capsys, *args) -> dict:
    """``python -m analysis info ARGS --json`` in-process: the JSON, or AssertionError with the
    error line when it exits 2."""
    code = main(["info", *map(str, args), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def refused(capsys, *args) -> str:
    """The one error line of ``python -m analysis info ARGS`` (exit status 2)."""
    code = main(["info", *map(str, args)])
    out, err = capsys.readouterr()
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, (code, out, err)
    return err


def _same(a: dict, b: dict) -> None:
    keep = ("format", "queries", "docs", "pairs", "positives", "negatives", "has_scores",
            "has_ranks", "skipped")
    assert {k: a[k] for k in keep} == {k: b[k] for k in keep}


# -- compressed input ----------------------------------------------------------------------
@pytest.mark.parametrize("suffix", list(COMPRESS))
@pytest.mark.parametrize("rows, name", [(NTUPLE, "msmarco-hard-negatives.jsonl"),
                                        (FLAG, "train.jsonl")], ids=["sbert", "flagembedding"])
def test_compressed_jsonl_reads_as_the_plain_file(tmp_path, capsys, suffix, rows, name):
    plain = tmp_path / name
    plain.write_bytes(_jsonl(rows))
    packed = tmp_path / (name + suffix)
    packed.write_bytes(COMPRESS[suffix](_jsonl(rows)))
    got, want = info(capsys, packed), info(capsys, plain)
    _same(got, want)
    assert got["pairs"] == 6 * 3 and got["has_scores"]


def test_compressed_csv_with_a_bad_row_names_the_decompressed_line(tmp_path, capsys):
    text = "anchor,positive,negative\r\nq1,p1,n1\r\nq2,p2\r\nq3,\"p3\r\nstill p3\",n3\r\n"
    path = tmp_path / "triplets.csv.zst"
    path.write_bytes(COMPRESS[".zst"](text.encode()))
    got = info(capsys, path)
    assert got["pairs"] == 4                          # q1 and q3: two pairs each
    assert [(s["line"], s["reason"]) for s in got["skipped"]] == [
        (3, "has 2 cells, the header has 3")]


def test_compressed_beir_folder_with_a_compressed_run_reads_as_the_plain_one(tmp_path, capsys):
    files = {"corpus.jsonl": _jsonl([{"_id": "d1", "title": "", "text": "a cat"},
                                     {"_id": "d2", "title": "", "text": "a dog"}]),
             "queries.jsonl": _jsonl([{"_id": "q1", "text": "cats"}]),
             "qrels/test.tsv": b"query-id\tcorpus-id\tscore\nq1\td1\t1\n",
             "run.trec": b"q1 Q0 d1 1 3.5 bm25\nq1 Q0 d2 2 1.5 bm25\n"}
    for folder, pack in (("plain", lambda d: d), ("packed", gzip.compress)):
        for name, data in files.items():
            target = tmp_path / folder / (name + ("" if folder == "plain" else ".gz"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(pack(data))
    got, want = info(capsys, tmp_path / "packed"), info(capsys, tmp_path / "plain")
    _same(got, want)
    assert got["format"] == "beir" and got["has_ranks"] and got["pairs"] == 2


def test_writing_stays_plain_unless_the_out_name_asks(tmp_path):
    from analysis.formats import load, write
    from analysis.formats._open import compression_of

    source = tmp_path / "in.jsonl"
    source.write_bytes(_jsonl(FLAG))
    nset = load(source)
    assert compression_of(write(nset, tmp_path / "o.jsonl", format="flagembedding")) is None
    out = write(nset, tmp_path / "o.jsonl.gz", format="flagembedding")
    assert compression_of(out) == "gzip" and gzip.decompress(out.read_bytes()).count(b"\n") == 6


# -- text hygiene --------------------------------------------------------------------------
def test_excel_csv_with_bom_and_crlf_reads(tmp_path, capsys):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")         # what Excel writes
    writer.writerow(["anchor", "positive", "negative"])
    writer.writerows([["what is a cat", "a feline", "a dog"], ["capital of france", "paris", "rome"]])
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode())
    got = info(capsys, path)
    assert got["format"] == "sentence-transformers/triplet" and got["pairs"] == 4
    assert got["skipped"] == []


def test_a_csv_cell_longer_than_the_csv_modules_limit_is_read_whole(tmp_path):
    from analysis.formats import load

    passage = "long passage " * 12_000                       # 156,000 characters > 131,072
    path = tmp_path / "long.csv"
    path.write_text(f"anchor,positive,negative\nq,\"{passage}\",short negative\n")
    nset = load(path)
    assert sorted(nset.docs["text"].str.len()) == [len("short negative"), len(passage)]


# -- numbers -------------------------------------------------------------------------------
BAD_SCORES = [
    (float("nan"), 'item 2: score is NaN (value nan)'),
    (float("inf"), 'item 2: score is infinite (value inf)'),
    ("oops", "item 2: expected a number, got text 'oops'"),
    (10 ** 400, "item 2: number 1" + "0" * 29 + "... (401 digits) is out of range"),
    (1e39, "item 2: number 1e+39 is out of range (scores are float32)"),
]


@pytest.mark.parametrize("value, reason", BAD_SCORES, ids=["nan", "inf", "text", "401digits", "f32"])
def test_a_bad_flagembedding_score_is_a_reported_skip(tmp_path, capsys, value, reason):
    rows = [dict(r) for r in FLAG]
    rows[2]["neg_scores"] = [0.5, value]
    path = tmp_path / "fe.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))   # json writes NaN, Infinity
    got = info(capsys, path)
    assert got["skipped"] == [{"file": str(path), "line": 3,
                               "reason": f'field "neg_scores": {reason}'}]
    assert got["queries"] == 5


def test_a_nan_in_sentence_transformers_scores_is_skipped_in_jsonl_and_parquet(tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [dict(r) for r in NTUPLE]
    rows[4]["scores"] = [0.9, math.nan, 0.25]
    (tmp_path / "n.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "n.parquet")
    for name, line in (("n.jsonl", 5), ("n.parquet", 5)):
        got = info(capsys, tmp_path / name)
        assert [(s["line"], s["reason"]) for s in got["skipped"]] == [
            (line, 'field "scores": item 2: score is NaN (value nan)')], name
        assert got["pairs"] == 5 * 3
    stats = main(["stats", str(tmp_path / "n.parquet"), "--json"])
    table = json.loads(capsys.readouterr().out)["tables"]["score"]["n.parquet"]
    assert stats == 0 and table["Count"]["negative"] == 10 and not math.isnan(table["Mean"]["negative"])


def test_a_pool_file_with_text_scores_skips_the_rows_that_are_no_numbers(tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from analysis.formats import load
    from analysis.formats.pool import write_pool

    source = tmp_path / "fe.jsonl"
    source.write_bytes(_jsonl(FLAG))
    written = pq.read_table(write_pool(load(source), tmp_path / "pool.parquet"))
    scores = [str(s) for s in written.column("score").to_pylist()]
    scores[4] = "oops"
    spoiled = written.set_column(written.schema.get_field_index("score"), "score",
                                 pa.array(scores)).replace_schema_metadata(written.schema.metadata)
    pq.write_table(spoiled, tmp_path / "strings.parquet")
    got = info(capsys, tmp_path / "strings.parquet")
    assert got["format"] == "flagembedding" and got["pairs"] == 17    # the pool keeps its format
    assert [(s["line"], s["reason"]) for s in got["skipped"]] == [
        (5, "field \"score\": expected a finite number within float32 range (NaN = unknown), "
            "got 'oops'")]


def test_a_trec_run_with_a_nan_score_or_a_huge_rank_skips_those_lines(tmp_path, capsys):
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_bytes(_jsonl([{"_id": f"d{i}", "text": f"doc {i}"}
                                                  for i in range(4)]))
    (folder / "queries.jsonl").write_bytes(_jsonl([{"_id": "q1", "text": "query"}]))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td0\t1\n")
    (folder / "run.trec").write_text(f"q1 Q0 d0 1 2.5 t\nq1 Q0 d1 2 nan t\nq1 Q0 d2 {'9' * 401} 1.0 t\n"
                                     "q1 Q0 d3 4 0.5 t\n")
    got = info(capsys, folder)
    reasons = [(s["line"], s["reason"].split(":")[0]) for s in got["skipped"]]
    assert reasons == [(2, 'field "score"'), (3, 'field "rank"')]
    assert got["pairs"] == 2


# -- a few through a fresh interpreter: one error line, no traceback -------------------------
@pytest.mark.parametrize("make", ["truncated_gzip", "corrupt_parquet", "text_dataset_info"])
def test_broken_input_prints_one_error_line_in_a_fresh_interpreter(tmp_path, make):
    if make == "truncated_gzip":
        data = gzip.compress(_jsonl(FLAG * 500))
        path = tmp_path / "train.jsonl.gz"
        path.write_bytes(data[: len(data) // 2])
    elif make == "corrupt_parquet":
        path = tmp_path / "t.parquet"
        path.write_bytes(b"PAR1" + b"\x00" * 64 + b"PAR1")
    else:
        path = tmp_path / "ds"
        path.mkdir()
        (path / "dataset_info.json").write_text('["a", "list"]')
    run = subprocess.run([sys.executable, "-m", "analysis", "info", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.startswith(f"error: {path}") and run.stderr.count("\n") == 1
