//! Baselines of the column that never changes (the 2015 count): imported from the file a city
//! keeps, each with its audit entry, and the accepted months that disagree with the new value.

use super::{Action, Actor, Workflow, WorkflowError};
use crate::period::Period;
use crate::store::facts::Subject;
use serde::Serialize;

/// An accepted month whose sheet disagrees with a newly imported baseline (it stays accepted;
/// the city asks the county to hand in again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    pub region: String,
    pub period: Period,
    /// The figure of the sheet that counts for that month.
    pub found: i64,
    pub baseline: i64,
}

impl Workflow<'_> {
    /// Records `values` (region code, value) as the baselines of the form's baseline column,
    /// from `source`, as `actor`: every region must be in the actor's scope; all or nothing, in
    /// one transaction with one audit entry each. Returns the months already counted that
    /// disagree with the new values (judged by the one rule of which upload counts).
    pub fn import_baselines(&mut self, actor: &Actor, values: &[(String, i64)], source: &str) -> Result<Vec<Disagreement>, WorkflowError> {
        let form = self.schemas.form();
        let Some(no) = form.cross_period.baseline_column else {
            return Err(WorkflowError::NoBaselineColumn);
        };
        for (code, _) in values {
            let region = self.region(code)?;
            self.allow(actor, Action::Review, region)?;
        }
        let now = self.now;
        let tx = self.store.begin()?;
        for (code, value) in values {
            let id = tx.set_baseline(code, *value, source, now, actor.name.as_deref())?;
            let region = self
                .schemas
                .regions
                .get(code)
                .map(|r| self.schemas.regions.display(r))
                .unwrap_or_else(|| code.clone());
            let text = format!("导入{region}第({no})栏基线 {value}（{source}）");
            tx.audit_fact(
                &super::audit::entry(actor, super::audit::Event::Baseline, Some(code), &text, now),
                &Subject::Baseline(id),
            )?;
        }
        tx.commit()?;
        let mut off = Vec::new();
        for (code, value) in values {
            let subs = self.store.region(code)?;
            let mut periods: Vec<Period> = subs.iter().filter_map(|s| s.period).collect();
            periods.dedup();
            for period in periods {
                let history: Vec<&crate::store::Submission> = subs.iter().filter(|s| s.period == Some(period)).collect();
                let events = self.store.reviews(code, period)?;
                let events: Vec<&crate::store::Review> = events.iter().collect();
                let found = super::review::telling(&history, &events)
                    .counting
                    .and_then(|s| s.sheet.as_ref())
                    .map(|sheet| sheet.total.values[no - 1]);
                if let Some(found) = found.filter(|f| f != value) {
                    off.push(Disagreement {
                        region: code.clone(),
                        period,
                        found,
                        baseline: *value,
                    });
                }
            }
        }
        Ok(off)
    }

    /// The baseline of `region`, as `actor` may see it.
    pub fn baseline(&self, actor: &Actor, region: &crate::schema::Region) -> Result<Option<crate::validate::cross::Baseline>, WorkflowError> {
        self.allow(actor, Action::View, region)?;
        Ok(self.store.baseline(&region.code)?)
    }
}
