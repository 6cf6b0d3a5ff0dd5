"""Served mode: with a data root, ``?data=/etc/passwd`` and ``../`` paths are refused with a
message and nothing outside the root is read; uploads are capped; library failures are messages."""

from __future__ import annotations

import pytest
from apptest_helpers import open_app, pool_file

from analysis.model import DataError
from analysis.workspace.served import check_upload_size, confine


@pytest.fixture
def served(tmp_path, monkeypatch):
    root = tmp_path / "root"
    root.mkdir()
    data = pool_file(root / "pool.parquet")
    (tmp_path / "secret.parquet").write_bytes(data.read_bytes())
    (root / "link.parquet").symlink_to(tmp_path / "secret.parquet")
    monkeypatch.setenv("NEGLENS_DATA_ROOT", str(root))
    return root, data


def test_confine_follows_symlinks_and_dotdot(served, tmp_path):
    root, data = served
    assert confine("pool.parquet", root) == data.resolve()
    for outside in ("/etc/passwd", "../secret.parquet", str(root / ".." / "secret.parquet"),
                    "link.parquet"):
        with pytest.raises(DataError, match="outside the data root"):
            confine(outside, root)
    with pytest.raises(DataError, match="over the limit of 1 MiB"):
        check_upload_size(2 << 20, 1 << 20)


def test_a_link_to_etc_passwd_is_refused_with_a_message(served, monkeypatch):
    root, data = served
    at = open_app(monkeypatch, data, query={"data": "/etc/passwd"})
    assert not at.exception
    assert any("outside the data root" in w.value for w in at.warning)
    assert "/etc/passwd" not in at.session_state["view"].data


def test_a_typed_dotdot_path_is_refused_with_a_message(served, monkeypatch):
    root, data = served
    at = open_app(monkeypatch, data)
    at.radio(key="data_source").set_value("Path on this server").run()
    at.text_input[0].set_value("../secret.parquet")
    next(b for b in at.button if b.label == "Load").click().run()
    assert not at.exception
    assert any("outside the data root" in e.value for e in at.error)
    assert at.session_state["view"].data == str(data)
