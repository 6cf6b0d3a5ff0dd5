#!/usr/bin/env bash
# Regenerates sample_data/mined/ from the BEIR folder with NegLens' own commands:
# one pool, then two strategies written in the formats people train with.
#   bash sample_data/make_mined.sh        (after `make install`; ~1 min on 2 cores, cached after)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
pool=$(mktemp -d)/sample_pool.parquet
mkdir -p sample_data/mined
$PY -m analysis pool sample_data --top-n 100 --quiet --out "$pool"
# sentence-transformers mine_hard_negatives(relative_margin=0.05, num_negatives=5,
# sampling_strategy="top", output_format="n-tuple", output_scores=True)
$PY -m analysis sample "$pool" --strategy margin --param relative_margin=0.05 --num-negatives 5 \
    --seed 0 --format sentence-transformers --layout n-tuple --scores \
    --out sample_data/mined/sentence_transformers_ntuple.jsonl
# FlagEmbedding hn_mine --range_for_sampling 2-100 --negative_number 15 (raw ranks, with scores)
$PY -m analysis sample "$pool" --strategy range --param range_min=2 --param range_max=100 \
    --param count=raw --param sampling=random --num-negatives 15 --seed 0 \
    --format flagembedding --scores --out sample_data/mined/flagembedding.jsonl
# Tevatron (legacy layout), the NV-Retriever TopK-PercPos 95% setting with 4 negatives
$PY -m analysis sample "$pool" --strategy topk_percpos --num-negatives 4 --seed 0 \
    --format tevatron --out sample_data/mined/tevatron.jsonl
