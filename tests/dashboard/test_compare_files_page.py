"""The Compare, Data and Export pages with several files open (issue 26), driven by AppTest.

The three example files (sample_data/compare, mined three ways over the same 120 queries) are
copied to tmp_path and opened with ``also=`` in the link, as ``--data A --data B --data C``
does. The model yardstick's texts are the sample's (encoded once into the shared test cache).
"""

from __future__ import annotations

import shutil

import pytest
from apptest_helpers import SAMPLE_DATA, assert_clean, open_app, page

FILES = ("st_margin_ntuple.jsonl", "flag_hn_mine_padded.jsonl", "bm25_tevatron.jsonl")


@pytest.fixture
def three(tmp_path):
    for name in FILES:
        shutil.copy(SAMPLE_DATA / "compare" / name, tmp_path / name)
    return [tmp_path / name for name in FILES]


def _texts(at) -> str:
    return "\n".join(str(e.value) for e in [*at.text, *at.caption, *at.markdown, *at.info])


def test_compare_page_shows_the_files_on_one_yardstick(monkeypatch, three):
    first, *rest = three
    at = open_app(monkeypatch, first, timeout=180, query={"also": [str(p) for p in rest]})
    at = page(at, "compare")
    if at.info and "Encode the texts" in [b.label for b in at.button]:
        at.button(key="files_encode").click().run()
    assert_clean(at)
    assert at.title[0].value == "Compare files"
    text = _texts(at)
    assert "yardstick: all-MiniLM-L6-v2 (packaged) scoring the union's" in text
    table = at.table[0].value
    assert list(table.columns) == list(FILES)
    assert int(table.loc["padding (random filler)", "flag_hn_mine_padded.jsonl"].replace(",", "")) > 500
    assert table.loc["padding (random filler)", "st_margin_ntuple.jsonl"] == "0"
    # the flagged list of the padded file holds its filler
    at.selectbox(key="files_flag_of").set_value("flag_hn_mine_padded.jsonl").run()
    assert_clean(at)
    assert "padding" in set(at.dataframe[-1].value["flag"])
    # a strategy over the union joins the files as one more column
    at.multiselect(key="files_strategies").set_value(["top_k"]).run()
    assert_clean(at)
    assert "top_k" in at.table[0].value.columns

    at = page(at, "export")
    assert_clean(at)
    at.selectbox(key="files_primary").set_value("flag_hn_mine_padded.jsonl").run()
    assert_clean(at)
    assert any("flagged ones of flag_hn_mine_padded.jsonl left out" in str(t.value) for t in at.text)


def test_data_page_offers_more_files(monkeypatch, three):
    at = open_app(monkeypatch, three[0], timeout=120)
    assert_clean(at)
    area = at.text_area[0]
    area.set_value("\n".join(str(p) for p in three[1:]))
    at.button[[b.label for b in at.button].index("Compare these files")].click().run()
    assert_clean(at)
    assert any("120 queries in all, 120 in every file" == str(t.value) for t in at.text)
