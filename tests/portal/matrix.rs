//! The full role matrix, generated from one table: every endpoint and page × every role
//! (county reporter, city reviewer, province reviewer, 系统管理员, 安全管理员, 审计员, a
//! disabled account, no session) × own region / sibling / parent / child. The expected outcome
//! of each case is written in the table; any response to a region outside the account's scope
//! must not carry that region's name or its file names. The test prints the count of cases and
//! of leaks.

use super::*;
use std::path::PathBuf;

const NOW_M: &str = "2026-11-03 10:00";

/// The accounts and the regions each is tried against: (label, user, password, [own, sibling,
/// parent, child]) — None where the relation does not exist.
type Account = (&'static str, Option<(&'static str, &'static str)>, [Option<&'static str>; 4]);
const WHO: &[Account] = &[
    (
        "county reporter",
        Some(("lanshan", "Ls-county-1")),
        [Some("371302"), Some("371311"), Some("371300"), None],
    ),
    (
        "city reviewer",
        Some(("linyi", "Ly-city-4")),
        [Some("371300"), Some("370200"), Some("370000"), Some("371302")],
    ),
    (
        "province reviewer",
        Some(("shandong", "Sd-prov-5")),
        [Some("370000"), None, None, Some("371300")],
    ),
    (
        "admin",
        Some(("ly-admin", "Admin-ly-1")),
        [Some("371300"), Some("370200"), Some("370000"), Some("371302")],
    ),
    (
        "secadmin",
        Some(("ly-sec", "Secure-ly-1")),
        [Some("371300"), Some("370200"), Some("370000"), Some("371302")],
    ),
    (
        "auditor",
        Some(("ly-aud", "Audit-ly-1")),
        [Some("371300"), Some("370200"), Some("370000"), Some("371302")],
    ),
    ("disabled", Some(("gone", "Bye-user-1x")), [Some("371302"), Some("371311"), None, None]),
    ("no session", None, [Some("371302"), Some("371311"), None, None]),
];

/// Endpoint × (role, relation). Outcomes: A allowed (answered: 2xx, or 400/409/422 about the
/// request itself), D refused (403), R sent to the account's own page (303 elsewhere than the
/// login), L not signed in (401, or 303 to /login), X no such case (no region there, or no
/// upload of that region). Cells follow WHO: county own sib par | city own sib par chi |
/// province own chi | admin own sib par chi | secadmin … | auditor … | disabled own sib |
/// none own sib.
const TABLE: &str = "
GET  /api/status?period=2026-10&region={R}      | A D D   | A D D A | A A | A D D A | D D D D | D D D D | L L | L L
GET  /api/rollup?period=2026-10&region={R}      | A D D   | A D D A | A A | A D D A | D D D D | D D D D | L L | L L
GET  /api/submissions/{SUB}/file                | A D D   | A D X A | X A | A D X A | D D X D | D D X D | L L | L L
POST /api/review/unlock                         | D D D   | D D D A | D A | D D D A | D D D D | D D D D | L L | L L
POST /api/report                                | A D D   | A D D A | A A | A D D A | D D D D | D D D D | L L | L L
POST /api/uploads                               | A D X   | X X X A | X X | X X X A | X X X D | X X X D | L L | L L
GET  /api/audit?region={R}                      | D D D   | D D D D | A A | A A A A | A A A A | A A A A | L L | L L
GET  /city?period=2026-10&region={R}            | R R D   | A D D R | A A | A D D R | D D D R | D D D R | L L | L L
GET  /city/{R}?period=2026-10                   | R R R   | A D D A | A A | A D D A | D D D D | D D D D | L L | L L
GET  /year?region={R}&year=2026                 | A D D   | A D D A | A A | A D D A | D D D D | D D D D | L L | L L
GET  /annual?region={R}&year=2026               | A D D   | A D D A | A A | A D D A | D D D D | D D D D | L L | L L
GET  /rollup?period=2026-10&region={R}          | A D D   | A D D A | A A | A D D A | D D D D | D D D D | L L | L L
GET  /submissions/{SUB}/original                | A D D   | A D X A | X A | A D X A | D D X D | D D X D | L L | L L
POST /review                                    | D D D   | D D D A | D A | D D D A | D D D D | D D D D | L L | L L
POST /remind                                    | D D D   | D D D A | D A | D D D A | D D D D | D D D D | L L | L L
GET  /users                                     | D X X   | D X X X | D X | A X X X | A X X X | D X X X | L X | L X
GET  /audit?region={R}                          | D D D   | D D D D | A A | A A A A | A A A A | A A A A | L L | L L
GET  /county?period=2026-10                     | A X X   | R X X X | R X | R X X X | R X X X | R X X X | L X | L X
GET  /template?period=2026-10&region={R}        | A D D   | A D D A | A A | A D D A | D D D D | D D D D | L L | L L
POST /upload                                    | A D X   | X X X A | X X | X X X A | X X X D | X X X D | L L | L L
GET  /submissions/{SUB}                         | A D D   | A D X A | X A | A D X A | D D X D | D D X D | L L | L L
GET  /submissions/{SUB}/annotated               | A D D   | A D X A | X A | A D X A | D D X D | D D X D | L L | L L
POST /submissions/{SUB}/explain                 | A D D   | A D X A | X A | A D X A | D D X D | D D X D | L L | L L
POST /report                                    | A D D   | A D D A | A A | A D D A | D D D D | D D D D | L L | L L
GET  /annual/download?region={R}&year=2026      | A D D   | A D D A | A A | A D D A | D D D D | D D D D | L L | L L
POST /users                                     | D D D   | D D D D | D D | A D D A | A D D A | D D D D | L L | L L
POST /users/{U}/enable                          | D D D   | D D D D | D D | A D D A | A D D A | D D D D | L L | L L
POST /users/contacts                            | D D D   | D D D D | D D | A D D A | A D D A | D D D D | L L | L L
POST /password                                  | A X X   | A X X X | A X | A X X X | A X X X | A X X X | L X | L X
GET  /api/me                                    | A X X   | A X X X | A X | A X X X | A X X X | A X X X | L X | L X
POST /api/password                              | A X X   | A X X X | A X | A X X X | A X X X | A X X X | L X | L X
POST /logout                                    | L X X   | L X X X | L X | L X X X | L X X X | L X X X | L X | L X
";

/// What must not reach an account about a region outside its scope: names and codes (in text,
/// in file names, in `Content-Disposition`), township names, and figures.
#[derive(Debug, Clone)]
enum Marker {
    Text(String),
    Figure(i64),
}

/// The townships of a county's sample sheet and its 合计 of column (1).
fn sheet_markers(file: &Path) -> Vec<Marker> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(file).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let mut out = Vec::new();
    let mut in_table = false;
    for row in range.rows() {
        let first = row.first().map(|c| c.to_string()).unwrap_or_default();
        let label = row.get(1).map(|c| c.to_string()).unwrap_or_default();
        if first.starts_with('合') {
            let total = row.get(2).and_then(|c| c.to_string().parse::<f64>().ok()).unwrap() as i64;
            // A figure that could pass for a year or an id would be found where it is not.
            if total >= 10_000 || !(1990..=2100).contains(&total) && total >= 1000 {
                out.push(Marker::Figure(total));
            }
            break;
        }
        let header = label == "甲";
        if in_table && !label.is_empty() {
            out.push(Marker::Text(label));
        }
        in_table |= header;
    }
    assert!(out.len() >= 2, "townships of {}: {out:?}", file.display());
    out
}

/// The text of an answer as someone could read it: the body, or for a workbook (a zip) every
/// part of it; and every header (a file name in `Content-Disposition` percent-decoded).
fn readable(a: &Answer) -> String {
    let mut text = String::new();
    if a.body.starts_with(b"PK") {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&a.body)).expect("a workbook");
        for i in 0..zip.len() {
            let mut part = zip.by_index(i).unwrap();
            let mut s = String::new();
            use std::io::Read;
            let _ = part.read_to_string(&mut s);
            text.push_str(&s);
        }
    } else {
        text.push_str(&String::from_utf8_lossy(&a.body));
    }
    for (k, v) in &a.headers {
        text.push_str(&format!("\n{k}: {}", percent_decode(v)));
    }
    text
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(x) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(x);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `text` carries `m`: a name anywhere, a figure as a whole number.
fn carries(text: &str, m: &Marker) -> bool {
    match m {
        Marker::Text(t) => text.contains(t.as_str()),
        Marker::Figure(n) => {
            let n = n.to_string();
            text.match_indices(&n).any(|(i, _)| {
                let before = text[..i].chars().next_back();
                let after = text[i + n.len()..].chars().next();
                !before.is_some_and(|c| c.is_ascii_digit() || c == '.') && !after.is_some_and(|c| c.is_ascii_digit() || c == '.')
            })
        }
    }
}

/// The id of the newest upload of `region` for October, if any.
fn newest(data: &Path, region: &str) -> Option<i64> {
    history(data, region, "2026-10").last().map(|v| v["id"].as_i64().unwrap())
}

/// A region's name and the file-name prefix of its sheets, with `sheets`' townships and
/// figures (a county's own; for a city or the province, those of a county under it the account
/// may not see).
fn markers(region: &str, sheets: &std::collections::HashMap<&str, Vec<Marker>>) -> Vec<Marker> {
    let (name, inside): (&str, &[&str]) = match region {
        "371302" => ("兰山区", &["371302"]),
        "371311" => ("罗庄区", &["371311"]),
        // A county's city: the other counties' figures.
        "371300" => ("临沂市", &["371311"]),
        "370200" => ("青岛市", &["370202"]),
        // The province: the other cities' (its own name is on every form's title).
        "370000" => ("山东省", &["370202", "370200"]),
        other => panic!("no name for {other}"),
    };
    let mut out = vec![Marker::Text(format!("{region}-{name}"))];
    if region != "370000" {
        out.push(Marker::Text(name.to_string()));
    }
    for r in inside {
        match *r {
            "370200" => out.extend([Marker::Text("青岛市".into()), Marker::Text("市南区".into())]),
            r => out.extend(sheets[r].iter().cloned()),
        }
    }
    out
}

fn outcome(method: &str, a: &Answer) -> char {
    match a.status {
        401 => 'L',
        403 => 'D',
        303 | 302 | 307 if a.header("location").is_some_and(|l| l.starts_with("/login")) => 'L',
        // A form done is sent on to its result.
        303 | 302 | 307 if method == "POST" => 'A',
        303 | 302 | 307 => 'R',
        // An account outside one's scope is answered as if it did not exist.
        400 if a.text().contains("没有用户") => 'D',
        _ if a.status < 300 || [400, 409, 422].contains(&a.status) => 'A',
        _ => '?',
    }
}

#[test]
fn every_endpoint_every_role_every_relation() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    add_user(&data, "ly-admin", "临沂市", "admin", "Admin-ly-1");
    add_user(&data, "ly-sec", "临沂市", "secadmin", "Secure-ly-1");
    add_user(&data, "ly-aud", "临沂市", "auditor", "Audit-ly-1");
    add_user(&data, "gone", "兰山区", "reporter", "Bye-user-1x");
    add_user(&data, "qd-rev", "青岛市", "reviewer", "Qd-city-7x");
    // October: 临沂市's and 青岛市's counties, and each city's own sheet (its rollup).
    for city in ["371300", "370200"] {
        let files = d.path().join(city);
        ok(&yuebao(&["sample", "--period", "2026-10", "--region", city, "-o", s(&files), "-q"]));
        let run = yuebao(&["submit", "--data", s(&data), "--now", NOW_M, "--received-at", "2026-11-02 09:00", s(&files)]);
        assert!(run.code <= 1, "{}", run.stderr);
        let out = d.path().join(format!("{city}-rollup"));
        ok(&yuebao(&[
            "rollup",
            "--data",
            s(&data),
            "--period",
            "2026-10",
            "--region",
            city,
            "-o",
            s(&out),
            "--now",
            NOW_M,
        ]));
        let sheet = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains(city))
            .unwrap();
        let run = yuebao(&["submit", "--data", s(&data), "--now", NOW_M, "--received-at", "2026-11-02 12:00", s(&sheet)]);
        assert!(run.code <= 1, "{}", run.stderr);
    }
    let server = Server::start(&data, &["--now", NOW_M]);
    let mut clients = Vec::new();
    for (label, login, _) in WHO {
        let mut c = Client::new(&server);
        if let Some((u, p)) = login {
            let a = c.login(u, p);
            assert_eq!(a.status, 200, "{label}: {}", a.text());
        }
        clients.push(c);
    }
    // The disabled account had a session; disabling it ends the session.
    ok(&yuebao(&["user", "disable", "gone", "--data", s(&data)]));
    let upload_file = |region: &str| -> Option<PathBuf> {
        let name = match region {
            "371302" => "371302-兰山区-2026-10.xlsx",
            "371311" => "371311-罗庄区-2026-10.xlsx",
            _ => return None,
        };
        Some(d.path().join("371300").join(name))
    };

    // The account of each region a manager may try to act on.
    let account_of = |region: &str| match region {
        "371302" => "lanshan",
        "371311" => "luozhuang",
        "371300" => "linyi",
        "370200" => "qd-rev",
        "370000" => "shandong",
        other => panic!("no account in {other}"),
    };
    let sheets: std::collections::HashMap<&str, Vec<Marker>> = [
        ("371302", "371300/371302-兰山区-2026-10.xlsx"),
        ("371311", "371300/371311-罗庄区-2026-10.xlsx"),
        ("370202", "370200/370202-市南区-2026-10.xlsx"),
    ]
    .into_iter()
    .map(|(r, f)| (r, sheet_markers(&d.path().join(f))))
    .collect();
    let subs: std::collections::HashMap<&str, Option<i64>> = ["371302", "371311", "371300", "370200", "370000"]
        .into_iter()
        .map(|r| (r, newest(&data, r)))
        .collect();
    // The search would see a leak: what an account may see carries the same markers, found
    // inside the workbook's parts and in the file name of `Content-Disposition`.
    let city = &clients[1];
    let own = city.get("/rollup?period=2026-10&region=371300");
    assert_eq!(own.status, 200);
    let text = readable(&own);
    let figure = sheets["371311"].iter().find(|m| matches!(m, Marker::Figure(_))).expect("罗庄区's total");
    for m in [&Marker::Text("罗庄区".into()), figure] {
        assert!(carries(&text, m), "{m:?} not found in the city's own rollup");
    }
    let annotated = city.get(&format!("/submissions/{}/annotated", subs["371311"].unwrap()));
    assert_eq!(annotated.status, 200);
    let text = readable(&annotated);
    for m in &sheets["371311"] {
        assert!(carries(&text, m), "{m:?} not found in 罗庄区's annotated copy");
    }
    let blank = city.get("/template?period=2026-10&region=371311");
    assert!(
        blank.header("content-disposition").is_some_and(|h| !h.contains("罗庄区")),
        "the name is percent-encoded there"
    );
    assert!(carries(&readable(&blank), &Marker::Text("371311-罗庄区".into())));
    let (mut cases, mut leaks, mut wrong) = (0, Vec::new(), Vec::new());
    for line in TABLE.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        let (method, template) = cols[0].split_once(char::is_whitespace).map(|(m, p)| (m, p.trim())).unwrap();
        let expected: Vec<char> = cols[1..].iter().flat_map(|g| g.split_whitespace()).map(|x| x.chars().next().unwrap()).collect();
        // The cells in WHO order: as many per account as it has relations written.
        let widths = [3, 4, 2, 4, 4, 4, 2, 2];
        assert_eq!(expected.len(), widths.iter().sum::<usize>(), "{line}");
        let mut at = 0;
        for (k, (label, _, targets)) in WHO.iter().enumerate() {
            let relations: Vec<(usize, Option<&str>)> = match widths[k] {
                3 => vec![(0, targets[0]), (1, targets[1]), (2, targets[2])],
                2 if k == 2 => vec![(0, targets[0]), (3, targets[3])],
                2 => vec![(0, targets[0]), (1, targets[1])],
                _ => (0..4).map(|i| (i, targets[i])).collect(),
            };
            for (rel, region) in relations {
                let want = expected[at];
                at += 1;
                let Some(region) = region else {
                    assert_eq!(want, 'X', "{line}: {label} has no such relation");
                    continue;
                };
                let sub = subs[region];
                if want == 'X' {
                    continue;
                }
                let path = template
                    .replace("{R}", region)
                    .replace("{U}", account_of(region))
                    .replace("{SUB}", &sub.map(|i| i.to_string()).unwrap_or_default());
                let c = &clients[k];
                let a = match (method, template) {
                    ("GET", _) => c.get(&path),
                    ("POST", "/api/review/unlock") => c.post_json(&path, &serde_json::json!({"region": region, "period": "2026-10", "reason": "核对"})),
                    ("POST", "/api/report") => c.post_json(&path, &serde_json::json!({"region": region, "period": "2026-10"})),
                    ("POST", "/api/uploads") => match upload_file(region) {
                        Some(f) => c.upload(&f, &[("region", region), ("period", "2026-10")]),
                        None => panic!("{line}: no file for {region}"),
                    },
                    ("POST", "/upload") => match upload_file(region) {
                        Some(f) => c.upload_to("/upload", &f, &[("region", region), ("period", "2026-10")]),
                        None => panic!("{line}: no file for {region}"),
                    },
                    ("POST", "/submissions/{SUB}/explain") => c.post_form(&path, &[("note", "数据已核实")]),
                    ("POST", "/report") => c.post_form(&path, &[("region", region), ("period", "2026-10"), ("note", "已核实")]),
                    ("POST", "/users") => c.post_form(
                        &path,
                        &[
                            ("username", &format!("mx-{k}-{rel}")),
                            ("region", region),
                            ("role", "reviewer"),
                            ("password", "Matrix-pw-91"),
                        ],
                    ),
                    ("POST", "/users/{U}/enable") => c.post_form(&path, &[]),
                    ("POST", "/users/contacts") => c.post_form(
                        &path,
                        &[("region", region), ("name", "王芳"), ("email", &format!("mx-{k}-{rel}@county.example"))],
                    ),
                    ("POST", "/password") => c.post_form(
                        &path,
                        &[("current", "not-the-password"), ("password", "New-pass-word-1"), ("confirm", "New-pass-word-1")],
                    ),
                    ("POST", "/api/password") => c.post_json(&path, &serde_json::json!({"current": "not-the-password", "new": "New-pass-word-1"})),
                    ("POST", "/logout") => c.post_form(&path, &[]),
                    ("POST", "/review") => c.post_form(&path, &[("region", region), ("period", "2026-10"), ("action", "unlock"), ("reason", "核对")]),
                    ("POST", "/remind") => c.post_form(&path, &[("region", region), ("period", "2026-10")]),
                    _ => panic!("no way to call {method} {template}"),
                };
                cases += 1;
                let got = outcome(method, &a);
                let relation = ["own", "sibling", "parent", "child"][rel];
                if got != want {
                    wrong.push(format!(
                        "{method} {path} as {label} ({relation} {region}): want {want}, got {got} ({}) {}",
                        a.status,
                        a.text().chars().take(160).collect::<String>()
                    ));
                }
                // Outside its scope — a sibling or a parent; the regions below an account that
                // sees no figures; any region without a session — an answer must not carry the
                // region's name or file names. (An account's own region names the account.)
                let no_figures = ["secadmin", "auditor"].contains(label) && rel == 3 && got != 'A';
                let signed_out = ["disabled", "no session"].contains(label);
                if rel == 1 || rel == 2 || no_figures || signed_out {
                    let text = readable(&a);
                    for m in markers(region, &sheets) {
                        if carries(&text, &m) {
                            let at = match &m {
                                Marker::Text(t) => text.find(t.as_str()).unwrap_or(0),
                                Marker::Figure(_) => 0,
                            };
                            let from = text.floor_char_boundary(at.saturating_sub(120));
                            let to = text.ceil_char_boundary((at + 120).min(text.len()));
                            leaks.push(format!("{method} {path} as {label}: {m:?} in …{}…", &text[from..to]));
                        }
                    }
                }
            }
        }
    }
    println!("角色矩阵：{cases} 个用例，{} 处与预期不符，{} 处泄露", wrong.len(), leaks.len());
    assert!(wrong.is_empty(), "{} cases differ from the table:\n{}", wrong.len(), wrong.join("\n"));
    assert!(leaks.is_empty(), "{} leaks:\n{}", leaks.len(), leaks.join("\n"));
    assert!(cases > 300, "{cases}");
}
