# Sourced by the benchmark scripts: the release build of yuebao and the floor, hyperfine and
# GNU time from Debian when missing, and pandas + openpyxl in target/bench-venv. Sets bin,
# floor and py.
cargo build --release --quiet --bins --example floor
bin=target/release/yuebao
floor=target/release/examples/floor
as_root=()
[ "$(id -u)" = 0 ] || as_root=(sudo -n)
need_apt=()
command -v hyperfine >/dev/null 2>&1 || need_apt+=(hyperfine)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
if [ ${#need_apt[@]} -gt 0 ]; then
  "${as_root[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null 2>&1 ||
    { "${as_root[@]}" apt-get update -qq >/dev/null && "${as_root[@]}" apt-get install -y -qq "${need_apt[@]}" >/dev/null; }
fi
venv=target/bench-venv
if ! "$venv/bin/python" -c 'import pandas, openpyxl' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pandas openpyxl
fi
py=$venv/bin/python
