//! `yuebao submit`: hand each file to the workflow (validation, checks against the region's
//! history, the verdict and the store are decided there) and print what became of it.

use super::Clock;
use crate::cli::{OutputFormat, SubmitArgs};
use crate::finding::{Code, Severity};
use crate::schema::Schemas;
use crate::workflow::SubStatus;
use crate::workflow::submit::Checked;
use crate::workflow::{Actor, SubmitOutcome, Upload, Workflow, WorkflowError};
use rayon::prelude::*;

pub fn run(args: &SubmitArgs, schemas: &Schemas, clock: &Clock) -> anyhow::Result<i32> {
    let files = super::expand_inputs(&args.inputs)?;
    if files.is_empty() {
        anyhow::bail!("没有找到要提交的文件");
    }
    let received_at = args.received_at.as_deref().map(|t| super::time_arg("--received-at", t)).transpose()?;
    // A flag that holds for every file is checked once, as a mistake in the command.
    if let Some(at) = received_at
        && at > clock.now + chrono::Duration::minutes(5)
    {
        anyhow::bail!("--received-at {} 晚于现在（{}），请检查", crate::time::label(at), crate::time::label(clock.now));
    }
    let hints = super::hints(args.hints.region.clone(), args.hints.period, args.limits);
    let actor = Actor::operator(args.by.as_deref());
    let mut store = super::open_store(&args.store, schemas)?;
    let file = store.file().to_path_buf();
    let mut wf = Workflow::new(&mut store, schemas, clock.now);
    let mut outcomes = Vec::new();
    let mut refused = 0;
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default())
        .collect();
    // A few files at a time are read and checked on every core, then handed in one by one in
    // the order given: the store takes one writer, and the batch holds only a chunk's cells.
    let chunk = 4 * rayon::current_num_threads();
    for (paths, names) in files.chunks(chunk).zip(names.chunks(chunk)) {
        let checked: Vec<Result<(Vec<u8>, Checked), String>> = paths
            .par_iter()
            .zip(names)
            .map(|(path, name)| {
                let display = path.display().to_string();
                // A file that cannot be read has no bytes to keep: say why and go on.
                let bytes = crate::ingest::load(path, &args.limits).map_err(|u| crate::validate::unreadable_finding(&u, &display, &args.limits).line())?;
                let checked = crate::workflow::submit::check(schemas, &upload(args, name, &bytes, received_at, &hints));
                Ok((bytes, checked))
            })
            .collect();
        for (one, name) in checked.into_iter().zip(names) {
            let (bytes, checked) = match one {
                Ok(c) => c,
                Err(line) => {
                    eprintln!("{line}（未提交）");
                    refused += 1;
                    continue;
                }
            };
            match wf.submit_checked(&actor, &upload(args, name, &bytes, received_at, &hints), checked) {
                Ok(o) => outcomes.push(o),
                // The store itself failing is the tool failing; every other refusal costs this file.
                Err(WorkflowError::Store(e)) => return Err(e.into()),
                Err(e) => {
                    eprintln!("{name}：{e}（未提交）");
                    refused += 1;
                }
            }
        }
    }
    match args.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&outcomes)?),
        OutputFormat::Text => {
            for o in outcomes.iter().filter(|o| !args.quiet || o.status != SubStatus::Accepted) {
                print!("{}", describe(o));
            }
            let n = |s: SubStatus| outcomes.iter().filter(|o| o.status == s).count();
            let refused_note = if refused > 0 { format!("，未提交 {refused}") } else { String::new() };
            println!(
                "\n共提交 {} 个文件：已接收 {}，待说明 {}，退回 {}{refused_note}。数据库：{}",
                outcomes.len(),
                n(SubStatus::Accepted),
                n(SubStatus::Pending),
                n(SubStatus::Rejected),
                file.display()
            );
        }
    }
    Ok(i32::from(refused > 0 || outcomes.iter().any(|o| o.status != SubStatus::Accepted)))
}

/// The upload of one file of the batch, as the flags describe it.
fn upload<'a>(args: &'a SubmitArgs, name: &'a str, bytes: &'a [u8], received_at: Option<crate::time::Time>, hints: &'a crate::validate::Hints) -> Upload<'a> {
    Upload {
        file_name: name,
        display: name,
        bytes,
        received_at,
        note: args.note.as_deref(),
        on_behalf_of: args.on_behalf_of.as_deref(),
        late_reason: args.late_reason.as_deref(),
        hints,
        basis: None,
        channel: crate::workflow::Channel::Cli,
        mail: None,
    }
}

fn describe(o: &SubmitOutcome) -> String {
    let who = match (&o.region_name, &o.region) {
        (Some(n), Some(c)) => format!("{n}（{c}）"),
        _ => "地区不明".into(),
    };
    let period = o.period.map(|p| p.label()).unwrap_or_else(|| "报告期不明".into());
    let mut out = format!("{} → {who} {period} 第 {} 版：{}", o.file, o.version, o.status.label());
    let count = |s: Severity| o.findings.iter().filter(|f| f.severity == s).count();
    match o.status {
        SubStatus::Accepted => {
            if let (Some(t), Some(d)) = (&o.timeliness, &o.due) {
                out.push_str(&format!("，{}（截止 {d}，收到 {}）", t.words(), crate::time::label(o.received_at)));
            }
        }
        SubStatus::Rejected => out.push_str(&format!("（错误 {} 处），请改正后重新提交", count(Severity::Error))),
        SubStatus::Pending => out.push_str(&format!(
            "（警告 {} 处）。请逐条核实，属实的用 --note \"说明\" 重新提交",
            count(Severity::Warning)
        )),
    }
    out.push('\n');
    if let Some(n) = &o.note {
        out.push_str(&format!("    说明：{n}\n"));
    }
    if let Some(r) = &o.on_behalf_of {
        out.push_str(&format!("    代报：{}录入，代{r}报送\n", o.by.as_deref().unwrap_or("本机操作员")));
    }
    if let Some(v) = o.explains {
        out.push_str(&format!("    补充说明第 {v} 版（内容相同），接收时间按第 {v} 版计\n"));
    }
    for f in o.findings.iter().filter(|f| f.severity >= Severity::Warning || f.code == Code::BaselineSet) {
        out.push_str(&format!("    {}\n", f.short()));
    }
    out
}
