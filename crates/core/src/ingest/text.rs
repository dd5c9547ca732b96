//! Delimited text: CSV as Excel and WPS save it on Chinese Windows (UTF-8 or GB18030), and
//! tab-separated text (Excel's "文本" and UTF-16 "Unicode 文本"). Fields are read into a fixed
//! buffer, so a field longer than a cell can hold is refused without growing memory.

use super::reject::Unreadable;
use super::sniff::Encoding;
use super::{Book, Budget, Cell, Grid, Value};
use crate::limits::{Limit, MAX_CELL_CHARS};
use std::borrow::Cow;

/// Decodes text bytes in `enc`, dropping a BOM.
pub fn decode_with(bytes: &[u8], enc: Encoding) -> Cow<'_, str> {
    let e = match enc {
        Encoding::Utf8 => encoding_rs::UTF_8,
        Encoding::Gb18030 => encoding_rs::GB18030,
        Encoding::Utf16Le => encoding_rs::UTF_16LE,
        Encoding::Utf16Be => encoding_rs::UTF_16BE,
    };
    // `decode` sniffs and drops a BOM itself; for valid UTF-8 it borrows.
    let (text, _, _) = e.decode(bytes);
    text
}

/// Decodes bytes that may be owned: owned UTF-8 becomes the string without a copy, other
/// encodings free the bytes once decoded.
pub fn decode_cow(bytes: Cow<'_, [u8]>, enc: Encoding) -> Cow<'_, str> {
    match bytes {
        Cow::Borrowed(b) => decode_with(b, enc),
        Cow::Owned(v) => {
            let v = if enc == Encoding::Utf8 {
                match String::from_utf8(v) {
                    Ok(mut s) => {
                        if s.starts_with('\u{FEFF}') {
                            s.drain(..3);
                        }
                        return Cow::Owned(s);
                    }
                    Err(e) => e.into_bytes(),
                }
            } else {
                v
            };
            let mut s = decode_with(&v, enc).into_owned();
            drop(v);
            // The decoder sized its output for the worst case; give back the rest.
            s.shrink_to_fit();
            Cow::Owned(s)
        }
    }
}

/// Text as saved on Chinese Windows: UTF-8 (BOM dropped), UTF-16 with a BOM, or else GB18030;
/// None when it is none of them.
pub fn decode_text(bytes: &[u8]) -> Option<String> {
    let enc = super::sniff::text_encoding(bytes)?;
    Some(decode_with(bytes, enc).into_owned())
}

/// Reads delimited text into one sheet named `name`. Fields that are plain decimal numbers are
/// numbers, as Excel would open them.
pub fn read_delimited(text: &str, delimiter: u8, name: &str, budget: &Budget) -> Result<Book, Unreadable> {
    let mut rdr = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut grid = Grid::new(name).with_room(budget.limits.cells);
    let mut input = text.as_bytes();
    // UTF-8 takes up to 4 bytes a character; one more byte tells "too long" from "just fits".
    let mut field = vec![0u8; MAX_CELL_CHARS * 4 + 1];
    let mut len = 0usize;
    let (mut row, mut col) = (0u32, 0u32);
    let mut cells = 0u64;
    loop {
        let (res, nin, nout) = rdr.read_field(input, &mut field[len..]);
        input = &input[nin..];
        len += nout;
        match res {
            csv_core::ReadFieldResult::InputEmpty => {
                if input.is_empty() {
                    // Signal the end: the reader flushes the last field.
                    let (res, _, nout) = rdr.read_field(&[], &mut field[len..]);
                    len += nout;
                    if let csv_core::ReadFieldResult::Field { .. } = res {
                        push(&mut grid, (row, col), &field[..len], &mut cells, budget)?;
                    }
                    break;
                }
            }
            csv_core::ReadFieldResult::OutputFull => {
                return Err(Unreadable::OverLimit {
                    limit: Limit::CellText,
                    found: Some(format!("第 {} 行", row + 1)),
                });
            }
            csv_core::ReadFieldResult::Field { record_end } => {
                push(&mut grid, (row, col), &field[..len], &mut cells, budget)?;
                len = 0;
                if record_end {
                    row += 1;
                    col = 0;
                } else {
                    col = col.saturating_add(1);
                }
            }
            csv_core::ReadFieldResult::End => break,
        }
    }
    Ok(Book { sheets: vec![grid] })
}

fn push(grid: &mut Grid, pos: (u32, u32), raw: &[u8], cells: &mut u64, budget: &Budget) -> Result<(), Unreadable> {
    // The input was valid UTF-8 and fields split at ASCII delimiters, so this never replaces.
    let field = String::from_utf8_lossy(raw);
    let t = field.trim();
    if t.is_empty() {
        return Ok(());
    }
    if field.chars().count() > MAX_CELL_CHARS {
        return Err(Unreadable::OverLimit {
            limit: Limit::CellText,
            found: Some(format!("第 {} 行", pos.0 + 1)),
        });
    }
    *cells += 1;
    budget.check_cells(*cells)?;
    let value = if is_plain_number(t) {
        t.parse::<f64>().map(Value::Number).unwrap_or_else(|_| Value::text(&*field))
    } else {
        Value::text(&*field)
    };
    grid.insert(pos, Cell::new(value));
    Ok(())
}

pub fn is_plain_number(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let mut parts = body.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    fn read(text: &str, d: u8) -> Result<Grid, Unreadable> {
        let mut b = read_delimited(text, d, "t", &Budget::new(Limits::default()))?;
        let mut g = b.sheets.remove(0);
        g.finish();
        Ok(g)
    }

    #[test]
    fn plain_numbers() {
        assert!(is_plain_number("120"));
        assert!(is_plain_number("-3"));
        assert!(is_plain_number("12.5"));
        assert!(!is_plain_number("1,200"));
        assert!(!is_plain_number("１２"));
        assert!(!is_plain_number("12."));
        assert!(!is_plain_number(""));
    }

    #[test]
    fn quoted_fields_and_last_line_without_newline() {
        let g = read("a,\"b,c\",3\n\"多\n行\",,5", b',').unwrap();
        assert_eq!(g.get(0, 1).unwrap().value, Value::text("b,c"));
        assert_eq!(g.get(0, 2).unwrap().value, Value::Number(3.0));
        assert_eq!(g.get(1, 0).unwrap().value, Value::text("多\n行"));
        assert!(g.get(1, 1).is_none());
        assert_eq!(g.get(1, 2).unwrap().value, Value::Number(5.0));
        let t = read("地区\t1\r\n兰山区\t2\r\n", b'\t').unwrap();
        assert_eq!(t.get(1, 1).unwrap().value, Value::Number(2.0));
    }

    #[test]
    fn limits_on_cells_and_field_length() {
        let long = "x".repeat(MAX_CELL_CHARS);
        assert_eq!(read(&long, b',').unwrap().len(), 1);
        let too_long = "x".repeat(MAX_CELL_CHARS * 4 + 10);
        assert!(matches!(read(&too_long, b','), Err(Unreadable::OverLimit { limit: Limit::CellText, .. })));
        let many = "1,".repeat(50);
        let b = Budget::new(Limits {
            cells: 20,
            ..Limits::default()
        });
        assert!(matches!(
            read_delimited(&many, b',', "t", &b),
            Err(Unreadable::OverLimit { limit: Limit::Cells, .. })
        ));
    }

    #[test]
    fn utf16_and_gbk_decode() {
        let mut le = vec![0xFF, 0xFE];
        for u in "兰山区\t5".encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode_with(&le, Encoding::Utf16Le), "兰山区\t5");
        let (gbk, _, _) = encoding_rs::GBK.encode("合计");
        assert_eq!(decode_text(&gbk).unwrap(), "合计");
        assert_eq!(decode_text("\u{FEFF}合计".as_bytes()).unwrap(), "合计");
    }
}
