"""Real-data cases for the sentence-transformers exactness tests (Cranfield, sample_data).

A case is a slice of real queries with their labelled positives and the whole corpus, embedded
once per test run with the default model through ``analysis.scoring.encode`` (so the embeddings land in
the shared NEGLENS_CACHE_DIR cache). Both sides then work on the same vectors:

- ``st_mine`` runs the installed ``sentence_transformers.util.mine_hard_negatives`` with its
  ``cache_folder`` pre-filled with those vectors under the file names it computes itself, so it
  encodes nothing and scores exactly what the pool scores;
- ``case_pool`` builds a pool from ``model.similarity`` on the same vectors (the call
  sentence-transformers makes), with raw ranks over the whole corpus, the top ``depth``
  candidates, and every positive scored by ``model.similarity_pairwise`` as
  sentence-transformers scores positives.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.model import NegativeSet

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"
NUM_QUERIES = 40


@dataclass
class Case:
    """Queries (unique texts), the deduplicated corpus, positives per query and embeddings."""

    name: str
    qids: list[str]
    queries: list[str]
    dids: list[str]
    corpus: list[str]
    relevant: dict[str, list[str]]
    query_emb: np.ndarray
    corpus_emb: np.ndarray

    def positives(self, per_query: int) -> dict[str, list[str]]:
        return {q: self.relevant[q][:per_query] for q in self.qids}


def _smart_records(path: Path) -> dict[str, str]:
    """SMART format: ``.I id`` opens a record; the ``.W`` field holds the text."""
    out = {}
    for record in re.split(r"^\.I ", path.read_text(encoding="utf-8"), flags=re.M)[1:]:
        rid = record.split("\n", 1)[0].strip()
        text = re.search(r"^\.W\n(.*?)(?=^\.[A-Z]\n|\Z)", record, flags=re.M | re.S)
        out[rid] = " ".join(text.group(1).split()) if text else ""
    return out


def read_cranfield(folder: Path) -> tuple[dict, dict, dict]:
    """Queries renumbered 1..225 by file position (as cranqrel numbers them); codes 1-4 relevant."""
    queries = {str(i): text for i, text in
               enumerate(_smart_records(folder / "cran.qry").values(), start=1)}
    docs = _smart_records(folder / "cran.all.1400")
    relevant = defaultdict(list)
    for line in (folder / "cranqrel").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and 1 <= int(parts[2]) <= 4:
            relevant[parts[0]].append(parts[1])
    return queries, docs, relevant


def read_beir(folder: Path) -> tuple[dict, dict, dict]:
    """A BEIR folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv (score > 0 relevant)."""
    def jsonl(path):
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs = {str(d["_id"]): " ".join(filter(None, [d.get("title"), d.get("text")])) for d in
            jsonl(folder / "corpus.jsonl")}
    queries = {str(q["_id"]): q["text"] for q in jsonl(folder / "queries.jsonl")}
    relevant = defaultdict(list)
    for qrels in sorted((folder / "qrels").glob("*.tsv")):
        table = pd.read_csv(qrels, sep="\t", dtype=str)
        for qid, did, score in table.iloc[:, :3].itertuples(index=False):
            if float(score) > 0 and did not in relevant[qid]:
                relevant[qid].append(did)
    return queries, docs, relevant


def make_case(name: str, queries: dict, docs: dict, relevant: dict, encoder) -> Case:
    """The first NUM_QUERIES queries with a positive; the corpus deduplicated by exact text
    (sentence-transformers deduplicates its corpus by text), empty documents dropped."""
    by_text: dict[str, str] = {}
    for did, text in docs.items():
        if text and text not in by_text:
            by_text[text] = did
    canonical = {did: by_text[text] for did, text in docs.items() if text}
    dids = list(by_text.values())
    corpus = list(by_text.keys())
    qids, texts, rel = [], [], {}
    seen_texts = set()
    for qid, text in queries.items():
        positives = list(dict.fromkeys(canonical[d] for d in relevant.get(qid, []) if d in canonical))
        if positives and text not in seen_texts:
            qids.append(qid)
            texts.append(text)
            rel[qid] = positives
            seen_texts.add(text)
        if len(qids) == NUM_QUERIES:
            break
    query_emb = encoder.embed(texts, role="query")
    corpus_emb = encoder.embed(corpus, role="document")
    return Case(name, qids, texts, dids, corpus, rel, query_emb, corpus_emb)


@pytest.fixture(scope="session")
def encoder():
    from analysis.scoring.encode import load_encoder
    return load_encoder()


@pytest.fixture(scope="session")
def cranfield_case(cranfield_dir, encoder) -> Case:
    return make_case("cranfield", *read_cranfield(cranfield_dir), encoder)


@pytest.fixture(scope="session")
def sample_data_case(encoder) -> Case:
    if not (SAMPLE_DATA / "corpus.jsonl").exists():
        pytest.skip(f"no BEIR folder at {SAMPLE_DATA} yet")
    return make_case("sample_data", *read_beir(SAMPLE_DATA), encoder)


def hand_pool(rows: list[tuple], **extra: list) -> NegativeSet:
    """A small pool from ``(qid, did, label, rank, score)`` tuples (plus extra columns)."""
    pairs = pd.DataFrame(rows, columns=["qid", "did", "label", "rank", "score"]).assign(source="pool", **extra)
    qids = list(dict.fromkeys(pairs["qid"]))
    dids = list(dict.fromkeys(pairs["did"]))
    return NegativeSet(pd.DataFrame({"qid": qids, "text": [f"query {q}" for q in qids]}),
                       pd.DataFrame({"did": dids, "text": [f"doc {d}" for d in dids]}), pairs,
                       format="pool")


def chosen(pool: NegativeSet, selection) -> dict[str, list[str]]:
    """Chosen document ids per query, in selection order."""
    out: dict[str, list[str]] = {}
    pairs = selection.pairs(pool)
    for qid, did in zip(pairs["qid"].astype(str), pairs["did"].astype(str)):
        out.setdefault(qid, []).append(did)
    return out


def case_pool(case: Case, model, *, positives_per_query: int, depth: int) -> NegativeSet:
    """The pool: top ``depth`` candidates by ``model.similarity`` (raw ranks over the whole
    corpus, positives included) plus every positive, scored as sentence-transformers does."""
    import torch

    scores = model.similarity(case.query_emb, torch.as_tensor(case.corpus_emb)).numpy()
    order = np.argsort(-scores, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(1, scores.shape[1] + 1)[None, :], axis=1)
    col = {did: i for i, did in enumerate(case.dids)}
    positives = case.positives(positives_per_query)
    rows = []
    for qi, qid in enumerate(case.qids):
        pos_cols = [col[d] for d in positives[qid]]
        pos_scores = model.similarity_pairwise(
            torch.as_tensor(case.query_emb[[qi] * len(pos_cols)]),
            torch.as_tensor(case.corpus_emb[pos_cols])).numpy()
        for c, s in zip(pos_cols, pos_scores):
            rows.append((qid, case.dids[c], 1, rank[qi, c], s))
        for c in order[qi, :depth]:
            if c not in pos_cols:
                rows.append((qid, case.dids[c], 0, rank[qi, c], scores[qi, c]))
    pairs = pd.DataFrame(rows, columns=["qid", "did", "label", "rank", "score"]).assign(source="pool")
    return NegativeSet(pd.DataFrame({"qid": case.qids, "text": case.queries}),
                       pd.DataFrame({"did": case.dids, "text": case.corpus}), pairs, format="pool")


def st_mine(case: Case, model, cache_folder: Path, *, positives_per_query: int,
            **settings) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Run sentence-transformers' miner on the case: negatives per qid (best first) and the
    'Skipped N potential negatives ... due to the <filter>' counts it printed."""
    from datasets import Dataset
    from sentence_transformers.util import mine_hard_negatives

    positives = case.positives(positives_per_query)
    text_of = dict(zip(case.dids, case.corpus))
    anchors = [t for q, t in zip(case.qids, case.queries) for _ in positives[q]]
    answers = [text_of[d] for q in case.qids for d in positives[q]]
    dataset = Dataset.from_dict({"query": anchors, "answer": answers})
    _prefill(cache_folder, model, list(dict.fromkeys(anchors)), case.query_emb, "query")
    _prefill(cache_folder, model, list(dict.fromkeys(case.corpus + answers)), case.corpus_emb, "corpus")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        out = mine_hard_negatives(dataset, model, corpus=case.corpus, cache_folder=str(cache_folder),
                                  output_format="labeled-list", output_scores=True,
                                  use_faiss=False, verbose=True, batch_size=32, **settings)
    assert printed.getvalue().count("[Cache] Loaded") == 2, "sentence-transformers re-encoded"
    qid_of = dict(zip(case.queries, case.qids))
    did_of = dict(zip(case.corpus, case.dids))
    mined = {q: [] for q in case.qids}
    for row in out:
        mined[qid_of[row["query"]]] = [did_of[t] for t in row["answer"][1:]]
    counts = {name: int(n.replace(",", "")) for n, name in
              re.findall(r"Skipped ([\d,]+) potential negatives .* due to the (\w+) of", printed.getvalue())}
    return mined, counts


def _prefill(folder: Path, model, texts: list[str], vectors: np.ndarray, kind: str) -> None:
    """Save ``vectors`` where mine_hard_negatives(cache_folder=...) looks for them (its hash)."""
    model_name = model.model_card_data.base_model or ""
    digest = hashlib.sha256(repr((model_name, None, None, texts)).encode(),
                            usedforsecurity=False).hexdigest()
    os.makedirs(folder, exist_ok=True)
    np.save(folder / f"{kind}_embeddings_{digest}.npy", vectors)
