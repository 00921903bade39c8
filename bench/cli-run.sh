#!/usr/bin/env bash
# Times `batchaspire run` on N items against the built-in simulator (no network, no server).
# Usage: bench/cli-run.sh [N=10000] [CONCURRENCY=1000] [LATENCY_MS=0]
# Not part of the test suite; run it by hand on an otherwise idle machine.
set -euo pipefail
N=${1:-10000}
CONCURRENCY=${2:-1000}
LATENCY_MS=${3:-0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONFIG=${CONFIGURATION:-Release}

dotnet build "$ROOT/BatchAspire.Cli" -c "$CONFIG" -v quiet -nologo >/dev/null
DLL="$ROOT/BatchAspire.Cli/bin/$CONFIG/net10.0/batchaspire.dll"

WORK=$(mktemp -d -t batchaspire-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python3 - "$N" > "$WORK/input.jsonl" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"custom_id": f"item-{i}", "prompt": f"Classify article {i} into one of: sports, politics, science."}))
PY

echo "batchaspire run: $N items, concurrency $CONCURRENCY, simulated latency ${LATENCY_MS} ms ($CONFIG)"
START=$(date +%s.%N)
BatchAspire__Providers__sim__LatencyMs=$LATENCY_MS dotnet "$DLL" run "$WORK/input.jsonl" --model sim-1 \
  -o "$WORK/out.jsonl" --errors "$WORK/err.jsonl" --concurrency "$CONCURRENCY" --state-dir "$WORK/state" > /dev/null
END=$(date +%s.%N)

OK=$(wc -l < "$WORK/out.jsonl")
FAILED=$(wc -l < "$WORK/err.jsonl")
python3 -c "import sys; s=float(sys.argv[1])-float(sys.argv[2]); n=int(sys.argv[3]); print(f'{n} results ({sys.argv[4]} failed) in {s:.2f} s: {n/s:.0f} items/s end to end, start-up included')" "$END" "$START" "$((OK + FAILED))" "$FAILED"
