//! The portal through HTTP: the real `yuebao serve` on a real port of 127.0.0.1, accounts made
//! with `yuebao user add`, and the JSON API as another program (or the browser) calls it.

mod admin;
mod annual;
mod browser;
mod chain;
mod ledger;
mod matrix;
mod pages;
mod tls;

use crate::support::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running `yuebao serve`; stopped when dropped.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the portal on the store in `data`, at a fixed `now` when given.
    pub fn start(data: &Path, extra: &[&str]) -> Server {
        Server::start_env(data, extra, &[])
    }

    /// As [`Server::start`], with these environment variables set.
    pub fn start_env(data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_yuebao"));
        cmd.args(["serve", "--data", s(data), "--listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("YUEBAO_DATA")
            .env_remove("YUEBAO_PROVINCE")
            .env_remove("YUEBAO_KEY_FILE")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().rsplit('：').next().unwrap().trim_end_matches('/').to_string();
        assert!(url.starts_with("http://127.0.0.1:") || url.starts_with("https://127.0.0.1:"), "{line}");
        Server { child, url }
    }
}

/// Runs `yuebao ARGS --password-stdin --data DATA` with `password` on its standard input.
pub fn with_password(data: &Path, args: &[&str], password: &str) -> std::process::Output {
    with_password_env(data, args, password, &[])
}

/// As [`with_password`], with these environment variables set.
pub fn with_password_env(data: &Path, args: &[&str], password: &str, env: &[(&str, &str)]) -> std::process::Output {
    let args = [args, &["--password-stdin", "--data", s(data)]].concat();
    yuebao_stdin(Path::new(env!("CARGO_MANIFEST_DIR")), &args, &format!("{password}\n"), env)
}

/// Adds an account with `yuebao user add … --password-stdin`.
pub fn add_user(data: &Path, name: &str, region: &str, role: &str, password: &str) {
    add_user_env(data, name, region, role, password, &[]);
}

/// As [`add_user`], with these environment variables set (`YUEBAO_PROVINCE` for another
/// installation).
pub fn add_user_env(data: &Path, name: &str, region: &str, role: &str, password: &str, env: &[(&str, &str)]) {
    // On a clock of its own, so that no entry depends on the day the test runs.
    let out = with_password_env(
        data,
        &["user", "add", name, "--region", region, "--role", role, "--now", "2026-11-01 08:00"],
        password,
        env,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// An HTTP answer: status, headers as (name, value), body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A client with at most one session cookie, as a browser tab keeps it.
pub struct Client {
    agent: ureq::Agent,
    pub base: String,
    pub cookie: Option<String>,
}

impl Client {
    pub fn new(server: &Server) -> Client {
        // Redirects are answers to look at (a page sends to /login, a form to its result).
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .build();
        Client {
            agent: config.into(),
            base: server.url.clone(),
            cookie: None,
        }
    }

    fn finish(res: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let mut res = res.unwrap();
        let headers = res
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        Answer {
            status: res.status().as_u16(),
            headers,
            body: res.body_mut().read_to_vec().unwrap(),
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        let mut r = self.agent.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            r = r.header("Cookie", c);
        }
        Client::finish(r.call())
    }

    /// A JSON POST as a script sends it: with the session cookie and this site's `Origin`.
    pub fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.post_json_from(path, body, Some(&self.base.clone()))
    }

    /// A POST as a page of `origin` would send it (None: no `Origin` header at all).
    pub fn post_json_from(&self, path: &str, body: &Value, origin: Option<&str>) -> Answer {
        let mut r = self.agent.post(format!("{}{path}", self.base)).header("Content-Type", "application/json");
        if let Some(c) = &self.cookie {
            r = r.header("Cookie", c);
        }
        if let Some(o) = origin {
            r = r.header("Origin", o);
        }
        Client::finish(r.send(body.to_string()))
    }

    /// A POST of `body` (typed `content_type`) with the session cookie and exactly these other
    /// headers: how another site's page, or a browser's own, would send it.
    pub fn post_raw(&self, path: &str, content_type: &str, body: &[u8], headers: &[(&str, &str)]) -> Answer {
        let mut r = self.agent.post(format!("{}{path}", self.base)).header("Content-Type", content_type);
        if let Some(c) = &self.cookie {
            r = r.header("Cookie", c);
        }
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        Client::finish(r.send(body))
    }

    /// Logs in; keeps the session cookie on success.
    pub fn login(&mut self, user: &str, password: &str) -> Answer {
        let a = self.post_json("/api/login", &serde_json::json!({"username": user, "password": password}));
        if a.status == 200 {
            let set = a.header("set-cookie").unwrap();
            self.cookie = Some(set.split(';').next().unwrap().to_string());
        }
        a
    }

    /// `POST /api/uploads` with the file and text fields, as a browser's form sends them.
    pub fn upload(&self, file: &Path, fields: &[(&str, &str)]) -> Answer {
        self.upload_to("/api/uploads", file, fields)
    }

    /// A form POST (`application/x-www-form-urlencoded`) as the browser sends it from a page of
    /// this site.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body: String = fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        let mut r = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Origin", &self.base);
        if let Some(c) = &self.cookie {
            r = r.header("Cookie", c);
        }
        Client::finish(r.send(body))
    }

    /// Keeps the session cookie a response sets.
    pub fn keep_cookie(&mut self, a: &Answer) {
        if let Some(set) = a.header("set-cookie") {
            self.cookie = Some(set.split(';').next().unwrap().to_string());
        }
    }

    /// A multipart POST of `file` and text fields to `path`.
    pub fn upload_to(&self, path: &str, file: &Path, fields: &[(&str, &str)]) -> Answer {
        let boundary = "----yuebao-test-boundary-7d1f";
        let mut body = Vec::new();
        for (k, v) in fields {
            write!(body, "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").unwrap();
        }
        let name = file.file_name().unwrap().to_string_lossy();
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .unwrap();
        body.extend_from_slice(&std::fs::read(file).unwrap());
        write!(body, "\r\n--{boundary}--\r\n").unwrap();
        let mut r = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
            .header("Origin", &self.base);
        if let Some(c) = &self.cookie {
            r = r.header("Cookie", c);
        }
        Client::finish(r.send(&body[..]))
    }
}

/// Percent-encoding for form bodies.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A store with the 临沂市 accounts of the tests: 兰山区 and 罗庄区 reporters, the city
/// reviewer, and the province reviewer.
pub fn accounts(data: &Path) {
    add_user(data, "lanshan", "兰山区", "reporter", "Ls-county-1");
    add_user(data, "luozhuang", "罗庄区", "reporter", "Lz-county-2");
    add_user(data, "hedong", "河东区", "reporter", "Hd-county-3");
    add_user(data, "linyi", "临沂市", "reviewer", "Ly-city-4");
    add_user(data, "shandong", "370000", "reviewer", "Sd-prov-5");
}

const NOW: &str = "2026-11-03 10:00";

#[test]
fn login_sets_a_strict_http_only_cookie_and_fails_plainly() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let server = Server::start(&data, &["--now", NOW]);
    let mut c = Client::new(&server);
    let a = c.login("lanshan", "Ls-county-1");
    assert_eq!(a.status, 200, "{}", a.text());
    let cookie = a.header("set-cookie").unwrap();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Secure") && !cookie.contains("__Host-"), "plain http on an intranet: {cookie}");
    assert_eq!(a.json()["user"]["region"], "371302");
    for h in ["content-security-policy", "x-content-type-options", "x-frame-options"] {
        assert!(a.header(h).is_some(), "{h}");
    }
    assert!(a.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(c.get("/api/me").json()["user"]["username"], "lanshan");

    // Wrong password: 401 in Chinese; the same for an unknown name.
    let mut other = Client::new(&server);
    let a = other.login("lanshan", "wrong-password");
    assert_eq!((a.status, a.json()["error"].as_str()), (401, Some("用户名或密码不正确")));
    assert_eq!(other.login("nobody", "whatever-pass").status, 401);

    // Logout ends the session: the old cookie no longer works.
    let old = c.cookie.clone();
    assert_eq!(c.post_json("/api/logout", &serde_json::json!({})).status, 200);
    c.cookie = old;
    let a = c.get("/api/me");
    assert_eq!(a.status, 401);
    assert!(a.json()["error"].as_str().unwrap().contains("请先登录"));

    // With --secure-cookie the cookie carries Secure.
    let secure = Server::start(&data, &["--now", NOW, "--secure-cookie"]);
    let a = Client::new(&secure).login("linyi", "Ly-city-4");
    assert!(a.header("set-cookie").unwrap().contains("; Secure"));
}

#[test]
fn logins_are_rate_limited_per_account() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let server = Server::start(&data, &["--now", NOW]);
    let mut c = Client::new(&server);
    for _ in 0..5 {
        assert_eq!(c.login("lanshan", "guess-guess").status, 401);
    }
    // Now even the right password waits.
    let a = c.login("lanshan", "Ls-county-1");
    assert_eq!(a.status, 429, "{}", a.text());
    assert!(a.json()["error"].as_str().unwrap().contains("分钟后再试"));
    // Another account is not held up.
    assert_eq!(c.login("linyi", "Ly-city-4").status, 200);
}

/// Clean, with errors, with warnings and then the same file with a 说明; the status the API
/// gives is the status the command line gives.
#[test]
fn uploads_answer_with_the_validation_and_the_verdict() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let server = Server::start(&data, &["--now", NOW]);
    let mut county = Client::new(&server);
    county.login("lanshan", "Ls-county-1");

    let clean = lanshan(&d.path().join("ok"), "2026-10", &lanshan_rows());
    let a = county.upload(&clean, &[]);
    assert_eq!(a.status, 200, "{}", a.text());
    let v = a.json();
    assert_eq!(
        (v["submission"]["status"].as_str(), v["submission"]["version"].as_i64()),
        (Some("accepted"), Some(1))
    );
    assert_eq!(v["submission"]["timeliness"], "按时");
    assert_eq!(v["file"]["region"], "371302");
    assert!(v["file"]["findings"].is_array());
    // One shape for one result: the API's submission is what `submit --format json` writes for
    // the same file, field for field (the id, the submitter and the arrival aside).
    let other = d.path().join("cli-data");
    let cli = json(&["submit", "--data", s(&other), "--now", NOW, "--by", "lanshan", s(&clean)]);
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&v["submission"]), keys(&cli[0]));
    for field in [
        "region",
        "region_name",
        "period",
        "version",
        "status",
        "timeliness",
        "due",
        "explains",
        "findings",
    ] {
        assert_eq!(v["submission"][field], cli[0][field], "{field}");
    }

    // Errors: stored, answered 200 with the findings.
    let mut rows = lanshan_rows();
    rows[1].1[2] = rows[1].1[1] + 50;
    let bad = lanshan(&d.path().join("bad"), "2026-10", &rows);
    let v = county.upload(&bad, &[]).json();
    assert_eq!(v["submission"]["status"], "rejected");
    assert!(v["file"]["findings"].as_array().unwrap().iter().any(|f| f["code"] == "E201"), "{v:#}");

    // September, then an October with a large change: held (待说明) until the same file comes
    // with a 说明.
    let sep = lanshan(&d.path().join("sep"), "2026-09", &lanshan_rows());
    let mut jump = lanshan_rows();
    for r in &mut jump {
        r.1[8] = r.1[8] * 3 / 2 + 40;
    }
    let nov = lanshan(&d.path().join("nov"), "2026-11", &jump);
    // A file for another month with the region taken from the account: the sheet names it.
    assert_eq!(county.upload(&sep, &[]).json()["submission"]["status"], "accepted");
    let oct2 = lanshan(&d.path().join("oct2"), "2026-10", &jump);
    let v = county.upload(&oct2, &[]).json();
    assert_eq!(v["submission"]["status"], "pending", "{v:#}");
    let v = county.upload(&oct2, &[("note", "10月集中举办技能培训")]).json();
    assert_eq!(
        (v["submission"]["status"].as_str(), v["submission"]["explains"].as_i64()),
        (Some("accepted"), Some(3))
    );
    // A file name beginning with '-' is data too (the reading child gets it as `--name=…`).
    let dashed = d.path().join("-兰山区-2026-11.xlsx");
    std::fs::copy(&nov, &dashed).unwrap();
    let v = county.upload(&dashed, &[]).json();
    assert_eq!(
        (v["file"]["format"].as_str(), v["file"]["period"].as_str()),
        (Some("xlsx"), Some("2026-11")),
        "{v:#}"
    );

    // The API's status is the command line's status, field for field.
    let api = county.get("/api/status?period=2026-10").json();
    let cli = json(&["status", "--data", s(&data), "--period", "2026-10", "--region", "371302", "--as-of", NOW]);
    assert_eq!(api, cli);
}

/// Return → the county sees the reason → resubmit → approve → a further upload is refused; the
/// city's rollup download reads back with the county's figures.
#[test]
fn a_month_between_the_county_and_the_city() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let server = Server::start(&data, &["--now", NOW]);
    let mut county = Client::new(&server);
    county.login("lanshan", "Ls-county-1");
    let mut city = Client::new(&server);
    city.login("linyi", "Ly-city-4");
    let f = lanshan(d.path(), "2026-10", &lanshan_rows());
    assert_eq!(county.upload(&f, &[]).json()["submission"]["status"], "accepted");

    let body = serde_json::json!({"region": "371302", "period": "2026-10", "reason": "第(5)栏与台账不符"});
    let a = city.post_json("/api/review/return", &body);
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["action"], "returned");
    let mine = county.get("/api/status?period=2026-10").json();
    assert_eq!(mine["regions"][0]["review"]["reason"], "第(5)栏与台账不符");
    assert_eq!(mine["regions"][0]["state"], "rejected");
    // The workflow's own judgement beside the old fields: returned, owed, chased with the reason.
    assert_eq!(mine["regions"][0]["standing"], serde_json::json!({"kind": "returned"}));
    assert_eq!((mine["counts"]["returned"].as_i64(), mine["counts"]["chase"].as_i64()), (Some(1), Some(1)));
    let reminder = mine["chase"][0]["reminder"].as_str().unwrap();
    assert!(reminder.contains("已被审核退回（第(5)栏与台账不符）"), "{reminder}");
    // A return needs a reason: 422, nothing stored.
    let a = city.post_json(
        "/api/review/return",
        &serde_json::json!({"region": "371302", "period": "2026-10", "reason": ""}),
    );
    assert_eq!(a.status, 422);

    assert_eq!(county.upload(&f, &[]).json()["submission"]["version"], 2);
    let a = city.post_json("/api/review/approve", &serde_json::json!({"region": "兰山区", "period": "2026-10"}));
    assert_eq!(a.status, 200, "{}", a.text());
    let mine = county.get("/api/status?period=2026-10").json();
    assert_eq!(mine["regions"][0]["standing"], serde_json::json!({"kind": "approved", "timeliness": "on_time"}));
    assert_eq!(mine["deadline"]["due"], "2026-11-05");
    let a = county.upload(&f, &[]);
    assert_eq!(a.status, 409, "{}", a.text());
    assert!(a.json()["error"].as_str().unwrap().contains("审核通过"));
    assert_eq!(history(&data, "371302", "2026-10").len(), 2, "nothing stored");

    // The rollup workbook, read back.
    let a = city.get("/api/rollup?period=2026-10");
    assert_eq!(a.status, 200, "{}", a.text());
    assert!(a.header("content-disposition").unwrap().contains("filename*=UTF-8''371300"));
    let path = d.path().join("汇总.xlsx");
    std::fs::write(&path, &a.body).unwrap();
    let (_, r) = crate::workbooks::first_sheet(&path);
    let want: Vec<Option<i64>> = (0..21).map(|k| Some(lanshan_rows().iter().map(|(_, v)| v[k]).sum())).collect();
    assert_eq!(crate::workbooks::values_of(&r, "兰山区"), want);

    // The original file comes back byte for byte.
    let a = county.get("/api/submissions/1/file");
    assert_eq!(a.status, 200);
    assert_eq!(a.body, std::fs::read(&f).unwrap());
}

/// A refusal that comes before the body is read (no session) still reaches the client whole,
/// also when the client is still sending a body larger than the socket's buffers.
#[test]
fn a_refused_upload_is_answered_not_cut_off() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let server = Server::start(&data, &["--now", NOW]);
    let big = d.path().join("371302-兰山区-2026-10.xlsx");
    std::fs::write(
        &big,
        (0..1_500_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect::<Vec<u8>>(),
    )
    .unwrap();
    for _ in 0..5 {
        let a = Client::new(&server).upload(&big, &[]);
        assert_eq!(a.status, 401, "{}", a.text());
        assert!(a.json()["error"].as_str().unwrap().contains("请先登录"));
    }
}

/// Who may ask what: a county against another county's status, upload, file and rollup; a
/// reporter against review actions; no cookie; an ended or idle session; another site's form.
/// Every refusal is 401 or 403 and carries nothing of the other region's data.
#[test]
fn the_scope_table() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let server = Server::start(&data, &["--now", NOW]);
    let mut luozhuang = Client::new(&server);
    luozhuang.login("luozhuang", "Lz-county-2");
    let lz_file = county_file(d.path(), "371311", "罗庄区", "2026-10", &luozhuang_rows());
    let v = luozhuang.upload(&lz_file, &[]).json();
    let lz_id = v["submission"]["id"].as_i64().unwrap();
    let lz_total = luozhuang_rows().iter().map(|(_, v)| v[0]).sum::<i64>().to_string();
    // The strings searched for below are really there, for the one who may see them.
    let own = luozhuang.get(&format!("/submissions/{lz_id}")).text();
    assert!(own.contains("罗庄街道") && own.contains(&lz_total), "{own}");

    let mut lanshan_c = Client::new(&server);
    lanshan_c.login("lanshan", "Ls-county-1");
    let anonymous = Client::new(&server);
    let review_body = serde_json::json!({"region": "371311", "period": "2026-10", "reason": "x"});
    let cases: Vec<(&str, &Client, Answer, u16)> = vec![
        (
            "county reads another county's status",
            &lanshan_c,
            lanshan_c.get("/api/status?period=2026-10&region=371311"),
            403,
        ),
        (
            "county reads its city's board",
            &lanshan_c,
            lanshan_c.get("/api/status?period=2026-10&region=371300"),
            403,
        ),
        ("county uploads another county's sheet", &lanshan_c, lanshan_c.upload(&lz_file, &[]), 403),
        (
            "county fetches another county's file",
            &lanshan_c,
            lanshan_c.get(&format!("/api/submissions/{lz_id}/file")),
            403,
        ),
        (
            "county downloads its city's rollup",
            &lanshan_c,
            lanshan_c.get("/api/rollup?period=2026-10&region=371300"),
            403,
        ),
        (
            "reporter returns a sheet",
            &lanshan_c,
            lanshan_c.post_json("/api/review/return", &review_body),
            403,
        ),
        (
            "reporter approves its own sheet",
            &lanshan_c,
            lanshan_c.post_json("/api/review/approve", &serde_json::json!({"region": "371302", "period": "2026-10"})),
            403,
        ),
        ("no cookie: status", &anonymous, anonymous.get("/api/status?period=2026-10&region=371311"), 401),
        ("no cookie: file", &anonymous, anonymous.get(&format!("/api/submissions/{lz_id}/file")), 401),
        ("no cookie: upload", &anonymous, anonymous.upload(&lz_file, &[]), 401),
        ("no cookie: rollup", &anonymous, anonymous.get("/api/rollup?period=2026-10&region=371300"), 401),
    ];
    for (what, _, a, want) in &cases {
        assert_eq!(a.status, *want, "{what}: {}", a.text());
        let body = a.text();
        assert!(a.json()["error"].is_string(), "{what}: {body}");
        for leak in [lz_total.as_str(), "罗庄街道", "371311-罗庄区-2026-10.xlsx"] {
            assert!(!body.contains(leak), "{what} leaks {leak}: {body}");
        }
    }
    assert_eq!(history(&data, "371311", "2026-10").len(), 1, "the refused upload stored nothing");

    // The city sees its counties; another city's reviewer would not (the province does).
    let mut city = Client::new(&server);
    city.login("linyi", "Ly-city-4");
    assert_eq!(city.get("/api/status?period=2026-10&region=371311").status, 200);
    assert_eq!(city.get("/api/status?period=2026-10&region=370100").status, 403);
    let mut province = Client::new(&server);
    province.login("shandong", "Sd-prov-5");
    assert_eq!(province.get("/api/status?period=2026-10&region=370100").status, 200);

    // Another site's page cannot act, even with the cookie a browser would attach.
    let a = city.post_json_from(
        "/api/review/approve",
        &serde_json::json!({"region": "371311", "period": "2026-10"}),
        Some("http://evil.example"),
    );
    assert_eq!(a.status, 403);
    // With the cookie and no word of where it comes from (an old browser that sends neither
    // Origin nor Referer and ignores SameSite): refused too.
    let a = city.post_json_from("/api/review/approve", &serde_json::json!({"region": "371311", "period": "2026-10"}), None);
    assert_eq!(a.status, 403, "{}", a.text());
    assert!(county(&status(&data, "2026-10", "371300", NOW), "371311")["review"].is_null());
    // A county does not see its city's sheet through the cities' listing.
    assert_eq!(lanshan_c.get("/api/status?period=2026-10&level=city").status, 403);
    // axum's own refusals come in Chinese.
    let a = city.get("/api/status");
    assert_eq!(a.status, 400);
    assert!(a.json()["error"].as_str().unwrap().contains("请求内容不完整"), "{}", a.text());
    let a = city.get("/no-such-page");
    assert_eq!(a.status, 404);
    assert!(a.text().contains("没有这个网址"));

    // An idle session (30 minutes without a request) has ended.
    let conn = rusqlite::Connection::open(data.join("yuebao.sqlite3")).unwrap();
    conn.execute("UPDATE sessions SET last_seen = '2026-11-03T09:00:00+08:00'", []).unwrap();
    drop(conn);
    assert_eq!(city.get("/api/status?period=2026-10").status, 401);
}

#[test]
fn uploads_over_the_size_limit_are_refused_before_anything_is_stored() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let server = Server::start(&data, &["--now", NOW, "--max-file-mb", "1"]);
    let mut c = Client::new(&server);
    c.login("lanshan", "Ls-county-1");
    let big = d.path().join("371302-兰山区-2026-10.csv");
    std::fs::write(&big, vec![b'1'; (1 << 20) + 10]).unwrap();
    let a = c.upload(&big, &[]);
    assert_eq!(a.status, 413, "{}", a.text());
    assert!(a.json()["error"].as_str().unwrap().contains("上限"));
    let empty = d.path().join("空.xlsx");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(c.upload(&empty, &[]).status, 400);
    assert!(!data.join("yuebao.sqlite3").exists() || history(&data, "371302", "2026-10").is_empty());
}
