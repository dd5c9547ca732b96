//! `yuebao rollup`: validate the handed-in sheets, roll them up to city and province
//! workbooks, send annotated copies of rejected files to `退回/`, and print a summary.

use super::Clock;
use crate::aggregate::rollup::{Context as RollupContext, EntryStatus, Input, Rollup, plan};
use crate::cli::{RollupArgs, TableFormat};
use crate::schema::Schemas;
use crate::validate::{Hints, Status, validate_bytes, validate_file};
use crate::workflow::{Actor, Workflow};
use anyhow::{Context, bail};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

pub fn run(args: &RollupArgs, schemas: &Schemas, clock: &Clock) -> anyhow::Result<i32> {
    let scope = super::region_or_province(schemas, args.region.as_deref())?;
    if schemas.regions.is_leaf(scope) {
        bail!(
            "--region 应为省或市的代码：{} 是{}，它的报表不需要再汇总",
            schemas.regions.display(scope),
            super::unit_kind(scope)
        );
    }
    let (rollup, inputs) = if args.inputs.is_empty() {
        let mut store = super::open_existing_store(&args.store, schemas)?;
        let file = store.file().to_path_buf();
        let mut wf = Workflow::new(&mut store, schemas, clock.now);
        let sources = wf.rollup_sources(&Actor::operator(None), scope, args.period)?;
        // Taking the store's figures away in a workbook is a download, recorded as one (as the
        // portal's 下载汇总表).
        let text = format!("导出{}{}汇总表到 {}", scope.name, args.period.label(), args.output.display());
        wf.record(&Actor::operator(None), crate::workflow::audit::Event::Download, Some(&scope.code), &text)?;
        if sources.inputs.is_empty() {
            eprintln!(
                "提示：数据库 {} 中没有{}{}的报表，汇总表全部为未报",
                file.display(),
                scope.name,
                args.period.label()
            );
        }
        (sources.rollup(&wf, scope, args.period)?, sources.inputs)
    } else {
        let inputs = from_files(args, schemas)?;
        (
            plan(schemas, scope, args.period, &inputs, &RollupContext::default()).context("汇总计算失败")?,
            inputs,
        )
    };
    super::ensure_dir(&args.output)?;
    let written = crate::workbook::rollup::write_workbooks_keeping(&rollup, schemas, &args.output, &crate::time::date_label(clock.now))
        .with_context(|| format!("无法在 {} 中写入汇总表", args.output.display()))?;

    // A rollup workbook must itself pass validation: a failure here is a bug in this program.
    // Relations broken by the sums themselves are the data's problem, reported below. The bytes
    // just written are checked as they are, not read back.
    let bug = written.par_iter().find_map_first(|(path, bytes)| {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let rep = validate_bytes(bytes, &name, path, &path.display().to_string(), schemas, &Hints::default());
        rep.findings
            .iter()
            .find(|f| f.severity == crate::finding::Severity::Error && f.code != crate::finding::Code::RuleBroken)
            .map(|first| (path, first.line()))
    });
    if let Some((path, first)) = bug {
        bail!(
            "程序内部错误：生成的汇总表 {} 未通过审核（{first}），请把输入文件交给系统维护人员",
            path.display()
        );
    }

    let returned = args.output.join("退回");
    let mut annotated = Vec::new();
    // Files read from disk only: the store's rejected uploads were answered at submit time.
    for rep in inputs.iter().map(|i| &i.report).filter(|r| r.status == Status::Rejected && r.book.is_some()) {
        super::ensure_dir(&returned)?;
        let stem = rep.path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "file".into());
        let out = returned.join(format!("{stem}-审核.xlsx"));
        crate::workbook::annotate::write_annotated(rep, schemas, &out).with_context(|| format!("无法写入标注副本 {}", out.display()))?;
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
                crate::workbook::rollup::csv_bytes(&rollup, schemas).context("无法生成 CSV")?,
            ),
            TableFormat::Json => (
                base.with_extension("json"),
                serde_json::to_vec_pretty(&crate::workbook::rollup::json_value(&rollup, schemas))?,
            ),
        };
        std::fs::write(&path, bytes).with_context(|| format!("无法写入 {}", path.display()))?;
        extra.push(path);
    }

    let written: Vec<PathBuf> = written.into_iter().map(|(path, _)| path).collect();
    print!("{}", summary(&rollup, schemas, &written, &annotated, &extra));
    let trouble = rollup.entries.iter().any(|e| {
        matches!(
            e.status,
            EntryStatus::Rejected | EntryStatus::Returned | EntryStatus::Duplicate | EntryStatus::Pending
        )
    }) || !rollup.total_problems.is_empty();
    Ok(i32::from(trouble))
}

/// Validates the files and directories given on the command line.
fn from_files(args: &RollupArgs, schemas: &Schemas) -> anyhow::Result<Vec<Input>> {
    let files = super::expand_inputs(&args.inputs)?;
    if files.is_empty() {
        bail!("没有找到要汇总的文件");
    }
    let hints = super::hints(None, Some(args.period), args.limits);
    let bar = super::progress(files.len(), "审核报表", args.quiet);
    let inputs = files
        .par_iter()
        .map(|p| {
            let mut report = validate_file(p, &display_name(p), schemas, &hints);
            // Only a rejected file's cells are needed later (for its annotated copy).
            if report.status != Status::Rejected {
                report.book = None;
            }
            bar.inc(1);
            Input {
                sha256: report.sha256.clone(),
                report,
                stored: None,
            }
        })
        .collect();
    bar.finish_and_clear();
    Ok(inputs)
}

fn display_name(p: &Path) -> String {
    p.display().to_string()
}

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
        count(EntryStatus::Rejected) + count(EntryStatus::Returned),
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
            EntryStatus::Rejected | EntryStatus::Returned | EntryStatus::Duplicate | EntryStatus::Pending if e.city.is_some() => {
                format!("{}（{}）", e.name, e.status.label())
            }
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
            let all = schemas.regions.children(&city).iter().filter(|c| schemas.regions.is_leaf(c)).count();
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
