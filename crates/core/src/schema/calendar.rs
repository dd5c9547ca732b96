//! Working days and due dates: the State Council holiday calendar (`schemas/calendar/*.toml`)
//! and the form's rule "5th of the next month, moved to the next working day".

use super::SchemaError;
use super::form::PeriodRule;
use crate::period::Period;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::{BTreeSet, HashSet};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    years: Vec<YearEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearEntry {
    year: i32,
    rest: Vec<String>,
    work: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    rest: HashSet<NaiveDate>,
    work: HashSet<NaiveDate>,
    years: BTreeSet<i32>,
}

/// A due date, and whether the calendar knew every day it stepped over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueDate {
    pub date: NaiveDate,
    /// False when a year on the way has no holiday notice in the calendar yet, so only
    /// weekends were considered.
    pub covered: bool,
}

impl Calendar {
    pub fn parse(&mut self, source: &str, text: &str) -> Result<(), SchemaError> {
        let f: CalendarFile = super::parse_toml(source, text)?;
        let bad = super::invalid(source);
        let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| bad(format!("“{s}”不是 YYYY-MM-DD 格式的日期")));
        for y in f.years {
            if !self.years.insert(y.year) {
                return Err(bad(format!("{} 年重复出现", y.year)));
            }
            for r in &y.rest {
                let (a, b) = match r.split_once("..") {
                    Some((a, b)) => (date(a)?, date(b)?),
                    None => (date(r)?, date(r)?),
                };
                if b < a || (b - a).num_days() > 31 {
                    return Err(bad(format!("放假区间“{r}”有误")));
                }
                let mut d = a;
                while d <= b {
                    self.rest.insert(d);
                    d += Duration::days(1);
                }
            }
            for w in &y.work {
                let d = date(w)?;
                if !is_weekend(d) {
                    return Err(bad(format!("调休上班日 {w} 不是周末，无需列出")));
                }
                if self.rest.contains(&d) {
                    return Err(bad(format!("{w} 既列为放假又列为上班")));
                }
                self.work.insert(d);
            }
        }
        Ok(())
    }

    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.work.contains(&d) {
            return true;
        }
        !self.rest.contains(&d) && !is_weekend(d)
    }

    /// Working days from `from` to `to`, both counted; 0 when `to` is before `from`.
    pub fn working_days(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        from.iter_days().take_while(|d| *d <= to).filter(|d| self.is_working_day(*d)).count() as i64
    }

    /// The due date of `period` under the form's rule.
    pub fn due_date(&self, period: Period, rule: &PeriodRule) -> DueDate {
        let mut p = period;
        for _ in 0..rule.due_month_offset {
            p = p.next();
        }
        let mut d = NaiveDate::from_ymd_opt(p.year, p.month, rule.due_day).expect("due_day checked 1..=28 at load");
        let mut covered = self.covers(d.year());
        while !self.is_working_day(d) {
            d += Duration::days(1);
            covered &= self.covers(d.year());
        }
        DueDate { date: d, covered }
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use crate::period::Period;
    use crate::schema::Schemas;

    fn due(p: &str) -> String {
        let s = Schemas::embedded().unwrap();
        s.calendar.due_date(p.parse::<Period>().unwrap(), &s.form().period).date.to_string()
    }

    #[test]
    fn working_days_count_both_ends_and_skip_holidays() {
        let s = Schemas::embedded().unwrap();
        let d = |t: &str| t.parse::<chrono::NaiveDate>().unwrap();
        // 2024-09-30 (Mon) … 2024-10-08 (Tue): the National Day week is off, 10-08 works.
        assert_eq!(s.calendar.working_days(d("2024-09-30"), d("2024-10-08")), 2);
        assert_eq!(s.calendar.working_days(d("2024-10-08"), d("2024-10-08")), 1);
        assert_eq!(s.calendar.working_days(d("2024-10-09"), d("2024-10-08")), 0);
    }

    #[test]
    fn examples_from_the_form() {
        assert_eq!(due("2024-09"), "2024-10-08");
        assert_eq!(due("2025-09"), "2025-10-09");
        assert_eq!(due("2023-09"), "2023-10-07", "Saturday 2023-10-07 was a 调休 working day");
    }

    #[test]
    fn weekends_holidays_and_plain_days() {
        assert_eq!(due("2026-09"), "2026-10-08", "国庆 holiday runs to 10-07");
        assert_eq!(due("2026-03"), "2026-04-07", "清明 04-04..06");
        assert_eq!(due("2026-06"), "2026-07-06", "07-05 is a Sunday");
        assert_eq!(due("2026-10"), "2026-11-05", "a Thursday");
        assert_eq!(due("2016-01"), "2016-02-05");
        assert_eq!(due("2019-04"), "2019-05-05", "Sunday 2019-05-05 was a 调休 working day");
        assert_eq!(due("2020-01"), "2020-02-05");
        assert_eq!(due("2018-03"), "2018-04-08", "清明 04-05..07, then the 调休 Sunday");
        assert_eq!(due("2022-01"), "2022-02-07", "春节 to 02-06");
        assert_eq!(due("2019-01"), "2019-02-11", "春节 02-04..10");
        assert_eq!(due("2022-05"), "2022-06-06", "端午 06-03..05");
        assert_eq!(due("2020-04"), "2020-05-06", "劳动节 05-01..05");
        assert_eq!(due("2016-12"), "2017-01-05");
    }

    #[test]
    fn contradictory_or_malformed_calendar_entries_are_refused() {
        let mut c = super::Calendar::default();
        let e = c
            .parse("x.toml", "[[years]]\nyear = 2024\nrest = [\"2024-02-10..2024-02-18\"]\nwork = [\"2024-02-18\"]")
            .unwrap_err();
        assert!(e.to_string().contains("既列为放假又列为上班"), "{e}");
        let e = super::Calendar::default()
            .parse("x.toml", "[[years]]\nyear = 2024\nrest = [\"2024-13-01\"]\nwork = []")
            .unwrap_err();
        assert!(e.to_string().contains("x.toml") && e.to_string().contains("2024-13-01"), "{e}");
        let e = super::Calendar::default()
            .parse("x.toml", "[[years]]\nyear = 2024\nrest = []\nwork = [\"2024-02-19\"]")
            .unwrap_err();
        assert!(e.to_string().contains("不是周末"), "{e}");
    }

    #[test]
    fn calendar_covers_2016_to_2026_and_flags_unknown_years() {
        let s = Schemas::embedded().unwrap();
        assert_eq!(s.calendar.years().collect::<Vec<_>>(), (2016..=2026).collect::<Vec<_>>());
        let d = s.calendar.due_date("2027-05".parse().unwrap(), &s.form().period);
        assert!(!d.covered);
        assert!(s.calendar.due_date("2026-11".parse().unwrap(), &s.form().period).covered);
    }
}
