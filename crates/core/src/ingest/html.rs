//! HTML tables as government web systems export them (often saved as `.xls`) and as Excel's
//! "网页" files: html5ever's tokenizer feeds a small table builder, so no document tree is kept
//! and memory grows only with the cells. Laid out the way Excel opens such a page: text blocks
//! outside tables are one row each in column A, table rows follow, `colspan`/`rowspan` become
//! merged ranges.

use super::reject::{Foreign, Unreadable};
use super::{Book, Budget, Cell, Grid, Value};
use crate::limits::{Limit, MAX_CELL_CHARS};
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use std::cell::RefCell;

/// Colspan and rowspan are clamped as browsers do.
const MAX_COLSPAN: u32 = 1000;
const MAX_ROWSPAN: u32 = 65_534;

pub fn read(text: &str, sheet: &str, budget: &Budget) -> Result<Book, Unreadable> {
    let sink = Sink {
        st: RefCell::new(State::new(sheet, *budget)),
    };
    let tok = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    // Fed in pieces: the tokenizer keeps its place across them, and no second copy of a large
    // page is made.
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(1 << 16);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        input.push_back(StrTendril::from_slice(&rest[..cut]));
        rest = &rest[cut..];
        let _ = tok.feed(&input);
        let st = tok.sink.st.borrow();
        if let Some(e) = &st.error {
            return Err(e.clone());
        }
        budget.check_time()?;
    }
    tok.end();
    let mut st = tok.sink.st.into_inner();
    st.flush_line();
    st.end_table();
    if let Some(e) = st.error {
        return Err(e);
    }
    if !st.saw_table {
        return Err(Unreadable::NotSpreadsheet {
            kind: Foreign::HtmlWithoutTable,
        });
    }
    Ok(Book { sheets: vec![st.grid] })
}

struct Sink {
    st: RefCell<State>,
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut st = self.st.borrow_mut();
        if st.error.is_some() {
            return TokenSinkResult::Continue;
        }
        match token {
            Token::TagToken(tag) => return st.tag(&tag),
            Token::CharacterTokens(t) => st.chars(&t),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// A cell being read: where it goes and its text so far.
struct Open {
    pos: (u32, u32),
    text: String,
    /// Excel's own export puts the exact number in `x:num`.
    num: Option<f64>,
    /// `mso-number-format:"\@"`: the cell is text even when it looks like a number.
    as_text: bool,
}

struct State {
    grid: Grid,
    budget: Budget,
    cells: u64,
    error: Option<Unreadable>,
    /// Next free row of the sheet.
    next_row: u32,
    /// Text outside tables, flushed as one row at block boundaries.
    line: String,
    /// Nesting depth of tables; only the outermost one makes rows.
    depth: u32,
    saw_table: bool,
    /// The row being filled, when inside `<tr>`.
    row: Option<u32>,
    col: u32,
    cell: Option<Open>,
    /// Ranges still covered by a rowspan from a row above: (last_row, first_col, last_col),
    /// sorted by first column. Within a row they never overlap.
    spans: Vec<(u32, u32, u32)>,
    /// Rowspans begun in the current row, left to right; joined to `spans` when it ends.
    new_spans: Vec<(u32, u32, u32)>,
    /// How far along `spans` the current row has placed cells.
    cursor: usize,
    /// Inside `<script>`, `<style>` or `<title>`: text there is not content.
    skip: u32,
    table_first_row: u32,
}

impl State {
    fn new(sheet: &str, budget: Budget) -> State {
        State {
            grid: Grid::new(sheet).with_room(budget.limits.cells),
            budget,
            cells: 0,
            error: None,
            next_row: 0,
            line: String::new(),
            depth: 0,
            saw_table: false,
            row: None,
            col: 0,
            cell: None,
            spans: Vec::new(),
            new_spans: Vec::new(),
            cursor: 0,
            skip: 0,
            table_first_row: 0,
        }
    }

    fn tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        let start = tag.kind == TagKind::StartTag;
        match (name, start) {
            ("script", true) if !tag.self_closing => {
                self.skip += 1;
                return TokenSinkResult::RawData(RawKind::ScriptData);
            }
            ("style", true) if !tag.self_closing => {
                self.skip += 1;
                return TokenSinkResult::RawData(RawKind::Rawtext);
            }
            ("title", true) if !tag.self_closing => {
                self.skip += 1;
                return TokenSinkResult::RawData(RawKind::Rcdata);
            }
            ("script" | "style" | "title", false) => self.skip = self.skip.saturating_sub(1),
            ("table", true) => {
                if self.depth == 0 {
                    self.flush_line();
                    self.saw_table = true;
                    self.table_first_row = self.next_row;
                } else {
                    self.text(" ");
                }
                self.depth += 1;
            }
            ("table", false) if self.depth > 0 => {
                self.depth -= 1;
                if self.depth == 0 {
                    self.end_table();
                }
            }
            ("tr", true) if self.depth == 1 => {
                self.end_row();
                self.begin_row();
            }
            ("tr", false) if self.depth == 1 => self.end_row(),
            ("td" | "th", true) if self.depth == 1 => {
                if self.row.is_none() {
                    self.begin_row();
                }
                self.end_cell();
                self.begin_cell(tag);
            }
            ("td" | "th", false) if self.depth == 1 => self.end_cell(),
            ("caption", _) if self.depth == 1 => self.flush_line(),
            ("br", _) => self.text("\n"),
            ("p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "li" | "ul" | "ol" | "center" | "body" | "hr", _) => {
                if self.cell.is_some() {
                    self.text("\n");
                } else if self.depth == 0 || self.row.is_none() {
                    self.flush_line();
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }

    fn chars(&mut self, t: &str) {
        if self.skip == 0 {
            self.text(t);
        }
    }

    fn text(&mut self, t: &str) {
        let target = match &mut self.cell {
            Some(c) => &mut c.text,
            // Text between cells of a table row is not shown by a browser either.
            None if self.depth > 0 && self.row.is_some() => return,
            None => &mut self.line,
        };
        if target.len() <= MAX_CELL_CHARS * 4 {
            target.push_str(t);
        } else if self.error.is_none() {
            self.error = Some(Unreadable::OverLimit {
                limit: Limit::CellText,
                found: Some(format!("第 {} 行", self.next_row + 1)),
            });
        }
    }

    fn flush_line(&mut self) {
        let text = collapse(&std::mem::take(&mut self.line));
        if !text.is_empty() {
            let r = self.next_row;
            self.put((r, 0), text, None, false);
            self.next_row += 1;
        }
    }

    fn begin_row(&mut self) {
        let r = self.next_row;
        self.row = Some(r);
        self.col = 0;
        self.cursor = 0;
        self.spans.retain(|&(last, _, _)| last >= r);
    }

    fn end_row(&mut self) {
        self.end_cell();
        if self.row.take().is_some() {
            self.next_row += 1;
            // Both lists are in column order: merge them.
            let old = std::mem::take(&mut self.spans);
            let mut new = std::mem::take(&mut self.new_spans).into_iter().peekable();
            for s in old {
                while let Some(n) = new.next_if(|n| n.1 < s.1) {
                    self.spans.push(n);
                }
                self.spans.push(s);
            }
            self.spans.extend(new);
        }
    }

    fn begin_cell(&mut self, tag: &Tag) {
        let Some(r) = self.row else { return };
        let attr = |n: &str| tag.attrs.iter().find(|a| &*a.name.local == n).map(|a| a.value.to_string());
        let span = |n: &str, max: u32| attr(n).and_then(|v| v.trim().parse::<u32>().ok()).filter(|&v| v >= 1).unwrap_or(1).min(max);
        let (colspan, rowspan) = (span("colspan", MAX_COLSPAN), span("rowspan", MAX_ROWSPAN));
        // Skip the columns that rowspans from rows above still cover.
        let mut c = self.col;
        while let Some(&(_, first, last)) = self.spans.get(self.cursor) {
            if last < c {
                self.cursor += 1;
            } else if first <= c {
                c = last.saturating_add(1);
                self.cursor += 1;
            } else {
                break;
            }
        }
        let last_col = c.saturating_add(colspan - 1);
        if rowspan > 1 {
            self.new_spans.push((r.saturating_add(rowspan - 1), c, last_col));
        }
        if colspan > 1 || rowspan > 1 {
            self.grid.merges.push((r, c, r.saturating_add(rowspan - 1), last_col));
        }
        self.col = last_col.saturating_add(1);
        let style = attr("style").unwrap_or_default().to_lowercase();
        self.cell = Some(Open {
            pos: (r, c),
            text: String::new(),
            num: attr("x:num").and_then(|v| v.trim().parse::<f64>().ok()),
            as_text: style.contains("mso-number-format") && style.contains("\\@"),
        });
    }

    fn end_cell(&mut self) {
        if let Some(c) = self.cell.take() {
            let text = collapse(&c.text);
            self.put(c.pos, text, c.num, c.as_text);
        }
    }

    fn end_table(&mut self) {
        self.end_row();
        // A rowspan reaching past the table's last row ends with the table, as in a browser.
        let last = self.next_row.saturating_sub(1).max(self.table_first_row);
        for m in self.grid.merges.iter_mut().filter(|m| m.0 >= self.table_first_row) {
            m.2 = m.2.min(last).max(m.0);
        }
        self.spans.clear();
        self.new_spans.clear();
    }

    fn put(&mut self, pos: (u32, u32), text: String, num: Option<f64>, as_text: bool) {
        if text.is_empty() && num.is_none() {
            return;
        }
        if text.chars().count() > MAX_CELL_CHARS {
            self.error = Some(Unreadable::OverLimit {
                limit: Limit::CellText,
                found: Some(format!("第 {} 行", pos.0 + 1)),
            });
            return;
        }
        self.cells += 1;
        if let Err(e) = self.budget.check_cells(self.cells) {
            self.error = Some(e);
            return;
        }
        let value = match num {
            Some(n) if !as_text => Value::Number(n),
            _ if !as_text && super::text::is_plain_number(&text) => text.parse::<f64>().map(Value::Number).unwrap_or_else(|_| Value::text(text)),
            _ => Value::text(text),
        };
        self.grid.insert(pos, Cell::new(value));
    }
}

/// White space as a browser shows it: runs collapse to one space, ends trimmed; line breaks
/// from `<br>` stay.
fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut space = false;
        for ch in line.chars() {
            // The non-breaking space (&nbsp;) is kept: people pad 合&nbsp;&nbsp;计 with it.
            if ch.is_whitespace() && ch != '\u{a0}' {
                space = true;
            } else {
                if space && !out.is_empty() && !out.ends_with('\n') {
                    out.push(' ');
                }
                space = false;
                out.push(ch);
            }
        }
    }
    out.trim_matches(|c: char| c.is_whitespace()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    fn grid(html: &str) -> Grid {
        let mut b = read(html, "表", &Budget::new(Limits::default())).unwrap();
        let mut g = b.sheets.remove(0);
        g.finish();
        g
    }

    fn at(g: &Grid, r: u32, c: u32) -> Value {
        g.get(r, c).map(|c| c.value.clone()).unwrap_or(Value::Empty)
    }

    #[test]
    fn spans_entities_and_blocks() {
        let g = grid(
            "<html><head><title>导出</title><style>td{color:red}</style></head><body>
             <h2>兰山区建档立卡&amp;统计表</h2>
             <table>
               <tr><td rowspan=2>地区</td><td colspan=2>人数</td><td>备注</td></tr>
               <tr><td>1</td><td>2</td><td>3</td></tr>
               <tr><td>合&nbsp;&nbsp;计</td><td>1,200</td><td x:num=\"5\">5.00</td><td style='mso-number-format:\"\\@\"'>7</td></tr>
             </table></body></html>",
        );
        assert_eq!(at(&g, 0, 0), Value::text("兰山区建档立卡&统计表"));
        assert_eq!(at(&g, 1, 0), Value::text("地区"));
        assert_eq!(at(&g, 1, 1), Value::text("人数"));
        assert_eq!(at(&g, 1, 3), Value::text("备注"));
        // Row 2 starts right of the rowspan.
        assert_eq!(at(&g, 2, 1), Value::Number(1.0));
        assert_eq!(at(&g, 2, 3), Value::Number(3.0));
        assert_eq!(at(&g, 3, 0), Value::text("合\u{a0}\u{a0}计"));
        assert_eq!(at(&g, 3, 1), Value::text("1,200"));
        assert_eq!(at(&g, 3, 2), Value::Number(5.0));
        assert_eq!(at(&g, 3, 3), Value::text("7"));
        assert!(g.merges.contains(&(1, 0, 2, 0)));
        assert!(g.merges.contains(&(1, 1, 1, 2)));
        assert!(at(&g, 0, 1) == Value::Empty);
    }

    #[test]
    fn tags_left_open_close_themselves() {
        let g = grid("<table><tr><td>a<td>b<tr><td>c</table>");
        assert_eq!(at(&g, 0, 1), Value::text("b"));
        assert_eq!(at(&g, 1, 0), Value::text("c"));
    }

    #[test]
    fn a_page_without_a_table_is_refused() {
        assert!(matches!(
            read("<p>你好</p>", "x", &Budget::new(Limits::default())),
            Err(Unreadable::NotSpreadsheet {
                kind: Foreign::HtmlWithoutTable
            })
        ));
    }

    #[test]
    fn huge_spans_are_clamped() {
        let g = grid("<table><tr><td colspan=99999999 rowspan=99999999>x</td></tr><tr><td>y</td></tr></table>");
        assert_eq!(g.merges[0], (0, 0, 1, MAX_COLSPAN - 1));
        assert_eq!(at(&g, 1, MAX_COLSPAN), Value::text("y"));
    }
}
