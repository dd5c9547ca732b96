#!/usr/bin/env bash
# Peak memory and time of `yuebao validate` on each hostile or huge file that
# scripts/hostile-files.py builds (a 1 GB zip bomb, a 50 MB one-line CSV, 2 million shared
# strings …), one file per run, then all of them in one batch.
# Peak RSS is GNU time's %M: the largest of the validate process and the reading process it
# starts for each file. Developers only: `make bench-intake [BIN=target/debug/yuebao]`.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/yuebao}
if [ "$bin" = target/release/yuebao ]; then cargo build --release --quiet; fi
[ -x /usr/bin/time ] || apt-get install -y -q time >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 scripts/hostile-files.py "$dir/files" >/dev/null
printf '%-32s %9s %8s  %s\n' file "peak RSS" seconds outcome
for f in "$dir"/files/*; do
  /usr/bin/time -f '%M %e' -o "$dir/t" "$bin" validate "$f" --format json >"$dir/out.json" 2>/dev/null || true
  read -r kb secs < <(tail -n 1 "$dir/t")
  outcome=$(python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["files"][0]
err = next((x for x in f["findings"] if x["severity"] == "error"), None)
print(f["status"] + (" " + err["code"] + " " + err["values"].get("reason", "") if err else ""))' "$dir/out.json")
  printf '%-32s %6d MB %8s  %s\n' "$(basename "$f")" $((kb / 1024)) "$secs" "$outcome"
done
/usr/bin/time -f '%M %e' -o "$dir/t" "$bin" validate "$dir/files" --format json >/dev/null 2>&1 || true
read -r kb secs < <(tail -n 1 "$dir/t")
printf '%-32s %6d MB %8s\n' "all $(ls "$dir/files" | wc -l) in one batch" $((kb / 1024)) "$secs"
