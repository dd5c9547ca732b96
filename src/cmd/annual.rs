//! `yuebao annual`: the year's workbooks from the store, one for the province (when it is the
//! scope) and one per city.

use super::Clock;
use crate::aggregate::rollup::{Rollup, Table};
use crate::cli::AnnualArgs;
use crate::report::annual::{AnnualDoc, write};
use crate::schema::Schemas;
use crate::schema::regions::Level;
use crate::workflow::record::{Year, record, year};
use crate::workflow::{Actor, Workflow};
use anyhow::{Context, bail};

pub fn run(args: &AnnualArgs, schemas: &Schemas, clock: &Clock) -> anyhow::Result<i32> {
    let scope = super::region_arg(schemas, &args.region)?;
    if scope.level == Level::County {
        bail!("--region 应为省或市的代码：年报按市、省编制，{} 是县区", schemas.regions.display(scope));
    }
    let mut store = super::open_existing_store(&args.store)?;
    let wf = Workflow::new(&mut store, schemas, clock.now);
    // Each month read once: its rollup, and every county's standing that went into it.
    let Year {
        rollups,
        standings,
        prev_december: prev,
    } = year(&wf, &Actor::operator(None), scope, args.year)?;

    // The province's workbook first, then each city's, in code order.
    let mut targets = vec![scope];
    if scope.level == Level::Province {
        targets.extend(schemas.regions.children(&scope.code));
    }
    super::ensure_dir(&args.output)?;
    let filled_on = crate::time::date_label(clock.now);
    let mut written = Vec::new();
    for region in targets {
        let months: Vec<Option<&Table>> = rollups.iter().map(|r| table_of(r, &region.code)).collect();
        let record = record(schemas, region, &standings);
        let doc = AnnualDoc {
            region,
            year: args.year,
            months,
            prev_december: table_of(&prev, &region.code),
            record,
            filled_on: filled_on.clone(),
        };
        let path = args.output.join(format!("{}-{}-{}年报.xlsx", region.code, region.name, args.year));
        write(&path, schemas, &doc).with_context(|| format!("无法写入年报 {}", path.display()))?;
        written.push((path, doc.months.iter().filter(|m| m.is_some()).count(), doc.prev_december.is_some()));
    }
    let dec = rollups[11].counties_reported;
    println!(
        "{} {} 年年报：12 月县区应报 {}，实报 {dec}{}",
        schemas.regions.display(scope),
        args.year,
        rollups[11].counties_expected,
        if dec == 0 {
            "（12 月尚无数据，12 月表全部为未报）"
        } else {
            ""
        }
    );
    for (p, n, yoy) in &written {
        println!(
            "  {}（有数据的月份 {n} 个{}）",
            p.display(),
            if *yoy { "，含同比" } else { "，无上年 12 月数据" }
        );
    }
    Ok(0)
}

/// A region's table in a rollup, when anything was counted for it.
fn table_of<'a>(r: &'a Rollup, code: &str) -> Option<&'a Table> {
    r.tables.iter().find(|t| t.code == code && t.rows.iter().any(|x| x.values.is_some()))
}
