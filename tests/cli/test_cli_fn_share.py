"""fn-share, suspects --judge and evaluate-fn --protocol loco, end to end on real text."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis.cli import main
from tests.conftest import SHARED_DATA, require_shared
from tests.cli.test_cli_suspects import tiny_pool  # noqa: F401  (a fixture)

pytestmark = pytest.mark.slow  # encodes real text with the default model


def test_fn_share_json(tiny_pool, capsys):  # noqa: F811
    _, pool = tiny_pool
    assert main(["fn-share", str(pool), "--json", "--bootstrap", "50"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(out) == {"share", "low", "high", "negatives"}
    assert out["negatives"] == 8 and 0 <= out["low"] <= out["share"] <= out["high"] <= 1


def test_suspects_with_a_judge_writes_its_scores(tiny_pool, tmp_path, capsys):  # noqa: F811
    _, pool = tiny_pool
    out = tmp_path / "suspects.parquet"
    assert main(["suspects", str(pool), "--judge", "all-MiniLM-L6-v2", "--clusters", "2",
                 "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    assert "judge:all-MiniLM-L6-v2" in table and table["risk"].between(0, 1).all()
    assert len(table) == 8 and table["is_suspect"].dtype == bool
    # the judge is the pool's own model here: its score is the pool's cosine of the pair
    pool_rows = pd.read_parquet(pool)
    pool_rows = pool_rows[pool_rows["label"] == 0].astype({"qid": str, "did": str})
    merged = table.merge(pool_rows[["qid", "did", "score"]].drop_duplicates(["qid", "did"]),
                         on=["qid", "did"])
    assert len(merged) == 8
    assert (merged["judge:all-MiniLM-L6-v2"] - merged["score"]).abs().max() < 1e-5
    assert "judge all-MiniLM-L6-v2 (bi-encoder) scores" in capsys.readouterr().err


def test_evaluate_fn_loco_prints_the_table_and_targets(capsys):
    adi = require_shared(SHARED_DATA / "adi")
    med = require_shared(SHARED_DATA / "med")
    assert main(["evaluate-fn", str(adi), str(med), "--protocol", "loco", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [r["collection"] for r in out["table"]] == ["adi", "med"]
    assert set(out["rules"]) == {"adi", "med"}
    assert "risk AP >= raw on every collection" in out["targets"]
    for row in out["table"]:
        assert 0 < row["ap_raw"] <= 1 and 0 < row["ap_risk"] <= 1
        assert row["low"] <= row["share"] <= row["high"]
