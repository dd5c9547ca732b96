#!/usr/bin/env bash
# `make serve`: the portal on the demo year. The store is rebuilt as `make run` builds it
# (scripts/demo-store.sh: 临沂市 from 2024-12 to 2026-10, October reviewed), one account per role
# is created with a fresh random password, files for the county to try are written, and the
# portal serves until Ctrl-C.
#
# The portal runs as of 2026-11-26 10:00 (`serve --now`), the day the demo year was made for:
# October is closed and November, due 2026-12-07, is open. A real deployment uses the clock.
#
# Usage: scripts/demo-serve.sh BIN OUTDIR [LISTEN]
set -euo pipefail
bin=$1
out=$2
listen=${3:-127.0.0.1:8080}
now="2026-11-26 10:00"
data=$out/yuebao-data

echo "正在生成演示数据（临沂市 2024-12 至 2026-10，过程见 $out/演示数据.log）…"
mkdir -p "$out"
bash scripts/demo-store.sh "$bin" "$out" >"$out/演示数据.log" 2>&1

# 临沂市 上报s each month to the province on its due date (a county that came later makes that
# month's report out of date, as the province's page then says), and October after its review,
# late and with the reason; so the province's pages have a city to look at.
echo "临沂市逐月上报汇总表（过程见 $out/上报日志.txt）…"
: >"$out/上报日志.txt"
for p in $(ls "$out/月报" | grep -E '^[0-9]{4}-[0-9]{2}$' | sort); do
  due=$("$bin" deadline --period "$p" | cut -d' ' -f1)
  if [ "$p" = 2026-10 ]; then
    "$bin" report --data "$data" --region 临沂市 --period "$p" --by "临沂市人社局 李四" --now "2026-11-07 10:00" \
      --late-reason "等待兰山区核实后重报" --note "费县未报、兰陵县待说明，汇总表按 10 个县区" >>"$out/上报日志.txt" 2>&1 || true
  else
    "$bin" report --data "$data" --region 临沂市 --period "$p" --by "临沂市人社局 李四" --now "$due 17:00" \
      --note "汇总表提醒项已核实" >>"$out/上报日志.txt" 2>&1 || true
  fi
done

password() { printf 'Demo-%s-7' "$(od -An -tx1 -N5 /dev/urandom | tr -d ' \n')"; }
add() { # NAME REGION ROLE PASSWORD
  printf '%s\n' "$4" | "$bin" user add "$1" --region "$2" --role "$3" --password-stdin --data "$data" >/dev/null
}
p_county=$(password)
p_city=$(password)
p_admin=$(password)
p_sec=$(password)
p_audit=$(password)
add yinan 371321 reporter "$p_county"
add linyi 371300 reviewer "$p_city"
add admin 370000 admin "$p_admin"
add secadmin 370000 secadmin "$p_sec"
add auditor 370000 auditor "$p_audit"

# November files for 沂南县 to upload: one with the planted error (马头镇 第(3)栏 > 第(2)栏),
# and the corrected one.
try=$out/演示上传
rm -rf "$try" "$out/.演示样表"
"$bin" sample --period 2026-11 --region 371300 --with-errors -o "$out/.演示样表/有错" -q >/dev/null
"$bin" sample --period 2026-11 --region 371300 -o "$out/.演示样表/正确" -q >/dev/null
mkdir -p "$try/1-有错误" "$try/2-已改正"
cp "$out/.演示样表/有错/371321-沂南县-2026-11.xlsx" "$try/1-有错误/"
cp "$out/.演示样表/正确/371321-沂南县-2026-11.xlsx" "$try/2-已改正/"
rm -rf "$out/.演示样表"

host=${listen%:*}
port=${listen##*:}
cat <<TEXT

演示账号（密码每次运行重新生成）：
  县区填报  沂南县   用户名 yinan   密码 $p_county
  市级审核  临沂市   用户名 linyi   密码 $p_city
  系统管理  山东省   用户名 admin   密码 $p_admin
  安全管理  山东省   用户名 secadmin 密码 $p_sec
  审计      山东省   用户名 auditor 密码 $p_audit
可上传的演示文件：$try/1-有错误/ 与 $try/2-已改正/
门户时间固定为 $now（演示数据所在的时刻）。按 Ctrl-C 停止。

TEXT
# Listening on every interface, the site's address is the machine's first (PUBLIC_URL to say).
public=()
case $host in
  0.0.0.0 | "[::]" | "::") public=(--public-url "${PUBLIC_URL:-http://$(hostname -I | awk '{print $1}'):$port}") ;;
esac
exec "$bin" serve --data "$data" --listen "$host:$port" --now "$now" "${public[@]}"
