//! The monthly cycle's decisions, in one place that every front end calls: who may act on which
//! region (the actor and its scope), what becomes of an upload (已接收 / 退回 / 待说明, 代报, the
//! lock of an approved month), the reviewer's 审核退回 / 审核通过 / 解锁, and the questions a
//! front end asks — a scope's standing for a month, what a rollup is made of, a year's record.
//! Front ends turn requests into these calls and the answers into text, HTML, JSON or mail;
//! they decide nothing themselves.

pub mod accounts;
pub mod annual;
pub mod audit;
pub mod baseline;
pub mod chain;
pub mod contacts;
mod error;
pub mod ledger;
pub mod month;
pub mod policy;
pub mod review;
pub mod scope;
pub mod sources;
pub mod standing;
pub mod submit;
pub mod view;
pub mod year;

/// The stored rows front ends render, named through the workflow.
pub use crate::store::{Channel, Contact, MailMessage, Outgoing, Review, ReviewAction, SubStatus, Submission};
pub use error::WorkflowError;
pub use review::{ReviewInfo, ReviewKind, ReviewOutcome, ReviewRequest};
pub use scope::{Action, Actor, Role};
pub use standing::{Act, Allowed, Brief, Chase, Counts, Deadline, RegionStatus, Standing, State, StatusDoc, Timeliness};
pub use submit::{MailOrigin, SubmitOutcome, Upload};
pub use view::{CellChange, Comparison};

use crate::period::Period;
use crate::schema::{Region, Schemas};
use crate::store::Store;
use crate::time::Time;

// The core's modules and the store, named as the workflow's code has always named them.
#[cfg(test)]
use crate as workflow;
use yuebao_core::{finding, period, schema, text, time, validate};
use yuebao_rollup::{aggregate, workbook};
use yuebao_store as store;

/// What front ends name of the store's data: the rows they render, accounts, the audit log's
/// filter, entries and key, where a data directory is; the store itself stays the workflow's.
pub mod data {
    pub use yuebao_store::accounts::User;
    pub use yuebao_store::audit::{AuditEntry, AuditFilter, AuditKey};
    pub use yuebao_store::{DB_FILE, StoreError, data_dir};
}

/// A data directory opened for the workflow. Front ends hold one and hand it to
/// [`Workflow::new`]; the store inside is reached only through the workflow's calls.
pub struct Data(Store);

impl Data {
    /// Opens (creating, or upgrading in place) the store in `dir`, or the database file `dir`
    /// names, with the audit key that signs what it writes.
    /// The store belongs to one installation: the first opening binds it to `schemas`'s
    /// province, and a later one for another province is refused.
    pub fn open(dir: &std::path::Path, key: Option<data::AuditKey>, schemas: &Schemas) -> Result<Data, data::StoreError> {
        let mut store = Store::open_keyed(dir, key)?;
        let province = schemas.province();
        store.bind_province(&province.code, &province.name, |code| schemas.regions.get(code).is_some())?;
        Ok(Data(store))
    }

    /// The database file, for messages.
    pub fn file(&self) -> &std::path::Path {
        self.0.file()
    }
}

/// The cycle over one store. `now` is the clock every decision is judged by (the caller's
/// present, or a fixed time in tests and replays).
pub struct Workflow<'a> {
    /// The store is the workflow's own: front ends reach it only through these calls.
    store: &'a mut Store,
    pub schemas: &'a Schemas,
    pub now: Time,
    /// The installation's password and login rules (defaults unless a front end loaded them).
    pub policy: policy::Policy,
}

/// One region's month as an actor sees it (see [`Workflow::region_month`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct RegionMonth {
    pub status: RegionStatus,
    pub history: review::History,
    pub deadline: Deadline,
    /// What the actor may do now.
    pub allowed: Allowed,
    /// The actor reviews this region (the level right above it, or the operator).
    pub reviews: bool,
}

/// Which regions a standing lists: counties, or the cities for the sheets they send up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Counties,
    Cities,
}

/// The month regions are working on at `now`: last month until its due date has passed, then
/// this month.
pub fn current_period(schemas: &Schemas, now: Time) -> Period {
    use chrono::Datelike;
    let today = crate::time::day(now);
    let this = Period::new(today.year(), today.month()).expect("a calendar month");
    let last = this.prev();
    if today <= schemas.calendar.due_date(last, &schemas.form().period).date {
        last
    } else {
        this
    }
}

impl<'a> Workflow<'a> {
    pub fn new(data: &'a mut Data, schemas: &'a Schemas, now: Time) -> Workflow<'a> {
        Workflow {
            store: &mut data.0,
            schemas,
            now,
            policy: policy::Policy::default(),
        }
    }

    /// Resolves a region code or name the user gave, or says why not.
    pub fn region(&self, text: &str) -> Result<&'a Region, WorkflowError> {
        scope::region_arg(self.schemas, text)
    }

    /// Checks that `actor` may take `action` on `region`.
    pub fn allow(&self, actor: &Actor, action: Action, region: &Region) -> Result<(), WorkflowError> {
        scope::check(self.schemas, actor, action, region)
    }

    /// Submits one upload (see `submit`).
    pub fn submit(&mut self, actor: &Actor, upload: &Upload<'_>) -> Result<SubmitOutcome, WorkflowError> {
        let checked = submit::check(self.schemas, upload);
        submit::submit(self, actor, upload, checked)
    }

    /// Submits one upload already read and checked by [`submit::check`] (a batch checks its
    /// files on every core first).
    pub fn submit_checked(&mut self, actor: &Actor, upload: &Upload<'_>, checked: submit::Checked) -> Result<SubmitOutcome, WorkflowError> {
        submit::submit(self, actor, upload, checked)
    }

    /// Returns, approves or unlocks a region's sheet for a month (see `review`).
    pub fn review(&mut self, actor: &Actor, req: &ReviewRequest<'_>) -> Result<ReviewOutcome, WorkflowError> {
        review::review(self, actor, req)
    }

    /// The standing of every county (or city) under `scope` for `period`.
    pub fn standing(&self, actor: &Actor, scope: &Region, period: Period, level: Listing) -> Result<Vec<RegionStatus>, WorkflowError> {
        self.allow(actor, Action::View, scope)?;
        let regions = match level {
            Listing::Counties => self.schemas.regions.counties(&scope.code),
            Listing::Cities => standing::received_by(self.schemas, scope),
        };
        // Every region listed, not only the scope asked for (a county's "cities" is its city).
        for r in &regions {
            self.allow(actor, Action::View, r)?;
        }
        let month = self.read_month(period)?;
        Ok(standing::standing_of(
            self.schemas,
            &regions,
            period,
            &month.brief.subs,
            &month.reviews,
            Some(&month.brief.versions),
            self.now,
        ))
    }

    /// The standing of `scope` as other programs read it (`status --format json`, `/api/status`):
    /// every region, the deadline, the counts and the 催报 list with its reminders.
    pub fn status_doc(&self, actor: &Actor, scope: &Region, period: Period, level: Listing) -> Result<StatusDoc, WorkflowError> {
        let rows = self.standing(actor, scope, period, level)?;
        Ok(standing::status_doc(self.schemas, scope, period, self.now, level == Listing::Cities, rows))
    }

    /// The month regions are working on now (see [`current_period`]).
    pub fn current_period(&self) -> Period {
        current_period(self.schemas, self.now)
    }

    /// One region's month as `actor` sees it: its standing, the deadline, every upload and
    /// review event, and what `actor` may do now.
    pub fn region_month(&self, actor: &Actor, region: &Region, period: Period) -> Result<RegionMonth, WorkflowError> {
        let history = self.history(actor, region, period)?;
        let status = standing::standing_of(self.schemas, &[region], period, &history.submissions, &history.reviews, None, self.now)
            .pop()
            .expect("one region in, one standing out");
        let deadline = Deadline::of(self.schemas, period, self.now);
        let reported = history.submissions.iter().any(|s| s.basis.is_some());
        // What a gone division handed in is shown, not acted on: its reviews and lock are its own.
        let carried = history.carried_from.is_some();
        let allowed = if carried {
            Allowed(Vec::new())
        } else {
            Allowed::of(self.schemas, actor, region, &status, &deadline, reported)
        };
        Ok(RegionMonth {
            status,
            history,
            deadline,
            allowed,
            reviews: !carried && self.allow(actor, Action::Review, region).is_ok(),
        })
    }

    /// Every upload and review event of one region and month, oldest first.
    pub fn history(&self, actor: &Actor, region: &Region, period: Period) -> Result<review::History, WorkflowError> {
        self.allow(actor, Action::View, region)?;
        let mut submissions = self.store.history(&region.code, period)?;
        let mut reviews = self.store.reviews(&region.code, period)?;
        let mut carried_from = None;
        // Nothing under today's code in a month before the current divisions: what the division
        // it replaced handed in is its (莱芜区's January 2019 is 莱城区's; see `month`).
        if submissions.is_empty() && self.schemas.current_since().is_some_and(|since| period < since) {
            let brief = self.store.period_brief(period)?;
            if let Some((old, _)) = month::moves(self.schemas, period, &brief.subs).into_iter().find(|(_, new)| *new == region.code) {
                submissions = self.store.history(&old, period)?;
                reviews = self.store.reviews(&old, period)?;
                submissions.iter_mut().for_each(|s| s.region = Some(region.code.clone()));
                reviews.iter_mut().for_each(|r| r.region = region.code.clone());
                carried_from = Some(old);
            }
        }
        let counting = review::telling_of(&submissions, &reviews).counting.map(|s| s.id);
        Ok(review::History {
            submissions,
            reviews,
            counting,
            carried_from,
        })
    }

    /// What a rollup of `scope` for `period` is made of, from the store.
    pub fn rollup_sources(&self, actor: &Actor, scope: &Region, period: Period) -> Result<sources::Sources, WorkflowError> {
        self.allow(actor, Action::View, scope)?;
        if self.schemas.regions.is_leaf(scope) {
            return Err(WorkflowError::NotARollupScope {
                region: self.schemas.regions.display(scope),
            });
        }
        sources::from_store(self, scope, period)
    }
}
