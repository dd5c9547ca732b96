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
    if bytes.len() > MAX_MESSAGE_BYTES {
        return read_oversize(&bytes[..header_end], bytes.len());
    }
    let header_digest = yuebao_core::text::sha256_hex(&bytes[..header_end]);
    let bytes = undeclared_gbk(bytes);
    let msg = MessageParser::default().parse(&bytes[..])?;
    let mut inc = headed(&msg, &header_digest);
    inc.text = msg.body_text(0).map(|b| own_words(&b)).unwrap_or_default();
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

/// Header lines in GBK that say nothing of it. RFC 2047 wants non-ASCII headers encoded, but
/// Foxmail, old Outlook and many county mailers send a subject or an attachment's file name as
/// raw GBK bytes, which a parser that expects UTF-8 turns into replacement characters. Each line
/// of a header block (the message's, and each part's after a boundary the message declared)
/// that is not UTF-8 but is GB18030 is rewritten in UTF-8 before parsing; bodies are left as
/// they are. A message that is UTF-8 throughout (almost every one: seven-bit) is not copied.
pub fn undeclared_gbk(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if std::str::from_utf8(bytes).is_ok() {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 8);
    let mut boundaries: Vec<Vec<u8>> = Vec::new();
    let mut in_header = true;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if in_header {
            if content.is_empty() {
                in_header = false;
            } else {
                if let Some(b) = declared_boundary(content) {
                    boundaries.push(b);
                }
                if std::str::from_utf8(line).is_err()
                    && let Some(text) = encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(line)
                {
                    out.extend_from_slice(text.as_bytes());
                    continue;
                }
            }
        } else if let Some(rest) = content.strip_prefix(b"--") {
            let rest = rest.strip_suffix(b"--").unwrap_or(rest);
            in_header = boundaries.iter().any(|b| b.as_slice() == rest.trim_ascii_end());
        }
        out.extend_from_slice(line);
    }
    std::borrow::Cow::Owned(out)
}

/// The `boundary=` a header line declares, if it does.
fn declared_boundary(line: &[u8]) -> Option<Vec<u8>> {
    let at = line.windows(9).position(|w| w.eq_ignore_ascii_case(b"boundary="))?;
    let rest = &line[at + 9..];
    let value = match rest.strip_prefix(b"\"") {
        Some(q) => &q[..q.iter().position(|&b| b == b'"')?],
        None => &rest[..rest.iter().position(|&b| b == b';' || b.is_ascii_whitespace()).unwrap_or(rest.len())],
    };
    (!value.is_empty()).then(|| value.to_vec())
}

/// The key of a message from its header alone (what `read_message` would give it), for a
/// mailbox where what was processed cannot be marked.
pub fn header_key(header: &[u8]) -> Option<String> {
    read_oversize(header, 0).map(|inc| inc.key)
}

/// The address a message says it is from (its `From:`), as written.
pub fn sender_of(bytes: &[u8]) -> Option<String> {
    let msg = MessageParser::default().parse_headers(bytes)?;
    msg.from()?.first()?.address().map(str::to_string)
}

/// A message too large to read (`size` bytes), from its header alone (all a server is asked
/// for then): who sent it, when, and its key, so that the sender is told; nothing is walked.
pub fn read_oversize(header: &[u8], size: usize) -> Option<Incoming> {
    // A server's header section ends with its blank line; the digest is of the lines alone.
    let end = header.iter().rposition(|b| !matches!(b, b'\r' | b'\n')).map_or(0, |i| i + 1);
    let header = &header[..end];
    let header_digest = yuebao_core::text::sha256_hex(header);
    let mut head = undeclared_gbk(header).into_owned();
    head.extend_from_slice(b"\r\n\r\n");
    let msg = MessageParser::default().parse(&head)?;
    let mut inc = headed(&msg, &header_digest);
    inc.refused = Some(format!("邮件大小 {} MB，超过 {} MB，未处理", size >> 20, MAX_MESSAGE_BYTES >> 20));
    Some(inc)
}

/// What a message's header says: key, sender, subject, arrival and what it answers.
fn headed(msg: &Message<'_>, header_digest: &str) -> Incoming {
    let message_id = msg.message_id().map(str::to_string).filter(|m| !m.trim().is_empty());
    let key = match &message_id {
        Some(id) => format!("<{id}>"),
        None => format!("headers:{header_digest}"),
    };
    let addr = msg.from().and_then(|a| a.first());
    let from = addr.and_then(|a| a.address()).and_then(yuebao_core::text::normalise_address);
    let from_name = addr.and_then(|a| a.name()).map(str::to_string).filter(|n| !n.trim().is_empty());
    let subject = subject_of(msg);
    let (received_at, arrival) = arrival(msg);
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
    Incoming {
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
        text: String::new(),
    }
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

/// An attachment's name as the parser gives it, unless it lost characters: a GBK name split
/// into RFC 2231 continuations (`filename*0*=GBK''…; filename*1*=…`) is decoded piece by piece
/// there, the later pieces as UTF-8. Then the part's raw header is read again here, its pieces
/// joined and decoded whole in their charset.
fn part_name(msg: &Message<'_>, part: &mail_parser::MessagePart<'_>) -> Option<String> {
    let parsed = part.attachment_name().map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = parsed.filter(|n| !n.contains('\u{FFFD}')) {
        return Some(n.to_string());
    }
    let rejoined = part.headers.iter().find_map(|h| {
        let key = match h.name {
            mail_parser::HeaderName::ContentDisposition => "filename",
            mail_parser::HeaderName::ContentType => "name",
            _ => return None,
        };
        let raw = msg.raw_message.get(h.offset_start as usize..h.offset_end as usize)?;
        rfc2231_continued(raw, key).or_else(|| rfc2047_joined(param_value(raw, key)?))
    });
    rejoined.or(parsed.map(str::to_string))
}

/// The value of `key=` in a raw header (quotes taken off).
fn param_value<'a>(raw: &'a [u8], key: &str) -> Option<&'a [u8]> {
    let text = std::str::from_utf8(raw).ok()?;
    text.split(';').find_map(|p| {
        let (name, value) = p.split_once('=')?;
        (name.trim().eq_ignore_ascii_case(key)).then(|| value.trim().trim_matches('"').as_bytes())
    })
}

/// A header's subject as the parser gives it, unless it lost characters: some mailers split
/// a GBK character between two encoded words (`=?GBK?B?…?= =?GBK?B?…?=`), which the parser
/// decodes one by one. Then the raw header is decoded here, adjacent words of one charset
/// joined before decoding.
fn subject_of(msg: &Message<'_>) -> String {
    let parsed = msg.subject().unwrap_or("").trim();
    if !parsed.contains('\u{FFFD}') {
        return parsed.to_string();
    }
    msg.headers()
        .iter()
        .find(|h| h.name == mail_parser::HeaderName::Subject)
        .and_then(|h| msg.raw_message.get(h.offset_start as usize..h.offset_end as usize))
        .and_then(rfc2047_joined)
        .unwrap_or_else(|| parsed.to_string())
}

/// RFC 2047 text decoded with adjacent encoded words of the same charset joined first, so that
/// a character split between two words comes out whole. None when nothing decodes cleanly.
fn rfc2047_joined(raw: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(raw).ok()?;
    let text: String = text.split(['\r', '\n']).collect::<Vec<_>>().join("");
    let mut out = String::new();
    // The pending run of words: their charset and bytes.
    let mut run: Option<(String, Vec<u8>)> = None;
    let flush = |run: &mut Option<(String, Vec<u8>)>, out: &mut String| -> Option<()> {
        if let Some((charset, bytes)) = run.take() {
            let enc = encoding_rs::Encoding::for_label(charset.as_bytes())?;
            let enc = if enc == encoding_rs::GBK { encoding_rs::GB18030 } else { enc };
            out.push_str(&enc.decode_without_bom_handling_and_without_replacement(&bytes)?);
        }
        Some(())
    };
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let word = rest.find("=?").and_then(|at| {
            let inner = &rest[at + 2..];
            let mut parts = inner.splitn(3, '?');
            let (charset, kind, tail) = (parts.next()?, parts.next()?, parts.next()?);
            let end = tail.find("?=")?;
            Some((at, charset, kind, &tail[..end], at + 2 + charset.len() + kind.len() + 2 + end + 2))
        });
        let Some((at, charset, kind, payload, len)) = word else {
            flush(&mut run, &mut out)?;
            out.push_str(rest);
            break;
        };
        let between = &rest[..at];
        if !(between.trim().is_empty() && run.is_some()) {
            flush(&mut run, &mut out)?;
            out.push_str(between);
        }
        let bytes = match kind {
            "B" | "b" => mail_parser::decoders::base64::base64_decode(payload.as_bytes())?,
            "Q" | "q" => mail_parser::decoders::quoted_printable::quoted_printable_decode(payload.replace('_', " ").as_bytes())?,
            _ => return None,
        };
        let charset = charset.split('*').next().unwrap_or(charset).to_ascii_lowercase();
        match &mut run {
            Some((c, b)) if *c == charset => b.extend(bytes),
            _ => {
                flush(&mut run, &mut out)?;
                run = Some((charset, bytes));
            }
        }
        rest = &rest[len..];
    }
    flush(&mut run, &mut out)?;
    Some(out.trim().to_string())
}

/// The parameter `key` of a raw header value given in RFC 2231 continuations, joined: the
/// charset from the first piece, the percent-encoded pieces' bytes and the plain pieces' text
/// put together, then decoded once. None when there are no such pieces or they do not decode.
fn rfc2231_continued(raw: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut pieces: Vec<(u32, bool, &str)> = Vec::new();
    for param in text.split(';') {
        let Some((name, value)) = param.split_once('=') else { continue };
        let Some(rest) = name.trim().strip_prefix(key).and_then(|r| r.strip_prefix('*')) else {
            continue;
        };
        let (number, encoded) = match rest.strip_suffix('*') {
            Some(n) => (n, true),
            None => (rest, false),
        };
        let Ok(n) = number.parse::<u32>() else { continue };
        pieces.push((n, encoded, value.trim().trim_matches('"')));
    }
    pieces.sort_by_key(|p| p.0);
    if pieces.first()?.0 != 0 {
        return None;
    }
    let mut charset = "utf-8";
    let mut bytes = Vec::new();
    for (n, encoded, value) in pieces {
        if !encoded {
            bytes.extend_from_slice(value.as_bytes());
            continue;
        }
        let value = if n == 0 {
            let mut p = value.splitn(3, '\'');
            let (cs, _lang, v) = (p.next()?, p.next()?, p.next()?);
            charset = cs;
            v
        } else {
            value
        };
        bytes.extend(percent_encoding::percent_decode_str(value));
    }
    let encoding = encoding_rs::Encoding::for_label(charset.trim().as_bytes())?;
    // GB2312 and GBK names are read as GB18030, their superset (as mail clients do).
    let encoding = if encoding == encoding_rs::GBK { encoding_rs::GB18030 } else { encoding };
    let name = encoding.decode_without_bom_handling_and_without_replacement(&bytes)?;
    Some(name.trim().to_string()).filter(|n| !n.is_empty())
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
        let name = part_name(msg, part).unwrap_or_else(|| format!("附件{}", i + 1));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(s: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(s).0.into_owned()
    }

    /// The names of a message's attachments, handed in or not.
    fn names(inc: &Incoming) -> Vec<&str> {
        inc.sheets
            .iter()
            .map(|s| s.name.as_str())
            .chain(inc.skipped.iter().map(|s| s.name.as_str()))
            .collect()
    }

    /// A message with a raw GBK subject and a raw GBK file name in a part's header, and a GBK
    /// body line (declared) that must not be touched.
    fn raw_gbk_message() -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(b"From: a@b.example\r\nSubject: ");
        m.extend_from_slice(&gbk("兰山区10月报表"));
        m.extend_from_slice(b"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n\tboundary=\"zz\"\r\n\r\n");
        m.extend_from_slice(b"--zz\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        m.extend_from_slice(&gbk("请查收"));
        m.extend_from_slice(b"\r\n-- \r\n");
        m.extend_from_slice(&gbk("王芳"));
        m.extend_from_slice(b"\r\n--zz\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"");
        m.extend_from_slice(&gbk("兰山区.xlsx"));
        m.extend_from_slice(b"\"\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--zz--\r\n");
        m
    }

    #[test]
    fn raw_gbk_in_headers_is_read_and_bodies_are_left_alone() {
        let raw = raw_gbk_message();
        let inc = read_message(&raw, &Limits::default()).unwrap();
        assert_eq!(inc.subject, "兰山区10月报表");
        let got = names(&inc);
        assert_eq!(got, ["兰山区.xlsx"], "{:?}", inc.skipped);
        // The declared GBK body is decoded by its charset, its signature lines untouched.
        assert!(inc.text.starts_with("请查收"), "{:?}", inc.text);
        let fixed = undeclared_gbk(&raw);
        assert!(fixed.windows(gbk("王芳").len()).any(|w| w == gbk("王芳").as_slice()));
        // The key does not depend on the rewriting.
        assert!(inc.key.starts_with("headers:"));
        assert_eq!(inc.key, read_message(&raw, &Limits::default()).unwrap().key);
    }

    #[test]
    fn utf8_messages_are_not_copied() {
        let m = b"From: a@b.example\r\nSubject: =?GBK?B?saix7Q==?=\r\n\r\nhi\r\n";
        assert!(matches!(undeclared_gbk(m), std::borrow::Cow::Borrowed(_)));
        assert_eq!(read_message(m, &Limits::default()).unwrap().subject, "报表");
    }

    #[test]
    fn rfc2231_continuations_in_gbk_join_up() {
        let pct = |s: &str| gbk(s).iter().map(|b| format!("%{b:02X}")).collect::<String>();
        let m = format!(
            "From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\
             Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n filename*0*=GBK''{};\r\n filename*1*={}\r\n\
             Content-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--q--\r\n",
            pct("兰山区2026年"),
            pct("10月.xlsx")
        );
        let inc = read_message(m.as_bytes(), &Limits::default()).unwrap();
        let got = names(&inc);
        assert_eq!(got, ["兰山区2026年10月.xlsx"]);
        // A piece boundary inside a character: its two bytes are joined before decoding.
        let bytes = gbk("罗庄区.xlsx");
        let hex = |b: &[u8]| b.iter().map(|b| format!("%{b:02X}")).collect::<String>();
        let m = m.replace(&pct("兰山区2026年"), &hex(&bytes[..3])).replace(&pct("10月.xlsx"), &hex(&bytes[3..]));
        let inc = read_message(m.as_bytes(), &Limits::default()).unwrap();
        let got = names(&inc);
        assert_eq!(got, ["罗庄区.xlsx"]);
    }

    #[test]
    fn a_character_split_between_encoded_words_comes_out_whole() {
        let b64 = |b: &[u8]| {
            let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut out = String::new();
            for c in b.chunks(3) {
                let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
                for i in 0..4 {
                    out.push(if i <= c.len() {
                        table[(n >> (18 - 6 * i) & 63) as usize] as char
                    } else {
                        '='
                    });
                }
            }
            out
        };
        let bytes = gbk("兰山区报表");
        let subject = format!(
            "=?GBK?B?{}?=\r\n =?GBK?B?{}?= =?UTF-8?Q?_=E5=B7=B2=E6=94=B6?=",
            b64(&bytes[..3]),
            b64(&bytes[3..])
        );
        let m = format!("From: a@b.example\r\nSubject: {subject}\r\n\r\nhi\r\n");
        assert_eq!(read_message(m.as_bytes(), &Limits::default()).unwrap().subject, "兰山区报表 已收");
        // A file name given the same way.
        let name = format!(
            "=?GBK?B?{}?= =?GBK?B?{}?=",
            b64(&gbk("罗庄")[..1]),
            b64(&[&gbk("罗庄")[1..], &gbk("区.xlsx")[..]].concat())
        );
        let m = format!(
            "From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\
             Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--q--\r\n"
        );
        let inc = read_message(m.as_bytes(), &Limits::default()).unwrap();
        let got = names(&inc);
        assert_eq!(got, ["罗庄区.xlsx"]);
    }
}
