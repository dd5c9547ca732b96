//! The annotated copy a county gets back: every sheet's values and merges as handed in, failing
//! cells filled (errors red, warnings yellow) with the messages as cell notes, and a 审核结果
//! sheet listing every finding with a link to its cell.

use crate::finding::Severity;
use crate::ingest::Value;
use crate::validate::{FileCheck, Status};
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Note, Url, Workbook, XlsxError};
use std::collections::BTreeMap;
use std::path::Path;

const RED: u32 = 0xFFC7CE;
const YELLOW: u32 = 0xFFEB9C;
/// Subtotal rows (`街道小计`): not summed into the 合计, checked against their groups.
const SUBTOTAL: u32 = 0xE8F0FB;
/// Largest merged range redrawn in the annotated copy.
const MAX_MERGE_CELLS: u64 = 100_000;

fn fill(sev: Severity) -> Option<Color> {
    match sev {
        Severity::Error => Some(Color::RGB(RED)),
        Severity::Warning => Some(Color::RGB(YELLOW)),
        Severity::Info => None,
    }
}

/// Writes the annotated copy of `rep` to `out`.
pub fn write_annotated(rep: &FileCheck, schemas: &crate::schema::Schemas, out: &Path) -> Result<(), XlsxError> {
    annotated_workbook(rep, schemas)?.save(out)
}

/// The annotated copy of `rep` as a workbook.
pub fn annotated_workbook(rep: &FileCheck, schemas: &crate::schema::Schemas) -> Result<Workbook, XlsxError> {
    let regions = &schemas.regions;
    let width = schemas.form().width() as u32;
    let mut wb = Workbook::new();
    let font = Format::new().set_font_name("宋体").set_font_size(10);
    let mut names = Vec::new();
    if let Some(book) = &rep.book {
        for grid in &book.sheets {
            let name = unique(super::sheet_name(&grid.name), &names);
            names.push(name.clone());
            let ws = wb.add_worksheet();
            ws.set_name(&name)?;
            // Worst severity and all messages per cell.
            let mut marks: BTreeMap<(u32, u32), (Severity, Vec<String>)> = BTreeMap::new();
            for f in rep
                .findings
                .iter()
                .filter(|f| f.sheet.as_deref() == Some(grid.name.as_str()) && f.severity > Severity::Info)
            {
                if let Some(pos) = f.pos {
                    let e = marks.entry(pos).or_insert((f.severity, Vec::new()));
                    e.0 = e.0.max(f.severity);
                    e.1.push(format!("{} {}", f.code.as_str(), f.message));
                }
            }
            // The form's table is redrawn as a table (borders, wrapped bold header) so the copy
            // reads like the form; cells with findings get their fill on top.
            let area = rep.table.as_ref().filter(|(name, _)| *name == grid.name).map(|(_, a)| *a);
            let fmt_for = |pos: (u32, u32)| {
                let mut f = font.clone();
                if let Some(a) = area
                    && (a.top..=a.bottom).contains(&pos.0)
                    && (a.first_col..=a.last_col).contains(&pos.1)
                {
                    f = f.set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter);
                    if pos.0 <= a.header_row {
                        f = f.set_bold().set_text_wrap().set_align(FormatAlign::Center);
                    }
                    // Subtotal rows read apart from the townships they sum.
                    if rep.subtotal_rows.contains(&pos.0) {
                        f = f.set_background_color(Color::RGB(SUBTOTAL)).set_italic();
                    }
                }
                if let Some(c) = marks.get(&pos).and_then(|(s, _)| fill(*s)) {
                    f = f.set_background_color(c).set_border(FormatBorder::Thin).set_border_color(Color::RGB(0xC00000));
                }
                f
            };
            let mut merged_hidden = std::collections::HashSet::new();
            // Merge first, then write the top-left value over it, so numbers stay numbers.
            for &(r1, c1, r2, c2) in &grid.merges {
                // A merge the size of a sheet is no part of a form: leave it out of the copy
                // rather than walk billions of cells.
                let area = (u64::from(r2.saturating_sub(r1)) + 1) * (u64::from(c2.saturating_sub(c1)) + 1);
                if area > MAX_MERGE_CELLS || r2 > 1_048_575 || c2 > 16_383 {
                    continue;
                }
                if (r1, c1) != (r2, c2) && ws.merge_range(r1, c1 as u16, r2, c2 as u16, "", &fmt_for((r1, c1))).is_ok() {
                    for r in r1..=r2 {
                        for c in c1..=c2 {
                            if (r, c) != (r1, c1) {
                                merged_hidden.insert((r, c));
                            }
                        }
                    }
                }
            }
            for (&(r, c), cell) in grid.iter() {
                if merged_hidden.contains(&(r, c)) || c > 16_383 || r > 1_048_575 {
                    continue;
                }
                let f = fmt_for((r, c));
                let c = c as u16;
                match &cell.value {
                    Value::Number(n) => ws.write_number_with_format(r, c, *n, &f)?,
                    Value::Bool(b) => ws.write_boolean_with_format(r, c, *b, &f)?,
                    Value::Empty => ws.write_blank(r, c, &f)?,
                    // Excel holds at most 32,767 characters in a cell.
                    other => ws.write_string_with_format(r, c, other.display().chars().take(32_767).collect::<String>(), &f)?,
                };
            }
            for (&(r, c), (_, msgs)) in &marks {
                // A finding on an empty cell still needs the cell to carry its fill.
                if !grid.contains((r, c)) && !merged_hidden.contains(&(r, c)) {
                    ws.write_blank(r, c as u16, &fmt_for((r, c)))?;
                }
                let note = Note::new(msgs.join("\n"))
                    .set_author("yuebao 审核")
                    .set_width(360)
                    .set_height(40 + 30 * msgs.len() as u32);
                ws.insert_note(r, c as u16, &note)?;
            }
            ws.set_column_range_width(0, grid.last_col().min(200) as u16, 9)?;
            if let Some(a) = area {
                // Empty cells inside the table still need their borders.
                for r in a.top..=a.bottom {
                    for c in a.first_col..=a.last_col {
                        if !grid.contains((r, c)) && !merged_hidden.contains(&(r, c)) && !marks.contains_key(&(r, c)) {
                            ws.write_blank(r, c as u16, &fmt_for((r, c)))?;
                        }
                    }
                }
                for r in a.top..a.header_row {
                    ws.set_row_height(r, if r + 1 == a.header_row { 90 } else { 30 })?;
                }
                let data_first = (a.last_col + 1).saturating_sub(width) as u16;
                if data_first > a.first_col as u16 {
                    ws.set_column_range_width(a.first_col as u16, data_first - 1, 12)?;
                }
                ws.set_landscape();
                ws.set_paper_size(8);
                ws.set_print_fit_to_pages(1, 0);
                ws.set_repeat_rows(a.top, a.header_row)?;
                ws.set_freeze_panes(a.header_row + 1, 0)?;
            }
        }
    }
    write_results_sheet(&mut wb, rep, regions, &names)?;
    Ok(wb)
}

fn unique(name: String, taken: &[String]) -> String {
    let mut n = name.clone();
    let mut i = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&n)) {
        n = format!("{}({i})", name.chars().take(27).collect::<String>());
        i += 1;
    }
    n
}

fn write_results_sheet(wb: &mut Workbook, rep: &FileCheck, regions: &crate::schema::Regions, names: &[String]) -> Result<(), XlsxError> {
    let sheet_name = unique("审核结果".to_string(), names);
    let ws = wb.add_worksheet();
    ws.set_name(&sheet_name)?;
    let font = Format::new().set_font_name("宋体").set_font_size(10).set_align(FormatAlign::VerticalCenter);
    let title = font.clone().set_font_size(14).set_bold();
    let head = font
        .clone()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color(Color::RGB(0xD9E1F2))
        .set_align(FormatAlign::Center);
    let cell = font.clone().set_border(FormatBorder::Thin).set_text_wrap();
    ws.merge_range(0, 0, 0, 7, &format!("审核结果：{}", rep.file), &title)?;
    let region = rep
        .region
        .as_deref()
        .and_then(|c| regions.get(c))
        .map(|r| regions.display(r))
        .unwrap_or_else(|| "未能确定".into());
    let period = rep.period.map(|p| p.label()).unwrap_or_else(|| "未能确定".into());
    let verdict = match rep.status {
        Status::Accepted => "通过",
        Status::Rejected => "退回",
    };
    let line = format!(
        "填报单位：{region}    报告期：{period}    结论：{verdict}（错误 {} 处，警告 {} 处，提示 {} 处）",
        rep.summary.errors, rep.summary.warnings, rep.summary.infos
    );
    ws.merge_range(1, 0, 1, 7, &line, &font)?;
    let heads = ["序号", "代码", "级别", "工作表", "单元格", "行", "栏目", "说明"];
    for (i, h) in heads.iter().enumerate() {
        ws.write_with_format(3, i as u16, *h, &head)?;
    }
    for (i, f) in rep.findings.iter().enumerate() {
        let r = 4 + i as u32;
        let sev_fmt = match fill(f.severity) {
            Some(c) => cell.clone().set_background_color(c),
            None => cell.clone(),
        };
        ws.write_with_format(r, 0, (i + 1) as u32, &cell)?;
        ws.write_with_format(r, 1, f.code.as_str(), &cell)?;
        ws.write_with_format(r, 2, f.severity.label(), &sev_fmt)?;
        ws.write_with_format(r, 3, f.sheet.as_deref().unwrap_or(""), &cell)?;
        match (&f.sheet, &f.cell) {
            (Some(s), Some(c)) if names.iter().any(|n| n == &super::sheet_name(s)) => {
                let target = format!("internal:'{}'!{c}", super::sheet_name(s).replace('\'', "''"));
                ws.write_url_with_format(r, 4, Url::new(target).set_text(c), &cell)?;
            }
            (_, Some(c)) => {
                ws.write_with_format(r, 4, c, &cell)?;
            }
            _ => {
                ws.write_with_format(r, 4, "", &cell)?;
            }
        }
        ws.write_with_format(r, 5, f.row_label.as_deref().unwrap_or(""), &cell)?;
        let col = f
            .column
            .map(|n| format!("({n}) {}", f.column_name.as_deref().unwrap_or("")))
            .unwrap_or_default();
        ws.write_with_format(r, 6, &col, &cell)?;
        ws.write_with_format(r, 7, &f.message, &cell)?;
    }
    if rep.findings.is_empty() {
        ws.merge_range(4, 0, 4, 7, "未发现问题。", &cell)?;
    }
    for (c, w) in [(0u16, 6.0), (1, 7.0), (2, 6.0), (3, 12.0), (4, 8.0), (5, 16.0), (6, 30.0), (7, 70.0)] {
        ws.set_column_width(c, w)?;
    }
    let last = 3 + rep.findings.len().max(1) as u32;
    ws.autofilter(3, 0, last, 7)?;
    ws.set_freeze_panes(4, 0)?;
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_active(true);
    Ok(())
}
