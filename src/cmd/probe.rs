//! `yuebao probe FILE` (hidden): the child side of reading a risky workbook in its own process.

use std::path::Path;

pub fn run(file: &Path) -> i32 {
    crate::ingest::isolate::child(file)
}
