//! `yuebao audit`: the audit log, filtered, as lines for people or JSON for other programs.

use crate::cli::{AuditArgs, OutputFormat};
use crate::schema::Schemas;
use crate::workflow::audit::{Event, action_label};
use crate::workflow::data::AuditFilter;

pub fn run(args: &AuditArgs, schemas: &Schemas, clock: &super::Clock) -> anyhow::Result<i32> {
    let since = args
        .since
        .as_deref()
        .map(|t| super::time_arg("--since", t).map(crate::time::stamp))
        .transpose()?;
    if let Some(a) = &args.action
        && Event::of_code(a).is_none()
    {
        let codes: Vec<&str> = Event::ALL.iter().map(|e| e.code()).collect();
        anyhow::bail!("--action “{a}”不是操作代码；可用：{}", codes.join("、"));
    }
    let mut store = super::open_existing_store(&args.store, schemas)?;
    let wf = crate::workflow::Workflow::new(&mut store, schemas, clock.now);
    let filter = AuditFilter {
        since,
        user: args.user.clone(),
        action: args.action.clone(),
        regions: None,
        limit: None,
    };
    // Through the workflow's scope, as the portal reads it (the command line reads it all).
    let entries = wf.audit_log(&crate::workflow::Actor::operator(None), &filter)?;
    match args.format {
        OutputFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "entries": entries }))?);
        }
        OutputFormat::Text => {
            if entries.is_empty() {
                println!("审计日志中没有符合条件的记录");
            }
            for e in &entries {
                let at = chrono::DateTime::parse_from_rfc3339(&e.at).map(crate::time::label).unwrap_or(e.at.clone());
                let who = match (&e.actor, &e.role) {
                    (Some(a), _) => a.clone(),
                    (None, _) => "本机操作员".into(),
                };
                let region = e
                    .region
                    .as_deref()
                    .map(|c| schemas.regions.get(c).map(|r| r.name.clone()).unwrap_or(c.to_string()))
                    .unwrap_or_default();
                let from = e.address.as_deref().map(|a| format!(" 来自 {a}")).unwrap_or_default();
                // Names and reasons come from users: control characters are not passed to
                // the terminal.
                let clean = |t: &str| t.chars().map(|c| if c.is_control() { '�' } else { c }).collect::<String>();
                println!(
                    "#{} {at} {} {}{from} {region} {}",
                    e.id,
                    action_label(&e.action),
                    clean(&who),
                    clean(&e.description)
                );
            }
        }
    }
    Ok(0)
}
