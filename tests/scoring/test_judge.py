"""Judges (analysis.scoring.judge): their scores are sentence-transformers' own, the kind is read
from the model folder, the default judge's parts are checked, plans count what is cached."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from analysis.model import DataError
from analysis.scoring import judge_model
from analysis.scoring.judge import (BI_ENCODER, CROSS_ENCODER, JudgeCancelled, default_judge_path,
                                    judge_kind, judge_scores, plan_judge, resolve_judge)
from tests.conftest import SAMPLE_DATA


def _read_jsonl(path, key):
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return pd.Series({str(r["_id"]): (r.get("title", "") + " " + r["text"]).strip() if key == "doc"
                      else r["text"] for r in rows})


@pytest.fixture(scope="module")
def sample_pairs():
    """Six real (query, document) pairs of sample_data: three queries x two documents."""
    queries = _read_jsonl(SAMPLE_DATA / "queries.jsonl", "query")
    docs = _read_jsonl(SAMPLE_DATA / "corpus.jsonl", "doc")
    qids, dids = list(queries.index[:3]), list(docs.index[:2])
    pairs = pd.DataFrame([(q, d) for q in qids for d in dids], columns=["qid", "did"])
    return pairs, queries, docs


def test_minilm_judge_is_sentence_transformers_cosine(sample_pairs):
    from sentence_transformers import SentenceTransformer, util

    pairs, queries, docs = sample_pairs
    path = resolve_judge("all-MiniLM-L6-v2")
    assert judge_kind(path) == BI_ENCODER
    ours = judge_scores("all-MiniLM-L6-v2", pairs, queries, docs)
    model = SentenceTransformer(path)
    q = model.encode(queries[pairs["qid"]].tolist(), convert_to_tensor=True)
    d = model.encode(docs[pairs["did"]].tolist(), convert_to_tensor=True)
    theirs = util.cos_sim(q, d).diagonal().numpy()
    assert ours.dtype == np.float32 and ours.shape == (len(pairs),)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    plan = plan_judge("all-MiniLM-L6-v2", pairs, queries, docs)
    assert (plan.kind, plan.pairs, plan.texts, plan.cached) == (BI_ENCODER, 6, 0, 5)
    assert "all 5 texts cached" in plan.describe()


def test_cross_encoder_judge_is_its_predict(sample_pairs, tmp_path):
    from sentence_transformers import CrossEncoder

    pairs, queries, docs = sample_pairs
    folder = tmp_path / "ce"
    CrossEncoder(resolve_judge("all-MiniLM-L6-v2"), num_labels=1).save(str(folder))
    assert judge_kind(str(folder)) == CROSS_ENCODER
    cache = tmp_path / "cache"
    before = plan_judge(str(folder), pairs, queries, docs, cache_dir=cache)
    assert (before.kind, before.pairs, before.texts, before.cached) == (CROSS_ENCODER, 6, 6, 0)
    ours = judge_scores(str(folder), pairs, queries, docs, cache_dir=cache)
    theirs = CrossEncoder(str(folder)).predict(
        [[queries[q], docs[d]] for q, d in zip(pairs["qid"], pairs["did"])])
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    after = plan_judge(str(folder), pairs, queries, docs, cache_dir=cache)
    assert (after.texts, after.cached) == (0, 6)
    # a pair asked twice is scored once, and the order of the answer follows the rows asked
    again = judge_scores(str(folder), pairs.iloc[[5, 0, 0]], queries, docs, cache_dir=cache)
    np.testing.assert_allclose(again, ours[[5, 0, 0]], atol=1e-6)


def test_scoring_stops_when_asked(sample_pairs, tmp_path):
    pairs, queries, docs = sample_pairs
    with pytest.raises(JudgeCancelled):
        judge_scores("all-MiniLM-L6-v2", pairs, queries, docs, cache_dir=tmp_path,
                     should_stop=lambda: True)


def test_missing_text_and_unknown_model_are_data_errors(sample_pairs, tmp_path):
    pairs, queries, docs = sample_pairs
    with pytest.raises(DataError, match="no text for did 'nope'"):
        plan_judge("all-MiniLM-L6-v2", pd.DataFrame({"qid": [pairs.qid[0]], "did": ["nope"]}),
                   queries, docs)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="cannot tell what kind"):
        judge_kind(str(tmp_path / "empty"))


def test_default_judge_refuses_a_corrupted_part(tmp_path):
    parts = judge_model.default_part_files()
    copies = []
    for part in parts[:-1]:
        link = tmp_path / part.name
        os.symlink(part, link)
        copies.append(link)
    bad = tmp_path / parts[-1].name
    shutil.copyfile(parts[-1], bad)
    with open(bad, "r+b") as handle:      # flip one byte in the middle
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(DataError, match=r"zip\.005 does not match"):
        default_judge_path(tmp_path / "cache", parts=copies + [bad])
    assert not (tmp_path / "cache" / "models" / "all-mpnet-base-v2").exists()
    assert not any((tmp_path / "cache" / "models").glob(".*tmp"))   # nothing half-written left


def test_default_judge_is_mpnet_from_the_packages(sample_pairs):
    from sentence_transformers import SentenceTransformer

    path = default_judge_path()
    assert path.name == "all-mpnet-base-v2" and (path / "modules.json").is_file()
    assert judge_kind("default") == BI_ENCODER and resolve_judge("default") == str(path)
    pairs, queries, docs = sample_pairs
    few = pairs.iloc[:2]                   # mpnet is slow on 2 cores: two pairs, three texts
    ours = judge_scores("default", few, queries, docs)
    model = SentenceTransformer(str(path))
    q = model.encode(queries[few["qid"]].tolist(), normalize_embeddings=True)
    d = model.encode(docs[few["did"]].tolist(), normalize_embeddings=True)
    np.testing.assert_allclose(ours, (q * d).sum(axis=1), atol=1e-5)
