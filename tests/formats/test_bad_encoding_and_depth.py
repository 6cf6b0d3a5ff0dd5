"""Hostile JSON Lines: a line nested 100,000 deep and a Latin-1 file give one-line errors
naming the file and line (and byte), never a RecursionError or a misleading message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analysis.formats import load
from analysis.model import DataError

REPO = Path(__file__).resolve().parents[2]
DEEP = "[" * 100_000 + "]" * 100_000


def test_a_line_nested_100000_deep_is_a_clear_error(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text(DEEP + "\n")
    with pytest.raises(DataError, match="nested too deeply") as info:
        load(path)
    assert "deep.jsonl" in str(info.value) and "line 1" in str(info.value)
    out = subprocess.run([sys.executable, "-m", "analysis", "info", str(path)], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "RecursionError" not in out.stderr + out.stdout
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_a_deep_line_among_good_ones_is_skipped_with_its_line(tmp_path):
    path = tmp_path / "train.jsonl"
    rows = ['{"query": "q%d", "pos": ["p%d"], "neg": ["n%d"]}' % (i, i, i) for i in range(3)]
    path.write_text("\n".join(rows[:1] + [DEEP] + rows[1:]) + "\n")
    nset = load(path)
    assert len(nset.queries) == 3
    assert any(s.line == 2 and "nested too deeply" in s.reason for s in nset.skipped)


def test_a_latin1_file_is_named_not_utf8_with_line_and_byte(tmp_path):
    path = tmp_path / "latin.jsonl"
    path.write_bytes('{"query": "café", "pos": ["b"], "neg": ["c"]}\n'.encode("latin-1"))
    with pytest.raises(DataError, match=r"not UTF-8 at line 1, byte 15 \(0xe9\)"):
        load(path)
