//! `yuebao submit`: validate each file, check it against the county's history in the store,
//! and keep it (bytes, findings, who, when) in one transaction, whatever the verdict.

use crate::cli::{OutputFormat, SubmitArgs};
use crate::finding::{Code, Finding, Severity};
use crate::schema::Schemas;
use crate::store::status::{State, time_label};
use crate::store::{NewSubmission, Store, SubStatus};
use crate::validate::cross::{self, Previous};
use crate::validate::{Hints, validate_bytes};
use serde::Serialize;
use std::path::Path;

/// What happened to one file, for the user.
#[derive(Debug, Serialize)]
struct Outcome {
    file: String,
    id: i64,
    region: Option<String>,
    region_name: Option<String>,
    period: Option<crate::period::Period>,
    version: i64,
    status: SubStatus,
    /// 按时 / 迟报 N 天, for an accepted upload.
    timeliness: Option<String>,
    due: Option<String>,
    received_at: String,
    /// The 待说明 version this upload explains (same bytes, now with a 说明).
    explains: Option<i64>,
    note: Option<String>,
    findings: Vec<Finding>,
}

pub fn run(args: &SubmitArgs, schemas: &Schemas) -> anyhow::Result<i32> {
    let files = super::validate::expand_inputs(&args.inputs)?;
    if files.is_empty() {
        anyhow::bail!("没有找到要提交的文件");
    }
    let now = super::now();
    let received_at = match &args.received_at {
        Some(t) => super::time_arg("--received-at", t)?,
        None => now,
    };
    if received_at > now + chrono::Duration::minutes(5) {
        anyhow::bail!("--received-at {} 晚于现在（{}），请检查", time_label(received_at), time_label(now));
    }
    let note = args.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let hints = Hints {
        region: args.hints.region.clone(),
        period: args.hints.period,
        isolate_readers: true,
        limits: args.limits,
    };
    let mut store = super::open_store(&args.store)?;
    let mut outcomes = Vec::new();
    let mut unread = 0;
    for path in &files {
        // A file that cannot be read has no bytes to keep: say why and go on with the batch.
        let bytes = match crate::ingest::load(path, &args.limits) {
            Ok(b) => b,
            Err(u) => {
                let f = crate::validate::unreadable_finding(&u, &path.display().to_string(), &args.limits);
                eprintln!("{}（未提交）", f.line());
                unread += 1;
                continue;
            }
        };
        let req = Request {
            hints: &hints,
            by: args.by.as_deref(),
            received_at,
            explicit_time: args.received_at.is_some(),
            now,
            note,
        };
        outcomes.push(submit_one(&mut store, schemas, path, &bytes, &req)?);
    }
    match args.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&outcomes)?),
        OutputFormat::Text => {
            for o in &outcomes {
                print!("{}", describe(o));
            }
            let n = |s: SubStatus| outcomes.iter().filter(|o| o.status == s).count();
            println!(
                "\n共提交 {} 个文件：已接收 {}，待说明 {}，退回 {}。数据库：{}",
                outcomes.len(),
                n(SubStatus::Accepted),
                n(SubStatus::Pending),
                n(SubStatus::Rejected),
                store.file().display()
            );
        }
    }
    Ok(i32::from(unread > 0 || outcomes.iter().any(|o| o.status != SubStatus::Accepted)))
}

/// What the command line says about every file of one submit.
struct Request<'a> {
    hints: &'a Hints,
    by: Option<&'a str>,
    received_at: chrono::DateTime<chrono::FixedOffset>,
    /// `--received-at` was given: keep it even when the upload explains a held one.
    explicit_time: bool,
    now: chrono::DateTime<chrono::FixedOffset>,
    note: Option<&'a str>,
}

fn submit_one(store: &mut Store, schemas: &Schemas, path: &Path, bytes: &[u8], req: &Request<'_>) -> anyhow::Result<Outcome> {
    let Request {
        hints,
        by,
        received_at,
        explicit_time,
        now,
        note,
    } = *req;
    let form = schemas.form();
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    // The bytes validated are the bytes stored: the file is read once.
    let mut rep = validate_bytes(bytes, &name, path, &name, schemas, hints);
    let sha256 = rep.sha256.clone().unwrap_or_else(|| crate::text::sha256_hex(bytes));

    let tx = store.begin()?;
    let mut baseline_to_set = None;
    // Only a county's own sheet has a history of its own: a city sheet's figures move with how
    // many of its counties it covers.
    let county_sheet = rep.sheet.as_ref().filter(|sh| {
        schemas
            .regions
            .get(&sh.region)
            .is_some_and(|r| r.level == crate::schema::regions::Level::County)
    });
    if let Some(sheet) = county_sheet {
        let baseline = tx.baseline(&sheet.region)?;
        let prev_sub = tx.effective(&sheet.region, sheet.period.prev())?;
        let prev = prev_sub
            .as_ref()
            .and_then(|s| s.sheet.as_ref())
            .map(|sheet| Previous { period: sheet.period, sheet });
        rep.findings.extend(cross::check(form, &name, sheet, baseline.as_ref(), prev));
        if baseline.is_none()
            && let Some(no) = form.cross_period.baseline_column
        {
            baseline_to_set = Some((sheet.region.clone(), sheet.total.values[no - 1], no));
        }
    }
    let errors = rep.findings.iter().any(|f| f.severity == Severity::Error);
    let unexplained = rep.findings.iter().any(|f| f.code.needs_explanation());
    let status = if errors || rep.sheet.is_none() {
        SubStatus::Rejected
    } else if unexplained && note.is_none() {
        SubStatus::Pending
    } else {
        SubStatus::Accepted
    };
    let period = rep.sheet.as_ref().map(|s| s.period).or(rep.period);
    let region = rep.sheet.as_ref().map(|s| s.region.clone()).or(rep.region.clone());
    // The same file again with a 说明 explains the held upload: it arrived when that one did.
    let mut received_at = received_at;
    let mut explains = None;
    if status == SubStatus::Accepted
        && !explicit_time
        && let (Some(r), Some(p)) = (&region, period)
        && let Some((version, at)) = tx.pending_with_bytes(r, p, &sha256)?
    {
        received_at = at;
        explains = Some(version);
    }
    let first_accepted = match (&region, period) {
        (Some(r), Some(p)) => tx.first_accepted(r, p)?,
        _ => None,
    };
    if status == SubStatus::Accepted
        && let (Some((r, value, no)), Some(p)) = (&baseline_to_set, period)
    {
        let version = tx.next_version(Some(r), Some(p))?;
        let source = format!("{}报表第 {version} 版", p.label());
        tx.set_baseline(r, *value, &source, now, by)?;
        rep.findings.push(
            Finding::new(
                Code::BaselineSet,
                &name,
                format!("这是本地区第一份被接收的报表，第({no})栏 {value} 记为基线，此后每月应与之相同"),
            )
            .value("baseline", *value),
        );
    }
    let new = NewSubmission {
        region: region.as_deref(),
        period,
        file_name: &name,
        bytes,
        sha256: &sha256,
        submitted_by: by,
        received_at,
        imported_at: now,
        note,
        status,
        findings: &rep.findings,
        sheet: rep.sheet.as_ref(),
    };
    let (id, version) = tx.insert(&new)?;
    tx.commit()?;

    let due = period.map(|p| schemas.calendar.due_date(p, &form.period).date);
    let timeliness = match (status, first_accepted, due) {
        // An earlier accepted upload decides, unless this one (recorded late) arrived before it.
        (SubStatus::Accepted, Some(first), Some(d)) if first < received_at => {
            Some(format!("{}（以首次接收 {} 计）", State::arrival(first, d).label(), time_label(first)))
        }
        (SubStatus::Accepted, _, Some(d)) => Some(State::arrival(received_at, d).label()),
        _ => None,
    };
    Ok(Outcome {
        file: name,
        id,
        region_name: region.as_deref().and_then(|c| schemas.regions.get(c)).map(|r| r.name.clone()),
        region,
        period,
        version,
        status,
        timeliness,
        due: due.map(|d| d.to_string()),
        received_at: time_label(received_at),
        explains,
        note: note.map(str::to_string),
        findings: rep.findings,
    })
}

fn describe(o: &Outcome) -> String {
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
                out.push_str(&format!("，{t}（截止 {d}，收到 {}）", o.received_at));
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
    if let Some(v) = o.explains {
        out.push_str(&format!("    补充说明第 {v} 版（内容相同），接收时间按第 {v} 版计\n"));
    }
    for f in o.findings.iter().filter(|f| f.severity >= Severity::Warning || f.code == Code::BaselineSet) {
        out.push_str(&format!("    {}\n", f.short()));
    }
    out
}
