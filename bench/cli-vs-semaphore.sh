#!/usr/bin/env bash
# `batchaspire run` beside the usual semaphore+retry script, in one run, against the same fake provider process
# at a known limit (rolling minute + per-second slices, as OpenAI enforces it). Reports wall time, successes and
# the 429s the provider sent. usage: bench/cli-vs-semaphore.sh [ITEMS] [RPM] [LATENCY_MS]
set -euo pipefail
cd "$(dirname "$0")/.."
items=${1:-600}; rpm=${2:-600}; latency=${3:-50}
dotnet build BatchAspire.Cli >/dev/null && dotnet build BatchAspire.FakeProvider >/dev/null
work=$(mktemp -d); trap 'kill $fake 2>/dev/null || true; rm -rf "$work"' EXIT
for i in $(seq 1 "$items"); do echo "{\"custom_id\":\"q$i\",\"messages\":[{\"role\":\"user\",\"content\":\"Classify article $i\"}]}"; done > "$work/in.jsonl"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dotnet BatchAspire.FakeProvider/bin/Debug/net10.0/BatchAspire.FakeProvider.dll --port "$port" --rpm "$rpm" --per-second-slices \
  --latency-ms "$latency" --latency-jitter-ms 20 >/dev/null 2>&1 & fake=$!
until curl -sf "http://127.0.0.1:$port/stats" >/dev/null; do sleep 0.2; done
stats() { curl -s "http://127.0.0.1:$port/stats" | python3 -c 'import sys,json; s=json.load(sys.stdin); print(s["accepted"], s["rejected_rate_limit"])'; }

echo "items=$items limit=${rpm} RPM (+ per-second slices), fake latency ${latency}±20 ms, machine: $(nproc) cores"
curl -s -X POST "http://127.0.0.1:$port/stats/reset" >/dev/null
start=$(date +%s.%N)
BatchAspire__Providers__openai__BaseUrl="http://127.0.0.1:$port/v1" OPENAI_API_KEY=x \
  dotnet BatchAspire.Cli/bin/Debug/net10.0/batchaspire.dll run "$work/in.jsonl" -o "$work/cli.jsonl" --model gpt-4o-mini \
  --rpm "$rpm" --state-dir "$work/state" --json >/dev/null
cli_s=$(python3 -c "print(round($(date +%s.%N)-$start,2))")
read -r cli_ok cli_429 < <(stats)
echo "batchaspire run : ${cli_s} s, $(wc -l < "$work/cli.jsonl") results, provider accepted ${cli_ok}, 429s ${cli_429}"

curl -s -X POST "http://127.0.0.1:$port/stats/reset" >/dev/null; curl -s -X POST "http://127.0.0.1:$port/admin/reset-limits" >/dev/null
sleep 61 # an empty rolling minute, so both runs start from the same state
base=$(python3 bench/semaphore_baseline.py "http://127.0.0.1:$port/v1" "$work/in.jsonl" "$work/base.jsonl" 16)
read -r base_ok base_429 < <(stats)
echo "semaphore(16)+retry: $(echo "$base" | python3 -c 'import sys,json; s=json.load(sys.stdin); print("%s s, %s ok, %s failed" % (s["seconds"], s["ok"], s["failed"]))'), provider accepted ${base_ok}, 429s ${base_429}"
