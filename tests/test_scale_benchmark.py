"""Smoke test of benchmarks/scale.py on a 20,000-row pool: every figure with its reference.

Times are never asserted (they belong to benchmarks/RESULTS.md); what is checked is that one
run produces every figure the issue asks for beside a finite reference, that the per-query
references choose the same negatives where the rule is the same, and that ``--pool-out`` keeps
a pool file the command line reads like any other, holding the generated pool.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.formats import load
from analysis.scoring.synthetic import make_pool
from analysis.strategies import registry

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "benchmarks" / "scale.py"
GENERAL = ("load", "statistics", "load_plus_statistics", "peak_memory",
           "peak_memory_load_statistics", "memory_per_row",
           "compare_metrics", "margin_signal", "compare_page_rerun_median",
           "compare_page_rerun_worst", "compare_page_rerun_unchanged")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    pool_out = tmp_path_factory.mktemp("scale") / "pool.parquet"
    done = subprocess.run([sys.executable, str(SCRIPT), "--rows", "20000", "--repeats", "1",
                           "--pool-out", str(pool_out), "--json"],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), pool_out, done.stdout


def test_the_last_line_holds_every_figure_beside_a_finite_reference(run):
    result, _, _ = run
    strategies = [f"strategy: {name}" for name in registry()]
    expected = [*GENERAL, *strategies, "strategy: margin relative_margin=0.05",
                "strategy: margin relative_margin=0.05 (vs code port)"]
    assert sorted(result["figures"]) == sorted(expected)
    for name, fig in result["figures"].items():
        for key in ("value", "reference", "ratio"):
            assert math.isfinite(fig[key]) and fig[key] >= 0, (name, key, fig)
        assert fig["reference_name"] and fig["unit"] in ("s", "MiB", "bytes"), name
        assert fig["ratio"] == pytest.approx(fig["value"] / fig["reference"]), name
    assert result["figures"]["load_plus_statistics"]["value"] == pytest.approx(
        result["figures"]["load"]["value"] + result["figures"]["statistics"]["value"])


def test_references_are_the_issue_s_and_choose_the_same_negatives(run):
    figures = run[0]["figures"]
    assert figures["load"]["reference_name"] == "pandas.read_parquet"
    assert figures["strategy: simans"]["reference_name"] == "SimANS release per-query loop"
    assert figures["strategy: top_k"]["identical"] is True
    assert figures["strategy: margin relative_margin=0.05"]["identical"] is True
    assert figures["strategy: margin relative_margin=0.05 (vs code port)"]["identical"] is True
    assert figures["compare_page_rerun_worst"]["rows"] == run[0]["pool"]["rows"]
    # The pandas reference reproduces our statistics table and comparison metrics (it caught
    # a cluster-entropy bug once).
    assert figures["statistics"]["disagree"] == []
    assert figures["compare_metrics"]["disagree"] == []


def test_shape_targets_machine_and_load_are_recorded(run):
    result, _, stdout = run
    pool = result["pool"]
    assert (pool["queries"], pool["pool_size"]) == (200, 100)
    assert 20_000 <= pool["rows"] < 20_000 * 1.05
    assert [t["limit"] for t in result["targets"]] == [2.0, 3.0, 2048.0, 1.0]
    assert all(isinstance(t["met"], bool) for t in result["targets"])
    assert result["machine"]["cpus"] >= 1 and len(result["load_average"]["before"]) == 3
    assert "load_plus_statistics" in stdout and result["command"].startswith("python benchmarks/scale.py")


def test_pool_out_keeps_the_generated_pool_for_the_command_line(run):
    _, pool_out, _ = run
    kept = load(pool_out)
    made = make_pool(num_queries=200, pool_size=100, seed=0, num_clusters=50)
    for column in ("qid", "did"):
        assert kept.pairs[column].astype(str).tolist() == made.pairs[column].astype(str).tolist()
    for column in ("label", "rank", "score", "cluster"):
        pd.testing.assert_series_equal(kept.pairs[column], made.pairs[column], check_names=False)
    done = subprocess.run([sys.executable, "-m", "analysis", "info", "--json", str(pool_out)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert (info["format"], info["pairs"], info["queries"]) == ("synthetic", len(made.pairs), 200)


# -- the paths only large pools take (issue 8's speed-ups), checked on hand-made faults ---------
def test_large_pools_keep_the_data_model_checks():
    """Over 65,536 rows grouped by query, duplicates are found per block of whole queries, and
    already-coded ids are mapped per distinct value: same result as from plain strings."""
    from analysis.model import DataError, NegativeSet

    pool = make_pool(num_queries=1500, pool_size=50, seed=3)
    pairs = pool.pairs
    assert len(pairs) > 70_000
    as_strings = pairs.astype({"qid": object, "did": object, "source": object})
    coded = NegativeSet(pool.queries, pool.docs, pairs).pairs
    pd.testing.assert_frame_equal(coded, NegativeSet(pool.queries, pool.docs, as_strings).pairs)
    shuffled = pairs.assign(did=pairs["did"].cat.reorder_categories(
        pairs["did"].cat.categories[::-1]))
    pd.testing.assert_frame_equal(NegativeSet(pool.queries, pool.docs, shuffled).pairs, coded)

    row = pairs.iloc[[70_000]]
    twice = pd.concat([pairs.iloc[:70_001], row, pairs.iloc[70_001:]], ignore_index=True)
    qid, did = row["qid"].iloc[0], row["did"].iloc[0]
    with pytest.raises(DataError, match=rf"pair \(qid='{qid}', did='{did}', source='pool'\) "
                                        r"appears 2 times"):
        NegativeSet(pool.queries, pool.docs, twice)
    unknown = pairs.assign(did=pairs["did"].cat.rename_categories(lambda d: "x" + d))
    with pytest.raises(DataError, match="unknown did 'xd"):
        NegativeSet(pool.queries, pool.docs, unknown)
