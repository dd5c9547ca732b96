//! What every reader target shares: the built-in schemas, loaded once; small limits, so that a
//! run spends its time on code paths, not on legitimately huge inputs; and the split between
//! panics in our code (crashes to fix) and panics inside a dependency's reader (calamine),
//! which the program catches in its reading process and reports as an unreadable file (E001).
//! Those are logged once per place with an example input under fuzz/artifacts/dependency/ and
//! the run goes on.

use std::sync::{Mutex, OnceLock};
use yuebao_core::limits::Limits;
use yuebao_core::schema::Schemas;
use yuebao_core::validate::{Hints, validate_bytes_unguarded};

fn schemas() -> &'static Schemas {
    static S: OnceLock<Schemas> = OnceLock::new();
    S.get_or_init(|| Schemas::embedded().expect("built-in schemas load"))
}

/// Where the last panic happened, set by the hook.
static LAST: Mutex<Option<String>> = Mutex::new(None);
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn install_hook() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let place = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
            let ours = !place.contains("/.cargo/registry/");
            *LAST.lock().unwrap() = Some(place);
            if ours {
                default(info);
            }
        }));
    });
}

/// Reads and validates `data` as a file named `name`, in this process and without the panic
/// guard of the program: a panic in our code, or an abort anywhere, is a crash libFuzzer keeps.
pub fn check(data: &[u8], name: &str) {
    install_hook();
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
        ..Hints::default()
    };
    match std::panic::catch_unwind(|| validate_bytes_unguarded(data, name, schemas(), &hints)) {
        Ok(rep) => {
            for f in &rep.findings {
                assert!(!f.message.is_empty(), "empty message for {}", f.code.as_str());
            }
        }
        Err(payload) => {
            let place = LAST.lock().unwrap().take().unwrap_or_default();
            if !place.contains("/.cargo/registry/") {
                std::panic::resume_unwind(payload);
            }
            let mut seen = SEEN.lock().unwrap();
            if !seen.contains(&place) {
                eprintln!("dependency panic at {place}");
                let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts/dependency");
                let _ = std::fs::create_dir_all(&dir);
                let file = place.rsplit('/').next().unwrap_or("panic").replace(':', "-");
                let _ = std::fs::write(dir.join(format!("{file}-{name}")), data);
                seen.push(place);
            }
        }
    }
}
