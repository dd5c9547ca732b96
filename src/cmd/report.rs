//! `yuebao report`: a city's 上报 from the command line, through the workflow (the portal's
//! “上报汇总表”).

use super::Clock;
use crate::cli::{OutputFormat, ReportArgs};
use crate::schema::Schemas;
use crate::validate::Hints;
use crate::workflow::{Actor, SubStatus, Workflow};

pub fn run(args: &ReportArgs, schemas: &Schemas, clock: &Clock) -> anyhow::Result<i32> {
    let t = &args.target;
    let mut store = super::open_existing_store(&t.store, schemas)?;
    let mut wf = Workflow::new(&mut store, schemas, clock.now);
    let actor = Actor::operator(t.by.as_deref());
    let hints = Hints {
        isolate_readers: true,
        ..Hints::default()
    };
    let out = match wf.report_city(&actor, &t.region, t.period, args.note.as_deref(), args.late_reason.as_deref(), &hints) {
        Ok(o) => o,
        Err(e) => return super::refused(e),
    };
    let s = &out.submission;
    match t.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&out)?),
        OutputFormat::Text => {
            let name = s.region_name.as_deref().unwrap_or("");
            let when = s.timeliness.map(|t| format!("，{}", t.words())).unwrap_or_default();
            println!(
                "{name} {} 汇总表已上报为第 {} 版：{}{when}（实报 {} / 应报 {} 个县区）",
                t.period.label(),
                s.version,
                s.status.label(),
                out.counted,
                out.expected
            );
            for f in s.findings.iter().filter(|f| f.severity > crate::finding::Severity::Info) {
                println!("  {} {}", f.code.as_str(), f.message);
            }
        }
    }
    Ok(i32::from(s.status != SubStatus::Accepted))
}
