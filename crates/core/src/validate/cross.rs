//! Checks of one accepted-shape sheet against the same region's earlier months in the store:
//! the baseline column (the 2015 count never changes), large month-over-month moves of the
//! 合计, and townships that were there last month and are gone now.

use super::Sheet;
use crate::finding::{Code, Finding};
use crate::period::Period;
use crate::schema::Form;
use crate::text::squeeze;

/// The value the baseline column must hold for a region, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    pub value: i64,
    /// Shown to the user: `2026年1月报表（第 1 版）` or `基线文件 基线.csv`.
    pub source: String,
}

/// Last month's effective sheet of the same region.
#[derive(Debug, Clone, Copy)]
pub struct Previous<'a> {
    pub period: Period,
    pub sheet: &'a Sheet,
}

/// The cell of column `no` (1-based) on the 合计 row, when the file had one.
fn total_cell(sheet: &Sheet, no: usize) -> Option<(u32, u32)> {
    sheet.total.row.map(|r| (r, sheet.first_col + no as u32 - 1))
}

fn place(f: Finding, sheet: &Sheet, pos: Option<(u32, u32)>) -> Finding {
    match pos {
        Some(p) => f.at(&sheet.sheet, p),
        None => f.in_sheet(&sheet.sheet),
    }
}

/// Everything `sheet` says that contradicts the region's history. `baseline` is None before the
/// region's first accepted sheet; `prev` is None when last month has no accepted sheet.
pub fn check(form: &Form, file: &str, sheet: &Sheet, baseline: Option<&Baseline>, prev: Option<Previous<'_>>) -> Vec<Finding> {
    let mut out = Vec::new();
    let total_label = &form.total_label;
    if let (Some(no), Some(b)) = (form.cross_period.baseline_column, baseline) {
        let v = sheet.total.values[no - 1];
        if v != b.value {
            let f = Finding::new(
                Code::BaselineMismatch,
                file,
                format!(
                    "第({no})栏{} 为 {v}，与基线 {}（{}）不符，相差 {:+}。此栏是 2015 年底的摸底数，每月应相同；确需更正基线的，请由市局更正基线",
                    form.column_name(no),
                    b.value,
                    b.source,
                    v - b.value
                ),
            )
            .row(total_label)
            .column(no, form.column_name(no))
            .value("found", v)
            .value("baseline", b.value);
            out.push(place(f, sheet, total_cell(sheet, no)));
        }
    }
    let Some(prev) = prev else { return out };
    let cp = &form.cross_period;
    for no in 1..=form.width() {
        if Some(no) == cp.baseline_column {
            continue;
        }
        let (was, now) = (prev.sheet.total.values[no - 1], sheet.total.values[no - 1]);
        let change = now - was;
        let limit = form.max_change(no);
        let share = if was == 0 { f64::INFINITY } else { change.abs() as f64 / was as f64 };
        if change.abs() >= cp.min_change.max(1) && share > limit {
            let pct = if was == 0 {
                "上月为 0".to_string()
            } else {
                format!("{:+.1}%", change as f64 * 100.0 / was as f64)
            };
            let f = Finding::new(
                Code::LargeChange,
                file,
                format!(
                    "第({no})栏{} 为 {now}，比上月（{}）的 {was} {}{}（{pct}），超过 {:.0}% 的环比变动幅度；请核实，属实的请附说明",
                    form.column_name(no),
                    prev.period.label(),
                    if change > 0 { "增加 " } else { "减少 " },
                    change.abs(),
                    limit * 100.0
                ),
            )
            .row(total_label)
            .column(no, form.column_name(no))
            .value("previous", was)
            .value("found", now);
            out.push(place(f, sheet, total_cell(sheet, no)));
        }
    }
    // Townships are compared only when both months list them: a county may file its 合计 alone.
    if !sheet.rows.is_empty() {
        let now: std::collections::HashSet<String> = sheet.rows.iter().map(|r| squeeze(&r.label)).collect();
        for gone in prev.sheet.rows.iter().filter(|r| !now.contains(&squeeze(&r.label))) {
            let f = Finding::new(
                Code::TownshipDropped,
                file,
                format!(
                    "上月（{}）报有“{}”，本月没有这一行；如乡镇合并、更名或撤销，请附说明",
                    prev.period.label(),
                    gone.label
                ),
            )
            .value("township", gone.label.clone());
            let pos = sheet.total.row.map(|r| (r, sheet.first_col.saturating_sub(1)));
            out.push(place(f, sheet, pos));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schemas;
    use crate::validate::DataRow;

    fn sheet(rows: &[(&str, i64)], col1: i64, col5: i64) -> Sheet {
        let mk = |label: &str, v: i64| {
            let mut values = vec![10; 21];
            values[0] = v;
            DataRow {
                label: label.into(),
                row: Some(8),
                values,
            }
        };
        let mut total = mk("合计", col1);
        total.values[4] = col5;
        total.row = Some(20);
        Sheet {
            sheet: "Sheet1".into(),
            region: "371302".into(),
            period: "2026-10".parse().unwrap(),
            rows: rows.iter().map(|(l, v)| mk(l, *v)).collect(),
            subtotals: Vec::new(),
            total,
            total_given: true,
            first_col: 2,
        }
    }

    #[test]
    fn baseline_change_and_dropped_townships() {
        let s = Schemas::embedded().unwrap();
        let form = s.form();
        let before = sheet(&[("兰山街道", 500), ("枣园镇", 500)], 1000, 400);
        let b = Baseline {
            value: 1000,
            source: "基线文件".into(),
        };
        let prev = Previous {
            period: "2026-09".parse().unwrap(),
            sheet: &before,
        };
        // Same figures: nothing to say.
        assert!(check(form, "f", &before, Some(&b), Some(prev)).is_empty());

        // (1) off the baseline, (5) up 50% (+200 persons), 枣园镇 gone (renamed with spaces is fine).
        let now = sheet(&[("兰山 街道", 1001)], 1001, 600);
        let found = check(form, "f", &now, Some(&b), Some(prev));
        let codes: Vec<(&str, Option<&str>)> = found.iter().map(|f| (f.code.as_str(), f.cell.as_deref())).collect();
        assert_eq!(codes, [("E401", Some("C21")), ("W401", Some("G21")), ("W402", Some("B21"))]);
        assert!(
            found[1].message.contains("+50.0%") && found[1].message.contains("增加 200"),
            "{}",
            found[1].message
        );
        assert!(found[2].message.contains("枣园镇"));

        // A big share of a small count is not a warning below min_change (30 persons): +29 on
        // 100 is 29% and passes, +30 is flagged. A 合计-only sheet is not missing townships.
        let small_before = sheet(&[], 1000, 100);
        let small_prev = Previous {
            period: "2026-09".parse().unwrap(),
            sheet: &small_before,
        };
        let small = sheet(&[], 1000, 100 + 29);
        assert!(check(form, "f", &small, Some(&b), Some(small_prev)).is_empty());
        let thirty = sheet(&[], 1000, 100 + 30);
        let found = check(form, "f", &thirty, Some(&b), Some(small_prev));
        assert_eq!(found.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(), ["W401"]);
        // No history: nothing to compare.
        assert!(check(form, "f", &now, None, None).is_empty());
    }
}
