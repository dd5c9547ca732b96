//! Reading files in reader processes, so that whatever a damaged or hostile file does to a
//! reader — calamine reads .xls and .ods whole into dense ranges, a bad length can ask for
//! gigabytes, a loop can spin, an allocation failure aborts — costs that file and not the batch.
//!
//! The readers are a small pool of long-lived processes (`yuebao probe --serve`, hidden), one
//! per core, started when first needed and reused for file after file: a batch no longer pays a
//! process start per file. Each reader runs under a memory cap (RLIMIT_DATA); the parent holds
//! each file to its time limit and kills a reader that overruns. A reader that dies or is killed
//! costs the file it held and is replaced. A reader that dies after serving other files is not
//! trusted to have died of this file alone (its heap may be fragmented): the file is read once
//! more in a fresh reader, and only what happens there is the file's verdict.
//!
//! The wire: the parent sends `name`, the limits and the bytes in one frame; the reader answers
//! with one frame, the sheets in postcard (compact, numbers as their bits) or the reason the
//! file cannot be read.

use super::reject::Unreadable;
use super::{Book, Format, Loaded};
use crate::limits::{Limit, Limits};
use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

const READ: u8 = 0;
const REFUSED: u8 = 1;
/// Largest answer frame a parent accepts: a reader is not trusted to say how much it sends.
const MAX_ANSWER: u64 = 4 << 30;

// ------------------------------------------------------------------ the reader's side

/// The reader process: frames in on stdin, one answer frame each on stdout, until stdin ends.
/// The memory cap is set once, for the reader's whole life.
pub fn serve(memory_mb: u64) -> i32 {
    #[cfg(unix)]
    limit_memory(memory_mb << 20);
    // A panic is answered as a refusal; the default hook's lines would fill a pipe nobody reads
    // between files.
    std::panic::set_hook(Box::new(|_| {}));
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut out = BufWriter::new(std::io::stdout().lock());
    loop {
        let (name, limits, bytes) = match read_request(&mut input) {
            Ok(Some(r)) => r,
            Ok(None) => return 0,
            Err(_) => return 3,
        };
        #[cfg(feature = "test-hooks")]
        test_hooks(&name);
        let (tag, payload) = answer(&name, bytes, &limits);
        let written = out
            .write_all(&[tag])
            .and_then(|_| out.write_all(&(payload.len() as u64).to_le_bytes()))
            .and_then(|_| out.write_all(&payload))
            .and_then(|_| out.flush());
        if written.is_err() {
            return 3;
        }
    }
}

/// Reads one file and encodes what became of it.
fn answer(name: &str, bytes: Vec<u8>, limits: &Limits) -> (u8, Vec<u8>) {
    let refused = |u: &Unreadable| (REFUSED, serde_json::to_vec(u).unwrap_or_default());
    match std::panic::catch_unwind(move || super::read_owned(name, bytes, limits)) {
        Ok(Ok(Loaded { book, format })) => match postcard::to_stdvec(&(format, &book)) {
            Ok(v) => (READ, v),
            Err(e) => refused(&Unreadable::Crashed { detail: e.to_string() }),
        },
        Ok(Err(u)) => refused(&u),
        Err(payload) => refused(&Unreadable::Crashed { detail: panic_text(&payload) }),
    }
}

/// The test build's way to make a reader crash or hang on demand: a file named in
/// `YUEBAO_TEST_READER_CRASH` aborts the reader, one named in `YUEBAO_TEST_READER_HANG` makes it
/// loop without end.
#[cfg(feature = "test-hooks")]
fn test_hooks(name: &str) {
    let named = |var: &str| std::env::var(var).is_ok_and(|v| !v.is_empty() && v == name);
    if named("YUEBAO_TEST_READER_CRASH") {
        std::process::abort();
    }
    if named("YUEBAO_TEST_READER_HANG") {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}

fn read_u32(r: &mut impl Read) -> std::io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(r: &mut impl Read) -> std::io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// One request, or None at the end of the input.
fn read_request(r: &mut impl Read) -> std::io::Result<Option<(String, Limits, Vec<u8>)>> {
    let name_len = match read_u32(r) {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    };
    let too_long = |n: u32| {
        if n > 64 << 10 {
            Err(std::io::Error::other("field too long"))
        } else {
            Ok(n as usize)
        }
    };
    let mut name = vec![0u8; too_long(name_len)?];
    r.read_exact(&mut name)?;
    let limits_len = read_u32(r)?;
    let mut limits = vec![0u8; too_long(limits_len)?];
    r.read_exact(&mut limits)?;
    let limits: Limits = serde_json::from_slice(&limits).map_err(std::io::Error::other)?;
    let len = read_u64(r)?;
    // No more than a file may be; the parent never sends more.
    let mut bytes = Vec::with_capacity(len.min(limits.file_bytes()) as usize);
    r.take(len).read_to_end(&mut bytes)?;
    Ok(Some((String::from_utf8_lossy(&name).into_owned(), limits, bytes)))
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

// ------------------------------------------------------------------ the parent's side

/// A reader process, its pipes, and the thread that keeps the last words it writes to stderr.
struct Reader {
    child: Child,
    stdin: ChildStdin,
    stdout: std::process::ChildStdout,
    /// The last bytes the reader wrote to stderr (what an allocation failure says).
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Files this reader has answered.
    served: u64,
}

/// What waiting for a reader's answer came to.
enum Waited {
    Frame(u8, Vec<u8>),
    /// The deadline passed first.
    Late,
    /// The reader's output ended (it died) or made no sense.
    Gone,
}

impl Reader {
    fn start(exe: &std::path::Path, memory_mb: u64) -> std::io::Result<Reader> {
        let mut cmd = Command::new(exe);
        // The whole program serves as a reader too, when the small one is not beside it.
        if exe.file_stem().is_none_or(|s| s != "yuebao-reader") {
            cmd.arg("probe").arg("--serve");
        }
        let mut child = cmd
            .arg(format!("--memory-mb={memory_mb}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (Some(stdin), Some(stdout), Some(mut err)) = (child.stdin.take(), child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("reader pipes"));
        };
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let tail = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    return;
                }
                let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                t.extend_from_slice(&buf[..n]);
                let over = t.len().saturating_sub(64 << 10);
                t.drain(..over);
            }
        });
        Ok(Reader {
            child,
            stdin,
            stdout,
            stderr,
            served: 0,
        })
    }

    /// Fills `buf` from the reader's stdout by `deadline`, on this thread (a thread in between
    /// cost two more wake-ups a file).
    fn fill(&mut self, buf: &mut [u8], deadline: Instant) -> Result<(), Waited> {
        let mut filled = 0;
        while filled < buf.len() {
            #[cfg(unix)]
            {
                use std::os::fd::AsRawFd;
                let left = deadline.saturating_duration_since(Instant::now());
                let mut fd = libc::pollfd {
                    fd: self.stdout.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                let ms = left.as_millis().min(i32::MAX as u128) as i32;
                // SAFETY: poll(2) reads and writes the one pollfd we pass for its duration.
                let ready = unsafe { libc::poll(&mut fd, 1, ms) };
                if ready == 0 {
                    return Err(Waited::Late);
                }
                if ready < 0 {
                    if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                        continue;
                    }
                    return Err(Waited::Gone);
                }
            }
            match self.stdout.read(&mut buf[filled..]) {
                Ok(0) => return Err(Waited::Gone),
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Err(Waited::Gone),
            }
        }
        Ok(())
    }

    /// The next answer frame, by `deadline`.
    fn wait(&mut self, deadline: Instant) -> Waited {
        let mut head = [0u8; 9];
        if let Err(w) = self.fill(&mut head, deadline) {
            return w;
        }
        let len = u64::from_le_bytes(head[1..].try_into().unwrap_or_default());
        if len > MAX_ANSWER {
            return Waited::Gone;
        }
        let mut payload = vec![0u8; len as usize];
        match self.fill(&mut payload, deadline) {
            Ok(()) => Waited::Frame(head[0], payload),
            Err(w) => w,
        }
    }

    /// Sends one file: the answer (or why there is none), and whether the reader is still fit
    /// for the next file (false: it is gone, or was killed).
    fn read(&mut self, name: &str, bytes: &[u8], limits: &Limits) -> (Result<Loaded, Unreadable>, bool) {
        let limits_json = serde_json::to_vec(limits).unwrap_or_default();
        let start = Instant::now();
        let sent = (|| -> std::io::Result<()> {
            let mut w = BufWriter::with_capacity(64 << 10, &mut self.stdin);
            w.write_all(&(name.len() as u32).to_le_bytes())?;
            w.write_all(name.as_bytes())?;
            w.write_all(&(limits_json.len() as u32).to_le_bytes())?;
            w.write_all(&limits_json)?;
            w.write_all(&(bytes.len() as u64).to_le_bytes())?;
            w.write_all(bytes)?;
            w.flush()
        })();
        // A moment more than the reader's own clock, which starts once the bytes are in.
        let deadline = start + limits.time() + Duration::from_secs(2);
        let got = if sent.is_ok() { self.wait(deadline) } else { Waited::Gone };
        match got {
            Waited::Frame(READ, payload) => match postcard::from_bytes::<(Format, Book)>(&payload) {
                Ok((format, book)) => {
                    self.served += 1;
                    (Ok(Loaded { book, format }), true)
                }
                Err(e) => (
                    Err(Unreadable::Crashed {
                        detail: format!("reader answer: {e}"),
                    }),
                    false,
                ),
            },
            Waited::Frame(_, payload) => match serde_json::from_slice::<Unreadable>(&payload) {
                Ok(u) => {
                    self.served += 1;
                    (Err(u), true)
                }
                Err(e) => (
                    Err(Unreadable::Crashed {
                        detail: format!("reader answer: {e}"),
                    }),
                    false,
                ),
            },
            Waited::Late => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                (Err(Unreadable::over(Limit::Time)), false)
            }
            Waited::Gone => {
                // Gone: how it ended says why.
                let _ = self.child.kill();
                let status = self.child.wait().ok();
                // The stderr thread may still be copying the last words.
                let said = (0..50)
                    .find_map(|_| {
                        let t = self.stderr.lock().unwrap_or_else(|p| p.into_inner()).clone();
                        if t.is_empty() {
                            std::thread::sleep(Duration::from_millis(2));
                            None
                        } else {
                            Some(t)
                        }
                    })
                    .unwrap_or_default();
                let said = String::from_utf8_lossy(&said).into_owned();
                let u = if said.contains("memory allocation of") || said.contains("out of memory") {
                    Unreadable::over(Limit::Memory)
                } else {
                    let status = status.map(|s| s.to_string()).unwrap_or_else(|| "ended".into());
                    Unreadable::Crashed {
                        detail: format!("reader process {status}: {}", said.lines().next().unwrap_or("")),
                    }
                };
                (Err(u), false)
            }
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        // An idle reader ends at the end of its input; one still busy is stopped.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The readers of one memory cap: up to `size` of them, each lent to one file at a time.
struct Pool {
    exe: std::path::PathBuf,
    memory_mb: u64,
    size: usize,
    state: Mutex<PoolState>,
    returned: Condvar,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<Reader>,
    /// Readers alive, idle or lent.
    alive: usize,
}

impl Pool {
    /// A reader for one file: an idle one, a new one while there is room, else the next one
    /// handed back. None when no reader can be started.
    fn take(&self) -> Option<Reader> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(r) = st.idle.pop() {
                return Some(r);
            }
            if st.alive < self.size {
                st.alive += 1;
                drop(st);
                return self.start_counted();
            }
            st = self.returned.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Hands a reader back, or lets a dead one go.
    fn give(&self, reader: Reader, alive: bool) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if alive {
            st.idle.push(reader);
        } else {
            st.alive -= 1;
            drop(st);
            drop(reader);
        }
        self.returned.notify_one();
    }
}

static POOLS: OnceLock<Mutex<HashMap<u64, Arc<Pool>>>> = OnceLock::new();

/// Ends the idle readers and waits for them, so that a command leaves no process behind it
/// (and what they cost is counted with the command). Readers lent out end when handed back.
pub fn shutdown() {
    let Some(pools) = POOLS.get() else { return };
    let pools: Vec<Arc<Pool>> = pools.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
    for p in pools {
        let idle = std::mem::take(&mut p.state.lock().unwrap_or_else(|e| e.into_inner()).idle);
        p.state.lock().unwrap_or_else(|e| e.into_inner()).alive -= idle.len();
        drop(idle);
    }
}

/// One pool per memory cap, for the life of the process.
fn pool(memory_mb: u64) -> Option<Arc<Pool>> {
    let mut pools = POOLS.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(p) = pools.get(&memory_mb) {
        return Some(Arc::clone(p));
    }
    let me = std::env::current_exe().ok()?;
    let small = me.with_file_name(format!("yuebao-reader{}", std::env::consts::EXE_SUFFIX));
    let exe = if small.is_file() { small } else { me };
    let p = pools.entry(memory_mb).or_insert_with(|| {
        Arc::new(Pool {
            exe,
            memory_mb,
            size: std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8),
            state: Mutex::new(PoolState::default()),
            returned: Condvar::new(),
        })
    });
    Some(Arc::clone(p))
}

/// Reads `bytes` (named `name`) in a reader process. Falls back to reading in this process when
/// no reader can be started (a library caller without our executable).
pub fn read(name: &str, bytes: &[u8], limits: &Limits) -> Result<Loaded, Unreadable> {
    // A small plain xlsx, the usual county workbook, needs no reader (see `plain`). The test
    // build's crash and hang hooks act in readers, so the files they name go there.
    #[cfg(feature = "test-hooks")]
    let hooked = ["YUEBAO_TEST_READER_CRASH", "YUEBAO_TEST_READER_HANG"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|v| v == name));
    #[cfg(not(feature = "test-hooks"))]
    let hooked = false;
    if !hooked && let Some(loaded) = super::read_plain_here(bytes, limits) {
        return Ok(loaded);
    }
    let Some(pool) = pool(limits.memory_mb) else {
        return super::read_bytes(name, bytes, limits);
    };
    let Some(mut reader) = pool.take() else {
        return super::read_bytes(name, bytes, limits);
    };
    let used = reader.served > 0;
    let (answer, alive) = reader.read(name, bytes, limits);
    pool.give(reader, alive);
    // Died after other files: the verdict is what a fresh reader makes of this file alone.
    let suspect = matches!(
        &answer,
        Err(Unreadable::Crashed { .. }) | Err(Unreadable::OverLimit { limit: Limit::Memory, .. })
    );
    if !alive && used && suspect {
        let Some(mut fresh) = pool.take_fresh() else { return answer };
        let (again, alive) = fresh.read(name, bytes, limits);
        pool.give(fresh, alive);
        return again;
    }
    answer
}

impl Pool {
    /// A reader that has served no file yet: a new one, in place of an idle one when the pool
    /// is full.
    fn take_fresh(&self) -> Option<Reader> {
        let r = self.take()?;
        if r.served == 0 {
            return Some(r);
        }
        // The used one goes; the new one takes its place among the living.
        drop(r);
        self.start_counted()
    }

    /// Starts a reader already counted among the living; when it cannot start, the count is
    /// given back and a waiter woken.
    fn start_counted(&self) -> Option<Reader> {
        let started = Reader::start(&self.exe, self.memory_mb);
        if started.is_err() {
            self.state.lock().unwrap_or_else(|p| p.into_inner()).alive -= 1;
            self.returned.notify_one();
        }
        started.ok()
    }
}
