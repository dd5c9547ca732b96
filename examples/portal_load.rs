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
            "province page (136 counties)",
            "各市县区报送",
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
