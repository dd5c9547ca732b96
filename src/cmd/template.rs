//! `yuebao template`: a blank form for a county, city or province to fill in.

use crate::cli::TemplateArgs;
use crate::schema::Schemas;
use crate::workbook::form::template_workbook;
use anyhow::Context;
use std::path::PathBuf;

pub fn run(args: &TemplateArgs, schemas: &Schemas) -> anyhow::Result<i32> {
    let region = super::region_arg(schemas, &args.region)?;
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(crate::workbook::file_name(region, args.period)));
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        super::ensure_dir(dir)?;
    }
    let mut wb = template_workbook(schemas, region, args.period, args.rows)?;
    wb.save(&out).with_context(|| format!("无法写入模板 {}", out.display()))?;
    println!("已生成{}{}空白报表：{}", schemas.regions.display(region), args.period.label(), out.display());
    Ok(0)
}
