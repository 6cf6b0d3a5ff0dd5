"""Padding and sibling-positive detection against planted ground truth: recall >= 0.95 and
precision >= 0.9 (issue 26's target), on files made from real data.

How the files are made (every draw seeded):

- **interop** (``../shared/data/interop``): the sentence-transformers ``msmarco_ntuple5.jsonl``
  (10 queries, 5 negatives) with, per query, 5 passages appended as ``hn_mine`` pads
  (``random.sample`` of a corpus: the FlagEmbedding NQ example's passages), a near-duplicate of
  its positive (two words replaced) and its positive again in other case and spacing; beside it
  the FlagEmbedding ``embedder_example_data_retrieval_msmarco.jsonl`` as it is (the same
  queries, 25 retrieved negatives each, with its own scores). Some of the MS MARCO negatives
  rank near the bottom of the union on all-MiniLM-L6-v2 (1,249 of 1,256) while the file's own
  teacher scores them inside its range: the own-score and shared-negative witnesses keep them.
- **Cranfield**: one relevant document per query kept as the positive (the others hidden, as
  ``evaluate-fn`` does), a top-30 all-MiniLM-L6-v2 pool, and a FlagEmbedding-style file mined
  as ``hn_mine --range_for_sampling 2-12 --negative_number 15`` does: 10 negatives at random
  from raw ranks 3..12, padded to 15 with random corpus documents; for 30 queries a
  near-duplicate of the positive is planted. A second file lists every relevant document as a
  positive and BM25's top 8 others as negatives. Siblings are then the planted copies plus the
  hidden relevant documents the first file mined as negatives (labelled by the second).

The yardstick is the packaged model scoring the union's pairs. Precision counts every flag in
every file (a clean file's flag is a false positive).
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from analysis.measure import yardstick
from analysis.measure.file_match import normalise_text, open_files
from analysis.workspace.compare_files import compare

pytestmark = pytest.mark.slow


def edit(text: str) -> str:
    words = text.split()
    for i in (len(words) // 3, 2 * len(words) // 3):
        words[i] = "xyzzy"
    return " ".join(words)


def write(path, rows) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def scores(cmp, truth_pad: set, truth_sib: set) -> dict:
    """Recall and precision of padding and siblings over every file's negatives."""
    qt = cmp.union.nset.queries["text"].astype(str).map(normalise_text).to_numpy()
    dt = cmp.union.nset.docs["text"].astype(str).map(normalise_text).to_numpy()
    found_pad, found_sib = set(), set()
    for name in cmp.union.names:
        rows = cmp.selections[name]
        keys = [(name, qt[q], dt[d]) for q, d in zip(cmp.columns["q"].to_numpy()[rows],
                                                     cmp.columns["d"].to_numpy()[rows])]
        found_pad |= {k for k, f in zip(keys, cmp.padding[name]) if f}
        found_sib |= {k for k, f in zip(keys, cmp.siblings[name] != "") if f}

    def pr(found, truth):
        return {"recall": len(found & truth) / len(truth), "precision": len(found & truth) / max(len(found), 1),
                "planted": len(truth), "flagged": len(found)}
    return {"padding": pr(found_pad, truth_pad), "siblings": pr(found_sib, truth_sib)}


def assert_targets(result: dict) -> None:
    print(result)  # the README's table: pytest -s shows it
    for kind, got in result.items():
        assert got["recall"] >= 0.95 and got["precision"] >= 0.9, (kind, got)


def test_interop_files(interop_dir, tmp_path):
    st = [json.loads(line) for line in open(interop_dir / "sentence_transformers/msmarco_ntuple5.jsonl")]
    flag_path = interop_dir / "flagembedding/embedder_example_data_retrieval_msmarco.jsonl"
    nq = [json.loads(line) for line in open(interop_dir / "flagembedding/embedder_example_data_retrieval_nq.jsonl")]
    corpus = sorted({t for r in nq for t in r["pos"] + r["neg"]})
    rng, name = random.Random(0), "st_planted.jsonl"
    pad, sib, rows = set(), set(), []
    for r in st:
        q, pos = r["anchor"], r["positive"]
        negatives = [r[f"negative_{i}"] for i in range(1, 6)]
        filler = rng.sample(corpus, 5)
        planted = [edit(pos), f"  {pos.upper()} "]
        pad |= {(name, normalise_text(q), normalise_text(t)) for t in filler}
        sib |= {(name, normalise_text(q), normalise_text(t)) for t in planted}
        row = {"anchor": q, "positive": pos}
        row.update({f"negative_{i + 1}": t for i, t in enumerate(negatives + planted + filler)})
        rows.append(row)
    union = open_files([write(tmp_path / name, rows), str(flag_path)])
    assert union.report.common_queries == 10
    cmp = compare(union, yardstick.measure(union, yardstick.parse("model")), clusters=False)
    result = scores(cmp, pad, sib)
    assert_targets(result)


def test_cranfield_files(cranfield_dir, tmp_path):
    from analysis.false_negatives.fn_eval import hide_positives
    from analysis.false_negatives.lexical import bm25_pair_scores
    from analysis.formats import load
    from analysis.scoring.pool import build_pool

    full = load(cranfield_dir)
    kept, hidden = hide_positives(full)
    pool = build_pool(kept, top_n=30)
    qtext, dtext = full.query_text().to_dict(), full.doc_text().to_dict()
    relevant = full.pairs[full.pairs["label"] == 1].groupby("qid", observed=True)["did"].agg(
        lambda s: [str(d) for d in s]).to_dict()
    positive = kept.pairs.groupby("qid", observed=True)["did"].first().astype(str).to_dict()
    cand = pool.pairs[(pool.pairs["source"] == "pool") & (pool.pairs["label"] == 0)]
    rng, nprng = random.Random(0), np.random.default_rng(0)
    all_docs = sorted(dtext)
    pad, sib, mined, judged = set(), set(), [], []
    name = "cranfield_hn_mine.jsonl"
    for n, (qid, part) in enumerate(cand.groupby("qid", observed=True)):
        part = part[(part["rank"] >= 3) & (part["rank"] <= 12)]
        chosen = [str(d) for d in nprng.choice(part["did"].astype(str).to_numpy(), size=min(10, len(part)),
                                               replace=False)]
        filler = rng.sample(all_docs, 15 - len(chosen))
        q, pos = qtext[qid], dtext[positive[qid]]
        planted = [edit(pos)] if n < 30 else []
        key = lambda t: (name, normalise_text(q), normalise_text(t))  # noqa: E731
        pad |= {key(dtext[d]) for d in filler if d not in relevant.get(qid, [])}
        sib |= {key(dtext[d]) for d in chosen + filler if d in relevant.get(qid, [])} | {key(t) for t in planted}
        mined.append({"query": q, "pos": [pos], "neg": [dtext[d] for d in chosen] + planted
                      + [dtext[d] for d in filler]})
    pairs = full.pairs.iloc[:0]
    import pandas as pd

    every = pd.DataFrame({"qid": np.repeat(full.queries["qid"].to_numpy(), len(all_docs)),
                          "did": np.tile(np.array(all_docs, dtype=object), len(full.queries))})
    every["label"] = 0
    bm25 = bm25_pair_scores(every, full.doc_text(), full.query_text())
    every["bm25"] = bm25
    for qid, part in every.groupby("qid", sort=False):
        rel = relevant.get(qid, [])
        if not rel:
            continue
        top = [d for d in part.sort_values("bm25", ascending=False)["did"] if d not in rel][:8]
        judged.append({"query": qtext[qid], "pos": [dtext[d] for d in rel], "neg": [dtext[d] for d in top]})
    del pairs
    union = open_files([write(tmp_path / name, mined), write(tmp_path / "cranfield_bm25_judged.jsonl", judged)])
    cmp = compare(union, yardstick.measure(union, yardstick.parse("model")), clusters=False)
    result = scores(cmp, pad, sib)
    assert_targets(result)
