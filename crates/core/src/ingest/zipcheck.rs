//! Zip-based files (xlsx, xlsm, xlsb, ods, and whatever else counties zip up): which one it is,
//! and whether its parts inflate within the limits. Every part is inflated once here, counting
//! bytes, before a reader opens it: a declared size can lie, the inflated bytes cannot.

use super::reject::{Foreign, Unreadable};
use super::{Budget, Format};
use crate::limits::Limit;
use std::io::{Cursor, Read};

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// The parts of a small archive as inflated while it was checked, so that its readers need not
/// inflate them again: (name, bytes) in archive order.
pub type Parts = Vec<(String, Vec<u8>)>;

/// Archives whose parts inflate to at most this many bytes in all keep them (see [`Parts`]):
/// a county's workbook inflates to a few hundred kilobytes.
pub const KEEP_BYTES: u64 = 16 << 20;

/// What a zip holds, checked against the inflation limits; a spreadsheet small enough leaves its
/// inflated parts in `keep`.
pub fn classify_keeping(bytes: &[u8], budget: &Budget, keep: &mut Option<Parts>) -> Result<Format, Unreadable> {
    let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => return Err(unopened(bytes, &e)),
    };
    let names: Vec<String> = zip.file_names().filter_map(|n| n.ok().map(|n| n.to_string())).collect();
    let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
    let format = if has("xl/workbook.xml") {
        Format::Xlsx
    } else if has("xl/workbook.bin") {
        Format::Xlsb
    } else {
        let mimetype = small_entry(&mut zip, "mimetype").unwrap_or_default();
        if mimetype.trim() == "application/vnd.oasis.opendocument.spreadsheet" || (mimetype.is_empty() && has("content.xml")) {
            Format::Ods
        } else {
            let kind = if has("word/document.xml") || mimetype.contains("opendocument.text") {
                Foreign::Word
            } else if has("ppt/presentation.xml") || mimetype.contains("opendocument.presentation") {
                Foreign::Presentation
            } else if has("OFD.xml") {
                Foreign::Ofd
            } else {
                let shown: Vec<String> = names
                    .iter()
                    .filter(|n| !n.ends_with('/'))
                    .map(|n| n.rsplit('/').next().unwrap_or(n).to_string())
                    .take(5)
                    .collect();
                Foreign::Zip(shown)
            };
            return Err(Unreadable::NotSpreadsheet { kind });
        }
    };
    check_inflation(&mut zip, format, budget, keep)?;
    Ok(format)
}

/// The archive could not be opened: cut short (no end record) or damaged otherwise.
fn unopened(bytes: &[u8], e: &zip::result::ZipError) -> Unreadable {
    let tail = &bytes[bytes.len().saturating_sub(65_557)..];
    let has_end = tail.windows(4).any(|w| w == b"PK\x05\x06");
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    let format = if contains(b"opendocument.spreadsheet") {
        Format::Ods
    } else if contains(b"xl/workbook.bin") {
        Format::Xlsb
    } else if contains(b"word/document.xml") {
        return Unreadable::NotSpreadsheet { kind: Foreign::Word };
    } else {
        Format::Xlsx
    };
    let detail = e.to_string();
    if has_end {
        Unreadable::Damaged { format, detail }
    } else {
        Unreadable::Truncated { format, detail }
    }
}

/// A short part read whole (at most 1 KB), such as ODF's `mimetype`.
fn small_entry(zip: &mut Archive<'_>, name: &str) -> Option<String> {
    let f = zip.by_name(name).ok()?;
    let mut s = String::new();
    f.take(1024).read_to_string(&mut s).ok()?;
    Some(s)
}

fn check_inflation(zip: &mut Archive<'_>, format: Format, budget: &Budget, keep: &mut Option<Parts>) -> Result<(), Unreadable> {
    let limits = budget.limits;
    let over = |limit: Limit, n: u64| Unreadable::OverLimit {
        limit,
        found: Some(super::reject::megabytes(n)),
    };
    let broken = |e: &std::io::Error| {
        let detail = e.to_string();
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Unreadable::Truncated { format, detail }
        } else {
            Unreadable::Damaged { format, detail }
        }
    };
    // Declared sizes first: an honest bomb is refused without inflating anything.
    let mut declared = 0u64;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|e| Unreadable::Damaged { format, detail: e.to_string() })?;
        if f.encrypted() {
            return Err(Unreadable::Encrypted);
        }
        if f.size() > limits.entry_bytes() {
            return Err(over(Limit::EntryInflated, f.size()));
        }
        declared = declared.saturating_add(f.size());
    }
    if declared > limits.inflated_bytes() {
        return Err(over(Limit::TotalInflated, declared));
    }
    let keep_bytes = budget.keep_bytes;
    let mut kept: Option<Parts> = (declared <= keep_bytes).then(Vec::new);
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    for i in 0..zip.len() {
        let mut f = match zip.by_index(i) {
            Ok(f) => f,
            Err(zip::result::ZipError::Io(e)) => return Err(broken(&e)),
            Err(e) => {
                return Err(Unreadable::Damaged { format, detail: e.to_string() });
            }
        };
        let exact = f.name().map(|n| n.into_owned()).unwrap_or_default();
        let name = exact.to_lowercase();
        let shared = name == "xl/sharedstrings.xml";
        let mut part = kept.as_ref().map(|_| Vec::with_capacity(f.size().min(keep_bytes) as usize));
        let mut strings = Counter::new(b"<si>");
        let mut strings_attr = Counter::new(b"<si ");
        let mut entry = 0u64;
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(broken(&e)),
            };
            entry += n as u64;
            total += n as u64;
            if entry > limits.entry_bytes() {
                return Err(over(Limit::EntryInflated, entry));
            }
            if total > limits.inflated_bytes() {
                return Err(over(Limit::TotalInflated, total));
            }
            // The sizes lied: past what may be kept, nothing is.
            if total > keep_bytes {
                part = None;
                kept = None;
            }
            if let Some(p) = part.as_mut() {
                p.extend_from_slice(&buf[..n]);
            }
            if shared {
                strings.feed(&buf[..n]);
                strings_attr.feed(&buf[..n]);
                // Each shared string is kept in memory by the reader: more of them than cells
                // allowed is a file built to exhaust memory.
                if strings.count + strings_attr.count > limits.cells {
                    return Err(Unreadable::OverLimit {
                        limit: Limit::Cells,
                        found: Some(format!("共享字符串超过 {} 个", limits.cells)),
                    });
                }
            }
            budget.check_time()?;
        }
        if let (Some(k), Some(p)) = (kept.as_mut(), part)
            && !exact.ends_with('/')
        {
            k.push((exact, p));
        }
    }
    *keep = kept;
    Ok(())
}

/// Counts occurrences of a short pattern across chunk boundaries.
struct Counter {
    pat: &'static [u8],
    carry: Vec<u8>,
    count: u64,
}

impl Counter {
    fn new(pat: &'static [u8]) -> Counter {
        Counter {
            pat,
            carry: Vec::new(),
            count: 0,
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        let k = self.pat.len();
        // Matches that straddle the previous chunk's end.
        let mut joined = std::mem::take(&mut self.carry);
        joined.extend_from_slice(&chunk[..chunk.len().min(k - 1)]);
        self.count += memchr::memmem::find_iter(&joined, self.pat).count() as u64;
        self.count += memchr::memmem::find_iter(chunk, self.pat).count() as u64;
        self.carry = chunk[chunk.len().saturating_sub(k - 1)..].to_vec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn counter_sees_across_chunks() {
        let mut c = Counter::new(b"<si>");
        c.feed(b"aa<s");
        c.feed(b"i><si>x<");
        c.feed(b"si>");
        assert_eq!(c.count, 3);
    }

    #[test]
    fn what_a_zip_holds() {
        let b = Budget::new(Limits::default());
        let docx = zip_of(&[("word/document.xml", b"<w/>")]);
        assert_eq!(
            classify_keeping(&docx, &b, &mut None).unwrap_err(),
            Unreadable::NotSpreadsheet { kind: Foreign::Word }
        );
        let other = zip_of(&[("兰山区.xlsx", b"PK"), ("说明.txt", b"x")]);
        assert_eq!(
            classify_keeping(&other, &b, &mut None).unwrap_err(),
            Unreadable::NotSpreadsheet {
                kind: Foreign::Zip(vec!["兰山区.xlsx".into(), "说明.txt".into()])
            }
        );
        let ods = zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", b"<x/>")]);
        assert_eq!(classify_keeping(&ods, &b, &mut None).unwrap(), Format::Ods);
    }

    #[test]
    fn inflation_is_bounded_per_entry_and_in_total() {
        let zeros = vec![0u8; 3 << 20];
        let one = zip_of(&[("xl/workbook.xml", b"<w/>"), ("xl/worksheets/sheet1.xml", &zeros)]);
        let small = Budget::new(Limits {
            entry_mb: 2,
            ..Limits::default()
        });
        assert!(matches!(
            classify_keeping(&one, &small, &mut None).unwrap_err(),
            Unreadable::OverLimit {
                limit: Limit::EntryInflated,
                ..
            }
        ));
        let two = zip_of(&[("xl/workbook.xml", b"<w/>"), ("a.xml", &zeros), ("b.xml", &zeros)]);
        let total = Budget::new(Limits {
            inflated_mb: 5,
            ..Limits::default()
        });
        assert!(matches!(
            classify_keeping(&two, &total, &mut None).unwrap_err(),
            Unreadable::OverLimit {
                limit: Limit::TotalInflated,
                ..
            }
        ));
        assert_eq!(classify_keeping(&two, &Budget::new(Limits::default()), &mut None).unwrap(), Format::Xlsx);
    }

    #[test]
    fn a_cut_zip_is_truncated() {
        let z = zip_of(&[("xl/workbook.xml", b"<workbook/>"), ("xl/worksheets/sheet1.xml", &[b'x'; 5000])]);
        let cut = &z[..z.len() / 2];
        assert!(matches!(
            classify_keeping(cut, &Budget::new(Limits::default()), &mut None).unwrap_err(),
            Unreadable::Truncated { format: Format::Xlsx, .. }
        ));
    }
}
