"""The Review page in AppTest: a verdict key's button marks the item on screen, stores it, shows
the next one; undo brings it back; the estimate appears once there are draws; data text with
Markdown/HTML in it is escaped."""

from __future__ import annotations

import pytest
from apptest_helpers import HOSTILE, open_app, pool_file

from analysis.false_negatives.review import ReviewStore


@pytest.fixture(autouse=True)
def _own_review_store(tmp_path, monkeypatch):
    """The review store is keyed by the data's content: a workspace of this test's own, so
    equal data in another test (or an earlier run with a kept cache) shares no verdicts."""
    monkeypatch.setenv("NEGLENS_CACHE_DIR", str(tmp_path / "cache"))


def review(at):
    at.switch_page("views/review.py")
    return at.run()


def caption_ids(at):
    return [c.value for c in at.caption if c.value.startswith("Negative ")]


def test_verdicts_move_on_store_and_undo(monkeypatch, tmp_path):
    data = pool_file(tmp_path / "pool.parquet", hostile=True)
    at = review(open_app(monkeypatch, data))
    assert not at.exception, at.exception
    first = caption_ids(at)
    at.button(key="review_false_negative").click().run()
    assert not at.exception
    second = caption_ids(at)
    assert second != first
    stored = ReviewStore.for_data(data).all()
    assert len(stored) == 1 and stored["verdict"].iat[0] == "false_negative"
    for _ in range(3):
        at.button(key="review_true_negative").click().run()
    assert any(str(m.value) == "4" for m in at.metric if m.label == "Reviewed")
    assert any("Estimated false negatives among all negatives" in t.value for t in at.text)
    at.button(key="review_undo").click().run()
    assert len(ReviewStore.for_data(data).all()) == 3
    markdown = " ".join(m.value for m in at.markdown)
    assert "\\<:orange-background[script]\\>" in markdown  # escaped, shared word styled
    assert "<script>" not in markdown and "<b>" not in markdown
    assert HOSTILE not in markdown  # never passed through unescaped
