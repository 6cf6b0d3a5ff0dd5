"""How many queries get mine_hard_negatives' exact negatives, with and without merging equal texts.

A real corpus that repeats text (CACM: 3,204 records, 191 of them repeating another's text,
most of them title-only) with one labelled positive per judged query. NegLens builds a pool with
``merge_texts`` off (the old behaviour) and on, runs ``margin`` with the issue's settings, and
compares each query's negative texts, in order, with the installed ``mine_hard_negatives`` run on
the same (anchor, positive) pairs and every document text. sentence-transformers gets NegLens's
own embeddings through its cache_folder (the files it would write), so the texts are encoded once.

    python benchmarks/st_duplicates.py [COLLECTION_DIR]     # default ../shared/data/cacm
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SETTINGS = dict(range_min=2, range_max=30, relative_margin=0.05, num_negatives=5)


def main(folder: Path) -> None:
    from datasets import Dataset
    from sentence_transformers.util import mine_hard_negatives

    from analysis.formats import load
    from analysis.model import NegativeSet
    from analysis.scoring.encode import load_encoder
    from analysis.scoring.pool import build_pool
    from analysis.strategies import create

    full = load(folder)
    pos = full.pairs[full.pairs["label"] == 1].astype({"qid": str, "did": str}).drop_duplicates("qid")
    nset = NegativeSet(full.queries[full.queries["qid"].astype(str).isin(pos["qid"])].reset_index(drop=True),
                       full.docs, pos[["qid", "did"]].assign(label=1, source="qrels").reset_index(drop=True))
    repeats = int(nset.docs["text"].duplicated().sum())
    encoder = load_encoder()
    qtext, dtext = nset.query_text().astype(str), nset.doc_text().astype(str)
    anchors = qtext.reindex(pos["qid"]).tolist()
    answers = dtext.reindex(pos["did"]).tolist()
    corpus = nset.docs["text"].astype(str).tolist()
    st_corpus = list(dict.fromkeys(corpus + answers))
    st_queries = list(dict.fromkeys(anchors))
    with tempfile.TemporaryDirectory() as cache:
        model = encoder.model
        name = model.model_card_data.base_model or ""
        for kind, texts, role in (("corpus", st_corpus, "document"), ("query", st_queries, "query")):
            digest = hashlib.sha256(repr((name, None, None, texts)).encode(), usedforsecurity=False).hexdigest()
            np.save(Path(cache) / f"{kind}_embeddings_{digest}.npy", encoder.embed(texts, role=role))
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            mined = mine_hard_negatives(Dataset.from_dict({"anchor": anchors, "positive": answers}), model,
                                        corpus=corpus, output_format="labeled-list", use_faiss=False,
                                        verbose=False, cache_folder=cache, **SETTINGS)
    theirs = {r["anchor"]: r["positive"][1:] for r in mined.to_list()}
    print(f"{folder.name}: {len(nset.queries)} queries, {len(nset.docs)} documents, {repeats} repeating "
          f"another's text; margin {SETTINGS}, sampling top")
    for merge in (False, True):
        start = time.perf_counter()
        pool = build_pool(nset, model=encoder, top_n=60, merge_texts=merge)
        chosen = create("margin", **SETTINGS).select(pool, np.random.default_rng(0)).pairs(pool)
        ours: dict[str, list[str]] = {}
        ptext, pdoc = pool.query_text().astype(str), pool.doc_text().astype(str)
        for qid, did in zip(chosen["qid"].astype(str), chosen["did"].astype(str)):
            ours.setdefault(ptext[qid], []).append(pdoc[did])
        same = sum(ours.get(a, []) == theirs.get(a, []) for a in st_queries)
        if merge and "-v" in sys.argv:
            for a in st_queries:
                if ours.get(a, []) != theirs.get(a, []):
                    q = qtext[qtext == a].index[0]
                    rows = pool.pairs[pool.pairs["qid"].astype(str) == q].sort_values("rank").head(40)
                    print(a[:60], [t[:30] for t in ours.get(a, [])], [t[:30] for t in theirs.get(a, [])])
                    print(rows.assign(t=rows["did"].astype(str).map(pdoc).str[:30]).to_string())
        print(f"  merge_texts={merge!s:5}: {same} of {len(st_queries)} queries get the same negatives "
              f"in the same order ({time.perf_counter() - start:.1f} s pool + selection)")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "-v"]
    main(Path(args[0]) if args else ROOT.parent / "shared" / "data" / "cacm")
