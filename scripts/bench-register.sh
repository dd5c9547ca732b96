#!/usr/bin/env bash
# `make bench-register`: the registers behind Shandong's sheets at full size (numbers for the
# note, never a test). Release build.
#
#   sample     every county's synthetic register for 2026-10 (`sample --register`): about three
#              million persons in 136 files, one per county
#   import     all of them into a fresh store (`ledger import DIR`): read and checked on both
#              cores, stored county by county, the personal fields sealed
#   a month    every county's sheet for 2026-10 counted from the store (`ledger sheet --region
#              370000`), the whole province in one process
#   a year     the same for the twelve months of 2026
#
# Wall and CPU time and peak memory of each step from GNU time; the store's size at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin yuebao --bin yuebao-reader -q
bin=${CARGO_TARGET_DIR:-target}/release/yuebao
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME="$work/config"

step() {
  local name=$1
  shift
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >"$work/out" 2>&1 || { tail -5 "$work/out"; exit 2; }
  python3 - "$name" "$work/time" <<'PY'
import sys
name, path = sys.argv[1:]
wall, user, sys_, kb = open(path).read().split()[-4:]
print(f"  {name:<52} wall {float(wall):7.2f} s   cpu {float(user) + float(sys_):7.2f} s   peak {int(kb) / 1024:6.0f} MB")
PY
}

echo "$(nproc) cores; Shandong's registers"
step "sample --register (136 counties)" "$bin" sample --period 2026-10 -o "$work/s" --register -q
echo "  $(tail -2 "$work/out" | head -1)"
echo "  files: $(ls "$work/s/台账" | wc -l), $(du -sm "$work/s/台账" | cut -f1) MB"
step "ledger import (136 files, fresh store)" "$bin" ledger import "$work/s/台账" --data "$work/data" --now "2026-11-02 09:00"
echo "  $(tail -1 "$work/out")"
echo "  store: $(du -sm "$work/data" | cut -f1) MB"
step "ledger sheet --region 370000 (a month, 136 sheets)" "$bin" ledger sheet --region 370000 --period 2026-10 --data "$work/data" -o "$work/m"
echo "  $(tail -1 "$work/out")"
year() {
  for m in 01 02 03 04 05 06 07 08 09 10 11 12; do
    "$bin" ledger sheet --region 370000 --period "2026-$m" --data "$work/data" -o "$work/y/$m" >/dev/null
  done
}
export -f year
export bin work
step "ledger sheet --region 370000 (twelve months)" bash -c year
step "ledger import (one county again, unchanged)" "$bin" ledger import "$work/s/台账/$(ls "$work/s/台账" | head -1)" --region "$(ls "$work/s/台账" | head -1 | cut -c1-6)" --data "$work/data" --now "2026-11-20 09:00"
echo "  $(tail -1 "$work/out")"
