//! Who has reported for a period and how timely: the due date, the first accepted upload, the
//! latest version, the reviewer's decision, and what is still missing. Pure: reads uploads and
//! review events, prints nothing.
//!
//! Timeliness is judged by the first accepted version, whatever happens to it later: a county
//! that handed in on time and is returned (审核退回) after the due date is 退回 until a corrected
//! version is accepted, and then 按时 again. The due date is a deadline for handing in, and the
//! county met it; the correction is the reviewer's cycle, not a late report.

use super::review::{ReviewInfo, review_state};
use crate::finding::Reason;
use crate::period::Period;
use crate::schema::regions::Level;
use crate::schema::{Region, Schemas};
use crate::store::{Review, SubStatus, Submission};
use crate::time::{beijing, label as time_label};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

/// A region's standing for one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    /// First accepted upload by the end of the due date.
    OnTime,
    /// First accepted upload this many days after the due date.
    Late { days: i64 },
    /// Nothing accepted and nothing waiting; `overdue_days` is None before the due date passes.
    Missing { overdue_days: Option<i64> },
    /// The latest upload has errors and nothing was accepted, or the reviewer returned the
    /// accepted one (审核退回) and no newer version is accepted yet.
    Rejected,
    /// The latest upload has only warnings and no 说明 (待说明); nothing was accepted.
    Pending,
}

impl State {
    pub fn label(self) -> String {
        match self {
            State::OnTime => "按时".into(),
            State::Late { days } => format!("迟报 {days} 天"),
            State::Missing { overdue_days: None } => "未报，未到截止日".into(),
            State::Missing { overdue_days: Some(d) } => format!("未报，已逾期 {d} 天"),
            State::Rejected => "退回".into(),
            State::Pending => "待说明".into(),
        }
    }

    /// On time or late, for an accepted upload that arrived at `at` against due date `due`:
    /// on time means by the end of the due date in Beijing.
    pub fn arrival(at: DateTime<FixedOffset>, due: NaiveDate) -> State {
        let days = (at.with_timezone(&beijing()).date_naive() - due).num_days();
        if days <= 0 { State::OnTime } else { State::Late { days } }
    }

    /// Whether the region still has to hand something in (the 催报 list).
    pub fn needs_chasing(self) -> bool {
        !matches!(self, State::OnTime | State::Late { .. })
    }
}

/// One upload, briefly.
#[derive(Debug, Clone, Serialize)]
pub struct Brief {
    pub id: i64,
    pub version: i64,
    pub status: SubStatus,
    pub received_at: String,
    pub file: String,
    pub by: Option<String>,
}

impl Brief {
    fn of(s: &Submission) -> Brief {
        Brief {
            id: s.id,
            version: s.version,
            status: s.status,
            received_at: time_label(s.received_at),
            file: s.file_name.clone(),
            by: s.submitted_by.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionStatus {
    pub code: String,
    pub name: String,
    pub city: Option<String>,
    pub due: NaiveDate,
    /// False when the holiday calendar lacks a year on the way to the due date.
    pub due_covered: bool,
    #[serde(flatten)]
    pub state: State,
    pub label: String,
    pub first_accepted: Option<String>,
    pub effective: Option<Brief>,
    pub latest: Option<Brief>,
    pub versions: usize,
    /// The 说明 of the effective upload, or of the latest when none is accepted.
    pub note: Option<String>,
    /// What is wrong with the latest upload when it was not accepted, or why it was returned.
    pub reasons: Vec<Reason>,
    /// The reviewer's standing decision: 审核退回 or 审核通过; None before any, or after 解锁.
    pub review: Option<ReviewInfo>,
    /// The 迟报原因 given with the first accepted upload (or the latest, when none is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_reason: Option<String>,
}

/// The cities a status over `scope` covers: all under a province, or the city itself.
pub fn cities_under<'a>(schemas: &'a Schemas, scope: &'a Region) -> Vec<&'a Region> {
    match scope.level {
        Level::City => vec![scope],
        Level::County => scope.parent.as_deref().and_then(|p| schemas.regions.get(p)).into_iter().collect(),
        Level::Province => schemas.regions.children(&scope.code),
    }
}

/// The standing of each of `regions` (counties, or cities for the sheets they send up) for
/// `period`, judged at `now`. Every level has the same due date. `versions` counts each region's
/// uploads when `subs` is a month read brief (see `Store::period_brief`).
pub fn standing_of(
    schemas: &Schemas,
    regions: &[&Region],
    period: Period,
    subs: &[Submission],
    reviews: &[Review],
    versions: Option<&std::collections::HashMap<String, usize>>,
    now: DateTime<FixedOffset>,
) -> Vec<RegionStatus> {
    let form = schemas.form();
    let due = schemas.calendar.due_date(period, &form.period);
    let today = now.with_timezone(&beijing()).date_naive();
    regions
        .iter()
        .map(|county| {
            let mut history: Vec<&Submission> = subs
                .iter()
                .filter(|s| s.region.as_deref() == Some(county.code.as_str()) && s.period == Some(period))
                .collect();
            history.sort_by_key(|s| (s.received_at, s.id));
            let events: Vec<&Review> = reviews.iter().filter(|r| r.region == county.code && r.period == period).collect();
            let review = review_state(&history, &events);
            let returned = review.as_ref().is_some_and(ReviewInfo::is_return);
            // A returned sheet stops counting, and no older version takes its place.
            let eff = if returned { None } else { super::review::effective(&history) };
            let first = history.iter().find(|s| s.status == SubStatus::Accepted);
            let latest = history.last();
            let state = match (first, latest) {
                _ if returned => State::Rejected,
                (Some(f), _) => State::arrival(f.received_at, due.date),
                (None, Some(l)) if l.status == SubStatus::Pending => State::Pending,
                (None, Some(_)) => State::Rejected,
                (None, None) => State::Missing {
                    overdue_days: Some((today - due.date).num_days()).filter(|d| *d > 0),
                },
            };
            let reasons = match (&review, eff, latest) {
                (Some(r), _, _) if r.is_return() => vec![Reason::Text(r.sentence())],
                (_, None, Some(l)) => l
                    .findings
                    .iter()
                    .filter(|f| f.severity >= crate::finding::Severity::Warning)
                    .take(3)
                    .cloned()
                    .map(Reason::Brief)
                    .collect(),
                _ => Vec::new(),
            };
            let label = if returned { "审核退回".to_string() } else { state.label() };
            RegionStatus {
                code: county.code.clone(),
                name: county.name.clone(),
                city: county.parent.clone(),
                due: due.date,
                due_covered: due.covered,
                state,
                label,
                first_accepted: first.map(|s| time_label(s.received_at)),
                effective: eff.map(Brief::of),
                latest: latest.map(|s| Brief::of(s)),
                // A month read brief holds only the telling uploads; its counts come with it.
                versions: versions.and_then(|v| v.get(&county.code).copied()).unwrap_or(history.len()),
                note: eff.or(latest.copied()).and_then(|s| s.note.clone()),
                reasons,
                review,
                late_reason: first.or(latest).and_then(|s| s.late_reason.clone()),
            }
        })
        .collect()
}

/// The standing as other programs read it (`yuebao status --format json`, `GET /api/status`):
/// the scope, the month, when it was judged, every region, and the 催报 list. Written straight
/// out, not through a JSON tree: a province's 136 regions were most of the request's time.
#[derive(Debug, Clone, Serialize)]
pub struct StatusDoc {
    pub region: String,
    pub region_name: String,
    pub period: Period,
    pub as_of: String,
    pub level: &'static str,
    pub regions: Vec<RegionStatus>,
    pub chase: Vec<Chase>,
}

/// One region of the 催报 list.
#[derive(Debug, Clone, Serialize)]
pub struct Chase {
    pub code: String,
    pub name: String,
    pub city: Option<String>,
    pub status: String,
}

pub fn status_doc(scope: &Region, period: Period, as_of: DateTime<FixedOffset>, cities: bool, rows: Vec<RegionStatus>) -> StatusDoc {
    let chase = rows
        .iter()
        .filter(|r| r.state.needs_chasing())
        .map(|r| Chase {
            code: r.code.clone(),
            name: r.name.clone(),
            city: r.city.clone(),
            status: r.label.clone(),
        })
        .collect();
    StatusDoc {
        region: scope.code.clone(),
        region_name: scope.name.clone(),
        period,
        as_of: time_label(as_of),
        level: if cities { "city" } else { "county" },
        regions: rows,
        chase,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Code, Finding};

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn sub(id: i64, region: &str, received: &str, status: SubStatus) -> Submission {
        Submission {
            id,
            region: Some(region.into()),
            period: Some("2024-09".parse().unwrap()),
            file_name: format!("{region}.xlsx"),
            sha256: String::new(),
            submitted_by: None,
            received_at: at(received),
            imported_at: at(received),
            note: (status == SubStatus::Accepted).then(|| format!("说明{id}")),
            status,
            version: id,
            errors: 0,
            warnings: 0,
            findings: vec![Finding::new(Code::LargeChange, "f", "变动大")],
            sheet: None,
            on_behalf_of: None,
            late_reason: None,
            basis: None,
        }
    }

    /// 2024-09 is due 2024-10-08 (国庆): the last minute of that day in Beijing is on time, the
    /// next is a day late, whatever offset the time was written in.
    #[test]
    fn on_time_late_missing_rejected_pending() {
        let s = Schemas::embedded().unwrap();
        let linyi = s.regions.get("371300").unwrap();
        let subs = vec![
            sub(1, "371302", "2024-10-08T23:59:59+08:00", SubStatus::Accepted),
            sub(2, "371311", "2024-10-08T16:00:00Z", SubStatus::Accepted),
            sub(3, "371312", "2024-10-02T09:00:00+08:00", SubStatus::Rejected),
            sub(4, "371312", "2024-10-11T09:00:00+08:00", SubStatus::Accepted),
            sub(5, "371312", "2024-10-12T09:00:00+08:00", SubStatus::Rejected),
            sub(6, "371321", "2024-10-07T09:00:00+08:00", SubStatus::Rejected),
            sub(7, "371322", "2024-10-07T09:00:00+08:00", SubStatus::Pending),
        ];
        let now = at("2024-10-10T12:00:00+08:00");
        let st = standing_of(&s, &s.regions.counties(&linyi.code), "2024-09".parse().unwrap(), &subs, &[], None, now);
        assert_eq!(st.len(), 12);
        let by = |code: &str| st.iter().find(|x| x.code == code).unwrap();
        assert_eq!(by("371302").state, State::OnTime);
        assert_eq!(by("371302").due.to_string(), "2024-10-08");
        assert_eq!(by("371311").state, State::Late { days: 1 }, "16:00Z is 00:00 the next day in Beijing");
        let lh = by("371312");
        assert_eq!(lh.state, State::Late { days: 3 }, "timeliness counts the first accepted upload");
        assert_eq!((lh.versions, lh.effective.as_ref().unwrap().id, lh.latest.as_ref().unwrap().id), (3, 4, 5));
        assert_eq!(lh.note.as_deref(), Some("说明4"));
        assert!(lh.reasons.is_empty());
        assert_eq!(by("371321").state, State::Rejected);
        assert_eq!(by("371322").state, State::Pending);
        assert_eq!(by("371322").reasons.iter().map(ToString::to_string).collect::<Vec<_>>(), ["W401 变动大"]);
        assert_eq!(by("371323").state, State::Missing { overdue_days: Some(2) });
        assert!(by("371323").state.needs_chasing() && !by("371311").state.needs_chasing());
        let early = standing_of(
            &s,
            &s.regions.counties(&linyi.code),
            "2024-09".parse().unwrap(),
            &subs,
            &[],
            None,
            at("2024-10-08T20:00:00+08:00"),
        );
        assert_eq!(early.iter().find(|x| x.code == "371323").unwrap().label, "未报，未到截止日");
    }

    /// A month read brief (only each region's telling uploads, with the counts) stands exactly
    /// as the month read whole: every standing, every rollup choice and every 上报 digest, over
    /// random histories of uploads out of order and review events.
    #[test]
    fn a_month_read_brief_stands_as_the_whole_month() {
        use crate::store::{NewReview, NewSubmission, ReviewAction, Store};
        use rand::{RngExt, SeedableRng};
        let s = Schemas::embedded().unwrap();
        let linyi = s.regions.get("371300").unwrap();
        let counties = s.regions.counties(&linyi.code);
        let period: Period = "2026-10".parse().unwrap();
        for seed in 0..25u64 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let d = tempfile::tempdir().unwrap();
            let mut store = Store::open(d.path()).unwrap();
            let mut ids: std::collections::HashMap<&str, Vec<i64>> = Default::default();
            for step in 0..60 {
                let region = counties[rng.random_range(0..6usize)].code.as_str();
                if rng.random_range(0..5u32) == 0 && ids.get(region).is_some_and(|v| !v.is_empty()) {
                    let v = &ids[region];
                    let action = [ReviewAction::Returned, ReviewAction::Approved, ReviewAction::Unlocked][rng.random_range(0..3usize)];
                    let tx = store.begin().unwrap();
                    tx.add_review(&NewReview {
                        region,
                        period,
                        action,
                        submission_id: Some(v[rng.random_range(0..v.len())]),
                        by: Some("审核人"),
                        at: at("2026-11-06T10:00:00+08:00"),
                        reason: Some("理由"),
                    })
                    .unwrap();
                    tx.commit().unwrap();
                    continue;
                }
                let status = [SubStatus::Accepted, SubStatus::Rejected, SubStatus::Pending][rng.random_range(0..3usize)];
                // Arrivals out of order: some recorded later with an earlier time.
                let received = at(&format!(
                    "2026-11-{:02}T{:02}:00:00+08:00",
                    rng.random_range(1..9u32),
                    rng.random_range(8..18u32)
                ));
                let findings = vec![Finding::new(Code::LargeChange, "f", format!("第 {step} 次"))];
                let tx = store.begin().unwrap();
                let (id, _) = tx
                    .insert(&NewSubmission {
                        region: Some(region),
                        period: Some(period),
                        file_name: "f.xlsx",
                        bytes: b"x",
                        sha256: "00",
                        submitted_by: None,
                        received_at: received,
                        imported_at: received,
                        note: rng.random_range(0..2u32).eq(&0).then_some("说明"),
                        status,
                        findings: &findings,
                        summary: crate::finding::Summary::of(&findings),
                        sheet: None,
                        on_behalf_of: None,
                        late_reason: rng.random_range(0..3u32).eq(&0).then_some("迟报"),
                        basis: rng.random_range(0..4u32).eq(&0).then_some("digest"),
                    })
                    .unwrap();
                tx.commit().unwrap();
                ids.entry(region).or_default().push(id);
            }
            // The whole month as it used to be read: every version, oldest first.
            let mut whole: Vec<Submission> = store.all().unwrap().into_iter().filter(|x| x.period == Some(period)).collect();
            whole.sort_by_key(|x| (x.received_at, x.id));
            let brief = store.period_brief(period).unwrap();
            assert!(brief.subs.len() <= whole.len());
            // The index kept up by each insert is the one recomputed from all the uploads.
            let index: Vec<String> = store.check().unwrap().into_iter().filter(|p| p.contains("region_months")).collect();
            assert!(index.is_empty(), "seed {seed}: {index:?}");
            let reviews = store.period_reviews(period).unwrap();
            let now = at("2026-11-20T10:00:00+08:00");
            let a = serde_json::to_value(standing_of(&s, &counties, period, &whole, &reviews, None, now)).unwrap();
            let b = serde_json::to_value(standing_of(&s, &counties, period, &brief.subs, &reviews, Some(&brief.versions), now)).unwrap();
            assert_eq!(a, b, "seed {seed}");
            for c in &counties {
                let pick = |subs: &[Submission]| {
                    let h: Vec<&Submission> = subs.iter().filter(|x| x.region.as_deref() == Some(c.code.as_str())).collect();
                    let e: Vec<&Review> = reviews.iter().filter(|r| r.region == c.code).collect();
                    let (chosen, returned) = crate::workflow::review::chosen(&h, &e);
                    (chosen.map(|x| x.id), returned.map(|r| r.sentence()))
                };
                assert_eq!(pick(&whole), pick(&brief.subs), "seed {seed} {}", c.code);
            }
            assert_eq!(
                crate::workflow::chain::basis(&s, linyi, &whole, &reviews),
                crate::workflow::chain::basis(&s, linyi, &brief.subs, &reviews),
                "seed {seed}"
            );
        }
    }
}
