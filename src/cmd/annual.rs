//! `yuebao annual`: the year's workbooks from the store, one for the province (when it is the
//! scope) and one per city.

use super::rollup::{Inputs, from_store, mark_from_store};
use crate::aggregate::rollup::{Rollup, Table, plan};
use crate::cli::AnnualArgs;
use crate::period::Period;
use crate::report::annual::{AnnualDoc, RecordRow, write};
use crate::schema::Schemas;
use crate::schema::regions::Level;
use crate::store::Store;
use crate::store::status::{RegionStatus, State};
use anyhow::{Context, bail};

pub fn run(args: &AnnualArgs, schemas: &Schemas) -> anyhow::Result<i32> {
    let scope = super::region_arg(schemas, &args.region)?;
    if scope.level == Level::County {
        bail!("--region 应为省或市的代码：年报按市、省编制，{} 是县区", schemas.regions.display(scope));
    }
    let store = super::open_existing_store(&args.store)?;
    let month = |m: u32| Period::new(args.year, m).expect("months 1..=12 exist");
    // Each month read once: its rollup, and every county's standing that went into it.
    let (rollups, standings): (Vec<Rollup>, Vec<Vec<RegionStatus>>) = (1..=12)
        .map(|m| rollup_of(&store, schemas, scope, month(m)))
        .collect::<anyhow::Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    let (prev, _) = rollup_of(&store, schemas, scope, Period::new(args.year - 1, 12).expect("a December"))?;

    // The province's workbook first, then each city's, in code order.
    let mut targets = vec![scope];
    if scope.level == Level::Province {
        targets.extend(schemas.regions.children(&scope.code));
    }
    super::ensure_dir(&args.output)?;
    let filled_on = super::rollup::today_label();
    let mut written = Vec::new();
    for region in targets {
        let months: Vec<Option<&Table>> = rollups.iter().map(|r| table_of(r, &region.code)).collect();
        let record = standings_for(schemas, region, &standings);
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

/// The rollup of one month from the store, with timeliness marked, and the standings it used.
fn rollup_of(store: &Store, schemas: &Schemas, scope: &crate::schema::Region, p: Period) -> anyhow::Result<(Rollup, Vec<RegionStatus>)> {
    let Inputs {
        reports,
        digests,
        meta,
        standing,
    } = from_store(store, schemas, scope, p)?;
    let mut r = plan(schemas, scope, p, &reports, &digests).context("汇总计算失败")?;
    let standing = standing.unwrap_or_default();
    mark_from_store(&mut r, &meta, &standing);
    Ok((r, standing))
}

/// Each county's year under `region`: a short label per month, and the counts of months on
/// time, late and not accepted (only months whose due date has passed count as 未报).
fn standings_for(schemas: &Schemas, region: &crate::schema::Region, standings: &[Vec<RegionStatus>]) -> Vec<RecordRow> {
    let counties = schemas.regions.counties(&region.code);
    counties
        .iter()
        .map(|c| {
            let mut row = RecordRow {
                code: c.code.clone(),
                name: c.name.clone(),
                city: c
                    .parent
                    .as_deref()
                    .and_then(|p| schemas.regions.get(p))
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                months: Vec::new(),
                on_time: 0,
                late: 0,
                missing: 0,
            };
            for month in standings {
                let state = month.iter().find(|s| s.code == c.code).map(|s| s.state);
                let label = match state {
                    Some(State::OnTime) => {
                        row.on_time += 1;
                        "按时".to_string()
                    }
                    Some(State::Late { days }) => {
                        row.late += 1;
                        format!("迟{days}天")
                    }
                    Some(State::Missing { overdue_days: None }) | None => String::new(),
                    Some(State::Missing { .. }) => {
                        row.missing += 1;
                        "未报".into()
                    }
                    Some(State::Rejected) => {
                        row.missing += 1;
                        "退回".into()
                    }
                    Some(State::Pending) => {
                        row.missing += 1;
                        "待说明".into()
                    }
                };
                row.months.push(label);
            }
            row
        })
        .collect()
}
