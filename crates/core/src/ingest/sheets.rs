//! Workbooks through calamine: xlsx and xlsb are streamed cell by cell (only cells that exist
//! cost memory, so a value at XFD1048576 is one cell); xls and ods come as dense ranges, which
//! is why `isolate` reads every file in a child process under a memory limit.

use super::reject::Unreadable;
use super::zipcheck::Parts;
use super::{Book, Budget, Cell, Format, Grid, Value};
use crate::limits::{Limit, MAX_CELL_CHARS};
use calamine::{Data, Reader};
use std::io::Cursor;

/// Reads a workbook. `parts` are an xlsx's parts already inflated (a small file): the sheets
/// are read from them rather than inflated a second and third time, by the plain reader when
/// they are plain (see `plain`), else by calamine.
pub fn read(format: Format, bytes: &[u8], parts: Option<Parts>, budget: &Budget) -> Result<Book, Unreadable> {
    if format == Format::Xlsx
        && let Some(p) = &parts
        && let Some(book) = super::plain::read(p, budget)
    {
        return Ok(book);
    }
    read_calamine(format, bytes, parts, budget)
}

/// Reads a workbook with calamine.
pub fn read_calamine(format: Format, bytes: &[u8], parts: Option<Parts>, budget: &Budget) -> Result<Book, Unreadable> {
    let damaged = |detail: String| Unreadable::Damaged { format, detail };
    let stored = match (&parts, format) {
        (Some(p), Format::Xlsx) => Some(stored_zip(p).map_err(|e| damaged(e.to_string()))?),
        _ => None,
    };
    let cur = Cursor::new(stored.as_deref().unwrap_or(bytes));
    let mut counter = Count::new(budget);
    let mut sheets = Vec::new();
    match format {
        Format::Xlsx => {
            let mut wb = calamine::Xlsx::new(cur).map_err(|e| xlsx_error(e, format))?;
            let mut layouts = super::layout::read(bytes, parts.as_ref(), budget);
            for name in wb.sheet_names() {
                let mut grid = Grid::new(&name).with_room(budget.limits.cells);
                let mut reader = wb.worksheet_cells_reader(&name).map_err(|e| xlsx_error(e, format))?;
                while let Some(rec) = reader.next_cell_with_formula().map_err(|e| xlsx_error(e, format))? {
                    let value = convert(&Data::from(rec.value));
                    let formula = rec.formula.filter(|f| !f.is_empty());
                    counter.add(&mut grid, rec.pos, value, formula)?;
                }
                drop(reader);
                match layouts.remove(&name) {
                    Some(layout) => {
                        grid.merges = layout.merges;
                        grid.hidden_rows = layout.hidden_rows;
                        grid.hidden_cols = layout.hidden_cols;
                    }
                    None => grid.merges = wb.merge_cells_by_sheet_name(&name).unwrap_or_default().into_iter().map(dims).collect(),
                }
                sheets.push(grid);
            }
        }
        Format::Xlsb => {
            let mut wb = calamine::Xlsb::new(cur).map_err(|e| match e {
                calamine::XlsbError::Password => Unreadable::Encrypted,
                e => damaged(e.to_string()),
            })?;
            for name in wb.sheet_names() {
                let mut grid = Grid::new(&name).with_room(budget.limits.cells);
                let mut reader = wb.worksheet_cells_reader(&name).map_err(|e| damaged(e.to_string()))?;
                while let Some(cell) = reader.next_cell().map_err(|e| damaged(e.to_string()))? {
                    let pos = cell.get_position();
                    counter.add(&mut grid, pos, convert(&Data::from(cell.get_value().clone())), None)?;
                }
                drop(reader);
                // xlsb keeps formulas in a form calamine reads only densely; values are enough.
                sheets.push(grid);
            }
        }
        Format::Xls => {
            let mut wb = calamine::Xls::new(cur).map_err(|e| match e {
                calamine::XlsError::Password => Unreadable::Encrypted,
                e => dense_too_large(&e.to_string()).unwrap_or_else(|| damaged(e.to_string())),
            })?;
            for name in wb.sheet_names() {
                let mut grid = dense(&mut wb, &name, format, &mut counter).map_err(|e| e.unwrap_or_else(|| damaged(String::new())))?;
                grid.merges = wb.merge_cells_by_sheet_name(&name).unwrap_or_default().into_iter().map(dims).collect();
                sheets.push(grid);
            }
        }
        Format::Ods => {
            let mut wb = calamine::Ods::new(cur).map_err(|e| match e {
                calamine::OdsError::Password => Unreadable::Encrypted,
                e => dense_too_large(&e.to_string()).unwrap_or_else(|| damaged(e.to_string())),
            })?;
            for name in wb.sheet_names() {
                sheets.push(dense(&mut wb, &name, format, &mut counter).map_err(|e| e.unwrap_or_else(|| damaged(String::new())))?);
            }
        }
        Format::Html(_) | Format::Csv(_) | Format::Tsv(_) => unreachable!("text formats are not workbooks"),
    }
    Ok(Book { sheets })
}

/// The parts again as an archive that stores them as they are, for calamine to read without
/// inflating anything.
fn stored_zip(parts: &Parts) -> zip::result::ZipResult<Vec<u8>> {
    use std::io::Write;
    let size: usize = parts.iter().map(|(n, b)| b.len() + 2 * n.len() + 128).sum();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(size + 64)));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(false);
    for (name, data) in parts {
        w.start_file(name.as_str(), opts)?;
        w.write_all(data)?;
    }
    Ok(w.finish()?.into_inner())
}

/// calamine's own guard against a dense range too large to build: our cell limit, in effect.
fn dense_too_large(detail: &str) -> Option<Unreadable> {
    detail.contains("Cell limit exceeded").then(|| Unreadable::OverLimit {
        limit: Limit::Cells,
        found: Some("表格范围过大（含大量重复或远处的单元格）".into()),
    })
}

fn xlsx_error(e: calamine::XlsxError, format: Format) -> Unreadable {
    match e {
        calamine::XlsxError::Password => Unreadable::Encrypted,
        e => Unreadable::Damaged { format, detail: e.to_string() },
    }
}

fn dims(d: calamine::Dimensions) -> (u32, u32, u32, u32) {
    (d.start.0, d.start.1, d.end.0, d.end.1)
}

/// Counts cells against the limits as they arrive.
pub(super) struct Count<'a> {
    n: u64,
    budget: &'a Budget,
}

impl<'a> Count<'a> {
    pub(super) fn new(budget: &'a Budget) -> Count<'a> {
        Count { n: 0, budget }
    }

    pub(super) fn add(&mut self, grid: &mut Grid, pos: (u32, u32), value: Value, formula: Option<String>) -> Result<(), Unreadable> {
        if value == Value::Empty && formula.is_none() {
            return Ok(());
        }
        if let Value::Text(t) = &value
            && t.len() > MAX_CELL_CHARS
            && t.chars().count() > MAX_CELL_CHARS
        {
            return Err(Unreadable::OverLimit {
                limit: Limit::CellText,
                found: Some(format!("工作表“{}”{}", grid.name, crate::text::a1(pos.0, pos.1))),
            });
        }
        self.n += 1;
        self.budget.check_cells(self.n)?;
        grid.insert(
            pos,
            Cell {
                value,
                formula: formula.map(String::into_boxed_str),
            },
        );
        Ok(())
    }
}

/// The readers that hand back dense ranges of values and of formulas. `Err(None)` is a read
/// error without more to say than the format.
fn dense<RS: std::io::Read + std::io::Seek, R: Reader<RS>>(wb: &mut R, name: &str, format: Format, counter: &mut Count<'_>) -> Result<Grid, Option<Unreadable>>
where
    R::Error: std::fmt::Display,
{
    let values = wb.worksheet_range(name).map_err(|e| {
        let detail = format!("{name}: {e}");
        Some(dense_too_large(&detail).unwrap_or(Unreadable::Damaged { format, detail }))
    })?;
    // Formulas are optional knowledge (to tell "formula never calculated" from "blank");
    // a reader that cannot give them still gives values.
    let formulas = wb.worksheet_formula(name).ok();
    let mut grid = Grid::new(name).with_room(counter.budget.limits.cells);
    let mut formula_at = std::collections::HashMap::new();
    if let Some(f) = &formulas {
        let (r0, c0) = f.start().unwrap_or((0, 0));
        for (r, c, text) in f.used_cells() {
            if !text.is_empty() {
                formula_at.insert((r0 + r as u32, c0 + c as u32), text.clone());
            }
        }
    }
    let (r0, c0) = values.start().unwrap_or((0, 0));
    for (r, c, v) in values.used_cells() {
        let pos = (r0 + r as u32, c0 + c as u32);
        let formula = formula_at.remove(&pos);
        counter.add(&mut grid, pos, convert(v), formula).map_err(Some)?;
    }
    // Formulas whose cells hold no cached value.
    for (pos, f) in formula_at {
        counter.add(&mut grid, pos, Value::Empty, Some(f)).map_err(Some)?;
    }
    Ok(grid)
}

fn convert(v: &Data) -> Value {
    match v {
        Data::Empty => Value::Empty,
        Data::Int(i) => Value::Number(*i as f64),
        Data::Float(f) => Value::Number(*f),
        Data::String(s) => Value::text(s.as_str()),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(d) => Value::Date(
            match d.as_datetime() {
                Some(dt) if d.is_datetime() && dt.time() == chrono::NaiveTime::MIN => dt.date().to_string(),
                Some(dt) => dt.to_string(),
                None => d.as_f64().to_string(),
            }
            .into_boxed_str(),
        ),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Date(s.clone().into_boxed_str()),
        Data::Error(e) => Value::Error(e.to_string().into_boxed_str()),
    }
}
