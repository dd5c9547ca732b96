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
";

/// The id of the newest upload of `region` for October, if any.
fn newest(data: &Path, region: &str) -> Option<i64> {
    history(data, region, "2026-10").last().map(|v| v["id"].as_i64().unwrap())
}

/// A region's name, and the file-name prefix of its sheets: what must not leak.
fn markers(region: &str) -> Vec<String> {
    let name = match region {
        "371302" => "兰山区",
        "371311" => "罗庄区",
        "371300" => "临沂市",
        "370200" => "青岛市",
        "370000" => "山东省",
        other => panic!("no name for {other}"),
    };
    vec![name.to_string(), format!("{region}-{name}")]
}

fn outcome(a: &Answer) -> char {
    match a.status {
        401 => 'L',
        403 => 'D',
        303 | 302 | 307 if a.header("location") == Some("/login") => 'L',
        303 | 302 | 307 => 'R',
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

    let subs: std::collections::HashMap<&str, Option<i64>> = ["371302", "371311", "371300", "370200", "370000"]
        .into_iter()
        .map(|r| (r, newest(&data, r)))
        .collect();
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
                    ("POST", "/review") => c.post_form(&path, &[("region", region), ("period", "2026-10"), ("action", "unlock"), ("reason", "核对")]),
                    ("POST", "/remind") => c.post_form(&path, &[("region", region), ("period", "2026-10")]),
                    _ => panic!("no way to call {method} {template}"),
                };
                cases += 1;
                let got = outcome(&a);
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
                if (rel == 1 || rel == 2 || no_figures || signed_out) && region != "370000" {
                    let body = a.text();
                    for m in markers(region) {
                        if body.contains(&m) {
                            leaks.push(format!("{method} {path} as {label}: “{m}” in {}", body.chars().take(200).collect::<String>()));
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
