//! The reviewer's side of the cycle (上报 → 审核 → 退回/通过): 审核退回 with a reason, 审核通过
//! which locks the month, and 解锁 with a reason. Events are appended, never changed; what they
//! mean now is worked out from them and the uploads:
//! - a return holds until a newer version is accepted (judged on its own findings, even when its
//!   bytes are the returned ones); while it holds, the region does not count and no older
//!   accepted version takes its place;
//! - an approval holds until an unlock, and refuses uploads meanwhile.

use super::{Action, Actor, Workflow, WorkflowError};
use crate::period::Period;
use crate::store::{Review, ReviewAction, SubStatus, Submission};
use crate::time::{Time, label as time_label};
use serde::Serialize;

/// The reviewer's decision that stands, as status shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewInfo {
    /// `returned` or `approved`.
    pub action: ReviewAction,
    pub by: Option<String>,
    /// Written `2026-11-06 10:00` (Beijing).
    #[serde(serialize_with = "crate::time::serde_label")]
    pub at: Time,
    pub reason: Option<String>,
    /// The upload the decision was about.
    #[serde(skip)]
    pub submission_id: Option<i64>,
}

impl ReviewInfo {
    pub fn is_return(&self) -> bool {
        self.action == ReviewAction::Returned
    }

    /// `审核退回（李四，2026-11-06 10:00）：第(5)栏与台账不符`.
    pub fn sentence(&self) -> String {
        let label = if self.is_return() { "审核退回" } else { "审核通过" };
        let who = self.by.as_deref().map(|b| format!("{b}，")).unwrap_or_default();
        let why = self.reason.as_deref().map(|r| format!("：{r}")).unwrap_or_default();
        format!("{label}（{who}{}）{why}", time_label(self.at))
    }
}

/// How a region's month stands among its uploads and review events. This is the one rule of
/// which upload counts; every part of the cycle (standing, rollups, 上报 and its digest, the
/// previous month's checks, baselines, export, history) asks it.
#[derive(Debug, Clone)]
pub struct Telling<'a> {
    /// The upload that counts: the latest accepted by arrival, unless the reviewer returned it
    /// (审核退回) and no newer version is accepted yet; then none, and no older accepted
    /// version takes its place.
    pub counting: Option<&'a Submission>,
    /// The upload a rollup shows for the region: while a return holds, the returned upload;
    /// else the counting one; else the latest.
    pub shown: Option<&'a Submission>,
    /// The reviewer's decision that stands: 审核退回 or 审核通过; None before any, or after 解锁.
    pub review: Option<ReviewInfo>,
}

impl Telling<'_> {
    /// A return holds: the month does not count until a corrected version is accepted.
    pub fn returned(&self) -> Option<&ReviewInfo> {
        self.review.as_ref().filter(|r| r.is_return())
    }

    /// An approval holds: the month is locked.
    pub fn approved(&self) -> Option<&ReviewInfo> {
        self.review.as_ref().filter(|r| !r.is_return())
    }
}

/// How a region's month stands (see [`Telling`]); `history` in any order.
pub fn telling<'a>(history: &[&'a Submission], events: &[&Review]) -> Telling<'a> {
    let review = review_state(history, events);
    let latest_accepted = history
        .iter()
        .copied()
        .filter(|s| s.status == SubStatus::Accepted)
        .max_by_key(|s| (s.received_at, s.id));
    let returned = review.as_ref().filter(|r| r.is_return());
    let counting = if returned.is_some() { None } else { latest_accepted };
    let shown = match returned {
        Some(r) => r.submission_id.and_then(|id| history.iter().copied().find(|s| s.id == id)),
        None => counting,
    }
    .or_else(|| history.iter().copied().max_by_key(|s| (s.received_at, s.id)));
    Telling { counting, shown, review }
}

/// The approval that locks a region's month, if one stands: it holds until an unlock whatever
/// was uploaded since, so the review events alone tell.
pub fn lock(events: &[Review]) -> Option<ReviewInfo> {
    telling_of(&[], events).review.filter(|r| !r.is_return())
}

/// [`telling`] over owned rows, as the store returns them.
pub fn telling_of<'a>(history: &'a [Submission], events: &[Review]) -> Telling<'a> {
    let h: Vec<&Submission> = history.iter().collect();
    let e: Vec<&Review> = events.iter().collect();
    telling(&h, &e)
}

/// The decision that stands for one region and month, from its uploads and review events.
fn review_state(history: &[&Submission], events: &[&Review]) -> Option<ReviewInfo> {
    let mut current: Option<&Review> = None;
    for e in events {
        current = match e.action {
            ReviewAction::Returned | ReviewAction::Approved => Some(e),
            ReviewAction::Unlocked => None,
        };
    }
    let e = current?;
    // A version accepted after the return ends it.
    if e.action == ReviewAction::Returned
        && history
            .iter()
            .any(|s| s.status == SubStatus::Accepted && e.submission_id.is_none_or(|id| s.id > id))
    {
        return None;
    }
    Some(ReviewInfo {
        action: e.action,
        by: e.by.clone(),
        at: e.at,
        reason: e.reason.clone(),
        submission_id: e.submission_id,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewKind {
    Return,
    Approve,
    Unlock,
}

/// A reviewer's request.
#[derive(Debug, Clone)]
pub struct ReviewRequest<'a> {
    pub region: &'a str,
    pub period: Period,
    pub kind: ReviewKind,
    pub reason: Option<&'a str>,
}

/// What the review did.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewOutcome {
    pub id: i64,
    pub region: String,
    pub region_name: String,
    pub period: Period,
    pub action: ReviewAction,
    /// 第 N 版: the upload the decision is about.
    pub version: Option<i64>,
    pub by: Option<String>,
    #[serde(serialize_with = "crate::time::serde_label")]
    pub at: Time,
    pub reason: Option<String>,
}

/// Every upload and review event of one region and month.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    pub submissions: Vec<Submission>,
    pub reviews: Vec<Review>,
    /// The upload that counts (see [`Telling`]).
    pub counting: Option<i64>,
    /// The gone division whose uploads these are, shown under today's (see `month`): to read,
    /// not to act on.
    pub carried_from: Option<String>,
}

pub(super) fn review(wf: &mut Workflow<'_>, actor: &Actor, req: &ReviewRequest<'_>) -> Result<ReviewOutcome, WorkflowError> {
    let region = wf.region(req.region)?;
    wf.allow(actor, Action::Review, region)?;
    let reason = req.reason.map(str::trim).filter(|r| !r.is_empty());
    let what = match req.kind {
        ReviewKind::Return => "退回",
        ReviewKind::Approve => "审核通过",
        ReviewKind::Unlock => "解锁",
    };
    if reason.is_none() && req.kind != ReviewKind::Approve {
        return Err(WorkflowError::ReasonRequired { what });
    }
    let display = wf.schemas.regions.display(region);
    let refuse = |why: String| WorkflowError::CannotReview {
        region: display.clone(),
        period: req.period,
        why,
    };
    let now = wf.now;
    let tx = wf.store.begin()?;
    let history = tx.history(&region.code, req.period)?;
    let events = tx.reviews(&region.code, req.period)?;
    let hist: Vec<&Submission> = history.iter().collect();
    let evs: Vec<&Review> = events.iter().collect();
    let t = telling(&hist, &evs);
    let (state, eff) = (t.review.clone(), t.counting);
    let (approved, returned) = (t.approved().is_some(), t.returned().is_some());
    let (action, about) = match req.kind {
        ReviewKind::Return => {
            if approved {
                return Err(refuse("已审核通过，请先解锁再退回".into()));
            }
            if returned {
                return Err(refuse("已退回，尚无新的版本".into()));
            }
            let Some(e) = eff else {
                return Err(refuse("没有已接收的报表可退回".into()));
            };
            (ReviewAction::Returned, Some(e))
        }
        ReviewKind::Approve => {
            if approved {
                return Err(refuse("已审核通过".into()));
            }
            if returned {
                return Err(refuse("已退回，须等新的版本被接收后才能审核通过".into()));
            }
            let Some(e) = eff else {
                return Err(refuse("没有已接收的报表可审核通过".into()));
            };
            (ReviewAction::Approved, Some(e))
        }
        ReviewKind::Unlock => {
            if !approved {
                return Err(refuse("未审核通过，无需解锁".into()));
            }
            (
                ReviewAction::Unlocked,
                state.as_ref().and_then(|s| s.submission_id).and_then(|id| history.iter().find(|s| s.id == id)),
            )
        }
    };
    let by = actor.name.as_deref();
    let id = tx.add_review(&crate::store::NewReview {
        region: &region.code,
        period: req.period,
        action,
        submission_id: about.map(|s| s.id),
        by,
        at: now,
        reason,
    })?;
    let version = about.map(|s| s.version);
    let event = match req.kind {
        ReviewKind::Return => super::audit::Event::Return,
        ReviewKind::Approve => super::audit::Event::Approve,
        ReviewKind::Unlock => super::audit::Event::Unlock,
    };
    let text = format!(
        "{what} {display}{}报表{}{}",
        req.period.label(),
        version.map(|v| format!("第 {v} 版")).unwrap_or_default(),
        reason.map(|r| format!("，理由：{r}")).unwrap_or_default()
    );
    tx.audit_fact(
        &super::audit::entry(actor, event, Some(&region.code), &text, now),
        &crate::store::facts::Subject::Review(id),
    )?;
    tx.commit()?;
    Ok(ReviewOutcome {
        id,
        region: region.code.clone(),
        region_name: region.name.clone(),
        period: req.period,
        action,
        version,
        by: by.map(str::to_string),
        at: now,
        reason: reason.map(str::to_string),
    })
}
