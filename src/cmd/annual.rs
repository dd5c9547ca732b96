//! `yuebao annual`: the year's workbooks from the store, one for the province (when it is the
//! scope) and one per city.

use super::Clock;
use crate::cli::AnnualArgs;
use crate::period::Period;
use crate::schema::Schemas;
use crate::workflow::{Actor, Workflow};
use anyhow::{Context, bail};

pub fn run(args: &AnnualArgs, schemas: &Schemas, clock: &Clock) -> anyhow::Result<i32> {
    let scope = super::region_or_province(schemas, args.region.as_deref())?;
    if schemas.regions.is_leaf(scope) {
        bail!(
            "--region 应为省或市的代码：年报按市、省编制，{} 是{}",
            schemas.regions.display(scope),
            super::unit_kind(scope)
        );
    }
    let mut store = super::open_existing_store(&args.store, schemas)?;
    let mut wf = Workflow::new(&mut store, schemas, clock.now);
    let (versions, current) = wf.annual_versions(args.year);
    let last = match &args.through {
        Some(t) => {
            let p: Period = t.parse().map_err(|e| anyhow::anyhow!("--through “{t}”：{e}"))?;
            if p.year != args.year {
                bail!("--through {t} 不在 --year {} 年内", args.year);
            }
            p.month
        }
        None => current,
    };
    let books = wf.annual_books(&Actor::operator(None), scope, args.year, last, None)?;
    let text = format!("导出{}{} 年年报（1–{last}月）到 {}", scope.name, args.year, args.output.display());
    wf.record(&Actor::operator(None), crate::workflow::audit::Event::Download, Some(&scope.code), &text)?;
    super::ensure_dir(&args.output)?;
    let version = versions.iter().find(|v| v.last == last).map(|v| format!("{}：{}", v.name, v.purpose));
    println!(
        "{} {} 年年报{}：{} 月县区应报 {}，实报 {}{}",
        schemas.regions.display(scope),
        args.year,
        version.map(|v| format!("（{v}）")).unwrap_or_else(|| format!("（1–{last}月）")),
        last,
        books.counties_expected,
        books.counties_reported,
        if books.counties_reported == 0 {
            format!("（{last} 月尚无数据，该月表全部为未报）")
        } else {
            String::new()
        }
    );
    for b in &books.books {
        let path = args.output.join(&b.file_name);
        std::fs::write(&path, &b.bytes).with_context(|| format!("无法写入年报 {}", path.display()))?;
        println!(
            "  {}（有数据的月份 {} 个{}）",
            path.display(),
            b.months_with_data,
            match (b.yoy, last) {
                (true, 12) => "，含同比",
                (true, _) => "，含与上年末比较",
                (false, _) => "，无上年 12 月数据",
            }
        );
    }
    Ok(0)
}
