#!/usr/bin/env bash
# The probe tables recorded in benchmarks/probe_runs.md and the README: one command per table,
# each on a cold cache (no embedding, pool or run cache), timed end to end.
#
#   bash benchmarks/probe_runs.sh [OUT]      (OUT: /tmp/neglens-probe-runs)
#
# Writes OUT/<name>.txt (the table), OUT/<name>.log (progress), OUT/<name>.time (wall seconds
# and peak memory) and OUT/<name>.json (the same probe as JSON, read back from its cache).
# Cranfield is read from ../shared/data/cranfield ($CRANFIELD); its runs are skipped with a
# message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/neglens-probe-runs}
CRANFIELD=${CRANFIELD:-../shared/data/cranfield}
PYTHON=${PYTHON:-python}
mkdir -p "$OUT"

# simans's release default a=0.5 is almost uniform on cosine scores (it chose exactly random's
# negatives on Cranfield); a=100 weights a negative one per-query sd (0.054) from the positive
# by 0.75 and three sd by 0.07.
STRATEGIES=(--strategy random --strategy top_k --strategy topk_percpos --strategy simans:a=100)

probe() {
    local name=$1; shift
    rm -rf "$OUT/$name-cache"
    local start=$SECONDS timer=()
    if command -v /usr/bin/time > /dev/null; then
        timer=(/usr/bin/time -f "%e s wall, %U s user, %S s system, %M KiB peak resident" -o "$OUT/$name.time")
    fi
    "${timer[@]}" "$PYTHON" -m analysis probe "$@" "${STRATEGIES[@]}" --cache-dir "$OUT/$name-cache" \
        > "$OUT/$name.txt" 2> "$OUT/$name.log"
    [ ${#timer[@]} -gt 0 ] || echo "$((SECONDS - start)) s wall" > "$OUT/$name.time"
    "$PYTHON" -m analysis probe "$@" "${STRATEGIES[@]}" --cache-dir "$OUT/$name-cache" --json --quiet \
        > "$OUT/$name.json"
    echo "$name: $(cat "$OUT/$name.time")"
}

if [ -d "$CRANFIELD" ]; then
    # the budget: four strategies, --quick (one seed), under 10 minutes on 2 CPU cores
    probe cranfield-quick "$CRANFIELD" --train-positives 1 --quick
    # the same with three seeds, for the spread over training runs
    probe cranfield-quick-3seeds "$CRANFIELD" --train-positives 1 --quick --seeds 0,1,2
else
    echo "skipping the Cranfield runs: $CRANFIELD is absent" >&2
fi
probe sample-quick-3seeds sample_data --quick --seeds 0,1,2 \
    --eval-qrels sample_data/ground_truth/unlabelled_positives.tsv
