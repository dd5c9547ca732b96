//! Reading a file in a throw-away child process (`yuebao probe`, hidden). Whatever a damaged or
//! hostile file does to a reader — calamine reads .xls and .ods whole into dense ranges, a bad
//! length can ask for gigabytes, a loop can spin — costs that child: the parent hands it the
//! bytes on stdin, caps its memory (RLIMIT_DATA) and its wall time, and takes back either the
//! sheets or the reason they could not be read, as JSON on stdout.

use super::reject::Unreadable;
use super::{Book, Format, Loaded};
use crate::limits::{Limit, Limits};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Serialize, Deserialize)]
enum Answer {
    Read { format: Format, book: Book },
    Refused(Unreadable),
}

/// The child's side: read stdin under the limits, answer on stdout. Always exits 0 unless the
/// process itself dies (memory, a crash), which the parent reads from the exit status.
pub fn child(name: &str, limits: &Limits) -> i32 {
    #[cfg(unix)]
    limit_memory(limits.memory_bytes());
    let mut bytes = Vec::new();
    let answer = match std::io::stdin().lock().take(limits.file_bytes() + 1).read_to_end(&mut bytes) {
        Err(e) => Answer::Refused(Unreadable::Io { detail: e.to_string() }),
        Ok(_) => match std::panic::catch_unwind(move || super::read_owned(name, bytes, limits)) {
            Ok(Ok(Loaded { book, format })) => Answer::Read { format, book },
            Ok(Err(u)) => Answer::Refused(u),
            Err(payload) => Answer::Refused(Unreadable::Crashed { detail: panic_text(&payload) }),
        },
    };
    let out = std::io::stdout();
    let mut w = std::io::BufWriter::new(out.lock());
    if serde_json::to_writer(&mut w, &answer)
        .and_then(|_| w.flush().map_err(serde_json::Error::io))
        .is_err()
    {
        return 3;
    }
    0
}

pub fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[cfg(unix)]
fn limit_memory(bytes: u64) {
    let lim = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: setrlimit only reads the struct we pass; failure leaves the default limit.
    unsafe {
        libc::setrlimit(libc::RLIMIT_DATA, &lim);
    }
}

/// Reads `bytes` (named `name`) in a child process. Falls back to reading in this process when
/// no child can be started (a library caller without our executable).
pub fn read(name: &str, bytes: &[u8], limits: &Limits) -> Result<Loaded, Unreadable> {
    let Ok(exe) = std::env::current_exe() else {
        return super::read_bytes(name, bytes, limits);
    };
    let limits_json = serde_json::to_string(limits).expect("limits serialise");
    let spawned = Command::new(exe)
        .arg("probe")
        // `--name=…` in one argument: a handed-in name may begin with '-'.
        .arg(format!("--name={name}"))
        .arg(format!("--limits={limits_json}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = spawned else {
        return super::read_bytes(name, bytes, limits);
    };
    let (Some(mut stdin), Some(stdout), Some(mut stderr)) = (child.stdin.take(), child.stdout.take(), child.stderr.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return super::read_bytes(name, bytes, limits);
    };
    let start = Instant::now();
    std::thread::scope(|s| {
        // The bytes go in while the answer comes out, so neither pipe fills and blocks.
        s.spawn(move || {
            let _ = stdin.write_all(bytes);
        });
        let answer = s.spawn(move || serde_json::from_reader::<_, Answer>(std::io::BufReader::new(stdout)));
        let errors = s.spawn(move || {
            let mut head = Vec::new();
            let _ = (&mut stderr).take(64 << 10).read_to_end(&mut head);
            let _ = std::io::copy(&mut stderr, &mut std::io::sink());
            String::from_utf8_lossy(&head).into_owned()
        });
        // A moment more than the child's own clock, which starts after it has loaded. The child
        // is waited for in a thread of its own, so its end is seen at once, not at the next poll.
        let deadline = limits.time() + Duration::from_secs(2);
        let pid = child.id();
        let (done, ended) = std::sync::mpsc::channel();
        s.spawn(move || {
            let _ = done.send(child.wait());
        });
        let status = match ended.recv_timeout(deadline.saturating_sub(start.elapsed())) {
            Ok(Ok(status)) => Some(status),
            Ok(Err(_)) => None,
            Err(_) => {
                // Over time: killed by its pid. The waiter reaps it only just before answering,
                // so the pid could be another process's only if it were reused in that instant.
                #[cfg(unix)]
                // SAFETY: kill(2) with a pid and a signal number; no memory is touched.
                unsafe {
                    libc::kill(pid as libc::pid_t, libc::SIGKILL);
                }
                let _ = ended.recv();
                None
            }
        };
        let answer = answer.join().ok();
        let stderr = errors.join().unwrap_or_default();
        match (status, answer) {
            (None, _) => Err(Unreadable::over(Limit::Time)),
            (Some(st), Some(Ok(Answer::Read { format, book }))) if st.success() => Ok(Loaded { book, format }),
            (Some(st), Some(Ok(Answer::Refused(u)))) if st.success() => Err(u),
            (Some(st), _) => {
                if stderr.contains("memory allocation of") || stderr.contains("out of memory") {
                    Err(Unreadable::over(Limit::Memory))
                } else {
                    let first = stderr.lines().next().unwrap_or("").to_string();
                    Err(Unreadable::Crashed {
                        detail: format!("reader process {st}: {first}"),
                    })
                }
            }
        }
    })
}
