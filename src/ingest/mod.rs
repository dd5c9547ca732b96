//! Reading what counties hand in (xlsx, xlsm, xls, ods via calamine; csv via the csv crate) into
//! sparse grids with absolute cell positions, and finding the form's table inside them.

pub mod isolate;
mod locate;

pub use locate::{FormSheet, Line, RawRow, TableArea, TableLoc, extract, find_tables};

use calamine::{Data, Reader, Sheets, open_workbook_auto};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A cell as read: its cached value and, where the cell holds one, its formula.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub value: Value,
    pub formula: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Number(f64),
    Text(String),
    Bool(bool),
    /// A date or time, shown as the spreadsheet would (`2026-10-01`).
    Date(String),
    /// An error value such as `#DIV/0!`.
    Error(String),
}

impl Value {
    /// What the cell shows, for messages and for copying into annotated workbooks.
    pub fn display(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Value::Number(n) => format!("{n}"),
            Value::Text(s) | Value::Date(s) | Value::Error(s) => s.clone(),
            Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        }
    }
}

impl Cell {
    pub fn is_blank(&self) -> bool {
        self.formula.is_none()
            && match &self.value {
                Value::Empty => true,
                Value::Text(s) => crate::text::squeeze(s).is_empty(),
                _ => false,
            }
    }

    /// The cell's content as text, for labels and header lines.
    pub fn text(&self) -> String {
        self.value.display().trim().to_string()
    }
}

/// One worksheet: sparse cells keyed by 0-based absolute (row, col), and merged ranges.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub name: String,
    pub cells: BTreeMap<(u32, u32), Cell>,
    /// Merged ranges as (first_row, first_col, last_row, last_col).
    pub merges: Vec<(u32, u32, u32, u32)>,
}

impl Grid {
    pub fn get(&self, row: u32, col: u32) -> Option<&Cell> {
        self.cells.get(&(row, col))
    }

    /// Cells of one row, in column order.
    pub fn row(&self, row: u32) -> impl Iterator<Item = (u32, &Cell)> {
        self.cells.range((row, 0)..=(row, u32::MAX)).map(|(&(_, c), cell)| (c, cell))
    }

    pub fn last_row(&self) -> Option<u32> {
        self.cells.keys().next_back().map(|&(r, _)| r)
    }

    pub fn last_col(&self) -> u32 {
        self.cells.keys().map(|&(_, c)| c).max().unwrap_or(0)
    }
}

/// A workbook as read, every sheet in workbook order.
#[derive(Debug, Clone)]
pub struct Book {
    pub path: PathBuf,
    pub sheets: Vec<Grid>,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("无法打开文件：{0}")]
    Io(String),
    #[error("不支持的文件类型“{0}”，请提交 xlsx、xlsm、xls、ods 或 csv 文件")]
    Unsupported(String),
    #[error("文件已损坏或不是有效的电子表格：{0}")]
    Corrupt(String),
}

/// Extensions the reader accepts, lower case.
pub const EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xls", "ods", "csv"];

pub fn is_supported(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    // Office's lock files (~$兰山区.xlsx) sit beside open workbooks.
    !name.starts_with("~$")
        && !name.starts_with('.')
        && path
            .extension()
            .is_some_and(|e| EXTENSIONS.contains(&e.to_string_lossy().to_lowercase().as_str()))
}

pub fn read_book(path: &Path) -> Result<Book, IngestError> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    if !path.exists() {
        return Err(IngestError::Io("文件不存在".into()));
    }
    if ext == "csv" {
        return read_csv(path);
    }
    if !EXTENSIONS.contains(&ext.as_str()) {
        return Err(IngestError::Unsupported(ext));
    }
    let mut wb = open_workbook_auto(path).map_err(|e| IngestError::Corrupt(e.to_string()))?;
    let names = wb.sheet_names();
    let mut sheets = Vec::new();
    for name in names {
        let mut grid = match &mut wb {
            Sheets::Xlsx(x) => stream_xlsx(x, &name)?,
            other => dense_sheet(other, &name)?,
        };
        grid.merges = merges(&mut wb, &name);
        sheets.push(grid);
    }
    Ok(Book {
        path: path.to_path_buf(),
        sheets,
    })
}

/// Xlsx sheets are streamed cell by cell: only cells that exist cost memory, so a stray value
/// at XFD1048576 does not make a dense range of billions of cells.
fn stream_xlsx<RS: std::io::Read + std::io::Seek>(x: &mut calamine::Xlsx<RS>, name: &str) -> Result<Grid, IngestError> {
    let corrupt = |e: calamine::XlsxError| IngestError::Corrupt(format!("工作表“{name}”：{e}"));
    let mut grid = Grid {
        name: name.to_string(),
        ..Grid::default()
    };
    let mut reader = x.worksheet_cells_reader(name).map_err(corrupt)?;
    while let Some(rec) = reader.next_cell_with_formula().map_err(corrupt)? {
        let value = convert(&Data::from(rec.value));
        let formula = rec.formula.filter(|f| !f.is_empty());
        if value != Value::Empty || formula.is_some() {
            grid.cells.insert(rec.pos, Cell { value, formula });
        }
    }
    Ok(grid)
}

/// The other readers hand back dense ranges of values and of formulas.
fn dense_sheet<RS: std::io::Read + std::io::Seek>(wb: &mut Sheets<RS>, name: &str) -> Result<Grid, IngestError> {
    let values = wb.worksheet_range(name).map_err(|e| IngestError::Corrupt(format!("工作表“{name}”：{e}")))?;
    // Formulas are optional knowledge (to tell "formula never calculated" from "blank");
    // a reader that cannot give them still gives values.
    let formulas = wb.worksheet_formula(name).ok();
    let mut grid = Grid {
        name: name.to_string(),
        ..Grid::default()
    };
    let (r0, c0) = values.start().unwrap_or((0, 0));
    for (r, c, v) in values.used_cells() {
        let value = convert(v);
        if value != Value::Empty {
            grid.cells.insert((r0 + r as u32, c0 + c as u32), Cell { value, formula: None });
        }
    }
    if let Some(f) = formulas {
        let (r0, c0) = f.start().unwrap_or((0, 0));
        for (r, c, text) in f.used_cells() {
            if !text.is_empty() {
                let cell = grid.cells.entry((r0 + r as u32, c0 + c as u32)).or_insert(Cell {
                    value: Value::Empty,
                    formula: None,
                });
                cell.formula = Some(text.clone());
            }
        }
    }
    Ok(grid)
}

fn merges<RS: std::io::Read + std::io::Seek>(wb: &mut Sheets<RS>, name: &str) -> Vec<(u32, u32, u32, u32)> {
    let dims = match wb {
        Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
        Sheets::Xls(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
        _ => Vec::new(),
    };
    dims.into_iter().map(|d| (d.start.0, d.start.1, d.end.0, d.end.1)).collect()
}

fn convert(v: &Data) -> Value {
    match v {
        Data::Empty => Value::Empty,
        Data::Int(i) => Value::Number(*i as f64),
        Data::Float(f) => Value::Number(*f),
        Data::String(s) => Value::Text(s.clone()),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(d) => Value::Date(match d.as_datetime() {
            Some(dt) if d.is_datetime() && dt.time() == chrono::NaiveTime::MIN => dt.date().to_string(),
            Some(dt) => dt.to_string(),
            None => d.as_f64().to_string(),
        }),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Date(s.clone()),
        Data::Error(e) => Value::Error(e.to_string()),
    }
}

/// Text as saved on Chinese Windows: UTF-8 (BOM dropped), or else GB18030; None when it is
/// neither.
pub fn decode_text(bytes: &[u8]) -> Option<String> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s.trim_start_matches('\u{FEFF}').to_string()),
        Err(_) => {
            let (s, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            (!had_errors).then(|| s.into_owned())
        }
    }
}

/// CSV from Excel/WPS on Chinese Windows is usually GB18030; anything that is not valid UTF-8
/// is read as that. Fields that are plain decimal numbers are numbers, as Excel would open them.
fn read_csv(path: &Path) -> Result<Book, IngestError> {
    let bytes = std::fs::read(path).map_err(|e| IngestError::Io(e.to_string()))?;
    let text = decode_text(&bytes).ok_or_else(|| IngestError::Corrupt("CSV 文件既不是 UTF-8 也不是 GBK/GB18030 编码".into()))?;
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let name = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "csv".into());
    let mut grid = Grid { name, ..Grid::default() };
    for (r, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| IngestError::Corrupt(format!("CSV 第 {} 行：{e}", r + 1)))?;
        for (c, field) in rec.iter().enumerate() {
            if field.trim().is_empty() {
                continue;
            }
            let value = if is_plain_number(field.trim()) {
                field
                    .trim()
                    .parse::<f64>()
                    .map(Value::Number)
                    .unwrap_or_else(|_| Value::Text(field.to_string()))
            } else {
                Value::Text(field.to_string())
            };
            grid.cells.insert((r as u32, c as u32), Cell { value, formula: None });
        }
    }
    Ok(Book {
        path: path.to_path_buf(),
        sheets: vec![grid],
    })
}

fn is_plain_number(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let mut parts = body.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn lock_files_are_not_input() {
        assert!(is_supported(Path::new("a/兰山区.XLSX")));
        assert!(!is_supported(Path::new("a/~$兰山区.xlsx")));
        assert!(!is_supported(Path::new("a/说明.docx")));
    }
}
