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
