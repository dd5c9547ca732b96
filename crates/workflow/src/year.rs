//! A year's record of reporting: for each county under a region, a short label per month and
//! the months on time, late and not accepted (only months whose due date has passed count as
//! 未报; a returned month counts as not accepted until its correction is).

use super::standing::{Counts, RegionStatus};
use super::{Workflow, WorkflowError};
use crate::aggregate::rollup::Rollup;
use crate::period::Period;
use crate::schema::{Region, Schemas};
use crate::workbook::annual::RecordRow;

/// One year of a scope, month by month: each month's rollup and the standings it used.
pub struct Year {
    pub rollups: Vec<Rollup>,
    pub standings: Vec<Vec<RegionStatus>>,
    /// The December before, for the 同比 sheet.
    pub prev_december: Rollup,
}

/// Reads the twelve months of `year` (and the December before) for `scope` from the store.
pub fn read(wf: &Workflow<'_>, actor: &super::Actor, scope: &Region, year: i32) -> Result<Year, WorkflowError> {
    let month = |y: i32, m: u32| Period::new(y, m).expect("months 1..=12 exist");
    let mut rollups = Vec::new();
    let mut standings = Vec::new();
    for m in 1..=12 {
        let p = month(year, m);
        let sources = wf.rollup_sources(actor, scope, p)?;
        rollups.push(sources.rollup(wf, scope, p)?);
        standings.push(sources.standing);
    }
    let p = month(year - 1, 12);
    let prev_december = wf.rollup_sources(actor, scope, p)?.rollup(wf, scope, p)?;
    Ok(Year {
        rollups,
        standings,
        prev_december,
    })
}

/// Each county's year under `region`.
pub fn record(schemas: &Schemas, region: &Region, standings: &[Vec<RegionStatus>]) -> Vec<RecordRow> {
    schemas
        .regions
        .counties(&region.code)
        .iter()
        .map(|c| {
            let months: Vec<Option<&RegionStatus>> = standings.iter().map(|m| m.iter().find(|s| s.code == c.code)).collect();
            let n = Counts::of(months.iter().flatten().copied());
            RecordRow {
                code: c.code.clone(),
                name: c.name.clone(),
                city: c
                    .parent
                    .as_deref()
                    .and_then(|p| schemas.regions.get(p))
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                months: months.iter().map(|s| s.map(RegionStatus::record_word).unwrap_or_default()).collect(),
                on_time: n.on_time,
                late: n.late,
                missing: n.owing,
            }
        })
        .collect()
}
