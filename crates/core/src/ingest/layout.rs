//! What calamine does not say about an xlsx sheet: which rows and columns are hidden, and its
//! merged ranges, found in one streamed pass over the sheet's XML that looks only at the tags
//! `<row>`, `<col>` and `<mergeCell>` (calamine's own merge reader parses the whole sheet again).

use super::Budget;
use super::zipcheck::Parts;
use std::collections::HashMap;
use std::io::{Cursor, Read};

/// One sheet's layout, 0-based.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// Hidden rows, ascending.
    pub hidden_rows: Vec<u32>,
    /// Hidden column ranges (first, last), inclusive.
    pub hidden_cols: Vec<(u32, u32)>,
    /// Merged ranges as (first_row, first_col, last_row, last_col).
    pub merges: Vec<(u32, u32, u32, u32)>,
}

/// The layout of every worksheet of the xlsx in `bytes`, by sheet name; from `parts` when the
/// archive's parts were kept inflated, else inflated again here. A part that cannot be found or
/// read is left out: its sheet then has no layout, which costs only the hidden-row notes (the
/// caller falls back to calamine for its merges).
pub fn read(bytes: &[u8], parts: Option<&Parts>, budget: &Budget) -> HashMap<String, Layout> {
    let mut out = HashMap::new();
    let mut zip = match parts {
        Some(_) => None,
        None => match zip::ZipArchive::new(Cursor::new(bytes)) {
            Ok(z) => Some(z),
            Err(_) => return out,
        },
    };
    let cap = budget.limits.entry_bytes();
    // One part's bytes, kept or inflated (a part is bounded by the entry limit already checked).
    let mut part = |name: &str| -> Option<Vec<u8>> {
        match (parts, zip.as_mut()) {
            (Some(kept), _) => kept.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone()),
            (None, Some(z)) => {
                let f = z.by_name(name).ok()?;
                let mut v = Vec::new();
                f.take(cap).read_to_end(&mut v).ok()?;
                Some(v)
            }
            (None, None) => None,
        }
    };
    let (Some(workbook), Some(rels)) = (part("xl/workbook.xml"), part("xl/_rels/workbook.xml.rels")) else {
        return out;
    };
    let mut targets: HashMap<String, String> = HashMap::new();
    for_each_tag(&rels, |name, attrs| {
        if name == b"Relationship"
            && let (Some(id), Some(target)) = (attr(attrs, b"Id"), attr(attrs, b"Target"))
        {
            targets.insert(id, target);
        }
    });
    let mut sheets: Vec<(String, String)> = Vec::new();
    for_each_tag(&workbook, |name, attrs| {
        if name == b"sheet"
            && let (Some(sheet), Some(id)) = (attr(attrs, b"name"), attr(attrs, b"r:id").or_else(|| attr_local(attrs, b"id")))
            && let Some(target) = targets.get(&id)
        {
            sheets.push((sheet, part_path(target)));
        }
    });
    for (sheet, path) in sheets {
        let layout = match (parts, zip.as_mut()) {
            (Some(kept), _) => kept.iter().find(|(n, _)| *n == path).and_then(|(_, b)| scan_slice(b, budget)),
            (None, Some(z)) => z.by_name(&path).ok().and_then(|f| scan(f.take(cap), budget)),
            (None, None) => None,
        };
        if let Some(layout) = layout {
            out.insert(sheet, layout);
        }
    }
    out
}

/// A relationship target as a part name: relative to `xl/`, or absolute from the package root.
fn part_path(target: &str) -> String {
    match target.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None => format!("xl/{}", target.trim_start_matches("./")),
    }
}

/// Scans one worksheet's XML already inflated, in one pass over the slice.
pub fn scan_slice(xml: &[u8], budget: &Budget) -> Option<Layout> {
    budget.check_time().ok()?;
    let mut layout = Layout::default();
    let mut next_row = 0u32;
    scan_wanted(xml, &mut layout, &mut next_row);
    Some(finished(layout))
}

/// A layout scanned to its end: hidden rows ascending, each once.
fn finished(mut layout: Layout) -> Layout {
    layout.hidden_rows.sort_unstable();
    layout.hidden_rows.dedup();
    layout
}

/// Scans one worksheet's XML as it inflates. None when it cannot be read to its end in time.
pub fn scan(mut r: impl Read, budget: &Budget) -> Option<Layout> {
    let mut layout = Layout::default();
    let mut next_row = 0u32;
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 17);
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        };
        budget.check_time().ok()?;
        buf.extend_from_slice(&chunk[..n]);
        let done = scan_wanted(&buf, &mut layout, &mut next_row);
        // A tag longer than any real one (no `>` for a megabyte) is dropped, not buffered.
        let keep_from = if buf.len() - done > 1 << 20 { buf.len() } else { done };
        buf.drain(..keep_from);
    }
    Some(finished(layout))
}

/// The tags wanted in the complete part of `buf`, each kind found by a byte search rather than
/// by visiting every tag (a sheet has four tags a cell); returns how many bytes were consumed
/// (a tag cut at the end is left for the next chunk).
fn scan_wanted(buf: &[u8], layout: &mut Layout, next_row: &mut u32) -> usize {
    // Up to the last `<` whose tag is not closed yet.
    let end = match memchr::memrchr(b'<', buf) {
        Some(lt) if memchr::memchr(b'>', &buf[lt..]).is_none() => lt,
        _ => buf.len(),
    };
    let done = &buf[..end];
    for (name, kind) in [(&b"row"[..], Kind::Row), (b"col", Kind::Col), (b"mergeCell", Kind::Merge)] {
        for at in memchr::memmem::find_iter(done, name) {
            if !starts_tag(done, at) {
                continue;
            }
            let after = at + name.len();
            if !done.get(after).is_some_and(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>')) {
                continue;
            }
            let Some(gt) = memchr::memchr(b'>', &done[after..]) else { continue };
            on_tag(kind, &done[after..after + gt], layout, next_row);
        }
    }
    end
}

/// Whether the name at `at` is a tag's name: right after `<`, or after `prefix:` right after it.
fn starts_tag(buf: &[u8], at: usize) -> bool {
    match at.checked_sub(1).map(|i| buf[i]) {
        Some(b'<') => true,
        Some(b':') => {
            let prefix = buf[..at - 1]
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
                .count();
            prefix > 0 && at >= prefix + 2 && buf[at - 2 - prefix] == b'<'
        }
        _ => false,
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Row,
    Col,
    Merge,
}

fn on_tag(kind: Kind, attrs: &[u8], layout: &mut Layout, next_row: &mut u32) {
    match kind {
        Kind::Row => {
            let row = attr(attrs, b"r")
                .and_then(|r| r.parse::<u32>().ok())
                .filter(|r| *r >= 1)
                .map_or(*next_row, |r| r - 1);
            *next_row = row.saturating_add(1);
            if attr(attrs, b"hidden").is_some_and(|h| truthy(&h)) {
                layout.hidden_rows.push(row);
            }
        }
        Kind::Col if attr(attrs, b"hidden").is_some_and(|h| truthy(&h)) => {
            let n = |k: &[u8]| attr(attrs, k).and_then(|v| v.parse::<u32>().ok()).filter(|v| *v >= 1);
            if let (Some(min), Some(max)) = (n(b"min"), n(b"max"))
                && min <= max
            {
                layout.hidden_cols.push((min - 1, max - 1));
            }
        }
        Kind::Col => {}
        Kind::Merge => {
            if let Some(range) = attr(attrs, b"ref") {
                let mut ends = range.split(':').map(crate::text::parse_a1);
                if let Some(Some(a)) = ends.next() {
                    let b = ends.next().flatten().unwrap_or(a);
                    layout.merges.push((a.0.min(b.0), a.1.min(b.1), a.0.max(b.0), a.1.max(b.1)));
                }
            }
        }
    }
}

fn truthy(v: &str) -> bool {
    matches!(v, "1" | "true")
}

/// Calls `f(name, attributes)` for every start or empty tag complete in `buf`; returns how many
/// bytes were consumed (an unfinished tag at the end is left for the next chunk).
fn scan_tags(buf: &[u8], f: &mut impl FnMut(&[u8], &[u8])) -> usize {
    let mut at = 0;
    while let Some(lt) = memchr::memchr(b'<', &buf[at..]) {
        let start = at + lt;
        let Some(gt) = memchr::memchr(b'>', &buf[start..]) else { return start };
        let tag = &buf[start + 1..start + gt];
        at = start + gt + 1;
        if matches!(tag.first(), Some(b'/' | b'?' | b'!')) {
            continue;
        }
        let end = tag.iter().position(|b| b.is_ascii_whitespace() || *b == b'/').unwrap_or(tag.len());
        f(&tag[..end], &tag[end..]);
    }
    buf.len()
}

/// [`scan_tags`] over a whole small part.
fn for_each_tag(xml: &[u8], mut f: impl FnMut(&[u8], &[u8])) {
    scan_tags(xml, &mut f);
}

/// A tag's name without its namespace prefix (`x:row` → `row`).
fn local(name: &[u8]) -> &[u8] {
    name.iter().rposition(|b| *b == b':').map_or(name, |i| &name[i + 1..])
}

/// The value of attribute `key` (exactly, prefix included), entities decoded.
fn attr(attrs: &[u8], key: &[u8]) -> Option<String> {
    attributes(attrs).find(|(k, _)| *k == key).map(|(_, v)| unescape(v))
}

/// The value of the first attribute whose local name is `key` (`r:id` under any prefix).
fn attr_local(attrs: &[u8], key: &[u8]) -> Option<String> {
    attributes(attrs).find(|(k, _)| k.contains(&b':') && local(k) == key).map(|(_, v)| unescape(v))
}

fn attributes(attrs: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut rest = attrs;
    std::iter::from_fn(move || {
        let eq = memchr::memchr(b'=', rest)?;
        let key = rest[..eq].trim_ascii();
        let after = rest[eq + 1..].trim_ascii_start();
        let quote = *after.first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let close = memchr::memchr(quote, &after[1..])?;
        let value = &after[1..1 + close];
        rest = &after[close + 2..];
        Some((key, value))
    })
}

/// XML's predefined and numeric entities decoded.
fn unescape(v: &[u8]) -> String {
    let s = String::from_utf8_lossy(v);
    if !s.contains('&') {
        return s.into_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest: &str = &s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(semi) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..semi];
        let ch = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e => e
                .strip_prefix("#x")
                .or_else(|| e.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| e.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=semi]),
        }
        rest = &tail[semi + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    fn scan_str(xml: &str, chunk: usize) -> Layout {
        // Fed in small pieces, so tags are cut between reads.
        struct Slow<'a>(&'a [u8], usize);
        impl Read for Slow<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(self.0.len()).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        scan(Slow(xml.as_bytes(), chunk), &Budget::new(Limits::default())).unwrap()
    }

    #[test]
    fn hidden_rows_columns_and_merges() {
        let xml = r#"<?xml version="1.0"?><worksheet xmlns="x"><cols><col min="3" max="4" width="2" hidden="1"/><col min="5" max="5" width="9"/></cols>
            <sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="7" spans="1:3" hidden="1" ht="0"><c r="A7"><v>5</v></c></row>
            <row hidden="true"><c><v>1</v></c></row><row r="10" customHeight="1"/></sheetData>
            <mergeCells count="2"><mergeCell ref="A1:C2"/><mergeCell ref="E5"/></mergeCells></worksheet>"#;
        for chunk in [1, 7, 1 << 16] {
            let l = scan_str(xml, chunk);
            assert_eq!(l.hidden_rows, vec![6, 7], "chunk {chunk}");
            assert_eq!(l.hidden_cols, vec![(2, 3)]);
            assert_eq!(l.merges, vec![(0, 0, 1, 2), (4, 4, 4, 4)]);
        }
    }

    #[test]
    fn prefixed_tags_and_entities() {
        let l = scan_str(
            r#"<x:worksheet><x:sheetData><x:row r="3" hidden="1"/></x:sheetData><x:mergeCells><x:mergeCell ref="B2:B3"/></x:mergeCells></x:worksheet>"#,
            5,
        );
        assert_eq!(l.hidden_rows, vec![2]);
        assert_eq!(l.merges, vec![(1, 1, 2, 1)]);
        assert_eq!(unescape(b"R&amp;D &#x4E00;&#19968; &bad"), "R&D 一一 &bad");
        assert_eq!(part_path("worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(part_path("/xl/worksheets/s.xml"), "xl/worksheets/s.xml");
    }
}
