#!/usr/bin/env bash
# Uploads a generated 50,000-line batch input file to a real Api process and creates a batch from it,
# reporting the Api's memory (VmRSS now, VmHWM = peak RSS) before and after each step. The file is
# streamed to the store and validated streaming from it, so the peak should not grow with the file size.
#
# Usage: bench/upload-50k.sh [lines] [padding-bytes-per-line]
# Needs: a built Api (dotnet build BatchAspire.Api), redis-server on PATH (or REDIS=host:port), curl.
set -euo pipefail
LINES=${1:-50000}
PAD=${2:-1000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DLL=$ROOT/BatchAspire.Api/bin/Debug/net10.0/BatchAspire.Api.dll
WORK=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

if [[ -z "${REDIS:-}" ]]; then
  RPORT=$((PORT + 1))
  redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" >/dev/null &
  PIDS+=($!)
  REDIS=127.0.0.1:$RPORT
  sleep 0.5
fi

ConnectionStrings__redis=$REDIS ASPNETCORE_URLS=http://127.0.0.1:$PORT BatchAspire__Store__KeyPrefix=bench$RANDOM: \
  dotnet "$DLL" >"$WORK/api.log" 2>&1 &
API=$!
PIDS+=($API)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/alive" >/dev/null && break; sleep 0.1; done

mem() { awk '/VmRSS|VmHWM/ {printf "%s %d MB  ", $1, $2/1024}' "/proc/$API/status"; echo; }

PADDING=$(head -c "$PAD" /dev/zero | tr '\0' 'x')
awk -v n="$LINES" -v pad="$PADDING" 'BEGIN { for (i = 0; i < n; i++)
  printf "{\"custom_id\":\"req-%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"sim-small\",\"messages\":[{\"role\":\"user\",\"content\":\"%s %d\"}]}}\n", i, pad, i }' >"$WORK/input.jsonl"
SIZE=$(stat -c %s "$WORK/input.jsonl")
echo "file: $LINES lines, $((SIZE / 1024 / 1024)) MB"
echo -n "api idle:          "; mem

START=$(date +%s.%N)
FILE=$(curl -sf -F purpose=batch -F "file=@$WORK/input.jsonl" "http://127.0.0.1:$PORT/v1/files")
END=$(date +%s.%N)
FILE_ID=$(echo "$FILE" | sed -E 's/.*"id":"([^"]+)".*/\1/')
echo "upload: $FILE_ID in $(echo "$END - $START" | bc) s"
echo -n "after upload:      "; mem

START=$(date +%s.%N)
BATCH=$(curl -sf -H 'Content-Type: application/json' \
  -d "{\"input_file_id\":\"$FILE_ID\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}" \
  "http://127.0.0.1:$PORT/v1/batches")
END=$(date +%s.%N)
echo "batch: $(echo "$BATCH" | grep -o '"status":"[a-z_]*"') $(echo "$BATCH" | grep -o '"total":[0-9]*') in $(echo "$END - $START" | bc) s"
echo -n "after batch:       "; mem
