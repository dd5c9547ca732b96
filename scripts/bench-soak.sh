#!/usr/bin/env bash
# The portal under a mixed load, and killed in the middle of it (issue 12's benchmark; numbers
# for the note, not a test). Release build. A store with September and October of all 136
# counties of 山东省; the portal serving it as of 2026-11-26; CLIENTS (20) clients for SECONDS
# (60): reporters uploading their November sheet through the API, opening their page and
# downloading their originals; reviewers opening the city and province boards and downloading
# the rollups.
#   1. SECONDS of that load: p50/p99 per endpoint, throughput, errors, the server's peak memory.
#   2. SECONDS again, with `kill -9` of the server half-way and a restart on the same port: the
#      clients carry on (requests in flight or during the restart fail); afterwards every upload
#      that was answered 200 is fetched back, and `yuebao verify` checks the store and the audit
#      log's chain.
#
# Usage: scripts/bench-soak.sh [SECONDS] [CLIENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
clients=${2:-20}
cargo build --release --quiet --bin yuebao --example portal_load
bin=$PWD/target/release/yuebao
load=$PWD/target/release/examples/portal_load
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill -9 "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
data=$work/data
now="2026-11-26 10:00"

bash scripts/bench-store.sh "$bin" "$work" "$clients" "$now"
users=$work/users.tsv

start_server() { # ADDR
  "$bin" serve --data "$data" --listen "$1" --now "$now" >"$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do grep -q 'http://' "$work/serve.log" 2>/dev/null && break; sleep 0.05; done
  url=$(grep -o 'http://[0-9.:]*' "$work/serve.log")
}
start_server 127.0.0.1:0
port=${url##*:}
echo "portal: $url, $(nproc) cores"

echo
echo "== 1. $seconds s of mixed load =="
"$load" soak "$url" "$users" "$seconds" "$clients" 2026-11 371300 370000
echo "server peak memory (VmHWM): $(grep VmHWM /proc/$server/status | awk '{print $2, $3}')"

echo
echo "== 2. $seconds s of mixed load, the server killed with kill -9 after $((seconds / 2)) s and restarted =="
"$load" soak "$url" "$users" "$seconds" "$clients" 2026-11 371300 370000 >"$work/soak2.txt" 2>"$work/soak2.err" &
loader=$!
sleep $((seconds / 2))
echo "peak memory before the kill (VmHWM): $(grep VmHWM /proc/$server/status | awk '{print $2, $3}')"
kill -9 "$server"
wait "$server" 2>/dev/null || true
t0=$(date +%s%N)
start_server "127.0.0.1:$port"
echo "restarted and listening after $((($(date +%s%N) - t0) / 1000000)) ms (pid $server)"
wait "$loader"
cat "$work/soak2.txt"
echo "(first errors: $(head -c 300 "$work/soak2.err" | tr '\n' ' '))"
kill "$server"
wait "$server" 2>/dev/null || true
server=
echo
"$bin" verify --data "$data"
