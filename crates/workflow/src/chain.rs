//! The city → province chain. A city's 上报 freezes the rollup of its counties' effective
//! versions into the city's own sheet for the month and hands it in through the same submit as
//! any sheet (same checks, same timeliness, same 退回 / 审核通过 / 解锁 by the province). The
//! sheet remembers a digest of the county versions it was made from, so that when a county's
//! sheet changes afterwards (a resubmission, a return, an unlock and a new version) the city
//! is told its report is out of date and can report again.

use super::audit::Event;
use super::scope::{Action, Actor};
use super::standing::{Allowed, Counts, Deadline};
use super::submit::{SubmitOutcome, Upload};
use super::{Workflow, WorkflowError};
use crate::period::Period;
use crate::schema::regions::Level;
use crate::schema::{Region, Schemas};
use crate::store::{Review, SubStatus, Submission};
use crate::validate::Hints;
use serde::Serialize;

/// What a 上报 did.
#[derive(Debug, Clone, Serialize)]
pub struct CityReport {
    pub submission: SubmitOutcome,
    /// Counties whose sheets count in the rollup, of those that should report.
    pub counted: usize,
    pub expected: usize,
}

/// The city's latest 上报 for a month and whether it still matches its counties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reported {
    pub submission_id: i64,
    pub version: i64,
    pub status: SubStatus,
    #[serde(serialize_with = "crate::time::serde_label")]
    pub received_at: crate::time::Time,
    /// A county's counting version has changed since: the reported sheet is out of date.
    pub stale: bool,
}

/// The digest of which version of each county under `city` a rollup would use now: for each
/// county that handed anything in, the upload chosen (returned, effective or latest, as the
/// rollup chooses) and whether it counts.
pub fn basis(schemas: &crate::schema::Schemas, city: &Region, subs: &[Submission], reviews: &[Review]) -> String {
    let mut parts = Vec::new();
    for county in schemas.regions.counties(&city.code) {
        let history: Vec<&Submission> = subs.iter().filter(|s| s.region.as_deref() == Some(county.code.as_str())).collect();
        if history.is_empty() {
            continue;
        }
        let events: Vec<&Review> = reviews.iter().filter(|r| r.region == county.code).collect();
        let told = super::review::telling(&history, &events);
        if let Some(s) = told.shown {
            parts.push(serde_json::json!([county.code, s.id, s.status.as_str(), told.returned().is_some()]));
        }
    }
    crate::text::sha256_hex(serde_json::Value::Array(parts).to_string().as_bytes())
}

impl Workflow<'_> {
    /// 上报: the rollup of `city`'s counties for `period`, frozen into the city's sheet and
    /// handed in as `actor` (a reviewer of the city, or someone above it entering it 代报).
    /// `hints` says how files are read; its region and period are set here.
    pub fn report_city(
        &mut self,
        actor: &Actor,
        city: &str,
        period: Period,
        note: Option<&str>,
        late_reason: Option<&str>,
        hints: &Hints,
    ) -> Result<CityReport, WorkflowError> {
        let city = self.region(city)?;
        self.allow(actor, Action::Submit, city)?;
        if city.parent.is_none() || self.schemas.regions.is_leaf(city) {
            return Err(WorkflowError::NotACity {
                region: self.schemas.regions.display(city),
            });
        }
        self.allow(actor, Action::View, city)?;
        // One reading of the month: the rollup and the digest of what it was made from agree
        // even when a county hands in meanwhile.
        // The month as stored: a city's report is of its divisions of the time.
        let month = self.store.period_brief(period)?;
        let reviews = self.store.period_reviews(period)?;
        let sources = super::sources::from_month(self, city, period, &month, &reviews)?;
        let expected = sources.standing.len();
        let counted = sources
            .standing
            .iter()
            .filter(|s| matches!(s.state, super::State::OnTime | super::State::Late { .. }) && !s.review.as_ref().is_some_and(|r| r.is_return()))
            .count();
        let rollup = sources.rollup(self, city, period)?;
        let (name, bytes) = crate::workbook::rollup::workbook_bytes(&rollup, self.schemas, &city.code, &crate::time::date_label(self.now))
            .map_err(|e| WorkflowError::Rollup(e.to_string()))?
            .ok_or_else(|| WorkflowError::Rollup(format!("{} 的汇总表未生成", city.name)))?;
        let digest = basis(self.schemas, city, &month.subs, &reviews);
        let hints = Hints {
            region: Some(city.code.clone()),
            period: Some(period),
            region_source: "上报的市".into(),
            period_source: "上报的报告期".into(),
            ..hints.clone()
        };
        let up = Upload {
            file_name: &name,
            display: &name,
            bytes: &bytes,
            received_at: None,
            note,
            on_behalf_of: None,
            late_reason,
            hints: &hints,
            basis: Some(&digest),
            channel: actor.channel(),
            mail: None,
        };
        let submission = self.submit(actor, &up)?;
        let text = format!(
            "上报{}{}汇总表（实报 {counted}/应报 {expected} 个县区），第 {} 版，{}",
            self.schemas.regions.display(city),
            period.label(),
            submission.version,
            submission.status.label()
        );
        self.record(actor, Event::Report, Some(&city.code), &text)?;
        Ok(CityReport { submission, counted, expected })
    }

    /// What a board shows for `scope` and `period`, from one reading of the month: the
    /// standing of every county, of every city's own sheet, and each city's latest 上报.
    pub fn board(&self, actor: &Actor, scope: &Region, period: Period) -> Result<Board, WorkflowError> {
        let counties = self.schemas.regions.counties(&scope.code);
        let cities = super::standing::cities_under(self.schemas, scope);
        for r in std::iter::once(&scope).chain(&counties).chain(&cities) {
            self.allow(actor, Action::View, r)?;
        }
        // As stored, as the city's report was made (its digest is compared with this month's).
        let month = self.store.period_brief(period)?;
        let (subs, reviews) = (&month.subs, self.store.period_reviews(period)?);
        // What needs action first comes first.
        let standing = |regions: &[&Region]| {
            let mut rows = super::standing::standing_of(self.schemas, regions, period, subs, &reviews, Some(&month.versions), self.now);
            rows.sort_by(|a, b| (a.standing.urgency(), &a.code).cmp(&(b.standing.urgency(), &b.code)));
            rows
        };
        let deadline = Deadline::of(self.schemas, period, self.now);
        // A province under the ministry 上报s its own sheet, as a city does to its province.
        let to_ministry = scope.level == Level::Province && scope.parent.is_some();
        let mut reported: Vec<(String, Option<Reported>)> = cities.iter().map(|c| (c.code.clone(), reported_in(self.schemas, c, subs, &reviews))).collect();
        if to_ministry {
            reported.push((scope.code.clone(), reported_in(self.schemas, scope, subs, &reviews)));
        }
        let counties = standing(&counties);
        let cities = standing(&cities);
        // The city's own sheet (a province's board has none to 上报, but under the ministry).
        let province_own = if to_ministry { standing(&[scope]) } else { Vec::new() };
        let own = cities.iter().chain(&province_own).find(|c| c.code == scope.code);
        let reported_before = reported.iter().any(|(c, r)| *c == scope.code && r.is_some());
        let allowed = own
            .map(|o| Allowed::of(self.schemas, actor, scope, o, &deadline, reported_before))
            .unwrap_or_default();
        // A province chases its cities and the county-level units it oversees itself (北京市's
        // districts, 海南省's 五指山市); a city its counties.
        let direct: Vec<super::RegionStatus>;
        let owing = if scope.level <= Level::Province {
            direct = cities.iter().chain(direct_units(&counties, &scope.code)).cloned().collect();
            &direct
        } else {
            &counties
        };
        Ok(Board {
            chase: super::standing::chase_list(self.schemas, scope, &deadline, owing),
            counts: Counts::of(&counties),
            city_counts: Counts::of(&cities),
            own: own.cloned(),
            allowed,
            deadline,
            counties,
            cities,
            reported,
        })
    }
}

/// A board's content (see [`Workflow::board`]): rows in order of what needs action first.
pub struct Board {
    pub counties: Vec<super::RegionStatus>,
    pub cities: Vec<super::RegionStatus>,
    /// Each city's latest 上报, by code.
    pub reported: Vec<(String, Option<Reported>)>,
    pub deadline: Deadline,
    /// The counties' counts, and the cities' own sheets'.
    pub counts: Counts,
    pub city_counts: Counts,
    /// The scope's own sheet (a city's 上报; its latest 上报 is [`Board::reported_of`]).
    pub own: Option<super::RegionStatus>,
    /// What the actor may do on the scope's own sheet (上报).
    pub allowed: Allowed,
    /// The 催报 list: a city's counties, a province's cities.
    pub chase: Vec<super::Chase>,
}

/// The county-level units among `counties` that `province` oversees itself (a municipality's
/// districts, 海南省's 五指山市, a city without counties such as 儋州市).
fn direct_units<'a>(counties: &'a [super::RegionStatus], province: &'a str) -> impl Iterator<Item = &'a super::RegionStatus> {
    counties.iter().filter(move |c| c.city.as_deref() == Some(province))
}

impl Board {
    /// The county-level units on a province's board that it oversees itself (see
    /// [`direct_units`]), reviewed there like a city's counties.
    pub fn direct_units<'a>(&'a self, province: &'a str) -> Vec<&'a super::RegionStatus> {
        direct_units(&self.counties, province).collect()
    }

    /// The counts of the counties inside each of [`Board::cities`] (each city on a province's
    /// board, each province on the ministry's), by code: every county is placed once, by
    /// climbing its parents to the row it lies in.
    pub fn counties_by_city(&self, schemas: &Schemas) -> std::collections::HashMap<&str, Counts> {
        let rows: std::collections::HashSet<&str> = self.cities.iter().map(|c| c.code.as_str()).collect();
        let mut inside: std::collections::HashMap<&str, Vec<&super::RegionStatus>> = rows.iter().map(|&c| (c, Vec::new())).collect();
        for county in &self.counties {
            let mut at = schemas.regions.get(&county.code);
            while let Some(r) = at {
                if let Some(list) = inside.get_mut(r.code.as_str()) {
                    list.push(county);
                    break;
                }
                at = r.parent.as_deref().and_then(|p| schemas.regions.get(p));
            }
        }
        inside.into_iter().map(|(c, list)| (c, Counts::of(list))).collect()
    }

    /// The latest 上报 of one city.
    pub fn reported_of(&self, city: &str) -> Option<&Reported> {
        self.reported.iter().find(|(c, _)| c == city).and_then(|(_, r)| r.as_ref())
    }
}

/// The latest 上报 of `city` among `subs`, and whether its counties have changed since.
fn reported_in(schemas: &crate::schema::Schemas, city: &Region, subs: &[Submission], reviews: &[Review]) -> Option<Reported> {
    let last = subs
        .iter()
        .filter(|s| s.region.as_deref() == Some(city.code.as_str()) && s.basis.is_some())
        .max_by_key(|s| (s.received_at, s.id))?;
    Some(Reported {
        submission_id: last.id,
        version: last.version,
        status: last.status,
        received_at: last.received_at,
        stale: last.basis.as_deref() != Some(basis(schemas, city, subs, reviews).as_str()),
    })
}
