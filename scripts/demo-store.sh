#!/usr/bin/env bash
# `make run`, second half: the store at work for 临沂市. Sample months from 2024-12 to 2026-10
# are submitted county by county as they would have arrived: most a few days before the due
# date, some late; 兰陵县's training jump (a planted warning) explained with a 说明 in June and
# July and left unexplained in October; 沂南县's October rejected and corrected late; 费县's
# October never sent. The city then reviews October: 兰山区 is returned with a reason (审核退回),
# hands its sheet in again after checking it, and is approved (审核通过, the month locked), as is
# 罗庄区. Then the status of October, 兰山区's history, a rollup from the store, and the 2025
# annual report. Last, November arrives by e-mail: six messages read from a committed mbox
# (clean, with an error, late, zipped, without an attachment, from an unknown address).
#
# Usage: scripts/demo-store.sh BIN OUTDIR. The store is rebuilt from scratch on every run.
set -euo pipefail
bin=$1
out=$2
data=$out/yuebao-data
months_dir=$out/月报
log=$out/报送日志.txt
rm -rf "$data" "$months_dir"
mkdir -p "$months_dir"
: >"$log"

months=(2024-12)
for y in 2025 2026; do
  for m in 01 02 03 04 05 06 07 08 09 10 11 12; do
    [ "$y-$m" \> "2026-10" ] && break
    months+=("$y-$m")
  done
done

submit() { # FILE WHEN [ARGS…]: submit one file, keep its answer in the log
  local f=$1 when=$2
  shift 2
  local name
  name=$(basename "$f" | cut -d- -f2)
  "$bin" submit --data "$data" --by "${name}统计员" --received-at "$when" "$@" "$f" >>"$log" || true
}

n=0
for p in "${months[@]}"; do
  n=$((n + 1))
  dir=$months_dir/$p
  flags=()
  case $p in
    2026-06 | 2026-07 | 2026-10) flags=(--with-warnings) ;;
  esac
  [ "$p" = 2026-10 ] && flags+=(--with-errors)
  # July is sampled plainly; only June's jump is planted, so July's return is the warning.
  [ "$p" = 2026-07 ] && flags=()
  "$bin" sample --period "$p" --region 371300 -o "$dir" "${flags[@]}" >/dev/null
  due=$("$bin" deadline --period "$p" | cut -d' ' -f1)
  i=0
  for f in "$dir"/*.xlsx; do
    i=$((i + 1))
    code=$(basename "$f" | cut -d- -f1)
    # Most arrive 0–3 days before the due date; about one in nine is 1–3 days late.
    if [ $(((i * 7 + n * 3) % 9)) -eq 0 ]; then
      when="$(date -d "$due + $(((i + n) % 3 + 1)) days" +%F) 10:$((10 + i))"
    else
      when="$(date -d "$due - $(((i + n) % 4)) days" +%F) 09:$((10 + i))"
    fi
    case "$code/$p" in
      371325/2026-10) continue ;; # 费县: not sent
      371324/2026-06) submit "$f" "$when" --note "6月集中举办技能培训班，已接受培训人数增加" ;;
      371324/2026-07) submit "$f" "$when" --note "6月培训人数含外县学员，7月起按户籍统计" ;;
      371321/2026-10)
        submit "$f" "$when"
        # The corrected sheet, two days after the due date.
        fixed=$out/月报/沂南县更正
        "$bin" sample --period "$p" --region 371321 -o "$fixed" >/dev/null
        submit "$fixed/$(basename "$f")" "$(date -d "$due + 2 days" +%F) 16:00"
        ;;
      *) submit "$f" "$when" ;;
    esac
  done
done

# The city's review of October, at the times it happened.
reviewer="临沂市人社局 李四"
lanshan=$months_dir/2026-10/371302-兰山区-2026-10.xlsx
echo "== yuebao review return --region 兰山区 --period 2026-10 --reason … --by \"$reviewer\" --now \"2026-11-06 10:00\""
"$bin" review return --data "$data" --region 兰山区 --period 2026-10 --by "$reviewer" --now "2026-11-06 10:00" \
  --reason "第(5)栏转移就业人数与就业台账不符，请核实后重报"
echo "== yuebao submit 兰山区（核实后重报）--now \"2026-11-06 15:30\""
# Its first line only; read from a file, not a pipe (`head` closing early would kill the submit
# with SIGPIPE under pipefail).
"$bin" submit --data "$data" --by "兰山区统计员" --now "2026-11-06 15:30" "$lanshan" >"$out/重报结果.txt"
head -n 1 "$out/重报结果.txt"
echo "== yuebao review approve --region 兰山区、罗庄区 --period 2026-10 --now \"2026-11-07 09:00\""
"$bin" review approve --data "$data" --region 兰山区 --period 2026-10 --by "$reviewer" --now "2026-11-07 09:00"
"$bin" review approve --data "$data" --region 罗庄区 --period 2026-10 --by "$reviewer" --now "2026-11-07 09:05"
echo "== yuebao submit 兰山区 again: the month is locked"
"$bin" submit --data "$data" --by "兰山区统计员" --now "2026-11-08 09:00" "$lanshan" >"$out/锁定结果.txt" 2>&1 || true
head -n 1 "$out/锁定结果.txt"
echo

total=$(grep -c ' → ' "$log" || true)
accepted=$(grep -c ' → .*版：已接收' "$log" || true)
pending=$(grep -c ' → .*版：待说明' "$log" || true)
rejected=$(grep -c ' → .*版：退回' "$log" || true)
echo "已提交 ${#months[@]} 个月（${months[0]} 至 ${months[-1]}）的临沂市报表 $total 份：已接收 $accepted，待说明 $pending，退回 $rejected。逐份结果见 $log"
echo
echo "== yuebao status --period 2026-10 --region 371300 --data $data"
"$bin" status --period 2026-10 --region 371300 --data "$data"
echo
echo "== yuebao history --region 兰山区 --period 2026-10 --data $data"
"$bin" history --region 兰山区 --period 2026-10 --data "$data"
echo
echo "== yuebao rollup --period 2026-10 --region 371300 --data $data -o $out/库汇总"
"$bin" rollup --period 2026-10 --region 371300 --data "$data" -o "$out/库汇总" || [ $? -eq 1 ]
echo
echo "== yuebao annual --year 2025 --region 371300 --data $data -o $out/年报"
"$bin" annual --year 2025 --region 371300 --data "$data" -o "$out/年报"
echo
# November by e-mail, as the form's 备注 prescribes: the address book, then the city's mailbox
# (sample-mail/, made by scripts/make-sample-mail.py) read on 12-10; replies in $out/回信.
mail=sample-mail
rm -rf "$out/回信"
echo "== yuebao contacts import $mail/通讯录.csv --data $data"
"$bin" contacts import "$mail/通讯录.csv" --data "$data" --now "2026-12-01 09:00"
echo "== yuebao inbox $mail/收件箱.mbox --outbox $out/回信 --data $data --now \"2026-12-10 08:00\""
"$bin" inbox "$mail/收件箱.mbox" --outbox "$out/回信" --data "$data" --now "2026-12-10 08:00" || [ $? -eq 1 ]
echo
# The register behind 兰山区's sheets (附件2): synthetic persons, imported with their personal
# fields sealed (the key made in $out/配置, apart from the data), the month counted from it.
echo "== yuebao sample --register --region 兰山区 → yuebao ledger import → yuebao ledger sheet"
rm -rf "$out/台账样例"
"$bin" sample --period 2026-10 --region 371302 -o "$out/台账样例" --register -q
XDG_CONFIG_HOME="$out/配置" "$bin" ledger import "$out/台账样例/台账/371302-兰山区-台账.xlsx" --region 371302 --data "$data" --now "2026-11-02 09:00"
"$bin" ledger sheet --region 371302 --period 2026-10 --data "$data" -o "$out/由台账生成-兰山区-2026-10.xlsx"
