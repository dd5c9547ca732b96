//! `yuebao sample`: synthetic county workbooks for every county under a region.

use crate::cli::SampleArgs;
use crate::sample::{Planted, plant_for, warning_for, write_county};
use crate::schema::Schemas;
use anyhow::Context;
use rayon::prelude::*;

pub fn run(args: &SampleArgs, schemas: &Schemas) -> anyhow::Result<i32> {
    // A month before the current divisions has the counties of its time (莱芜市 in 2018).
    let then = schemas.at(args.period);
    let schemas = then.as_deref().unwrap_or(schemas);
    let region = super::region_or_province(schemas, args.region.as_deref())?;
    let counties = schemas.regions.counties(&region.code);
    super::ensure_dir(&args.output)?;
    let bar = super::progress(counties.len(), "生成模拟报表", args.quiet);
    // Written on every core; the planted list keeps the counties' order.
    let planted: Vec<Planted> = counties
        .par_iter()
        .enumerate()
        .map(|(i, county)| -> anyhow::Result<Vec<Planted>> {
            let path = args.output.join(crate::workbook::file_name(county, args.period));
            let plant = match (args.with_errors, args.with_warnings) {
                (true, _) if plant_for(i).is_some() => plant_for(i),
                (_, true) => warning_for(i),
                _ => None,
            };
            let p = write_county(schemas, args.seed, county, args.period, plant, &path).with_context(|| format!("无法写入 {}", path.display()))?;
            bar.inc(1);
            Ok(p.into_iter().collect())
        })
        .collect::<anyhow::Result<Vec<Vec<Planted>>>>()?
        .into_iter()
        .flatten()
        .collect();
    bar.finish_and_clear();
    if args.register {
        registers(args, schemas, &counties)?;
    }
    println!(
        "已为{}下辖的 {} 个县区生成 {} 模拟报表（种子 {}），写入 {}",
        schemas.regions.display(region),
        counties.len(),
        args.period.label(),
        args.seed,
        args.output.display()
    );
    if args.with_errors || args.with_warnings {
        // In a subfolder, so that validating or rolling up the output directory reads only
        // the county workbooks (a .tsv beside them would be read as a county's file).
        let notes = args.output.join("说明");
        super::ensure_dir(&notes)?;
        let manifest = notes.join("植入错误.tsv");
        let mut w = csv::WriterBuilder::new().delimiter(b'\t').from_writer(Vec::from("\u{feff}".as_bytes()));
        w.write_record(["文件", "工作表", "单元格", "代码", "说明"])?;
        for p in &planted {
            w.write_record([p.file.as_str(), &p.sheet, &p.cell, p.code, &p.what])?;
        }
        let bytes = w.into_inner().context("无法生成植入错误清单")?;
        std::fs::write(&manifest, bytes).with_context(|| format!("无法写入 {}", manifest.display()))?;
        println!("植入 {} 处（错误或警告），清单见 {}", planted.len(), manifest.display());
    }
    Ok(0)
}

/// Each county's synthetic register, whose count at the month's end is its sample sheet, in the
/// output's 台账 folder (apart from the sheets, so that a directory of sheets stays one).
fn registers(args: &SampleArgs, schemas: &Schemas, counties: &[&crate::schema::Region]) -> anyhow::Result<()> {
    let reg = crate::workflow::ledger::register_of(schemas)?;
    let dir = args.output.join("台账");
    super::ensure_dir(&dir)?;
    let bar = super::progress(counties.len(), "生成模拟台账", args.quiet);
    let persons: usize = counties
        .par_iter()
        .map(|county| -> anyhow::Result<usize> {
            let sheet = crate::sample::county_sheet(schemas.form(), args.seed, county, args.period);
            let city = county
                .parent
                .as_deref()
                .and_then(|p| schemas.regions.get(p))
                .map(|r| r.name.clone())
                .unwrap_or_default();
            let cards = crate::register::sample::register_for(reg, args.seed, county, &city, args.period, &sheet.rows)
                .map_err(|why| anyhow::anyhow!("{}的模拟报表无法由台账得出：{why}", county.name))?;
            let path = dir.join(format!("{}-{}-台账.xlsx", county.code, county.name));
            let title = format!("{}{}（模拟，{}末）", county.name, reg.name, args.period.label());
            crate::register::sample::write_register(reg, &title, &cards, &path).with_context(|| format!("无法写入 {}", path.display()))?;
            bar.inc(1);
            Ok(cards.len())
        })
        .sum::<anyhow::Result<usize>>()?;
    bar.finish_and_clear();
    println!("已生成 {} 个县区的模拟台账（虚构人员 {persons} 人），写入 {}", counties.len(), dir.display());
    Ok(())
}
