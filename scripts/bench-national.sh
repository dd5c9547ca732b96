#!/usr/bin/env bash
# `make bench-national`: a national month, installed as the ministry (YUEBAO_PROVINCE=000000),
# beside the floor and the pandas pipeline of `make bench` on the same files (numbers for the
# note, never a test). Release build.
#
#   sample     every county-level unit's workbook for 2026-10 (2,854: 2,850 counties and the 4
#              cities without counties), `sample --region 000000`
#   validate   all of them; against `floor read` (calamine reads every cell)
#   rollup     every city, every province and the nation; against `floor rollup` and pandas
#   submit     all of them into a fresh store; then `status` of the nation and of 山东省, and
#              山东省's board and the nation's over HTTP (a signed-in reviewer, 20 requests each)
#   a year     eleven more months submitted: the store's size after one month and after twelve
#
# Wall and CPU time and peak memory of each step from GNU time; the fast commands' medians from
# hyperfine (RUNS, default 5). NO_YEAR=1 skips the eleven months.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
source scripts/bench-setup.sh
export YUEBAO_PROVINCE=000000
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# One run under GNU time: name, wall s, cpu s, peak MB.
step() {
  local name=$1
  shift
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >"$work/out" 2>&1 || true
  python3 - "$name" "$work/time" <<'PY'
import sys
name, path = sys.argv[1:]
wall, user, sys_, kb = open(path).read().split()[-4:]
print(f"  {name:<46} wall {float(wall):7.2f} s   cpu {float(user) + float(sys_):7.2f} s   peak {int(kb) / 1024:6.0f} MB")
PY
}

echo "$(nproc) cores; the ministry's installation (YUEBAO_PROVINCE=000000)"
echo "== the month"
step "sample --region 000000 (one month)" "$bin" sample --period 2026-10 --region 000000 -o "$work/nation" -q
echo "  files: $(ls "$work/nation" | wc -l), $(du -sm "$work/nation" | cut -f1) MB"
step "validate" "$bin" validate "$work/nation" -q
step "rollup (cities, provinces, nation)" "$bin" rollup --period 2026-10 "$work/nation" -o "$work/r" -q
echo "  workbooks: $(ls "$work/r"/*.xlsx | wc -l)"
step "floor read" "$floor" read "$work/nation"
step "floor rollup" "$floor" rollup "$work/floor" "$work/nation"
step "pandas + openpyxl (one run)" "$py" scripts/bench/pandas_rollup.py 2026-10 "$work/pandas" "$work/nation"
pandas_s=$(python3 -c "import sys; print(open(sys.argv[1]).read().split()[-4])" "$work/time")

hyperfine -N -i --warmup 1 --runs "$runs" --style basic --export-json "$work/fast.json" \
  -n "floor read" "$floor read $work/nation" \
  -n "yuebao validate" "$bin validate $work/nation -q" \
  -n "floor rollup" "$floor rollup $work/floor $work/nation" \
  -n "yuebao rollup" "$bin rollup --period 2026-10 $work/nation -o $work/r -q" >/dev/null
python3 - "$work/fast.json" "$pandas_s" <<'PY'
import json, statistics, sys
res = {r["command"]: statistics.median(r["times"]) for r in json.load(open(sys.argv[1]))["results"]}
pandas = float(sys.argv[2])
print("  medians:", ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in res.items()))
print(f"  yuebao validate / floor read   {res['yuebao validate'] / res['floor read']:5.2f}")
print(f"  yuebao rollup / floor rollup   {res['yuebao rollup'] / res['floor rollup']:5.2f}")
print(f"  pandas + openpyxl / yuebao rollup {pandas / res['yuebao rollup']:5.1f}")
PY

echo "== the store"
data=$work/data
step "submit of the month into a fresh store" "$bin" submit --data "$data" --now "2026-11-03 09:00" "$work/nation" -q
echo "  store after one month: $(du -sm "$data" | cut -f1) MB"
step "status (the nation, 31 provinces' sheets)" "$bin" status --data "$data" --period 2026-10 --level city --as-of "2026-11-09 10:00"
step "status --region 370000 (136 counties)" "$bin" status --data "$data" --period 2026-10 --region 370000 --as-of "2026-11-09 10:00"
step "rollup of the nation from the store" "$bin" rollup --period 2026-10 --data "$data" -o "$work/rs" -q
printf '%s\n' 'Bench-prov-1' | "$bin" user add shandong --region 370000 --role reviewer --password-stdin --data "$data" >/dev/null
printf '%s\n' 'Bench-nation-2' | "$bin" user add buzhang --region 000000 --role reviewer --password-stdin --data "$data" >/dev/null
"$bin" serve --data "$data" --listen 127.0.0.1:0 --now "2026-11-09 10:00" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q 'http://' "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$work/serve.log" | head -n 1)
for who in "shandong Bench-prov-1 370000" "buzhang Bench-nation-2 000000"; do
  set -- $who
  curl -s -c "$work/jar-$1" -H "origin: $url" -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"$2\"}" "$url/api/login" >/dev/null
  for _ in $(seq 20); do
    curl -s -b "$work/jar-$1" -o /dev/null -w '%{http_code} %{time_total}\n' "$url/city?period=2026-10&region=$3"
  done >"$work/board-$3"
  python3 - "$3" "$work/board-$3" <<'PY'
import statistics, sys
code, path = sys.argv[1:]
rows = [l.split() for l in open(path)]
assert all(r[0] == "200" for r in rows), rows
t = sorted(float(r[1]) * 1000 for r in rows)
print(f"  board of {code} over HTTP: p50 {statistics.median(t):.0f} ms, max {t[-1]:.0f} ms ({len(t)} requests)")
PY
done
echo "  server peak memory (VmHWM): $(grep VmHWM /proc/$server/status | awk '{print $2, $3}')"
kill "$server"
server=

if [ -z "${NO_YEAR:-}" ]; then
  start=$(date +%s%N)
  for m in 01 02 03 04 05 06 07 08 09 11 12; do
    "$bin" sample --period 2026-$m --region 000000 -o "$work/m$m" -q >/dev/null
    "$bin" submit --data "$data" --now "2027-01-20 09:00" "$work/m$m" -q >/dev/null || true
    rm -rf "$work/m$m"
  done
  end=$(date +%s%N)
  echo "  eleven more months (sample + submit): $(((end - start) / 1000000)) ms; store after twelve: $(du -sm "$data" | cut -f1) MB"
fi
