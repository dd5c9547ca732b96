//! `yuebao inbox` and `yuebao contacts` through the binary, on mail built here byte by byte as
//! county mailers write it: GBK names in RFC 2047 and RFC 2231, base64 and quoted-printable,
//! nested multiparts, a forwarded message, a zip whose member name is GBK, a PDF, no attachment
//! at all. Read from a Maildir, an mbox and a lone `.eml`; read twice.

mod servers;

use crate::support::*;
use std::path::{Path, PathBuf};

const NOW: &str = "2026-11-25 10:00";

/// Base64 (RFC 4648), written here: nothing else in the tests needs a crate for it.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b64(bytes: &[u8]) -> String {
    let s = base64(bytes);
    s.as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn gbk(s: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(s).0.into_owned()
}

/// `=?GBK?B?…?=`
fn word_gbk(s: &str) -> String {
    format!("=?GBK?B?{}?=", base64(&gbk(s)))
}

/// RFC 2231: `filename*=GBK''%C0%BC…`
fn rfc2231_gbk(s: &str) -> String {
    let pct: String = gbk(s).iter().map(|b| format!("%{b:02X}")).collect();
    format!("filename*=GBK''{pct}")
}

struct Mail {
    id: Option<String>,
    from: String,
    subject: String,
    received: Option<String>,
    date: String,
    /// The body: a whole MIME entity (headers + body) after the top headers.
    entity: String,
}

impl Mail {
    /// A message whose `Date:` is its arrival.
    fn at(id: Option<&str>, from: &str, subject: &str, received: &str, entity: String) -> Mail {
        Mail {
            id: id.map(str::to_string),
            from: from.into(),
            subject: subject.into(),
            received: Some(received.into()),
            date: received.into(),
            entity,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut h = String::new();
        if let Some(r) = &self.received {
            h.push_str(&format!(
                "Received: from mail.county.example ([10.0.0.9])\r\n\tby mx.linyi.example with ESMTP id 4A1B2C; {r}\r\n"
            ));
            h.push_str("Received: from pc.county.example by mail.county.example; Mon, 2 Nov 2026 08:00:00 +0800\r\n");
        }
        if let Some(id) = &self.id {
            h.push_str(&format!("Message-ID: <{id}>\r\n"));
        }
        h.push_str(&format!(
            "From: {}\r\nTo: tjk@linyi.example\r\nSubject: {}\r\nDate: {}\r\nMIME-Version: 1.0\r\n{}",
            self.from, self.subject, self.date, self.entity
        ));
        h.into_bytes()
    }
}

fn mixed(boundary: &str, parts: &[String]) -> String {
    let mut s = format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n");
    for p in parts {
        s.push_str(&format!("--{boundary}\r\n{p}\r\n"));
    }
    s.push_str(&format!("--{boundary}--\r\n"));
    s
}

fn text_part(body: &str) -> String {
    format!("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n")
}

fn attachment(ctype: &str, disposition_name: &str, bytes: &[u8]) -> String {
    format!(
        "Content-Type: {ctype}\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; {disposition_name}\r\n\r\n{}\r\n",
        b64(bytes)
    )
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A zip that stores its one member under a name in GBK bytes, as Chinese Windows writes it
/// (no UTF-8 flag), by hand: the zip crate writes names as UTF-8 only.
fn gbk_zip(name: &str, data: &[u8]) -> Vec<u8> {
    zip_with_flags(name, data, 0)
}

/// As [`gbk_zip`], with the general-purpose flags given (bit 0: encrypted).
fn zip_with_flags(name: &str, data: &[u8], flags: u16) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
    let name = gbk(name);
    let crc = crc32(data);
    let (n, len) = (name.len() as u16, data.len() as u32);
    // What the local header and the central directory entry both say, from the flags on:
    // stored (no compression), no time, the CRC, both sizes, the name's length.
    let common = |z: &mut Vec<u8>| {
        z.extend_from_slice(&flags.to_le_bytes());
        z.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        z.extend_from_slice(&crc.to_le_bytes());
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&n.to_le_bytes());
    };
    let mut z = Vec::new();
    z.extend_from_slice(b"PK\x03\x04");
    z.extend_from_slice(&[20, 0]);
    common(&mut z);
    z.extend_from_slice(&0u16.to_le_bytes());
    z.extend_from_slice(&name);
    z.extend_from_slice(data);
    let central = z.len() as u32;
    z.extend_from_slice(b"PK\x01\x02");
    z.extend_from_slice(&[20, 0, 20, 0]);
    common(&mut z);
    z.extend_from_slice(&[0; 12]);
    z.extend_from_slice(&0u32.to_le_bytes());
    z.extend_from_slice(&name);
    let size = z.len() as u32 - central;
    z.extend_from_slice(b"PK\x05\x06");
    z.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    z.extend_from_slice(&size.to_le_bytes());
    z.extend_from_slice(&central.to_le_bytes());
    z.extend_from_slice(&[0, 0]);
    z
}

fn sheet_bytes(dir: &Path, code: &str, name: &str, period: &str, bad: bool) -> Vec<u8> {
    let mut rows = lanshan_rows();
    if bad {
        // (2) above (1): an error at the cell.
        rows[0].1[1] = rows[0].1[0] + 100;
    }
    std::fs::read(county_file(&dir.join("sheets"), code, name, period, &rows)).unwrap()
}

fn write(path: &Path, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    path.to_path_buf()
}

/// One message from `from` carrying `sheet` as `name`, received at `received` (RFC 2822 date).
pub fn eml_with_sheet(dir: &Path, from: &str, name: &str, sheet: &[u8], received: &str) -> PathBuf {
    let m = Mail {
        id: Some("one@county.example".into()),
        from: from.into(),
        subject: word_gbk("报表"),
        received: Some(received.into()),
        date: received.into(),
        entity: mixed("one", &[attachment(XLSX, &rfc2231_gbk(name), sheet)]),
    };
    write(&dir.join("one.eml"), &m.bytes())
}

#[test]
fn a_mailbox_is_read_once_answered_and_kept_with_its_arrival_and_sender() {
    let d = tmp();
    let dir = d.path();
    let data = dir.join("data");
    let data_s = s(&data);

    // The address book, in GBK as Excel saves CSV on Chinese Windows.
    let book = write(
        &dir.join("通讯录.csv"),
        &gbk("地区,姓名,电子邮件\r\n兰山区,王芳,LanShan@County.Example\r\n371311,李强,luozhuang@county.example\r\n"),
    );
    ok(&yuebao(&["contacts", "import", s(&book), "--data", data_s, "--now", NOW]));
    let list = yuebao(&["contacts", "list", "--data", data_s]);
    ok(&list);
    assert!(
        list.stdout.contains("兰山区") && list.stdout.contains("lanshan@county.example") && list.stdout.contains("李强"),
        "{}",
        list.stdout
    );
    let bad_book = write(&dir.join("坏.csv"), "地区,姓名,电子邮件\n兰山区,王芳,不是地址\n".as_bytes());
    let run = yuebao(&["contacts", "import", s(&bad_book), "--data", data_s]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("第 2 行") && run.stderr.contains("不是电子邮件地址"), "{}", run.stderr);

    let lanshan = sheet_bytes(dir, "371302", "兰山区", "2026-10", false);
    let luozhuang_bad = sheet_bytes(dir, "371311", "罗庄区", "2026-10", true);
    let hedong = sheet_bytes(dir, "371312", "河东区", "2026-10", false);
    let yinan_late = sheet_bytes(dir, "371321", "沂南县", "2026-10", false);
    let fei_forwarded = sheet_bytes(dir, "371325", "费县", "2026-10", false);
    // A sheet that names no region at all.
    let nameless = {
        let fx = Fixture {
            unit_line: None,
            title: Some("建档立卡农村贫困人口就业与社会保障统计表".into()),
            period_line: Some("报告期：2026年10月".into()),
            rows: lanshan_rows()
                .iter()
                .map(|(l, v)| (l.to_string(), v.iter().copied().map(V::from).collect()))
                .collect(),
            ..Fixture::default()
        };
        std::fs::read(fx.save(&dir.join("sheets"), "统计表.xlsx")).unwrap()
    };

    // 1. Clean, on time, GBK subject (RFC 2047) and GBK file name (RFC 2231), from 兰山区's own
    //    address; the server's Received time decides, not the sender's Date.
    let clean = Mail {
        id: Some("clean-1@county.example".into()),
        from: format!("{} <lanshan@county.example>", word_gbk("王芳")),
        subject: word_gbk("兰山区10月报表"),
        received: Some("Wed, 4 Nov 2026 09:30:00 +0800".into()),
        date: "Wed, 4 Nov 2026 09:20:00 +0800".into(),
        entity: mixed(
            "b1",
            &[text_part("请查收。"), attachment(XLSX, &rfc2231_gbk("兰山区2026年10月.xlsx"), &lanshan)],
        ),
    };
    // 2. With an error, quoted-printable text, a file name as an RFC 2047 word.
    let errors = Mail {
        id: Some("err-1@county.example".into()),
        from: "luozhuang@county.example".into(),
        subject: "=?UTF-8?Q?=E7=BD=97=E5=BA=84=E5=8C=BA=E6=8A=A5=E8=A1=A8?=".into(),
        received: Some("Thu, 5 Nov 2026 16:00:00 +0800".into()),
        date: "Thu, 5 Nov 2026 15:59:00 +0800".into(),
        entity: mixed(
            "b2",
            &[
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E8=AF=B7=E6=9F=A5=E6=94=B6\r\n".into(),
                attachment("application/octet-stream", &format!("filename=\"{}\"", word_gbk("罗庄区.xlsx")), &luozhuang_bad),
            ],
        ),
    };
    // 3. A zip from an address not in the book, its member named in GBK.
    let zipped = Mail::at(
        Some("zip-1@county.example"),
        "someone@other.example",
        "hedong",
        "Thu, 5 Nov 2026 10:00:00 +0800",
        mixed(
            "b3",
            &[attachment("application/zip", "filename=\"hedong.zip\"", &gbk_zip("河东区10月.xlsx", &hedong))],
        ),
    );
    // 4. Late (received on the 20th), no Message-ID, the sheet inside a nested multipart.
    let late = Mail::at(
        None,
        "yinan@county.example",
        "yinan",
        "Fri, 20 Nov 2026 11:00:00 +0800",
        mixed(
            "outer",
            &[mixed("inner", &[text_part("迟了"), attachment(XLSX, "filename=\"yinan.xlsx\"", &yinan_late)])],
        ),
    );
    // 5. A forwarded message (message/rfc822) that carries the sheet.
    let inner = Mail {
        id: Some("fei-original@county.example".into()),
        from: "fei@county.example".into(),
        subject: "fei".into(),
        received: None,
        date: "Mon, 2 Nov 2026 09:00:00 +0800".into(),
        entity: mixed("b5i", &[attachment(XLSX, "filename=\"fei.xlsx\"", &fei_forwarded)]),
    };
    let forwarded = Mail::at(
        Some("fwd-1@county.example"),
        "clerk@county.example",
        "Fwd: fei",
        "Tue, 3 Nov 2026 09:00:00 +0800",
        mixed(
            "b5",
            &[
                text_part("转发"),
                format!(
                    "Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n{}",
                    String::from_utf8(inner.bytes()).unwrap()
                ),
            ],
        ),
    );
    // 6. No attachment; 7. a PDF only; 8. a sheet naming no region from an unknown address.
    let bare = Mail::at(
        Some("bare-1@county.example"),
        "lanshan@county.example",
        "no attachment",
        "Tue, 3 Nov 2026 09:00:00 +0800",
        "Content-Type: text/plain; charset=utf-8\r\n\r\n报表见附件\r\n".into(),
    );
    let pdf = Mail::at(
        Some("pdf-1@county.example"),
        "lanshan@county.example",
        "scan",
        "Tue, 3 Nov 2026 09:00:00 +0800",
        mixed("b7", &[attachment("application/pdf", "filename=\"scan.pdf\"", b"%PDF-1.4\n%fake\n")]),
    );
    let anonymous = Mail::at(
        Some("anon-1@county.example"),
        "nobody@else.example",
        "sheet",
        "Tue, 3 Nov 2026 09:00:00 +0800",
        mixed("b8", &[attachment(XLSX, "filename=\"统计表.xlsx\"", &nameless)]),
    );

    // A Maildir, an mbox export and a lone .eml.
    let maildir = dir.join("Maildir");
    write(&maildir.join("cur/1.clean"), &clean.bytes());
    write(&maildir.join("new/2.errors"), &errors.bytes());
    write(&maildir.join("tmp/.keep"), b"");
    let mut mbox = Vec::new();
    for m in [&zipped, &late, &forwarded, &bare, &pdf] {
        mbox.extend_from_slice(b"From MAILER-DAEMON Thu Nov  5 10:00:00 2026\r\n");
        mbox.extend_from_slice(&m.bytes());
        mbox.extend_from_slice(b"\r\n");
    }
    let mbox = write(&dir.join("导出.mbox"), &mbox);
    let eml = write(&dir.join("anon.eml"), &anonymous.bytes());
    let outbox = dir.join("回信");

    let args = [
        "inbox",
        s(&maildir),
        s(&mbox),
        s(&eml),
        "--outbox",
        s(&outbox),
        "--format",
        "json",
        "--data",
        data_s,
        "--now",
        NOW,
    ];
    let run = yuebao(&args);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let sum: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(sum["messages"], 8, "{sum:#}");
    assert_eq!(sum["already_handled"], 0);
    assert_eq!(sum["attachments_submitted"], 5, "{sum:#}");
    assert_eq!((sum["accepted"].as_u64(), sum["rejected"].as_u64()), (Some(4), Some(1)), "{sum:#}");
    assert_eq!(sum["not_submitted"], 1, "{sum:#}");
    assert_eq!(sum["replies"], 8);
    let results = sum["results"].as_array().unwrap();
    let by_subject = |subject: &str| {
        results
            .iter()
            .find(|r| r["subject"] == subject)
            .unwrap_or_else(|| panic!("{subject} in {sum:#}"))
    };
    assert_eq!(by_subject("兰山区10月报表")["sheets"][0]["name"], "兰山区2026年10月.xlsx");
    assert_eq!(by_subject("兰山区10月报表")["sheets"][0]["timeliness"], "按时");
    assert_eq!(by_subject("罗庄区报表")["sheets"][0]["outcome"], "退回");
    assert_eq!(by_subject("hedong")["sheets"][0]["name"], "河东区10月.xlsx");
    let note = by_subject("hedong")["sheets"][0]["note"].as_str().unwrap();
    assert!(note.contains("someone@other.example") && note.contains("不在通讯录"), "{note}");
    assert!(by_subject("yinan")["sheets"][0]["timeliness"].as_str().unwrap().starts_with("迟报"), "{sum:#}");
    assert!(by_subject("yinan")["key"].as_str().unwrap().starts_with("headers:"));
    assert_eq!(by_subject("Fwd: fei")["sheets"][0]["outcome"], "已接收");
    assert!(by_subject("no attachment")["attention"].as_str().unwrap().contains("没有附件"));
    assert!(by_subject("scan")["skipped"][0]["reason"].as_str().unwrap().contains("PDF"));
    assert!(by_subject("sheet")["attention"].as_str().unwrap().contains("未提交"), "{sum:#}");

    // Kept with the server's arrival time, the channel and the sender.
    let h = history(&data, "371302", "2026-10");
    assert_eq!(h.len(), 1, "{h:#?}");
    assert_eq!(h[0]["channel"], "mail");
    assert_eq!(h[0]["sender"], "lanshan@county.example");
    assert!(h[0]["received_at"].as_str().unwrap().starts_with("2026-11-04T09:30:00"), "{:#}", h[0]);
    assert_eq!(history(&data, "371312", "2026-10")[0]["sender"], "someone@other.example");

    // The replies: threaded, in Chinese, with the annotated copy where there are findings.
    let replies: Vec<PathBuf> = std::fs::read_dir(&outbox).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(replies.len(), 8);
    let parsed: Vec<(Vec<u8>, String)> = replies
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).unwrap();
            let m = mail_parser::MessageParser::default().parse(&bytes).unwrap();
            let to = m.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap().to_string();
            (bytes, to)
        })
        .collect();
    let reply_to = |addr: &str, subject_has: &str| {
        parsed
            .iter()
            .map(|(b, _)| mail_parser::MessageParser::default().parse(b).unwrap())
            .find(|m| m.to().and_then(|a| a.first()).and_then(|a| a.address()) == Some(addr) && m.subject().unwrap_or("").contains(subject_has))
            .map(|m| {
                (
                    m.subject().unwrap().to_string(),
                    m.body_text(0).unwrap().to_string(),
                    m.in_reply_to().as_text().map(str::to_string),
                    m.attachment_count(),
                )
            })
            .unwrap_or_else(|| panic!("no reply to {addr} about {subject_has}"))
    };
    let (subject, body, in_reply_to, attachments) = reply_to("lanshan@county.example", "兰山区10月报表");
    assert_eq!(subject, "回复：兰山区10月报表");
    assert_eq!(in_reply_to.as_deref(), Some("clean-1@county.example"));
    assert!(
        body.contains("兰山区") && body.contains("2026年10月") && body.contains("已接收") && body.contains("按时"),
        "{body}"
    );
    assert_eq!(attachments, 0);
    let (_, body, _, attachments) = reply_to("luozhuang@county.example", "罗庄区报表");
    assert!(body.contains("退回") && body.contains("工作表“Sheet1”D5：E201"), "{body}");
    assert_eq!(attachments, 1, "the annotated copy");
    let (_, body, _, _) = reply_to("lanshan@county.example", "scan");
    assert!(body.contains("PDF"), "{body}");
    let (_, body, _, _) = reply_to("lanshan@county.example", "no attachment");
    assert!(body.contains("没有附件"), "{body}");

    // Read again: nothing new is stored, nothing is answered twice.
    let before = history(&data, "371302", "2026-10").len() + history(&data, "371311", "2026-10").len();
    let again = yuebao(&args);
    let sum: serde_json::Value = serde_json::from_str(&again.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", again.stdout, again.stderr));
    assert_eq!((sum["messages"].as_u64(), sum["already_handled"].as_u64()), (Some(8), Some(8)), "{sum:#}");
    assert_eq!(sum["attachments_submitted"], 0);
    assert_eq!(sum["replies"], 0);
    assert_eq!(again.code, 0);
    assert_eq!(history(&data, "371302", "2026-10").len() + history(&data, "371311", "2026-10").len(), before);
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 8);

    // 催报 by mail: 罗庄区 (returned) has an address, 兰山区 (accepted) is not chased, the
    // counties without an address are named for the telephone.
    let dry = yuebao(&[
        "remind",
        "--period",
        "2026-10",
        "--region",
        "371300",
        "--dry-run",
        "--data",
        data_s,
        "--now",
        NOW,
    ]);
    ok(&dry);
    assert!(
        dry.stdout.contains("罗庄区") && dry.stdout.contains("luozhuang@county.example") && !dry.stdout.contains("lanshan@"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("需电话催报") && dry.stdout.contains("郯城县"), "{}", dry.stdout);
    let reminders = dir.join("催报");
    assert!(!reminders.exists());
    ok(&yuebao(&[
        "remind",
        "--period",
        "2026-10",
        "--region",
        "371300",
        "--outbox",
        s(&reminders),
        "--data",
        data_s,
        "--now",
        NOW,
    ]));
    let sent: Vec<PathBuf> = std::fs::read_dir(&reminders).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let bytes = std::fs::read(&sent[0]).unwrap();
    let m = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(m.to().and_then(|a| a.first()).and_then(|a| a.address()), Some("luozhuang@county.example"));
    assert!(
        m.subject().unwrap().contains("催报") && m.body_text(0).unwrap().contains("罗庄区"),
        "{:?}",
        m.body_text(0)
    );
    let audit = yuebao(&["audit", "--data", data_s, "--action", "reminder"]);
    assert!(audit.stdout.contains("罗庄区") && !audit.stdout.contains("兰山区"), "{}", audit.stdout);

    // A sheet with warnings only waits for a 说明; the sender's answer to our reply gives it.
    // 兰山区's November with a jump in 第(9)栏 against October: a warning that needs a 说明.
    let mut jump = lanshan_rows();
    for r in &mut jump {
        r.1[8] = r.1[8] * 3 / 2 + 40;
    }
    let jumped = std::fs::read(county_file(&dir.join("nov"), "371302", "兰山区", "2026-11", &jump)).unwrap();
    let later = "2026-12-04 10:00";
    let held = Mail::at(
        Some("lanshan-11@county.example"),
        "lanshan@county.example",
        "lanshan nov",
        "Wed, 2 Dec 2026 10:00:00 +0800",
        mixed("h1", &[attachment(XLSX, "filename=\"lanshan.xlsx\"", &jumped)]),
    );
    let held_eml = write(&dir.join("held/1.eml"), &held.bytes());
    let out2 = dir.join("回信2");
    let run = yuebao(&[
        "inbox",
        s(&held_eml),
        "--outbox",
        s(&out2),
        "--format",
        "json",
        "--data",
        data_s,
        "--now",
        later,
    ]);
    let sum: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    assert_eq!(sum["pending"], 1, "{sum:#}");
    let reply = std::fs::read_dir(&out2).unwrap().next().unwrap().unwrap().path();
    let reply = mail_parser::MessageParser::default()
        .parse(&std::fs::read(reply).unwrap())
        .unwrap()
        .into_owned();
    let ours = reply.message_id().unwrap().to_string();
    assert!(ours.starts_with("shuoming-"), "{ours}");
    assert!(reply.body_text(0).unwrap().contains("回复本邮件"), "{:?}", reply.body_text(0));
    // Someone else's answer is not taken; the sender's is, and the sheet is accepted as of its
    // first arrival.
    let answer = |from: &str, id: &str| {
        let m = Mail::at(
            Some(id),
            from,
            "Re: lanshan nov",
            "Thu, 3 Dec 2026 09:00:00 +0800",
            format!(
                "In-Reply-To: <{ours}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n填表人休假，数据已核实无误。\r\n\r\n在 2026-11-04 写道：\r\n> 原文\r\n"
            ),
        );
        write(&dir.join(format!("answer/{id}.eml")), &m.bytes())
    };
    let forged = answer("someone@other.example", "a1@x");
    let run = yuebao(&["inbox", s(&forged), "--format", "json", "--data", data_s, "--now", later]);
    let sum: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(sum["results"][0]["attention"].as_str().unwrap().contains("不是报送该表的地址"), "{sum:#}");
    let real = answer("lanshan@county.example", "a2@x");
    let run = yuebao(&["inbox", s(&real), "--format", "json", "--data", data_s, "--now", later]);
    let sum: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(sum["accepted"], 1, "{sum:#}");
    let h = history(&data, "371302", "2026-11");
    assert_eq!(h.len(), 2, "{h:#?}");
    assert_eq!(
        (&h[0]["status"], &h[1]["status"]),
        (&serde_json::json!("pending"), &serde_json::json!("accepted"))
    );
    assert_eq!(h[1]["note"], "填表人休假，数据已核实无误。");
    assert!(h[1]["received_at"].as_str().unwrap().starts_with("2026-12-02T10:00:00"), "{:#}", h[1]);

    // Every fact the mail wrote is in the audit chain.
    ok(&yuebao(&["verify", "--data", data_s]));
    let audit = yuebao(&["audit", "--data", data_s, "--action", "mail"]);
    ok(&audit);
    assert!(audit.stdout.contains("处理邮件"), "{}", audit.stdout);
}

#[test]
fn wps_spreadsheets_in_a_directory_are_read() {
    // WPS Office's own .et (and .ett templates) are OLE compound files like .xls: a sample .xls
    // renamed stands in for one (no WPS here to write a real one).
    let d = tmp();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let xls = std::fs::read_dir(root.join("sample-data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "xls"))
        .unwrap();
    std::fs::copy(&xls, d.path().join("费县.et")).unwrap();
    std::fs::copy(&xls, d.path().join("模板.ett")).unwrap();
    let run = yuebao(&["validate", s(d.path()), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
    let files = v["files"].as_array().unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(files.len(), 2, "{v:#}");
    assert!(files.iter().all(|f| f["format"] == "xls"), "{v:#}");
    assert!(!run.stderr.contains("不能作为报表读取"), "{}", run.stderr);
}

#[test]
fn what_cannot_be_handed_in_is_answered_never_dropped() {
    let d = tmp();
    let dir = d.path();
    let data = dir.join("data");
    let sheet = sheet_bytes(dir, "371302", "兰山区", "2026-10", false);
    let mail = |id: &str, entity: String| Mail {
        id: Some(format!("{id}@county.example")),
        from: "lanshan@county.example".into(),
        subject: id.into(),
        received: Some("Tue, 3 Nov 2026 09:00:00 +0800".into()),
        date: "Tue, 3 Nov 2026 09:00:00 +0800".into(),
        entity,
    };
    // Thousands of parts; an attachment over the size limit (1 MB here); Outlook's TNEF; a RAR;
    // a zip with a password; a photo of the paper form; a Word document.
    let bomb = mail("bomb", mixed("bb", &(0..600).map(|i| text_part(&format!("{i}"))).collect::<Vec<_>>()));
    let big = vec![b'x'; 1_200_000];
    let locked_zip = zip_with_flags("兰山区.xlsx", &sheet, 1);
    let one_each: [(&str, &str, &str, &[u8]); 6] = [
        ("big", XLSX, "big.xlsx", &big),
        ("tnef", "application/ms-tnef", "winmail.dat", b"\x78\x9f\x3e\x22"),
        ("rar", "application/octet-stream", "baobiao.rar", b"Rar!\x1a\x07\x00"),
        ("locked", "application/zip", "locked.zip", &locked_zip),
        ("photo", "image/jpeg", "IMG_0001.jpg", b"\xFF\xD8\xFF\xE0fake"),
        ("word", "application/msword", "baobiao.doc", b"\xD0\xCF\x11\xE0"),
    ];
    let mut mails = vec![bomb];
    for (id, ctype, name, bytes) in one_each {
        mails.push(mail(id, mixed(id, &[attachment(ctype, &format!("filename=\"{name}\""), bytes)])));
    }
    let dir_in = dir.join("in");
    for (i, m) in mails.iter().enumerate() {
        write(&dir_in.join(format!("{i}.eml")), &m.bytes());
    }
    let outbox = dir.join("out");
    let run = yuebao(&[
        "inbox",
        s(&dir_in),
        "--outbox",
        s(&outbox),
        "--format",
        "json",
        "--max-file-mb",
        "1",
        "--data",
        s(&data),
        "--now",
        NOW,
    ]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let sum: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(sum["messages"], 7, "{sum:#}");
    assert_eq!(sum["attachments_submitted"], 0, "{sum:#}");
    assert_eq!(sum["replies"], 7);
    assert_eq!(sum["attention"], 7, "every one is listed for the clerk: {sum:#}");
    let said = |subject: &str| {
        let r = sum["results"].as_array().unwrap().iter().find(|r| r["subject"] == subject).unwrap();
        format!("{} {}", r["attention"], r["skipped"])
    };
    assert!(said("bomb").contains("邮件炸弹"), "{}", said("bomb"));
    assert!(said("big").contains("超过上限 1 MB"), "{}", said("big"));
    assert!(said("tnef").contains("winmail.dat"), "{}", said("tnef"));
    assert!(said("rar").contains("RAR"), "{}", said("rar"));
    assert!(said("locked").contains("密码"), "{}", said("locked"));
    assert!(said("photo").contains("图片"), "{}", said("photo"));
    assert!(said("word").contains("Word"), "{}", said("word"));
    // Each answer says it to the sender too.
    for f in std::fs::read_dir(&outbox).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        let m = mail_parser::MessageParser::default().parse(&bytes).unwrap();
        let body = m.body_text(0).unwrap().to_string();
        assert!(body.contains("处理结果") && (body.contains("附件") || body.contains("邮件含")), "{body}");
    }
    assert!(history(&data, "371302", "2026-10").is_empty());

    // A sender's address the reply cannot be written to: the sheet is stored all the same, the
    // message recorded and listed for the clerk; a second run finds it handled.
    let mut odd = mail("odd", mixed("od", &[attachment(XLSX, "filename=\"lanshan.xlsx\"", &sheet)]));
    odd.from = "lan..shan@county.example".into();
    let odd_in = write(&dir.join("odd/odd.eml"), &odd.bytes());
    let args = [
        "inbox",
        s(&odd_in),
        "--outbox",
        s(&outbox),
        "--format",
        "json",
        "--data",
        s(&data),
        "--now",
        NOW,
    ];
    let run = yuebao(&args);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let sum: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((sum["accepted"].as_i64(), sum["replies"].as_i64()), (Some(1), Some(0)), "{sum:#}");
    assert!(sum["results"][0]["attention"].as_str().unwrap().contains("无法回信"), "{sum:#}");
    assert_eq!(history(&data, "371302", "2026-10").len(), 1);
    let again: serde_json::Value = serde_json::from_str(&yuebao(&args).stdout).unwrap();
    assert_eq!(again["already_handled"], 1, "{again:#}");

    // A source that is not there is said in Chinese, not in the operating system's English.
    let run = yuebao(&["inbox", s(&dir.join("没有这个.mbox")), "--data", s(&data)]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("没有这个.mbox：找不到该文件或目录") && !run.stderr.contains("os error"),
        "{}",
        run.stderr
    );
}
