"""Served mode in the real app: started with ``-- --data-root DIR``, the ``data`` URL parameter
and a typed path outside DIR (``/etc/passwd``, ``../``, a symlink leading out) are refused with a
message on screen, nothing outside is read, and the page goes on with the data it had."""

from __future__ import annotations

import pytest
from e2e_server import AppServer
from test_e2e_app import assert_no_exception, open_page, settle

OUTSIDE = "outside the data root"


@pytest.fixture(scope="module")
def served_server(chromium_path, tmp_path_factory):
    from analysis.formats.pool import write_pool
    from analysis.scoring.synthetic import make_pool

    base = tmp_path_factory.mktemp("e2e-served")
    root = base / "root"
    root.mkdir()
    data = write_pool(make_pool(num_queries=5, pool_size=8), root / "pool.parquet")
    (base / "secret.parquet").write_bytes(data.read_bytes())
    (root / "link.parquet").symlink_to(base / "secret.parquet")
    server = AppServer(data, tmp_path_factory.mktemp("e2e-served-server"),
                       app_args=("--data-root", str(root)))
    yield server
    server.stop()


def sidebar_text(page) -> str:
    return page.locator("[data-testid='stSidebar']").inner_text()


@pytest.mark.parametrize("asked", ["/etc/passwd", "../secret.parquet", "link.parquet"])
def test_a_data_url_outside_the_root_is_refused_with_a_message(served_server, page, asked):
    open_page(page, served_server, f"overview?data={asked}")
    assert_no_exception(page)
    sidebar = sidebar_text(page)
    assert OUTSIDE in sidebar and asked in sidebar
    assert "pool.parquet" in sidebar                       # the start data stays
    assert "root:x:0:0" not in page.content()              # /etc/passwd was never read
    assert "data=" not in page.url or asked not in page.url


def test_a_typed_path_outside_the_root_is_refused_and_the_data_stays(served_server, page):
    open_page(page, served_server, "")
    page.get_by_text("Path on this server").click()
    settle(page)
    box = page.get_by_role("textbox", name="File or folder on the server")
    box.fill("../secret.parquet")
    page.get_by_role("button", name="Load", exact=True).click()
    settle(page)
    main = page.locator("[data-testid='stMain']").inner_text()
    assert OUTSIDE in main
    assert page.locator("[data-testid='stException']").count() == 0
    assert "pool.parquet" in sidebar_text(page) and "secret" not in sidebar_text(page)
