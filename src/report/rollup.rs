//! Writing a rollup: one workbook per table in the form layout, each with a 报送情况 sheet, and
//! on request the same tables as CSV or JSON for analysts.

use super::form::{FormDoc, FormRow, write_form};
use crate::aggregate::rollup::{Entry, EntryStatus, Rollup, Table};
use crate::schema::Schemas;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use std::path::{Path, PathBuf};

/// Writes every table of `rollup` into `dir`; returns the paths written, in table order.
pub fn write_workbooks(rollup: &Rollup, schemas: &Schemas, dir: &Path, filled_on: &str) -> Result<Vec<PathBuf>, XlsxError> {
    let mut written = Vec::new();
    for table in &rollup.tables {
        let Some(region) = schemas.regions.get(&table.code) else { continue };
        let path = dir.join(super::file_name(region, rollup.period));
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet().set_name(rollup.period.label())?;
        let width = schemas.form().width();
        let mut doc = FormDoc::for_region(schemas, region, rollup.period);
        doc.rows = table
            .rows
            .iter()
            .map(|r| match &r.values {
                Some(v) => FormRow::filled(r.name.clone(), v),
                None => FormRow::missing(&r.name, width),
            })
            .collect();
        doc.coverage = Some(table.coverage.clone());
        // The signatures are for people to add on paper; the date is when it was compiled.
        doc.footer = schemas
            .form()
            .footer
            .iter()
            .map(|f| if f.key.contains("日期") { filled_on.to_string() } else { String::new() })
            .collect();
        write_form(ws, schemas.form(), &doc)?;
        let entries: Vec<&Entry> = rollup
            .entries
            .iter()
            // The top table lists everything handed in (unknown and out-of-scope files too);
            // a city's table under the province lists its own counties.
            .filter(|e| table.code == rollup.scope || e.city.as_deref() == Some(table.code.as_str()) || e.code.as_deref() == Some(table.code.as_str()))
            .collect();
        write_status_sheet(wb.add_worksheet(), schemas, rollup, table, &entries)?;
        wb.save(&path)?;
        written.push(path);
    }
    Ok(written)
}

/// How many Chinese characters fit on one line of the 说明 column (width 64).
const REASON_CHARS_PER_LINE: usize = 30;

/// The 报送情况 sheet: one line per region or handed-in file, with status, digest and reasons.
fn write_status_sheet(ws: &mut Worksheet, schemas: &Schemas, rollup: &Rollup, table: &Table, entries: &[&Entry]) -> Result<(), XlsxError> {
    ws.set_name("报送情况")?;
    let font = |f: Format| f.set_font_name("宋体").set_font_size(10);
    let title = font(Format::new()).set_bold().set_font_size(14);
    let head = font(Format::new())
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_background_color(0xDDEBF7);
    let cell = font(Format::new())
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap();
    let mono = cell.clone().set_font_name("Consolas").set_font_size(8);
    let red = cell.clone().set_font_color(0xC00000);
    let count = |s: EntryStatus| entries.iter().filter(|e| e.status == s).count();
    ws.write_with_format(0, 0, format!("{}{}报送情况", table.name, rollup.period.label()), &title)?;
    ws.write(
        1,
        0,
        format!(
            "{}；已采用 {}，退回 {}，重复 {}，未报 {}",
            table.coverage,
            count(EntryStatus::Accepted),
            count(EntryStatus::Rejected),
            count(EntryStatus::Duplicate),
            count(EntryStatus::Missing)
        ),
    )?;
    let headers = ["序号", "地区代码", "地区名称", "所属市", "状态", "文件", "SHA-256", "错误", "警告", "说明"];
    let widths = [5.0, 9.0, 12.0, 10.0, 10.0, 30.0, 52.0, 6.0, 6.0, 64.0];
    for (c, (h, w)) in headers.iter().zip(widths).enumerate() {
        ws.write_with_format(3, c as u16, *h, &head)?;
        ws.set_column_width(c as u16, w)?;
    }
    for (i, e) in entries.iter().enumerate() {
        let r = 4 + i as u32;
        let city = e
            .city
            .as_deref()
            .and_then(|c| schemas.regions.get(c))
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let status_fmt = if matches!(e.status, EntryStatus::Accepted) { &cell } else { &red };
        ws.write_with_format(r, 0, (i + 1) as u32, &cell)?;
        ws.write_with_format(r, 1, e.code.clone().unwrap_or_default(), &cell)?;
        ws.write_with_format(r, 2, &e.name, &cell)?;
        ws.write_with_format(r, 3, city, &cell)?;
        ws.write_with_format(r, 4, e.status.label(), status_fmt)?;
        // The name is what people recognise; the digest tells apart two files of that name.
        let file = e
            .file
            .as_deref()
            .map(|f| Path::new(f).file_name().map_or(f.to_string(), |n| n.to_string_lossy().to_string()));
        ws.write_with_format(r, 5, file.unwrap_or_default(), &cell)?;
        ws.write_with_format(r, 6, e.sha256.clone().unwrap_or_default(), &mono)?;
        if e.file.is_some() {
            ws.write_with_format(r, 7, e.errors as u32, &cell)?;
            ws.write_with_format(r, 8, e.warnings as u32, &cell)?;
        } else {
            ws.write_blank(r, 7, &cell)?;
            ws.write_blank(r, 8, &cell)?;
        }
        ws.write_with_format(r, 9, e.reasons.join("\n"), &cell)?;
        // Rows are not re-measured on opening everywhere: size them for their wrapped reasons.
        let lines: usize = e.reasons.iter().map(|t| t.chars().count().div_ceil(REASON_CHARS_PER_LINE).max(1)).sum();
        if lines > 1 {
            ws.set_row_height(r, 13.5 * lines as f64)?;
        }
    }
    ws.set_landscape();
    ws.set_paper_size(8); // A3, as the form
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(3, 3)?;
    ws.set_freeze_panes(4, 0)?;
    ws.autofilter(3, 0, 3 + entries.len() as u32, (headers.len() - 1) as u16)?;
    Ok(())
}

fn table_records(rollup: &Rollup, schemas: &Schemas) -> Vec<Vec<String>> {
    let form = schemas.form();
    let mut out = Vec::new();
    for t in &rollup.tables {
        for r in &t.rows {
            let mut rec = vec![t.code.clone(), t.name.clone(), r.code.clone(), r.name.clone()];
            match &r.values {
                Some(v) => {
                    rec.push("已报".into());
                    rec.extend(v.iter().map(i64::to_string));
                }
                None => {
                    rec.push("未报".into());
                    rec.extend(std::iter::repeat_n(String::new(), form.width()));
                }
            }
            out.push(rec);
        }
        let mut rec = vec![t.code.clone(), t.name.clone(), t.code.clone(), form.total_label.clone(), "合计".into()];
        rec.extend(t.total.iter().map(i64::to_string));
        out.push(rec);
    }
    out
}

/// The tables stacked as one CSV (UTF-8 with BOM so Excel shows the Chinese): which table,
/// which row, its status and the counts.
pub fn csv_bytes(rollup: &Rollup, schemas: &Schemas) -> Result<Vec<u8>, csv::Error> {
    let form = schemas.form();
    let mut w = csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    let mut header: Vec<String> = ["汇总表代码", "汇总表名称", "地区代码", "地区名称", "状态"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    header.extend(form.columns.iter().map(|c| format!("({}){}", c.no, c.name)));
    w.write_record(&header)?;
    for rec in table_records(rollup, schemas) {
        w.write_record(&rec)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The whole rollup as JSON, with the form's columns so the numbers can be read without it.
pub fn json_value(rollup: &Rollup, schemas: &Schemas) -> serde_json::Value {
    let columns: Vec<serde_json::Value> = schemas
        .form()
        .columns
        .iter()
        .map(|c| serde_json::json!({ "no": c.no, "name": c.name }))
        .collect();
    serde_json::json!({
        "form": schemas.form().id,
        "columns": columns,
        "rollup": rollup,
    })
}
