"""Sharded Parquet: statistics per shard, merged, equal the whole file's; the local engine and
Ray Data (a local Ray with 2 CPUs) give identical tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analysis.formats import load
from analysis.measure.partials import merge_partials, partial_table, stats_partial
from analysis.measure.stats import summary_table
from analysis.strategies import create
from analysis.workspace.shard_sample import sharded_sample
from analysis.workspace.shards import _pack, _unpack, shard_paths, sharded_stats


def ntuple_table(queries: int, seed: int = 0) -> pa.Table:
    """A scored sentence-transformers n-tuple table: 1 positive + 5 negatives per query."""
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0.1, 0.9, (queries, 6)).round(4)
    columns = {"anchor": [f"query {q}" for q in range(queries)],
               "positive": [f"answer {q}" for q in range(queries)]}
    for k in range(1, 6):
        columns[f"negative_{k}"] = [f"passage {v}" for v in rng.integers(0, queries, queries)]
    columns["scores"] = pa.array(list(scores), type=pa.list_(pa.float64()))
    return pa.table(columns)


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    root = tmp_path_factory.mktemp("sharded")
    table = ntuple_table(300)
    pq.write_table(table, root / "whole.parquet")
    folder = root / "mined"
    folder.mkdir()
    for number, (begin, end) in enumerate([(0, 120), (120, 130), (130, 300)]):
        pq.write_table(table.slice(begin, end - begin), folder / f"part-{number:03d}.parquet")
    return root / "whole.parquet", folder


def test_sharded_statistics_equal_the_whole_files(sharded):
    whole, folder = sharded
    expected = summary_table(load(whole))
    got = sharded_stats(folder, engine="local")
    assert got["source"].unique().tolist() == ["mined"]        # one group, however it is split
    assert got["metric"].tolist() == expected["metric"].tolist()
    for column in ("positive", "negative", "difference"):
        np.testing.assert_allclose(got[column], expected[column], rtol=1e-12)
    counts = got.set_index("metric").loc["Count"]
    assert counts["positive"] == 300 and counts["negative"] == counts["difference"] > 1450  # a row's
    # repeated passage is merged, as the reader warns


def test_a_group_without_positives_takes_all_groups_positives_as_summary_table_does():
    pairs = pd.DataFrame({"qid": pd.Categorical(["a", "a", "a", "b", "b", "b"]),
                          "label": [1, 0, 0, 1, 0, 0],
                          "source": ["pool", "pool", "top_k", "pool", "top_k", "top_k"],
                          "score": np.array([0.9, 0.5, 0.7, 0.8, 0.6, 0.1], np.float32)})
    expected = summary_table(pairs)
    halves = [stats_partial(pairs.iloc[:3]), stats_partial(pairs.iloc[3:])]
    got = partial_table(merge_partials(halves))
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)
    gaps = got[(got["source"] == "top_k") & (got["metric"] == "Count")]["difference"]
    assert gaps.item() == 3


def test_partials_round_trip_exactly_through_their_bytes():
    partial = stats_partial(load_pairs := pd.DataFrame({
        "qid": pd.Categorical(["a", "a", "b"]), "label": [1, 0, 0], "source": "f",
        "score": np.array([0.3, 0.1, np.nan], np.float32)}))
    back = _unpack(_pack(partial))
    entry, again = partial["groups"]["f"], back["groups"]["f"]
    assert again["difference"]["count"] == 1 and again["negative"]["min"] == entry["negative"]["min"]
    np.testing.assert_array_equal(again["difference"]["values"], entry["difference"]["values"])
    assert back["groups"]["f"]["positive"]["max"] == np.float32(0.3)
    assert len(load_pairs) == 3


def test_a_folder_without_shards_is_refused(tmp_path):
    from analysis.model import DataError

    with pytest.raises(DataError, match="no such file"):
        shard_paths(tmp_path / "missing")
    with pytest.raises(DataError, match=r"\*\.parquet shards; none found"):
        shard_paths(tmp_path)


def _files(folder) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.iterdir())]


def test_a_deterministic_strategy_per_shard_writes_the_whole_files_rows(sharded, tmp_path):
    from analysis.cli import main

    whole, folder = sharded
    assert main(["sample", str(whole), "--strategy", "top_k", "--num-negatives", "3",
                 "--out", str(tmp_path / "whole.jsonl")]) == 0
    report = sharded_sample(folder, tmp_path / "parts", create("top_k", num_negatives=3))
    assert report["queries"] == 300 and report["selected"] == 900 and len(report["files"]) == 3
    lines = b"".join(_files(tmp_path / "parts")).splitlines()
    assert lines == (tmp_path / "whole.jsonl").read_bytes().splitlines()


def test_ray_data_gives_the_local_engines_table_and_files(sharded, tmp_path):
    ray = pytest.importorskip("ray", reason="ray[data] is not installed (requirements.txt pins it)")
    _, folder = sharded
    local = sharded_stats(folder, engine="local")
    strategy = create("random", num_negatives=2)
    local_report = sharded_sample(folder, tmp_path / "local", strategy, seed=3)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        seen = []
        on_ray = sharded_stats(folder, engine="ray", progress=lambda done, total: seen.append(total))
        ray_report = sharded_sample(folder, tmp_path / "ray", strategy, seed=3, engine="ray")
    finally:
        ray.shutdown()
    pd.testing.assert_frame_equal(on_ray, local, check_exact=True)
    assert seen == [3, 3, 3]
    assert _files(tmp_path / "ray") == _files(tmp_path / "local")       # the same bytes
    assert {k: v for k, v in ray_report.items() if k != "files"} == \
        {k: v for k, v in local_report.items() if k != "files"}
    assert local_report["selected"] == 600


def test_the_cli_prints_the_sharded_table(sharded, capsys):
    import json

    from analysis.cli import main

    _, folder = sharded
    assert main(["stats", str(folder), "--engine", "local", "--json"]) == 0
    captured = capsys.readouterr()
    printed = json.loads(captured.out)
    assert "3 shard(s), 300 rows, engine local" in captured.err        # what it is about to do
    assert "shard 3/3 done, about 0 s left" in captured.err
    assert printed["engine"] == "local"
    table = printed["tables"]["score"]["mined"]
    expected = sharded_stats(folder).set_index("metric")
    assert table["Count"]["positive"] == 300
    assert table["Mean"]["difference"] == expected.loc["Mean", "difference"]
