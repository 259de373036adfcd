#!/usr/bin/env bash
# Peak resident memory of `gradcam serve` with the models of DIR loaded and every worker
# busy. Usage: bench/memory.sh DIR [WORKERS=2] [SECONDS=30] [METHODS="gradcam guided-gradcam"]
# DIR holds the models (e.g. the full-size vgg16.onnx and alexnet.onnx that
# `bench/compare --keep DIR` writes). Prints RSS after loading, the largest RSS sampled
# under load, VmHWM (the kernel's high-water mark, loading included) and RSS at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: bench/memory.sh DIR [WORKERS] [SECONDS] [METHODS]}
workers=${2:-2}
seconds=${3:-30}
methods=${4:-"gradcam guided-gradcam"}
swift build -c release --product gradcam >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.build/release/gradcam serve --models-dir "$dir" --port "$port" --workers "$workers" --threads 1 --queue 64 \
  --timeout 600 >/tmp/gradcam-memory.log 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do
  kill -0 "$server" || { cat /tmp/gradcam-memory.log; exit 1; }
  sleep 0.5
done
rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$server/status"; }
loaded=$(rss)
models=$(curl -s "http://127.0.0.1:$port/models" | python3 -c 'import json, sys; print(" ".join(m["name"] for m in json.load(sys.stdin)["models"]))')
image=Tests/Fixtures/images/chelsea_224.png
end=$((SECONDS + seconds))
# Twice as many clients as workers keeps every worker busy and the queue non-empty.
clients=()
for _ in $(seq 1 $((2 * workers))); do
  (while ((SECONDS < end)); do
     for model in $models; do
       for method in $methods; do
         curl -s -o /dev/null -F "image=@$image" "http://127.0.0.1:$port/gradcam?model=$model&method=$method"
       done
     done
   done) &
  clients+=("$!")
done
peak=0
while ((SECONDS < end)); do
  now=$(rss); ((now > peak)) && peak=$now
  sleep 0.2
done
wait "${clients[@]}" 2>/dev/null || true
printf 'models: %s; %s workers x 1 thread; methods: %s\n' "$models" "$workers" "$methods"
printf 'RSS after loading: %d MiB\npeak RSS under load: %d MiB\nVmHWM (loading included): %d MiB\nRSS at the end: %d MiB\n' \
  $((loaded / 1024)) $((peak / 1024)) $(($(hwm) / 1024)) $(($(rss) / 1024))
