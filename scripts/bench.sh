#!/usr/bin/env bash
# Times `yuebao validate` on the demo month and on a larger batch (the demo month copied 30
# times: 150 files), `sample` + `rollup` for all 136 counties of the province, and the store:
# `submit` of 136 counties, `status`, `rollup` from the store and `annual` over a year of
# 136 × 12 submissions.
# Release build; hyperfine when present (installed from Debian if we can).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/yuebao
if ! command -v hyperfine >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get install -y -q hyperfine >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q hyperfine >/dev/null; }) || true
fi
batch=$(mktemp -d)
prov=$(mktemp -d)
trap 'rm -rf "$batch" "$prov"' EXIT
for i in $(seq -w 1 30); do
  for f in sample-data/*.*; do
    [ "$(basename "$f")" = README.md ] && continue
    cp "$f" "$batch/$i-$(basename "$f")"
  done
done
n=$(ls "$batch" | wc -l)
echo "demo month: $(ls sample-data | grep -vc README.md) files; batch: $n files"
if command -v hyperfine >/dev/null 2>&1; then
  hyperfine -N --warmup 3 --runs 20 -i \
    -n "validate sample-data (5 files)" "$bin validate sample-data" \
    -n "validate batch ($n files)" "$bin validate $batch" \
    -n "validate batch --format json ($n files)" "$bin validate $batch --format json"
  $bin sample --period 2026-10 -o "$prov/in" >/dev/null
  hyperfine -N --warmup 2 --runs 10 \
    -n "sample --period 2026-10 (136 counties)" "$bin sample --period 2026-10 -o $prov/s" \
    -n "rollup --period 2026-10 (136 counties)" "$bin rollup --period 2026-10 $prov/in -o $prov/out -q"
  hyperfine --warmup 2 --runs 10 \
    -n "sample + rollup (136 counties)" "$bin sample --period 2026-10 -o $prov/both >/dev/null && $bin rollup --period 2026-10 $prov/both -o $prov/out2 -q >/dev/null"
else
  $bin sample --period 2026-10 -o "$prov/in" >/dev/null
  for args in "validate sample-data" "validate $batch" "sample --period 2026-10 -o $prov/s" "rollup --period 2026-10 $prov/in -o $prov/out -q"; do
    start=$(date +%s%N)
    for _ in 1 2 3 4 5; do $bin $args >/dev/null || true; done
    end=$(date +%s%N)
    echo "$args: $(( (end - start) / 5000000 )) ms per run (mean of 5)"
  done
fi

# The store: a year of the whole province (12 × 136 = 1632 submissions), then each command.
store=$(mktemp -d)
trap 'rm -rf "$batch" "$prov" "$store"' EXIT
start=$(date +%s%N)
for m in 01 02 03 04 05 06 07 08 09 10 11 12; do
  $bin sample --period 2025-$m -o "$store/m$m" >/dev/null
  $bin submit --data "$store/data" --received-at "2026-01-20 10:00" "$store/m$m" >/dev/null
done
end=$(date +%s%N)
echo "sample + submit of 12 months × 136 counties: $(( (end - start) / 1000000 )) ms in all"
$bin sample --period 2025-12 -o "$store/again" >/dev/null
if command -v hyperfine >/dev/null 2>&1; then
  hyperfine -N --warmup 1 --runs 5 \
    -n "submit 136 files (one process, one transaction each)" --prepare "true" "$bin submit --data $store/data $store/again --received-at '2026-01-20 10:00'" \
    -n "status --period 2025-12 (136 counties)" "$bin status --period 2025-12 --data $store/data" \
    -n "rollup --period 2025-12 from the store" "$bin rollup --period 2025-12 --data $store/data -o $store/r -q" \
    -n "annual --year 2025 (17 workbooks)" "$bin annual --year 2025 --data $store/data -o $store/a"
fi
ls -l "$store/data"
