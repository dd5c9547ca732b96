//! `yuebao contacts`: the address book that tells `inbox` whose sheets come from which address.
//! Imported from the CSV a city keeps (地区,姓名,电子邮件; GBK or UTF-8), listed by region.

use super::Clock;
use crate::cli::{ContactsCommand, OutputFormat};
use crate::schema::Schemas;
use crate::workflow::contacts::ContactRow;
use crate::workflow::{Actor, Workflow};
use anyhow::{Context, bail};
use std::path::Path;

pub fn run(cmd: &ContactsCommand, schemas: &Schemas, clock: &Clock) -> anyhow::Result<i32> {
    match cmd {
        ContactsCommand::Import(crate::cli::ImportArgs { file, store, by }) => {
            let rows = read_file(file)?;
            let mut store = super::open_store(store, schemas)?;
            let mut wf = Workflow::new(&mut store, schemas, clock.now);
            let n = wf.import_contacts(&Actor::operator(by.as_deref()), &rows)?;
            println!("已导入 {n} 个电子邮件地址，来自 {}", file.display());
            Ok(0)
        }
        ContactsCommand::List { store, format } => {
            let mut store = super::open_existing_store(store, schemas)?;
            let wf = Workflow::new(&mut store, schemas, clock.now);
            let contacts = wf.contacts(&Actor::operator(None))?;
            match format {
                OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&contacts)?),
                OutputFormat::Text => {
                    if contacts.is_empty() {
                        println!("通讯录是空的（yuebao contacts import 文件.csv 导入）");
                    }
                    for c in &contacts {
                        let region = schemas
                            .regions
                            .get(&c.region)
                            .map(|r| schemas.regions.display(r))
                            .unwrap_or_else(|| c.region.clone());
                        println!("{}\t{}\t{}", region, c.name.as_deref().unwrap_or(""), c.email);
                    }
                }
            }
            Ok(0)
        }
    }
}

/// Reads `地区,姓名,电子邮件` lines (comma, tab or full-width comma; a header line is skipped;
/// GBK or UTF-8). Every problem is named by line; nothing is imported unless the whole file is
/// right.
fn read_file(path: &Path) -> anyhow::Result<Vec<ContactRow>> {
    let bytes = std::fs::read(path).with_context(|| format!("无法读取通讯录文件 {}", path.display()))?;
    let text = crate::ingest::decode_text(&bytes).with_context(|| format!("通讯录文件 {} 既不是 UTF-8 也不是 GBK 编码", path.display()))?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split([',', '\t', '，']).map(str::trim).collect();
        let at = format!("{} 第 {} 行", path.display(), i + 1);
        if parts.len() < 3 {
            problems.push(format!("{at}：应为“地区,姓名,电子邮件”三列"));
            continue;
        }
        if crate::workflow::contacts::normalise_address(parts[2]).is_none() {
            if i == 0 || rows.is_empty() && parts[2].contains("邮") {
                continue; // a header line
            }
            problems.push(format!("{at}：“{}”不是电子邮件地址", parts[2]));
            continue;
        }
        rows.push(ContactRow {
            region: parts[0].to_string(),
            name: Some(parts[1].to_string()).filter(|n| !n.is_empty()),
            email: parts[2].to_string(),
        });
    }
    if !problems.is_empty() {
        bail!("通讯录文件有误，未导入：\n  {}", problems.join("\n  "));
    }
    if rows.is_empty() {
        bail!("通讯录文件 {} 中没有地址", path.display());
    }
    Ok(rows)
}
