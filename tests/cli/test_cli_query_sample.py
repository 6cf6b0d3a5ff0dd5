"""``--sample N`` on sample and report, and a settings file that records the sample (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.export.apply import reproduce
from analysis.export.settings import read
from analysis.formats.pool import write_pool
from analysis.scoring.synthetic import make_pool

REPO = Path(__file__).resolve().parents[2]
MINED = REPO / "sample_data" / "mined" / "sentence_transformers_ntuple.jsonl"


@pytest.mark.parametrize("kind", ["mined", "pool"])
def test_a_sampled_run_is_recorded_and_applied_again(kind, tmp_path):
    if kind == "mined":
        if not MINED.is_file():
            pytest.skip(f"{MINED} is absent")
        data, total = MINED, 120
    else:
        data, total = write_pool(make_pool(num_queries=50, pool_size=12), tmp_path / "pool.parquet"), 50
    settings = tmp_path / "s.json"
    assert main(["sample", str(data), "--strategy", "top_k", "--num-negatives", "2", "--sample",
                 "17", "--seed", "4", "--out", str(tmp_path / "t.jsonl"), "--save-settings",
                 str(settings)]) == 0
    doc = json.loads(settings.read_text(encoding="utf-8"))
    assert doc["sample"] == {"n": 17, "of": total, "seed": 4}
    applied = reproduce(read(settings))
    assert applied.reproduced is True and len(applied.pool.queries) == 17


def test_the_report_states_its_sample(tmp_path):
    if not MINED.is_file():
        pytest.skip(f"{MINED} is absent")
    out = tmp_path / "r.html"
    assert main(["report", str(MINED), "--sample", "30", "--seed", "2", "--strategy", "top_k",
                 "--out", str(out)]) == 0
    assert "analysed a random sample of 30 of 120 queries (seed 2)" in out.read_text(encoding="utf-8")


def test_a_settings_file_without_a_sample_still_reads(tmp_path):
    if not MINED.is_file():
        pytest.skip(f"{MINED} is absent")
    settings = tmp_path / "s.json"
    assert main(["sample", str(MINED), "--strategy", "top_k", "--out", str(tmp_path / "t.jsonl"),
                 "--save-settings", str(settings)]) == 0
    assert "sample" not in json.loads(settings.read_text(encoding="utf-8"))
    assert reproduce(read(settings)).reproduced is True
