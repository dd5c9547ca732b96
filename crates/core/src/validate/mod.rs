//! Judging one handed-in file against the form: where its table is, which region and period it
//! is for, whether every cell is a count, and whether the 栏目关系 and the 合计 hold.

mod choose;
pub mod cross;
mod header;
mod outcome;
mod table;
pub mod values;

pub use crate::finding::Summary;
pub use outcome::{DataRow, FileCheck, Hints, MAX_LISTED_PER_CODE, Sheet, Status};

use crate::finding::{Code, Finding};
use crate::ingest;
use crate::schema::Schemas;
use outcome::empty_check;
use std::collections::HashMap;
use std::path::Path;

/// Validates the file at `path`: reads it (under the limits), then validates its bytes. Never
/// fails: whatever goes wrong becomes a finding.
pub fn validate_file(path: &Path, display: &str, schemas: &Schemas, hints: &Hints) -> FileCheck {
    match ingest::load(path, &hints.limits) {
        Ok(bytes) => validate_bytes(&bytes, &file_name(path), path, display, schemas, hints),
        Err(u) => {
            let mut rep = empty_check(path, display);
            rep.findings.push(unreadable_finding(&u, display, &hints.limits));
            rep.finish()
        }
    }
}

/// Validates the bytes of one handed-in file named `name` (its extension and the region and
/// period a file name may carry). A bug in a reader (a panic on some malformed file) costs
/// that file, not the batch.
pub fn validate_bytes(bytes: &[u8], name: &str, path: &Path, display: &str, schemas: &Schemas, hints: &Hints) -> FileCheck {
    let sha256 = crate::text::sha256_hex(bytes);
    let mut rep = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| validate_inner(bytes, name, path, display, schemas, hints))) {
        Ok(rep) => rep,
        Err(payload) => {
            let mut rep = empty_check(path, display);
            let u = ingest::Unreadable::Crashed {
                detail: ingest::isolate::panic_text(&payload),
            };
            rep.findings.push(unreadable_finding(&u, display, &hints.limits));
            rep.finish()
        }
    };
    rep.sha256 = Some(sha256);
    rep
}

/// Validates bytes without the panic guard of [`validate_bytes`], for the fuzz targets: a panic
/// anywhere in reading or checking must show there as a crash, not as a finding.
pub fn validate_bytes_unguarded(bytes: &[u8], name: &str, schemas: &Schemas, hints: &Hints) -> FileCheck {
    validate_inner(bytes, name, Path::new(name), name, schemas, hints)
}

/// The finding for a file that could not be read: one plain Chinese sentence, the library's
/// words only in `detail`.
pub fn unreadable_finding(u: &ingest::Unreadable, display: &str, limits: &crate::limits::Limits) -> Finding {
    let mut f = Finding::new(u.code(), display, u.message(limits)).value("reason", u.reason());
    f.detail = u.detail().map(str::to_string);
    f
}

fn validate_inner(bytes: &[u8], name: &str, path: &Path, display: &str, schemas: &Schemas, hints: &Hints) -> FileCheck {
    let mut rep = empty_check(path, display);
    let form = schemas.form();
    let loaded = if hints.isolate_readers {
        ingest::isolate::read(name, bytes, &hints.limits)
    } else {
        ingest::read_bytes(name, bytes, &hints.limits)
    };
    let ingest::Loaded { book, format } = match loaded {
        Ok(l) => l,
        Err(u) => {
            rep.findings.push(unreadable_finding(&u, display, &hints.limits));
            return rep.finish();
        }
    };
    rep.format = Some(format.key());
    let ext = Path::new(name).extension().map(|e| e.to_string_lossy().to_string()).unwrap_or_default();
    if format.matches_extension(&ext) == Some(false) {
        rep.findings.push(
            Finding::new(
                Code::FormatMismatch,
                display,
                format!("文件扩展名是 .{ext}，实际是{}，已按实际格式读取", format.label()),
            )
            .value("format", format.key()),
        );
    }
    let tables = ingest::find_tables(&book, form.width());
    if tables.is_empty() {
        let mut names: Vec<String> = book.sheets.iter().take(10).map(|s| format!("“{}”", s.name)).collect();
        if book.sheets.len() > 10 {
            names.push(format!("等 {} 张工作表", book.sheets.len()));
        }
        rep.findings.push(Finding::new(
            Code::NoTable,
            display,
            format!(
                "在工作表 {} 中都没有找到栏次行（依次为 1、2、…、{} 的一行）。应报送《{}》（{} 栏），请使用标准模板填报，不要删除栏次行",
                names.join("、"),
                form.width(),
                form.name,
                form.width()
            ),
        ));
        rep.book = Some(book);
        return rep.finish();
    }
    let mut sheets: Vec<ingest::FormSheet> = tables.iter().map(|&loc| ingest::extract(&book, loc, form)).collect();
    let Some(chosen) = choose::choose(&sheets, name, hints, display, &mut rep.findings) else {
        rep.book = Some(book);
        return rep.finish();
    };
    let fs = sheets.swap_remove(chosen);
    drop(sheets);
    rep.table = Some((fs.sheet.clone(), fs.area));
    rep.subtotal_rows = fs.rows.iter().filter(|r| r.is_subtotal).map(|r| r.row).collect();
    hidden_figures(&book.sheets[fs.loc.sheet], &fs, form, display, &mut rep.findings);
    let mut period_findings = Vec::new();
    let period = header::resolve_period(&fs, name, hints, display, &mut period_findings);
    // A sheet of a month before the current divisions is checked against its month's (a county
    // since merged or renamed is no unknown region then).
    let then = period.and_then(|p| schemas.at(p));
    let region =
        header::resolve_region(&fs, name, then.as_deref().unwrap_or(schemas), hints, display, &mut rep.findings).map(|r| (r.code.clone(), r.name.clone()));
    rep.findings.extend(period_findings);
    rep.region = region.as_ref().map(|r| r.0.clone());
    rep.region_name = region.as_ref().map(|r| r.1.clone());
    rep.period = period;
    let mut collector = table::Collector {
        out: &mut rep.findings,
        unlisted: &mut rep.unlisted,
        seen: HashMap::new(),
    };
    let checked = table::check_table(&fs, form, display, &mut collector);
    table::check_footer(&fs, display, &mut rep.findings);
    if let (
        Some(region),
        Some(period),
        Some(table::Checked {
            rows,
            subtotals,
            total,
            total_given,
        }),
    ) = (region, period, checked)
    {
        let sheet = Sheet {
            sheet: fs.sheet.clone(),
            region: region.0,
            period,
            rows,
            subtotals,
            total,
            total_given,
            first_col: fs.loc.first_col,
        };
        rep.figures = Some(sheet.clone());
        rep.sheet = Some(sheet);
    }
    rep.book = Some(book);
    rep.finish()
}

/// Figures in hidden rows or columns of the table are counted like any other; the reviewer is
/// told where they are, since hidden rows are where old figures linger.
fn hidden_figures(grid: &ingest::Grid, fs: &ingest::FormSheet, form: &crate::schema::Form, file: &str, out: &mut Vec<Finding>) {
    if grid.hidden_rows.is_empty() && grid.hidden_cols.is_empty() {
        return;
    }
    let filled = |c: &Option<ingest::Cell>| c.as_ref().is_some_and(|c| !c.is_blank());
    for raw in fs.rows.iter().filter(|r| r.hidden) {
        let cells: Vec<String> = raw.cells.iter().filter(|(_, c)| filled(c)).map(|((r, c), _)| crate::text::a1(*r, *c)).collect();
        if cells.is_empty() {
            continue;
        }
        let label = if raw.label.is_empty() {
            String::new()
        } else {
            format!("“{}”", raw.label)
        };
        out.push(
            Finding::new(
                Code::HiddenFigures,
                file,
                format!(
                    "第 {} 行{label}是隐藏行，其中 {} 个数字已照常计入：{}",
                    raw.row + 1,
                    cells.len(),
                    span_text(&cells)
                ),
            )
            .at(&fs.sheet, raw.label_pos.unwrap_or((raw.row, fs.loc.first_col)))
            .row(&raw.label)
            .value("cells", cells),
        );
    }
    for k in 0..form.width() as u32 {
        let col = fs.loc.first_col + k;
        if !grid.is_col_hidden(col) {
            continue;
        }
        let cells: Vec<String> = fs
            .rows
            .iter()
            .filter(|r| filled(&r.cells[k as usize].1))
            .map(|r| crate::text::a1(r.row, col))
            .collect();
        if cells.is_empty() {
            continue;
        }
        out.push(
            Finding::new(
                Code::HiddenFigures,
                file,
                format!(
                    "第 {} 列（第({})栏）是隐藏列，其中 {} 个数字已照常计入：{}",
                    crate::text::col_letters(col),
                    k + 1,
                    cells.len(),
                    span_text(&cells)
                ),
            )
            .at(&fs.sheet, (fs.loc.header_row, col))
            .column(k as usize + 1, form.column_name(k as usize + 1))
            .value("cells", cells),
        );
    }
}

/// `C8:W8` for a run of cells, else the first few listed.
fn span_text(cells: &[String]) -> String {
    match cells {
        [] => String::new(),
        [one] => one.clone(),
        [first, .., last] if cells.len() > 6 => format!("{first} 至 {last}"),
        _ => cells.join("、"),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default()
}
