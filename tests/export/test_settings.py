"""Settings files: built from a run, validated against the JSON Schema, read back unchanged."""

from __future__ import annotations

import hashlib
import json

import jsonschema
import numpy as np
import pandas as pd
import pytest

from analysis.export import inputs, settings
from analysis.false_negatives.review import ReviewStore
from analysis.formats.pool import write_pool
from analysis.model import DataError, NegativeSet
from analysis.scoring.synthetic import make_pool
from analysis.strategies import create


@pytest.fixture(scope="module")
def pool():
    return make_pool(num_queries=12, pool_size=20, seed=3)


@pytest.fixture()
def pool_file(tmp_path, pool):
    return write_pool(pool, tmp_path / "data" / "pool.parquet")


def run_settings(pool, path, **options):
    strategy = create("margin", relative_margin=0.05, num_negatives=4)
    selection = strategy.select(pool, np.random.default_rng(5))
    return settings.from_run(path, strategy=strategy, seed=5, pool=pool, selection=selection,
                             **options), selection


def test_written_file_validates_against_the_schema_and_reads_back(tmp_path, pool, pool_file):
    made, selection = run_settings(pool, pool_file, output_format="flagembedding")
    path = settings.write(made, tmp_path / "settings.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(settings.schema()).validate(doc)
    assert doc["format_version"] == 1
    assert doc["dataset"]["kind"] == "pool"
    assert doc["dataset"]["files"] == [{"path": "pool.parquet", "bytes": pool_file.stat().st_size,
                                        "sha256": hashlib.sha256(pool_file.read_bytes()).hexdigest()}]
    assert doc["strategy"] == {"name": "margin", "params": dict(create(
        "margin", relative_margin=0.05, num_negatives=4).params)}
    assert doc["seed"] == 5 and doc["false_negatives"] == "drop" and doc["decisions"] == []
    assert doc["selection"]["rows"] == len(selection)
    assert doc["selection"]["short_queries"] == selection.report.num_short
    assert [f["name"] for f in doc["filters"]] == [f.name for f in selection.report.filters]
    assert doc["output"] == {"format": "flagembedding"}
    assert settings.read(path).as_dict() == doc


def test_selection_digest_is_the_sha256_of_qid_tab_did_lines():
    queries = pd.DataFrame({"qid": ["q1", "q2"], "text": ["a", "b"]})
    docs = pd.DataFrame({"did": ["d1", "d2", "d3"], "text": ["x", "y", "z"]})
    pairs = pd.DataFrame({"qid": ["q1", "q1", "q2"], "did": ["d1", "d2", "d3"], "label": [0, 0, 0]})
    nset = NegativeSet(queries, docs, pairs)

    class Chosen:
        rows = np.array([2, 0])

    expected = hashlib.sha256(b"q2\td3\nq1\td1\n").hexdigest()
    assert settings.selection_digest(nset, Chosen()) == expected


def test_folder_digests_list_every_file_but_hidden_ones(tmp_path):
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_bytes(b"abc")
    (tmp_path / "qrels" / "test.tsv").write_bytes(b"")
    (tmp_path / ".hidden").write_bytes(b"x")
    assert inputs.file_digests(tmp_path) == [
        {"path": "corpus.jsonl", "sha256": hashlib.sha256(b"abc").hexdigest(), "bytes": 3},
        {"path": "qrels/test.tsv", "sha256": hashlib.sha256(b"").hexdigest(), "bytes": 0},
    ]


def test_changed_missing_and_new_files_are_each_reported(tmp_path):
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "a.txt").write_text("one")
    (folder / "b.txt").write_text("two")
    made = settings.Settings(dataset={"path": str(folder), "kind": "raw", "format": None,
                                      "files": inputs.file_digests(folder)},
                             strategy={"name": "top_k", "params": {}}, seed=0)
    assert inputs.changed_inputs(made) == []
    (folder / "a.txt").write_text("uno")
    (folder / "b.txt").unlink()
    (folder / "c.txt").write_text("three")
    problems = inputs.changed_inputs(made)
    assert len(problems) == 3
    assert "a.txt: sha256" in problems[0] and "!= recorded" in problems[0]
    assert "b.txt: missing" in problems[1]
    assert "c.txt: new file" in problems[2]


def test_relative_dataset_paths_are_taken_from_the_settings_folder(tmp_path, pool, pool_file):
    made, _ = run_settings(pool, pool_file)
    doc = made.as_dict()
    doc["dataset"]["path"] = "data/pool.parquet"
    (tmp_path / "s.json").write_text(json.dumps(doc))
    read = settings.read(tmp_path / "s.json")
    assert inputs.changed_inputs(read, base=tmp_path) == []
    assert inputs.changed_inputs(read, base=tmp_path / "elsewhere")[0].endswith(
        "no such file or folder")


@pytest.mark.parametrize("edit, field, by_schema", [
    (lambda d: d["dataset"]["files"][0].update(sha256="ABC"), "dataset.files[0].sha256", True),
    (lambda d: d.update(seed=-1), "seed", True),
    (lambda d: d.update(false_negatives="keep"), "false_negatives", True),
    (lambda d: d["decisions"].append({"qid": "q", "did": "d", "verdict": "maybe", "time": "t"}),
     "decisions[0].verdict", True),
    (lambda d: d.pop("strategy"), None, True),
    (lambda d: d["strategy"].update(name="no_such_strategy"), "strategy.name", False),
    (lambda d: d["strategy"]["params"].update(relative_margin=2.0), "strategy.params.relative_margin",
     False),
    (lambda d: d["strategy"]["params"].update(colour="red"), "strategy.params.colour", False),
])
def test_invalid_documents_are_refused_naming_the_field(tmp_path, pool, pool_file, edit, field,
                                                        by_schema):
    made, _ = run_settings(pool, pool_file)
    doc = made.as_dict()
    edit(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DataError) as caught:
        settings.read(path)
    assert caught.value.file == str(path)
    assert caught.value.field == field
    schema_errors = list(jsonschema.Draft202012Validator(settings.schema()).iter_errors(doc))
    assert bool(schema_errors) == by_schema  # strategy checks go beyond what the schema says


def test_other_format_versions_and_broken_json_are_refused(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"format_version": 2}')
    with pytest.raises(DataError, match="format_version 2 is not supported"):
        settings.read(path)
    path.write_text('{"format_version": 1,\n  "seed": }')
    with pytest.raises(DataError) as caught:
        settings.read(path)
    assert caught.value.line == 2
    with pytest.raises(DataError, match="no such settings file"):
        settings.read(tmp_path / "absent.json")


def test_decisions_from_a_review_store_keep_their_time(tmp_path, pool, pool_file):
    store = ReviewStore(tmp_path / "review.json")
    from datetime import datetime, timezone

    store.mark("q000001", "d1", "false_negative", at=datetime(2024, 5, 1, 12, tzinfo=timezone.utc))
    store.mark("q000002", "d2", "unsure", at=datetime(2024, 5, 2, 8, tzinfo=timezone.utc))
    made, _ = run_settings(pool, pool_file, decisions=store.all(), false_negatives="promote")
    assert made.decisions == [
        {"qid": "q000001", "did": "d1", "verdict": "false_negative", "time": "2024-05-01T12:00:00+00:00"},
        {"qid": "q000002", "did": "d2", "verdict": "unsure", "time": "2024-05-02T08:00:00+00:00"},
    ]
    written = settings.write(made, tmp_path / "s.json")
    assert settings.read(written).false_negatives == "promote"
    with pytest.raises(DataError) as caught:
        made.with_decisions([{"qid": "q", "did": "", "verdict": "false_negative"}])
    assert caught.value.field == "decisions[0].did"


def test_a_raw_dataset_records_pool_settings_and_corpus(tmp_path, pool):
    data = tmp_path / "train.jsonl"
    data.write_text('{"query": "q", "pos": ["p"], "neg": ["n"]}\n')
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"query": "c", "pos": ["c1"], "neg": []}\n')
    made = settings.from_run(data, strategy=create("top_k"), seed=1,
                             pool_settings={"model": None, "top_n": 50, "query_prompt": "query: "},
                             corpus=corpus)
    assert made.dataset["kind"] == "raw"
    assert made.dataset["corpus"]["files"][0]["path"] == "corpus.jsonl"
    assert made.pool["top_n"] == 50 and made.pool["query_prompt"] == "query: "
    assert made.selection is None
    with pytest.raises(DataError, match="top_n"):
        settings.from_run(data, strategy=create("top_k"), seed=1, pool_settings={"model": "x"})
