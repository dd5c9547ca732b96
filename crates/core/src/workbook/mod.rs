//! Workbook writers: the mandated form layout (shared by everything that writes the form) and
//! the annotated copy of a checked workbook.

pub mod annotate;
pub mod form;

/// Excel limits sheet names to 31 characters and forbids `[]:*?/\`.
pub fn sheet_name(raw: &str) -> String {
    let cleaned: String = raw.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).collect();
    let trimmed: String = cleaned.trim_matches('\'').chars().take(31).collect();
    if trimmed.is_empty() { "Sheet1".into() } else { trimmed }
}

/// The file name every workbook for one region and period gets: `371302-兰山区-2026-10.xlsx`.
pub fn file_name(region: &crate::schema::Region, period: crate::period::Period) -> String {
    format!("{}-{}-{period}.xlsx", region.code, region.name)
}
