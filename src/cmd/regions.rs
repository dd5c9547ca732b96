//! `yuebao regions`: a region and everything below it.

use crate::cli::{RegionsArgs, RegionsFormat};
use crate::schema::regions::Resolve;
use crate::schema::{Level, Schemas};
use anyhow::anyhow;

pub fn run(args: &RegionsArgs, schemas: &Schemas) -> anyhow::Result<i32> {
    let regions = &schemas.regions;
    let root = match regions.get(args.code.trim()) {
        Some(r) => r,
        None => regions.resolve(&args.code).map_err(|e| match e {
            Resolve::Ambiguous(c) => anyhow!("“{}”可能是 {}，请使用 6 位区划代码", args.code, c.join("或")),
            Resolve::NotFound => anyhow!("未知的地区“{}”：请使用 6 位区划代码，如 371300（临沂市）", args.code),
        })?,
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
                let depth = match r.level {
                    Level::Province => 0,
                    Level::City => 1,
                    Level::County => 2,
                } - match root.level {
                    Level::Province => 0,
                    Level::City => 1,
                    Level::County => 2,
                };
                out.push_str(&format!("{}{} {}\n", "  ".repeat(depth), r.code, r.name));
            }
        }
    }
    print!("{out}");
    Ok(0)
}
