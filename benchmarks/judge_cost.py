"""What a judge costs here: texts/s of the default judge (all-mpnet-base-v2) beside the bundled
all-MiniLM-L6-v2, in the same process, on the same texts, with a cold (temporary) cache.

    python benchmarks/judge_cost.py [--texts 64] [--data sample_data]

Encodes the first ``--texts`` documents of the dataset with each model through
``analysis.scoring.judge.judge_scores`` (one query, the documents as its pairs), prints texts/s
of both and their ratio; the last line is JSON. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main(argv=None) -> int:
    import pandas as pd

    from analysis.formats import load
    from analysis.scoring.judge import default_judge_path, judge_scores

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=64)
    parser.add_argument("--data", type=Path, default=REPO / "sample_data")
    args = parser.parse_args(argv)
    nset = load(args.data)
    docs = nset.doc_text().iloc[: args.texts]
    query = nset.query_text().iloc[:1]
    pairs = pd.DataFrame({"qid": [str(query.index[0])] * len(docs), "did": docs.index.astype(str)})
    folders = {"all-MiniLM-L6-v2": "all-MiniLM-L6-v2",
               "default": str(default_judge_path())}   # unpacking is not encoding: before timing
    out = {}
    for name, judge in folders.items():
        judge_scores(judge, pairs.iloc[:1], query, docs)     # load the model outside the timing
        with tempfile.TemporaryDirectory() as cold:
            start = time.perf_counter()
            judge_scores(judge, pairs, query, docs, cache_dir=cold)
            seconds = time.perf_counter() - start
        out[name] = {"texts": len(docs) + 1, "seconds": seconds, "texts_per_s": (len(docs) + 1) / seconds}
        print(f"{name:<18} {out[name]['texts_per_s']:6.1f} texts/s ({len(docs) + 1} texts, {seconds:.1f} s)")
    ratio = out["all-MiniLM-L6-v2"]["texts_per_s"] / out["default"]["texts_per_s"]
    print(f"all-mpnet-base-v2 is {ratio:.1f}x slower than all-MiniLM-L6-v2 here")
    print(json.dumps({**out, "slowdown": ratio}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
