//! `yuebao status`: every county's standing for a period, by city, then the 催报 list.

use super::{Clock, pad};
use crate::cli::StatusLevel;
use crate::cli::{OutputFormat, StatusArgs};
use crate::schema::Schemas;
use crate::time::label as time_label;
use crate::workflow::{Actor, Listing, Standing, StatusDoc, Workflow};

pub fn run(args: &StatusArgs, schemas: &Schemas, clock: &Clock) -> anyhow::Result<i32> {
    let scope = super::region_or_province(schemas, args.region.as_deref())?;
    let now = match &args.as_of {
        Some(t) => super::time_arg("--as-of", t)?,
        None => clock.now,
    };
    let mut store = super::open_existing_store(&args.store, schemas)?;
    let wf = Workflow::new(&mut store, schemas, now);
    let Some(period) = args.period else {
        let year = args.annual.expect("clap requires --period or --annual");
        return annual(&wf, scope, year, args.format);
    };
    let listing = match args.level {
        StatusLevel::County => Listing::Counties,
        StatusLevel::City => Listing::Cities,
    };
    let doc = wf.status_doc(&Actor::operator(None), scope, period, listing)?;
    match args.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&doc)?),
        OutputFormat::Text => {
            let unit = match args.level {
                StatusLevel::City if scope.level == crate::schema::Level::Nation => "省",
                StatusLevel::City => "市",
                StatusLevel::County => "县区",
            };
            print!("{}", text(schemas, scope, &doc, unit))
        }
    }
    Ok(0)
}

/// `status --annual YEAR`: the annual chain's steps, then the months still not in order.
fn annual(wf: &Workflow<'_>, scope: &crate::schema::Region, year: i32, format: OutputFormat) -> anyhow::Result<i32> {
    let chain = wf.annual_chain(&Actor::operator(None), scope, year)?;
    if format == OutputFormat::Json {
        println!("{}", serde_json::to_string_pretty(&chain)?);
        return Ok(0);
    }
    let mut out = format!("{}年年报报送链（{}）：\n", year, wf.schemas.regions.display(scope));
    for s in &chain.steps {
        let when = match s.days_left {
            d if d > 0 => format!("还有 {d} 天"),
            0 => "今天截止".into(),
            d => format!("已过 {} 天", -d),
        };
        let role = if s.receives { "本级收" } else { "本级报" };
        out.push_str(&format!("  {} → {}：{}前（{when}；{role}）\n", s.from, s.to, s.due.format("%-m月%-d日")));
    }
    let r = &chain.readiness;
    let version = r.versions.iter().find(|v| v.last == r.current).map(|v| v.name.as_str()).unwrap_or("");
    if r.gaps.is_empty() {
        out.push_str(&format!("年报{version}所用的 {} 份月报表都已审核通过。\n", r.checked));
    } else {
        out.push_str(&format!("年报{version}所用的 {} 份月报表中尚有 {} 处未就绪：\n", r.checked, r.gaps.len()));
        for g in r.gaps.iter().take(20) {
            out.push_str(&format!("  {} {} {}\n", g.period.label(), g.name, g.label));
        }
        if r.gaps.len() > 20 {
            out.push_str(&format!("  ……另有 {} 处（--format json 列出全部）\n", r.gaps.len() - 20));
        }
    }
    print!("{out}");
    Ok(0)
}

fn text(schemas: &Schemas, scope: &crate::schema::Region, doc: &StatusDoc, unit: &str) -> String {
    let mut out = String::new();
    let rows = &doc.regions;
    if rows.is_empty() {
        return format!("{}下没有{unit}\n", schemas.regions.display(scope));
    }
    let covered = if doc.deadline.covered {
        ""
    } else {
        "（节假日安排尚未录入，仅按周末推算）"
    };
    out.push_str(&format!(
        "{} {} 报送情况：截止日 {}{covered}，统计时间 {}\n",
        schemas.regions.display(scope),
        doc.period.label(),
        doc.deadline.due,
        time_label(doc.as_of)
    ));
    let mut city: Option<&str> = None;
    for r in rows {
        if r.city.as_deref() != city {
            city = r.city.as_deref();
            let name = city.and_then(|c| schemas.regions.get(c)).map(|c| c.name.clone()).unwrap_or_default();
            out.push_str(&format!(
                "\n{name}\n  {}{}{}{}{}说明\n",
                pad("代码", 8),
                pad(unit, 12),
                pad("状态", 22),
                pad("首次接收", 18),
                pad("最新版本", 34)
            ));
        }
        let latest = r
            .latest
            .as_ref()
            .map(|b| format!("第{}版 {} {}", b.version, b.status.label(), time_label(b.received_at)))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {}{}{}{}{}{}\n",
            pad(&r.code, 8),
            pad(&r.name, 12),
            pad(&r.label, 22),
            pad(&r.first_accepted.map(time_label).unwrap_or_else(|| "—".into()), 18),
            pad(&latest, 34),
            r.note.as_deref().unwrap_or("")
        ));
        if let (Standing::Approved(_), Some(rv)) = (r.standing, &r.review) {
            out.push_str(&format!("      {}\n", rv.sentence()));
        }
        for why in &r.reasons {
            out.push_str(&format!("      {why}\n"));
        }
    }
    let c = &doc.counts;
    out.push_str(&format!(
        "\n合计 {} 个{unit}：按时 {}，迟报 {}，待说明 {}，退回 {}，未报 {}\n",
        c.expected, c.on_time, c.late, c.pending, c.rejected, c.missing,
    ));
    if doc.chase.is_empty() {
        out.push_str(&format!("全部{unit}均已报送。\n"));
    } else {
        out.push_str(&format!("\n催报（{} 个）：\n", doc.chase.len()));
        let mut city: Option<&str> = None;
        let mut line = String::new();
        for r in &doc.chase {
            if r.city.as_deref() != city {
                if !line.is_empty() {
                    out.push_str(&format!("{line}\n"));
                }
                city = r.city.as_deref();
                let name = city.and_then(|c| schemas.regions.get(c)).map(|c| c.name.clone()).unwrap_or_default();
                line = format!("  {name}：");
            } else {
                line.push('、');
            }
            line.push_str(&format!("{}（{}）", r.name, r.status));
        }
        out.push_str(&format!("{line}\n"));
    }
    out
}
