//! `yuebao history`: every upload of one region and period, which one is effective, and the
//! original files on request.

use crate::cli::{HistoryArgs, OutputFormat};
use crate::schema::Schemas;
use crate::store::effective;
use crate::store::status::time_label;
use anyhow::Context;

pub fn run(args: &HistoryArgs, schemas: &Schemas) -> anyhow::Result<i32> {
    let region = super::region_arg(schemas, &args.region)?;
    let store = super::open_existing_store(&args.store)?;
    let subs = store.history(&region.code, args.period)?;
    let eff = effective(&subs).map(|s| s.id);
    let mut saved = Vec::new();
    if let Some(dir) = &args.save {
        super::ensure_dir(dir)?;
        for s in &subs {
            let bytes = store
                .bytes(&s.sha256)?
                .with_context(|| format!("数据库中缺少第 {} 版的原始文件（SHA-256 {}）", s.version, s.sha256))?;
            let out = dir.join(format!("第{}版-{}", s.version, s.file_name));
            std::fs::write(&out, bytes).with_context(|| format!("无法写入 {}", out.display()))?;
            saved.push(out);
        }
    }
    match args.format {
        OutputFormat::Json => {
            let v: Vec<serde_json::Value> = subs
                .iter()
                .map(|s| {
                    let mut v = serde_json::to_value(s).expect("a submission serialises");
                    v["effective"] = serde_json::Value::Bool(Some(s.id) == eff);
                    v
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        OutputFormat::Text => {
            println!("{} {} 的报送记录（共 {} 版）", schemas.regions.display(region), args.period.label(), subs.len());
            if subs.is_empty() {
                println!("  尚未收到任何报表");
            }
            for s in &subs {
                let mark = if Some(s.id) == eff { "  ← 当前有效" } else { "" };
                println!(
                    "\n  第 {} 版：{}{mark}\n    收到 {}（录入 {}），报送人 {}\n    文件 {}，SHA-256 {}\n    错误 {}，警告 {}",
                    s.version,
                    s.status.label(),
                    time_label(s.received_at),
                    time_label(s.imported_at),
                    s.submitted_by.as_deref().unwrap_or("—"),
                    s.file_name,
                    s.sha256,
                    s.errors,
                    s.warnings
                );
                if let Some(n) = &s.note {
                    println!("    说明：{n}");
                }
                for f in s.findings.iter().filter(|f| f.severity >= crate::finding::Severity::Warning) {
                    println!("    {}", f.short());
                }
            }
            for p in &saved {
                println!("已取出 {}", p.display());
            }
        }
    }
    Ok(0)
}

/// `yuebao verify`: exit 0 when the store is whole, 1 with every problem listed when not.
pub fn verify(args: &crate::cli::StoreArgs) -> anyhow::Result<i32> {
    let store = super::open_existing_store(args)?;
    let problems = store.check()?;
    let n = store.count()?;
    if problems.is_empty() {
        println!("数据库 {} 完好：{n} 份报送，原始文件齐全且与 SHA-256 一致", store.file().display());
        return Ok(0);
    }
    println!("数据库 {} 有 {} 处问题：", store.file().display(), problems.len());
    for p in &problems {
        println!("  {p}");
    }
    Ok(1)
}
