#!/usr/bin/env bash
# `make bench`: yuebao beside its floor and beside the pipeline a user would otherwise write, on
# the same files in one run, with the ratios printed; then the store.
#
#   floor          examples/floor.rs: calamine reads every cell of every input (`read`), and
#                  rust_xlsxwriter writes the same number of rollup workbooks with the same data
#                  cells (`rollup`); no checks at all. On both cores, as yuebao; also on one.
#   pandas         scripts/bench/pandas_rollup.py: pandas + openpyxl find the table, check the
#                  nine relations and the totals, roll up and write a workbook per city and one
#                  for the province (installed into target/bench-venv here).
#   yuebao         validate and rollup, release build.
#
# On the Shandong month (136 county files from `yuebao sample`) and on five months of it (680
# files). Times are hyperfine's medians; peak memory is GNU time's, the largest process of the
# run (yuebao's reader processes included: they end with the command).
# Set RUNS to change the number of timed runs of the fast commands (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-15}
source scripts/bench-setup.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" sample --period 2026-10 -o "$work/month" -q >/dev/null
for m in 06 07 08 09 10; do
  "$bin" sample --period 2026-$m -o "$work/five" -q >/dev/null
done
echo "$(nproc) cores; the month: $(ls "$work/month" | wc -l) files; five months: $(ls "$work/five" | wc -l) files"

# One set: the fast commands side by side, then pandas (seconds a run) with fewer runs.
bench_set() {
  local name=$1 dir=$2 fast_runs=$3 slow_runs=$4
  hyperfine -N -i --warmup 2 --runs "$fast_runs" --style basic --export-json "$work/$name-fast.json" \
    -n "floor read (2 threads)" "$floor read $dir" \
    -n "floor read (1 thread)" "env FLOOR_THREADS=1 $floor read $dir" \
    -n "yuebao validate" "$bin validate $dir -q" \
    -n "floor rollup" "$floor rollup $work/out-floor $dir" \
    -n "yuebao rollup" "$bin rollup --period 2026-10 $dir -o $work/out-yuebao -q" >/dev/null
  hyperfine -N --warmup 0 --runs "$slow_runs" --style basic --export-json "$work/$name-slow.json" \
    -n "pandas + openpyxl" "$py scripts/bench/pandas_rollup.py 2026-10 $work/out-pandas $dir" >/dev/null
  for cmd in "validate $dir -q" "rollup --period 2026-10 $dir -o $work/out-yuebao -q"; do
    /usr/bin/time -f '%M' -o "$work/rss" "$bin" $cmd >/dev/null 2>&1 || true
    echo "$cmd" "$(tail -n 1 "$work/rss")" >>"$work/$name-rss.txt"
  done
  python3 - "$name" "$work/$name-fast.json" "$work/$name-slow.json" "$work/$name-rss.txt" <<'EOF'
import json, statistics, sys
name, fast, slow, rss = sys.argv[1:]
res = {r["command"]: r for f in (fast, slow) for r in json.load(open(f))["results"]}
med = {k: statistics.median(v["times"]) for k, v in res.items()}
print(f"\n== {name}: medians of hyperfine's runs")
for k, v in med.items():
    print(f"  {k:<26} {v * 1000:9.1f} ms   (min {min(res[k]['times']) * 1000:.1f}, max {max(res[k]['times']) * 1000:.1f}, {len(res[k]['times'])} runs)")
ratio = lambda a, b: med[a] / med[b]
print("  ratios:")
print(f"    yuebao validate / floor read (2 threads)   {ratio('yuebao validate', 'floor read (2 threads)'):6.2f}")
print(f"    yuebao validate / floor read (1 thread)    {ratio('yuebao validate', 'floor read (1 thread)'):6.2f}")
print(f"    yuebao rollup / floor rollup               {ratio('yuebao rollup', 'floor rollup'):6.2f}")
print(f"    pandas + openpyxl / yuebao rollup          {ratio('pandas + openpyxl', 'yuebao rollup'):6.1f}")
for line in open(rss):
    *cmd, kb = line.split()
    print(f"  peak memory of yuebao {cmd[0]}: {int(kb) / 1024:.0f} MB")
EOF
}
bench_set month "$work/month" "$runs" 3
bench_set five "$work/five" $(((runs + 1) / 2)) 1

# The store: a year of the whole province (12 × 136 = 1632 submissions), then each command.
store=$work/store
start=$(date +%s%N)
for m in 01 02 03 04 05 06 07 08 09 10 11 12; do
  "$bin" sample --period 2025-$m -o "$store/m$m" -q >/dev/null
  "$bin" submit --data "$store/data" --received-at "2026-01-20 10:00" "$store/m$m" -q >/dev/null
done
end=$(date +%s%N)
echo
echo "sample + submit of 12 months × 136 counties: $(((end - start) / 1000000)) ms in all"
"$bin" sample --period 2025-12 -o "$store/again" -q >/dev/null
hyperfine -N --warmup 1 --runs 5 --style basic \
  -n "submit 136 files (one process, one transaction each)" "$bin submit --data $store/data $store/again --received-at '2026-01-20 10:00' -q" \
  -n "status --period 2025-12 (136 counties)" "$bin status --period 2025-12 --data $store/data" \
  -n "rollup --period 2025-12 from the store" "$bin rollup --period 2025-12 --data $store/data -o $store/r -q" \
  -n "annual --year 2025 (17 workbooks)" "$bin annual --year 2025 --data $store/data -o $store/a" 2>&1 | grep -E '^(Benchmark|  Time)'
