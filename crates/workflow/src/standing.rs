//! Who has reported for a period and how timely, as the workflow decides it and every front end
//! renders it: one [`Standing`] per region-month, the [`Deadline`], the [`Counts`], the actions
//! an actor may take now ([`Allowed`]) and the 催报 text ([`Chase`]). Pure: reads uploads and
//! review events, prints nothing.
//!
//! Timeliness is judged by the first accepted version, whatever happens to it later: a county
//! that handed in on time and is returned (审核退回) after the due date is 退回 until a corrected
//! version is accepted, and then 按时 again. The due date is a deadline for handing in, and the
//! county met it; the correction is the reviewer's cycle, not a late report.

use super::review::{ReviewInfo, telling};
use super::scope::{Action, Actor, allowed};
use crate::finding::Reason;
use crate::period::Period;
use crate::schema::{Level, Region, Schemas};
use crate::store::{Review, SubStatus, Submission};
use crate::time::{Time, beijing};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

/// A region's standing for one period, as `status --format json` has always written it (the
/// field `state`); [`Standing`] is the finer decision beside it.
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
            State::OnTime => Timeliness::OnTime.label(),
            State::Late { days } => Timeliness::Late { days }.label(),
            State::Missing { overdue_days: None } => "未报，未到截止日".into(),
            State::Missing { overdue_days: Some(d) } => format!("未报，已逾期 {d} 天"),
            State::Rejected => "退回".into(),
            State::Pending => "待说明".into(),
        }
    }
}

/// On time or late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "timeliness", rename_all = "snake_case")]
pub enum Timeliness {
    OnTime,
    Late { days: i64 },
}

impl Timeliness {
    /// For an accepted upload that arrived at `at` against due date `due`: on time means by the
    /// end of the due date in Beijing.
    pub fn arrival(at: DateTime<FixedOffset>, due: NaiveDate) -> Timeliness {
        let days = (at.with_timezone(&beijing()).date_naive() - due).num_days();
        if days <= 0 { Timeliness::OnTime } else { Timeliness::Late { days } }
    }

    /// `按时` / `迟报 3 天`.
    pub fn label(self) -> String {
        match self {
            Timeliness::OnTime => "按时".into(),
            Timeliness::Late { days } => format!("迟报 {days} 天"),
        }
    }

    pub fn days_late(self) -> i64 {
        match self {
            Timeliness::OnTime => 0,
            Timeliness::Late { days } => days,
        }
    }
}

/// The one standing of a region's month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Standing {
    /// Nothing handed in, and the month itself is not over yet.
    NotDue,
    /// Nothing handed in; the month is over and the due date has not passed.
    Missing,
    /// Nothing handed in, this many days after the due date.
    Overdue { days: i64 },
    /// The latest upload has only warnings and no 说明 (待说明); nothing was accepted.
    Pending,
    /// The latest upload has errors and nothing was accepted.
    Rejected,
    /// The reviewer returned the accepted sheet (审核退回) and no newer version is accepted yet.
    Returned,
    /// Accepted, waiting for the reviewer.
    Accepted(Timeliness),
    /// Accepted and approved (审核通过): the month is locked.
    Approved(Timeliness),
}

impl Standing {
    /// The sheet counts (accepted, approved or not).
    pub fn received(self) -> Option<Timeliness> {
        match self {
            Standing::Accepted(t) | Standing::Approved(t) => Some(t),
            _ => None,
        }
    }

    pub fn is_approved(self) -> bool {
        matches!(self, Standing::Approved(_))
    }

    /// The region still has to hand something in (the 催报 list).
    pub fn needs_chasing(self) -> bool {
        self.received().is_none()
    }

    /// Nothing counts although the due date has passed, or what was handed in does not count:
    /// a month the year's record counts as 缺报.
    pub fn owing(self) -> bool {
        matches!(self, Standing::Overdue { .. } | Standing::Pending | Standing::Rejected | Standing::Returned)
    }

    /// What needs the reviewer's action first: sheets waiting for review, then regions overdue,
    /// returned or rejected, or waiting for a 说明 (to chase), then those not yet due, then what
    /// is approved.
    pub fn urgency(self) -> u8 {
        match self {
            Standing::Accepted(_) => 0,
            Standing::Overdue { .. } => 1,
            Standing::Returned | Standing::Rejected => 2,
            Standing::Pending => 3,
            Standing::Missing | Standing::NotDue => 4,
            Standing::Approved(_) => 5,
        }
    }
}

/// One upload, briefly.
#[derive(Debug, Clone, Serialize)]
pub struct Brief {
    pub id: i64,
    pub version: i64,
    pub status: SubStatus,
    #[serde(serialize_with = "crate::time::serde_label")]
    pub received_at: Time,
    pub file: String,
    pub by: Option<String>,
    /// How it came (命令行, 门户, 邮件), and from which address when by mail.
    pub channel: Option<crate::store::Channel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// Cells that differ from the county's register of the month; None when no register
    /// covers it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub register_diffs: Option<i64>,
}

impl Brief {
    fn of(s: &Submission) -> Brief {
        Brief {
            id: s.id,
            version: s.version,
            status: s.status,
            received_at: s.received_at,
            file: s.file_name.clone(),
            by: s.submitted_by.clone(),
            channel: s.channel,
            sender: s.sender.clone(),
            register_diffs: s.register_diffs,
        }
    }

    /// 台账一致, 台账不一致（3 处）, or nothing when no register covers the month.
    pub fn register_text(&self) -> Option<String> {
        self.register_diffs.map(|n| match n {
            0 => "台账一致".to_string(),
            n => format!("台账不一致（{n} 处）"),
        })
    }

    /// `邮件 lanshan@…`, `门户`, `命令行`; empty for uploads stored before channels were kept.
    pub fn channel_text(&self) -> String {
        match (self.channel, &self.sender) {
            (Some(c), Some(s)) => format!("{} {s}", c.label()),
            (Some(c), None) => c.label().to_string(),
            (None, _) => String::new(),
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
    /// The state in words, `审核退回` for a returned sheet (as the JSON has always had it).
    pub label: String,
    pub standing: Standing,
    #[serde(serialize_with = "crate::time::serde_label_opt")]
    pub first_accepted: Option<Time>,
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

impl RegionStatus {
    /// The standing in words for a board: `按时，已审核通过`, `迟报 2 天，待审核`, `审核退回`…
    pub fn text(&self) -> String {
        match self.standing {
            Standing::Approved(_) => format!("{}，已审核通过", self.label),
            Standing::Accepted(_) => format!("{}，待审核", self.label),
            _ => self.label.clone(),
        }
    }

    /// The year record's short word for the month (empty when nothing was due yet).
    pub fn record_word(&self) -> String {
        match self.standing {
            Standing::Accepted(Timeliness::OnTime) | Standing::Approved(Timeliness::OnTime) => "按时".into(),
            Standing::Accepted(Timeliness::Late { days }) | Standing::Approved(Timeliness::Late { days }) => format!("迟{days}天"),
            Standing::NotDue | Standing::Missing => String::new(),
            Standing::Overdue { .. } => "未报".into(),
            Standing::Returned | Standing::Rejected => "退回".into(),
            Standing::Pending => "待说明".into(),
        }
    }
}

/// The cities a status over `scope` covers, those that 上报 a rollup of their counties: all
/// under a province, the city itself, or a county's city. A unit that fills the township sheet
/// itself (a county directly under its province, a city without counties) is no such city.
pub fn cities_under<'a>(schemas: &'a Schemas, scope: &'a Region) -> Vec<&'a Region> {
    let regions = &schemas.regions;
    // The province (or, for the ministry, the nation and each province).
    if scope.level <= Level::Province {
        return regions.children(&scope.code).into_iter().filter(|c| !regions.is_leaf(c)).collect();
    }
    if !regions.is_leaf(scope) {
        return vec![scope];
    }
    scope
        .parent
        .as_deref()
        .and_then(|p| regions.get(p))
        .filter(|p| p.level == Level::City)
        .into_iter()
        .collect()
}

/// The sheets `scope` receives itself when it is the province: each city's 上报 and the own
/// sheet of each county-level unit under the province directly; otherwise [`cities_under`].
pub fn received_by<'a>(schemas: &'a Schemas, scope: &'a Region) -> Vec<&'a Region> {
    if scope.level <= Level::Province {
        schemas.regions.children(&scope.code)
    } else {
        cities_under(schemas, scope)
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
    let deadline = Deadline::of(schemas, period, now);
    regions
        .iter()
        .map(|county| {
            let mut history: Vec<&Submission> = subs
                .iter()
                .filter(|s| s.region.as_deref() == Some(county.code.as_str()) && s.period == Some(period))
                .collect();
            history.sort_by_key(|s| (s.received_at, s.id));
            let events: Vec<&Review> = reviews.iter().filter(|r| r.region == county.code && r.period == period).collect();
            let told = telling(&history, &events);
            let returned = told.returned().is_some();
            let eff = told.counting;
            let first = history.iter().find(|s| s.status == SubStatus::Accepted);
            let latest = history.last();
            let arrival = first.map(|f| Timeliness::arrival(f.received_at, deadline.due));
            let standing = match (arrival, latest) {
                _ if returned => Standing::Returned,
                (Some(t), _) if told.approved().is_some() => Standing::Approved(t),
                (Some(t), _) => Standing::Accepted(t),
                (None, Some(l)) if l.status == SubStatus::Pending => Standing::Pending,
                (None, Some(_)) => Standing::Rejected,
                (None, None) => match deadline.days_past {
                    Some(days) => Standing::Overdue { days },
                    None if deadline.month_over => Standing::Missing,
                    None => Standing::NotDue,
                },
            };
            let state = match standing {
                Standing::Accepted(Timeliness::OnTime) | Standing::Approved(Timeliness::OnTime) => State::OnTime,
                Standing::Accepted(Timeliness::Late { days }) | Standing::Approved(Timeliness::Late { days }) => State::Late { days },
                Standing::Returned | Standing::Rejected => State::Rejected,
                Standing::Pending => State::Pending,
                Standing::Overdue { days } => State::Missing { overdue_days: Some(days) },
                Standing::Missing | Standing::NotDue => State::Missing { overdue_days: None },
            };
            let reasons = match (told.returned(), eff, latest) {
                (Some(r), _, _) => vec![Reason::Text(r.sentence())],
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
                due: deadline.due,
                due_covered: deadline.covered,
                state,
                label,
                standing,
                first_accepted: first.map(|s| s.received_at),
                effective: eff.map(Brief::of),
                latest: latest.map(|s| Brief::of(s)),
                // A month read brief holds only the telling uploads; its counts come with it.
                versions: versions.and_then(|v| v.get(&county.code).copied()).unwrap_or(history.len()),
                note: eff.or(latest.copied()).and_then(|s| s.note.clone()),
                reasons,
                review: told.review,
                late_reason: first.or(latest).and_then(|s| s.late_reason.clone()),
            }
        })
        .collect()
}

/// The due date of a month as it stands on the day judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub period: Period,
    pub due: NaiveDate,
    /// False when the holiday calendar lacks a year on the way to the due date.
    pub covered: bool,
    /// The day judged (Beijing).
    pub today: NaiveDate,
    /// The month itself has ended.
    pub month_over: bool,
    /// Working days left, today and the due date included; None once it has passed.
    pub working_days_left: Option<i64>,
    /// Days since the due date; None until it has passed.
    pub days_past: Option<i64>,
}

impl Deadline {
    pub fn of(schemas: &Schemas, period: Period, now: Time) -> Deadline {
        let due = schemas.calendar.due_date(period, &schemas.form().period);
        let today = crate::time::day(now);
        let past = (today - due.date).num_days();
        Deadline {
            period,
            due: due.date,
            covered: due.covered,
            today,
            month_over: period.next().first_day() <= today,
            working_days_left: (past <= 0).then(|| schemas.calendar.working_days(today, due.date)),
            days_past: (past > 0).then_some(past),
        }
    }

    /// Handing in now needs a 迟报原因.
    pub fn past_due(&self) -> bool {
        self.days_past.is_some()
    }
}

/// How many regions of a listing stand how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Regions that should report.
    pub expected: usize,
    /// Sheets that count (accepted, approved or not).
    pub received: usize,
    pub on_time: usize,
    pub late: usize,
    pub approved: usize,
    pub pending: usize,
    /// Rejected or returned (退回).
    pub rejected: usize,
    pub returned: usize,
    /// Nothing handed in (not yet due, or overdue).
    pub missing: usize,
    pub overdue: usize,
    /// Not accepted although owed (see [`Standing::owing`]).
    pub owing: usize,
    /// Still to hand something in (the 催报 list).
    pub chase: usize,
}

impl Counts {
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a RegionStatus>) -> Counts {
        let mut c = Counts::default();
        for r in rows {
            let s = r.standing;
            c.expected += 1;
            match s.received() {
                Some(Timeliness::OnTime) => c.on_time += 1,
                Some(Timeliness::Late { .. }) => c.late += 1,
                None => c.chase += 1,
            }
            c.received += usize::from(s.received().is_some());
            c.approved += usize::from(s.is_approved());
            c.pending += usize::from(s == Standing::Pending);
            c.rejected += usize::from(matches!(s, Standing::Rejected | Standing::Returned));
            c.returned += usize::from(s == Standing::Returned);
            c.missing += usize::from(matches!(s, Standing::NotDue | Standing::Missing | Standing::Overdue { .. }));
            c.overdue += usize::from(matches!(s, Standing::Overdue { .. }));
            c.owing += usize::from(s.owing());
        }
        c
    }
}

/// One thing an actor may do now on a region's month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Act {
    /// Hand in the region's own sheet; `late_reason`: a 迟报原因 is required.
    Upload { late_reason: bool },
    /// 代报: enter a county's sheet for it.
    OnBehalf { late_reason: bool },
    /// 审核退回 the sheet that counts.
    Return,
    /// 审核通过 it (locks the month).
    Approve,
    /// 解锁 an approved month.
    Unlock,
    /// 上报 the city's rollup (`again`: a 上报 exists, this is a re-上报).
    Report { again: bool, late_reason: bool },
}

/// The actions an actor may take now on one region's month.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Allowed(pub Vec<Act>);

impl Allowed {
    /// What `actor` may do now on `region`'s month standing as `status`; `reported` says
    /// whether a city has 上报 before.
    pub fn of(schemas: &Schemas, actor: &Actor, region: &Region, status: &RegionStatus, deadline: &Deadline, reported: bool) -> Allowed {
        let mut acts = Vec::new();
        let late_reason = deadline.past_due();
        let locked = status.standing.is_approved();
        let own = actor.region.as_deref() == Some(region.code.as_str());
        let may_review = allowed(schemas, actor, Action::Review, region);
        if schemas.regions.is_leaf(region) && !locked {
            if own && allowed(schemas, actor, Action::Submit, region) {
                acts.push(Act::Upload { late_reason });
            } else if may_review {
                acts.push(Act::OnBehalf { late_reason });
            }
        }
        if region.parent.is_some() && !schemas.regions.is_leaf(region) && !locked && allowed(schemas, actor, Action::Submit, region) {
            acts.push(Act::Report { again: reported, late_reason });
        }
        if may_review {
            if locked {
                acts.push(Act::Unlock);
            } else if status.effective.is_some() {
                acts.push(Act::Return);
                acts.push(Act::Approve);
            }
        }
        Allowed(acts)
    }

    /// Uploading the region's own sheet is open: Some(whether a 迟报原因 is required).
    pub fn upload(&self) -> Option<bool> {
        self.0.iter().find_map(|a| match a {
            Act::Upload { late_reason } => Some(*late_reason),
            _ => None,
        })
    }

    /// 代报 is open: Some(whether a 迟报原因 is required).
    pub fn on_behalf(&self) -> Option<bool> {
        self.0.iter().find_map(|a| match a {
            Act::OnBehalf { late_reason } => Some(*late_reason),
            _ => None,
        })
    }

    /// 上报 is open: Some((again, whether a 迟报原因 is required)).
    pub fn report(&self) -> Option<(bool, bool)> {
        self.0.iter().find_map(|a| match a {
            Act::Report { again, late_reason } => Some((*again, *late_reason)),
            _ => None,
        })
    }

    pub fn may(&self, act: Act) -> bool {
        self.0.contains(&act)
    }

    /// Any review action (退回, 审核通过, 解锁) is open.
    pub fn reviews(&self) -> bool {
        self.0.iter().any(|a| matches!(a, Act::Return | Act::Approve | Act::Unlock))
    }
}

/// The standing as other programs read it (`yuebao status --format json`, `GET /api/status`):
/// the scope, the month, when it was judged, every region, and the 催报 list. Written straight
/// out, not through a JSON tree: a province's 136 regions were most of the request's time.
#[derive(Debug, Clone, Serialize)]
pub struct StatusDoc {
    pub region: String,
    pub region_name: String,
    pub period: Period,
    #[serde(serialize_with = "crate::time::serde_label")]
    pub as_of: Time,
    pub level: &'static str,
    pub deadline: Deadline,
    pub counts: Counts,
    pub regions: Vec<RegionStatus>,
    pub chase: Vec<Chase>,
}

/// One region of the 催报 list, with the reminder to send it.
#[derive(Debug, Clone, Serialize)]
pub struct Chase {
    pub code: String,
    pub name: String,
    pub city: Option<String>,
    /// The standing in words.
    pub status: String,
    pub reminder: String,
}

/// The 催报 list of `rows`, each reminder sent by the region right above it (a county's city,
/// a city's province); `scope`, the region listed, where a row has none above it.
pub fn chase_list(schemas: &Schemas, scope: &Region, deadline: &Deadline, rows: &[RegionStatus]) -> Vec<Chase> {
    rows.iter()
        .filter(|r| r.standing.needs_chasing())
        .map(|r| {
            let sender = r.city.as_deref().and_then(|c| schemas.regions.get(c)).unwrap_or(scope);
            Chase {
                code: r.code.clone(),
                name: r.name.clone(),
                city: r.city.clone(),
                status: r.label.clone(),
                reminder: reminder(schemas, sender, deadline, r),
            }
        })
        .collect()
}

/// The reminder one region gets: what is owed, why, by when.
pub fn reminder(schemas: &Schemas, sender: &Region, deadline: &Deadline, r: &RegionStatus) -> String {
    let due = deadline.due.format("%Y年%-m月%-d日");
    let why = match r.standing {
        Standing::Returned => format!(
            "贵单位报表已被审核退回（{}），请改正后重新上传",
            r.review.as_ref().and_then(|v| v.reason.as_deref()).unwrap_or("见门户")
        ),
        Standing::Overdue { days } => format!("尚未收到贵单位报表，已逾期 {days} 天，请尽快上报"),
        Standing::NotDue | Standing::Missing => "尚未收到贵单位报表，请按时上报".into(),
        Standing::Pending => "贵单位报表有警告项尚未说明，请在门户填写说明后提交，或改正后重新上传".into(),
        _ => "贵单位上传的报表未通过审核，请在门户查看问题，改正后重新上传".into(),
    };
    format!(
        "【催报】{}：{}《{}》应于{due}前报送。截至{}，{why}。如已处理请忽略。——{}",
        r.name,
        deadline.period.label(),
        schemas.form().name,
        deadline.today.format("%-m月%-d日"),
        sender.name
    )
}

pub fn status_doc(schemas: &Schemas, scope: &Region, period: Period, as_of: Time, cities: bool, rows: Vec<RegionStatus>) -> StatusDoc {
    let deadline = Deadline::of(schemas, period, as_of);
    StatusDoc {
        region: scope.code.clone(),
        region_name: scope.name.clone(),
        period,
        as_of,
        level: if cities { "city" } else { "county" },
        deadline,
        counts: Counts::of(&rows),
        chase: chase_list(schemas, scope, &deadline, &rows),
        regions: rows,
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
            channel: None,
            sender: None,
            register_diffs: None,
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
        assert!(by("371323").standing.needs_chasing() && !by("371311").standing.needs_chasing());
        assert_eq!(by("371323").standing, Standing::Overdue { days: 2 });
        assert_eq!(by("371302").standing, Standing::Accepted(Timeliness::OnTime));
        assert_eq!(by("371311").standing, Standing::Accepted(Timeliness::Late { days: 1 }));
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

    /// What each actor may do on a county's month, as the standing and the day change: the
    /// county uploads (with a 迟报原因 once the due date has passed) until its month is approved;
    /// its city enters it 代报, returns or approves what counts, unlocks what is approved; the
    /// province only looks at a county; a city 上报s its own sheet, again once it has.
    #[test]
    fn the_actions_each_actor_may_take() {
        use crate::store::{ReviewAction, SubStatus};
        use crate::workflow::{Actor, Role};
        let s = Schemas::embedded().unwrap();
        let lanshan = s.regions.get("371302").unwrap();
        let linyi = s.regions.get("371300").unwrap();
        let period: Period = "2024-09".parse().unwrap();
        let county = Actor::new("兰山", Role::Reporter, "371302");
        let city = Actor::new("临沂", Role::Reviewer, "371300");
        let province = Actor::new("省", Role::Reviewer, "370000");
        let review = |action| Review {
            id: 1,
            region: "371302".into(),
            period,
            action,
            submission_id: Some(1),
            by: Some("李四".into()),
            at: at("2024-10-09T10:00:00+08:00"),
            reason: Some("理由".into()),
        };
        let acts = |who: &Actor, subs: &[Submission], reviews: &[Review], now: &str| {
            let now = at(now);
            let st = standing_of(&s, &[lanshan], period, subs, reviews, None, now).pop().unwrap();
            Allowed::of(&s, who, lanshan, &st, &Deadline::of(&s, period, now), false).0
        };
        let before = "2024-10-08T12:00:00+08:00";
        let after = "2024-10-10T12:00:00+08:00";
        assert_eq!(acts(&county, &[], &[], before), [Act::Upload { late_reason: false }]);
        assert_eq!(acts(&county, &[], &[], after), [Act::Upload { late_reason: true }]);
        assert_eq!(acts(&city, &[], &[], after), [Act::OnBehalf { late_reason: true }]);
        assert_eq!(acts(&province, &[], &[], after), []);
        let accepted = [sub(1, "371302", "2024-10-08T09:00:00+08:00", SubStatus::Accepted)];
        assert_eq!(
            acts(&city, &accepted, &[], after),
            [Act::OnBehalf { late_reason: true }, Act::Return, Act::Approve]
        );
        let approved = [review(ReviewAction::Approved)];
        assert_eq!(acts(&county, &accepted, &approved, after), []);
        assert_eq!(acts(&city, &accepted, &approved, after), [Act::Unlock]);
        let returned = [review(ReviewAction::Returned)];
        assert_eq!(acts(&county, &accepted, &returned, after), [Act::Upload { late_reason: true }]);
        assert_eq!(
            acts(&city, &accepted, &returned, after),
            [Act::OnBehalf { late_reason: true }],
            "nothing counts to review"
        );
        // The city's own sheet: it 上报s; the province reviews it.
        let st = standing_of(&s, &[linyi], period, &[], &[], None, at(before)).pop().unwrap();
        let d = Deadline::of(&s, period, at(before));
        assert_eq!(
            Allowed::of(&s, &city, linyi, &st, &d, true).0,
            [Act::Report {
                again: true,
                late_reason: false
            }]
        );
        // The province may enter it for the city (代报), as it may a county's.
        assert_eq!(
            Allowed::of(&s, &province, linyi, &st, &d, false).0,
            [Act::Report {
                again: false,
                late_reason: false
            }]
        );
        assert_eq!(Allowed::of(&s, &county, linyi, &st, &d, false).0, []);
    }

    /// The deadline's facts and the 催报 text come from the workflow, with the numbers typed.
    #[test]
    fn the_deadline_the_counts_and_the_reminder() {
        let s = Schemas::embedded().unwrap();
        let linyi = s.regions.get("371300").unwrap();
        let period: Period = "2024-09".parse().unwrap();
        let during = Deadline::of(&s, period, at("2024-09-20T12:00:00+08:00"));
        assert!(!during.month_over && during.days_past.is_none());
        let before = Deadline::of(&s, period, at("2024-10-08T12:00:00+08:00"));
        assert_eq!((before.month_over, before.working_days_left, before.days_past), (true, Some(1), None));
        let after = Deadline::of(&s, period, at("2024-10-10T12:00:00+08:00"));
        assert_eq!((after.working_days_left, after.days_past, after.past_due()), (None, Some(2), true));
        let subs = [sub(1, "371302", "2024-10-08T09:00:00+08:00", SubStatus::Accepted)];
        let counties = s.regions.counties(&linyi.code);
        let rows = standing_of(&s, &counties, period, &subs, &[], None, at("2024-09-20T12:00:00+08:00"));
        assert_eq!(rows.iter().find(|r| r.code == "371311").unwrap().standing, Standing::NotDue);
        let rows = standing_of(&s, &counties, period, &subs, &[], None, at("2024-10-10T12:00:00+08:00"));
        let c = Counts::of(&rows);
        assert_eq!((c.expected, c.received, c.on_time, c.overdue, c.chase, c.owing), (12, 1, 1, 11, 11, 11));
        let chase = chase_list(&s, linyi, &after, &rows);
        assert_eq!(chase.len(), 11);
        // Seen from a county (or the province), each reminder still comes from the county's city.
        let hedong = s.regions.get("371312").unwrap();
        let own = standing_of(&s, &[hedong], period, &subs, &[], None, at("2024-10-10T12:00:00+08:00"));
        assert!(chase_list(&s, hedong, &after, &own)[0].reminder.ends_with("——临沂市"));
        assert_eq!(
            chase[0].reminder,
            format!(
                "【催报】{}：2024年9月《{}》应于2024年10月8日前报送。截至10月10日，尚未收到贵单位报表，已逾期 2 天，请尽快上报。如已处理请忽略。——临沂市",
                chase[0].name,
                s.form().name
            )
        );
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
                        channel: crate::store::Channel::Cli,
                        sender: None,
                        register_diffs: None,
                        mail_key: None,
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
                    let told = crate::workflow::review::telling(&h, &e);
                    (told.shown.map(|x| x.id), told.counting.map(|x| x.id), told.returned().map(|r| r.sentence()))
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
