//! Mail as counties send it, read for `yuebao inbox`: the sources (single `.eml` files, Maildir
//! folders, mbox exports), each message's arrival time, sender and key, and the walk through its
//! attachments (nested multiparts, forwarded messages, zip archives with GBK member names) to the
//! spreadsheets to hand in and the parts that are not, each with a Chinese reason. The parsing is
//! mail-parser's; what is done with the sheets is the workflow's (`yuebao inbox` in the top
//! package). A crate of its own so that the fuzz workspace builds it without the rest.

use mail_parser::{Message, MessageParser, MimeHeaders};
use std::io::Read;
use std::path::{Path, PathBuf};
use yuebao_core::limits::Limits;
use yuebao_core::time::Time;

/// A message larger than this is not parsed (its reply says so).
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// More MIME parts than this in one message: a mail bomb, answered and not walked.
pub const MAX_PARTS: usize = 500;
/// Forwarded messages inside forwarded messages: deeper than this is not walked.
pub const MAX_DEPTH: usize = 4;
/// Members of one zip attachment read at most.
pub const MAX_ZIP_MEMBERS: usize = 200;

/// One message as found in a source.
#[derive(Debug, Clone)]
pub struct Raw {
    /// Where it was found, for the summary: `收件箱/cur/1733…` or `导出.mbox 第 3 封`.
    pub origin: String,
    pub bytes: Vec<u8>,
}

/// The messages of every source, in the order given: an `.eml` file, an mbox file (a file that
/// starts with a `From ` line), a Maildir folder (its `cur` and `new`), or a folder of `.eml`
/// files.
pub fn read_sources(sources: &[PathBuf]) -> anyhow::Result<Vec<Raw>> {
    use anyhow::Context;
    let mut out = Vec::new();
    for src in sources {
        if src.is_dir() {
            let maildir = src.join("cur").is_dir() || src.join("new").is_dir();
            let dirs: Vec<PathBuf> = if maildir { vec![src.join("cur"), src.join("new")] } else { vec![src.clone()] };
            for dir in dirs.iter().filter(|d| d.is_dir()) {
                let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                    .with_context(|| format!("无法读取目录 {}", dir.display()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
                    .filter(|p| maildir || p.extension().is_some_and(|e| e.eq_ignore_ascii_case("eml")))
                    .collect();
                files.sort();
                for f in files {
                    out.push(Raw {
                        origin: f.display().to_string(),
                        bytes: read_capped(&f)?,
                    });
                }
            }
        } else {
            let bytes = read_capped(src)?;
            if bytes.starts_with(b"From ") {
                let iter = mail_parser::mailbox::mbox::MessageIterator::new(std::io::Cursor::new(bytes));
                for (i, m) in iter.enumerate() {
                    let m = m.with_context(|| format!("无法读取 mbox 文件 {}", src.display()))?;
                    out.push(Raw {
                        origin: format!("{} 第 {} 封", src.display(), i + 1),
                        bytes: m.unwrap_contents(),
                    });
                }
            } else {
                out.push(Raw {
                    origin: src.display().to_string(),
                    bytes,
                });
            }
        }
    }
    Ok(out)
}

/// A file's bytes; an mbox may hold a year of mail, but not more than a gigabyte.
fn read_capped(path: &Path) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(1 << 30).read_to_end(&mut bytes))
        .with_context(|| format!("无法读取 {}", path.display()))?;
    Ok(bytes)
}

/// How the arrival time was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArrivalSource {
    /// The topmost `Received:` header: when the city's own server took the message.
    Received,
    /// The sender's `Date:` (no `Received:` with a date).
    Date,
    /// Neither: the time it was processed.
    Processing,
}

/// A spreadsheet to hand in.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The file name as the sender gave it (a zip member's own name when it came zipped).
    pub name: String,
    pub bytes: Vec<u8>,
    /// The zip it came in.
    pub zip: Option<String>,
}

/// A part that is not handed in, and why (a sentence for the reply).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// A message read: who, when, which key, and what it carries.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// What makes a second reading find it: `<Message-ID>`, or `headers:<SHA-256>` of its header
    /// block when it has none.
    pub key: String,
    pub message_id: Option<String>,
    /// The sender's address, lower case.
    pub from: Option<String>,
    pub from_name: Option<String>,
    pub subject: String,
    pub received_at: Option<Time>,
    pub arrival: ArrivalSource,
    /// `References:` then the Message-ID, for the reply's `References:`.
    pub references: Vec<String>,
    pub sheets: Vec<Sheet>,
    pub skipped: Vec<Skipped>,
    /// Why the message as a whole was not walked (a mail bomb, too large), if so.
    pub refused: Option<String>,
    /// The sender's own text: the first plain-text body without the quoted original.
    pub text: String,
}

/// A reply's own words: the lines before the quoted original (`>` lines, Outlook's and
/// Foxmail's `-----原始邮件-----`, `在 … 写道：`), trimmed.
pub fn own_words(body: &str) -> String {
    let mut out = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        if t.starts_with('>') {
            continue;
        }
        let starts_quote = t.contains("原始邮件")
            || t.contains("Original Message")
            || (t.starts_with('在') && (t.ends_with("写道：") || t.ends_with("写道:")))
            || (t.starts_with("On ") && t.ends_with("wrote:"));
        if starts_quote {
            break;
        }
        out.push(t);
    }
    out.join("\n").trim().to_string()
}

/// Reads one message. None when the bytes hold no message header at all.
pub fn read_message(bytes: &[u8], limits: &Limits) -> Option<Incoming> {
    let find = |needle: &[u8]| bytes.windows(needle.len()).position(|w| w == needle);
    let header_end = find(b"\r\n\r\n").or_else(|| find(b"\n\n")).unwrap_or(bytes.len().min(64 << 10));
    let header_digest = yuebao_core::text::sha256_hex(&bytes[..header_end]);
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Some(Incoming {
            key: format!("headers:{header_digest}"),
            message_id: None,
            from: None,
            from_name: None,
            subject: String::new(),
            received_at: None,
            arrival: ArrivalSource::Processing,
            references: Vec::new(),
            sheets: Vec::new(),
            skipped: Vec::new(),
            refused: Some(format!("邮件大小 {} MB，超过 {} MB，未处理", bytes.len() >> 20, MAX_MESSAGE_BYTES >> 20)),
            text: String::new(),
        });
    }
    let msg = MessageParser::default().parse(bytes)?;
    let message_id = msg.message_id().map(str::to_string).filter(|m| !m.trim().is_empty());
    let key = match &message_id {
        Some(id) => format!("<{id}>"),
        None => format!("headers:{header_digest}"),
    };
    let addr = msg.from().and_then(|a| a.first());
    let from = addr.and_then(|a| a.address()).and_then(yuebao_core::text::normalise_address);
    let from_name = addr.and_then(|a| a.name()).map(str::to_string).filter(|n| !n.trim().is_empty());
    let subject = msg.subject().unwrap_or("").trim().to_string();
    let (received_at, arrival) = arrival(&msg);
    // What it answers: its References, and its In-Reply-To where a client left that out.
    let mut references: Vec<String> = msg
        .references()
        .as_text_list()
        .map(|l| l.iter().map(|r| format!("<{r}>")).collect())
        .unwrap_or_default();
    for r in msg.in_reply_to().as_text_list().unwrap_or_default() {
        let r = format!("<{r}>");
        if !references.contains(&r) {
            references.push(r);
        }
    }
    if let Some(id) = &message_id {
        references.push(format!("<{id}>"));
    }
    let mut inc = Incoming {
        key,
        message_id,
        from,
        from_name,
        subject,
        received_at,
        arrival,
        references,
        sheets: Vec::new(),
        skipped: Vec::new(),
        refused: None,
        text: msg.body_text(0).map(|b| own_words(&b)).unwrap_or_default(),
    };
    if msg.parts.len() > MAX_PARTS {
        inc.refused = Some(format!(
            "邮件含 {} 个部分，超过 {MAX_PARTS} 个（疑似“邮件炸弹”），未处理其附件",
            msg.parts.len()
        ));
        return Some(inc);
    }
    walk(&msg, 0, limits, &mut inc);
    Some(inc)
}

/// When the message reached the city's server: the topmost `Received:` with a date, else its
/// `Date:`, in Beijing time.
fn arrival(msg: &Message<'_>) -> (Option<Time>, ArrivalSource) {
    let beijing = |d: &mail_parser::DateTime| chrono::DateTime::from_timestamp(d.to_timestamp(), 0).map(|t| t.with_timezone(&yuebao_core::time::beijing()));
    if let Some(t) = msg.received_all().find_map(|r| r.date()).as_ref().and_then(beijing) {
        return (Some(t), ArrivalSource::Received);
    }
    match msg.date().and_then(beijing) {
        Some(t) => (Some(t), ArrivalSource::Date),
        None => (None, ArrivalSource::Processing),
    }
}

/// Every attachment of `msg`, forwarded messages walked into.
fn walk(msg: &Message<'_>, depth: usize, limits: &Limits, inc: &mut Incoming) {
    for (i, part) in msg.attachments().enumerate() {
        if let Some(inner) = part.message() {
            if depth + 1 > MAX_DEPTH {
                inc.skipped.push(Skipped {
                    name: part.attachment_name().unwrap_or("转发的邮件").to_string(),
                    reason: format!("转发的邮件嵌套超过 {MAX_DEPTH} 层，未处理其中的附件"),
                });
            } else if inner.parts.len() > MAX_PARTS {
                inc.skipped.push(Skipped {
                    name: part.attachment_name().unwrap_or("转发的邮件").to_string(),
                    reason: format!("转发的邮件含 {} 个部分，超过 {MAX_PARTS} 个，未处理", inner.parts.len()),
                });
            } else {
                walk(inner, depth + 1, limits, inc);
            }
            continue;
        }
        let name = part
            .attachment_name()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("附件{}", i + 1));
        let ctype = part
            .content_type()
            .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
            .unwrap_or_default();
        classify(name, &ctype, part.contents(), limits, inc);
    }
}

/// Decides what one attachment is: a sheet, a zip of sheets, or something else (with why).
fn classify(name: String, ctype: &str, bytes: &[u8], limits: &Limits, inc: &mut Incoming) {
    let lower = name.to_lowercase();
    let skip = |inc: &mut Incoming, reason: String| inc.skipped.push(Skipped { name: name.clone(), reason });
    if bytes.len() as u64 > limits.file_bytes() {
        return skip(
            inc,
            format!("附件大小 {:.1} MB，超过上限 {} MB，未处理", bytes.len() as f64 / 1048576.0, limits.file_mb),
        );
    }
    if lower == "winmail.dat" || ctype.eq_ignore_ascii_case("application/ms-tnef") {
        return skip(
            inc,
            "这是 Outlook 的 winmail.dat（TNEF 格式），其中的文件无法取出；请在 Outlook 中改用“纯文本”或“HTML”格式重发，报表作为普通附件".into(),
        );
    }
    if lower.ends_with(".zip") || (bytes.starts_with(b"PK\x03\x04") && !yuebao_core::ingest::has_readable_extension(Path::new(&lower)) && is_plain_zip(bytes)) {
        return unzip(&name, bytes, limits, inc);
    }
    if yuebao_core::ingest::has_readable_extension(Path::new(&lower)) || spreadsheet_magic(bytes) {
        inc.sheets.push(Sheet {
            name,
            bytes: bytes.to_vec(),
            zip: None,
        });
        return;
    }
    let what = if bytes.starts_with(b"%PDF") || lower.ends_with(".pdf") {
        "PDF 文件，不是电子表格；纸质报表的扫描件不能代替 Excel 报表"
    } else if [&b"\xFF\xD8\xFF"[..], b"\x89PNG", b"GIF8", b"BM"].iter().any(|m| bytes.starts_with(m)) || ctype.starts_with("image/") {
        "图片（可能是纸质报表的照片），不是电子表格；请发送 Excel 报表文件"
    } else if [".doc", ".docx", ".wps"].iter().any(|e| lower.ends_with(e)) {
        "Word 文档，不是电子表格；请把报表填在统计表模板（Excel）中发送"
    } else if [".rar", ".7z"].iter().any(|e| lower.ends_with(e)) {
        "RAR/7z 压缩包，无法解开；请直接发送报表文件，或改用 zip 压缩"
    } else {
        "不是电子表格文件，未处理"
    };
    skip(inc, what.to_string())
}

/// A zip whose members are not an Office or OpenDocument package (those are read as sheets).
fn is_plain_zip(bytes: &[u8]) -> bool {
    let Ok(z) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return false;
    };
    !z.file_names()
        .filter_map(Result::ok)
        .any(|n| n == "[Content_Types].xml" || n == "mimetype" || n.starts_with("xl/"))
}

/// The start of an Excel workbook or an OLE compound file (xls, WPS's et).
fn spreadsheet_magic(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) || (bytes.starts_with(b"PK\x03\x04") && !is_plain_zip(bytes))
}

/// The spreadsheets inside a zip attachment, each read under the file limit.
fn unzip(name: &str, bytes: &[u8], limits: &Limits, inc: &mut Incoming) {
    let mut z = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(z) => z,
        Err(_) => {
            inc.skipped.push(Skipped {
                name: name.to_string(),
                reason: "压缩包已损坏，无法解开".into(),
            });
            return;
        }
    };
    if z.len() > MAX_ZIP_MEMBERS {
        inc.skipped.push(Skipped {
            name: name.to_string(),
            reason: format!("压缩包中有 {} 个文件，超过 {MAX_ZIP_MEMBERS} 个，未处理", z.len()),
        });
        return;
    }
    let mut found = 0;
    for i in 0..z.len() {
        if z.by_index_raw(i).is_ok_and(|f| f.encrypted()) {
            let short = z.by_index_raw(i).map(|f| member_name(f.name_raw())).unwrap_or_default();
            inc.skipped.push(Skipped {
                name: format!("{name} 中的 {}", short.rsplit(['/', '\\']).next().unwrap_or(&short)),
                reason: "压缩包设有密码，无法解开；请不加密码重新压缩".into(),
            });
            continue;
        }
        let Ok(f) = z.by_index(i) else {
            inc.skipped.push(Skipped {
                name: name.to_string(),
                reason: format!("压缩包中第 {} 个文件无法取出", i + 1),
            });
            continue;
        };
        if f.is_dir() {
            continue;
        }
        let member = member_name(f.name_raw());
        let short = member.rsplit(['/', '\\']).next().unwrap_or(&member).to_string();
        if short.starts_with('.') || short.starts_with("~$") || member.starts_with("__MACOSX") {
            continue;
        }
        let mut data = Vec::new();
        let cap = limits.file_bytes();
        if f.take(cap + 1).read_to_end(&mut data).is_err() {
            inc.skipped.push(Skipped {
                name: format!("{name} 中的 {short}"),
                reason: "压缩包中的这个文件已损坏，无法解开".into(),
            });
            continue;
        }
        if data.len() as u64 > cap {
            inc.skipped.push(Skipped {
                name: format!("{name} 中的 {short}"),
                reason: format!("解压后超过上限 {} MB，未处理", limits.file_mb),
            });
            continue;
        }
        if yuebao_core::ingest::has_readable_extension(Path::new(&short.to_lowercase())) || spreadsheet_magic(&data) {
            found += 1;
            inc.sheets.push(Sheet {
                name: short,
                bytes: data,
                zip: Some(name.to_string()),
            });
        } else {
            inc.skipped.push(Skipped {
                name: format!("{name} 中的 {short}"),
                reason: "不是电子表格文件，未处理".into(),
            });
        }
    }
    if found == 0 && !inc.skipped.iter().any(|s| s.name.starts_with(name)) {
        inc.skipped.push(Skipped {
            name: name.to_string(),
            reason: "压缩包中没有报表文件".into(),
        });
    }
}

/// A zip member's name: UTF-8 when it is, else GBK (what Chinese Windows' zip writes).
fn member_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GBK.decode(raw).0.into_owned(),
    }
}
