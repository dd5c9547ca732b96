//! The register in the portal: every new page and endpoint × every role, and no answer to an
//! account without the grant carries a whole 身份证号 or phone number; the granted account sees
//! one card in full and exports the list with a reason, both audited.

use super::*;

const NOW_L: &str = "2026-11-03 10:00";

/// Every run of 18 characters that is a 身份证号 (17 digits and a digit or X, not inside a
/// longer number), and every 11-digit mobile number.
fn numbers_in(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let digit = |i: usize| chars.get(i).is_some_and(|c| c.is_ascii_digit());
    let mut i = 0;
    while i < chars.len() {
        if digit(i) && (i == 0 || !digit(i - 1)) {
            let mut j = i;
            while digit(j) {
                j += 1;
            }
            let run: String = chars[i..j].iter().collect();
            let x = chars.get(j).is_some_and(|c| *c == 'X' || *c == 'x');
            if run.len() == 17 && x {
                out.push(format!("{run}X"));
            } else if run.len() == 18 || (run.len() == 11 && run.starts_with('1')) {
                out.push(run);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn the_register_pages_answer_each_role_and_show_no_number_without_the_grant() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    add_user(&data, "lanshan-hz", "兰山区", "reporter", "Ls-grant-9x");
    add_user(&data, "ly-admin", "临沂市", "admin", "Admin-ly-1");
    add_user(&data, "ly-sec", "临沂市", "secadmin", "Secure-ly-1");
    add_user(&data, "ly-aud", "临沂市", "auditor", "Audit-ly-1");
    add_user(&data, "linyi-hz", "临沂市", "reviewer", "Ly-grant-9x");
    let (_, register) = sample_register(d.path(), "371302", "兰山区", "2026-10");
    let key = d.path().join("keys").join("personal.key");
    std::fs::create_dir_all(key.parent().unwrap()).unwrap();
    // The key is made by a first import on the command line, then given to the portal.
    let run = yuebao_env(
        d.path(),
        &["ledger", "import", s(&register), "--region", "371302", "--data", s(&data), "--now", NOW_L],
        &[("XDG_CONFIG_HOME", s(&d.path().join("keys-home")))],
    );
    ok(&run);
    std::fs::rename(d.path().join("keys-home").join("yuebao").join("personal.key"), &key).unwrap();
    // The administrator grants one 兰山区 reporter the sight of the cards, and one 临沂市
    // reviewer that of the cards of the counties under the city; a city's administrator cannot
    // be granted it.
    ok(&yuebao(&["user", "grant", "lanshan-hz", "--data", s(&data), "--now", NOW_L]));
    ok(&yuebao(&["user", "grant", "linyi-hz", "--data", s(&data), "--now", NOW_L]));
    let run = yuebao(&["user", "grant", "ly-admin", "--data", s(&data), "--now", NOW_L]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("只有县区的填报、审核账号和市、省的审核账号"), "{}", run.stderr);

    let server = Server::start(&data, &["--now", NOW_L, "--key-file", s(&key)]);
    let who: &[(&str, Option<(&str, &str)>)] = &[
        ("county", Some(("lanshan", "Ls-county-1"))),
        ("county granted", Some(("lanshan-hz", "Ls-grant-9x"))),
        ("other county", Some(("luozhuang", "Lz-county-2"))),
        ("city", Some(("linyi", "Ly-city-4"))),
        ("city granted", Some(("linyi-hz", "Ly-grant-9x"))),
        ("province", Some(("shandong", "Sd-prov-5"))),
        ("admin", Some(("ly-admin", "Admin-ly-1"))),
        ("secadmin", Some(("ly-sec", "Secure-ly-1"))),
        ("auditor", Some(("ly-aud", "Audit-ly-1"))),
        ("no session", None),
    ];
    let mut clients = Vec::new();
    for (label, login) in who {
        let mut c = Client::new(&server);
        if let Some((u, p)) = login {
            let a = c.login(u, p);
            assert_eq!(a.status, 200, "{label}: {}", a.text());
        }
        clients.push(c);
    }
    let people = clients[0].get("/ledger");
    assert_eq!(people.status, 200);
    let page = people.text();
    let person = page.split("name=\"person\" value=\"").nth(1).map(|s| s.split('"').next().unwrap().to_string());
    assert!(person.is_none(), "no unmask button without the grant");
    let granted = clients[1].get("/ledger").text();
    let person: String = granted
        .split("name=\"person\" value=\"")
        .nth(1)
        .expect("an unmask button for the granted account")
        .split('"')
        .next()
        .unwrap()
        .to_string();

    // The granted city account lists 兰山区's persons (masked), with the same buttons.
    let listed = clients[4].get("/ledger?county=371302").text();
    assert!(
        listed.contains("371302********") && listed.contains("name=\"county\" value=\"371302\""),
        "{listed}"
    );
    assert!(!clients[3].get("/ledger").text().contains("列出人员"), "no county list without the grant");

    // Outcome per role, in `who`'s order: A answered, D refused (403), L sign in. The forms
    // marked `county` name 兰山区, as a city's or the province's account sends them.
    let table: &[(&str, &str, &str)] = &[
        ("GET", "/ledger", "A A A A A A A D D L"),
        ("GET", "/ledger?county=371302", "A A A D A D D D D L"),
        ("GET", "/ledger?county=370102", "A A A D D D D D D L"),
        ("GET", "/ledger/sheet?period=2026-10", "A A N D D D D D D L"),
        ("POST", "/ledger/unmask", "D A D D D D D D D L"),
        ("POST", "/ledger/unmask county", "D A D D A D D D D L"),
        ("POST", "/ledger/export", "D A D D D D D D D L"),
        ("POST", "/ledger/export county", "D A D D A D D D D L"),
        ("POST", "/ledger/upload", "A A A D D D D D D L"),
    ];
    let mut answers = Vec::new();
    for (method, path, want) in table {
        let want: Vec<&str> = want.split(' ').collect();
        for (i, c) in clients.iter().enumerate() {
            let (path, county) = match path.split_once(' ') {
                Some((p, _)) => (p, vec![("county", "371302")]),
                None => (*path, vec![]),
            };
            let a = match (*method, path) {
                ("GET", p) => c.get(p),
                ("POST", "/ledger/unmask") => c.post_form(path, &[&[("person", person.as_str())][..], &county[..]].concat()),
                ("POST", "/ledger/export") => c.post_form(path, &[&[("reason", "入户核实")][..], &county[..]].concat()),
                _ => c.upload_to(path, &register, &[]),
            };
            let got = match a.status {
                401 => "L",
                303 if a.header("location").is_some_and(|l| l.starts_with("/login")) => "L",
                403 => "D",
                404 => "N",
                s if s < 400 || s == 422 => "A",
                _ => "?",
            };
            assert_eq!(got, want[i], "{method} {path} as {}: {} {}", who[i].0, a.status, a.text());
            answers.push((i, a));
        }
    }
    // No answer to an account without the grant carries a whole number or phone; the
    // granted account's card does.
    let mut leaks = Vec::new();
    let mut seen_full = [false, false];
    for (i, a) in &answers {
        let text = if a.body.starts_with(b"PK") {
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&a.body)).unwrap();
            let mut t = String::new();
            for k in 0..zip.len() {
                use std::io::Read;
                let _ = zip.by_index(k).unwrap().read_to_string(&mut t);
            }
            t
        } else {
            a.text()
        };
        let found = numbers_in(&text);
        if *i == 1 || *i == 4 {
            seen_full[usize::from(*i == 4)] |= !found.is_empty();
        } else if !found.is_empty() {
            leaks.push(format!("{}: {:?}", who[*i].0, &found[..found.len().min(3)]));
        }
    }
    assert!(leaks.is_empty(), "numbers shown without the grant: {leaks:?}");
    assert_eq!(
        seen_full,
        [true, true],
        "the granted accounts see the card in full (the scan would find a number)"
    );
    // Both sights of personal information are in the audit log, with the export's reason, and
    // the log names the person only masked.
    let log = yuebao(&["audit", "--data", s(&data), "--format", "json"]);
    ok(&log);
    assert!(
        log.stdout.contains("查看兰山区（371302）台账第") && log.stdout.contains("理由：入户核实"),
        "{}",
        log.stdout
    );
    assert!(log.stdout.contains("授权账号“lanshan-hz”查看台账个人信息"));
    assert!(log.stdout.contains("授权账号“linyi-hz”查看台账个人信息"));
    // (Its digests are hexadecimal and may hold long runs of digits: the register's own
    // numbers are looked for.)
    let persons = register_numbers(&register);
    assert!(persons.len() > 1000);
    let found: Vec<&String> = persons.iter().filter(|n| log.stdout.contains(n.as_str())).collect();
    assert!(found.is_empty(), "the audit log holds {found:?}");
}

/// Every 身份证号 and phone number of a register workbook.
fn register_numbers(path: &std::path::Path) -> Vec<String> {
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(path).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let head = rows.iter().find(|r| r.iter().any(|c| c == "身份证号码")).unwrap().clone();
    let cols: Vec<usize> = ["身份证号码", "联系电话"].iter().map(|h| head.iter().position(|c| c == h).unwrap()).collect();
    rows.iter()
        .flat_map(|r| cols.iter().filter_map(|&c| r.get(c).cloned()))
        .filter(|v| v.len() >= 11 && v.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .collect()
}
