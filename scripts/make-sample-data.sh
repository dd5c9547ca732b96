#!/usr/bin/env bash
# Regenerates sample-data/ (developers only; the result is committed). Needs LibreOffice
# (Debian: libreoffice-calc-nogui) to save 河东区 as .xls.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --example make_sample_data
tmp=$(mktemp -d)
cp sample-data/371312-河东区-2026-10.for-xls.xlsx "$tmp/371312-河东区-2026-10.xlsx"
libreoffice --headless --convert-to xls --outdir "$tmp" "$tmp/371312-河东区-2026-10.xlsx" >/dev/null
mv "$tmp/371312-河东区-2026-10.xls" sample-data/
rm -f sample-data/371312-河东区-2026-10.for-xls.xlsx
rm -rf "$tmp"
ls -l sample-data
