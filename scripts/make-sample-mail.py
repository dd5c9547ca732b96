#!/usr/bin/env python3
"""Developers only: writes sample-mail/ (the demo mailbox that `make run` reads with
`yuebao inbox`): six messages for November 2026 as 临沂市's counties would send them, in one
mbox, and the address book they are checked against (GBK, as Excel saves CSV).

  python3 scripts/make-sample-mail.py target/debug/yuebao

One clean sheet (a GBK subject and file name), one with an error, one late, one zipped (its
member named in GBK), one with no attachment, one from an address not in the book."""
import mailbox, pathlib, subprocess, sys, tempfile, zipfile
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from datetime import datetime, timezone, timedelta

binary = sys.argv[1]
out = pathlib.Path(__file__).resolve().parent.parent / "sample-mail"
out.mkdir(parents=True, exist_ok=True)
bj = timezone(timedelta(hours=8))
work = pathlib.Path(tempfile.mkdtemp())
subprocess.run([binary, "sample", "--period", "2026-11", "--region", "371300", "--with-errors", "-o", str(work), "-q"], check=True, stdout=subprocess.DEVNULL)
sheet = lambda code: next(work.glob(f"{code}-*.xlsx")).read_bytes()

def message(n, sender, subject, at, body, attachments=()):
    m = MIMEMultipart() if attachments else MIMEText(body, "plain", "utf-8")
    if attachments:
        m.attach(MIMEText(body, "plain", "utf-8"))
    for name, data, maintype, subtype in attachments:
        part = MIMEApplication(data, subtype)
        # RFC 2231 in GBK, as Foxmail on Chinese Windows writes it.
        part.add_header("Content-Disposition", "attachment", filename=("gbk", "", name))
        m.attach(part)
    m["Received"] = f"from mail.county.example ([10.0.{n}.9]) by mx.linyi.example with ESMTP; {format_datetime(at)}"
    m["Message-ID"] = f"<demo-{n}@county.example>"
    m["From"] = sender
    m["To"] = "tjk@linyi.example"
    m["Subject"] = Header(subject, "gbk")
    m["Date"] = format_datetime(at - timedelta(minutes=2))
    return m

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

def gbk_zip(member, data):
    path = work / "zipped.zip"
    raw = member.encode("gbk")

    class GbkName(zipfile.ZipInfo):
        # The name's bytes in GBK and no UTF-8 flag: what Chinese Windows' zip writes.
        def _encodeFilenameFlags(self):
            return raw, self.flag_bits & ~0x800

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        info = GbkName("x.xlsx", date_time=(2026, 12, 3, 9, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, data)
    return path.read_bytes()

at = lambda d, h, mi: datetime(2026, 12, d, h, mi, tzinfo=bj)
mails = [
    message(1, "=?GBK?B?zfW3vA==?= <lanshan@county.example>", "兰山区2026年11月报表", at(3, 9, 12), "请查收兰山区11月报表。", [("兰山区2026年11月.xlsx", sheet("371302"), *XLSX)]),
    message(2, "yinan@county.example", "沂南县11月报表", at(4, 16, 40), "沂南县11月报表，请审核。", [("沂南县11月.xlsx", sheet("371321"), *XLSX)]),
    message(3, "luozhuang@county.example", "罗庄区11月报表（迟报）", at(9, 10, 5), "因系统维护迟报，请谅解。", [("罗庄区11月.xlsx", sheet("371311"), *XLSX)]),
    message(4, "hedong@county.example", "河东区报表", at(4, 11, 30), "报表见压缩包。", [("河东区.zip", gbk_zip("河东区2026年11月.xlsx", sheet("371312")), "application", "zip")]),
    message(5, "lanling@county.example", "兰陵县11月报表", at(5, 15, 0), "报表随后发送。"),
    message(6, "wangwu@mail.example", "郯城县报表", at(4, 8, 50), "代郯城县发送。", [("郯城县.xlsx", sheet("371322"), *XLSX)]),
]
box = out / "收件箱.mbox"
box.unlink(missing_ok=True)
mb = mailbox.mbox(str(box))
for m in mails:
    mb.add(m)
mb.flush()
mb.close()
(out / "通讯录.csv").write_bytes(
    "地区,姓名,电子邮件\r\n兰山区,王芳,lanshan@county.example\r\n罗庄区,李强,luozhuang@county.example\r\n河东区,赵敏,hedong@county.example\r\n沂南县,孙伟,yinan@county.example\r\n兰陵县,周涛,lanling@county.example\r\n".encode("gbk")
)
print(f"写入 {box}（{len(mails)} 封）和 {out / '通讯录.csv'}")
