#!/usr/bin/env bash
# Loopback load test of `bkd serve` (issue 20): starts the server on 127.0.0.1 (a free port), sends REQUESTS
# txt2img requests from CLIENTS concurrent clients (benchmarks/ServeLoad.java), prints a Markdown row with
# p50/p95 latency, errors and the server's RSS before/warm/after, and stops the server it started.
# Bounded: loopback only, a fixed number of requests, a 2 h cap.
#   benchmarks/serve-load.sh [MODEL_DIR] [CLIENTS=8] [REQUESTS=200] [STEPS=10] [SIZE=128]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:-$here/../shared/reference/sd-tiny/models}"
clients="${2:-8}"; requests="${3:-200}"; steps="${4:-10}"; size="${5:-128}"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp /tmp/bkd-serve-load.XXXXXX)"
"$here/bkd" serve --model "$model" --host 127.0.0.1 --port "$port" --queue "$clients" >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 600); do
  grep -q "bkd serve: .* on http" "$log" && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.5
done
# the launcher execs java, so $server is the JVM's pid
java "$here/benchmarks/ServeLoad.java" "http://127.0.0.1:$port" "$server" "$clients" "$requests" "$steps" "$size"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
