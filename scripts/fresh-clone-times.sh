#!/usr/bin/env bash
# How long a newcomer waits: clone the repository (HEAD, or the commit given) into a temporary
# directory, then time `make run` and `make test` there with an empty target directory, as CI
# and a fresh machine do (the cargo registry cache is shared, so downloads are not counted).
# Also writes cargo's build timings (target/cargo-timings/) of the first build into OUT.
# Developers only: bash scripts/fresh-clone-times.sh [COMMIT] [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-HEAD}
out=${2:-$(pwd)/target/fresh-clone}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q . "$tmp/yuebao"
git -C "$tmp/yuebao" checkout -q "$rev"
cd "$tmp/yuebao"
unset CARGO_TARGET_DIR
start=$(date +%s)
# The first build of `make run`, with cargo's timings report; then the demo itself.
cargo build --all-targets --timings >/dev/null 2>"$out/build.log"
built=$(date +%s)
make run >/dev/null 2>>"$out/build.log"
ran=$(date +%s)
make test >"$out/test.log" 2>&1
tested=$(date +%s)
cp -r target/cargo-timings "$out/" 2>/dev/null || true
echo "commit $(git rev-parse --short HEAD)"
echo "make run:  $((ran - start)) s (of which the build $((built - start)) s)"
echo "make test: $((tested - ran)) s after make run"
