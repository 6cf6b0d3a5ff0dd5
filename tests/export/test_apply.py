"""Export -> apply reproduces a selection bit for bit, and refuses changed data."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.export import settings
from analysis.export.apply import apply_file, candidate_pool, reproduce
from analysis.formats import load
from analysis.formats.pool import read_pool, write_pool
from analysis.model import DataError, NegativeSet
from analysis.scoring.pool import build_pool
from analysis.scoring.synthetic import make_pool
from analysis.strategies import create, registry


@pytest.fixture(scope="module")
def pool_file(tmp_path_factory):
    pool = make_pool(num_queries=25, pool_size=40, seed=9, num_clusters=6)
    return write_pool(pool, tmp_path_factory.mktemp("pool") / "pool.parquet")


@pytest.mark.parametrize("name", list(registry()))
def test_every_strategy_round_trips_through_its_settings_file(tmp_path, pool_file, name):
    """The `sample` command's output and settings; `apply` writes the same bytes from them.

    labeled-pair rows hold every query, even one a strategy found no negative for, so nothing
    is left out on either side (other layouts leave such queries out: test_training_data).
    """
    sampled, saved, applied = tmp_path / "sampled.jsonl", tmp_path / "s.json", tmp_path / "applied.jsonl"
    assert main(["sample", str(pool_file), "--strategy", name, "--seed", "11", "--out", str(sampled),
                 "--format", "sentence-transformers", "--layout", "labeled-pair",
                 "--save-settings", str(saved)]) == 0
    doc = json.loads(saved.read_text())
    assert doc["strategy"]["name"] == name and doc["seed"] == 11
    assert doc["output"] == {"format": "sentence-transformers/labeled-pair"}
    assert main(["apply", str(saved), "--out", str(applied), "--quiet"]) == 0
    assert applied.read_bytes() == sampled.read_bytes()

    again = reproduce(settings.read(saved))
    direct = create(name).select(read_pool(pool_file), np.random.default_rng(11))
    assert again.reproduced is True
    np.testing.assert_array_equal(again.selection.rows, direct.rows)


@pytest.mark.parametrize("output", ["sentence-transformers/triplet", "sentence-transformers/n-tuple",
                                    "sentence-transformers/labeled-pair",
                                    "sentence-transformers/labeled-list", "flagembedding",
                                    "tevatron/legacy"])
@pytest.mark.parametrize("scores", [False, True])
def test_apply_writes_what_sample_wrote_in_every_layout(tmp_path, pool_file, output, scores):
    """`sample` and `apply` share one writer and the settings record the output, scores included."""
    if scores and output.startswith("tevatron"):
        pytest.skip("Tevatron files carry no scores")
    fmt, _, layout = output.partition("/")
    sampled, saved, applied = tmp_path / "sampled.jsonl", tmp_path / "s.json", tmp_path / "applied.jsonl"
    # margin leaves some queries short (fewer than 6 negatives) and some with none
    args = ["sample", str(pool_file), "--strategy", "margin", "--param", "relative_margin=0.1",
            "--param", "range_max=9", "--num-negatives", "6",
            "--out", str(sampled), "--format", fmt, "--save-settings", str(saved)]
    short = create("margin", relative_margin=0.1, range_max=9, num_negatives=6).select(
        read_pool(pool_file), np.random.default_rng(0)).report.short["found"]
    assert (short > 0).any() and (short == 0).any()
    args += ["--layout", layout] if layout else []
    args += ["--scores"] if scores else []
    assert main(args) == 0
    assert json.loads(saved.read_text())["output"].get("scores", False) is scores
    assert main(["apply", str(saved), "--out", str(applied), "--quiet"]) == 0
    assert applied.read_bytes() == sampled.read_bytes()


def test_a_changed_input_file_is_refused_and_can_be_allowed(tmp_path, pool_file, capsys):
    data = shutil.copy(pool_file, tmp_path / "pool.parquet")
    strategy = create("top_k", num_negatives=3)
    pool = read_pool(data)
    made = settings.from_run(data, strategy=strategy, seed=0, pool=pool,
                             selection=strategy.select(pool, np.random.default_rng(0)))
    path = settings.write(made, tmp_path / "s.json")

    other = make_pool(num_queries=25, pool_size=40, seed=10, num_clusters=6)
    write_pool(other, data)
    with pytest.raises(DataError) as caught:
        apply_file(path, tmp_path / "out.jsonl")
    message = str(caught.value)
    assert "changed since the settings were exported" in message
    assert f"{data}: sha256" in message and "--allow-changed-data" in message
    assert not (tmp_path / "out.jsonl").exists()

    assert main(["apply", str(path), "--out", str(tmp_path / "out.jsonl"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err

    applied = apply_file(path, tmp_path / "out.jsonl", allow_changed_data=True)
    assert applied.reproduced is False
    assert applied.warnings[0].startswith("changed input accepted")
    assert "selection differs" in applied.warnings[-1]
    assert (tmp_path / "out.jsonl").exists()


def test_moved_data_is_found_with_data_and_a_tampered_fingerprint_is_refused(tmp_path, pool_file):
    strategy = create("simans", a=20.0, num_negatives=4)
    pool = read_pool(pool_file)
    made = settings.from_run(pool_file, strategy=strategy, seed=3, pool=pool,
                             selection=strategy.select(pool, np.random.default_rng(3)))
    doc = made.as_dict()
    doc["dataset"]["path"] = str(tmp_path / "gone" / "pool.parquet")
    (tmp_path / "s.json").write_text(json.dumps(doc))
    with pytest.raises(DataError, match="no such file or folder"):
        apply_file(tmp_path / "s.json", tmp_path / "out.jsonl")
    moved = shutil.copy(pool_file, tmp_path / "moved.parquet")
    assert apply_file(tmp_path / "s.json", tmp_path / "out.jsonl", data=moved).reproduced is True

    doc["dataset"]["path"] = str(pool_file)
    doc["seed"] = 4  # same data, another draw: the fingerprint no longer matches
    (tmp_path / "s.json").write_text(json.dumps(doc))
    with pytest.raises(DataError, match="selection differs.*input files match") as caught:
        apply_file(tmp_path / "s.json", tmp_path / "out.jsonl")
    assert caught.value.field == "selection.sha256"


def test_review_decisions_are_applied_to_the_training_data(tmp_path, pool_file):
    pool = read_pool(pool_file)
    strategy = create("top_k", num_negatives=2)
    selection = strategy.select(pool, np.random.default_rng(0))
    chosen = selection.pairs(pool)
    fn = (str(chosen["qid"].iloc[0]), str(chosen["did"].iloc[0]))
    ok = (str(chosen["qid"].iloc[1]), str(chosen["did"].iloc[1]))
    decisions = [{"qid": fn[0], "did": fn[1], "verdict": "false_negative", "time": "2024-01-01T00:00:00Z"},
                 {"qid": ok[0], "did": ok[1], "verdict": "true_negative", "time": "2024-01-01T00:00:00Z"}]
    for action in ("drop", "promote"):
        made = settings.from_run(pool_file, strategy=strategy, seed=0, pool=pool, selection=selection,
                                 decisions=decisions, false_negatives=action)
        path = settings.write(made, tmp_path / f"{action}.json")
        out = tmp_path / f"{action}.jsonl"
        applied = apply_file(path, out, format="flagembedding")
        assert applied.reproduced is True
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        qtext = pool.query_text()[fn[0]]
        dtext = pool.doc_text()[fn[1]]
        row = next(r for r in rows if r["query"] == qtext)
        assert dtext not in row["neg"]
        assert (dtext in row["pos"]) == (action == "promote")
        assert pool.doc_text()[ok[1]] in row["neg"]
        assert any("1 false negatives" in note for note in applied.notes)


def test_only_pool_rows_are_candidates():
    pool = make_pool(num_queries=3, pool_size=5, seed=0)
    extra = pool.pairs.iloc[:4].copy()
    extra["source"] = "train.jsonl"
    both = pool.with_pairs(pd.concat([pool.pairs, extra], ignore_index=True))
    kept = candidate_pool(both)
    assert kept.pairs["source"].astype(str).unique().tolist() == ["pool"]
    assert len(kept.pairs) == len(pool.pairs)
    assert candidate_pool(pool) is pool
    with pytest.raises(DataError, match="no pool rows"):
        candidate_pool(both.with_pairs(both.pairs.assign(source=["a"] * 5 + ["b"] * (len(both.pairs) - 5))))


def test_a_raw_dataset_is_pooled_again_from_the_settings(tmp_path):
    """A BEIR folder + pool settings: apply re-encodes (from the cache) and gets the same rows."""
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    docs = ["Pole beans climb a trellis and crop for weeks.", "Bush beans crop all at once.",
            "A dobsonian telescope gathers light with a large mirror.",
            "Collimation aligns the mirrors of a newtonian reflector.",
            "Dark adaptation of the eye takes about twenty minutes.",
            "Tomatoes need full sun and steady watering.", "Basil grows well beside tomatoes."]
    queries = ["how long do bush beans take", "how to collimate a telescope", "when do tomatoes need water"]
    (folder / "corpus.jsonl").write_text("".join(
        json.dumps({"_id": f"d{i}", "title": "", "text": t}) + "\n" for i, t in enumerate(docs)))
    (folder / "queries.jsonl").write_text("".join(
        json.dumps({"_id": f"q{i}", "text": t}) + "\n" for i, t in enumerate(queries)))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq0\td1\t1\nq1\td3\t1\nq2\td5\t1\n")
    nset = load(folder)
    pool = build_pool(nset, top_n=5)
    candidates = candidate_pool(pool)
    strategy = create("margin", num_negatives=2, range_min=1)
    selection = strategy.select(candidates, np.random.default_rng(0))
    made = settings.from_run(folder, strategy=strategy, seed=0, pool=candidates, selection=selection)
    assert made.dataset["kind"] == "raw" and made.pool["top_n"] == 5
    assert made.pool["max_positives"] == 1
    path = settings.write(made, tmp_path / "s.json")
    applied = apply_file(path, tmp_path / "out.jsonl", format="sentence-transformers/labeled-list")
    assert applied.reproduced is True and applied.warnings == []
    assert isinstance(applied.pool, NegativeSet) and len(applied.selection) == len(selection)
    first = json.loads((tmp_path / "out.jsonl").read_text().splitlines()[0])
    assert first["anchor"] == queries[0] and first["labels"] == [1, 0, 0]
