//! `yuebao rollup`: validate the handed-in sheets, roll them up to city and province
//! workbooks, send annotated copies of rejected files to `退回/`, and print a summary.

use crate::aggregate::rollup::{EntryStatus, Rollup, plan};
use crate::cli::{RollupArgs, TableFormat};
use crate::finding::Severity;
use crate::period::Period;
use crate::schema::Region;
use crate::schema::Schemas;
use crate::schema::regions::Level;
use crate::store::status::{RegionStatus, standing_of, time_label};
use crate::store::{Store, SubStatus, effective};
use crate::validate::Summary;
use crate::validate::{FileReport, Hints, Status, validate_file};
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};

pub fn run(args: &RollupArgs, schemas: &Schemas) -> anyhow::Result<i32> {
    let scope = super::region_arg(schemas, &args.region)?;
    if scope.level == Level::County {
        bail!("--region 应为省或市的代码：{} 是县区，县区报表不需要再汇总", schemas.regions.display(scope));
    }
    let Inputs {
        reports,
        digests,
        meta,
        standing,
    } = if args.inputs.is_empty() {
        let store = super::open_existing_store(&args.store)?;
        let inputs = from_store(&store, schemas, scope, args.period)?;
        if inputs.reports.is_empty() {
            eprintln!(
                "提示：数据库 {} 中没有{}{}的报表，汇总表全部为未报",
                store.file().display(),
                scope.name,
                args.period.label()
            );
        }
        inputs
    } else {
        from_files(args, schemas)?
    };
    let mut rollup = plan(schemas, scope, args.period, &reports, &digests).context("汇总计算失败")?;
    if let Some(standing) = standing {
        mark_from_store(&mut rollup, &meta, &standing);
    }
    super::ensure_dir(&args.output)?;
    let written = crate::report::rollup::write_workbooks(&rollup, schemas, &args.output, &today_label())
        .with_context(|| format!("无法在 {} 中写入汇总表", args.output.display()))?;

    // A rollup workbook must itself pass validation: a failure here is a bug in this program.
    // Relations broken by the sums themselves are the data's problem, reported below.
    for path in &written {
        let rep = validate_file(path, &path.display().to_string(), schemas, &Hints::default());
        let bug = rep
            .findings
            .iter()
            .find(|f| f.severity == crate::finding::Severity::Error && f.code != crate::finding::Code::RuleBroken);
        if let Some(first) = bug {
            let first = first.line();
            bail!(
                "程序内部错误：生成的汇总表 {} 未通过审核（{first}），请把输入文件交给系统维护人员",
                path.display()
            );
        }
    }

    let returned = args.output.join("退回");
    let mut annotated = Vec::new();
    // Files read from disk only: the store's rejected uploads were answered at submit time.
    for rep in reports.iter().filter(|r| r.status == Status::Rejected && r.book.is_some()) {
        super::ensure_dir(&returned)?;
        let stem = rep.path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "file".into());
        let out = returned.join(format!("{stem}-审核.xlsx"));
        crate::report::annotate::write_annotated(rep, schemas, &out).with_context(|| format!("无法写入标注副本 {}", out.display()))?;
        annotated.push(out);
    }

    let mut extra = Vec::new();
    if let Some(fmt) = args.format {
        // In a subfolder, so that rolling up this output directory again reads only workbooks.
        let data = args.output.join("数据");
        super::ensure_dir(&data)?;
        let base = data.join(format!("汇总-{}-{}", scope.code, args.period));
        let (path, bytes) = match fmt {
            TableFormat::Csv => (
                base.with_extension("csv"),
                crate::report::rollup::csv_bytes(&rollup, schemas).context("无法生成 CSV")?,
            ),
            TableFormat::Json => (
                base.with_extension("json"),
                serde_json::to_vec_pretty(&crate::report::rollup::json_value(&rollup, schemas))?,
            ),
        };
        std::fs::write(&path, bytes).with_context(|| format!("无法写入 {}", path.display()))?;
        extra.push(path);
    }

    print!("{}", summary(&rollup, schemas, &written, &annotated, &extra));
    let trouble = rollup
        .entries
        .iter()
        .any(|e| matches!(e.status, EntryStatus::Rejected | EntryStatus::Duplicate | EntryStatus::Pending))
        || !rollup.total_problems.is_empty();
    Ok(i32::from(trouble))
}

/// Validates the files and directories given on the command line.
fn from_files(args: &RollupArgs, schemas: &Schemas) -> anyhow::Result<Inputs> {
    let files = super::validate::expand_inputs(&args.inputs)?;
    if files.is_empty() {
        bail!("没有找到要汇总的文件");
    }
    let hints = Hints {
        region: None,
        period: Some(args.period),
        isolate_readers: true,
        limits: args.limits,
    };
    let bar = super::progress(files.len(), "审核报表", args.quiet);
    let mut reports: Vec<FileReport> = Vec::with_capacity(files.len());
    let mut digests = Vec::with_capacity(files.len());
    for p in &files {
        let rep = validate_file(p, &display_name(p), schemas, &hints);
        digests.push(rep.sha256.clone());
        reports.push(rep);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(Inputs {
        meta: vec![None; reports.len()],
        reports,
        digests,
        standing: None,
    })
}

/// What a rollup is made from: reports with their digests, and from the store what it knows
/// about each upload and every county's (and city's) standing for the period.
pub(crate) struct Inputs {
    pub reports: Vec<FileReport>,
    pub digests: Vec<Option<String>>,
    pub meta: Vec<Option<StoreMeta>>,
    pub standing: Option<Vec<RegionStatus>>,
}

/// What the store knows about an upload beyond its report.
#[derive(Debug, Clone)]
pub(crate) struct StoreMeta {
    pending: bool,
    /// The warnings a held upload waits to have explained.
    unexplained: Vec<String>,
    received: String,
    note: Option<String>,
}

/// One report per region under `scope` that has uploads for `period`: the effective upload, or
/// when none is accepted the latest one (so it shows as 退回 or 待说明).
pub(crate) fn from_store(store: &Store, schemas: &Schemas, scope: &Region, period: Period) -> anyhow::Result<Inputs> {
    let subs = store.period(period)?;
    // Counties, and cities for the city sheets a province receives.
    let mut regions = schemas.regions.counties(&scope.code);
    if scope.level == Level::Province {
        regions.extend(crate::store::status::cities_under(schemas, scope));
    }
    let standing = standing_of(schemas, &regions, period, &subs, super::now());
    let mut codes: Vec<&str> = subs.iter().filter_map(|s| s.region.as_deref()).collect();
    codes.sort();
    codes.dedup();
    let in_scope = |code: &str| schemas.regions.get(code).is_some_and(|r| schemas.regions.within(r, &scope.code));
    let (mut reports, mut digests, mut meta) = (Vec::new(), Vec::new(), Vec::new());
    for code in codes.into_iter().filter(|c| in_scope(c)) {
        let history = || subs.iter().filter(|s| s.region.as_deref() == Some(code));
        let Some(s) = effective(history()).or(history().next_back()) else { continue };
        let region = schemas.regions.get(code);
        let summary = Summary {
            errors: s.errors as usize,
            warnings: s.warnings as usize,
            infos: s.findings.iter().filter(|f| f.severity == Severity::Info).count(),
        };
        reports.push(FileReport {
            file: s.file_name.clone(),
            path: PathBuf::from(&s.file_name),
            format: None,
            sha256: Some(s.sha256.clone()),
            region: Some(code.to_string()),
            region_name: region.map(|r| r.name.clone()),
            period: s.period,
            status: if s.status == SubStatus::Accepted {
                Status::Accepted
            } else {
                Status::Rejected
            },
            summary,
            findings: s.findings.clone(),
            unlisted: Default::default(),
            sheet: s.sheet.clone().filter(|_| s.status == SubStatus::Accepted),
            book: None,
            table: None,
        });
        digests.push(Some(s.sha256.clone()));
        meta.push(Some(StoreMeta {
            pending: s.status == SubStatus::Pending,
            unexplained: s.findings.iter().filter(|f| f.code.needs_explanation()).map(|f| f.short()).collect(),
            received: time_label(s.received_at),
            note: s.note.clone(),
        }));
    }
    Ok(Inputs {
        reports,
        digests,
        meta,
        standing: Some(standing),
    })
}

/// Adds what only the store knows to a rollup: 待说明 uploads, arrival times, timeliness, notes.
pub(crate) fn mark_from_store(rollup: &mut Rollup, meta: &[Option<StoreMeta>], standing: &[RegionStatus]) {
    rollup.from_store = true;
    for e in &mut rollup.entries {
        e.timeliness = e.code.as_deref().and_then(|c| standing.iter().find(|s| s.code == c)).map(|s| s.label.clone());
        let Some(m) = e.report.and_then(|i| meta.get(i)).cloned().flatten() else {
            continue;
        };
        if m.pending && e.status == EntryStatus::Rejected {
            e.status = EntryStatus::Pending;
            e.reasons
                .push(format!("有 {} 处警告，尚未附说明，待县区核实后附说明重新提交", m.unexplained.len()));
            e.reasons.extend(m.unexplained.iter().take(3).cloned());
        }
        e.received = Some(m.received);
        e.note = m.note;
    }
}

fn display_name(p: &Path) -> String {
    p.display().to_string()
}

/// Today in Beijing time, as the form's 填报日期 is written.
pub(crate) fn today_label() -> String {
    use chrono::Datelike;
    let d = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// What the user reads after a rollup: counts, each rejected file with its reasons, the
/// missing regions by city, and where the outputs are.
fn summary(rollup: &Rollup, schemas: &Schemas, written: &[PathBuf], annotated: &[PathBuf], extra: &[PathBuf]) -> String {
    let mut out = String::new();
    let count = |s: EntryStatus| rollup.entries.iter().filter(|e| e.status == s).count();
    let files = rollup.entries.iter().filter(|e| e.file.is_some()).count();
    let scope = schemas.regions.get(&rollup.scope).map(|r| schemas.regions.display(r)).unwrap_or_default();
    let source = if rollup.from_store {
        format!("数据库中有 {files} 个地区的报表")
    } else {
        format!("收到 {files} 个文件")
    };
    out.push_str(&format!(
        "{scope} {} 汇总：{source}，采用 {}，退回 {}，待说明 {}，重复 {}，未采用 {}，不在范围 {}；县区应报 {}，实报 {}，未报 {}。\n",
        rollup.period.label(),
        count(EntryStatus::Accepted),
        count(EntryStatus::Rejected),
        count(EntryStatus::Pending),
        count(EntryStatus::Duplicate),
        count(EntryStatus::Superseded),
        count(EntryStatus::Ignored),
        rollup.counties_expected,
        rollup.counties_reported,
        rollup.counties_expected - rollup.counties_reported,
    ));
    let problems: Vec<_> = rollup
        .entries
        .iter()
        .filter(|e| !matches!(e.status, EntryStatus::Accepted | EntryStatus::Missing))
        .collect();
    if !problems.is_empty() {
        out.push_str("\n未计入汇总的文件：\n");
        for e in problems {
            out.push_str(&format!("  [{}] {}（{}）", e.status.label(), e.file.as_deref().unwrap_or(""), e.name));
            if e.errors > 0 {
                out.push_str(&format!("：错误 {} 处", e.errors));
            }
            out.push('\n');
            for r in &e.reasons {
                out.push_str(&format!("      {r}\n"));
            }
        }
    }
    // Counties to chase, one line per city: missing ones, and rejected or duplicated ones that
    // must send a corrected file. A city with nothing at all is one short line.
    let mut by_city: Vec<(String, Vec<String>, bool)> = Vec::new();
    for e in &rollup.entries {
        let name = match e.status {
            EntryStatus::Missing => e.name.clone(),
            EntryStatus::Rejected | EntryStatus::Duplicate | EntryStatus::Pending if e.city.is_some() => format!("{}（{}）", e.name, e.status.label()),
            _ => continue,
        };
        let city = e.city.clone().unwrap_or_default();
        let missing = e.status == EntryStatus::Missing;
        match by_city.iter_mut().find(|(c, _, _)| *c == city) {
            Some((_, names, all_missing)) => {
                if !names.contains(&name) {
                    names.push(name);
                }
                *all_missing &= missing;
            }
            None => by_city.push((city, vec![name], missing)),
        }
    }
    if !by_city.is_empty() {
        out.push_str("\n催报（未报或须重报）：\n");
        for (city, names, all_missing) in by_city {
            let all = schemas.regions.children(&city).len();
            let city_name = schemas.regions.get(&city).map(|c| c.name.clone()).unwrap_or(city);
            if all_missing && names.len() == all {
                out.push_str(&format!("  {city_name}：全部 {all} 个县区未报\n"));
            } else {
                out.push_str(&format!("  {city_name}：{}\n", names.join("、")));
            }
        }
    }
    for p in &rollup.total_problems {
        out.push_str(&format!("\n汇总数违反栏目关系：{p}\n"));
    }
    out.push_str("\n输出：\n");
    for p in written {
        out.push_str(&format!("  汇总表 {}\n", p.display()));
    }
    for p in annotated {
        out.push_str(&format!("  退回标注 {}\n", p.display()));
    }
    for p in extra {
        out.push_str(&format!("  汇总数据 {}\n", p.display()));
    }
    out
}
