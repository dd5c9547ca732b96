//! What every reader target shares: the built-in schemas, loaded once, and small limits so that
//! a run spends its time on code paths, not on legitimately huge inputs.

use std::sync::OnceLock;
use yuebao::limits::Limits;
use yuebao::schema::Schemas;
use yuebao::validate::{Hints, validate_bytes_unguarded};

fn schemas() -> &'static Schemas {
    static S: OnceLock<Schemas> = OnceLock::new();
    S.get_or_init(|| Schemas::embedded().expect("built-in schemas load"))
}

/// Reads and validates `data` as a file named `name`, in this process and without the panic
/// guard: a panic or an abort is a crash libFuzzer keeps.
pub fn check(data: &[u8], name: &str) {
    let hints = Hints {
        region: None,
        period: None,
        isolate_readers: false,
        limits: Limits {
            file_mb: 4,
            read_mb: 4,
            entry_mb: 16,
            inflated_mb: 32,
            cells: 200_000,
            seconds: 5,
            memory_mb: 512,
        },
    };
    let rep = validate_bytes_unguarded(data, name, schemas(), &hints);
    // Every finding must carry a Chinese message; library text belongs in `detail`.
    for f in &rep.findings {
        assert!(!f.message.is_empty(), "empty message for {}", f.code.as_str());
    }
}
