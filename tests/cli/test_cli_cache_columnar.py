"""``cache info`` lists the columnar entries and ``cache prune`` removes them like any entry."""

from analysis.cli import main
from analysis.formats.columnar import open_columnar
from tests.formats.test_sbert_columnar import ntuple_rows, write_both


def test_columnar_entries_are_listed_and_pruned(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))
    parquet, _ = write_both(ntuple_rows(), tmp_path)
    open_columnar(parquet)
    assert main(["cache", "info", "--cache-dir", str(tmp_path / "cache")]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.strip().startswith("columnar:"))
    assert line.split()[1] == "1"
    assert main(["cache", "prune", "--max-gb", "0", "--cache-dir", str(tmp_path / "cache")]) == 0
    assert not [p for p in (tmp_path / "cache" / "columnar").iterdir()]
