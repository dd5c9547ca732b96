#!/usr/bin/env bash
# The portal under load (issue 11's benchmark; numbers for the note, not a test). Release build.
# A store with September and October of all 136 counties of 山东省; the portal serving it as of
# 2026-11-26; CLIENTS (20) reporters of different counties uploading their November sheet
# through the page form for SECONDS (30), each answer being the result page; then the boards:
# a city's, the province page over 136 counties and GET /api/status over 136 counties. Prints
# p50/p90/p99 per request kind, and the server's peak memory.
#
# Usage: scripts/bench-portal.sh [SECONDS] [CLIENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
clients=${2:-20}
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet --bins --example portal_load
# BIN=… runs another build of yuebao under the same load (a before-and-after comparison).
bin=${BIN:-target/release/yuebao}
load=target/release/examples/portal_load
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
data=$work/data
now="2026-11-26 10:00"

bash scripts/bench-store.sh "$bin" "$work" "$clients" "$now"
users=$work/users.tsv

"$bin" serve --data "$data" --listen 127.0.0.1:0 --now "$now" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 50); do grep -q 'http://' "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$work/serve.log")
echo "portal: $url (pid $server), $(nproc) cores"
# Boards of October (136 counties, one version each) and of November after the upload storm
# (the 20 counties with hundreds of versions each).
SERVER_PID=$server "$load" "$url" "$users" "$seconds" "$clients" 2026-11 371300 370000 2026-10 2026-11
echo
echo "server peak memory (VmHWM): $(grep VmHWM /proc/$server/status | awk '{print $2, $3}')"
echo "uploads stored: $("$bin" status --data "$data" --period 2026-11 --region 370000 --as-of "$now" --format json | grep -o '"versions": [0-9]*' | awk '{s += $2} END {print s}')"
