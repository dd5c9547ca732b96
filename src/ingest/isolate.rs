//! Reading a workbook in a throw-away process first (`yuebao probe FILE`, hidden). calamine
//! reads .xls and .ods files whole when it opens them; a damaged cell position or length in such
//! a file can make it abort (seen in fuzzing: a 33 GB allocation), which no `catch_unwind` can
//! stop. The parent probes first and rejects the file if the child dies.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Exit code of a probe whose file was read but found unreadable in an ordinary way.
const UNREADABLE: i32 = 3;

/// Memory a probe may use; far above any real county workbook.
#[cfg(unix)]
const MEMORY_LIMIT: u64 = 2 << 30;

/// The child's side: read the file under a memory limit; the exit code tells the parent.
pub fn child(file: &Path) -> i32 {
    #[cfg(unix)]
    limit_memory();
    match super::read_book(file) {
        Ok(_) => 0,
        Err(_) => UNREADABLE,
    }
}

#[cfg(unix)]
fn limit_memory() {
    let lim = libc::rlimit {
        rlim_cur: MEMORY_LIMIT as libc::rlim_t,
        rlim_max: MEMORY_LIMIT as libc::rlim_t,
    };
    // SAFETY: setrlimit only reads the struct we pass; failure leaves the default limit.
    unsafe {
        libc::setrlimit(libc::RLIMIT_AS, &lim);
    }
}

/// Whether `path` is of a kind whose reader loads everything at open.
pub fn needs_probe(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| matches!(e.to_string_lossy().to_lowercase().as_str(), "xls" | "ods"))
}

/// Runs the probe on `path`. `Err` carries a Chinese reason when the child died or hung.
pub fn probe(path: &Path) -> Result<(), String> {
    let exe: PathBuf = match std::env::current_exe() {
        Ok(p) => p,
        // Without our own executable there is nothing to isolate with; read in-process.
        Err(_) => return Ok(()),
    };
    let mut child = match Command::new(exe)
        .arg("probe")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => return Ok(()),
    };
    let start = Instant::now();
    // A healthy probe ends within milliseconds: poll fast at first, then back off.
    let mut pause = Duration::from_micros(200);
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() || status.code() == Some(UNREADABLE) => return Ok(()),
            Ok(Some(_)) => return Err("文件结构已损坏，读取时程序异常退出（可能有损坏的单元格位置或长度）".into()),
            Ok(None) if start.elapsed() > Duration::from_secs(60) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("读取此文件超过 60 秒仍未完成，文件可能已损坏".into());
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(_) => return Ok(()),
        }
    }
}
