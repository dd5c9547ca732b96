//! Reading what counties hand in into sparse grids with absolute cell positions, and finding the
//! form's table inside them. The content decides how a file is read, not its extension:
//! `sniff` tells Excel (xlsx, xlsm, xlsb, xls), OpenDocument, HTML tables and delimited text
//! apart from everything else, `reject` says in plain Chinese why a file cannot be read, and
//! every reader works under the `Limits` (size, inflation, cells, time; memory in `isolate`).

mod book;
mod html;
pub mod isolate;
mod layout;
mod locate;
mod plain;
pub mod reject;
mod sheets;
pub mod sniff;
mod text;
mod zipcheck;

pub use book::{Book, Cell, Grid, Value};
pub use locate::{FormSheet, HeaderText, HeaderTextKind, RawRow, TableArea, TableLoc, extract, find_tables};
pub use reject::Unreadable;
pub use sniff::Format;
pub use text::decode_text;

use crate::limits::{Limit, Limits};
use std::io::Read;
use std::path::Path;
use std::time::Instant;

/// Extensions read from a directory, lower case: the spreadsheet formats (WPS Office's own `.et`
/// and `.ett` template among them: the content decides how they are read), the text exports of
/// Excel and web systems, and HTML tables saved from a browser.
pub const EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xlsb", "xls", "et", "ett", "ods", "csv", "tsv", "txt", "htm", "html"];

/// Whether a directory entry is one the batch reads: a readable extension, not an Office lock
/// file (`~$兰山区.xlsx`) nor a hidden file.
pub fn is_supported(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    !name.starts_with("~$") && !name.starts_with('.') && has_readable_extension(path)
}

pub fn has_readable_extension(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| EXTENSIONS.contains(&e.to_string_lossy().to_lowercase().as_str()))
}

/// A file read and understood: its sheets and what it really was.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub book: Book,
    pub format: Format,
}

/// Reads the bytes of the file at `path`: a regular file (or a link to one), no larger than the
/// limits, read at most up to the byte limit however long the file says it is.
pub fn load(path: &Path, limits: &Limits) -> Result<Vec<u8>, Unreadable> {
    use std::io::ErrorKind;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            // A link whose target is gone still exists itself.
            return Err(if std::fs::symlink_metadata(path).is_ok() {
                Unreadable::DanglingLink
            } else {
                Unreadable::Missing
            });
        }
        Err(e) => return Err(Unreadable::Io { detail: e.to_string() }),
    };
    if !meta.is_file() {
        return Err(Unreadable::NotRegular {
            kind: reject::Special::of(&meta.file_type()),
        });
    }
    if meta.len() > limits.file_bytes() {
        return Err(Unreadable::OverLimit {
            limit: Limit::FileSize,
            found: Some(reject::megabytes(meta.len())),
        });
    }
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => Unreadable::Missing,
        _ => Unreadable::Io { detail: e.to_string() },
    })?;
    let cap = limits.read_bytes().min(limits.file_bytes());
    let mut bytes = Vec::with_capacity(meta.len().min(cap) as usize);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Unreadable::Io { detail: e.to_string() })?;
    if bytes.len() as u64 > cap {
        let limit = if cap == limits.file_bytes() { Limit::FileSize } else { Limit::BytesRead };
        return Err(Unreadable::OverLimit {
            limit,
            found: Some(format!("读到 {} 仍未结束", reject::megabytes(bytes.len() as u64))),
        });
    }
    if bytes.is_empty() {
        return Err(Unreadable::Empty);
    }
    Ok(bytes)
}

/// When reading must stop, checked in the readers' loops so a slow file costs only its budget.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub limits: Limits,
    deadline: Instant,
    /// Archives whose parts inflate to at most this many bytes in all keep them, inflated, for
    /// their reader (see [`zipcheck::KEEP_BYTES`]).
    pub keep_bytes: u64,
}

impl Budget {
    pub fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            deadline: Instant::now() + limits.time(),
            keep_bytes: zipcheck::KEEP_BYTES,
        }
    }

    pub fn check_time(&self) -> Result<(), Unreadable> {
        if Instant::now() > self.deadline {
            Err(Unreadable::over(Limit::Time))
        } else {
            Ok(())
        }
    }

    /// Refuses the `n`th cell when it is one too many.
    pub fn check_cells(&self, n: u64) -> Result<(), Unreadable> {
        if n > self.limits.cells {
            return Err(Unreadable::over(Limit::Cells));
        }
        if n.is_multiple_of(4096) {
            self.check_time()?;
        }
        Ok(())
    }
}

/// Files no larger than this may be read in this process rather than by a reader (see
/// [`read_plain_here`]); a county's monthly workbook is some tens of kilobytes.
pub const IN_PROCESS_BYTES: usize = 1 << 20;

/// What a file read in this process may inflate to, each part and all together (MB).
const IN_PROCESS_INFLATED_MB: u64 = 4;

/// Reads a small, plain xlsx in this process: its parts inflated under tighter limits, its
/// sheets by the plain reader, whose work and memory are bounded by those bytes. None for every
/// other file, and for any file this path has doubts about: a reader process then reads it and
/// gives the verdict, exactly as before.
pub fn read_plain_here(bytes: &[u8], limits: &Limits) -> Option<Loaded> {
    read_plain_within(bytes, limits, IN_PROCESS_BYTES, IN_PROCESS_INFLATED_MB)
}

/// A county's register read in this process (see [`read_plain_here`]) up to this size: a plain
/// xlsx of a hundred thousand persons or more (whose sheet inflates to some 65 MB). Its cells
/// are bounded by the register's limits, and what it inflates to (and the text it builds) by
/// [`REGISTER_IN_PROCESS_INFLATED_MB`].
pub const REGISTER_IN_PROCESS_BYTES: usize = 32 << 20;

/// What a register read in this process may inflate to (MB).
pub const REGISTER_IN_PROCESS_INFLATED_MB: u64 = 256;

/// [`read_plain_here`] with the caps given: files up to `max_bytes`, inflating to at most
/// `inflated_mb` each part and all together.
pub fn read_plain_within(bytes: &[u8], limits: &Limits, max_bytes: usize, inflated_mb: u64) -> Option<Loaded> {
    if bytes.len() > max_bytes || !bytes.starts_with(b"PK\x03\x04") {
        return None;
    }
    let tight = Limits {
        entry_mb: limits.entry_mb.min(inflated_mb),
        inflated_mb: limits.inflated_mb.min(inflated_mb),
        ..*limits
    };
    // What is read here is all inflated first (within the caps above).
    let budget = Budget {
        keep_bytes: inflated_mb << 20,
        ..Budget::new(tight)
    };
    let mut parts = None;
    let format = sniff::sniff_keeping(bytes, &budget, &mut parts).ok()?;
    let parts = parts.filter(|_| format == Format::Xlsx)?;
    let mut book = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| plain::read(&parts, &budget))).ok()??;
    for g in &mut book.sheets {
        g.finish();
    }
    Some(Loaded { book, format })
}

/// For the differential fuzz target: a workbook made of the given sheet XML and shared strings
/// read by the plain reader and by calamine. Some(difference) when the plain reader answered
/// and calamine disagrees; None when they agree or the plain reader left it to calamine.
#[doc(hidden)]
pub fn plain_differs(sheet: &[u8], shared_strings: &[u8]) -> Option<String> {
    let parts = plain::package(sheet, shared_strings);
    let budget = Budget::new(Limits::default());
    let mut ours = plain::read(&parts, &budget)?;
    // calamine's own arithmetic overflows (checked in the fuzz build, wrapping in a release
    // build) are its business: nothing to compare.
    let theirs = std::panic::catch_unwind(|| sheets::read_calamine(Format::Xlsx, &[], Some(parts), &budget)).ok()?;
    let mut theirs = match theirs {
        Ok(b) => b,
        Err(e) => return Some(format!("calamine refused what the plain reader read: {e:?}")),
    };
    for g in ours.sheets.iter_mut().chain(theirs.sheets.iter_mut()) {
        g.finish();
    }
    let shape = |b: &Book| {
        b.sheets
            .iter()
            .map(|g| {
                (
                    g.name.clone(),
                    g.iter().map(|(p, c)| (*p, c.clone())).collect::<Vec<_>>(),
                    g.merges.clone(),
                    g.hidden_rows.clone(),
                    g.hidden_cols.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let (a, b) = (shape(&ours), shape(&theirs));
    (a != b).then(|| format!("plain {a:?}\ncalamine {b:?}"))
}

/// Reads a file's bytes in this process. `name` is the file name as handed in: its extension
/// is compared with what the content turns out to be, and a CSV sheet takes its stem as name.
pub fn read_bytes(name: &str, bytes: &[u8], limits: &Limits) -> Result<Loaded, Unreadable> {
    read_cow(name, std::borrow::Cow::Borrowed(bytes), limits)
}

/// As [`read_bytes`], taking the bytes: text is decoded in place of them rather than beside
/// them, which halves the memory a large text file needs.
pub fn read_owned(name: &str, bytes: Vec<u8>, limits: &Limits) -> Result<Loaded, Unreadable> {
    read_cow(name, std::borrow::Cow::Owned(bytes), limits)
}

fn read_cow(name: &str, bytes: std::borrow::Cow<'_, [u8]>, limits: &Limits) -> Result<Loaded, Unreadable> {
    let budget = Budget::new(*limits);
    if bytes.is_empty() {
        return Err(Unreadable::Empty);
    }
    let mut parts = None;
    let format = sniff::sniff_keeping(&bytes, &budget, &mut parts)?;
    let stem = Path::new(name)
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "Sheet1".into());
    let mut book = match format {
        Format::Xlsx | Format::Xlsb | Format::Xls | Format::Ods => sheets::read(format, &bytes, parts, &budget)?,
        Format::Html(enc) => html::read(&text::decode_cow(bytes, enc), &stem, &budget)?,
        Format::Csv(enc) => text::read_delimited(&text::decode_cow(bytes, enc), b',', &stem, &budget)?,
        Format::Tsv(enc) => text::read_delimited(&text::decode_cow(bytes, enc), b'\t', &stem, &budget)?,
    };
    for g in &mut book.sheets {
        g.finish();
    }
    Ok(Loaded { book, format })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_files_are_not_input() {
        assert!(is_supported(Path::new("a/兰山区.XLSX")));
        assert!(is_supported(Path::new("a/导出.htm")));
        assert!(is_supported(Path::new("a/兰山区.xlsb")));
        assert!(is_supported(Path::new("a/兰山区.et")) && is_supported(Path::new("a/模板.ETT")));
        assert!(!is_supported(Path::new("a/~$兰山区.xlsx")));
        assert!(!is_supported(Path::new("a/说明.docx")));
    }

    #[test]
    fn load_refuses_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let l = Limits::default();
        assert_eq!(load(&dir.path().join("无此文件.xlsx"), &l).unwrap_err(), Unreadable::Missing);
        assert!(matches!(load(dir.path(), &l).unwrap_err(), Unreadable::NotRegular { .. }));
        let empty = dir.path().join("空.xlsx");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(load(&empty, &l).unwrap_err(), Unreadable::Empty);
        #[cfg(unix)]
        {
            let link = dir.path().join("断链.xlsx");
            std::os::unix::fs::symlink(dir.path().join("不在了.xlsx"), &link).unwrap();
            assert_eq!(load(&link, &l).unwrap_err(), Unreadable::DanglingLink);
            let zero = dir.path().join("零.xlsx");
            std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
            assert!(matches!(load(&zero, &l).unwrap_err(), Unreadable::NotRegular { .. }));
        }
    }

    #[test]
    fn load_stops_at_the_size_limit() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("大.csv");
        std::fs::write(&big, vec![b'1'; 2 << 20]).unwrap();
        let l = Limits {
            file_mb: 1,
            ..Limits::default()
        };
        assert!(matches!(load(&big, &l).unwrap_err(), Unreadable::OverLimit { limit: Limit::FileSize, .. }));
        assert_eq!(load(&big, &Limits::default()).unwrap().len(), 2 << 20);
    }
}
