//! Load on a running portal, for `scripts/bench-portal.sh` (numbers for people, not a test).
//!
//! Phase 1: CLIENTS clients, each signed in as one county's reporter, upload that county's file
//! through the page form (`POST /upload`, the result page comes back in the answer) as fast as
//! they can for SECONDS; every answer is timed from the first byte sent to the last byte read.
//! Phase 2: for each BOARD_PERIOD, the boards — a city's board, the province page over its 136
//! counties and `GET /api/status` over the 136 counties — each fetched 200 times by one client,
//! then by CLIENTS clients at once for 10 seconds.
//!
//! Usage: portal_load URL USERS.tsv SECONDS CLIENTS PERIOD CITY PROVINCE BOARD_PERIOD…
//! USERS.tsv: `username<TAB>password<TAB>file` per reporter; one line `board<TAB>user<TAB>password`
//! for the province reviewer who reads the boards.
//!
//! Soak (`scripts/bench-soak.sh`): `portal_load soak URL USERS.tsv SECONDS CLIENTS PERIOD CITY
//! PROVINCE`: CLIENTS clients for SECONDS, a mix — reporters upload through the API, open their
//! page and download their originals; reviewers (a quarter of the clients, at least one) open the
//! city board and the province board and download the rollups. Per-endpoint figures; every
//! upload answered 200 is remembered, and at the end each is fetched back (after whatever
//! happened to the server meanwhile): how many are missing is the last line.

use std::io::Write;
use std::time::{Duration, Instant};

struct Stats {
    name: String,
    times: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

impl Stats {
    fn print(&mut self) {
        self.times.sort();
        let q = |p: f64| {
            if self.times.is_empty() {
                return 0.0;
            }
            let i = ((self.times.len() as f64 * p).ceil() as usize).clamp(1, self.times.len()) - 1;
            self.times[i].as_secs_f64() * 1000.0
        };
        println!(
            "{:<44} n={:<6} errors={:<3} p50={:>7.1} ms  p90={:>7.1} ms  p99={:>7.1} ms  max={:>7.1} ms  {:>7.1}/s",
            self.name,
            self.times.len(),
            self.errors,
            q(0.5),
            q(0.9),
            q(0.99),
            self.times.last().map_or(0.0, |t| t.as_secs_f64() * 1000.0),
            self.times.len() as f64 / self.elapsed.as_secs_f64()
        );
    }
}

/// CPU seconds used so far by process `pid`, its reaped children, and the children still
/// running (the reader processes), from /proc.
fn server_cpu(pid: u32) -> f64 {
    let tick = 100.0; // USER_HZ on Linux
    let fields = |p: u32| -> Vec<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
        // After the command name in parentheses: state is field 3; utime 14, stime 15, cutime 16, cstime 17.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        rest.split_whitespace().skip(11).take(4).filter_map(|v| v.parse().ok()).collect()
    };
    let own = fields(pid);
    let mut total: u64 = own.iter().sum();
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| d.flatten().collect::<Vec<_>>())
        .unwrap_or_default();
    for t in tasks {
        let children = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
        for c in children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()) {
            total += fields(c).iter().take(2).sum::<u64>();
        }
    }
    total as f64 / tick
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .build()
        .into()
}

fn login(agent: &ureq::Agent, url: &str, user: &str, password: &str) -> String {
    let mut res = agent
        .post(format!("{url}/api/login"))
        .header("Content-Type", "application/json")
        .header("Origin", url)
        .send(serde_json::json!({"username": user, "password": password}).to_string())
        .expect("login request");
    assert_eq!(res.status(), 200, "login {user}: {}", res.body_mut().read_to_string().unwrap_or_default());
    let set = res.headers().get("set-cookie").expect("a session cookie").to_str().unwrap();
    set.split(';').next().unwrap().to_string()
}

fn multipart(file: &std::path::Path, period: &str) -> (String, Vec<u8>) {
    let boundary = "----yuebao-load-7d1f";
    let mut body = Vec::new();
    write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"period\"\r\n\r\n{period}\r\n").unwrap();
    let name = file.file_name().unwrap().to_string_lossy();
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .unwrap();
    body.extend_from_slice(&std::fs::read(file).unwrap());
    write!(body, "\r\n--{boundary}--\r\n").unwrap();
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `clients` threads calling `one` until `seconds` pass; each call answers Ok(()) or an error.
fn hammer<F>(name: &str, clients: usize, seconds: u64, one: F) -> Stats
where
    F: Fn(usize) -> Result<(), String> + Sync,
{
    let start = Instant::now();
    let until = start + Duration::from_secs(seconds);
    let results: Vec<(Vec<Duration>, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|i| {
                let one = &one;
                s.spawn(move || {
                    let (mut times, mut errors) = (Vec::new(), 0);
                    while Instant::now() < until {
                        let t = Instant::now();
                        match one(i) {
                            Ok(()) => times.push(t.elapsed()),
                            Err(e) => {
                                errors += 1;
                                if errors <= 3 {
                                    eprintln!("{name}: {e}");
                                }
                            }
                        }
                    }
                    (times, errors)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    Stats {
        name: name.to_string(),
        times: results.iter().flat_map(|r| r.0.iter().copied()).collect(),
        errors: results.iter().map(|r| r.1).sum(),
        elapsed: start.elapsed(),
    }
}

fn get_ok(agent: &ureq::Agent, url: &str, cookie: &str, want: &str) -> Result<(), String> {
    let mut res = agent.get(url).header("Cookie", cookie).call().map_err(|e| e.to_string())?;
    let status = res.status();
    let body = res.body_mut().read_to_string().map_err(|e| e.to_string())?;
    if status != 200 || !body.contains(want) {
        return Err(format!("GET {url}: {status} {}", body.chars().take(200).collect::<String>()));
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("soak") {
        return soak(&args[2..]);
    }
    let [_, url, users, seconds, clients, period, city, province, boards @ ..] = &args[..] else {
        eprintln!("usage: portal_load URL USERS.tsv SECONDS CLIENTS PERIOD CITY PROVINCE BOARD_PERIOD…");
        std::process::exit(2);
    };
    let (seconds, clients): (u64, usize) = (seconds.parse().unwrap(), clients.parse().unwrap());
    let text = std::fs::read_to_string(users).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    let board_user = lines.iter().find(|l| l[0] == "board").expect("a board line");
    let reporters: Vec<&Vec<&str>> = lines.iter().filter(|l| l[0] != "board").take(clients).collect();
    assert_eq!(reporters.len(), clients, "one reporter per client");

    let agents: Vec<ureq::Agent> = (0..clients).map(|_| agent()).collect();
    let cookies: Vec<String> = reporters.iter().zip(&agents).map(|(r, a)| login(a, url, r[0], r[1])).collect();
    let bodies: Vec<(String, Vec<u8>)> = reporters.iter().map(|r| multipart(std::path::Path::new(r[2]), period)).collect();

    println!("{clients} clients, {seconds} s of uploads through the page form (POST /upload → result page):");
    let server = std::env::var("SERVER_PID").ok().and_then(|p| p.parse::<u32>().ok());
    let cpu_before = server.map(server_cpu);
    let mut up = hammer("upload → result page", clients, seconds, |i| {
        let (kind, body) = &bodies[i];
        let mut res = agents[i]
            .post(format!("{url}/upload"))
            .header("Cookie", &cookies[i])
            .header("Origin", url.as_str())
            .header("Content-Type", kind)
            .send(&body[..])
            .map_err(|e| e.to_string())?;
        let status = res.status();
        let page = res.body_mut().read_to_string().map_err(|e| e.to_string())?;
        if status != 200 || !page.contains("审核结果") {
            return Err(format!("{status}: {}", page.chars().take(200).collect::<String>()));
        }
        Ok(())
    });
    up.print();
    if let (Some(pid), Some(before)) = (server, cpu_before) {
        let used = server_cpu(pid) - before;
        let n = up.times.len().max(1);
        println!(
            "server CPU during the uploads (the server and its reader processes): {used:.2} s for {n} uploads, {:.2} ms per upload",
            used * 1000.0 / n as f64
        );
    }

    let board_agent = agent();
    let cookie = login(&board_agent, url, board_user[1], board_user[2]);
    for period in boards {
        board_phase(url, period, city, province, clients, &board_agent, &cookie);
    }
}

fn board_phase(url: &str, period: &str, city: &str, province: &str, clients: usize, board_agent: &ureq::Agent, cookie: &str) {
    let pages = [
        (format!("{url}/city?period={period}&region={city}"), "city board (1 city)", "报送情况"),
        (
            format!("{url}/city?period={period}&region={province}"),
            "province board (16 cities, 136 counties)",
            "各市上报情况",
        ),
        (
            format!("{url}/api/status?period={period}&region={province}"),
            "GET /api/status (136 counties)",
            "\"regions\"",
        ),
    ];
    println!("\nboards for {period}, one client, 200 requests each:");
    for (u, name, want) in &pages {
        let start = Instant::now();
        let mut times = Vec::new();
        let mut errors = 0;
        for _ in 0..200 {
            let t = Instant::now();
            match get_ok(board_agent, u, cookie, want) {
                Ok(()) => times.push(t.elapsed()),
                Err(e) => {
                    errors += 1;
                    eprintln!("{e}");
                }
            }
        }
        Stats {
            name: name.to_string(),
            times,
            errors,
            elapsed: start.elapsed(),
        }
        .print();
    }
    println!("\nboards for {period}, {clients} clients at once, 10 s each:");
    let board_agents: Vec<ureq::Agent> = (0..clients).map(|_| agent()).collect();
    for (u, name, want) in &pages {
        hammer(name, clients, 10, |i| get_ok(&board_agents[i], u, cookie, want)).print();
    }
}

/// One client's tally in the soak: per endpoint, times and errors; the uploads acknowledged.
#[derive(Default)]
struct Tally {
    times: std::collections::BTreeMap<&'static str, Vec<Duration>>,
    /// Answers that were wrong (a status other than 200, a page without what it should show).
    errors: std::collections::BTreeMap<&'static str, usize>,
    /// No answer at all: the connection refused or dropped (the server down or restarting).
    unanswered: usize,
    acked: Vec<i64>,
}

impl Tally {
    fn note(&mut self, name: &'static str, t: Instant, r: Result<(), String>) {
        match r {
            Ok(()) => self.times.entry(name).or_default().push(t.elapsed()),
            Err(e) if e.starts_with("io:") || e.contains("onnect") => {
                self.unanswered += 1;
                // A client whose server is gone waits a moment before trying again.
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => {
                let n = self.errors.entry(name).or_default();
                *n += 1;
                if *n <= 2 {
                    eprintln!("{name}: {e}");
                }
            }
        }
    }
}

fn fetch(agent: &ureq::Agent, url: &str, cookie: &str) -> Result<Vec<u8>, String> {
    let mut res = agent.get(url).header("Cookie", cookie).call().map_err(|e| e.to_string())?;
    let status = res.status();
    let body = res.body_mut().with_config().limit(64 << 20).read_to_vec().map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!(
            "GET {url}: {status} {}",
            String::from_utf8_lossy(&body).chars().take(200).collect::<String>()
        ));
    }
    Ok(body)
}

fn soak(args: &[String]) {
    let [url, users, seconds, clients, period, city, province] = args else {
        eprintln!("usage: portal_load soak URL USERS.tsv SECONDS CLIENTS PERIOD CITY PROVINCE");
        std::process::exit(2);
    };
    let (seconds, clients): (u64, usize) = (seconds.parse().unwrap(), clients.parse().unwrap());
    let text = std::fs::read_to_string(users).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    let board_user = lines.iter().find(|l| l[0] == "board").expect("a board line");
    let reviewers = (clients / 4).max(1);
    let reporters: Vec<&Vec<&str>> = lines.iter().filter(|l| l[0] != "board").take(clients - reviewers).collect();
    assert_eq!(reporters.len(), clients - reviewers, "one reporter per reporting client");
    let agents: Vec<ureq::Agent> = (0..clients).map(|_| agent()).collect();
    let mut cookies: Vec<String> = reporters.iter().zip(&agents).map(|(r, a)| login(a, url, r[0], r[1])).collect();
    for a in &agents[reporters.len()..] {
        cookies.push(login(a, url, board_user[1], board_user[2]));
    }
    let bodies: Vec<(String, Vec<u8>)> = reporters.iter().map(|r| multipart(std::path::Path::new(r[2]), period)).collect();
    println!(
        "{clients} clients for {seconds} s: {} reporters (upload, own page, original), {reviewers} reviewers (boards, rollups)",
        reporters.len()
    );

    let start = Instant::now();
    let until = start + Duration::from_secs(seconds);
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|i| {
                let (agents, cookies, bodies) = (&agents, &cookies, &bodies);
                s.spawn(move || {
                    let mut t = Tally::default();
                    let (a, c) = (&agents[i], &cookies[i]);
                    let mut last_id = None;
                    let mut j = 0usize;
                    while Instant::now() < until {
                        let at = Instant::now();
                        if i < bodies.len() {
                            match j % 3 {
                                0 => {
                                    let (kind, body) = &bodies[i];
                                    let r = a
                                        .post(format!("{url}/api/uploads"))
                                        .header("Cookie", c)
                                        .header("Origin", url.as_str())
                                        .header("Content-Type", kind)
                                        .send(&body[..])
                                        .map_err(|e| e.to_string())
                                        .and_then(|mut res| {
                                            let status = res.status();
                                            let text = res.body_mut().read_to_string().map_err(|e| e.to_string())?;
                                            if status != 200 {
                                                return Err(format!("{status}: {}", text.chars().take(200).collect::<String>()));
                                            }
                                            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
                                            let id = v["submission"]["id"].as_i64().ok_or("no id")?;
                                            last_id = Some(id);
                                            t.acked.push(id);
                                            Ok(())
                                        });
                                    t.note("POST /api/uploads", at, r);
                                }
                                1 => t.note("GET /county (own page)", at, get_ok(a, &format!("{url}/county?period={period}"), c, "报表")),
                                _ => {
                                    if let Some(id) = last_id {
                                        let r = fetch(a, &format!("{url}/api/submissions/{id}/file"), c).map(|_| ());
                                        t.note("GET original (download)", at, r);
                                    }
                                }
                            }
                        } else {
                            match j % 4 {
                                0 => t.note(
                                    "GET city board",
                                    at,
                                    get_ok(a, &format!("{url}/city?period={period}&region={city}"), c, "报送情况"),
                                ),
                                1 => t.note(
                                    "GET province board",
                                    at,
                                    get_ok(a, &format!("{url}/city?period={period}&region={province}"), c, "各市上报情况"),
                                ),
                                2 => t.note(
                                    "GET city rollup (xlsx)",
                                    at,
                                    fetch(a, &format!("{url}/api/rollup?period={period}&region={city}"), c).map(|_| ()),
                                ),
                                _ => t.note(
                                    "GET province rollup (xlsx)",
                                    at,
                                    fetch(a, &format!("{url}/api/rollup?period={period}&region={province}"), c).map(|_| ()),
                                ),
                            }
                        }
                        j += 1;
                    }
                    t
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = start.elapsed();
    let mut names: Vec<&'static str> = tallies.iter().flat_map(|t| t.times.keys().chain(t.errors.keys()).copied()).collect();
    names.sort();
    names.dedup();
    let mut total = 0;
    let mut total_errors = 0;
    for name in names {
        let times: Vec<Duration> = tallies.iter().flat_map(|t| t.times.get(name).into_iter().flatten().copied()).collect();
        let errors: usize = tallies.iter().map(|t| t.errors.get(name).copied().unwrap_or(0)).sum();
        total += times.len();
        total_errors += errors;
        Stats {
            name: name.to_string(),
            times,
            errors,
            elapsed,
        }
        .print();
    }
    println!(
        "all requests: {total} answered in {:.0} s ({:.1}/s), {total_errors} wrong answers, {} tries with no connection (server down)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        tallies.iter().map(|t| t.unanswered).sum::<usize>()
    );

    // Every acknowledged upload, fetched back by its reporter.
    let mut acked = 0;
    let mut missing = Vec::new();
    for (i, t) in tallies.iter().enumerate().take(bodies.len()) {
        for id in &t.acked {
            acked += 1;
            if fetch(&agents[i], &format!("{url}/api/submissions/{id}/file"), &cookies[i]).is_err() {
                missing.push(*id);
            }
        }
    }
    println!(
        "uploads answered 200: {acked}; missing afterwards: {} {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
}
