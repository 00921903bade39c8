#!/usr/bin/env python3
"""The one-off script BatchAspire replaces: a semaphore of N concurrent calls, each retried on 429/5xx with
exponential backoff and jitter (no shared limit, no durable state). Standard library only.
usage: semaphore_baseline.py BASE_URL INPUT.jsonl OUTPUT.jsonl [CONCURRENCY] [MAX_RETRIES]"""
import json, random, sys, time, urllib.error, urllib.request
from concurrent.futures import ThreadPoolExecutor
from threading import Semaphore, Lock

base, source, target = sys.argv[1], sys.argv[2], sys.argv[3]
concurrency = int(sys.argv[4]) if len(sys.argv) > 4 else 16
max_retries = int(sys.argv[5]) if len(sys.argv) > 5 else 8
gate, lock = Semaphore(concurrency), Lock()
stats = {"ok": 0, "failed": 0, "calls": 0, "http_429": 0}

def call(line):
    item = json.loads(line)
    body = json.dumps({"model": "gpt-4o-mini", "messages": item["messages"], "max_tokens": 16}).encode()
    delay = 0.5
    for attempt in range(max_retries + 1):
        with gate:
            with lock: stats["calls"] += 1
            request = urllib.request.Request(base + "/chat/completions", body, {"Content-Type": "application/json", "Authorization": "Bearer x"})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    return item["custom_id"], json.loads(response.read())
            except urllib.error.HTTPError as e:
                if e.code == 429:
                    with lock: stats["http_429"] += 1
                if e.code not in (429, 500, 502, 503):
                    return item["custom_id"], None
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 30)
    return item["custom_id"], None

started = time.time()
with open(source) as f, ThreadPoolExecutor(max_workers=concurrency * 2) as pool, open(target, "w") as out:
    for custom_id, result in pool.map(call, [l for l in f if l.strip()]):
        stats["ok" if result else "failed"] += 1
        out.write(json.dumps({"custom_id": custom_id, "response": result}) + "\n")
stats["seconds"] = round(time.time() - started, 2)
print(json.dumps(stats))
