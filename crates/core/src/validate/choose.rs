//! Which sheet of a workbook is checked when several hold the form. Counties keep one workbook
//! for the year with a sheet per month (`1月` … `10月`, `2026年9月`) and send all of it each
//! month: the sheet whose own month is the one asked for (the portal's month, `--period`, the
//! file name) is checked; without one asked, the latest. A month asked for that the workbook
//! does not hold is an error naming the months it does.

use super::Hints;
use crate::finding::{Code, Finding};
use crate::ingest::FormSheet;
use crate::period::{Period, month_in};

/// What a sheet says of its own month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Own {
    /// From its 报告期 line, or a name with the year (`2026年10月`), or a month-only name
    /// (`10月`) with the year the context gives.
    Full(Period),
    /// A month-only name and no year to put with it.
    Month(u32),
    Unknown,
}

impl Own {
    fn label(self) -> Option<String> {
        match self {
            Own::Full(p) => Some(p.label()),
            Own::Month(m) => Some(format!("{m}月")),
            Own::Unknown => None,
        }
    }

    /// Order of recency: any full period after any bare month (which has no year to compare).
    fn key(self) -> Option<(i32, u32)> {
        match self {
            Own::Full(p) => Some((p.year, p.month)),
            Own::Month(m) => Some((i32::MIN, m)),
            Own::Unknown => None,
        }
    }
}

/// The month a sheet's 报告期 line gives.
fn from_lines(fs: &FormSheet) -> Option<Period> {
    fs.period_hints.iter().find_map(|l| Period::find_in(&l.text))
}

/// The month a sheet's name gives, with `year` for a month-only name.
pub(super) fn from_sheet_name(name: &str, year: Option<i32>) -> Own {
    if let Some(p) = Period::find_in(name) {
        return Own::Full(p);
    }
    match (month_in(name), year) {
        (Some(m), Some(y)) => Period::new(y, m).map_or(Own::Unknown, Own::Full),
        (Some(m), None) => Own::Month(m),
        _ => Own::Unknown,
    }
}

/// The month asked for, and how messages name where it came from.
fn asked(name: &str, hints: &Hints) -> Option<(Period, String)> {
    hints
        .period
        .map(|p| (p, hints.period_source().to_string()))
        .or_else(|| Period::find_in(name).map(|p| (p, "文件名中的报告期".to_string())))
}

/// Picks the sheet to check among `sheets` (each holding the form), saying which and why in
/// `out`; None when the month asked for is not in the workbook (an error is in `out`).
pub(super) fn choose(sheets: &[FormSheet], name: &str, hints: &Hints, file: &str, out: &mut Vec<Finding>) -> Option<usize> {
    if sheets.len() == 1 {
        return Some(0);
    }
    let asked = asked(name, hints);
    // The year for month-only sheet names: the month asked for, else the one year the sheets'
    // own 报告期 lines and full names agree on.
    let full: Vec<Period> = sheets.iter().filter_map(|fs| from_lines(fs).or_else(|| Period::find_in(&fs.sheet))).collect();
    let year = asked.as_ref().map(|(p, _)| p.year).or_else(|| {
        let first = full.first()?.year;
        full.iter().all(|p| p.year == first).then_some(first)
    });
    let own: Vec<Own> = sheets
        .iter()
        .map(|fs| from_lines(fs).map_or_else(|| from_sheet_name(&fs.sheet, year), Own::Full))
        .collect();
    let known = own.iter().filter(|o| o.key().is_some()).count();
    let (chosen, why) = match &asked {
        Some((p, source)) if known > 0 => match own.iter().position(|o| *o == Own::Full(*p)) {
            Some(i) => (i, format!("按{}选定", source.trim_end())),
            None => {
                let held: Vec<String> = sheets
                    .iter()
                    .zip(&own)
                    .filter_map(|(fs, o)| o.label().map(|l| format!("“{}”（{l}）", fs.sheet)))
                    .collect();
                out.push(
                    Finding::new(
                        Code::PeriodNotInBook,
                        file,
                        format!(
                            "工作簿中没有 {} 的统计表（按{}）。其中的统计表是：{}；请报送 {} 的报表，或核对报告期",
                            p.label(),
                            source.trim_end(),
                            held.join("、"),
                            p.label()
                        ),
                    )
                    .value("period", p.to_string())
                    .value("held", own.iter().filter_map(|o| o.label()).collect::<Vec<_>>()),
                );
                return None;
            }
        },
        _ if known > 0 => {
            let latest = (0..sheets.len())
                .filter(|&i| own[i].key().is_some())
                .max_by_key(|&i| (own[i].key(), std::cmp::Reverse(i)));
            (latest.unwrap_or(0), "未指定报告期，取最近的月份".to_string())
        }
        _ => (0, String::new()),
    };
    let chosen_sheet = &sheets[chosen].sheet;
    let mut other_months = Vec::new();
    for (i, fs) in sheets.iter().enumerate() {
        if i == chosen {
            continue;
        }
        if own[i] == Own::Unknown || own[i] == own[chosen] {
            out.push(
                Finding::new(
                    Code::ExtraFormSheet,
                    file,
                    format!("工作表“{}”也是一张统计表，只审核“{chosen_sheet}”；如需报送该表请单独成文件", fs.sheet),
                )
                .at(&fs.sheet, (fs.loc.header_row, fs.loc.first_col)),
            );
        } else if let Some(l) = own[i].label() {
            other_months.push(format!("“{}”（{l}）", fs.sheet));
        }
    }
    if !other_months.is_empty() {
        let this = own[chosen].label().map(|l| format!("（{l}）")).unwrap_or_default();
        out.push(
            Finding::new(
                Code::SheetChosen,
                file,
                format!(
                    "工作簿中有 {} 张统计表，审核的是工作表“{chosen_sheet}”{this}，{why}；其他月份未审核：{}",
                    sheets.len(),
                    other_months.join("、")
                ),
            )
            .in_sheet(chosen_sheet)
            .value("sheet", chosen_sheet.clone()),
        );
    }
    Some(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_give_months() {
        assert_eq!(from_sheet_name("2026年9月", None), Own::Full(Period::new(2026, 9).unwrap()));
        assert_eq!(from_sheet_name("10月", Some(2026)), Own::Full(Period::new(2026, 10).unwrap()));
        assert_eq!(from_sheet_name("十月份", None), Own::Month(10));
        assert_eq!(from_sheet_name("Sheet1", Some(2026)), Own::Unknown);
        assert!(Own::Full(Period::new(2025, 1).unwrap()).key() > Own::Month(12).key());
    }
}
