//! What a file really is, from its bytes: counties rename files, web systems export HTML as
//! `.xls`, Excel saves "Unicode 文本" as UTF-16 with tabs. Magic numbers first, then the parts
//! inside a zip or an Office compound file, then text.

use super::reject::{Foreign, Unreadable};
use super::{Budget, zipcheck};
use serde::{Deserialize, Serialize};
use std::io::Cursor;

/// How text was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Utf8,
    Gb18030,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Gb18030 => "GBK/GB18030",
            Encoding::Utf16Le | Encoding::Utf16Be => "UTF-16",
        }
    }
}

/// A format this program reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Xlsx,
    Xlsb,
    Xls,
    Ods,
    Html(Encoding),
    Csv(Encoding),
    Tsv(Encoding),
}

/// Formats that extensions promise; two formats of one family read alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Ooxml,
    Xlsb,
    Xls,
    Ods,
    Html,
    Text,
}

impl Format {
    /// The format in words, for messages: `Excel 工作簿（xlsx）`.
    pub fn label(self) -> String {
        match self {
            Format::Xlsx => "Excel 工作簿（xlsx）".into(),
            Format::Xlsb => "Excel 二进制工作簿（xlsb）".into(),
            Format::Xls => "Excel 97-2003 工作簿（xls）".into(),
            Format::Ods => "OpenDocument 表格（ods）".into(),
            Format::Html(_) => "网页文件（HTML 表格）".into(),
            Format::Csv(e) => format!("逗号分隔的文本（CSV，{} 编码）", e.label()),
            Format::Tsv(e) => format!("制表符分隔的文本（如 Excel 另存的“Unicode 文本”，{} 编码）", e.label()),
        }
    }

    /// A short key for JSON consumers.
    pub fn key(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Xlsb => "xlsb",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Html(_) => "html",
            Format::Csv(_) => "csv",
            Format::Tsv(_) => "tsv",
        }
    }

    fn family(self) -> Family {
        match self {
            Format::Xlsx => Family::Ooxml,
            Format::Xlsb => Family::Xlsb,
            Format::Xls => Family::Xls,
            Format::Ods => Family::Ods,
            Format::Html(_) => Family::Html,
            Format::Csv(_) | Format::Tsv(_) => Family::Text,
        }
    }

    /// Whether a file named with extension `ext` would be expected to hold this format; None
    /// when the extension promises nothing (no extension, or one we do not list).
    pub fn matches_extension(self, ext: &str) -> Option<bool> {
        let family = match ext.to_lowercase().as_str() {
            "xlsx" | "xlsm" => Family::Ooxml,
            "xlsb" => Family::Xlsb,
            "xls" => Family::Xls,
            "ods" => Family::Ods,
            "htm" | "html" => Family::Html,
            "csv" | "tsv" | "txt" => Family::Text,
            _ => return None,
        };
        Some(family == self.family())
    }
}

const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// Decides what `bytes` hold, or why they cannot be read. Zip-based files are checked against
/// the inflation limits here, before any reader opens them.
pub fn sniff(bytes: &[u8], budget: &Budget) -> Result<Format, Unreadable> {
    sniff_keeping(bytes, budget, &mut None)
}

/// As [`sniff`]; a small zip-based spreadsheet leaves its inflated parts in `keep` (see
/// `zipcheck::Parts`).
pub fn sniff_keeping(bytes: &[u8], budget: &Budget, keep: &mut Option<super::zipcheck::Parts>) -> Result<Format, Unreadable> {
    let starts = |m: &[u8]| bytes.starts_with(m);
    let foreign = |kind: Foreign| Err(Unreadable::NotSpreadsheet { kind });
    if starts(CFB_MAGIC) {
        return compound(bytes);
    }
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        return zipcheck::classify_keeping(bytes, budget, keep);
    }
    if starts(b"%PDF") {
        return foreign(Foreign::Pdf);
    }
    let image = |name: &str| foreign(Foreign::Image(name.into()));
    if starts(b"\x89PNG\r\n\x1a\n") {
        return image("PNG");
    }
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return image("JPEG");
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return image("GIF");
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return image("TIFF");
    }
    if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        return image("WebP");
    }
    if bytes.len() >= 6 && starts(b"BM") && u32::from_le_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]) as usize == bytes.len() {
        return image("BMP");
    }
    if starts(b"Rar!\x1a\x07") {
        return foreign(Foreign::Archive("RAR".into()));
    }
    if starts(&[b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C]) {
        return foreign(Foreign::Archive("7-Zip".into()));
    }
    if starts(&[0x1F, 0x8B]) {
        return foreign(Foreign::Archive("gzip".into()));
    }
    text(bytes)
}

/// An Office compound file: an .xls workbook, an encrypted OOXML package (which Office wraps
/// in a compound file), or a Word/PowerPoint 97 document.
fn compound(bytes: &[u8]) -> Result<Format, Unreadable> {
    let cf = match cfb::CompoundFile::open(Cursor::new(bytes)) {
        Ok(cf) => cf,
        Err(e) => {
            // Sectors are 512 or 4096 bytes; a file that ends mid-sector was cut short.
            let kind = if !bytes.len().is_multiple_of(512) {
                Unreadable::Truncated {
                    format: Format::Xls,
                    detail: e.to_string(),
                }
            } else {
                Unreadable::Damaged {
                    format: Format::Xls,
                    detail: e.to_string(),
                }
            };
            return Err(kind);
        }
    };
    let names: Vec<String> = cf.walk().map(|e| e.name().to_string()).collect();
    let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
    if has("EncryptionInfo") || has("EncryptedPackage") {
        return Err(Unreadable::Encrypted);
    }
    if has("Workbook") || has("Book") {
        return Ok(Format::Xls);
    }
    if has("WordDocument") {
        return Err(Unreadable::NotSpreadsheet { kind: Foreign::Word });
    }
    if has("PowerPoint Document") {
        return Err(Unreadable::NotSpreadsheet { kind: Foreign::Presentation });
    }
    Err(Unreadable::NotSpreadsheet { kind: Foreign::OtherOffice })
}

/// How text bytes are encoded: a BOM says so; otherwise UTF-8 when valid, else GB18030 (what
/// Excel and WPS write on Chinese Windows). None when the bytes are not text at all.
pub fn text_encoding(bytes: &[u8]) -> Option<Encoding> {
    if bytes.starts_with(&[0xFF, 0xFE]) {
        return Some(Encoding::Utf16Le);
    }
    if bytes.starts_with(&[0xFE, 0xFF]) {
        return Some(Encoding::Utf16Be);
    }
    // NUL and most other control bytes never occur in text a person typed.
    let controls = bytes
        .iter()
        .take(1 << 16)
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1A))
        .count();
    if controls > 0 {
        return None;
    }
    if std::str::from_utf8(bytes).is_ok() {
        return Some(Encoding::Utf8);
    }
    let (_, _, errors) = encoding_rs::GB18030.decode(bytes);
    (!errors).then_some(Encoding::Gb18030)
}

/// An HTML page's declared charset, from `<meta charset=…>` or `content="…; charset=…"`.
fn declared_charset(bytes: &[u8]) -> Option<Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let at = lower.windows(8).position(|w| w == b"charset=")? + 8;
    let label: Vec<u8> = lower[at..]
        .iter()
        .skip_while(|b| matches!(b, b'"' | b'\'' | b' '))
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        .copied()
        .collect();
    let enc = encoding_rs::Encoding::for_label(&label)?;
    if enc == encoding_rs::UTF_8 {
        Some(Encoding::Utf8)
    } else if enc == encoding_rs::GBK || enc == encoding_rs::GB18030 {
        Some(Encoding::Gb18030)
    } else {
        None
    }
}

fn text(bytes: &[u8]) -> Result<Format, Unreadable> {
    let Some(enc) = text_encoding(bytes) else {
        return Err(Unreadable::NotSpreadsheet { kind: Foreign::Unknown });
    };
    let head_bytes = &bytes[..bytes.len().min(1 << 16)];
    let head = super::text::decode_with(head_bytes, enc);
    let lower = head.trim_start_matches('\u{FEFF}').trim_start().to_lowercase();
    if lower.contains("urn:schemas-microsoft-com:office:spreadsheet") && lower.contains("<workbook") {
        return Err(Unreadable::NotSpreadsheet { kind: Foreign::Excel2003Xml });
    }
    let html_start = ["<!doctype html", "<html", "<table", "<meta", "<head", "<body", "<style", "<title"]
        .iter()
        .any(|p| lower.starts_with(p));
    let has_table = lower.contains("<table");
    if html_start || (has_table && (lower.contains("<tr") || lower.contains("<td"))) {
        if !has_table && !super::text::decode_with(bytes, enc).to_lowercase().contains("<table") {
            return Err(Unreadable::NotSpreadsheet {
                kind: Foreign::HtmlWithoutTable,
            });
        }
        // A page's own declaration wins over guessing, unless a BOM said otherwise.
        let declared = match enc {
            Encoding::Utf16Le | Encoding::Utf16Be => None,
            _ if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) => None,
            _ => declared_charset(bytes),
        };
        return Ok(Format::Html(declared.unwrap_or(enc)));
    }
    // Tab-separated when tabs outnumber commas in the first lines (Excel's 文本 and Unicode 文本).
    let (mut tabs, mut commas) = (0usize, 0usize);
    for line in head.lines().take(50) {
        tabs += line.matches('\t').count();
        commas += line.matches(',').count();
    }
    Ok(if tabs > 0 && tabs >= commas { Format::Tsv(enc) } else { Format::Csv(enc) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    fn s(bytes: &[u8]) -> Result<Format, Unreadable> {
        sniff(bytes, &Budget::new(Limits::default()))
    }

    fn foreign(bytes: &[u8]) -> Foreign {
        match s(bytes) {
            Err(Unreadable::NotSpreadsheet { kind }) => kind,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn magic_numbers() {
        assert_eq!(foreign(b"%PDF-1.7\n..."), Foreign::Pdf);
        assert_eq!(foreign(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Foreign::Image("PNG".into()));
        assert_eq!(
            foreign(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F']),
            Foreign::Image("JPEG".into())
        );
        assert_eq!(foreign(b"Rar!\x1a\x07\x01\0"), Foreign::Archive("RAR".into()));
        assert_eq!(foreign(&[0, 1, 2, 3, 0xFF, 0]), Foreign::Unknown);
    }

    #[test]
    fn text_kinds() {
        assert_eq!(s("地区,1,2\n兰山区,3,4\n".as_bytes()).unwrap(), Format::Csv(Encoding::Utf8));
        assert_eq!(s("地区\t1\t2\n".as_bytes()).unwrap(), Format::Tsv(Encoding::Utf8));
        let (gbk, _, _) = encoding_rs::GBK.encode("地区,1\n兰山区,2\n");
        assert_eq!(s(&gbk).unwrap(), Format::Csv(Encoding::Gb18030));
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "地区\t1\t2\r\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(s(&utf16).unwrap(), Format::Tsv(Encoding::Utf16Le));
        assert_eq!(
            s(b"<html><head><meta charset=\"gbk\"></head><body><table><tr><td>1</td></tr></table></body></html>").unwrap(),
            Format::Html(Encoding::Gb18030)
        );
        assert_eq!(foreign(b"<!DOCTYPE html><html><body><p>hello</p></body></html>"), Foreign::HtmlWithoutTable);
        assert_eq!(
            foreign(b"<?xml version=\"1.0\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\">"),
            Foreign::Excel2003Xml
        );
    }

    #[test]
    fn extension_families() {
        assert_eq!(Format::Html(Encoding::Utf8).matches_extension("XLS"), Some(false));
        assert_eq!(Format::Xlsx.matches_extension("xlsm"), Some(true));
        assert_eq!(Format::Tsv(Encoding::Utf16Le).matches_extension("txt"), Some(true));
        assert_eq!(Format::Csv(Encoding::Utf8).matches_extension("dat"), None);
    }
}
