"""Regenerates sample_data/compare/: three files mined three ways over sample_data's 120 queries.

    .venv/bin/python sample_data/make_compare.py      (~1 min on 2 cores the first time; cached after)

1. ``st_margin_ntuple.jsonl``: sentence-transformers ``mine_hard_negatives(range_min=10,
   relative_margin=0.05, num_negatives=5, sampling_strategy="top", output_format="n-tuple",
   output_scores=True)``, reproduced by NegLens' ``margin`` strategy on its all-MiniLM-L6-v2 pool.
2. ``flag_hn_mine_padded.jsonl``: FlagEmbedding ``hn_mine --range_for_sampling 2-12
   --negative_number 15``: a narrow range leaves about ten candidates per query, and hn_mine
   pads the rest with ``random.sample(corpus, ...)``, as its code does (no scores, as hn_mine
   writes none). The padded passages are listed in ``compare/planted_padding.tsv`` (BEIR ids).
3. ``bm25_tevatron.jsonl``: a BM25 set (``bm25s``, the top 8 BM25 passages that are not
   positives) in Tevatron's legacy layout with the BEIR ids, whose positives are the qrels
   **plus** ``ground_truth/unlabelled_positives.tsv`` (a colleague judged more): what the two
   other files mined as negatives among those are sibling positives.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "compare"
PY = sys.executable


def run(*args: str) -> None:
    subprocess.run([PY, "-m", "analysis", *args], check=True, cwd=HERE.parent)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def pad_like_hn_mine(source: Path, target: Path, corpus: list[dict], *, n: int, seed: int = 0) -> int:
    rng, planted, rows = random.Random(seed), [], []
    queries = {q["text"]: q["_id"] for q in read_jsonl(HERE / "queries.jsonl")}
    for row in read_jsonl(source):
        row.pop("pos_scores", None), row.pop("neg_scores", None)
        if len(row["neg"]) < n:
            filler = rng.sample(corpus, n - len(row["neg"]))
            planted += [(queries[row["query"]], doc["_id"]) for doc in filler]
            row["neg"] = row["neg"] + [doc["text"] for doc in filler]
        rows.append(row)
    target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with open(OUT / "planted_padding.tsv", "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter="\t")
        writer.writerow(["query-id", "corpus-id"])
        writer.writerows(planted)
    return len(planted)


def bm25_file(target: Path, *, negatives: int = 8) -> None:
    import bm25s

    docs = read_jsonl(HERE / "corpus.jsonl")
    queries = {q["_id"]: q["text"] for q in read_jsonl(HERE / "queries.jsonl")}
    positives: dict[str, list[str]] = {}
    for name in ("qrels/test.tsv", "ground_truth/unlabelled_positives.tsv"):
        with open(HERE / name, encoding="utf-8") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                positives.setdefault(row["query-id"], []).append(row["corpus-id"])
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([d["text"] for d in docs], stopwords="en", show_progress=False),
                    show_progress=False)
    by_id = {d["_id"]: d for d in docs}
    lines = []
    for qid, text in queries.items():
        found, _ = retriever.retrieve(bm25s.tokenize([text], stopwords="en", show_progress=False),
                                      k=negatives + 10, show_progress=False)
        chosen = [docs[i]["_id"] for i in found[0] if docs[i]["_id"] not in positives.get(qid, [])]
        lines.append({"query_id": qid, "query": text,
                      "positive_passages": [{"docid": d, "title": "", "text": by_id[d]["text"]}
                                            for d in positives.get(qid, [])],
                      "negative_passages": [{"docid": d, "title": "", "text": by_id[d]["text"]}
                                            for d in chosen[:negatives]]})
    target.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp())
    pool = work / "pool.parquet"
    run("pool", "sample_data", "--top-n", "100", "--quiet", "--out", str(pool))
    run("sample", str(pool), "--strategy", "margin", "--param", "range_min=10", "--param",
        "relative_margin=0.05", "--num-negatives", "5", "--seed", "0", "--format",
        "sentence-transformers", "--layout", "n-tuple", "--scores",
        "--out", str(OUT / "st_margin_ntuple.jsonl"))
    short = work / "flag_short.jsonl"
    run("sample", str(pool), "--strategy", "range", "--param", "range_min=2", "--param",
        "range_max=12", "--param", "count=raw", "--param", "sampling=random", "--num-negatives",
        "15", "--seed", "0", "--format", "flagembedding", "--out", str(short))
    corpus = read_jsonl(HERE / "corpus.jsonl")
    planted = pad_like_hn_mine(short, OUT / "flag_hn_mine_padded.jsonl", corpus, n=15)
    bm25_file(OUT / "bm25_tevatron.jsonl")
    print(f"wrote {OUT}: 3 files, {planted} padded passages planted by hn_mine's rule")


if __name__ == "__main__":
    main()
