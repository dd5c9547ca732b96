//! Finding the form inside a sheet: the row of column numbers 1…N anchors the table at any
//! offset; data rows run below it to the footer; the lines above it name the unit and period.

use super::{Book, Cell, Grid, Value};
use crate::schema::Form;
use crate::text::{halfwidth, squeeze};

/// Where a sheet's table is: the sheet, the row holding 1…N, and the column holding 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableLoc {
    pub sheet: usize,
    pub header_row: u32,
    pub first_col: u32,
}

/// A text found in the sheet, with where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub pos: (u32, u32),
}

/// How a text above the table came to name the filing unit, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HeaderTextKind {
    /// `填报单位：兰山区`.
    Labeled,
    /// The printed `_____县(区)` line, filled in.
    Placeholder,
    /// Any other cell above the header tree: `兰山区（盖章）`, `371302`, `兰山区人社局`.
    Other,
    /// What precedes the form's name in the title: `兰山区` of `兰山区建档立卡…统计表`.
    Title,
}

/// A text above the table that may name the filing unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderText {
    pub text: String,
    pub pos: (u32, u32),
    pub kind: HeaderTextKind,
}

/// A row below the column numbers, before any value is interpreted.
#[derive(Debug, Clone)]
pub struct RawRow {
    pub row: u32,
    /// Rightmost non-blank cell left of the table (a 序号 column does not win over a name).
    pub label: String,
    pub label_pos: Option<(u32, u32)>,
    /// One entry per form column: the absolute position and the cell, if any.
    pub cells: Vec<((u32, u32), Option<Cell>)>,
    pub is_total: bool,
    /// A subtotal between townships (`街道小计`, `其中：城区`): checked against its group, not
    /// summed into the 合计 nor listed as a township.
    pub is_subtotal: bool,
    /// Hidden in the workbook.
    pub hidden: bool,
}

/// What a signature-block field holds: where its label is and the text filled in, if any.
#[derive(Debug, Clone)]
pub struct FooterValue {
    pub key: String,
    pub pos: Option<(u32, u32)>,
    pub value: Option<String>,
}

/// One sheet holding the form, taken apart but not yet judged.
#[derive(Debug, Clone)]
pub struct FormSheet {
    pub sheet: String,
    pub loc: TableLoc,
    /// The table's extent, header to last data row, for writers that redraw it.
    pub area: TableArea,
    pub rows: Vec<RawRow>,
    /// Texts above the table that may name the filing unit, in sheet order.
    pub header: Vec<HeaderText>,
    pub period_hints: Vec<Line>,
    pub footer: Vec<FooterValue>,
}

/// Rows and columns (0-based, inclusive) the table covers: its header tree from `top`, the
/// column numbers on `header_row`, data down to `bottom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableArea {
    pub top: u32,
    pub header_row: u32,
    pub bottom: u32,
    pub first_col: u32,
    pub last_col: u32,
}

/// The first row of the header tree above the column numbers: header rows hold several
/// headings; the title (one cell) and the unit/period line stop the walk.
fn header_top(grid: &Grid, loc: TableLoc, width: u32) -> u32 {
    let mut top = loc.header_row;
    while top > 0 {
        let r = top - 1;
        let texts: Vec<String> = grid
            .row(r)
            .filter(|(c, cell)| *c < loc.first_col + width && !cell.is_blank())
            .map(|(_, cell)| squeeze(&cell.text()))
            .collect();
        let unit_line = texts
            .iter()
            .any(|t| has(t, "填报单位") || has(t, "报告期") || t.starts_with("单位") || strip_unit_placeholder(t).is_some());
        if texts.len() <= 1 || unit_line {
            break;
        }
        top = r;
    }
    top
}

/// Texts that start the part under the table.
const FOOTER_STARTS: &[&str] = &["栏目关系", "备注", "注：", "注:", "说明：", "说明:", "填报说明", "审核人", "制表人"];

/// Reads a column-number cell: `3`, `"3"`, `(3)`, `（３）`, `第3栏`.
fn column_number(cell: &Cell) -> Option<usize> {
    match &cell.value {
        Value::Number(n) if n.fract() == 0.0 && *n >= 1.0 && *n < 1000.0 => Some(*n as usize),
        // A heading or a name holds no digit: most texts are turned away without a copy.
        Value::Text(s) if !s.chars().any(|c| halfwidth(c).is_ascii_digit()) => None,
        Value::Text(s) => {
            let t: String = squeeze(s).chars().map(halfwidth).collect();
            let t = t.trim_start_matches(['(', '第']).trim_end_matches([')', '栏']);
            t.parse().ok()
        }
        _ => None,
    }
}

/// Every sheet that holds the form's numbers row, in workbook order (first such row per sheet).
pub fn find_tables(book: &Book, width: usize) -> Vec<TableLoc> {
    let mut found = Vec::new();
    for (si, grid) in book.sheets.iter().enumerate() {
        'rows: for r in grid.rows() {
            for (c, cell) in grid.row(r) {
                if column_number(cell) == Some(1) && (1..width as u32).all(|k| grid.get(r, c + k).and_then(column_number) == Some(k as usize + 1)) {
                    found.push(TableLoc {
                        sheet: si,
                        header_row: r,
                        first_col: c,
                    });
                    break 'rows;
                }
            }
        }
    }
    found
}

fn is_total_label(label: &str, total: &str) -> bool {
    // Every spelling ends in 计.
    if !label.contains('计') {
        return false;
    }
    let squeezed = squeeze(label);
    let l = squeezed.trim_end_matches(['：', ':']);
    l == total || l == "总计" || (l.ends_with(total) && l.chars().count() <= total.chars().count() + 3)
}

/// Subtotal rows as counties write them: `小计`, `街道小计`, `小计：城区`, `其中：城区`,
/// `（其中）城区`.
pub fn is_subtotal_label(label: &str) -> bool {
    if !label.contains('计') && !label.contains('其') {
        return false;
    }
    let l: String = squeeze(label).chars().map(halfwidth).collect();
    let l = l.trim_start_matches(['(', '[', '【']);
    l.ends_with("小计") || l.starts_with("小计") || l.starts_with("其中")
}

/// Whether row `r` starts the part under the table. Only the label and form columns count, so a
/// remark column a county added to the right (`注：新增 3 人`) does not cut the table short.
/// Only texts can: a number never names a signature field.
fn row_mentions_footer(grid: &Grid, r: u32, last_col: u32, form: &Form) -> bool {
    grid.row(r).take_while(|(c, _)| *c <= last_col).any(|(_, cell)| {
        let Value::Text(raw) = &cell.value else { return false };
        let t = squeezed(raw);
        form.footer.iter().any(|f| has(&t, &f.key)) || FOOTER_STARTS.iter().any(|s| t.starts_with(s))
    })
}

/// Where `needle` is in `hay`: a byte search without the set-up `str::find` pays on every call
/// (cells are short and searched many times).
fn find(hay: &str, needle: &str) -> Option<usize> {
    memchr::memmem::find(hay.as_bytes(), needle.as_bytes())
}

fn has(hay: &str, needle: &str) -> bool {
    find(hay, needle).is_some()
}

/// `s` without white space, copied only when it has some.
fn squeezed(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(crate::text::is_space) {
        std::borrow::Cow::Owned(squeeze(s))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Takes the located table apart into rows, header hints and the signature block.
pub fn extract(book: &Book, loc: TableLoc, form: &Form) -> FormSheet {
    let grid = &book.sheets[loc.sheet];
    let width = form.width() as u32;
    let mut rows = Vec::new();
    let mut seen_total = false;
    let total_label = squeeze(&form.total_label);
    let title = Title::of(form);
    // Only rows that hold something: a stray value a million rows down costs one step.
    let below: Vec<u32> = grid.rows().filter(|&r| r > loc.header_row).collect();
    for r in below {
        if row_mentions_footer(grid, r, loc.first_col + width - 1, form) {
            break;
        }
        let label_cell = grid.row(r).filter(|(c, cell)| *c < loc.first_col && !cell.is_blank()).last();
        let label = label_cell.map(|(_, cell)| cell.text()).unwrap_or_default();
        let label_pos = label_cell.map(|(c, _)| (r, c));
        let cells: Vec<_> = (0..width).map(|k| ((r, loc.first_col + k), grid.get(r, loc.first_col + k).cloned())).collect();
        let all_blank = cells.iter().all(|(_, c)| c.as_ref().is_none_or(Cell::is_blank));
        // An unused template row: nothing but its printed 序号.
        let serial_only = label.chars().all(|c| halfwidth(c).is_ascii_digit());
        if serial_only && all_blank {
            continue;
        }
        // Under the 合计 a line of text with no figures is a note, not a township.
        if all_blank && seen_total {
            break;
        }
        let is_total = is_total_label(&label, &total_label);
        seen_total |= is_total;
        let is_subtotal = !is_total && is_subtotal_label(&label);
        rows.push(RawRow {
            row: r,
            label,
            label_pos,
            cells,
            is_total,
            is_subtotal,
            hidden: grid.is_row_hidden(r),
        });
    }

    let mut header = Vec::new();
    let mut period_hints = Vec::new();
    let mut period_fallback = Vec::new();
    let tree_top = header_top(grid, loc, width);
    let mut consumed: Vec<(u32, u32)> = Vec::new();
    for (&(r, c), cell) in grid.above(loc.header_row) {
        let raw = cell.text();
        let t = squeezed(&raw);
        if t.is_empty() {
            continue;
        }
        let push = |text: String, kind: HeaderTextKind, header: &mut Vec<HeaderText>| header.push(HeaderText { text, pos: (r, c), kind });
        if let Some(rest) = after_key(&t, "填报单位") {
            let text = if rest.is_empty() { next_text_right(grid, r, c) } else { Some((c, rest)) };
            if let Some((cc, text)) = text {
                consumed.push((r, cc));
                push(text, HeaderTextKind::Labeled, &mut header);
            }
        } else if let Some(stripped) = strip_unit_placeholder(&t) {
            let text = if stripped.is_empty() {
                prev_text_left(grid, r, c)
            } else {
                Some((c, stripped))
            };
            if let Some((cc, text)) = text {
                consumed.push((r, cc));
                push(text, HeaderTextKind::Placeholder, &mut header);
            }
        } else if let Some(before) = title.prefix(&t) {
            if !before.is_empty() {
                push(before, HeaderTextKind::Title, &mut header);
            }
        } else if r < tree_top && !has(&t, "报告期") {
            // The header tree's own headings name columns, never the unit.
            push(t.to_string(), HeaderTextKind::Other, &mut header);
        }
        if let Some(rest) = after_key(&t, "报告期") {
            let text = if rest.is_empty() {
                next_text_right(grid, r, c).map(|(_, t)| t)
            } else {
                Some(rest)
            };
            if let Some(text) = text {
                period_hints.push(Line { text, pos: (r, c) });
            }
        } else if !has(&t, "日期") && crate::period::Period::find_in(&t).is_some() {
            period_fallback.push(Line {
                text: t.to_string(),
                pos: (r, c),
            });
        }
    }
    if period_hints.is_empty() {
        period_hints = period_fallback;
    }
    // A value right of `填报单位：` was read with its label; it is not a second claim.
    header.retain(|h| h.kind != HeaderTextKind::Other || !consumed.contains(&h.pos));

    let table_end = rows.last().map_or(loc.header_row, |r| r.row);
    let footer = form
        .footer
        .iter()
        .map(|f| {
            let mut best = FooterValue {
                key: f.key.clone(),
                pos: None,
                value: None,
            };
            for (&(r, c), cell) in grid.iter().filter(|((r, _), _)| *r < loc.header_row || *r > table_end) {
                // A label is text; a number never holds one.
                let Value::Text(t) = &cell.value else { continue };
                let t = t.trim();
                let Some(i) = find(t, &f.key) else { continue };
                best.pos.get_or_insert((r, c));
                let rest = cut_at_other_keys(after_colon(&t[i + f.key.len()..]), form);
                let value = if is_filled(rest, &f.key) {
                    Some(rest.trim().to_string())
                } else {
                    next_text_right(grid, r, c)
                        .map(|(_, n)| n)
                        .filter(|n| !form.footer.iter().any(|o| n.contains(&o.key)) && is_filled(n, &f.key))
                };
                if value.is_some() {
                    best = FooterValue {
                        key: f.key.clone(),
                        pos: Some((r, c)),
                        value,
                    };
                    break;
                }
            }
            best
        })
        .collect();

    let area = TableArea {
        top: tree_top,
        header_row: loc.header_row,
        bottom: table_end,
        first_col: (loc.header_row..=table_end)
            .flat_map(|r| grid.row(r).filter(|(c, cell)| *c < loc.first_col && !cell.is_blank()).map(|(c, _)| c))
            .min()
            .unwrap_or(loc.first_col.saturating_sub(1)),
        last_col: loc.first_col + width - 1,
    };
    FormSheet {
        sheet: grid.name.clone(),
        loc,
        area,
        rows,
        header,
        period_hints,
        footer,
    }
}

/// `填报单位：兰山区` → `兰山区`; None when the key is absent.
fn after_key(t: &str, key: &str) -> Option<String> {
    let i = find(t, key)?;
    Some(after_colon(&t[i + key.len()..]).to_string())
}

/// What follows a label such as `填报单位（盖章）：` or `填表人签章:`.
fn after_colon(s: &str) -> &str {
    let mut s = s.trim_start_matches([' ', '\u{3000}']);
    loop {
        if let Some(rest) = s.strip_prefix("签章").or_else(|| s.strip_prefix("盖章")).or_else(|| s.strip_prefix("签字")) {
            s = rest;
        } else if s.starts_with(['（', '(']) {
            match s.find(['）', ')']) {
                Some(end) => s = &s[end + s[end..].chars().next().map_or(1, char::len_utf8)..],
                None => break,
            }
        } else {
            break;
        }
        s = s.trim_start_matches([' ', '\u{3000}']);
    }
    s.trim_start_matches(['：', ':', ' ', '\u{3000}'])
}

fn cut_at_other_keys<'a>(s: &'a str, form: &Form) -> &'a str {
    let cut = form.footer.iter().filter_map(|f| find(s, &f.key)).min().unwrap_or(s.len());
    &s[..cut]
}

/// A footer field counts as filled when something other than blanks, underscores and the
/// printed `年 月 日` placeholder is there; a date needs at least one digit.
fn is_filled(s: &str, key: &str) -> bool {
    let t: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '＿' | '\u{3000}' | '：' | ':'))
        .collect();
    if key.contains("日期") {
        t.chars().any(|c| halfwidth(c).is_ascii_digit())
    } else {
        !t.is_empty()
    }
}

/// The printed `_____县(区)` line, filled in: `兰山县(区)` → `兰山`; `____县(区)` → ``.
fn strip_unit_placeholder(t: &str) -> Option<String> {
    // Every spelling names the 县.
    if !t.contains('县') {
        return None;
    }
    let h: String = t.chars().map(halfwidth).collect();
    for p in ["县(市、区)", "县(区)", "市(县、区)", "县(市区)"] {
        if let Some(i) = h.find(p) {
            let mut s = String::new();
            s.push_str(&h[..i]);
            s.push_str(&h[i + p.len()..]);
            let s: String = s.chars().filter(|c| !matches!(c, '_' | ':' | ' ')).collect();
            return Some(s);
        }
    }
    None
}

/// The first text right of (r, c), with its column.
fn next_text_right(grid: &Grid, r: u32, c: u32) -> Option<(u32, String)> {
    grid.row(r)
        .filter(|(cc, cell)| *cc > c && !cell.is_blank())
        .map(|(cc, cell)| (cc, cell.text()))
        .next()
}

/// The last text left of (r, c), with its column.
fn prev_text_left(grid: &Grid, r: u32, c: u32) -> Option<(u32, String)> {
    grid.row(r)
        .filter(|(cc, cell)| *cc < c && !cell.is_blank())
        .map(|(cc, cell)| (cc, cell.text()))
        .last()
}

/// The form's name as the title line shows it, to tell the title from other header texts.
struct Title {
    name: String,
    /// The name's first distinctive words: titles are often shortened or padded.
    stem: String,
}

impl Title {
    fn of(form: &Form) -> Title {
        let name = squeeze(&form.name);
        let stem = name.chars().take(4).collect();
        Title { name, stem }
    }

    /// For the title line, what precedes the form's name (`兰山区` of `兰山区建档立卡…统计表`);
    /// None when `t` is not the title.
    fn prefix(&self, t: &str) -> Option<String> {
        let at = find(t, &self.name).or_else(|| find(t, &self.stem))?;
        Some(t[..at].to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_placeholder_and_footer_fill() {
        assert_eq!(strip_unit_placeholder("兰山县(区)").as_deref(), Some("兰山"));
        assert_eq!(strip_unit_placeholder("_____县（区）").as_deref(), Some(""));
        assert_eq!(strip_unit_placeholder("填报单位"), None);
        assert!(!is_filled("   年  月  日", "填报日期"));
        assert!(is_filled("2026年11月3日", "填报日期"));
        assert!(!is_filled(" ____ ", "填表人"));
        assert!(is_filled("张三", "填表人"));
        assert_eq!(after_colon("（盖章）：兰山区"), "兰山区");
        assert_eq!(after_colon("签章： 王建国"), "王建国");
        assert_eq!(after_colon("(签字):李娜"), "李娜");
        assert_eq!(after_colon("（未闭合"), "（未闭合");
    }

    #[test]
    fn subtotal_spellings() {
        for l in [
            "小计",
            "小  计",
            "街道小计",
            "乡镇小计",
            "其中：城区",
            "其中:城区",
            "（其中）城区",
            "小计：城区",
        ] {
            assert!(is_subtotal_label(l), "{l}");
        }
        for l in ["兰山街道", "合计", "计划村", "小埠东社区"] {
            assert!(!is_subtotal_label(l), "{l}");
        }
    }

    #[test]
    fn column_number_spellings() {
        let t = |s: &str| Cell {
            value: Value::Text(s.into()),
            formula: None,
        };
        assert_eq!(column_number(&t("（３）")), Some(3));
        assert_eq!(column_number(&t("第3栏")), Some(3));
        assert_eq!(column_number(&t(" 12 ")), Some(12));
        assert_eq!(
            column_number(&Cell {
                value: Value::Number(7.0),
                formula: None
            }),
            Some(7)
        );
        assert_eq!(column_number(&t("甲")), None);
    }
}
