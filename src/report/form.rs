//! The form as printed: title, unit and period line, the header tree with merged cells, the
//! numbers row, data rows, 合计, the signature block, the 栏目关系 and the 备注 — all driven by
//! the schema. Print-ready: A3 landscape, one page wide, header rows repeated, panes frozen.

use crate::period::Period;
use crate::schema::Form;
use crate::text::col_letters;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Formula, Worksheet, XlsxError};

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
    /// Data rows: label and 21 values (None leaves the cell blank).
    pub rows: Vec<(String, Vec<Option<i64>>)>,
    /// Write the 合计 row (as SUM formulas with cached values).
    pub with_total: bool,
    /// Values of the signature-block fields, in schema order; empty leaves them blank.
    pub footer: Vec<String>,
}

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
    let head = boxed().set_bold();
    let num_fmt = boxed().set_num_format("0");
    let label_fmt = boxed().set_align(FormatAlign::Left);
    let total_fmt = num_fmt.clone().set_bold();

    ws.set_row_height(0, 36)?;
    ws.merge_range(0, 0, 0, last_col, &form.title_for(&doc.title_region), &title)?;
    // Unit line: 填报单位 left, 报告期 centre, 单位 right.
    let third = last_col / 3;
    ws.merge_range(1, 0, 1, third, &format!("填报单位：{}", doc.unit), &plain)?;
    ws.merge_range(
        1,
        third + 1,
        1,
        2 * third,
        &format!("报告期：{}", doc.period.label()),
        &plain.clone().set_align(FormatAlign::Center),
    )?;
    ws.merge_range(1, 2 * third + 1, 1, last_col, &form.unit, &right)?;

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
    for c in &form.columns {
        let col = first_value_col + c.no as u16 - 1;
        let top = h0 + form.level(c.no) as u32;
        // Wrapped horizontal text reads better than stacked vertical text and fits: the
        // narrowest heading gets four characters a line and at least 90pt of height.
        if top == hl {
            ws.write_with_format(hl, col, &c.name, &head)?;
        } else {
            ws.merge_range(top, col, hl, col, &c.name, &head)?;
        }
    }
    for r in h0..=hl {
        ws.set_row_height(r, if r == hl { 90 } else { 30 })?;
    }
    let numbers_row = hl + 1;
    ws.write_with_format(numbers_row, 0, "", &head)?;
    ws.write_with_format(numbers_row, 1, "甲", &head)?;
    for k in 0..width {
        ws.write_with_format(numbers_row, first_value_col + k, k + 1, &head)?;
    }

    let first_data_row = numbers_row + 1;
    let mut r = first_data_row;
    for (i, (label, values)) in doc.rows.iter().enumerate() {
        ws.write_with_format(r, 0, (i + 1) as u32, &boxed())?;
        ws.write_with_format(r, 1, label, &label_fmt)?;
        for k in 0..width {
            match values.get(k as usize).copied().flatten() {
                Some(v) => ws.write_with_format(r, first_value_col + k, v as f64, &num_fmt)?,
                None => ws.write_blank(r, first_value_col + k, &num_fmt)?,
            };
        }
        r += 1;
    }
    let total_row = if doc.with_total {
        ws.merge_range(r, 0, r, 1, &spaced(&form.total_label), &head)?;
        for k in 0..width {
            let col = first_value_col + k;
            let sum: i64 = doc.rows.iter().map(|(_, v)| v.get(k as usize).copied().flatten().unwrap_or(0)).sum();
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

    ws.set_column_width(0, 5)?;
    ws.set_column_width(1, 14)?;
    ws.set_column_range_width(first_value_col, last_col, 7.5)?;
    ws.set_landscape();
    ws.set_paper_size(8); // A3
    ws.set_print_fit_to_pages(1, 0);
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

/// `合计` → `合  计`, as the paper form spaces two-character labels.
fn spaced(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() == 2 {
        format!("{}  {}", chars[0], chars[1])
    } else {
        s.to_string()
    }
}
