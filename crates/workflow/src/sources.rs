//! What a rollup from the store is made of: for every region under the scope that handed
//! anything in, the upload that counts (the effective one unless it was returned) or, when none
//! counts, the latest one so that it shows as 退回 / 审核退回 / 待说明; with each region's
//! timeliness for the 报送情况 sheet.

use super::standing::{RegionStatus, cities_under, standing_of};
use super::{Workflow, WorkflowError};
use crate::aggregate::rollup::{Context, Input, Rollup, Stored, plan};
use crate::period::Period;
use crate::schema::Region;
use crate::schema::regions::Level;
use crate::store::{MonthBrief, Review, SubStatus, Submission};
use crate::time::label as time_label;
use crate::validate::{FileCheck, Status, Summary};
use std::path::PathBuf;

/// A rollup's inputs and what it needs to know besides them.
#[derive(Debug, Clone)]
pub struct Sources {
    pub inputs: Vec<Input>,
    pub context: Context,
    /// Every county's (and for the province every city's) standing for the period.
    pub standing: Vec<RegionStatus>,
}

impl Sources {
    /// Rolls the sources up.
    pub fn rollup(&self, wf: &Workflow<'_>, scope: &Region, period: Period) -> Result<Rollup, WorkflowError> {
        plan(wf.schemas, scope, period, &self.inputs, &self.context).map_err(|e| WorkflowError::Rollup(e.to_string()))
    }
}

pub(super) fn from_store(wf: &Workflow<'_>, scope: &Region, period: Period) -> Result<Sources, WorkflowError> {
    // The month brief (see `Store::period_brief`); only the uploads chosen are read whole.
    // In today's divisions: a sheet of 莱城区 in 2018 is 莱芜区's (see `month`).
    let month = wf.read_month(period)?;
    from_month(wf, scope, period, &month.brief, &month.reviews)
}

/// As [`from_store`], from a month already read (brief, and its reviews).
pub(super) fn from_month(wf: &Workflow<'_>, scope: &Region, period: Period, month: &MonthBrief, reviews: &[Review]) -> Result<Sources, WorkflowError> {
    let subs = &month.subs[..];
    let schemas = wf.schemas;
    // Counties, and cities for the city sheets a province receives.
    let mut regions = schemas.regions.counties(&scope.code);
    if scope.level <= Level::Province {
        regions.extend(cities_under(schemas, scope));
    }
    let standing = standing_of(schemas, &regions, period, subs, reviews, Some(&month.versions), wf.now);
    let mut codes: Vec<&str> = subs.iter().filter_map(|s| s.region.as_deref()).collect();
    codes.sort();
    codes.dedup();
    let mut inputs = Vec::new();
    for code in codes {
        let Some(region) = schemas.regions.get(code).filter(|r| schemas.regions.within(r, &scope.code)) else {
            continue;
        };
        let history: Vec<&Submission> = subs.iter().filter(|s| s.region.as_deref() == Some(code)).collect();
        let events: Vec<&Review> = reviews.iter().filter(|r| r.region == code).collect();
        let told = super::review::telling(&history, &events);
        let returned = told.returned();
        let Some(s) = told.shown else { continue };
        // The month was read brief: the chosen upload whole, with its findings and figures.
        let Some(s) = wf.store.submission(s.id)? else { continue };
        let s = &s;
        inputs.push(Input {
            report: report_of(s, region),
            sha256: Some(s.sha256.clone()),
            stored: Some(Stored {
                pending: returned.is_none() && s.status == SubStatus::Pending,
                unexplained: s.findings.iter().filter(|f| f.code.needs_explanation()).cloned().collect(),
                returned: returned.map(|r| r.sentence()),
                received: time_label(s.received_at),
                note: s.note.clone(),
            }),
        });
    }
    let timeliness = standing.iter().map(|s| (s.code.clone(), s.label.clone())).collect();
    Ok(Sources {
        inputs,
        context: Context { timeliness, from_store: true },
        standing,
    })
}

/// A stored upload as the report a rollup reads.
fn report_of(s: &Submission, region: &Region) -> FileCheck {
    let accepted = s.status == SubStatus::Accepted;
    FileCheck {
        file: s.file_name.clone(),
        path: PathBuf::from(&s.file_name),
        format: None,
        sha256: Some(s.sha256.clone()),
        region: Some(region.code.clone()),
        region_name: Some(region.name.clone()),
        period: s.period,
        status: if accepted { Status::Accepted } else { Status::Rejected },
        summary: Summary::of(&s.findings),
        findings: s.findings.clone(),
        unlisted: Default::default(),
        sheet: s.sheet.clone().filter(|_| accepted),
        figures: s.sheet.clone(),
        book: None,
        table: None,
        subtotal_rows: Vec::new(),
    }
}
