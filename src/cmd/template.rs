//! `yuebao template`: a blank form for a county, city or province to fill in.

use crate::cli::TemplateArgs;
use crate::report::form::{FormDoc, FormRow, write_form};
use crate::schema::regions::Level;
use crate::schema::{Region, Schemas};
use anyhow::Context;
use rust_xlsxwriter::Workbook;
use std::path::PathBuf;

pub fn run(args: &TemplateArgs, schemas: &Schemas) -> anyhow::Result<i32> {
    let region = super::region_arg(schemas, &args.region)?;
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(crate::report::file_name(region, args.period)));
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        super::ensure_dir(dir)?;
    }
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name(args.period.label())?;
    write_form(ws, schemas.form(), &template_doc(schemas, region, args))?;
    wb.save(&out).with_context(|| format!("无法写入模板 {}", out.display()))?;
    println!("已生成{}{}空白报表：{}", schemas.regions.display(region), args.period.label(), out.display());
    Ok(0)
}

/// A county's template has blank rows for its townships; a city's or the province's lists the
/// regions below it, one row each.
fn template_doc(schemas: &Schemas, region: &Region, args: &TemplateArgs) -> FormDoc {
    let width = schemas.form().width();
    let mut doc = FormDoc::for_region(schemas, region, args.period);
    doc.rows = match region.level {
        Level::County => (0..args.rows).map(|_| FormRow::blank("", width)).collect(),
        Level::City | Level::Province => {
            let kids = schemas.regions.children(&region.code);
            kids.iter().map(|k| FormRow::blank(k.name.clone(), width)).collect()
        }
    };
    doc.input_validation = true;
    doc
}
