#!/usr/bin/env bash
# The store the portal benchmarks run on: September and October of all 136 counties of 山东省
# (sample data, on time), November's sheets to upload, one reporter account per county for the
# first CLIENTS counties and a province reviewer `board`; USERS.tsv lists them for the load
# client (`username<TAB>password<TAB>file`, and `board<TAB>user<TAB>password`).
#
# Usage: scripts/bench-store.sh BIN WORKDIR CLIENTS NOW   (the store goes to WORKDIR/data)
set -euo pipefail
bin=$1
work=$2
clients=$3
now=$4
data=$work/data

for p in 2026-09 2026-10 2026-11; do
  "$bin" sample --period $p -o "$work/$p" -q >/dev/null
done
"$bin" submit --data "$data" --received-at "2026-10-08 09:00" --now "$now" "$work/2026-09" >/dev/null || true
"$bin" submit --data "$data" --received-at "2026-11-05 09:00" --now "$now" "$work/2026-10" >/dev/null || true
echo "store: $("$bin" status --data "$data" --period 2026-10 --region 370000 --as-of "$now" --format json | grep -c '"state": "on_time"' || true) counties on time for 2026-10"

users=$work/users.tsv
: >"$users"
i=0
for f in "$work"/2026-11/*.xlsx; do
  i=$((i + 1))
  [ $i -gt "$clients" ] && break
  code=$(basename "$f" | cut -d- -f1)
  printf 'load-pass-%s\n' "$code" | "$bin" user add "load$code" --region "$code" --role reporter --password-stdin --data "$data" >/dev/null
  printf 'load%s\tload-pass-%s\t%s\n' "$code" "$code" "$f" >>"$users"
done
printf 'bench-pass-1\n' | "$bin" user add board --region 370000 --role reviewer --password-stdin --data "$data" >/dev/null
printf 'board\tboard\tbench-pass-1\n' >>"$users"
