//! `yuebao-reader`: a reader process of yuebao's pool (see `yuebao_core::ingest::isolate`). It is
//! the reading code alone, a small executable that starts in a fraction of the time the whole
//! program takes; `yuebao probe --serve` does the same where this file is missing.

fn main() {
    let memory_mb = std::env::args()
        .find_map(|a| a.strip_prefix("--memory-mb=").and_then(|v| v.parse().ok()))
        .unwrap_or(yuebao_core::limits::Limits::default().memory_mb);
    std::process::exit(yuebao_core::ingest::isolate::serve(memory_mb));
}
