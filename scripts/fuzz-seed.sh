#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/<target>/) from the committed fixtures and the demo
# month, one reader family per target; existing corpus entries are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
c=fuzz/corpus
mkdir -p $c/zip_family $c/xls $c/text $c/relations $c/plain_xlsx $c/mail_message
cp sample-data/*.xlsx tests/fixtures/*.ods tests/fixtures/*.xlsb tests/fixtures/corrupt-sheet-xml.xlsx $c/zip_family/
cp sample-data/*.xls tests/fixtures/encrypted-password.xls $c/xls/
cp sample-data/*.csv $c/text/
# An HTML table and UTF-16 tab-separated text of the 费县 sample: the other text readers.
python3 - "$c/text" <<'PY'
import csv, html, pathlib, sys
out = pathlib.Path(sys.argv[1])
rows = list(csv.reader(open("sample-data/371325-费县-2026-10.csv", encoding="gb18030")))
cells = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>\n" for r in rows)
(out / "fei.html").write_text(f'<html><head><meta charset="utf-8"></head><body><table>{cells}</table></body></html>', encoding="utf-8")
tsv = "\r\n".join("\t".join(r) for r in rows)
(out / "fei-unicode.txt").write_bytes(b"\xff\xfe" + tsv.encode("utf-16-le"))
PY
# The plain reader's input: a sample sheet's XML, 0xFF, its shared strings.
for f in sample-data/*.xlsx; do
  { unzip -p "$f" xl/worksheets/sheet1.xml; printf '\377'; unzip -p "$f" xl/sharedStrings.xml; } > "$c/plain_xlsx/$(basename "$f" .xlsx)"
done
# The mail walk's input: each message of the sample mailbox.
python3 - "$c/mail_message" <<'PY'
import mailbox, pathlib, sys
for i, m in enumerate(mailbox.mbox("sample-mail/收件箱.mbox")):
    (pathlib.Path(sys.argv[1]) / f"sample-{i + 1}.eml").write_bytes(m.as_bytes())
# Headers as some county mailers write them: raw GBK bytes, a GBK character split between two
# encoded words, a GBK file name in RFC 2231 pieces split inside a character.
import base64
out = pathlib.Path(sys.argv[1])
g = lambda s: s.encode("gbk")
raw = b"From: a@b.example\r\nSubject: " + g("兰山区报表") + b"\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n" \
    + b'Content-Disposition: attachment; filename="' + g("兰山区.xlsx") + b'"\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--q--\r\n'
(out / "raw-gbk.eml").write_bytes(raw)
b = g("兰山区报表")
split = "Subject: =?GBK?B?%s?=\r\n =?GBK?B?%s?=\r\n" % (base64.b64encode(b[:3]).decode(), base64.b64encode(b[3:]).decode())
(out / "split-words.eml").write_bytes(("From: a@b.example\r\n" + split + "\r\nhi\r\n").encode())
n = g("罗庄区.xlsx")
pieces = "filename*0*=GBK''%s;\r\n filename*1*=%s" % ("".join("%%%02X" % c for c in n[:3]), "".join("%%%02X" % c for c in n[3:]))
(out / "rfc2231-pieces.eml").write_bytes(("From: a@b.example\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Disposition: attachment; " + pieces + "\r\n\r\nx\r\n--q--\r\n").encode())
PY
grep -h '^relations = ' schemas/forms/*.toml | sed 's/^relations = "//; s/"$//' > $c/relations/form.txt
printf '(1) ≥ (2) + (3)；(4) ≤ (5)' > $c/relations/sum.txt
ls $c/*/ | head -40
