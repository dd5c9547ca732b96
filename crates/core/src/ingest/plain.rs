//! A plain xlsx read in one pass over bytes already inflated, without calamine: the shared
//! strings, the number formats and each worksheet's cells, nothing else (no fonts, fills,
//! themes or pictures). It reads what Excel, WPS and the project's own writer put in a county's
//! sheet: numbers, shared and inline strings, booleans, formula strings and simple formulas.
//!
//! It gives exactly what calamine gives for such a file, or nothing: on anything outside that
//! plain subset (a time, duration or 1904-based date, a date format on a number that is not a
//! whole day, an error or ISO date cell, a shared formula,
//! `_xHHHH_` escapes, carriage returns, CDATA, comments, a DOCTYPE, a chart sheet, an encoding
//! other than UTF-8, a part where calamine would look elsewhere) it answers `None` and the file
//! is read by calamine as before. The tests compare both readers on every fixture and on
//! generated workbooks.
//!
//! Every loop here moves forward through a slice it was given, and what it keeps is bounded by
//! that slice and the cell limit: this is what makes it safe to run inside the parent process
//! (see `isolate`) where calamine is not.

use super::layout;
use super::sheets::Count;
use super::zipcheck::Parts;
use super::{Book, Budget, Grid, Value};
use std::collections::HashMap;

/// Most bytes of cell text the plain reader builds for one file, or the bytes its parts may
/// inflate to if that is more (a register read here); beyond it calamine reads the file in a
/// reader process, under that process's memory limit.
const TEXT_BYTES: usize = 32 << 20;

/// The sheets of a plain xlsx, or None when calamine must read it.
pub(super) fn read(parts: &Parts, budget: &Budget) -> Option<Book> {
    let part = |name: &str| parts.iter().find(|(n, _)| n == name).map(|(_, b)| b.as_slice());
    // calamine finds the workbook through the package's relationships (and refuses a package
    // without them); only the usual place is read here.
    let mut office = None;
    for tag in Tags::new(part("_rels/.rels")?) {
        let Tag::Open { name, attrs, .. } = tag? else { continue };
        if local(name) == b"Relationship" && attr(attrs, b"Type")?.is_some_and(|t| t.ends_with(b"/officeDocument")) {
            office = attr(attrs, b"Target")?;
        }
    }
    if !matches!(office, Some(b"xl/workbook.xml" | b"/xl/workbook.xml")) {
        return None;
    }
    let workbook = part("xl/workbook.xml")?;
    // Dates counted from 1904 are calamine's to read.
    if workbook.windows(8).any(|w| w == b"date1904") {
        return None;
    }
    let sheets = sheet_parts(workbook, part("xl/_rels/workbook.xml.rels")?)?;
    let strings = match part("xl/sharedStrings.xml") {
        Some(sst) => shared_strings(sst)?,
        None => Vec::new(),
    };
    let formats = match part("xl/styles.xml") {
        Some(styles) => plain_formats(styles)?,
        None => Vec::new(),
    };
    let mut counter = Count::new(budget);
    // A shared string is copied into every cell that names it: a long one named by many cells
    // could ask for far more memory than the file holds, so the copies are counted.
    let mut text_room = TEXT_BYTES.max(usize::try_from(budget.keep_bytes).unwrap_or(usize::MAX));
    let mut book = Book::default();
    for (name, path) in sheets {
        let xml = part(&path)?;
        let mut grid = Grid::new(&name).with_room(budget.limits.cells);
        cells(xml, &strings, &formats, &mut grid, &mut counter, &mut text_room)?;
        let layout = layout::scan_slice(xml, budget)?;
        grid.merges = layout.merges;
        grid.hidden_rows = layout.hidden_rows;
        grid.hidden_cols = layout.hidden_cols;
        book.sheets.push(grid);
    }
    Some(book)
}

/// A one-sheet package around the given sheet XML and shared strings, with a small style table
/// (a plain number style, a date style), for the differential fuzz target and the tests.
#[doc(hidden)]
pub fn package(sheet: &[u8], shared_strings: &[u8]) -> Parts {
    let own = |s: &str| s.as_bytes().to_vec();
    vec![
        (
            "_rels/.rels".into(),
            own(
                r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
            ),
        ),
        (
            "xl/workbook.xml".into(),
            own(
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="表&amp;1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels".into(),
            own(
                r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
        ),
        (
            "xl/styles.xml".into(),
            own(
                r#"<styleSheet xmlns="x"><numFmts count="2"><numFmt numFmtId="164" formatCode="0.00_ "/><numFmt numFmtId="165" formatCode="yyyy&quot;年&quot;m&quot;月&quot;"/></numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="14"/></cellXfs></styleSheet>"#,
            ),
        ),
        ("xl/worksheets/sheet1.xml".into(), sheet.to_vec()),
        ("xl/sharedStrings.xml".into(), shared_strings.to_vec()),
    ]
}

/// The worksheets in workbook order: (name, part).
fn sheet_parts(workbook: &[u8], rels: &[u8]) -> Option<Vec<(String, String)>> {
    let mut targets: HashMap<&[u8], &[u8]> = HashMap::new();
    for tag in Tags::new(rels) {
        let Tag::Open { name, attrs, .. } = tag? else { continue };
        if local(name) == b"Relationship" {
            let (id, target, kind) = (attr(attrs, b"Id")?, attr(attrs, b"Target")?, attr(attrs, b"Type")?);
            if kind.is_some_and(|k| k.ends_with(b"/sharedStrings")) && target != Some(b"sharedStrings.xml") {
                return None; // calamine reads xl/sharedStrings.xml whatever the target says
            }
            if let (Some(id), Some(target)) = (id, target) {
                // Only plain worksheet targets: a chart sheet, or a path calamine would resolve
                // differently, goes to calamine.
                if !kind.is_some_and(|k| k.ends_with(b"/worksheet")) {
                    targets.insert(id, b"");
                } else {
                    targets.insert(id, target);
                }
            }
        }
    }
    let mut sheets = Vec::new();
    for tag in Tags::new(workbook) {
        let Tag::Open { name, attrs, .. } = tag? else { continue };
        if local(name) != b"sheet" {
            continue;
        }
        let mut sheet = None;
        let mut id = None;
        for (k, v) in Attrs(attrs) {
            match k {
                b"name" => sheet = Some(text(v)?),
                b"state" if !matches!(v, b"visible" | b"hidden" | b"veryHidden") => return None,
                k if local(k) == b"id" => id = Some(v),
                _ => {}
            }
        }
        let target = *targets.get(id?)?;
        let path = match target.strip_prefix(b"/") {
            Some(abs) => abs.to_vec(),
            None => [&b"xl/"[..], target].concat(),
        };
        if target.is_empty() || path.contains(&b'\\') || path.windows(2).any(|w| w == b"./") {
            return None;
        }
        sheets.push((sheet?, String::from_utf8(path).ok()?));
    }
    Some(sheets)
}

/// The shared strings, as calamine reads them: rich runs joined, phonetic runs left out,
/// whitespace trimmed unless preserved.
fn shared_strings(xml: &[u8]) -> Option<Vec<String>> {
    let mut tags = Tags::new(xml);
    loop {
        match tags.next()?? {
            Tag::Open { name, empty, .. } if local(name) == b"sst" => {
                if empty {
                    return Some(Vec::new());
                }
                break;
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    while let Some(tag) = tags.next() {
        match tag? {
            Tag::Open { name, empty, .. } if local(name) == b"si" => out.push(if empty { String::new() } else { rich(&mut tags, name)? }),
            Tag::Close { name } if local(name) == b"sst" => return Some(out),
            Tag::Open { name, empty: true, .. } if local(name) == b"sst" => return Some(out),
            _ => {}
        }
    }
    None
}

/// A string element (`si` or `is`) read to its end.
fn rich(tags: &mut Tags<'_>, closing: &[u8]) -> Option<String> {
    let mut out: Option<String> = None;
    let mut phonetic = false;
    loop {
        match tags.next()?? {
            Tag::Open { name, .. } if local(name) == b"r" => {
                out.get_or_insert_with(String::new);
            }
            Tag::Open { name, empty: false, .. } if local(name) == b"rPh" => phonetic = true,
            Tag::Close { name } if local(name) == b"rPh" => phonetic = false,
            // calamine ends the string at the closing tag of the same name, prefix and all, and
            // its parser reads an empty `<si/>` as an opening and a closing tag.
            Tag::Close { name } if name == closing => return Some(out.unwrap_or_default()),
            Tag::Open { name, empty: true, .. } if name == closing => return Some(out.unwrap_or_default()),
            Tag::Open { name, attrs, empty } if local(name) == b"t" && !phonetic => {
                let raw = if empty { &b""[..] } else { tags.text_to(name)? };
                let preserve = attr(attrs, b"xml:space")? == Some(b"preserve");
                let mut s = text(raw)?;
                if !preserve {
                    s = s.trim_matches([' ', '\t', '\n']).to_string();
                }
                match &mut out {
                    Some(o) => o.push_str(&s),
                    None => out = Some(s),
                }
            }
            // A phonetic run's text, not kept; its references must still be well formed.
            Tag::Open { name, empty: false, .. } if local(name) == b"t" => {
                text(tags.text_to(name)?)?;
            }
            _ => {}
        }
    }
}

/// What a number in a cell style is: a number, a date (a format calamine reads as a date
/// and time, which for a whole day shows the date alone), or left to calamine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Number,
    Date,
    Calamine,
}

/// Each cell style's [`Style`].
fn plain_formats(xml: &[u8]) -> Option<Vec<Style>> {
    let mut custom: HashMap<&[u8], Style> = HashMap::new();
    let mut out = Vec::new();
    let (mut in_xfs, mut in_formats) = (false, false);
    for tag in Tags::new(xml) {
        match tag? {
            Tag::Open { name, empty, .. } if local(name) == b"numFmts" => in_formats = !empty,
            Tag::Close { name } if local(name) == b"numFmts" => in_formats = false,
            Tag::Open { name, attrs, .. } if in_formats && local(name) == b"numFmt" => {
                let code = Attrs(attrs).find(|(k, _)| *k == b"formatCode").map(|(_, v)| v);
                if let (Some(id), Some(code)) = (attr(attrs, b"numFmtId")?, code) {
                    custom.insert(id, plain_code(&text(code)?));
                }
            }
            Tag::Open { name, empty, .. } if local(name) == b"cellXfs" => in_xfs = !empty,
            Tag::Close { name } if local(name) == b"cellXfs" => in_xfs = false,
            Tag::Open { name, attrs, .. } if in_xfs && local(name) == b"xf" => out.push(match attr(attrs, b"numFmtId")? {
                None => Style::Number,
                Some(id) => match custom.get(id) {
                    Some(style) => *style,
                    None => plain_builtin(id),
                },
            }),
            _ => {}
        }
    }
    Some(out)
}

/// Excel's built-in formats, as calamine compares them: ids 14–22, 27–36, 45–47 and 50–58 are
/// dates and times, of which 14–17, 22, 27–36 and 50–58 (dates, with or without a time) show a
/// whole day as its date; any other id is a number.
fn plain_builtin(id: &[u8]) -> Style {
    let n = std::str::from_utf8(id).ok().and_then(|s| s.parse::<u16>().ok().filter(|n| n.to_string() == s));
    match n {
        Some(14..=17 | 22 | 27..=36 | 50..=58) => Style::Date,
        Some(18..=21 | 45..=47) => Style::Calamine,
        _ => Style::Number,
    }
}

/// A custom number format: with no date or time letter anywhere and no brackets, a number for
/// certain; beginning with a day, month or year letter (`yyyy-mm-dd`, `yyyy"年"m"月"d"日"`),
/// which calamine takes for a date and time at that first letter, a date. Anything else (even
/// `0.00;[Red]0.00`) is left to calamine, which decides finer.
fn plain_code(code: &str) -> Style {
    if !code
        .chars()
        .any(|c| matches!(c.to_ascii_lowercase(), 'd' | 'm' | 'y' | 'h' | 's' | 'a' | 'p' | '[' | 'e' | 'b' | 'g' | 'n'))
    {
        Style::Number
    } else if code.starts_with(['d', 'm', 'y', 'D', 'M', 'Y']) {
        Style::Date
    } else {
        Style::Calamine
    }
}

/// The date a whole Excel serial day (1900 system) shows, as calamine writes it; None for the
/// days before 1900-03-01, which calamine shifts for Excel's 29 February 1900.
fn serial_day(raw: &[u8]) -> Option<String> {
    if raw.is_empty() || raw.len() > 7 || !raw.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = decimal(raw)? as u64;
    if !(61..=2_958_465).contains(&n) {
        return None;
    }
    let day = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(n))?;
    Some(day.to_string())
}

/// The cells of one worksheet into `grid`.
fn cells(xml: &[u8], strings: &[String], formats: &[Style], grid: &mut Grid, counter: &mut Count<'_>, text_room: &mut usize) -> Option<()> {
    let mut tags = Tags::new(xml);
    loop {
        match tags.next()?? {
            Tag::Open { name, empty, .. } if local(name) == b"sheetData" => {
                if empty {
                    return Some(());
                }
                break;
            }
            // calamine refuses a sheet whose dimension it cannot read.
            Tag::Open { name, attrs, .. } if local(name) == b"dimension" => {
                // (An end before the start: calamine's subtraction wraps there, so it is left to it.)
                let r = attr(attrs, b"ref")??;
                let ends: Vec<Option<(u32, u32)>> = r.split(|b| *b == b':').map(position).collect();
                match ends[..] {
                    [Some(_)] => {}
                    [Some(a), Some(b)] if a.0 <= b.0 && a.1 <= b.1 => {}
                    _ => return None,
                }
            }
            _ => {}
        }
    }
    loop {
        match tags.next()?? {
            // calamine refuses a row number it cannot read.
            Tag::Open { name, attrs, .. } if local(name) == b"row" => {
                if let Some(r) = attr(attrs, b"r")?
                    && (r.is_empty() || r[0] == b'0' || r.len() > 7 || !r.iter().all(u8::is_ascii_digit))
                {
                    return None;
                }
            }
            Tag::Close { name } if local(name) == b"row" => {}
            Tag::Close { name } if local(name) == b"sheetData" => return Some(()),
            Tag::Open { name, attrs, empty } if local(name) == b"c" => {
                let (mut r, mut s, mut t) = (None, None, None);
                for (k, v) in Attrs(attrs) {
                    match k {
                        b"r" => r = Some(v),
                        b"s" => s = Some(v),
                        b"t" => t = Some(v),
                        _ => {}
                    }
                }
                let pos = position(r?)?;
                if empty {
                    continue;
                }
                let (value, formula) = cell(&mut tags, s, t, strings, formats, *text_room)?;
                let used = match &value {
                    Value::Text(t) => t.len(),
                    _ => 0,
                } + formula.as_ref().map_or(0, String::len);
                *text_room = text_room.checked_sub(used)?;
                counter.add(grid, pos, value, formula).ok()?;
            }
            _ => return None,
        }
    }
}

/// One cell's value and formula, read up to its `</c>`.
fn cell(tags: &mut Tags<'_>, s: Option<&[u8]>, t: Option<&[u8]>, strings: &[String], formats: &[Style], text_room: usize) -> Option<(Value, Option<String>)> {
    let mut value = Value::Empty;
    let mut formula = None;
    loop {
        match tags.next()?? {
            Tag::Close { name } if local(name) == b"c" => return Some((value, formula.filter(|f: &String| !f.is_empty()))),
            Tag::Open { name, attrs, empty } if local(name) == b"f" => {
                if attr(attrs, b"t")? == Some(b"shared") {
                    return None;
                }
                formula = Some(if empty { String::new() } else { text(tags.text_to(name)?)? });
            }
            Tag::Open { name, empty, .. } if local(name) == b"is" => {
                value = if empty { Value::text("") } else { Value::text(rich(tags, name)?) };
            }
            Tag::Open { name, empty, .. } if local(name) == b"v" => {
                let raw = if empty { &b""[..] } else { tags.text_to(name)? };
                value = match t {
                    Some(b"inlineStr" | b"is") => Value::Empty,
                    _ => typed(raw, s, t, strings, formats, text_room)?,
                };
            }
            _ => return None,
        }
    }
}

/// A `<v>`'s text as the cell's type says.
fn typed(raw: &[u8], s: Option<&[u8]>, t: Option<&[u8]>, strings: &[String], formats: &[Style], text_room: usize) -> Option<Value> {
    if raw.is_empty() {
        // calamine's empty value: nothing, except for a formula's string result.
        return match t {
            None | Some(b"n" | b"s" | b"b" | b"e") => Some(Value::Empty),
            Some(b"str") => Some(Value::text("")),
            _ => None,
        };
    }
    match t {
        None | Some(b"n") => {
            let number = |b: &u8| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E');
            if raw[0] == b'+' || !raw.iter().all(number) {
                return None;
            }
            let style = match s {
                None => None,
                Some(s) => Some(decimal(s)?),
            };
            match style.and_then(|i| formats.get(i)) {
                Some(Style::Calamine) => None,
                Some(Style::Date) => Some(Value::Date(serial_day(raw)?.into_boxed_str())),
                _ => Some(Value::Number(std::str::from_utf8(raw).ok()?.parse().ok()?)),
            }
        }
        Some(b"s") => {
            if !raw.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let shared = strings.get(decimal(raw)?)?;
            (shared.len() <= text_room).then(|| Value::text(shared.as_str()))
        }
        Some(b"b") => match raw {
            b"0" => Some(Value::Bool(false)),
            b"1" => Some(Value::Bool(true)),
            _ => None,
        },
        Some(b"str") => Some(Value::text(text(raw)?)),
        _ => None,
    }
}

/// A decimal number as Rust's `usize` parser reads one (an optional `+`, then digits), without
/// going through `str`.
fn decimal(raw: &[u8]) -> Option<usize> {
    let digits = raw.strip_prefix(b"+").unwrap_or(raw);
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0usize, |n, b| {
        let d = b.checked_sub(b'0').filter(|d| *d < 10)?;
        n.checked_mul(10)?.checked_add(usize::from(d))
    })
}

/// `A1` as 0-based (row, column).
fn position(r: &[u8]) -> Option<(u32, u32)> {
    let letters = r.iter().take_while(|b| b.is_ascii_uppercase()).count();
    let (col, row) = r.split_at(letters);
    if !(1..=3).contains(&letters) || row.is_empty() || row.len() > 7 || !row.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let col = col.iter().fold(0u32, |a, b| a * 26 + u32::from(b - b'A' + 1));
    let row: u32 = std::str::from_utf8(row).ok()?.parse().ok()?;
    if row == 0 || col > 16_384 || row > 1_048_576 {
        return None;
    }
    Some((row - 1, col - 1))
}

/// Element text as calamine gives it: entities decoded; None for what this reader leaves to
/// calamine (bytes that are not UTF-8, carriage returns it would normalise, `_xHHHH_` escapes
/// it would decode).
fn text(raw: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(raw).ok()?;
    if s.contains('\r') || s.contains("_x") {
        return None;
    }
    if !s.contains('&') {
        return Some(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        let semi = tail.find(';')?;
        let entity = &tail[..semi];
        out.push(match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            e => {
                let code = match e.strip_prefix("#x") {
                    Some(h) => u32::from_str_radix(h, 16).ok()?,
                    None => e.strip_prefix('#')?.parse().ok()?,
                };
                char::from_u32(code).filter(|c| *c != '\r' && *c != '\0')?
            }
        });
        rest = &tail[semi + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// A name without its prefix: what follows the first `:`, as calamine's parser takes it.
fn local(name: &[u8]) -> &[u8] {
    find(b':', name).map_or(name, |i| &name[i + 1..])
}

/// An attribute's raw value; an outer None when the attributes cannot be read plainly.
fn attr<'a>(attrs: &'a [u8], key: &[u8]) -> Option<Option<&'a [u8]>> {
    let v = Attrs(attrs).find(|(k, _)| *k == key).map(|(_, v)| v);
    if v.is_some_and(|v| v.contains(&b'&')) {
        return None;
    }
    Some(v)
}

/// `key="value"` pairs (either quote); stops at anything else.
struct Attrs<'a>(&'a [u8]);

impl<'a> Iterator for Attrs<'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let eq = find(b'=', self.0)?;
        let key = xml_trim_end(xml_trim_start(&self.0[..eq]));
        let after = xml_trim_start(&self.0[eq + 1..]);
        let quote = *after.first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let close = find(quote, &after[1..])?;
        let v = &after[1..1 + close];
        self.0 = &after[close + 2..];
        Some((key, v))
    }
}

/// XML's white space: space, tab, carriage return, line feed (not form feed, which Rust's ASCII
/// white space includes).
fn xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn xml_trim_start(b: &[u8]) -> &[u8] {
    &b[b.iter().position(|c| !xml_space(*c)).unwrap_or(b.len())..]
}

fn xml_trim_end(b: &[u8]) -> &[u8] {
    &b[..b.iter().rposition(|c| !xml_space(*c)).map_or(0, |i| i + 1)]
}

/// Whether a tag's attributes are written as XML says (`key="value"` pairs apart, no key twice,
/// no `<` in a value): what calamine's XML parser refuses is left to it.
/// The first `byte` in `hay`. The searches here mostly end within a few bytes (a tag's name, an
/// attribute, a cell's value): those bytes are looked at one by one, and memchr's vector search,
/// whose set-up costs more than such a search, takes over past them.
fn find(byte: u8, hay: &[u8]) -> Option<usize> {
    const NEAR: usize = 24;
    let near = &hay[..hay.len().min(NEAR)];
    match near.iter().position(|b| *b == byte) {
        Some(i) => Some(i),
        None if hay.len() > NEAR => memchr::memchr(byte, &hay[NEAR..]).map(|i| i + NEAR),
        None => None,
    }
}

fn well_formed(attrs: &[u8]) -> bool {
    let mut rest = attrs;
    // The keys seen, without allocating (a tag has a handful; more than 16 is left to calamine).
    let mut keys: [&[u8]; 16] = [&[]; 16];
    let mut n = 0;
    loop {
        let trimmed = xml_trim_start(rest);
        if trimmed.is_empty() {
            return true;
        }
        if trimmed.len() == rest.len() {
            return false; // no space before the key
        }
        let Some(eq) = find(b'=', trimmed) else { return false };
        let key = xml_trim_end(&trimmed[..eq]);
        if n == keys.len()
            || key.is_empty()
            || key.iter().any(|b| xml_space(*b) || matches!(b, b'"' | b'\'' | b'<' | b'>' | b'/' | b'&'))
            || keys[..n].iter().any(|k| k.len() == key.len() && k.iter().zip(key).all(|(a, b)| a == b))
        {
            return false;
        }
        keys[n] = key;
        n += 1;
        let after = xml_trim_start(&trimmed[eq + 1..]);
        let Some(&quote) = after.first().filter(|q| matches!(q, b'"' | b'\'')) else {
            return false;
        };
        let Some(close) = find(quote, &after[1..]) else { return false };
        if after[1..1 + close].contains(&b'<') {
            return false;
        }
        rest = &after[close + 2..];
    }
}

enum Tag<'a> {
    /// A start tag, or an empty one (`<c/>`) with `empty` set.
    Open {
        name: &'a [u8],
        attrs: &'a [u8],
        empty: bool,
    },
    Close {
        name: &'a [u8],
    },
}

/// The tags of a part in order; text between them is skipped unless asked for with
/// [`Tags::text_to`]. Yields `None` (as an item) where the XML is not plain.
struct Tags<'a> {
    xml: &'a [u8],
    at: usize,
    /// Elements open: calamine's parser refuses a closing tag with none open.
    depth: usize,
}

impl<'a> Tags<'a> {
    fn new(xml: &'a [u8]) -> Tags<'a> {
        let xml = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
        // Declared in another encoding (or UTF-16, which does not start with `<`): calamine's.
        // calamine's parser refuses bytes that are not UTF-8 wherever they are, even in parts
        // of the sheet it does not use.
        let plain = xml.first() == Some(&b'<')
            && std::str::from_utf8(xml).is_ok()
            && match xml.strip_prefix(b"<?xml") {
                Some(decl) => {
                    let end = memchr::memmem::find(decl, b"?>").unwrap_or(decl.len());
                    match attr(&decl[..end], b"encoding") {
                        Some(None) => true,
                        Some(Some(e)) => e.eq_ignore_ascii_case(b"utf-8"),
                        None => false,
                    }
                }
                None => true,
            };
        Tags {
            xml,
            at: if plain { 0 } else { usize::MAX },
            depth: 0,
        }
    }

    /// The text up to the closing tag `</name>` (`name` as opened, prefix and all), which must
    /// come next: an element holding other elements is not plain text.
    fn text_to(&mut self, name: &[u8]) -> Option<&'a [u8]> {
        let rest = self.xml.get(self.at..)?;
        let lt = find(b'<', rest)?;
        if rest.get(lt + 1) != Some(&b'/') {
            return None;
        }
        let raw = &rest[..lt];
        self.at += lt;
        match self.next()?? {
            Tag::Close { name: n } if n == name => Some(raw),
            _ => None,
        }
    }
}

impl<'a> Iterator for Tags<'a> {
    type Item = Option<Tag<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at == usize::MAX {
            return Some(None);
        }
        loop {
            let rest = &self.xml[self.at..];
            let lt = find(b'<', rest);
            // Text between tags is skipped, but calamine's parser reads its references and
            // refuses one not closed: text with any `&` in it is left to calamine.
            if find(b'&', &rest[..lt.unwrap_or(rest.len())]).is_some() {
                return Some(None);
            }
            let Some(lt) = lt else {
                self.at = self.xml.len();
                return None;
            };
            let start = self.at + lt;
            let body = &self.xml[start + 1..];
            match body.first() {
                // The XML declaration, first and plainly written; any other processing
                // instruction is calamine's (its parser reads quotes inside them).
                Some(b'?') => {
                    let decl = body.strip_prefix(b"?xml").filter(|_| start == 0);
                    let end = decl.and_then(|d| memchr::memmem::find(d, b"?>").filter(|e| well_formed(&d[..*e])));
                    let Some(end) = end else { return Some(None) };
                    self.at = start + 1 + 4 + end + 2;
                    continue;
                }
                // Comments, CDATA and DOCTYPEs (which may define entities): calamine's.
                Some(b'!') | None => return Some(None),
                Some(b'/') => {
                    let gt = find(b'>', body)?;
                    self.at = start + 1 + gt + 1;
                    let name = xml_trim_end(&body[1..gt]);
                    // calamine's parser reads quotes in a closing tag too: only a bare name.
                    let bare = !name.is_empty() && !name.iter().any(|b| xml_space(*b) || matches!(b, b'"' | b'\'' | b'<'));
                    let Some(depth) = self.depth.checked_sub(1).filter(|_| bare) else {
                        return Some(None);
                    };
                    self.depth = depth;
                    return Some(Some(Tag::Close { name }));
                }
                Some(_) => {
                    // The tag ends at the first `>` outside quotes.
                    let mut quote = None;
                    let mut end = None;
                    for (i, b) in body.iter().enumerate() {
                        match (quote, *b) {
                            (Some(q), b) if b == q => quote = None,
                            (Some(_), _) => {}
                            (None, b'"' | b'\'') => quote = Some(*b),
                            (None, b'<') => return Some(None),
                            (None, b'>') => {
                                end = Some(i);
                                break;
                            }
                            _ => {}
                        }
                    }
                    let Some(gt) = end else { return Some(None) };
                    self.at = start + 1 + gt + 1;
                    let mut tag = &body[..gt];
                    let empty = tag.last() == Some(&b'/');
                    if empty {
                        tag = &tag[..tag.len() - 1];
                    }
                    let n = tag.iter().position(|b| xml_space(*b)).unwrap_or(tag.len());
                    if n == 0 || !well_formed(&tag[n..]) {
                        return Some(None);
                    }
                    self.depth += usize::from(!empty);
                    return Some(Some(Tag::Open {
                        name: &tag[..n],
                        attrs: &tag[n..],
                        empty,
                    }));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::sheets::read_calamine;
    use crate::ingest::{Format, sniff};
    use crate::limits::Limits;

    fn budget() -> Budget {
        Budget::new(Limits::default())
    }

    /// Both readers on the same parts: the plain one gives what calamine gives, or nothing.
    /// Returns whether the plain reader answered.
    fn agree(parts: &Parts, what: &str) -> bool {
        let Some(mut plain) = read(parts, &budget()) else { return false };
        let mut theirs = read_calamine(Format::Xlsx, &[], Some(parts.clone()), &budget())
            .unwrap_or_else(|e| panic!("{what}: calamine refused what the plain reader read: {e:?}"));
        for g in plain.sheets.iter_mut().chain(theirs.sheets.iter_mut()) {
            g.finish();
        }
        assert_eq!(plain.sheets.len(), theirs.sheets.len(), "{what}: sheets");
        for (a, b) in plain.sheets.iter().zip(&theirs.sheets) {
            assert_eq!(a.name, b.name, "{what}");
            assert_eq!(a.iter().collect::<Vec<_>>(), b.iter().collect::<Vec<_>>(), "{what}: sheet {}", a.name);
            assert_eq!(
                (&a.merges, &a.hidden_rows, &a.hidden_cols),
                (&b.merges, &b.hidden_rows, &b.hidden_cols),
                "{what}: layout of {}",
                a.name
            );
        }
        true
    }

    fn parts_of(bytes: &[u8]) -> Option<Parts> {
        let mut parts = None;
        let format = sniff::sniff_keeping(bytes, &budget(), &mut parts).ok()?;
        parts.filter(|_| format == Format::Xlsx)
    }

    /// A workbook of hand-written parts around the given sheet XML, shared strings and styles.
    fn book(sheet: &str, sst: Option<&str>, styles: Option<&str>) -> Parts {
        let mut p: Parts = vec![
            (
                "_rels/.rels".into(),
                br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec(),
            ),
            (
                "xl/workbook.xml".into(),
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="表&amp;1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.as_bytes().to_vec(),
            ),
            (
                "xl/_rels/workbook.xml.rels".into(),
                br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_vec(),
            ),
            ("xl/worksheets/sheet1.xml".into(), sheet.as_bytes().to_vec()),
        ];
        if let Some(s) = sst {
            p.push(("xl/sharedStrings.xml".into(), s.as_bytes().to_vec()));
        }
        if let Some(s) = styles {
            p.push(("xl/styles.xml".into(), s.as_bytes().to_vec()));
        }
        p
    }

    fn sheet(data: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:D9"/><sheetData>{data}</sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>"#
        )
    }

    /// Styles 0–3 as the package's own; 4–8: a date and time, a time, a custom time, a
    /// duration, a date in the Chinese manner.
    const STYLES: &str = r#"<styleSheet xmlns="x"><numFmts count="5"><numFmt numFmtId="164" formatCode="0.00_ "/><numFmt numFmtId="165" formatCode="yyyy&quot;年&quot;m&quot;月&quot;"/><numFmt numFmtId="166" formatCode="hh:mm"/><numFmt numFmtId="167" formatCode="[h]:mm"/><numFmt numFmtId="168" formatCode="yyyy/m/d;@"/></numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs><cellXfs count="9"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="14"/><xf numFmtId="22"/><xf numFmtId="20"/><xf numFmtId="166"/><xf numFmtId="167"/><xf numFmtId="168"/></cellXfs></styleSheet>"#;

    #[test]
    fn numbers_in_attributes_read_as_rust_reads_them() {
        for t in [
            "0",
            "7",
            "+7",
            "0012",
            "18446744073709551615",
            "18446744073709551616",
            "",
            "+",
            "-1",
            "1a",
            "++1",
            " 1",
        ] {
            assert_eq!(decimal(t.as_bytes()), t.parse::<usize>().ok(), "{t:?}");
        }
    }

    #[test]
    fn plain_cells_read_as_calamine_reads_them() {
        let sst = r#"<?xml version="1.0"?><sst xmlns="x" count="6" uniqueCount="6"><si><t>兰山区</t></si><si><t xml:space="preserve">  两端空格 </t></si><si><t>  去掉空格
</t></si><si><r><rPr><b/></rPr><t>粗</t></r><r><t xml:space="preserve"> 体</t></r><rPh sb="0" eb="1"><t>ふりがな</t></rPh></si><si/><si><t>R&amp;D &lt;1&gt; &#x4E00;&#19968; &quot;q&quot;</t></si></sst>"#;
        let rows = r#"<row r="1" spans="1:4"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>
            <row r="2" hidden="1"><c r="A2" t="s"><v>4</v></c><c r="B2" t="s"><v>5</v></c><c r="C2" s="1"><v>12.5</v></c><c r="D2" s="0"><v>-3e2</v></c></row>
            <row r="3"><c r="A3"><f>SUM(C2:D2)</f><v>-287.5</v></c><c r="B3" t="str"><f>A1&amp;"x"</f><v>兰山区x</v></c><c r="C3" t="b"><v>1</v></c><c r="D3" t="b"><v>0</v></c></row>
            <row r="4"><c r="A4" t="inlineStr"><is><t>内联</t></is></c><c r="B4" t="str"><v/></c><c r="C4"><v/></c><c r="D4" s="9"/></row>
            <row r="5"><c r="A5"><f>NOW()</f></c><c r="B5" t="s"><v></v></c><c r="C5" s="2" t="s"><v>0</v></c><c r="D5"><f/><v>7</v></c></row>
            <x:row r="6"><x:c r='A6' t='str'><x:v>a&gt;b</x:v></x:c><c r="B6" t="inlineStr"><is/></c><c r="AA6"><v>0.1</v></c><c r="XFD6"><v>1E-5</v></c></x:row>"#;
        assert!(agree(&book(&sheet(rows), Some(sst), Some(STYLES)), "mixed cells"));
        assert!(agree(&book(&sheet(""), None, None), "no cells"));
        // Whole days in date formats, built-in and custom, as registers write 建卡时间.
        let days = r#"<row r="1"><c r="A1" s="2"><v>46000</v></c><c r="B1" s="3"><v>42101</v></c><c r="C1" s="4"><v>61</v></c><c r="D1" s="8"><v>2958465</v></c></row>
            <row r="2"><c r="A2" s="3"/><c r="B2" s="3" t="s"><v>0</v></c><c r="C2" s="3"><v></v></c><c r="D2" s="8"><f>TODAY()</f><v>46300</v></c></row>"#;
        assert!(agree(&book(&sheet(days), Some(sst), Some(STYLES)), "whole days in date formats"));
        assert!(agree(&book(r#"<worksheet><sheetData/></worksheet>"#, None, None), "empty sheetData"));
        assert!(agree(
            &book(&format!("\u{FEFF}{}", sheet(r#"<row><c r="A1"><v>1</v></c></row>"#)), None, None),
            "byte order mark"
        ));
    }

    #[test]
    fn what_is_not_plain_is_left_to_calamine() {
        let none = |data: &str, sst: Option<&str>, what: &str| {
            assert!(read(&book(&sheet(data), sst, Some(STYLES)), &budget()).is_none(), "{what}");
        };
        none(r#"<row r="1"><c r="A1" s="2"><v>46000.5</v></c></row>"#, None, "a date format on part of a day");
        none(r#"<row r="1"><c r="A1" s="3"><v>60</v></c></row>"#, None, "a day before 1900-03-01");
        none(r#"<row r="1"><c r="A1" s="3"><v>4.6e4</v></c></row>"#, None, "a day written with an exponent");
        none(r#"<row r="1"><c r="A1" s="5"><v>46000</v></c></row>"#, None, "a built-in time format");
        none(r#"<row r="1"><c r="A1" s="6"><v>46000</v></c></row>"#, None, "a custom time format");
        none(r#"<row r="1"><c r="A1" s="7"><v>46000</v></c></row>"#, None, "a duration format");
        let mut nineteen_four = book(&sheet(r#"<row r="1"><c r="A1" s="3"><v>46000</v></c></row>"#), None, Some(STYLES));
        nineteen_four[1].1 = String::from_utf8(nineteen_four[1].1.clone())
            .unwrap()
            .replace("<sheets>", r#"<workbookPr date1904="1"/><sheets>"#)
            .into_bytes();
        assert!(read(&nineteen_four, &budget()).is_none(), "dates counted from 1904");
        none(
            r#"<row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">B1</f><v>1</v></c></row>"#,
            None,
            "a shared formula",
        );
        none(r#"<row r="1"><c r="A1" t="e"><v>#DIV/0!</v></c></row>"#, None, "an error value");
        none(r#"<row r="1"><c r="A1" t="d"><v>2026-10-01</v></c></row>"#, None, "an ISO date");
        none(r#"<row r="1"><c r="A1" t="str"><v>a_x000D_b</v></c></row>"#, None, "an _x escape");
        none("<row r=\"1\"><c r=\"A1\" t=\"str\"><v>a\r\nb</v></c></row>", None, "a carriage return");
        none(r#"<row r="1"><c r="A1" t="str"><v><![CDATA[x]]></v></c></row>"#, None, "CDATA");
        none(r#"<row r="1"><!-- x --><c r="A1"><v>1</v></c></row>"#, None, "a comment");
        none(r#"<row r="1"><c><v>1</v></c></row>"#, None, "a cell without its reference");
        none(r#"<row r="x"><c r="A1"><v>1</v></c></row>"#, None, "a row number that is not one");
        none(r#"<row r="1"><c r="A1"><v> 1</v></c></row>"#, None, "a number with spaces");
        none(
            r#"<row r="1"><c r="A1" t="s"><v>9</v></c></row>"#,
            Some(r#"<sst><si><t>a</t></si></sst>"#),
            "a string index past the table",
        );
        none(r#"<row r="1"><c r="A1" t="b"><v>true</v></c></row>"#, None, "a boolean spelt out");
        none(r#"<row r="1"><c r="A1"><v>1</v><extLst/></c></row>"#, None, "an unknown element in a cell");
        let gbk = book(&sheet("").replace("UTF-8", "GBK"), None, None);
        assert!(read(&gbk, &budget()).is_none(), "another encoding");
        let mut chart = book(&sheet(""), None, None);
        assert!(read(&chart, &budget()).is_some());
        chart[2].1 = String::from_utf8(chart[2].1.clone())
            .unwrap()
            .replace("/worksheet\"", "/chartsheet\"")
            .into_bytes();
        assert!(read(&chart, &budget()).is_none(), "a chart sheet");
    }

    #[test]
    fn long_shared_strings_named_by_many_cells_are_left_to_calamine() {
        let long = "长".repeat(30_000);
        let sst = format!("<sst><si><t>{long}</t></si></sst>");
        let row: String = (1..=400).map(|c| format!(r#"<c r="{}" t="s"><v>0</v></c>"#, crate::text::a1(0, c))).collect();
        let data: String = (1..=4)
            .map(|r| format!(r#"<row r="{r}">{}</row>"#, row.replace("1\"", &format!("{r}\""))))
            .collect();
        assert!(read(&book(&sheet(&data), Some(&sst), None), &budget()).is_none());
    }

    #[test]
    fn generated_workbooks_read_as_calamine_reads_them() {
        use rust_xlsxwriter::{Format as Fmt, Formula, Workbook};
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut rnd = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let words = ["兰山区", " 空格 ", "a&b<c>\"d'", "", "x\ny", "😀", "123", "合　计", "\t制表"];
        let (mut plain, mut dated) = (0, 0);
        for case in 0..40 {
            let mut wb = Workbook::new();
            let int = Fmt::new().set_num_format("0");
            let money = Fmt::new().set_num_format("#,##0.00");
            let date = Fmt::new().set_num_format("yyyy-mm-dd");
            let bold = Fmt::new().set_bold();
            let with_dates = case % 4 == 3;
            for s in 0..1 + rnd(3) {
                let ws = wb.add_worksheet();
                ws.set_name(format!("表{s}")).unwrap();
                for r in 0..(5 + rnd(30)) as u32 {
                    for c in 0..(1 + rnd(22)) as u16 {
                        let _ = match rnd(9) {
                            0 => ws.write_string(r, c, words[rnd(words.len() as u64) as usize]),
                            1 => ws.write_number(r, c, rnd(100_000) as f64),
                            2 => ws.write_number_with_format(r, c, rnd(1000) as f64 / 7.0, &money),
                            3 => ws.write_number_with_format(r, c, -(rnd(50) as f64), &int),
                            4 => ws.write_boolean(r, c, rnd(2) == 0),
                            5 => ws.write_formula(r, c, Formula::new("=SUM(A1:A3)").set_result(rnd(99).to_string())),
                            6 => ws.write_formula(r, c, Formula::new("=A1&\"人\"").set_result("兰山区人")),
                            7 => ws.write_rich_string(r, c, &[(&bold, "粗"), (&Fmt::default(), " 细 ")]),
                            _ if with_dates => ws.write_number_with_format(r, c, 46000.0 + rnd(300) as f64, &date),
                            _ => ws.write_blank(r, c, &bold),
                        };
                    }
                }
                if rnd(2) == 0 {
                    ws.merge_range(40, 0, 41, 3, "合并", &bold).unwrap();
                    ws.set_row_hidden(3).unwrap();
                    ws.set_column_hidden(2).unwrap();
                }
            }
            let bytes = wb.save_to_buffer().unwrap();
            if agree(&parts_of(&bytes).unwrap(), &format!("generated workbook {case}")) {
                plain += 1;
                dated += usize::from(with_dates);
            }
        }
        assert!(plain >= 25, "only {plain} of 40 read plainly");
        assert!(dated >= 5, "only {dated} of 10 workbooks with dates read plainly");
    }

    /// What the differential fuzz target found (fuzz/fuzz_targets/plain_xlsx.rs), kept.
    #[test]
    fn the_fuzzers_finds_agree_now() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/plain-fuzz");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let data = std::fs::read(entry.unwrap().path()).unwrap();
            let (sheet, sst) = match data.iter().position(|b| *b == 0xFF) {
                Some(i) => (&data[..i], &data[i + 1..]),
                None => (&data[..], &b""[..]),
            };
            assert_eq!(crate::ingest::plain_differs(sheet, sst), None);
            n += 1;
        }
        assert!(n > 0);
    }

    #[test]
    fn the_committed_workbooks_read_as_calamine_reads_them() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut plain = 0;
        for dir in ["sample-data", "tests/fixtures", "tests/fixtures/fuzz"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "xlsx") {
                    let bytes = std::fs::read(&path).unwrap();
                    if let Some(parts) = parts_of(&bytes)
                        && agree(&parts, &path.display().to_string())
                    {
                        plain += 1;
                    }
                }
            }
        }
        assert!(plain >= 3, "the sample months are plain; {plain} were read plainly");
    }
}
