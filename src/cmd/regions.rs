//! `yuebao regions`: a region and everything below it. The installation's own province comes from
//! its region schema; the rest of the country (`000000` for all of it) from the national list of
//! divisions.

use crate::cli::{RegionsArgs, RegionsFormat};
use crate::schema::Schemas;
use crate::schema::divisions::{self, History};
use crate::schema::regions::Resolve;
use anyhow::anyhow;

pub fn run(args: &RegionsArgs, schemas: &Schemas) -> anyhow::Result<i32> {
    let regions = &schemas.regions;
    let own = schemas.province().code.clone();
    let text = args.code.as_deref().unwrap_or(&own).trim();
    // The installation's list is today's; a past month is answered from the national history.
    if args.as_of.is_some() {
        return national(args, text);
    }
    let root = match regions.get(text) {
        Some(r) => r,
        None => match regions.resolve(text) {
            Ok(r) => r,
            Err(Resolve::Ambiguous(c)) => return Err(anyhow!("“{text}”可能是 {}，请使用 6 位区划代码", c.join("或"))),
            Err(Resolve::NotFound) => return national(args, text),
        },
    };
    let mut out = String::new();
    for r in regions.subtree(&root.code) {
        match args.format {
            RegionsFormat::Tsv => {
                out.push_str(&format!(
                    "{}\t{}\t{}\t{}\n",
                    r.code,
                    r.name,
                    r.level.as_str(),
                    r.parent.as_deref().unwrap_or("")
                ));
            }
            RegionsFormat::Text => {
                // Steps below the region asked for: 北京市's districts are one step down.
                let mut depth = 0;
                let mut at = r;
                while at.code != root.code {
                    let Some(up) = at.parent.as_deref().and_then(|p| regions.get(p)) else { break };
                    depth += 1;
                    at = up;
                }
                out.push_str(&format!("{}{} {}\n", "  ".repeat(depth), r.code, r.name));
            }
        }
    }
    print!("{out}");
    Ok(0)
}

/// A division outside the installation's province, or the whole country (`000000`, `全国`).
fn national(args: &RegionsArgs, text: &str) -> anyhow::Result<i32> {
    let history = History::embedded()?;
    let all = history.at(args.as_of)?;
    let root = if text == divisions::NATION || text == "全国" {
        None
    } else if let Some(d) = all.get(text) {
        Some(d)
    } else {
        match all.named(text)[..] {
            [d] => Some(d),
            [] => {
                // A division no longer in force: where its area went, and how to see it.
                if args.as_of.is_none()
                    && let Some(gone) = history.successor(text)
                {
                    let now = gone
                        .to
                        .iter()
                        .map(|c| all.get(c).map(|d| format!("{}（{c}）", d.name)).unwrap_or_else(|| c.clone()))
                        .collect::<Vec<_>>();
                    let until = gone.until.map(|u| format!("（有效至 {}）", u.label())).unwrap_or_default();
                    let held = if now.is_empty() {
                        String::new()
                    } else {
                        format!("；其区域今天属于 {}", now.join("、"))
                    };
                    let last = gone.until.map(|u| u.to_string()).unwrap_or_default();
                    return Err(anyhow!(
                        "{text} {} 已不是现行区划{until}：{}{held}。查看当时的区划：yuebao regions {text} --as-of {last}",
                        gone.from.name,
                        gone.what
                    ));
                }
                let when = args.as_of.map(|m| format!("{}时", m.label())).unwrap_or_default();
                return Err(anyhow!("{when}没有地区“{text}”：请使用 6 位区划代码，如 371300（临沂市），全国为 000000"));
            }
            ref many => {
                let named: Vec<String> = many
                    .iter()
                    .map(|d| {
                        let up = all.get(&d.parent).map(|p| p.name.as_str()).unwrap_or("");
                        format!("{} {}（{up}）", d.code, d.name)
                    })
                    .collect();
                return Err(anyhow!("“{text}”可能是 {}，请使用 6 位区划代码", named.join("、")));
            }
        }
    };
    let top = root.map_or(divisions::NATION, |d| d.code.as_str());
    let depth_of = |code: &str| {
        let mut depth = 0;
        let mut at = all.get(code);
        while let Some(d) = at.filter(|d| d.code != top) {
            depth += 1;
            at = all.get(&d.parent);
        }
        depth
    };
    let mut out = String::new();
    if root.is_none() {
        out.push_str(&match args.format {
            RegionsFormat::Tsv => format!("{}\t全国\tnation\t\n", divisions::NATION),
            RegionsFormat::Text => format!("{} 全国\n", divisions::NATION),
        });
    }
    for d in all.subtree(top) {
        match args.format {
            RegionsFormat::Tsv => out.push_str(&format!("{}\t{}\t{}\t{}\n", d.code, d.name, d.level.as_str(), d.parent)),
            RegionsFormat::Text => out.push_str(&format!("{}{} {}\n", "  ".repeat(depth_of(&d.code)), d.code, d.name)),
        }
    }
    print!("{out}");
    Ok(0)
}
