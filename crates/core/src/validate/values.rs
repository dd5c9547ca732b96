//! Reading one cell as a person count: a non-negative integer. What people type instead (text
//! digits, full-width digits, thousands separators, blanks) is accepted with a note; what cannot
//! be a count is refused with what was found.

use crate::finding::Code;
use crate::ingest::{Cell, Value};
use crate::text::halfwidth;

#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    Count(i64),
    /// Blank: counts as 0.
    Blank,
    /// Accepted after normalising; the code says how, the text what was found.
    Normalised(i64, Code, String),
    /// Refused; the text says what was found.
    Bad(Code, String),
}

impl Read {
    pub fn value(&self) -> Option<i64> {
        match self {
            Read::Count(v) | Read::Normalised(v, _, _) => Some(*v),
            Read::Blank => Some(0),
            Read::Bad(..) => None,
        }
    }
}

/// Largest count accepted; anything bigger is a typing error, not a population.
const MAX_COUNT: f64 = 1e12;

pub fn read_cell(cell: Option<&Cell>) -> Read {
    let Some(cell) = cell else { return Read::Blank };
    match &cell.value {
        Value::Empty => match &cell.formula {
            Some(f) => Read::Bad(
                Code::FormulaNoValue,
                format!("是公式“={f}”，但文件中没有它的计算结果；请在 Excel 或 WPS 中打开、重新计算并保存后再报送"),
            ),
            None => Read::Blank,
        },
        Value::Number(n) => number(*n),
        Value::Text(s) => text(s),
        Value::Bool(b) => Read::Bad(Code::NotANumber, format!("是逻辑值 {}，不是人数", if *b { "TRUE" } else { "FALSE" })),
        Value::Date(d) => Read::Bad(Code::NotANumber, format!("是日期或时间“{d}”，不是人数；请将单元格格式改为“数值”后重新填写")),
        Value::Error(e) => Read::Bad(Code::ErrorValue, format!("是错误值“{e}”，公式引用有误")),
    }
}

fn number(n: f64) -> Read {
    if !n.is_finite() || n.abs() > MAX_COUNT {
        return Read::Bad(Code::NotANumber, format!("数值 {n} 超出合理范围"));
    }
    let rounded = n.round();
    if (n - rounded).abs() > 1e-9 {
        return Read::Bad(Code::Fraction, format!("是小数 {n}，人数应为整数"));
    }
    if rounded < 0.0 {
        return Read::Bad(Code::Negative, format!("是负数 {}，人数应为不小于 0 的整数", rounded as i64));
    }
    Read::Count(rounded as i64)
}

fn text(raw: &str) -> Read {
    let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}' || c == '\u{a0}');
    if trimmed.is_empty() {
        return Read::Blank;
    }
    let full_width = trimmed.chars().any(|c| ('０'..='９').contains(&c) || c == '，' || c == '．' || c == '－');
    let half: String = trimmed.chars().map(halfwidth).collect();
    let thousands = is_grouped(&half);
    let plain: String = if thousands { half.replace(',', "") } else { half.clone() };
    let shown = format!("“{trimmed}”");
    let parsed = parse_decimal(&plain);
    match parsed {
        Some(n) => match number(n) {
            Read::Count(v) => {
                let (code, how) = if full_width {
                    (Code::FullWidthDigits, "含全角数字")
                } else if thousands {
                    (Code::ThousandsSeparator, "含千分位分隔符")
                } else {
                    (Code::TextNumber, "是文本格式的数字")
                };
                Read::Normalised(v, code, format!("{how}{shown}，已按 {v} 读取；建议改为数值格式"))
            }
            Read::Bad(code, _) if code == Code::Negative => Read::Bad(code, format!("是负数 {shown}，人数应为不小于 0 的整数")),
            Read::Bad(code, _) if code == Code::Fraction => Read::Bad(code, format!("是小数 {shown}，人数应为整数")),
            other => other,
        },
        None => Read::Bad(Code::NotANumber, format!("内容为{shown}，不是数字；没有人数请填 0")),
    }
}

/// `1,234` or `12,345,678`: groups of three after the first.
fn is_grouped(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, _frac) = body.split_once('.').unwrap_or((body, ""));
    let groups: Vec<&str> = int.split(',').collect();
    groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
        && groups[1..].iter().all(|g| g.len() == 3)
}

fn parse_decimal(s: &str) -> Option<f64> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let ok = !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().filter(|b| *b == b'.').count() <= 1
        && !body.starts_with('.')
        && !body.ends_with('.');
    if ok { s.parse().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(n: f64) -> Read {
        read_cell(Some(&Cell {
            value: Value::Number(n),
            formula: None,
        }))
    }
    fn txt(s: &str) -> Read {
        read_cell(Some(&Cell {
            value: Value::Text(s.into()),
            formula: None,
        }))
    }

    #[test]
    fn counts_and_blanks() {
        assert_eq!(num(120.0), Read::Count(120));
        assert_eq!(num(0.0), Read::Count(0));
        assert_eq!(read_cell(None), Read::Blank);
        assert_eq!(txt("  "), Read::Blank);
        assert_eq!(txt("\u{3000}"), Read::Blank);
    }

    #[test]
    fn text_forms_are_accepted_with_a_note() {
        assert!(matches!(txt("120"), Read::Normalised(120, Code::TextNumber, _)));
        assert!(matches!(txt(" 120 "), Read::Normalised(120, Code::TextNumber, _)));
        assert!(matches!(txt("１２０"), Read::Normalised(120, Code::FullWidthDigits, _)));
        assert!(matches!(txt("1,234"), Read::Normalised(1234, Code::ThousandsSeparator, _)));
        assert!(matches!(txt("１，２３４"), Read::Normalised(1234, Code::FullWidthDigits, _)));
        assert!(matches!(txt("12.0"), Read::Normalised(12, Code::TextNumber, _)));
    }

    #[test]
    fn refusals_say_what_was_found() {
        assert!(matches!(num(-3.0), Read::Bad(Code::Negative, m) if m.contains("-3")));
        assert!(matches!(num(12.5), Read::Bad(Code::Fraction, m) if m.contains("12.5")));
        assert!(matches!(txt("-5"), Read::Bad(Code::Negative, m) if m.contains("-5")));
        assert!(matches!(txt("十二"), Read::Bad(Code::NotANumber, m) if m.contains("十二")));
        assert!(matches!(txt("1,23"), Read::Bad(Code::NotANumber, _)));
        assert!(matches!(txt("—"), Read::Bad(Code::NotANumber, _)));
        let f = Cell {
            value: Value::Empty,
            formula: Some("SUM(D9:D20)".into()),
        };
        assert!(matches!(read_cell(Some(&f)), Read::Bad(Code::FormulaNoValue, m) if m.contains("SUM(D9:D20)")));
        let e = Cell {
            value: Value::Error("#DIV/0!".into()),
            formula: Some("A1/0".into()),
        };
        assert!(matches!(read_cell(Some(&e)), Read::Bad(Code::ErrorValue, m) if m.contains("#DIV/0!")));
        assert!(matches!(num(1e15), Read::Bad(Code::NotANumber, _)));
        let d = Cell {
            value: Value::Date("2026-10-01".into()),
            formula: None,
        };
        assert!(matches!(read_cell(Some(&d)), Read::Bad(Code::NotANumber, m) if m.contains("日期")));
    }
}
