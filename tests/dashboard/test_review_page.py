"""The Review page in AppTest: a verdict key's button marks the item on screen, stores it, shows
the next one; undo brings it back; the estimate appears once there are draws; data text with
Markdown/HTML in it is escaped."""

from __future__ import annotations

import pytest
from apptest_helpers import HOSTILE, open_app, page, pool_file

from analysis.cli.review import review_candidates
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
    # 4 verdicts are too few for an estimate: the page says so instead of a number
    assert any(t.value.startswith("No estimate of the false negatives among all negatives yet")
               for t in at.text)
    at.button(key="review_undo").click().run()
    assert len(ReviewStore.for_data(data).all()) == 3
    markdown = " ".join(m.value for m in at.markdown)
    assert "\\<:orange[**script**]\\>" in markdown  # escaped, shared word styled, nothing padded
    assert "<script>" not in markdown and "<b>" not in markdown
    assert HOSTILE not in markdown  # never passed through unescaped


def test_overview_and_compare_show_the_stored_estimate(monkeypatch, tmp_path):
    data = pool_file(tmp_path / "pool.parquet")
    at = page(open_app(monkeypatch, data), "overview")
    assert not at.exception, at.exception
    waiting = [t.value for t in at.text if "false negatives among" in t.value]
    assert len(waiting) == 1 and waiting[0].startswith(
        "No estimate of the false negatives among all negatives yet")
    assert waiting[0].endswith("The same holds for each strategy's selection.")
    store = ReviewStore.for_data(data)
    negatives = review_candidates(str(data)).pairs.query("label == 0").drop_duplicates(["qid", "did"])
    for i, row in enumerate(negatives.head(12).itertuples()):
        store.mark(row.qid, row.did, "false_negative" if i % 3 == 0 else "true_negative",
                   draw=(0.01, 0.2))
    for name in ("overview", "compare"):
        at = page(at, name)
        assert not at.exception, at.exception
        lines = [t.value for t in at.text if "false negatives among" in t.value]
        assert lines[0].startswith("Estimated false negatives among all negatives")
        assert "95% interval" in lines[0] and "sequential Horvitz-Thompson" in lines[0]
        assert "from 12 verdicts (12 random draws" in lines[0]
        assert any("among the selection of top_k" in line for line in lines[1:])


def test_the_page_stores_the_queue_draws_the_estimate_needs(monkeypatch, tmp_path):
    data = pool_file(tmp_path / "pool.parquet")
    at = review(open_app(monkeypatch, data))
    for _ in range(16):
        at.button(key="review_true_negative").click().run()
    assert not at.exception, at.exception
    log = ReviewStore.for_data(data).design_log()
    drawn = log["chance"].notna()
    assert len(log) == 16 and 0 < drawn.sum() < 16       # the seeded queue drew some at random
    assert ((log["chance"][drawn] > 0) & (log["chance"][drawn] <= 1)).all()
    assert log["p"][drawn].between(0, 1).all()
    assert any(f"has {int(drawn.sum())} (16 verdicts in all)" in t.value for t in at.text)
