//! Reading the archive back: `yuebao history` (every upload of one region and period, which one
//! is effective, the original files on request), `yuebao export` (everything) and
//! `yuebao verify` (is it all there).

use super::Clock;
use crate::cli::{HistoryArgs, OutputFormat};
use crate::schema::Schemas;
use crate::time::label as time_label;
use crate::workflow::{Actor, Workflow};
use anyhow::Context;

pub fn run(args: &HistoryArgs, schemas: &Schemas, clock: &Clock) -> anyhow::Result<i32> {
    let region = super::region_arg(schemas, &args.region)?;
    let mut store = super::open_existing_store(&args.store, schemas)?;
    let mut wf = Workflow::new(&mut store, schemas, clock.now);
    let actor = Actor::operator(None);
    let history = wf.history(&actor, region, args.period)?;
    let (subs, reviews) = (&history.submissions, &history.reviews);
    let eff = history.counting;
    let mut saved = Vec::new();
    if let Some(dir) = &args.save {
        super::ensure_dir(dir)?;
        for s in subs {
            // Taking an original out is a download, recorded as one.
            let (_, bytes) = wf.download_original(&actor, s.id).map_err(|e| missing(e, s))?;
            let out = dir.join(taken_out_name(s));
            std::fs::write(&out, bytes).with_context(|| format!("无法写入 {}", out.display()))?;
            saved.push(out);
        }
    }
    match args.format {
        OutputFormat::Json => {
            // The list of uploads as before; each carries the review events about it.
            let v: Vec<serde_json::Value> = subs
                .iter()
                .map(|s| {
                    let mut v = serde_json::to_value(s).expect("a submission serialises");
                    v["effective"] = serde_json::Value::Bool(Some(s.id) == eff);
                    v["reviews"] =
                        serde_json::to_value(reviews.iter().filter(|r| r.submission_id == Some(s.id)).collect::<Vec<_>>()).expect("reviews serialise");
                    v
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        OutputFormat::Text => {
            println!("{} {} 的报送记录（共 {} 版）", schemas.regions.display(region), args.period.label(), subs.len());
            if subs.is_empty() {
                println!("  尚未收到任何报表");
            }
            for s in subs {
                let returned = reviews
                    .iter()
                    .any(|r| r.submission_id == Some(s.id) && r.action == crate::workflow::ReviewAction::Returned);
                let mark = match (Some(s.id) == eff, returned) {
                    (true, _) => "  ← 当前有效",
                    (false, true) => "（已被审核退回）",
                    _ => "",
                };
                println!(
                    "\n  第 {} 版：{}{mark}\n    收到 {}（录入 {}），报送人 {}\n    文件 {}，SHA-256 {}\n    错误 {}，警告 {}",
                    s.version,
                    s.status.label(),
                    time_label(s.received_at),
                    time_label(s.imported_at),
                    s.submitted_by.as_deref().unwrap_or("—"),
                    s.file_name,
                    s.sha256,
                    s.errors,
                    s.warnings
                );
                if let Some(r) = &s.on_behalf_of {
                    println!("    代报：代{r}录入");
                }
                if let Some(n) = &s.note {
                    println!("    说明：{n}");
                }
                if let Some(r) = &s.late_reason {
                    println!("    迟报原因：{r}");
                }
                for f in s.findings.iter().filter(|f| f.severity >= crate::finding::Severity::Warning) {
                    println!("    {}", f.short());
                }
            }
            if !reviews.is_empty() {
                println!("\n  审核记录：");
                for r in reviews.iter() {
                    let about = r
                        .submission_id
                        .and_then(|id| subs.iter().find(|s| s.id == id))
                        .map(|s| format!("第 {} 版", s.version))
                        .unwrap_or_default();
                    let why = r.reason.as_deref().map(|x| format!("：{x}")).unwrap_or_default();
                    println!(
                        "    {} {}{about}（{}）{why}",
                        time_label(r.at),
                        r.action.label(),
                        r.by.as_deref().unwrap_or("—")
                    );
                }
            }
            for p in &saved {
                println!("已取出 {}", p.display());
            }
        }
    }
    Ok(0)
}

/// The name an upload's original is given when taken out: `第N版-原文件名`.
fn taken_out_name(s: &crate::workflow::Submission) -> String {
    format!("第{}版-{}", s.version, s.file_name)
}

/// A missing original said as the command line says it.
fn missing(e: crate::workflow::WorkflowError, s: &crate::workflow::Submission) -> anyhow::Error {
    match e {
        crate::workflow::WorkflowError::MissingBytes { .. } => anyhow::anyhow!(
            "数据库中缺少第 {} 号报送（第 {} 版）的原始文件（SHA-256 {}），请运行 yuebao verify",
            s.id,
            s.version,
            s.sha256
        ),
        e => e.into(),
    }
}

/// `yuebao verify`: exit 0 when the store is whole, 1 with every problem listed when not.
pub fn verify(args: &crate::cli::StoreArgs, expect: Option<&str>, schemas: &Schemas, clock: &super::Clock) -> anyhow::Result<i32> {
    let expect = expect.map(parse_head).transpose()?;
    let mut store = super::open_existing_store(args, schemas)?;
    let wf = crate::workflow::Workflow::new(&mut store, schemas, clock.now);
    let v = wf.verify(&crate::workflow::Actor::operator(None), expect.as_ref())?;
    for n in &v.notes {
        println!("注意：{n}");
    }
    if v.problems.is_empty() {
        println!(
            "数据库 {} 完好：{} 份报送，原始文件齐全且与 SHA-256 一致，每条记录都有审计日志记下的摘要；审计日志 {} 条，哈希链完整",
            v.file.display(),
            v.submissions,
            v.entries
        );
        // Written down elsewhere (a printout, a message), the head also shows a log whose whole
        // chain was recomputed after an edit, or whose tail was cut: `verify --expect` checks it.
        println!("审计日志链尾：{}:{}", v.entries, v.head);
        return Ok(0);
    }
    println!("数据库 {} 有 {} 处问题：", v.file.display(), v.problems.len());
    for p in &v.problems {
        println!("  {p}");
    }
    Ok(1)
}

/// `yuebao backup -o FILE`: a consistent copy of the store while it is in use.
pub fn backup(args: &crate::cli::StoreArgs, out: &std::path::Path, schemas: &Schemas, clock: &super::Clock) -> anyhow::Result<i32> {
    let mut store = super::open_existing_store(args, schemas)?;
    let mut wf = crate::workflow::Workflow::new(&mut store, schemas, clock.now);
    wf.backup(&crate::workflow::Actor::operator(None), out)?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    println!(
        "已备份到 {}（{:.1} MB）；检查副本：yuebao verify --data {}",
        out.display(),
        size as f64 / 1e6,
        out.display()
    );
    Ok(0)
}

/// `N:HASH`, as `verify` prints the chain's head.
fn parse_head(text: &str) -> anyhow::Result<(i64, String)> {
    let bad = || anyhow::anyhow!("--expect “{text}”应写作 条数:链尾哈希（yuebao verify 输出的“审计日志链尾”）");
    let (n, hash) = text.trim().split_once(':').ok_or_else(bad)?;
    let n: i64 = n.trim().parse().map_err(|_| bad())?;
    let hash = hash.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok((n, hash))
}

/// `yuebao export`: every upload's original file under `DIR/报告期/代码-名称/第N版-文件名`, and
/// `DIR/清单.csv` saying what each is. Existing files are never overwritten.
pub fn export(args: &crate::cli::StoreArgs, dir: &std::path::Path, schemas: &Schemas, clock: &Clock) -> anyhow::Result<i32> {
    let mut store = super::open_existing_store(args, schemas)?;
    let mut wf = Workflow::new(&mut store, schemas, clock.now);
    let actor = Actor::operator(None);
    let subs = wf.archive(&actor)?;
    super::ensure_dir(dir)?;
    let manifest = dir.join("清单.csv");
    if manifest.exists() {
        anyhow::bail!("{} 已存在：请导出到一个新的目录", manifest.display());
    }
    let mut w = csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    w.write_record([
        "序号",
        "地区代码",
        "地区名称",
        "报告期",
        "版本",
        "状态",
        "当前有效",
        "报送人",
        "接收时间",
        "录入时间",
        "错误",
        "警告",
        "说明",
        "SHA-256",
        "文件",
    ])?;
    for (s, effective) in &subs {
        let name = s
            .region
            .as_deref()
            .and_then(|c| {
                // A division no longer in force by its name in its month (莱城区 in 2018).
                let then = s.period.and_then(|p| schemas.at(p));
                let at = then.as_deref().unwrap_or(schemas);
                at.regions.get(c).or_else(|| schemas.regions.get(c)).map(|r| r.name.clone())
            })
            .unwrap_or_else(|| "地区不明".into());
        let folder = dir
            .join(s.period.map(|p| p.to_string()).unwrap_or_else(|| "报告期不明".into()))
            .join(format!("{}-{name}", s.region.as_deref().unwrap_or("000000")));
        super::ensure_dir(&folder)?;
        let bytes = wf.archived_bytes(&actor, s).map_err(|e| missing(e, s))?;
        let path = folder.join(taken_out_name(s));
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, &bytes))
            .with_context(|| format!("无法写入 {}", path.display()))?;
        let rel = path.strip_prefix(dir).unwrap_or(&path).display().to_string();
        w.write_record([
            s.id.to_string(),
            s.region.clone().unwrap_or_default(),
            name,
            s.period.map(|p| p.to_string()).unwrap_or_default(),
            s.version.to_string(),
            s.status.label().to_string(),
            if *effective { "是".into() } else { String::new() },
            s.submitted_by.clone().unwrap_or_default(),
            time_label(s.received_at),
            time_label(s.imported_at),
            s.errors.to_string(),
            s.warnings.to_string(),
            s.note.clone().unwrap_or_default(),
            s.sha256.clone(),
            rel,
        ])?;
    }
    let bytes = w.into_inner().context("无法生成清单")?;
    std::fs::write(&manifest, bytes).with_context(|| format!("无法写入 {}", manifest.display()))?;
    // Taking the whole archive out is recorded once.
    wf.record(
        &actor,
        crate::workflow::audit::Event::Download,
        None,
        &format!("导出全部 {} 份报送的原始文件到 {}", subs.len(), dir.display()),
    )?;
    println!("已导出 {} 份报送的原始文件到 {}，清单见 {}", subs.len(), dir.display(), manifest.display());
    Ok(0)
}
