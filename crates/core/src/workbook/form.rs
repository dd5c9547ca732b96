//! The form as printed: title, unit and period line, the header tree with merged cells, the
//! numbers row, data rows, 合计, the signature block, the 栏目关系 and the 备注 — all driven by
//! the schema. Print-ready: A3 landscape, one page wide, header rows repeated, panes frozen.

use crate::period::Period;
use crate::schema::{Form, Region, Schemas};
use crate::text::col_letters;
use rust_xlsxwriter::{Color, DataValidation, DataValidationRule, Format, FormatAlign, FormatBorder, Formula, Worksheet, XlsxError};

/// What to put into one copy of the form.
#[derive(Debug, Clone)]
pub struct FormDoc {
    /// Region name for the title (`兰山区`).
    pub title_region: String,
    /// The filing unit as printed after 填报单位： (`兰山区（371302）`).
    pub unit: String,
    pub period: Period,
    /// Heading of the row-label column: 乡镇（街道）, 县（市、区）, 市.
    pub label_heading: String,
    /// Data rows, in order.
    pub rows: Vec<FormRow>,
    /// Write the 合计 row (as SUM formulas with cached values).
    pub with_total: bool,
    /// Values of the signature-block fields, in schema order; empty leaves them blank.
    pub footer: Vec<String>,
    /// For a rollup: how many regions should report and how many did, e.g.
    /// `应报 12 / 实报 4（未报 8）`, printed on the unit line.
    pub coverage: Option<String>,
    /// Give the value cells Excel data validation (whole numbers ≥ 0), for sheets people fill in.
    pub input_validation: bool,
}

impl FormDoc {
    /// An empty form for `region`: its title, filing unit, period and row heading; no rows,
    /// no signatures.
    pub fn for_region(schemas: &Schemas, region: &Region, period: Period) -> FormDoc {
        FormDoc {
            title_region: region.name.clone(),
            unit: schemas.regions.display(region),
            period,
            label_heading: schemas.row_heading(region),
            rows: Vec::new(),
            with_total: true,
            footer: Vec::new(),
            coverage: None,
            input_validation: false,
        }
    }
}

/// A blank form to fill in: a county's has `rows` empty rows for its townships; a city's or the
/// province's lists the regions below it, one row each.
pub fn template_doc(schemas: &Schemas, region: &Region, period: Period, rows: u32) -> FormDoc {
    let width = schemas.form().width();
    let mut doc = FormDoc::for_region(schemas, region, period);
    doc.rows = if schemas.regions.is_leaf(region) {
        (0..rows).map(|_| FormRow::blank("", width)).collect()
    } else {
        let kids = schemas.regions.children(&region.code);
        kids.iter().map(|k| FormRow::blank(k.name.clone(), width)).collect()
    };
    doc.input_validation = true;
    doc
}

/// The blank form as a workbook of one sheet named for the month (`yuebao template`, the
/// portal's template download).
pub fn template_workbook(schemas: &Schemas, region: &Region, period: Period, rows: u32) -> Result<rust_xlsxwriter::Workbook, XlsxError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name(period.label())?;
    write_form(ws, schemas.form(), &template_doc(schemas, region, period, rows))?;
    Ok(wb)
}

/// One data row of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRow {
    pub label: String,
    /// One entry per column; None leaves the cell blank.
    pub values: Vec<Option<i64>>,
    /// A region that has not reported: the label says 未报 and the cells stay blank and grey.
    pub missing: bool,
}

impl FormRow {
    pub fn filled(label: impl Into<String>, values: &[i64]) -> FormRow {
        FormRow {
            label: label.into(),
            values: values.iter().copied().map(Some).collect(),
            missing: false,
        }
    }

    /// A row to be filled in: a label (possibly empty) and blank cells.
    pub fn blank(label: impl Into<String>, width: usize) -> FormRow {
        FormRow {
            label: label.into(),
            values: vec![None; width],
            missing: false,
        }
    }

    /// A region with no accepted sheet: `沂水县（未报）` over blank cells.
    pub fn missing(name: &str, width: usize) -> FormRow {
        FormRow {
            label: format!("{name}{MISSING_MARK}"),
            values: vec![None; width],
            missing: true,
        }
    }

    /// A region whose sheet the reviewer returned: `兰山区（退回）` over blank cells.
    pub fn returned(name: &str, width: usize) -> FormRow {
        FormRow {
            label: format!("{name}{RETURNED_MARK}"),
            ..FormRow::missing(name, width)
        }
    }
}

pub use crate::schema::{MISSING_MARK, RETURNED_MARK};

/// Where things ended up, 0-based, for callers that add to the sheet.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub numbers_row: u32,
    pub first_data_row: u32,
    pub total_row: Option<u32>,
    pub first_value_col: u16,
}

const SONG: &str = "宋体";

fn base() -> Format {
    Format::new().set_font_name(SONG).set_font_size(10)
}

fn boxed() -> Format {
    base()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
}

/// Column widths, in Excel character units: 序号, the row label, each value column.
const NO_WIDTH: f64 = 5.0;
const LABEL_WIDTH: f64 = 16.0;
const VALUE_WIDTH: f64 = 7.0;
/// Header font sizes, and the height one stacked (vertical) character takes, in points
/// (measured on LibreOffice's rendering; Excel needs a little less).
const HEAD_PT: f64 = 10.0;
const STACKED_PT: f64 = 9.0;
const STACKED_CHAR_PT: f64 = 13.0;
/// Height of a header row that holds horizontal headings only.
const BAND_ROW_PT: f64 = 27.0;

/// Writes the form onto `ws`, starting at A1.
pub fn write_form(ws: &mut Worksheet, form: &Form, doc: &FormDoc) -> Result<Layout, XlsxError> {
    let width = form.width() as u16;
    let first_value_col: u16 = 2; // A 序号, B name
    let last_col = first_value_col + width - 1;
    let depth = form.header_depth() as u32;

    let title = base()
        .set_font_size(18)
        .set_bold()
        .set_font_name("黑体")
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let plain = base().set_align(FormatAlign::VerticalCenter);
    let right = plain.clone().set_align(FormatAlign::Right);
    let centre = plain.clone().set_align(FormatAlign::Center);
    let head = boxed().set_bold().set_font_size(HEAD_PT);
    // Stacked characters, one under another, as narrow columns are printed on the paper form.
    let head_vertical = head.clone().set_font_size(STACKED_PT).set_rotation(270);
    let num_fmt = boxed().set_num_format("0");
    let label_fmt = boxed().set_align(FormatAlign::Left);
    let total_fmt = num_fmt.clone().set_bold();
    let missing_fmt = num_fmt.clone().set_background_color(Color::RGB(0xE7E6E6));
    let missing_label = label_fmt.clone().set_background_color(Color::RGB(0xE7E6E6));

    ws.set_row_height(0, 36)?;
    ws.merge_range(0, 0, 0, last_col, &form.title_for(&doc.title_region), &title)?;
    // Unit line: 填报单位 left, 报告期 (and 应报/实报) in the middle, 单位 right.
    let quarter = (last_col + 1) / 4;
    ws.merge_range(1, 0, 1, quarter, &format!("填报单位：{}", doc.unit), &plain)?;
    let period = format!("报告期：{}", doc.period.label());
    match &doc.coverage {
        Some(text) => {
            ws.merge_range(1, quarter + 1, 1, 2 * quarter, &period, &centre)?;
            ws.merge_range(1, 2 * quarter + 1, 1, 3 * quarter, text, &centre)?;
        }
        None => {
            ws.merge_range(1, quarter + 1, 1, 3 * quarter, &period, &centre)?;
        }
    }
    ws.merge_range(1, 3 * quarter + 1, 1, last_col, &form.unit, &right)?;

    let h0: u32 = 2;
    let hl = h0 + depth - 1;
    ws.merge_range(h0, 0, hl, 0, "序号", &head)?;
    ws.merge_range(h0, 1, hl, 1, &doc.label_heading, &head)?;
    for band in form.bands() {
        let r = h0 + band.level as u32;
        let (a, b) = (first_value_col + band.first as u16 - 1, first_value_col + band.last as u16 - 1);
        if a == b {
            ws.write_with_format(r, a, &band.text, &head)?;
        } else {
            ws.merge_range(r, a, r, b, &band.text, &head)?;
        }
    }
    // A column's heading runs from its level down to the last header row; every one is a
    // single narrow column, so any name longer than fits on one line is stacked vertically, and
    // the last header row is made tall enough for the longest of them.
    let per_line = (VALUE_WIDTH / 2.0).floor() as usize;
    let mut last_row_pt: f64 = 60.0;
    for c in &form.columns {
        let col = first_value_col + c.no as u16 - 1;
        let top = h0 + form.level(c.no) as u32;
        let chars = c.name.chars().count();
        let vertical = chars > per_line;
        let fmt = if vertical { &head_vertical } else { &head };
        if vertical {
            let above = f64::from(hl - top) * BAND_ROW_PT;
            last_row_pt = last_row_pt.max(chars as f64 * STACKED_CHAR_PT + 16.0 - above);
        }
        if top == hl {
            ws.write_with_format(hl, col, &c.name, fmt)?;
        } else {
            ws.merge_range(top, col, hl, col, &c.name, fmt)?;
        }
    }
    for r in h0..hl {
        ws.set_row_height(r, BAND_ROW_PT)?;
    }
    ws.set_row_height(hl, last_row_pt.ceil())?;
    let numbers_row = hl + 1;
    ws.write_with_format(numbers_row, 0, "", &head)?;
    ws.write_with_format(numbers_row, 1, "甲", &head)?;
    for k in 0..width {
        ws.write_with_format(numbers_row, first_value_col + k, k + 1, &head)?;
    }

    let first_data_row = numbers_row + 1;
    let mut r = first_data_row;
    for (i, row) in doc.rows.iter().enumerate() {
        let (lf, nf) = if row.missing {
            (&missing_label, &missing_fmt)
        } else {
            (&label_fmt, &num_fmt)
        };
        ws.write_with_format(r, 0, (i + 1) as u32, &boxed())?;
        ws.write_with_format(r, 1, &row.label, lf)?;
        for k in 0..width {
            match row.values.get(k as usize).copied().flatten() {
                Some(v) => ws.write_with_format(r, first_value_col + k, v as f64, nf)?,
                None => ws.write_blank(r, first_value_col + k, nf)?,
            };
        }
        r += 1;
    }
    if doc.input_validation && !doc.rows.is_empty() {
        let rule = DataValidation::new()
            .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0))
            .set_error_title("只能填写人数")?
            .set_error_message("本栏填写人数：0 或正整数，不能有小数、负数或文字。没有的填 0。")?;
        ws.add_data_validation(first_data_row, first_value_col, r - 1, last_col, &rule)?;
    }
    let total_row = if doc.with_total {
        ws.merge_range(r, 0, r, 1, &spaced(&form.total_label), &head)?;
        for k in 0..width {
            let col = first_value_col + k;
            let sum: i64 = doc.rows.iter().map(|row| row.values.get(k as usize).copied().flatten().unwrap_or(0)).sum();
            let f = if doc.rows.is_empty() {
                Formula::new("=0").set_result("0")
            } else {
                let l = col_letters(col as u32);
                Formula::new(format!("=SUM({l}{}:{l}{})", first_data_row + 1, r)).set_result(sum.to_string())
            };
            ws.write_formula_with_format(r, col, f, &total_fmt)?;
        }
        r += 1;
        Some(r - 1)
    } else {
        None
    };

    // Signature block on one line, fields spread evenly.
    let fr = r + 1;
    let n = form.footer.len().max(1) as u16;
    let per = (last_col + 1) / n;
    for (i, f) in form.footer.iter().enumerate() {
        let a = i as u16 * per;
        let b = if i as u16 == n - 1 { last_col } else { a + per - 1 };
        let value = doc.footer.get(i).filter(|v| !v.is_empty());
        let text = match value {
            Some(v) => format!("{}{v}", f.label.split("   ").next().unwrap_or(&f.label)),
            None => f.label.clone(),
        };
        ws.merge_range(fr, a, fr, b, &text, &plain)?;
    }
    let rel = fr + 2;
    ws.merge_range(rel, 0, rel, last_col, &form.relations_text, &plain)?;
    ws.write_with_format(rel + 1, 0, &form.notes_title, &plain)?;
    let wrap = plain.clone().set_text_wrap();
    for (i, note) in form.notes.iter().enumerate() {
        let row = rel + 2 + i as u32;
        ws.merge_range(row, 0, row, last_col, note, &wrap)?;
    }
    let last_row = rel + 1 + form.notes.len() as u32;

    ws.set_column_width(0, NO_WIDTH)?;
    ws.set_column_width(1, LABEL_WIDTH)?;
    ws.set_column_range_width(first_value_col, last_col, VALUE_WIDTH)?;
    ws.set_landscape();
    ws.set_paper_size(8); // A3
    // The form is one sheet of paper. A county template of 30 blank rows printed one page wide
    // spilled its 备注 onto a second page; a table of this size fits on one page at a scale
    // that stays legible. Only a long table (a sheet of hundreds of rows) prints one page wide
    // over several pages, its header repeated on each.
    let one_page = doc.rows.len() <= ONE_PAGE_ROWS;
    ws.set_print_fit_to_pages(1, if one_page { 1 } else { 0 });
    ws.set_print_area(0, 0, last_row, last_col)?;
    ws.set_repeat_rows(h0, numbers_row)?;
    ws.set_freeze_panes(first_data_row, first_value_col)?;
    ws.set_margins(0.4, 0.4, 0.5, 0.5, 0.3, 0.3);
    ws.set_print_center_horizontally(true);
    Ok(Layout {
        numbers_row,
        first_data_row,
        total_row,
        first_value_col,
    })
}

/// Most data rows printed on a single page; longer tables print one page wide and run on.
pub const ONE_PAGE_ROWS: usize = 60;

/// `合计` → `合  计`, as the paper form spaces two-character labels.
fn spaced(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() == 2 {
        format!("{}  {}", chars[0], chars[1])
    } else {
        s.to_string()
    }
}
