#!/usr/bin/env bash
# Load test of POST /gradcam: builds the release binary, serves the models with the given
# workers and queue, runs wrk (32 connections, 30 s by default) with a multipart upload,
# samples the server's resident memory every second, and prints throughput, p50 and p99,
# the answers by status, and the mean RSS of the first and last ten seconds.
#
#   bench/wrk-gradcam.sh [--models-dir models] [--model NAME] [--workers N] [--queue N]
#                        [--connections 32] [--duration 30] [--image PATH] [--query 'class=0']
#
# Only 200s and 503s (back-pressure) are acceptable under overload; anything else, a socket
# error, or resident memory growing between the first and last ten seconds makes it exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."

models_dir=models model="" workers="" queue=16 connections=32 duration=30
image=Tests/Fixtures/images/chelsea_224.png query="class=0"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --models-dir) models_dir=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --queue) queue=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --image) image=$2; shift 2 ;;
    --query) query=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

swift build -c release --product gradcam
binary=.build/release/gradcam
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
log=$(mktemp) rss=$(mktemp) out=$(mktemp)
"$binary" serve --models-dir "$models_dir" --port "$port" --queue "$queue" ${workers:+--workers "$workers"} >"$log" 2>&1 &
server=$!
sampler=""
cleanup() {
  [[ -n $sampler ]] && kill "$sampler" 2>/dev/null || true
  kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -f "$log" "$rss" "$out"
}
trap cleanup EXIT
for _ in $(seq 1 240); do
  curl -sf "$url/readyz" >/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$log"; echo "the server exited" >&2; exit 1; }
  sleep 0.5
done
curl -sf "$url/readyz" >/dev/null || { cat "$log"; echo "the server never became ready" >&2; exit 1; }
[[ -n $model ]] || model=$(curl -sf "$url/models" | python3 -c 'import json, sys; print(json.load(sys.stdin)["models"][0]["name"])')
head -n 1 "$log"

# One warm-up request, then resident memory (kB) once a second while wrk runs.
curl -sf -o /dev/null -F "image=@$image" "$url/gradcam?model=$model&$query"
(while kill -0 "$server" 2>/dev/null; do awk '/^VmRSS/ {print $2}' "/proc/$server/status"; sleep 1; done) >"$rss" &
sampler=$!
echo "wrk: $connections connections, ${duration} s, POST /gradcam?model=$model&$query, $(nproc) cores"
WRK_IMAGE=$image WRK_MODEL=$model WRK_QUERY=$query \
  wrk -t 2 -c "$connections" -d "${duration}s" --timeout 120s --latency -s bench/wrk-gradcam.lua "$url" | tee "$out"
kill "$sampler"; sampler=""

samples=$(wc -l <"$rss")
first=$(head -n 10 "$rss" | awk '{s += $1} END {printf "%.0f", s / NR / 1024}')
last=$(tail -n 10 "$rss" | awk '{s += $1} END {printf "%.0f", s / NR / 1024}')
peak=$(sort -n "$rss" | tail -n 1 | awk '{printf "%.0f", $1 / 1024}')
echo "RSS: first 10 s mean ${first} MiB, last 10 s mean ${last} MiB, peak ${peak} MiB ($samples samples)"
curl -sf "$url/metrics" | grep -E '^gradcam_stage_seconds_(sum|count)' || true

# Verdict: only 200 and 503, no socket errors, and memory flat (within 10% + 16 MiB).
if grep -E '^status ' "$out" | grep -vqE '^status (200|503):'; then echo "FAIL: answers other than 200 and 503" >&2; exit 1; fi
if ! grep -qE '^socket errors: connect 0, read 0, write 0, timeout 0$' "$out"; then echo "FAIL: socket errors" >&2; exit 1; fi
if (( last > first + first / 10 + 16 )); then echo "FAIL: resident memory grew from ${first} to ${last} MiB" >&2; exit 1; fi
echo "OK: only 200 and 503 answers, no socket errors, resident memory flat"
