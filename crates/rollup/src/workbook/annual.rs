//! The annual workbook of a city or the province: the December form, every month's figures by
//! region, trend charts of the key columns, December against the previous December, and each
//! county's reporting record for the year.

use super::form::write_form;
use super::rollup::table_doc;
use crate::aggregate::rollup::Table;
use crate::period::Period;
use crate::schema::{Region, Schemas};
use rust_xlsxwriter::{Chart, ChartType, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

/// One county's year: a short label per month (empty for months not yet due) and the counts.
#[derive(Debug, Clone)]
pub struct RecordRow {
    pub code: String,
    pub name: String,
    pub city: String,
    pub months: Vec<String>,
    pub on_time: usize,
    pub late: usize,
    pub missing: usize,
}

/// Everything one annual workbook shows.
#[derive(Debug, Clone)]
pub struct AnnualDoc<'a> {
    pub region: &'a Region,
    pub year: i32,
    /// January … December: the region's rollup table, where the store has anything.
    pub months: Vec<Option<&'a Table>>,
    /// The last month the workbook covers (12, or 11 for the package sent before December's
    /// sheets are due): the year-end sheet is this month's form, later months are left out.
    pub last: u32,
    pub prev_december: Option<&'a Table>,
    pub record: Vec<RecordRow>,
    pub filled_on: String,
    /// The changes to the divisions since the December before, in words: the figures of the
    /// year and of that December are read in today's divisions, and these say how.
    pub changes: Vec<String>,
}

fn font() -> Format {
    Format::new().set_font_name("宋体").set_font_size(10)
}

fn cell() -> Format {
    font().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter)
}

fn head() -> Format {
    cell().set_bold().set_align(FormatAlign::Center).set_text_wrap().set_background_color(0xDDEBF7)
}

fn title() -> Format {
    font().set_bold().set_font_size(14)
}

fn print_setup(ws: &mut Worksheet, header_row: u32) -> Result<(), XlsxError> {
    ws.set_landscape();
    ws.set_paper_size(9); // A4: these sheets are for reading, the form itself is A3
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row)?;
    ws.set_freeze_panes(header_row + 1, 0)?;
    Ok(())
}

/// A table with every region below `region` marked 未报: for a December nothing was stored for.
pub fn empty_table(schemas: &Schemas, region: &Region) -> Table {
    let width = schemas.form().width();
    let kids = schemas.regions.children(&region.code);
    Table {
        code: region.code.clone(),
        name: region.name.clone(),
        level: region.level,
        rows: kids
            .iter()
            .map(|k| crate::aggregate::rollup::RegionRow {
                code: k.code.clone(),
                name: k.name.clone(),
                values: None,
                returned: false,
            })
            .collect(),
        total: vec![0; width],
        coverage: format!("应报 {} / 实报 0（未报 {}）", kids.len(), kids.len()),
    }
}

/// The figures of `code` in the rollup table of `region`: its 合计 when `code` is the region
/// itself, else the row of the region below; None when not reported.
fn figures(table: Option<&Table>, region: &str, code: &str) -> Option<Vec<i64>> {
    let t = table?;
    if code == region {
        Some(t.total.clone())
    } else {
        t.rows.iter().find(|x| x.code == code).and_then(|x| x.values.clone())
    }
}

/// Below a table that compares across years: the changes to the divisions in between.
fn write_changes(ws: &mut Worksheet, row: u32, doc: &AnnualDoc<'_>) -> Result<(), XlsxError> {
    if doc.changes.is_empty() {
        return Ok(());
    }
    ws.write_with_format(
        row,
        0,
        format!("注：{}年12月以来{}的区划变更", doc.year - 1, doc.region.name),
        &font().set_bold(),
    )?;
    for (i, line) in doc.changes.iter().enumerate() {
        ws.write_with_format(row + 1 + i as u32, 0, format!("{}. {line}", i + 1), &font())?;
    }
    Ok(())
}

/// The workbook's bytes (for a download).
pub fn bytes(schemas: &Schemas, doc: &AnnualDoc<'_>) -> Result<Vec<u8>, XlsxError> {
    workbook(schemas, doc)?.save_to_buffer()
}

fn workbook(schemas: &Schemas, doc: &AnnualDoc<'_>) -> Result<Workbook, XlsxError> {
    let form = schemas.form();
    let width = form.width();
    let mut wb = Workbook::new();
    let last = doc.last.clamp(1, 12);
    let year_end = Period::new(doc.year, last).expect("months 1..=12 exist");
    let end_table = doc.months[last as usize - 1];

    // 1. The year-end form (December, or the last month the package covers): the figures by
    // region, itself a valid return.
    let empty = empty_table(schemas, doc.region);
    let dec = end_table.unwrap_or(&empty);
    let ws = wb.add_worksheet().set_name(format!("{}年{last}月", doc.year))?;
    write_form(ws, form, &table_doc(schemas, doc.region, dec, year_end, &doc.filled_on))?;

    // 2. Every month by region, one line per region and month.
    let ws = wb.add_worksheet().set_name("逐月数据")?;
    ws.write_with_format(0, 0, format!("{}{}年逐月数据（各月末数，单位：人）", doc.region.name, doc.year), &title())?;
    let mut headers: Vec<String> = vec!["地区代码".into(), "地区".into(), "月份".into(), "状态".into()];
    headers.extend((1..=width).map(|n| format!("({n}) {}", form.column_name(n))));
    for (c, h) in headers.iter().enumerate() {
        ws.write_with_format(2, c as u16, h, &head())?;
        ws.set_column_width(c as u16, if c < 4 { 10.0 } else { 9.0 })?;
    }
    ws.set_row_height(2, 96.0)?;
    let mut regions: Vec<(String, String)> = empty.rows.iter().map(|r| (r.code.clone(), r.name.clone())).collect();
    regions.push((doc.region.code.clone(), format!("{}合计", doc.region.name)));
    let mut r = 3u32;
    for (code, name) in &regions {
        for (m, table) in doc.months.iter().enumerate().take(last as usize) {
            let values = figures(*table, &doc.region.code, code);
            ws.write_with_format(r, 0, code, &cell())?;
            ws.write_with_format(r, 1, name, &cell())?;
            ws.write_with_format(r, 2, format!("{}月", m + 1), &cell())?;
            ws.write_with_format(r, 3, if values.is_some() { "已报" } else { "未报" }, &cell())?;
            for k in 0..width {
                match &values {
                    Some(v) => ws.write_with_format(r, 4 + k as u16, v[k] as f64, &cell())?,
                    None => ws.write_blank(r, 4 + k as u16, &cell())?,
                };
            }
            r += 1;
        }
    }
    ws.autofilter(2, 0, r - 1, (headers.len() - 1) as u16)?;
    write_changes(ws, r + 1, doc)?;
    print_setup(ws, 2)?;

    // 3. The region's 合计 month by month, and a line chart per key column.
    let name = "全年走势";
    let ws = wb.add_worksheet().set_name(name)?;
    ws.write_with_format(0, 0, format!("{}{}年各月合计", doc.region.name, doc.year), &title())?;
    ws.write_with_format(2, 0, "月份", &head())?;
    for n in 1..=width {
        ws.write_with_format(2, n as u16, format!("({n}) {}", form.column_name(n)), &head())?;
        ws.set_column_width(n as u16, 9.0)?;
    }
    ws.set_row_height(2, 96.0)?;
    for (m, table) in doc.months.iter().enumerate() {
        let row = 3 + m as u32;
        ws.write_with_format(row, 0, format!("{}月", m + 1), &cell())?;
        for k in 0..width {
            match table {
                Some(t) => ws.write_with_format(row, 1 + k as u16, t.total[k] as f64, &cell())?,
                None => ws.write_blank(row, 1 + k as u16, &cell())?,
            };
        }
    }
    for (i, &n) in form.annual.trend_columns.iter().enumerate() {
        let mut chart = Chart::new(ChartType::Line);
        chart
            .add_series()
            .set_categories((name, 3, 0, 14, 0))
            .set_values((name, 3, n as u16, 14, n as u16))
            .set_name(format!("({n})").as_str());
        chart.title().set_name(format!("({n}) {}", form.column_name(n)).as_str());
        chart.legend().set_hidden();
        chart.set_width(520).set_height(300);
        let (row, col) = (17 + (i / 2) as u32 * 16, if i % 2 == 0 { 0 } else { 9 });
        ws.insert_chart(row, col, &chart)?;
    }
    print_setup(ws, 2)?;
    ws.set_print_fit_to_pages(1, 1);

    // 4. The year's end against the previous December (同比 for a full year; 比上年末 for a
    // package that ends in November).
    let ws = wb.add_worksheet().set_name(if last == 12 { "同比" } else { "比上年末" })?;
    ws.write_with_format(0, 0, format!("{}{}年{last}月与{}年12月比较", doc.region.name, doc.year, doc.year - 1), &title())?;
    let mut said = Vec::new();
    if doc.prev_december.is_none() {
        said.push(format!("数据库中没有{}年12月的数据，无法计算同比。", doc.year - 1));
    }
    if !doc.changes.is_empty() {
        said.push("两期都按今天的区划比较，其间的区划变更见表下注。".to_string());
    }
    if !said.is_empty() {
        ws.write(1, 0, said.concat())?;
    }
    let heads = [
        "地区".to_string(),
        "栏目".into(),
        format!("{}年12月", doc.year - 1),
        format!("{}年{last}月", doc.year),
        "增减".into(),
        "增减（%）".into(),
    ];
    for (c, (h, w)) in heads.iter().zip([14.0, 44.0, 12.0, 12.0, 10.0, 10.0]).enumerate() {
        ws.write_with_format(2, c as u16, h, &head())?;
        ws.set_column_width(c as u16, w)?;
    }
    let pct = cell().set_num_format("0.0");
    let mut r = 3u32;
    let order = std::iter::once(regions.last().expect("the region itself").clone()).chain(regions[..regions.len() - 1].iter().cloned());
    for (code, name) in order {
        let (prev, cur) = (figures(doc.prev_december, &doc.region.code, &code), figures(end_table, &doc.region.code, &code));
        for n in 1..=width {
            ws.write_with_format(r, 0, &name, &cell())?;
            ws.write_with_format(r, 1, format!("({n}) {}", form.column_name(n)), &cell())?;
            let (p, c) = (prev.as_ref().map(|v| v[n - 1]), cur.as_ref().map(|v| v[n - 1]));
            for (col, v) in [(2u16, p), (3, c)] {
                match v {
                    Some(x) => ws.write_with_format(r, col, x as f64, &cell())?,
                    None => ws.write_blank(r, col, &cell())?,
                };
            }
            match (p, c) {
                (Some(p), Some(c)) => {
                    ws.write_with_format(r, 4, (c - p) as f64, &cell())?;
                    if p != 0 {
                        ws.write_with_format(r, 5, (c - p) as f64 * 100.0 / p as f64, &pct)?;
                    } else {
                        ws.write_blank(r, 5, &cell())?;
                    }
                }
                _ => {
                    ws.write_blank(r, 4, &cell())?;
                    ws.write_blank(r, 5, &cell())?;
                }
            }
            r += 1;
        }
    }
    ws.autofilter(2, 0, r - 1, 5)?;
    write_changes(ws, r + 1, doc)?;
    print_setup(ws, 2)?;

    // 5. Each county's reporting record for the year.
    let ws = wb.add_worksheet().set_name("报送记录")?;
    ws.write_with_format(0, 0, format!("{}{}年各县区报送记录", doc.region.name, doc.year), &title())?;
    ws.write(1, 0, "按时：截止日（次月 5 日，遇节假日顺延）当天结束前首次报送被接收；空白：尚未到截止日")?;
    let mut heads: Vec<String> = vec!["地区代码".into(), "县区".into(), "所属市".into()];
    heads.extend((1..=12).map(|m| format!("{m}月")));
    heads.extend(["按时".into(), "迟报".into(), "未报".into()]);
    for (c, h) in heads.iter().enumerate() {
        ws.write_with_format(2, c as u16, h, &head())?;
        ws.set_column_width(c as u16, if c < 3 { 10.0 } else { 8.0 })?;
    }
    let late = cell().set_align(FormatAlign::Center).set_background_color(0xFFE699);
    let missing = cell().set_align(FormatAlign::Center).set_background_color(0xF8CBAD);
    let plain = cell().set_align(FormatAlign::Center);
    for (i, rec) in doc.record.iter().enumerate() {
        let r = 3 + i as u32;
        ws.write_with_format(r, 0, &rec.code, &cell())?;
        ws.write_with_format(r, 1, &rec.name, &cell())?;
        ws.write_with_format(r, 2, &rec.city, &cell())?;
        for (m, label) in rec.months.iter().enumerate() {
            let f = if label.starts_with('迟') {
                &late
            } else if label.is_empty() || label == "按时" {
                &plain
            } else {
                &missing
            };
            ws.write_with_format(r, 3 + m as u16, label, f)?;
        }
        for (k, n) in [rec.on_time, rec.late, rec.missing].into_iter().enumerate() {
            ws.write_with_format(r, 15 + k as u16, n as f64, &plain)?;
        }
    }
    print_setup(ws, 2)?;
    Ok(wb)
}
