//! `yuebao validate`: check files and directories, print findings as text or JSON, and write
//! annotated copies on request.

use crate::cli::{OutputFormat, ValidateArgs};
use crate::finding::Severity;
use crate::schema::Schemas;
use crate::validate::{FileCheck, Status, validate_file};
use anyhow::{Context, bail};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn run(args: &ValidateArgs, schemas: &Schemas) -> anyhow::Result<i32> {
    if let Some(r) = &args.hints.region {
        super::region_arg(schemas, r)?;
    }
    let files = super::expand_inputs(&args.inputs)?;
    if files.is_empty() {
        bail!("没有找到要审核的文件");
    }
    let hints = super::hints(args.hints.region.clone(), args.hints.period, args.limits);
    if let Some(dir) = &args.annotate {
        super::ensure_dir(dir)?;
    }
    let bar = super::progress(files.len(), "审核", args.quiet);
    // Files are read and checked on every core; each file's annotated copy is written and its
    // cells dropped as soon as it is checked, so a batch costs the memory of the files in hand,
    // not of all of them. Reports come back in input order.
    let done: Vec<(FileCheck, Option<PathBuf>)> = files
        .par_iter()
        .map(|p| -> anyhow::Result<(FileCheck, Option<PathBuf>)> {
            let mut rep = validate_file(p, &p.display().to_string(), schemas, &hints);
            let mut written = None;
            if let Some(dir) = &args.annotate {
                let out = annotated_path(dir, &rep.path);
                if same_file(&out, &rep.path) {
                    bail!("标注副本 {} 会覆盖原文件，请换一个 --annotate 目录", out.display());
                }
                crate::workbook::annotate::write_annotated(&rep, schemas, &out).with_context(|| format!("无法写入标注副本 {}", out.display()))?;
                written = Some(out);
            }
            rep.book = None;
            bar.inc(1);
            Ok((rep, written))
        })
        .collect::<anyhow::Result<_>>()?;
    bar.finish_and_clear();
    let (reports, annotated): (Vec<FileCheck>, Vec<Option<PathBuf>>) = done.into_iter().unzip();
    let annotated: Vec<PathBuf> = annotated.into_iter().flatten().collect();

    match args.format {
        OutputFormat::Text => print!("{}", render_text(&reports, schemas, args.verbose, args.quiet)),
        OutputFormat::Json => {
            let doc = serde_json::json!({ "files": reports, "summary": totals(&reports) });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
    }
    for out in &annotated {
        let msg = format!("审核标注副本：{}", out.display());
        match args.format {
            OutputFormat::Text => println!("{msg}"),
            OutputFormat::Json => eprintln!("{msg}"),
        }
    }
    Ok(if reports.iter().any(|r| r.status == Status::Rejected) { 1 } else { 0 })
}

fn annotated_path(dir: &Path, input: &Path) -> PathBuf {
    let stem = input.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "file".into());
    dir.join(format!("{stem}-审核.xlsx"))
}

fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

fn totals(reports: &[FileCheck]) -> serde_json::Value {
    let accepted = reports.iter().filter(|r| r.status == Status::Accepted).count();
    serde_json::json!({ "files": reports.len(), "accepted": accepted, "rejected": reports.len() - accepted })
}

/// The text report: one line per finding, infos grouped by code unless `verbose`, a summary
/// line per file and one for the batch; `quiet` leaves out the files that passed without a
/// warning.
pub fn render_text(reports: &[FileCheck], schemas: &Schemas, verbose: bool, quiet: bool) -> String {
    let mut out = String::new();
    for rep in reports.iter().filter(|r| !quiet || r.status == Status::Rejected || r.summary.warnings > 0) {
        let mut infos: BTreeMap<&str, Vec<&crate::finding::Finding>> = BTreeMap::new();
        for f in &rep.findings {
            // Hidden figures are few and each says where: listed, not counted.
            if f.severity == Severity::Info && !verbose && f.cell.is_some() && f.code != crate::finding::Code::HiddenFigures {
                infos.entry(f.code.as_str()).or_default().push(f);
            } else {
                out.push_str(&f.line());
                // The way out the command line offers; the message itself names no flag.
                match f.code {
                    crate::finding::Code::UnknownRegion => out.push_str("（也可用 --region 指定）"),
                    crate::finding::Code::NoPeriod => out.push_str("（也可用 --period 指定）"),
                    _ => {}
                }
                out.push('\n');
            }
        }
        for (code, group) in infos {
            let cells: Vec<&str> = group.iter().filter_map(|f| f.cell.as_deref()).collect();
            let shown = cells.iter().take(8).copied().collect::<Vec<_>>().join("、");
            let more = if cells.len() > 8 { " 等" } else { "" };
            let what = match code {
                "I101" => "空白单元格按 0 计",
                "I102" => "未报地区按 0 计",
                _ => "提示",
            };
            let sheet = group[0].sheet.as_deref().unwrap_or("");
            out.push_str(&format!("{}:{}: {code} {what}，共 {} 处：{shown}{more}\n", rep.file, sheet, cells.len()));
        }
        let region = rep
            .region
            .as_deref()
            .and_then(|c| schemas.regions.get(c))
            .map(|r| schemas.regions.display(r))
            // A division of a past month no longer in force (莱城区 in 2018), as the sheet named it.
            .or_else(|| Some(format!("{}（{}）", rep.region_name.as_deref()?, rep.region.as_deref()?)))
            .unwrap_or_else(|| "地区不明".into());
        let period = rep.period.map(|p| p.label()).unwrap_or_else(|| "报告期不明".into());
        let verdict = match rep.status {
            Status::Accepted if rep.summary.warnings > 0 => "通过（有警告）",
            Status::Accepted => "通过",
            Status::Rejected => "退回",
        };
        out.push_str(&format!(
            "== {}：{region} {period}，{verdict}。错误 {} 处，警告 {} 处，提示 {} 处\n\n",
            rep.file, rep.summary.errors, rep.summary.warnings, rep.summary.infos
        ));
    }
    let accepted = reports.iter().filter(|r| r.status == Status::Accepted).count();
    out.push_str(&format!(
        "共审核 {} 个文件：通过 {accepted} 个，退回 {} 个。\n",
        reports.len(),
        reports.len() - accepted
    ));
    out
}
