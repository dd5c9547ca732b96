#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 30): `make fuzz`, or
# `bash scripts/fuzz.sh 600` for the long runs. Needs the nightly toolchain; installs
# cargo-fuzz when it is missing. Crashes land in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz
bash scripts/fuzz-seed.sh >/dev/null
for t in zip_family xls text relations plain_xlsx mail_message; do
  echo "== $t: $secs s"
  # The readers' own limits keep memory small; libFuzzer's is a backstop for the dense
  # .xls/.ods readers, which the program itself runs in a memory-limited child process.
  cargo +nightly fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=2560 -malloc_limit_mb=2560 -timeout=30 -print_final_stats=1 2>&1 |
    grep -E "^(#[0-9]+.*(DONE|pulse)|stat::|==[0-9]+==|SUMMARY|artifact_prefix|Test unit written)" | tail -n 12
done
