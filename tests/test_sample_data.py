"""sample_data/: the shipped dataset has the promised shape, loads with the right counts, and its
mined files are what NegLens' own commands write from it (counts computed here from the raw files)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from analysis.cli import main as cli_main
from tests.conftest import REPO, SAMPLE_DATA


def _jsonl(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _tsv(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _info(path, capsys) -> dict:
    assert cli_main(["info", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_dataset_has_the_promised_shape():
    corpus = _jsonl(SAMPLE_DATA / "corpus.jsonl")
    queries = _jsonl(SAMPLE_DATA / "queries.jsonl")
    qrels = _tsv(SAMPLE_DATA / "qrels" / "test.tsv")
    planted = _tsv(SAMPLE_DATA / "ground_truth" / "unlabelled_positives.tsv")
    doc_ids = {d["_id"] for d in corpus}
    query_ids = {q["_id"] for q in queries}

    assert len({q["metadata"]["topic"] for q in queries}) >= 12
    assert len(queries) >= 120 and len(corpus) >= 1000
    assert all(40 <= len(d["text"].split()) <= 120 for d in corpus)
    assert len({d["text"] for d in corpus}) == len(corpus), "passages are distinct"
    labelled = {(r["query-id"], r["corpus-id"]) for r in qrels}
    per_query = {}
    for qid, _ in labelled:
        per_query[qid] = per_query.get(qid, 0) + 1
    assert set(per_query) == query_ids and set(per_query.values()) == {1}
    assert len(planted) >= 30
    for row in planted:
        pair = (row["query-id"], row["corpus-id"])
        assert row["corpus-id"] in doc_ids and row["query-id"] in query_ids
        assert pair not in labelled, "a planted positive must not be labelled"


def test_info_counts_the_beir_folder(capsys):
    qrels = _tsv(SAMPLE_DATA / "qrels" / "test.tsv")
    info = _info(SAMPLE_DATA, capsys)
    assert info["format"] == "beir"
    assert info["queries"] == len(_jsonl(SAMPLE_DATA / "queries.jsonl"))
    assert info["docs"] == len(_jsonl(SAMPLE_DATA / "corpus.jsonl"))
    assert info["positives"] == sum(int(r["score"]) > 0 for r in qrels)
    assert info["negatives"] == 0 and info["skipped"] == []


@pytest.mark.parametrize("name, fmt, pos_key, neg_keys", [
    ("sentence_transformers_ntuple.jsonl", "sentence-transformers/n-tuple", "positive", "negative_"),
    ("flagembedding.jsonl", "flagembedding", "pos", "neg"),
    ("tevatron.jsonl", "tevatron/legacy", "positive_passages", "negative_passages"),
])
def test_info_counts_each_mined_file(name, fmt, pos_key, neg_keys, capsys):
    rows = _jsonl(SAMPLE_DATA / "mined" / name)

    def negatives(row):
        if neg_keys.endswith("_"):
            return [v for k, v in row.items() if k.startswith(neg_keys)]
        return row[neg_keys]

    def positives(row):
        value = row[pos_key]
        return value if isinstance(value, list) else [value]

    def text(item):
        return item["text"] if isinstance(item, dict) else item

    docs = {text(t) for row in rows for t in positives(row) + negatives(row)}
    info = _info(SAMPLE_DATA / "mined" / name, capsys)
    assert info["format"] == fmt
    assert info["queries"] == len(rows)
    assert info["docs"] == len(docs)
    assert info["positives"] == sum(len(positives(r)) for r in rows)
    assert info["negatives"] == sum(len(negatives(r)) for r in rows)
    assert info["skipped"] == []


@pytest.mark.slow
def test_mined_files_are_what_neglens_writes(tmp_path):
    """make_mined.sh, run again, writes the shipped files: the same queries and positives, and
    the same negatives up to near-ties.

    Byte equality holds on the embeddings the files were made from (the same seed and settings
    give the same bytes: tests/export/test_apply.py); encoded afresh on another machine, float noise in
    the last bits can swap two candidates whose scores tie to ~1e-7, so negatives may differ by
    a handful and scores by ~1e-6.
    """
    from analysis.formats import load

    work = tmp_path / "repo"
    (work / "sample_data").mkdir(parents=True)
    for item in ("corpus.jsonl", "queries.jsonl", "qrels", "make_mined.sh"):
        src = SAMPLE_DATA / item
        dst = work / "sample_data" / item
        if src.is_dir():
            dst.mkdir()
            for f in src.iterdir():
                dst.joinpath(f.name).write_bytes(f.read_bytes())
        else:
            dst.write_bytes(src.read_bytes())
    env = {**__import__("os").environ, "PY": sys.executable, "PYTHONPATH": str(REPO)}
    subprocess.run(["bash", str(work / "sample_data" / "make_mined.sh")], env=env, check=True,
                   capture_output=True)
    for shipped in sorted((SAMPLE_DATA / "mined").iterdir()):
        want, got = load(shipped), load(work / "sample_data" / "mined" / shipped.name)

        def pairs(nset, label):
            rows = nset.pairs[nset.pairs["label"] == label]
            qtext, dtext = nset.query_text(), nset.doc_text()
            return {(qtext[q], dtext[d]): s for q, d, s in
                    zip(rows["qid"].astype(str), rows["did"].astype(str), rows["score"])}

        assert set(got.queries["text"]) == set(want.queries["text"]), shipped.name
        assert pairs(got, 1).keys() == pairs(want, 1).keys(), shipped.name
        a, b = pairs(want, 0), pairs(got, 0)
        common = a.keys() & b.keys()
        assert len(common) >= 0.98 * len(a) and len(b) == len(a), \
            f"{shipped.name}: {len(a) - len(common)} of {len(a)} negatives differ when regenerated"
        drift = max((abs(a[k] - b[k]) for k in common if a[k] == a[k]), default=0.0)
        assert drift < 1e-4, f"{shipped.name}: scores moved by {drift:.2e}"
