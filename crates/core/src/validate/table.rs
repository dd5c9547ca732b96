//! Checking the table itself, in phases: read every cell as a count; check the 栏目关系 on every
//! row; check the labels (one 合计, no township twice); check the 合计 against the rows (or stand
//! in for a missing one); and the signature block under the table.

use super::values::{Read, read_cell};
use super::{DataRow, MAX_LISTED_PER_CODE};
use crate::finding::{Code, Finding};
use crate::ingest::{FormSheet, RawRow};
use crate::schema::Form;
use crate::schema::{BLANK_ROW_MARKS, RETURNED_MARK};
use std::collections::{BTreeMap, HashMap};

/// Where a file's findings go while its cells are checked: each code listed up to
/// [`MAX_LISTED_PER_CODE`] times, the rest counted.
pub(super) struct Collector<'a> {
    pub out: &'a mut Vec<Finding>,
    pub unlisted: &'a mut BTreeMap<String, usize>,
    pub seen: HashMap<Code, usize>,
}

impl Collector<'_> {
    pub fn push(&mut self, f: Finding) {
        let n = self.seen.entry(f.code).or_default();
        *n += 1;
        if *n > MAX_LISTED_PER_CODE {
            *self.unlisted.entry(f.code.as_str().to_string()).or_default() += 1;
        } else {
            self.out.push(f);
        }
    }
}

/// One row read: its label as findings show it, and each column's count (None where the cell
/// could not be read as one).
struct ReadRow<'a> {
    raw: &'a RawRow,
    label: String,
    values: Vec<Option<i64>>,
}

/// What a checked table amounts to: its data rows, its 合计, and whether the file had a 合计.
pub(super) struct Checked {
    pub rows: Vec<DataRow>,
    pub subtotals: Vec<DataRow>,
    pub total: DataRow,
    pub total_given: bool,
}

struct Ctx<'a> {
    form: &'a Form,
    file: &'a str,
    sheet: &'a str,
}

impl Ctx<'_> {
    fn col_label(&self, no: usize) -> String {
        format!("第({no})栏（{}）", self.form.column_name(no))
    }
}

/// Checks the table; the rows and the 合计 come back when every cell could be read.
pub(super) fn check_table(fs: &FormSheet, form: &Form, file: &str, out: &mut Collector<'_>) -> Option<Checked> {
    let ctx = Ctx {
        form,
        file,
        sheet: fs.sheet.as_str(),
    };
    let (rows, all_read) = read_rows(&ctx, fs, out);
    check_relations(&ctx, &rows, out);
    let total = check_labels(&ctx, &rows, out);
    check_subtotals(&ctx, fs, &rows, total, out);
    let data: Vec<&ReadRow> = rows.iter().filter(|r| !r.raw.is_total && !r.raw.is_subtotal).collect();
    if data.is_empty() && total.is_none() {
        out.push(
            Finding::new(Code::NoRows, file, format!("栏次行（第 {} 行）下方没有任何数据行", fs.loc.header_row + 1))
                .at(ctx.sheet, (fs.loc.header_row, fs.loc.first_col)),
        );
        return None;
    }
    let sums = check_total(&ctx, fs, &data, total, out);
    let subtotals: Vec<&ReadRow> = rows.iter().filter(|r| r.raw.is_subtotal).collect();
    all_read.then(|| assemble(form, &data, &subtotals, total, &sums))
}

/// Every cell of every row read as a count; what people typed instead noted or refused.
fn read_rows<'a>(ctx: &Ctx<'_>, fs: &'a FormSheet, out: &mut Collector<'_>) -> (Vec<ReadRow<'a>>, bool) {
    let (form, file, sheet) = (ctx.form, ctx.file, ctx.sheet);
    let width = form.width();
    let mut rows = Vec::new();
    let mut all_read = true;
    for raw in &fs.rows {
        let label = if raw.is_total {
            form.total_label.clone()
        } else if raw.label.is_empty() {
            format!("第 {} 行", raw.row + 1)
        } else {
            raw.label.clone()
        };
        // A rollup's row for a region that did not report (or was returned): one note instead
        // of a blank per cell.
        let marked = BLANK_ROW_MARKS.iter().any(|m| raw.label.trim_end().ends_with(m));
        if marked && raw.cells.iter().all(|(_, c)| c.as_ref().is_none_or(|c| c.is_blank())) {
            let why = if raw.label.trim_end().ends_with(RETURNED_MARK) {
                "本行地区的报表已被退回，按 0 计入合计"
            } else {
                "本行地区未报，按 0 计入合计"
            };
            out.push(
                Finding::new(Code::NotReported, file, why)
                    .at(sheet, raw.label_pos.unwrap_or((raw.row, 0)))
                    .row(&label),
            );
            rows.push(ReadRow {
                raw,
                label,
                values: vec![Some(0); width],
            });
            continue;
        }
        let mut values = Vec::with_capacity(width);
        for (i, (pos, cell)) in raw.cells.iter().enumerate() {
            let no = i + 1;
            let read = read_cell(cell.as_ref());
            // What the cell showed, for the findings: written out only when one is made.
            let found = || cell.as_ref().map(|c| c.value.display()).unwrap_or_default();
            let at = |f: Finding| f.at(sheet, *pos).row(&label).column(no, form.column_name(no));
            match &read {
                Read::Count(_) => {}
                Read::Blank => out.push(at(Finding::new(Code::BlankCell, file, format!("{}为空，按 0 计", ctx.col_label(no))))),
                Read::Normalised(v, code, msg) => out.push(
                    at(Finding::new(*code, file, format!("{}{msg}", ctx.col_label(no))))
                        .value("found", found())
                        .value("read", *v),
                ),
                Read::Bad(code, msg) => {
                    all_read = false;
                    let mut f = at(Finding::new(*code, file, format!("{}{msg}", ctx.col_label(no)))).value("found", found());
                    if let Some(formula) = cell.as_ref().and_then(|c| c.formula.as_deref()) {
                        f = f.value("formula", format!("={formula}"));
                    }
                    out.push(f);
                }
            }
            values.push(read.value());
        }
        if raw.label.is_empty() && !raw.is_total {
            out.push(
                Finding::new(Code::UnlabelledRow, file, format!("第 {} 行填有数据但没有乡镇（街道）名称", raw.row + 1))
                    .at(sheet, (raw.row, fs.loc.first_col.saturating_sub(1)))
                    .row(&label),
            );
        }
        rows.push(ReadRow { raw, label, values });
    }
    (rows, all_read)
}

/// The relations hold on every row, 合计 included; a rule is skipped on a row where one of its
/// cells could not be read (that cell already has its own error).
fn check_relations(ctx: &Ctx<'_>, rows: &[ReadRow<'_>], out: &mut Collector<'_>) {
    for row in rows {
        for rule in &ctx.form.rules {
            if rule.columns().iter().any(|&c| row.values[c - 1].is_none()) {
                continue;
            }
            let full: Vec<i64> = row.values.iter().map(|v| v.unwrap_or(0)).collect();
            if let Some((l, r)) = rule.check(&full) {
                let blamed = rule.blamed_column().unwrap_or(1);
                out.push(
                    Finding::new(Code::RuleBroken, ctx.file, rule.violation(l, r))
                        .at(ctx.sheet, row.raw.cells[blamed - 1].0)
                        .row(&row.label)
                        .column(blamed, ctx.form.column_name(blamed))
                        .value("rule", rule.to_string())
                        .value("left", l)
                        .value("right", r),
                );
            }
        }
    }
}

/// One 合计, no township twice. Returns the 合计 row.
fn check_labels<'r, 'a>(ctx: &Ctx<'_>, rows: &'r [ReadRow<'a>], out: &mut Collector<'_>) -> Option<&'r ReadRow<'a>> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut total: Option<&ReadRow> = None;
    for row in rows {
        let raw = row.raw;
        let at = raw.label_pos.unwrap_or((raw.row, 0));
        if raw.is_total {
            match total {
                None => total = Some(row),
                Some(first) => out.push(
                    Finding::new(
                        Code::DuplicateTotal,
                        ctx.file,
                        format!("表中有多个合计行（第 {} 行和第 {} 行），无法确定以哪一行为准", first.raw.row + 1, raw.row + 1),
                    )
                    .at(ctx.sheet, at)
                    .row(&row.label),
                ),
            }
            continue;
        }
        if raw.label.is_empty() || raw.is_subtotal {
            continue;
        }
        let key = crate::text::squeeze(&raw.label);
        match seen.get(&key) {
            Some(first) => out.push(
                Finding::new(
                    Code::DuplicateLabel,
                    ctx.file,
                    format!("“{}”在第 {} 行已出现过，同一乡镇（街道）只应填一行", raw.label, first + 1),
                )
                .at(ctx.sheet, at)
                .row(&row.label),
            ),
            None => {
                seen.insert(key, raw.row);
            }
        }
    }
    total
}

/// Which township rows a subtotal row sums: those right above it (a subtotal closing its group,
/// the common layout) or right below it (opening its group).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Closing,
    Opening,
}

/// The township rows next to subtotal `i` of `rows` on the side `layout` says, up to the next
/// subtotal, the 合计 or the table's edge.
fn group<'r, 'a>(rows: &'r [ReadRow<'a>], i: usize, layout: Layout) -> Vec<&'r ReadRow<'a>> {
    let stop = |r: &&ReadRow<'_>| !r.raw.is_total && !r.raw.is_subtotal;
    let mut g: Vec<&ReadRow> = match layout {
        Layout::Closing => rows[..i].iter().rev().take_while(stop).collect(),
        Layout::Opening => rows[i + 1..].iter().take_while(stop).collect(),
    };
    if layout == Layout::Closing {
        g.reverse();
    }
    g
}

/// Column sums of `g`; None where a cell could not be read.
fn group_sums(g: &[&ReadRow<'_>], width: usize) -> Vec<Option<i64>> {
    (0..width).map(|k| g.iter().map(|r| r.values[k]).sum::<Option<i64>>()).collect()
}

fn matches(row: &ReadRow<'_>, sums: &[Option<i64>]) -> bool {
    row.values.iter().zip(sums).all(|(v, s)| match (v, s) {
        (Some(v), Some(s)) => v == s,
        _ => true,
    })
}

/// Each subtotal row against the township rows of its group. The layout (subtotals below or
/// above their groups) is the one under which more subtotals add up, below when tied; a
/// subtotal with no group on that side takes the other; one with no group at all (`其中：城区`
/// under the 合计) is a part of the 合计 and may not exceed it.
fn check_subtotals(ctx: &Ctx<'_>, fs: &FormSheet, rows: &[ReadRow<'_>], total: Option<&ReadRow<'_>>, out: &mut Collector<'_>) {
    let width = ctx.form.width();
    let subs: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].raw.is_subtotal).collect();
    if subs.is_empty() {
        return;
    }
    let adds_up = |layout: Layout| {
        subs.iter()
            .filter(|&&i| {
                let g = group(rows, i, layout);
                !g.is_empty() && matches(&rows[i], &group_sums(&g, width))
            })
            .count()
    };
    let layout = if adds_up(Layout::Opening) > adds_up(Layout::Closing) {
        Layout::Opening
    } else {
        Layout::Closing
    };
    let other = if layout == Layout::Closing { Layout::Opening } else { Layout::Closing };
    let mut listed = Vec::new();
    for &i in &subs {
        let row = &rows[i];
        let mut g = group(rows, i, layout);
        if g.is_empty() {
            g = group(rows, i, other);
        }
        let place = |no: usize| row.raw.cells[no - 1].0;
        if g.is_empty() {
            listed.push(format!("第 {} 行“{}”（合计的一部分）", row.raw.row + 1, row.label));
            let Some(t) = total else { continue };
            for no in 1..=width {
                if let (Some(v), Some(tv)) = (row.values[no - 1], t.values[no - 1])
                    && v > tv
                {
                    out.push(
                        Finding::new(
                            Code::SubtotalMismatch,
                            ctx.file,
                            format!("{}为 {v}，大于合计 {tv}：其中数不能超过合计", ctx.col_label(no)),
                        )
                        .at(ctx.sheet, place(no))
                        .row(&row.label)
                        .column(no, ctx.form.column_name(no))
                        .value("subtotal", v)
                        .value("total", tv),
                    );
                }
            }
            continue;
        }
        let (first, last) = (g[0], g[g.len() - 1]);
        let span = if g.len() == 1 {
            format!("第 {} 行“{}”", first.raw.row + 1, first.label)
        } else {
            format!(
                "第 {}–{} 行（“{}”至“{}”，{} 行）",
                first.raw.row + 1,
                last.raw.row + 1,
                first.label,
                last.label,
                g.len()
            )
        };
        let rows_span = if g.len() == 1 {
            format!("第 {} 行", first.raw.row + 1)
        } else {
            format!("第 {}–{} 行", first.raw.row + 1, last.raw.row + 1)
        };
        listed.push(format!("第 {} 行“{}”（{rows_span}之和）", row.raw.row + 1, row.label));
        for (k, s) in group_sums(&g, width).into_iter().enumerate() {
            let no = k + 1;
            if let (Some(v), Some(s)) = (row.values[k], s)
                && v != s
            {
                let more = if v > s { "多" } else { "少" };
                out.push(
                    Finding::new(
                        Code::SubtotalMismatch,
                        ctx.file,
                        format!("{}为 {v}，但{span}之和为 {s}，小计{more} {}", ctx.col_label(no), (v - s).abs()),
                    )
                    .at(ctx.sheet, place(no))
                    .row(&row.label)
                    .column(no, ctx.form.column_name(no))
                    .value("subtotal", v)
                    .value("sum", s)
                    .value("gap", v - s)
                    .value("group_rows", g.iter().map(|r| r.raw.row + 1).collect::<Vec<_>>()),
                );
            }
        }
    }
    out.push(
        Finding::new(
            Code::SubtotalRows,
            ctx.file,
            format!("{}按小计行处理：不计入合计，也不算作乡镇（街道），已与所辖各行核对", listed.join("、")),
        )
        .in_sheet(&fs.sheet)
        .value("rows", subs.iter().map(|&i| rows[i].raw.row + 1).collect::<Vec<_>>()),
    );
}

/// The 合计 against the sum of the rows; an untouched template; no 合计 at all (the sum stands
/// in, and must obey the relations too). Returns the column sums (None where a cell was bad).
fn check_total(ctx: &Ctx<'_>, fs: &FormSheet, data: &[&ReadRow<'_>], total: Option<&ReadRow<'_>>, out: &mut Collector<'_>) -> Vec<Option<i64>> {
    let (form, file, sheet) = (ctx.form, ctx.file, ctx.sheet);
    let width = form.width();
    let sums: Vec<Option<i64>> = (0..width).map(|i| data.iter().map(|r| r.values[i]).sum::<Option<i64>>()).collect();
    match total {
        Some(t) if !data.is_empty() => {
            for (i, (tv, s)) in t.values.iter().zip(&sums).enumerate() {
                if let (Some(tv), Some(s)) = (*tv, *s)
                    && tv != s
                {
                    let no = i + 1;
                    let more = if tv > s { "多" } else { "少" };
                    out.push(
                        Finding::new(
                            Code::TotalMismatch,
                            file,
                            format!("{}为 {tv}，但各行之和为 {s}，合计{more} {}", ctx.col_label(no), (tv - s).abs()),
                        )
                        .at(sheet, t.raw.cells[i].0)
                        .row(&t.label)
                        .column(no, form.column_name(no))
                        .value("total", tv)
                        .value("sum", s)
                        .value("gap", tv - s),
                    );
                }
            }
        }
        // Only a 合计 and every figure 0: an untouched template, not a return.
        Some(t) if t.values.iter().all(|v| *v == Some(0)) => out.push(
            Finding::new(
                Code::EmptyForm,
                file,
                "表中没有乡镇（街道）数据，合计各栏都是 0，像是未填写的空白模板；请填写后再报送",
            )
            .at(sheet, t.raw.label_pos.unwrap_or((t.raw.row, 0)))
            .row(&t.label),
        ),
        Some(_) => {}
        None => {
            let last = data.last().map_or(fs.loc.header_row, |r| r.raw.row);
            out.push(
                Finding::new(Code::NoTotalRow, file, format!("表中没有“{}”行，已用各行之和作为合计", form.total_label))
                    .at(sheet, (last + 1, fs.loc.first_col.saturating_sub(1)))
                    .value("sum", sums.iter().map(|s| s.unwrap_or(0)).collect::<Vec<_>>()),
            );
            if sums.iter().all(Option::is_some) {
                let s: Vec<i64> = sums.iter().map(|v| v.unwrap_or(0)).collect();
                for rule in &form.rules {
                    if let Some((l, r)) = rule.check(&s) {
                        out.push(
                            Finding::new(Code::RuleBroken, file, format!("各行之和：{}", rule.violation(l, r)))
                                .in_sheet(sheet)
                                .row("合计（各行之和）"),
                        );
                    }
                }
            }
        }
    }
    sums
}

/// The rows and the 合计 as data, once every cell was read.
fn assemble(form: &Form, data: &[&ReadRow<'_>], subtotals: &[&ReadRow<'_>], total: Option<&ReadRow<'_>>, sums: &[Option<i64>]) -> Checked {
    let to_row = |r: &ReadRow<'_>, label: &str| DataRow {
        label: label.to_string(),
        row: Some(r.raw.row),
        values: r.values.iter().map(|x| x.unwrap_or(0)).collect(),
    };
    let rows = data.iter().map(|r| to_row(r, &r.label)).collect();
    let subtotals = subtotals.iter().map(|r| to_row(r, &r.label)).collect();
    let (total, total_given) = match total {
        Some(t) => (to_row(t, &form.total_label), true),
        None => (
            DataRow {
                label: form.total_label.clone(),
                row: None,
                values: sums.iter().map(|s| s.unwrap_or(0)).collect(),
            },
            false,
        ),
    };
    Checked {
        rows,
        subtotals,
        total,
        total_given,
    }
}

/// The signature block under the table: each field filled in.
pub(super) fn check_footer(fs: &FormSheet, file: &str, out: &mut Vec<Finding>) {
    for f in &fs.footer {
        if f.value.is_none() {
            let finding = Finding::new(
                Code::FooterMissing,
                file,
                match f.pos {
                    Some(_) => format!("“{}”未填写", f.key),
                    None => format!("表下方没有“{}”一栏", f.key),
                },
            )
            .value("field", f.key.clone());
            out.push(match f.pos {
                Some(p) => finding.at(&fs.sheet, p),
                None => finding.in_sheet(&fs.sheet),
            });
        }
    }
}
