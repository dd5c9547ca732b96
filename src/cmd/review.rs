//! `yuebao review return|approve|unlock`: the reviewer's decisions, through the workflow.

use super::Clock;
use crate::cli::{OutputFormat, ReviewCommand, ReviewTarget};
use crate::schema::Schemas;
use crate::workflow::{Actor, ReviewKind, ReviewRequest, Workflow};

pub fn run(cmd: &ReviewCommand, schemas: &Schemas, clock: &Clock) -> anyhow::Result<i32> {
    let (target, kind, reason): (&ReviewTarget, ReviewKind, Option<&str>) = match cmd {
        ReviewCommand::Return { target, reason } => (target, ReviewKind::Return, Some(reason)),
        ReviewCommand::Approve { target } => (target, ReviewKind::Approve, None),
        ReviewCommand::Unlock { target, reason } => (target, ReviewKind::Unlock, Some(reason)),
    };
    let mut store = super::open_existing_store(&target.store, schemas)?;
    let mut wf = Workflow::new(&mut store, schemas, clock.now);
    let actor = Actor::operator(target.by.as_deref());
    let req = ReviewRequest {
        region: &target.region,
        period: target.period,
        kind,
        reason,
    };
    let outcome = match wf.review(&actor, &req) {
        Ok(o) => o,
        Err(e) => return super::refused(e),
    };
    match target.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&outcome)?),
        OutputFormat::Text => {
            let what = match kind {
                ReviewKind::Return => "已退回",
                ReviewKind::Approve => "已审核通过（当月报表已锁定）",
                ReviewKind::Unlock => "已解锁（可以重新提交）",
            };
            let version = outcome.version.map(|v| format!("第 {v} 版")).unwrap_or_default();
            let by = outcome.by.as_deref().map(|b| format!("，{b}")).unwrap_or_default();
            let why = outcome.reason.as_deref().map(|r| format!("。原因：{r}")).unwrap_or_default();
            println!(
                "{}（{}） {} {version}{what}（{}{by}）{why}",
                outcome.region_name,
                outcome.region,
                outcome.period.label(),
                crate::time::label(outcome.at)
            );
        }
    }
    Ok(0)
}
