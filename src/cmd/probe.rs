//! `yuebao probe --name NAME --limits JSON` (hidden): the child side of reading a file in its own
//! process (see `ingest::isolate`).

pub fn run(name: &str, limits: &str) -> i32 {
    match serde_json::from_str::<crate::limits::Limits>(limits) {
        Ok(l) => crate::ingest::isolate::child(name, &l),
        Err(_) => 2,
    }
}
