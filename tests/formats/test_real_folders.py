"""Real folders as they come (issue 25): thousands of small files, ``datasets`` folders with a
bad ``dataset_info.json`` or a corrupt shard, and SMART judgements whose fields mix runs of
spaces and tabs. Files are made here; the answers go through ``python -m analysis info``."""

from __future__ import annotations

import json

import pytest

from analysis.cli import main
from analysis.formats import load
from analysis.formats._folder import MAX_FILES
from analysis.model import DataError


def _flag(i: int) -> str:
    return json.dumps({"query": f"query {i}", "pos": [f"passage {i}"], "neg": [f"neg {i}"]}) + "\n"


def test_a_folder_of_10000_small_files_is_refused_with_the_reason(tmp_path, capsys):
    for i in range(10_000):
        (tmp_path / f"part-{i:05d}.jsonl").write_text(_flag(i))
    assert main(["info", str(tmp_path)]) == 2          # timed in benchmarks/real_files.py
    err = capsys.readouterr().err
    assert "holds 10,000 data files (part-00000.jsonl, part-00001.jsonl" in err
    assert f"at most {MAX_FILES} files from one folder" in err
    assert err.count("\n") == 1 and len(err) < 1500   # 20 names, not 10,000


def test_a_folder_of_10000_unrelated_files_says_what_it_looked_at(tmp_path, capsys):
    for i in range(10_000):
        (tmp_path / f"note-{i:05d}.txt").write_text(f"hello {i}\n")
    assert main(["info", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Looked at 10,000 entries: note-00000.txt" in err and "and 9,980 more" in err


def test_a_folder_at_the_limit_is_read_and_its_other_files_listed_by_reason(tmp_path, capsys,
                                                                         monkeypatch):
    monkeypatch.setattr("analysis.formats._folder.MAX_FILES", 25)   # the rule, not the number
    for i in range(25):
        (tmp_path / f"part-{i:03d}.jsonl").write_text(_flag(i))
    for i in range(30):
        (tmp_path / f"log-{i:02d}.txt").write_text("a log line\n")
    (tmp_path / "part-999.jsonl").write_text(_flag(999))
    assert main(["info", str(tmp_path)]) == 2                      # one data file too many
    assert "holds 26 data files" in capsys.readouterr().err
    (tmp_path / "part-999.jsonl").unlink()
    assert main(["info", str(tmp_path), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["queries"] == 25 and len(got["files"]["used"]) == 25
    ignored = got["files"]["ignored"]
    assert len(ignored) == 21 and ignored[-1]["file"] == "10 more files"   # 20 named, 1 count
    assert ignored[0]["reason"].startswith("not a data file by its name")


def test_a_datasets_folder_whose_info_is_a_json_list_is_a_clean_error(tmp_path):
    (tmp_path / "dataset_info.json").write_text('[{"features": {}}]')
    with pytest.raises(DataError) as err:
        load(tmp_path)
    assert err.value.file == str(tmp_path / "dataset_info.json")
    assert "expected a JSON object, got a JSON list" in err.value.reason


def test_a_datasets_dict_whose_splits_are_not_names_is_a_clean_error(tmp_path):
    (tmp_path / "dataset_dict.json").write_text('{"splits": {"train": 1}}')
    with pytest.raises(DataError, match='field "splits": expected a list of split names'):
        load(tmp_path)


def test_a_corrupt_arrow_shard_is_named(tmp_path):
    import datasets

    folder = tmp_path / "ds"
    datasets.Dataset.from_dict({"anchor": [f"q{i}" for i in range(50)],
                                "positive": [f"p{i}" for i in range(50)],
                                "negative": [f"n{i}" for i in range(50)]}).save_to_disk(str(folder))
    shard = next(folder.glob("*.arrow"))
    data = bytearray(shard.read_bytes())
    data[8:len(data) - 8] = b"\xff" * (len(data) - 16)
    shard.write_bytes(bytes(data))
    with pytest.raises(DataError) as err:
        load(folder)
    assert shard.name in str(err.value)


# -- SMART judgements: fields split on any run of whitespace ---------------------------------
DOCS = "".join(f".I {i}\n.T\ntitle {i}\n.W\nbody of document {i}\n" for i in range(1, 30))
QUERIES = ".I 1\n.W\nfirst query\n.I 2\n.W\nsecond query\n"


@pytest.mark.parametrize("line", [
    "     1     28\t0\t0.000000",          # the published CISI copy: spaces, then tabs
    "1 28 0 0.000000",
    "1\t28\t0\t0.000000",
    "1\t 28 \t0\t0.000000",
    "  1  28  ",
    "1\t28",
    "1 28\t\t0 0.000000\t",
], ids=["cisi", "spaces", "tabs", "tab-space", "padded-pair", "tab-pair", "trailing-tab"])
def test_a_smart_judgement_reads_query_1_document_28_whatever_the_whitespace(tmp_path, line):
    (tmp_path / "CISI.ALL").write_text(DOCS)
    (tmp_path / "CISI.QRY").write_text(QUERIES)
    (tmp_path / "CISI.REL").write_text(f"{line}\n     2     3\t0\t0.000000\n")
    nset = load(tmp_path)
    assert nset.format == "smart" and nset.skipped == []
    pairs = sorted(zip(nset.pairs["qid"].astype(str), nset.pairs["did"].astype(str),
                       nset.pairs["label"].tolist()))
    assert pairs == [("1", "28", 1), ("2", "3", 1)]


def test_beir_keeps_its_tab_rule_for_ids_with_spaces(tmp_path):
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text(json.dumps({"_id": "doc 1", "text": "a cat"}) + "\n")
    (tmp_path / "queries.jsonl").write_text(json.dumps({"_id": "q 1", "text": "cats"}) + "\n")
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq 1\tdoc 1\t1\n")
    nset = load(tmp_path)
    assert list(zip(nset.pairs["qid"].astype(str), nset.pairs["did"].astype(str))) == [
        ("q 1", "doc 1")]
