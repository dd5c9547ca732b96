//! The reporting period: a calendar month, parsed from what people write (`2026-10`, `2026年10月`).

use std::fmt;
use std::str::FromStr;

/// A calendar month. Ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Period {
    pub year: i32,
    pub month: u32,
}

impl Period {
    pub fn new(year: i32, month: u32) -> Option<Period> {
        ((1..=12).contains(&month) && (1900..=2999).contains(&year)).then_some(Period { year, month })
    }

    /// The period as printed on the form: `2026年10月`.
    pub fn label(&self) -> String {
        format!("{}年{}月", self.year, self.month)
    }

    /// The month's first day.
    pub fn first_day(&self) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a period is a calendar month")
    }

    /// The month after this one.
    pub fn next(&self) -> Period {
        if self.month == 12 {
            Period { year: self.year + 1, month: 1 }
        } else {
            Period {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// The month before this one.
    pub fn prev(&self) -> Period {
        if self.month == 1 {
            Period {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Period {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// Finds the first period written anywhere in `text`: `2026年10月`, `2026-10`, `2026.10`,
    /// `2026/10`, `2026_10` or `202610`. Digits may be full-width. Used on 报告期 cells and file
    /// names, so a 6-digit region code (`371302`) must not be mistaken for a period.
    pub fn find_in(text: &str) -> Option<Period> {
        if !text
            .chars()
            .any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c) || numeral_digit(c).is_some())
        {
            return None;
        }
        let chars: Vec<char> = arabic_dates(text).chars().map(crate::text::halfwidth).collect();
        let n = chars.len();
        let mut i = 0;
        while i < n {
            if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_ascii_digit()) {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < n && chars[j].is_ascii_digit() {
                j += 1;
            }
            let run: String = chars[i..j].iter().collect();
            if run.len() == 4 {
                let year: i32 = run.parse().unwrap_or(0);
                // Separator then 1–2 digit month.
                if j < n && matches!(chars[j], '年' | '-' | '.' | '/' | '_') {
                    let mut k = j + 1;
                    while k < n && chars[k] == ' ' {
                        k += 1;
                    }
                    let start = k;
                    while k < n && chars[k].is_ascii_digit() {
                        k += 1;
                    }
                    if (1..=2).contains(&(k - start)) {
                        let month: u32 = chars[start..k].iter().collect::<String>().parse().unwrap_or(0);
                        if let Some(p) = Period::new(year, month).filter(|_| year >= 2000) {
                            return Some(p);
                        }
                    }
                }
            } else if run.len() == 6 && run.starts_with("20") {
                let year: i32 = run[..4].parse().unwrap_or(0);
                let month: u32 = run[4..].parse().unwrap_or(0);
                if let Some(p) = Period::new(year, month) {
                    return Some(p);
                }
            }
            i = j;
        }
        None
    }
}

/// A month without its year, as sheets of a year's workbook are named: `10月`, `10月份`, `十月`,
/// `１０月`. None when the text names no month this way, or names a year too (that is
/// [`Period::find_in`]'s).
pub fn month_in(text: &str) -> Option<u32> {
    let chars: Vec<char> = arabic_dates(text).chars().map(crate::text::halfwidth).filter(|c| !c.is_whitespace()).collect();
    let at = chars.iter().position(|&c| c == '月')?;
    let mut start = at;
    while start > 0 && chars[start - 1].is_ascii_digit() {
        start -= 1;
    }
    if start == at || at - start > 2 || (start > 0 && chars[start - 1] == '年') {
        return None;
    }
    let month: u32 = chars[start..at].iter().collect::<String>().parse().ok()?;
    (1..=12).contains(&month).then_some(month)
}

/// The value of a Chinese numeral digit as written in dates (`〇`/`零` for zero).
fn numeral_digit(c: char) -> Option<u32> {
    Some(match c {
        '〇' | '零' | '○' | 'Ｏ' => 0,
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// Dates written in Chinese numerals, as on formal documents, with their numbers in digits:
/// `二〇二六年十月` → `2026年10月`, `十月份` → `10月份`. A year is four numeral digits before
/// `年`; a month is 一 … 十二 before `月`. Text without such numerals comes back unchanged.
fn arabic_dates(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| numeral_digit(c).is_some() || c == '十') {
        return std::borrow::Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        // A year: four numeral digits, then 年.
        if i + 4 < chars.len() && chars[i + 4] == '年' && chars[i..i + 4].iter().all(|&c| numeral_digit(c).is_some()) {
            out.extend(
                chars[i..i + 4]
                    .iter()
                    .filter_map(|&c| numeral_digit(c))
                    .map(|d| char::from_digit(d, 10).unwrap_or('0')),
            );
            i += 4;
            continue;
        }
        // A month: 一 … 九, 十, 十一, 十二, then 月.
        let month = match (chars[i], chars.get(i + 1).copied(), chars.get(i + 2).copied()) {
            ('十', Some(d @ ('一' | '二')), Some('月')) => Some((10 + numeral_digit(d).unwrap_or(0), 2)),
            ('十', Some('月'), _) => Some((10, 1)),
            (d, Some('月'), _) if numeral_digit(d).is_some_and(|n| n >= 1) => numeral_digit(d).map(|n| (n, 1)),
            _ => None,
        };
        // Not inside a longer numeral (`二十一月` is no month).
        let after_numeral = i > 0 && (numeral_digit(chars[i - 1]).is_some() || chars[i - 1] == '十');
        if let Some((m, len)) = month.filter(|_| !after_numeral) {
            out.push_str(&m.to_string());
            i += len;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

impl TryFrom<String> for Period {
    type Error = String;

    fn try_from(s: String) -> Result<Period, String> {
        s.parse()
    }
}

impl FromStr for Period {
    type Err = String;

    /// Strict form for command lines and data files: the whole text must be one period.
    fn from_str(s: &str) -> Result<Period, String> {
        let t = s.trim();
        match Period::find_in(t) {
            Some(p) if t.chars().filter(|c| c.is_ascii_digit()).count() <= 6 => Ok(p),
            _ => Err(format!("“{s}”不是有效的报告期，应写作 2026-10 或 2026年10月")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_spellings() {
        for s in [
            "2026-10",
            "2026年10月",
            "报告期：2026年10月",
            "2026.10",
            "２０２６年１０月",
            "202610",
            "兰山区2026年10月报表",
        ] {
            assert_eq!(Period::find_in(s), Period::new(2026, 10), "{s}");
        }
        assert_eq!(Period::find_in("2026-3"), Period::new(2026, 3));
    }

    #[test]
    fn chinese_numeral_dates_are_periods() {
        for s in ["报告期：二〇二六年十月", "二零二六年十月份", "二〇二六年 十月", "2026年十月"] {
            assert_eq!(Period::find_in(s), Period::new(2026, 10), "{s}");
        }
        assert_eq!(Period::find_in("二〇二五年十二月"), Period::new(2025, 12));
        assert_eq!(Period::find_in("二〇二六年一月"), Period::new(2026, 1));
        assert_eq!(Period::find_in("二〇二六年十一月"), Period::new(2026, 11));
        assert_eq!(Period::find_in("十月"), None);
        assert_eq!(Period::find_in("一二三四五"), None);
    }

    #[test]
    fn months_without_a_year() {
        for (s, m) in [
            ("10月", 10),
            ("10月份", 10),
            ("十月", 10),
            ("１０月", 10),
            ("1月", 1),
            ("十二月", 12),
            ("三月份", 3),
        ] {
            assert_eq!(month_in(s), Some(m), "{s}");
        }
        for s in ["2026年10月", "13月", "Sheet1", "月报", "二十一月"] {
            assert_eq!(month_in(s), None, "{s}");
        }
    }

    #[test]
    fn region_codes_and_bad_months_are_not_periods() {
        assert_eq!(Period::find_in("371302-兰山区"), None);
        assert_eq!(Period::find_in("2026-13"), None);
        assert_eq!(Period::find_in("371302-兰山区-2026-10.xlsx"), Period::new(2026, 10));
        assert!("2026-13".parse::<Period>().is_err());
        assert!("abc".parse::<Period>().is_err());
    }

    #[test]
    fn next_wraps_the_year() {
        assert_eq!(Period::new(2026, 12).unwrap().next(), Period::new(2027, 1).unwrap());
        assert_eq!(Period::new(2026, 10).unwrap().label(), "2026年10月");
        assert_eq!(Period::new(2026, 1).unwrap().to_string(), "2026-01");
    }
}
