//! Beijing time, the one clock of the monthly cycle: due dates end at midnight in Asia/Shanghai,
//! stored times are written in +08:00 so that their text sorts in time order, and what users
//! read is `2026-11-04 16:30`.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub type Time = DateTime<FixedOffset>;

/// UTC+8 (China has no daylight saving time).
pub fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// Now, in Beijing time.
pub fn now() -> Time {
    Utc::now().with_timezone(&beijing())
}

/// `t` in Beijing time.
pub fn in_beijing(t: Time) -> Time {
    t.with_timezone(&beijing())
}

/// The calendar day `t` falls on in Beijing.
pub fn day(t: Time) -> NaiveDate {
    in_beijing(t).date_naive()
}

/// How times are stored: RFC 3339 to the second, in +08:00.
pub fn stamp(t: Time) -> String {
    in_beijing(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// `2026-11-04 16:30`, for people.
pub fn label(t: Time) -> String {
    in_beijing(t).format("%Y-%m-%d %H:%M").to_string()
}

/// Serialises a time as [`label`] writes it (the JSON other programs read carries times so).
pub fn serde_label<S: serde::Serializer>(t: &Time, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&label(*t))
}

/// As [`serde_label`], for a time that may be absent (`null`).
pub fn serde_label_opt<S: serde::Serializer>(t: &Option<Time>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&label(*t)),
        None => s.serialize_none(),
    }
}

/// `2026年11月4日`, as the form's 填报日期 is written.
pub fn date_label(t: Time) -> String {
    use chrono::Datelike;
    let d = day(t);
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// Reads a time a person typed, in Beijing time unless it carries an offset:
/// `2026-11-04 16:30`, `2026-11-04T16:30:00+08:00`, or a bare date (its first minute).
pub fn parse(text: &str) -> Option<Time> {
    use chrono::{NaiveDateTime, TimeZone};
    let t = text.trim();
    let bj = beijing();
    if let Ok(x) = DateTime::parse_from_rfc3339(t) {
        return Some(x.with_timezone(&bj));
    }
    for f in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return bj.from_local_datetime(&n).single();
        }
    }
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return bj.from_local_datetime(&d.and_hms_opt(0, 0, 0)?).single();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_beijing_unless_they_say_otherwise() {
        let t = |s: &str| parse(s).unwrap().to_rfc3339();
        assert_eq!(t("2026-11-04 16:30"), "2026-11-04T16:30:00+08:00");
        assert_eq!(t("2026-11-04T16:30:05"), "2026-11-04T16:30:05+08:00");
        assert_eq!(t("2026-11-04T08:30:00Z"), "2026-11-04T16:30:00+08:00");
        assert_eq!(t("2026年11月4日"), "2026-11-04T00:00:00+08:00");
        assert!(parse("昨天下午").is_none());
        let late = parse("2026-11-05T23:30:00+00:00").unwrap();
        assert_eq!(day(late).to_string(), "2026-11-06");
        assert_eq!(stamp(late), "2026-11-06T07:30:00+08:00");
        assert_eq!(label(late), "2026-11-06 07:30");
        assert_eq!(date_label(late), "2026年11月6日");
    }
}
