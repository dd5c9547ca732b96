//! Writing a rollup: one workbook per table in the form layout, each with a 报送情况 sheet, and
//! on request the same tables as CSV or JSON for analysts.

use super::form::{FormDoc, FormRow, write_form};
use crate::aggregate::rollup::{Entry, EntryStatus, Rollup, Table};
use crate::schema::Schemas;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use std::path::{Path, PathBuf};

/// Writes every table of `rollup` into `dir`; returns the paths written, in table order.
pub fn write_workbooks(rollup: &Rollup, schemas: &Schemas, dir: &Path, filled_on: &str) -> Result<Vec<PathBuf>, XlsxError> {
    Ok(write_workbooks_keeping(rollup, schemas, dir, filled_on)?
        .into_iter()
        .map(|(path, _)| path)
        .collect())
}

/// As [`write_workbooks`], with each workbook's bytes kept beside its path: what a caller
/// checks next need not be read back from the disk.
pub fn write_workbooks_keeping(rollup: &Rollup, schemas: &Schemas, dir: &Path, filled_on: &str) -> Result<Vec<(PathBuf, Vec<u8>)>, XlsxError> {
    use rayon::prelude::*;
    // On every core; the list keeps the tables' order.
    rollup
        .tables
        .par_iter()
        .filter_map(|table| schemas.regions.get(&table.code).map(|region| (table, region)))
        .map(|(table, region)| {
            let path = dir.join(super::file_name(region, rollup.period));
            let bytes = table_workbook(rollup, schemas, table, filled_on)?.save_to_buffer()?;
            std::fs::write(&path, &bytes)?;
            Ok((path, bytes))
        })
        .collect()
}

/// The workbook of the table for region `code` (its file name, and its bytes), if the rollup
/// has one: what `write_workbooks` writes for it, in memory.
pub fn workbook_bytes(rollup: &Rollup, schemas: &Schemas, code: &str, filled_on: &str) -> Result<Option<(String, Vec<u8>)>, XlsxError> {
    let Some(table) = rollup.tables.iter().find(|t| t.code == code) else {
        return Ok(None);
    };
    let Some(region) = schemas.regions.get(code) else { return Ok(None) };
    let bytes = table_workbook(rollup, schemas, table, filled_on)?.save_to_buffer()?;
    Ok(Some((super::file_name(region, rollup.period), bytes)))
}

fn table_workbook(rollup: &Rollup, schemas: &Schemas, table: &Table, filled_on: &str) -> Result<Workbook, XlsxError> {
    let region = schemas.regions.get(&table.code).expect("the caller found the table's region");
    let mut wb = Workbook::new();
    // zlib's fastest level: a province's workbook is 36 KB instead of 26 KB, and writing the
    // month's 17 workbooks takes a third less time (deflate was most of it).
    wb.set_zip_compression_level(1);
    let ws = wb.add_worksheet().set_name(rollup.period.label())?;
    let doc = table_doc(schemas, region, table, rollup.period, filled_on);
    write_form(ws, schemas.form(), &doc)?;
    let entries: Vec<&Entry> = rollup
        .entries
        .iter()
        // The top table lists everything handed in (unknown and out-of-scope files too); a
        // city's table under the province lists its own counties.
        .filter(|e| table.code == rollup.scope || e.city.as_deref() == Some(table.code.as_str()) || e.code.as_deref() == Some(table.code.as_str()))
        .collect();
    write_status_sheet(wb.add_worksheet(), schemas, rollup, table, &entries)?;
    Ok(wb)
}

/// The form filled with a rollup table: one row per region below (未报 where nothing was
/// counted), the 应报/实报 counts, and the compile date as 填报日期.
pub fn table_doc(schemas: &Schemas, region: &crate::schema::Region, table: &Table, period: crate::period::Period, filled_on: &str) -> FormDoc {
    let width = schemas.form().width();
    let mut doc = FormDoc::for_region(schemas, region, period);
    doc.rows = table
        .rows
        .iter()
        .map(|r| match &r.values {
            Some(v) => FormRow::filled(r.name.clone(), v),
            None if r.returned => FormRow::returned(&r.name, width),
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
    doc
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
            "{}；已采用 {}，退回 {}，待说明 {}，重复 {}，未报 {}",
            table.coverage,
            count(EntryStatus::Accepted),
            count(EntryStatus::Rejected) + count(EntryStatus::Returned),
            count(EntryStatus::Pending),
            count(EntryStatus::Duplicate),
            count(EntryStatus::Missing)
        ),
    )?;
    // From the store the sheet also says when each upload came, how timely, and its 说明.
    let mut headers: Vec<(&str, f64)> = vec![("序号", 5.0), ("地区代码", 9.0), ("地区名称", 12.0), ("所属市", 10.0), ("状态", 10.0)];
    if rollup.from_store {
        headers.extend([("接收时间", 17.0), ("及时性", 16.0)]);
    }
    headers.extend([("文件", 30.0), ("SHA-256", 52.0), ("错误", 6.0), ("警告", 6.0), ("说明", 64.0)]);
    if rollup.from_store {
        headers.push(("报送说明", 40.0));
    }
    for (c, (h, w)) in headers.iter().enumerate() {
        ws.write_with_format(3, c as u16, *h, &head)?;
        ws.set_column_width(c as u16, *w)?;
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
        let mut c = 0u16;
        let mut next = || {
            c += 1;
            c - 1
        };
        ws.write_with_format(r, next(), (i + 1) as u32, &cell)?;
        ws.write_with_format(r, next(), e.code.clone().unwrap_or_default(), &cell)?;
        ws.write_with_format(r, next(), &e.name, &cell)?;
        ws.write_with_format(r, next(), city, &cell)?;
        ws.write_with_format(r, next(), e.status.label(), status_fmt)?;
        if rollup.from_store {
            ws.write_with_format(r, next(), e.received.clone().unwrap_or_default(), &cell)?;
            let late = e.timeliness.as_deref().is_some_and(|t| t != "按时");
            ws.write_with_format(r, next(), e.timeliness.clone().unwrap_or_default(), if late { &red } else { &cell })?;
        }
        // The name is what people recognise; the digest tells apart two files of that name.
        let file = e
            .file
            .as_deref()
            .map(|f| Path::new(f).file_name().map_or(f.to_string(), |n| n.to_string_lossy().to_string()));
        ws.write_with_format(r, next(), file.unwrap_or_default(), &cell)?;
        ws.write_with_format(r, next(), e.sha256.clone().unwrap_or_default(), &mono)?;
        let (ce, cw) = (next(), next());
        if e.file.is_some() {
            ws.write_with_format(r, ce, e.errors as u32, &cell)?;
            ws.write_with_format(r, cw, e.warnings as u32, &cell)?;
        } else {
            ws.write_blank(r, ce, &cell)?;
            ws.write_blank(r, cw, &cell)?;
        }
        let reasons: Vec<String> = e.reasons.iter().map(ToString::to_string).collect();
        ws.write_with_format(r, next(), reasons.join("\n"), &cell)?;
        if rollup.from_store {
            ws.write_with_format(r, next(), e.note.clone().unwrap_or_default(), &cell)?;
        }
        // Rows are not re-measured on opening everywhere: size them for their wrapped reasons.
        let lines: usize = reasons.iter().map(|t| t.chars().count().div_ceil(REASON_CHARS_PER_LINE).max(1)).sum();
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
