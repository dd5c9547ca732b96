//! `yuebao baseline`: the baseline of the column that never changes (the 2015 count), imported
//! from a file the city bureau keeps, or listed with where each value came from.

use crate::cli::BaselineCommand;
use crate::schema::Schemas;
use crate::workflow::{Actor, Workflow};
use anyhow::{Context, bail};
use std::path::Path;

pub fn run(cmd: &BaselineCommand, schemas: &Schemas, clock: &super::Clock) -> anyhow::Result<i32> {
    let form = schemas.form();
    let Some(no) = form.cross_period.baseline_column else {
        bail!("模式中没有设置 cross_period.baseline_column，本表没有基线栏");
    };
    match cmd {
        BaselineCommand::Import(crate::cli::ImportArgs { file, store, by }) => {
            let values = read_file(file, schemas)?;
            let mut store = super::open_store(store, schemas)?;
            let name = file.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            let mut wf = Workflow::new(&mut store, schemas, clock.now);
            let off = wf.import_baselines(&Actor::operator(by.as_deref()), &values, &format!("基线文件 {name}"))?;
            println!(
                "已导入 {} 个地区的第({no})栏基线（{}），来自 {}",
                values.len(),
                form.column_name(no),
                file.display()
            );
            // Months already accepted are not changed, but the city should know which disagree.
            if !off.is_empty() {
                println!("注意：以下已接收的报表与新基线不符（已接收的不变，请核实后让县区重新报送）：");
                for d in &off {
                    let name = schemas.regions.get(&d.region).map(|r| r.name.clone()).unwrap_or_else(|| d.region.clone());
                    println!("  {name} {}：第({no})栏 {}，新基线 {}", d.period.label(), d.found, d.baseline);
                }
            }
            Ok(0)
        }
        BaselineCommand::List { region, store } => {
            let scope = super::region_or_province(schemas, region.as_deref())?;
            let mut store = super::open_existing_store(store, schemas)?;
            let wf = Workflow::new(&mut store, schemas, clock.now);
            let actor = Actor::operator(None);
            println!("第({no})栏 {} 的基线：", form.column_name(no));
            for c in schemas.regions.counties(&scope.code) {
                match wf.baseline(&actor, c)? {
                    Some(b) => println!("  {} {}\t{}\t{}", c.code, super::pad(&c.name, 12), b.value, b.source),
                    None => println!("  {} {}\t—\t尚无（第一份被接收的报表将作为基线）", c.code, super::pad(&c.name, 12)),
                }
            }
            Ok(0)
        }
    }
}

/// Reads `地区,数值` lines (comma or tab; a header line is skipped). Every problem is named by
/// line; nothing is imported unless the whole file is right.
fn read_file(path: &Path, schemas: &Schemas) -> anyhow::Result<Vec<(String, i64)>> {
    let bytes = std::fs::read(path).with_context(|| format!("无法读取基线文件 {}", path.display()))?;
    let text = crate::ingest::decode_text(&bytes).with_context(|| format!("基线文件 {} 既不是 UTF-8 也不是 GBK 编码", path.display()))?;
    let mut out: Vec<(String, i64)> = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split([',', '\t', '，']).map(str::trim).collect();
        let at = format!("{} 第 {} 行", path.display(), i + 1);
        if parts.len() < 2 {
            problems.push(format!("{at}：应为“地区,数值”两列"));
            continue;
        }
        let value = parts[1].replace([',', ' '], "");
        let Ok(v) = value.parse::<i64>() else {
            if i == 0 {
                continue; // a header line
            }
            problems.push(format!("{at}：“{}”不是整数", parts[1]));
            continue;
        };
        let region = match schemas.regions.get(parts[0]).map(Ok).unwrap_or_else(|| schemas.regions.resolve(parts[0])) {
            Ok(r) => r,
            Err(_) => {
                problems.push(format!("{at}：“{}”不是已知的地区代码或名称", parts[0]));
                continue;
            }
        };
        if v < 0 {
            problems.push(format!("{at}：{v} 是负数"));
        } else if !schemas.regions.is_leaf(region) {
            problems.push(format!("{at}：{} 不是县区，基线按县区设置", schemas.regions.display(region)));
        } else if out.iter().any(|(c, _)| *c == region.code) {
            problems.push(format!("{at}：{} 重复出现", schemas.regions.display(region)));
        } else {
            out.push((region.code.clone(), v));
        }
    }
    if !problems.is_empty() {
        bail!("基线文件有 {} 处问题，未导入：\n  {}", problems.len(), problems.join("\n  "));
    }
    if out.is_empty() {
        bail!("基线文件 {} 中没有数据", path.display());
    }
    Ok(out)
}
