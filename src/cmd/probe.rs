//! `yuebao probe --serve` (hidden): a reader process of the pool (see `ingest::isolate`).

pub fn run(serve: bool, memory_mb: u64) -> i32 {
    if serve { crate::ingest::isolate::serve(memory_mb) } else { 2 }
}
