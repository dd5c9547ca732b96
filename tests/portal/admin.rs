//! The audit trail and the account lifecycle, through the portal and the command line: every
//! action leaves an entry, the hash chain catches a row deleted or edited with the sqlite3 tool,
//! the separated roles (安全管理员, 审计员) see only their part, a password an administrator set
//! is changed at first login, password rules and the lockout hold.

use super::*;
use std::path::PathBuf;

const ADMIN_NOW: &str = "2026-11-03 10:00";

fn actions(entries: &Value) -> Vec<String> {
    entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

fn audit_json(data: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["audit", "--data", s(data)];
    args.extend_from_slice(extra);
    json(&args)
}

/// A month's work through the portal, each step audited with who, where from and what.
#[test]
fn every_portal_action_is_audited_and_each_reader_sees_their_region() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    add_user(&data, "qd-auditor", "青岛市", "auditor", "Audit-qd-1");
    add_user(&data, "ly-auditor", "临沂市", "auditor", "Audit-ly-1");
    let server = Server::start(&data, &["--now", ADMIN_NOW]);

    let mut county = Client::new(&server);
    assert_eq!(county.login("lanshan", "wrong-guess-1").status, 401);
    county.login("lanshan", "Ls-county-1");
    let up = county.upload(&lanshan(&d.path().join("f"), "2026-10", &lanshan_rows()), &[]);
    assert_eq!(up.status, 200, "{}", up.text());
    let id = up.json()["submission"]["id"].as_i64().unwrap();
    assert_eq!(county.get(&format!("/api/submissions/{id}/file")).status, 200);

    let mut city = Client::new(&server);
    city.login("linyi", "Ly-city-4");
    let r = city.post_json(
        "/api/review/return",
        &serde_json::json!({"region": "371302", "period": "2026-10", "reason": "第(5)栏请核实"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(city.get("/api/rollup?period=2026-10&region=371300").status, 200);
    assert_eq!(city.post_form("/remind", &[("region", "371311"), ("period", "2026-10")]).status, 204);
    assert_eq!(county.post_json("/api/logout", &serde_json::json!({})).status, 200);

    // The command line's log has them all, in order, with the address and the reason.
    let all = audit_json(&data, &[]);
    let got = actions(&all);
    for want in ["login_failed", "login", "upload", "download", "return", "reminder", "logout"] {
        assert!(got.iter().any(|a| a == want), "{want} missing from {got:?}");
    }
    let entries = all["entries"].as_array().unwrap();
    let ret = entries.iter().find(|e| e["action"] == "return").unwrap();
    assert_eq!((ret["actor"].as_str(), ret["region"].as_str()), (Some("linyi"), Some("371302")));
    assert!(ret["description"].as_str().unwrap().contains("理由：第(5)栏请核实"), "{ret}");
    // A name tried is recorded at most 64 characters long; the text output shows no control
    // characters.
    let long = format!("\u{1b}[31m{}", "x".repeat(5000));
    assert_eq!(Client::new(&server).login(&long, "whatever-1A").status, 401);
    let last = audit_json(&data, &["--action", "login_failed"]);
    let tried = last["entries"].as_array().unwrap().last().unwrap()["actor"].as_str().unwrap().to_string();
    assert_eq!(tried.chars().count(), 64);
    let text = yuebao(&["audit", "--data", s(&data), "--action", "login_failed"]);
    assert!(!text.stdout.contains('\u{1b}') && text.stdout.contains("�[31m"), "{}", text.stdout);
    let failed = entries.iter().find(|e| e["action"] == "login_failed").unwrap();
    assert_eq!((failed["actor"].as_str(), failed["address"].as_str()), (Some("lanshan"), Some("127.0.0.1")));
    let upload = entries.iter().find(|e| e["action"] == "upload").unwrap();
    assert!(upload["description"].as_str().unwrap().contains("兰山区"), "{upload}");
    // Filters: by user, by action, by time.
    let by_linyi = actions(&audit_json(&data, &["--user", "linyi"]));
    assert!(!by_linyi.is_empty());
    assert!(
        by_linyi.iter().all(|a| ["login", "return", "download", "reminder"].contains(&a.as_str())),
        "{by_linyi:?}"
    );
    assert_eq!(actions(&audit_json(&data, &["--action", "upload"])), vec!["upload"]);
    // The accounts were made by the command line on 11-01 (`--now`); the portal ran on 11-03.
    let all = actions(&audit_json(&data, &[]));
    let since = actions(&audit_json(&data, &["--since", "2026-11-03"]));
    let added = all.iter().filter(|a| *a == "user_add").count();
    assert!(added >= 5, "{all:?}");
    assert!(!since.is_empty() && !since.contains(&"user_add".to_string()), "{since:?}");
    assert_eq!(all.len(), since.len() + added, "{all:?}");
    let text = yuebao(&["audit", "--data", s(&data), "--action", "return"]);
    ok(&text);
    assert!(text.stdout.contains("审核退回") && text.stdout.contains("linyi"), "{}", text.stdout);
    let bad = yuebao(&["audit", "--data", s(&data), "--action", "delete"]);
    assert!(bad.code == 2 && bad.stderr.contains("不是操作代码"), "{}", bad.stderr);

    // Readers: 临沂市's auditor sees 临沂市's entries, 青岛市's sees none of them, the province
    // reviewer sees everything; a reporter and a city reviewer may not read the log.
    let mut ly = Client::new(&server);
    ly.login("ly-auditor", "Audit-ly-1");
    let seen = ly.get("/api/audit");
    assert_eq!(seen.status, 200, "{}", seen.text());
    assert!(actions(&seen.json()).contains(&"return".to_string()));
    let mut qd = Client::new(&server);
    qd.login("qd-auditor", "Audit-qd-1");
    let seen = qd.get("/api/audit");
    assert_eq!(seen.status, 200);
    let body = seen.text();
    assert!(!body.contains("371302") && !body.contains("兰山区") && !body.contains("linyi"), "{body}");
    assert_eq!(qd.get("/api/audit?region=371302").json()["entries"].as_array().unwrap().len(), 0);
    let mut province = Client::new(&server);
    province.login("shandong", "Sd-prov-5");
    assert!(province.get("/api/audit").json()["entries"].as_array().unwrap().len() >= 7);
    let page = province.get("/audit?action=return");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("第(5)栏请核实") && !page.text().contains("登录成功"), "{}", page.text());
    let mut county = Client::new(&server);
    county.login("lanshan", "Ls-county-1");
    let no = county.get("/api/audit");
    assert_eq!(no.status, 403, "{}", no.text());
    assert!(!no.text().contains("linyi"));
    assert_eq!(city.get("/api/audit").status, 403);
    // An auditor sees no figures and acts on nothing.
    assert_eq!(ly.get("/api/status?period=2026-10&region=371300").status, 403);
    assert_eq!(ly.get(&format!("/api/submissions/{id}/file")).status, 403);
    let r = ly.post_json("/api/review/approve", &serde_json::json!({"region": "371302", "period": "2026-10"}));
    assert_eq!(r.status, 403);
}

fn sqlite3() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("sqlite3")).find(|f| f.is_file()))
        .unwrap_or_default();
    if found.is_none() {
        // Any CI setting (`true`, `1`, `yes`) makes a missing tool a failure, not a skip.
        assert!(
            !std::env::var("CI").is_ok_and(|v| !v.is_empty()),
            "CI must have the sqlite3 tool (.ci/run installs it)"
        );
        eprintln!("跳过：没有 sqlite3 命令行工具，篡改审计日志的测试未运行");
    }
    found
}

fn tamper(tool: &Path, data: &Path, sql: &str) {
    let out = Command::new(tool).arg(data.join("yuebao.sqlite3")).arg(sql).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn copy_store(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in ["yuebao.sqlite3", "yuebao.sqlite3-wal", "yuebao.sqlite3-shm"] {
        if from.join(f).exists() {
            std::fs::copy(from.join(f), to.join(f)).unwrap();
        }
    }
}

/// The chain's head as `verify` prints it (`N:HASH`).
fn head_of(stdout: &str) -> String {
    stdout.lines().find_map(|l| l.strip_prefix("审计日志链尾：")).unwrap_or_default().to_string()
}

/// A store with five accounts, an accepted upload (兰山区, then approved), a rejected one (罗庄区)
/// and a baseline: every kind of stored fact.
fn tamper_store(d: &Path) -> PathBuf {
    let data = d.join("data");
    accounts(&data);
    submit(
        &data,
        &[&lanshan(&d.join("f"), "2026-10", &lanshan_rows())],
        &["--by", "值班员", "--received-at", "2026-11-06 09:00"],
    );
    let mut bad = lanshan_rows();
    bad[1].1[2] = bad[1].1[1] + 9;
    submit(&data, &[&county_file(&d.join("g"), "371311", "罗庄区", "2026-10", &bad)], &["--by", "值班员"]);
    ok(&yuebao(&[
        "review",
        "approve",
        "--data",
        s(&data),
        "--region",
        "371302",
        "--period",
        "2026-10",
        "--now",
        "2026-11-07 09:00",
    ]));
    data
}

/// `verify` checks every stored fact against the entry that records it, and the chain against
/// itself: each tampering the issue lists, done with the real sqlite3 tool on a copy, makes it
/// exit 1 with a sentence naming the row.
#[test]
fn verify_finds_tampering_with_facts_and_the_chain_done_with_the_sqlite3_tool() {
    let Some(tool) = sqlite3() else { return };
    let d = tmp();
    let data = tamper_store(d.path());
    let v = yuebao(&["verify", "--data", s(&data)]);
    ok(&v);
    // The store's province, five accounts, the first baseline, two uploads, an approval.
    assert!(v.stdout.contains("审计日志 10 条，哈希链完整"), "{}", v.stdout);
    let head = head_of(&v.stdout);
    assert_eq!(head, format!("10:{}", audit_json(&data, &[])["entries"][9]["hash"].as_str().unwrap()));
    let ids: Vec<(i64, String)> = audit_json(&data, &[])["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_i64().unwrap(), e["action"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(ids.iter().filter(|(_, a)| a == "upload").count(), 2, "{ids:?}");

    let case = |name: &str, sql: &str, extra: &[&str], want: &str| {
        let copy = d.path().join(name);
        copy_store(&data, &copy);
        tamper(&tool, &copy, sql);
        let mut args = vec!["verify", "--data", s(&copy)];
        args.extend_from_slice(extra);
        let v = yuebao(&args);
        assert_eq!(v.code, 1, "{name}: {}", v.stdout);
        assert!(v.stdout.contains(want), "{name}: want “{want}” in\n{}", v.stdout);
    };
    // Facts changed, deleted, slipped in.
    case(
        "status",
        "UPDATE submissions SET status = 'accepted', errors = 0 WHERE status = 'rejected'",
        &[],
        "第 2 号报送记录与审计日志第",
    );
    case(
        "received",
        "UPDATE submissions SET received_at = '2026-11-04T09:00:00+08:00' WHERE id = 1",
        &[],
        "第 1 号报送记录与审计日志第",
    );
    case(
        "figures",
        "UPDATE sheets SET sheet = replace(sheet, '1000', '1001') WHERE submission_id = 1",
        &[],
        "第 1 号报送记录与审计日志第",
    );
    case("reviews", "DELETE FROM reviews", &[], "第 1 号审核记录已不存在");
    case("baseline", "UPDATE baselines SET value = value + 1", &[], "第 1 号基线记录与审计日志第");
    case(
        "password",
        "UPDATE users SET password_hash = 'x' WHERE username = 'linyi'",
        &[],
        "账号“linyi”与审计日志第",
    );
    case(
        "role",
        "UPDATE users SET role = 'admin' WHERE username = 'lanshan'",
        &[],
        "账号“lanshan”与审计日志第",
    );
    case(
        "slipped-in",
        "INSERT INTO reviews (region, period, action, submission_id, by, at, reason) VALUES ('371302', '2026-10', 'unlocked', 1, 'x', '2026-11-08T09:00:00+08:00', 'x')",
        &[],
        "第 2 号审核记录没有对应的审计日志条目",
    );
    // The chain: an entry deleted or edited, the last ones deleted with the head rewritten to
    // match, the log emptied.
    case("deleted", "DELETE FROM audit_log WHERE id = 3", &[], "第 4 条与前一条接不上");
    case(
        "edited",
        "UPDATE audit_log SET description = '无事发生' WHERE id = 6",
        &[],
        "第 6 条的内容与其摘要不符",
    );
    case("last", "DELETE FROM audit_log WHERE id = 10", &[], "应有 10 条，现有 9 条");
    let cut = "DELETE FROM audit_log WHERE id > 7; UPDATE log_chain SET entries = 7, last_id = 7, last_hash = (SELECT hash FROM audit_log WHERE id = 7)";
    case("cut-tail", cut, &[], "第 1 号审核记录没有对应的审计日志条目");
    case("cut-tail-expect", cut, &["--expect", &head], "审计日志只有 7 条，少于记下的链尾 10 条");
    // The store's province changed behind the program's back (a run for that province opens
    // it, and finds the record disagreeing with its entry).
    case(
        "province",
        "UPDATE installation SET province = '410000'",
        &["--province", "410000"],
        "本数据目录所属省份的记录与审计日志第 1 条",
    );
    case("emptied", "DELETE FROM audit_log; DELETE FROM log_chain;", &[], "审计日志是空的，而库中有");
    // A head kept elsewhere that does not match is said too.
    let other = format!("10:{}", "0".repeat(64));
    let v = yuebao(&["verify", "--data", s(&data), "--expect", &other]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    assert!(v.stdout.contains("第 10 条与记下的链尾不符"), "{}", v.stdout);
    ok(&yuebao(&["verify", "--data", s(&data), "--expect", &head]));

    // The program itself never changes the log: a new entry after verify keeps it whole.
    ok(&yuebao(&["user", "disable", "hedong", "--data", s(&data)]));
    let v = yuebao(&["verify", "--data", s(&data)]);
    ok(&v);
    assert!(v.stdout.contains("审计日志 11 条"), "{}", v.stdout);
}

/// With an audit key kept outside the data directory, the entries and the head are signed: a
/// tail cut and the head rewritten, or the signature removed, is found without any head kept
/// elsewhere, and a process without the key cannot write into the signed chain.
#[test]
fn a_keyed_chain_finds_a_cut_tail_and_refuses_writers_without_the_key() {
    let Some(tool) = sqlite3() else { return };
    let d = tmp();
    let key = d.path().join("audit.key");
    std::fs::write(&key, "9f2c4e1a7b3d5f60718293a4b5c6d7e8f9a0b1c2d3e4f5061728394a5b6c7d8e\n").unwrap();
    let k = key.to_str().unwrap().to_string();
    let run = |args: &[&str]| yuebao_env(d.path(), args, &[("YUEBAO_AUDIT_KEY_FILE", &k)]);
    let data = d.path().join("data");
    for (user, region, role) in [("lanshan", "兰山区", "reporter"), ("linyi", "临沂市", "reviewer")] {
        let out = with_password_env(
            &data,
            &["user", "add", user, "--region", region, "--role", role],
            "Pass-word-77",
            &[("YUEBAO_AUDIT_KEY_FILE", &k)],
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let file = lanshan(&d.path().join("f"), "2026-10", &lanshan_rows());
    let r = run(&["submit", "--data", s(&data), s(&file), "--now", TEST_NOW]);
    assert!(r.code <= 1, "{}", r.stderr);
    let v = run(&["verify", "--data", s(&data)]);
    ok(&v);
    assert!(v.stdout.contains("审计日志 5 条"), "{}", v.stdout);
    // Without the key the signed entries are only linked, and it says so.
    let bare = yuebao(&["verify", "--data", s(&data)]);
    ok(&bare);
    assert!(bare.stdout.contains("未提供密钥"), "{}", bare.stdout);

    let case = |name: &str, sql: &str, want: &str| {
        let copy = d.path().join(name);
        copy_store(&data, &copy);
        tamper(&tool, &copy, sql);
        let v = run(&["verify", "--data", s(&copy)]);
        assert_eq!(v.code, 1, "{name}: {}", v.stdout);
        assert!(v.stdout.contains(want), "{name}: want “{want}” in\n{}", v.stdout);
    };
    // The upload and its entry both removed and the head rewritten to match: nothing is left
    // unbound, only the head's signature tells.
    case(
        "cut",
        "DELETE FROM audit_log WHERE id = 5; DELETE FROM submissions WHERE id = 1; UPDATE log_chain SET entries = 4, last_id = 4, last_hash = (SELECT hash FROM audit_log WHERE id = 4)",
        "链尾的签名与密钥不符",
    );
    case("unsigned", "UPDATE log_chain SET mac = NULL", "链尾没有用密钥签名");
    case("edited", "UPDATE audit_log SET description = 'x' WHERE id = 2", "第 2 条的内容与其摘要不符");
    // A wrong key is no key.
    let other = d.path().join("other.key");
    std::fs::write(&other, "00112233445566778899aabbccddeeff").unwrap();
    let v = yuebao_env(d.path(), &["verify", "--data", s(&data)], &[("YUEBAO_AUDIT_KEY_FILE", other.to_str().unwrap())]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    // A writer without the key is refused before it writes anything.
    let again = lanshan(&d.path().join("g"), "2026-11", &lanshan_rows());
    let r = yuebao(&["submit", "--data", s(&data), s(&again), "--now", TEST_NOW]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("审计日志用密钥签名") || r.stdout.contains("审计日志用密钥签名"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    ok(&run(&["verify", "--data", s(&data)]));
}

/// 安全管理员 and 系统管理员 in the portal: who may create which account where; the new
/// account must change its password first; a reset does the same; disable ends sessions.
#[test]
fn administrators_manage_accounts_within_their_region_and_new_passwords_are_changed_first() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    add_user(&data, "ly-admin", "临沂市", "admin", "Admin-ly-1");
    add_user(&data, "ly-sec", "临沂市", "secadmin", "Secure-ly-1");
    let server = Server::start(&data, &["--now", ADMIN_NOW]);
    let sign_in = |user: &str, pw: &str| {
        let mut c = Client::new(&server);
        let a = c.login(user, pw);
        assert_eq!(a.status, 200, "{user}: {}", a.text());
        c
    };
    let admin = sign_in("ly-admin", "Admin-ly-1");
    let sec = sign_in("ly-sec", "Secure-ly-1");

    // The page lists the region's accounts and none of other regions'.
    let page = admin.get("/users").text();
    assert!(page.contains("lanshan") && page.contains("linyi") && !page.contains("shandong"), "{page}");
    // 系统管理员: 填报 and 审核 accounts only, within 临沂市, passwords by the rules.
    let add = |c: &Client, name: &str, region: &str, role: &str, pw: &str| {
        c.post_form("/users", &[("username", name), ("region", region), ("role", role), ("password", pw)])
    };
    let a = add(&admin, "yinan", "371321", "reporter", "Temp-pass-1");
    assert_eq!(a.status, 303, "{}", a.text());
    assert!(admin.get("/users?done=add").text().contains("yinan"));
    let a = add(&admin, "yinan-aud", "371300", "auditor", "Temp-pass-1");
    assert!(a.status == 400 && a.text().contains("安全管理员管理"), "{}", a.text());
    let a = add(&admin, "qd-user", "370200", "reporter", "Temp-pass-1");
    assert_eq!(a.status, 403, "{}", a.text());
    let a = add(&admin, "weak", "371302", "reporter", "password");
    assert!(a.status == 400 && a.text().contains("3 类"), "{}", a.text());
    let a = add(&admin, "city-rep", "371300", "reporter", "Temp-pass-1");
    assert!(a.status == 400 && a.text().contains("不是县区"), "{}", a.text());
    // 安全管理员: any role within 临沂市; sees no figures.
    assert_eq!(add(&sec, "ly-aud2", "371300", "auditor", "Temp-pass-2").status, 303);
    assert_eq!(sec.get("/api/status?period=2026-10&region=371300").status, 403);
    assert_eq!(sec.get("/city").status, 403);
    // A reviewer may not manage accounts.
    let city = sign_in("linyi", "Ly-city-4");
    assert_eq!(city.get("/users").status, 403);
    assert_eq!(add(&city, "x1", "371302", "reporter", "Temp-pass-1").status, 403);

    // The address book for mail: the admin registers a county's address (kept lower case),
    // not another city's, nor something that is no address; a reviewer may not at all.
    let contact = |c: &Client, region: &str, email: &str| c.post_form("/users/contacts", &[("region", region), ("name", "王芳"), ("email", email)]);
    assert_eq!(contact(&admin, "371302", "LanShan@County.Example").status, 303);
    let page = admin.get("/users?done=contact").text();
    assert!(
        page.contains("已登记到通讯录") && page.contains("lanshan@county.example") && page.contains("王芳"),
        "{page}"
    );
    assert_eq!(contact(&admin, "370202", "qd@county.example").status, 403);
    let a = contact(&admin, "371302", "不是地址");
    assert!(a.status == 400 && a.text().contains("不是电子邮件地址"), "{}", a.text());
    assert_eq!(contact(&city, "371302", "x@county.example").status, 403);
    let listed = crate::support::yuebao(&["contacts", "list", "--data", crate::support::s(&data), "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(v[0]["email"], "lanshan@county.example");

    // The new account's first login: only the password change is open.
    let mut new = Client::new(&server);
    let a = new.login("yinan", "Temp-pass-1");
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["user"]["must_change_password"], true);
    let a = new.get("/api/status?period=2026-10");
    assert!(a.status == 403 && a.json()["error"].as_str().unwrap().contains("请先修改密码"), "{}", a.text());
    let page = new.get("/county");
    assert_eq!((page.status, page.header("location")), (303, Some("/password")));
    let same = new.post_json("/api/password", &serde_json::json!({"current": "Temp-pass-1", "new": "Temp-pass-1"}));
    assert_eq!(same.status, 400);
    let a = new.post_json("/api/password", &serde_json::json!({"current": "Temp-pass-1", "new": "Own-choice-9"}));
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(new.get("/api/status?period=2026-10").status, 200);

    // A reset by the administrator: the old sessions end, the new password must be changed.
    let a = admin.post_form("/users/yinan/reset", &[("password", "Reset-pass-2")]);
    assert_eq!(a.status, 303, "{}", a.text());
    assert_eq!(new.get("/api/me").status, 401);
    let mut again = Client::new(&server);
    assert_eq!(again.login("yinan", "Reset-pass-2").json()["user"]["must_change_password"], true);
    // Disable: sessions end and logins fail; another region's account cannot be touched.
    assert_eq!(admin.post_form("/users/yinan/disable", &[]).status, 303);
    assert_eq!(again.get("/api/me").status, 401);
    assert_eq!(Client::new(&server).login("yinan", "Reset-pass-2").status, 401);
    let a = admin.post_form("/users/shandong/disable", &[]);
    assert!(a.status == 400 && a.text().contains("没有用户"), "{}", a.text());
    assert!(admin.post_form("/users/ly-sec/disable", &[]).text().contains("由安全管理员管理"));
    assert!(sec.post_form("/users/ly-sec/disable", &[]).text().contains("不能停用自己"));

    // All of it is in the log, passwords nowhere.
    let log = audit_json(&data, &[]);
    let got = actions(&log);
    for want in ["user_add", "password_change", "user_disable"] {
        assert!(got.iter().any(|a| a == want), "{want} missing from {got:?}");
    }
    let text = log.to_string();
    for secret in ["Temp-pass-1", "Own-choice-9", "Reset-pass-2", "Admin-ly-1"] {
        assert!(!text.contains(secret), "{secret} in the audit log");
    }
}

/// Five failed logins in a row lock the account for 15 minutes (the right password too); a
/// success in between starts the count again; a policy file changes the rules.
#[test]
fn the_lockout_lasts_fifteen_minutes_and_the_policy_file_sets_the_rules() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let at = |now: &str| Server::start(&data, &["--now", now]);
    let s1 = at("2026-11-03 10:00");
    let mut c = Client::new(&s1);
    for _ in 0..4 {
        assert_eq!(c.login("lanshan", "guess-guess-1").status, 401);
    }
    assert_eq!(c.login("lanshan", "Ls-county-1").status, 200);
    for _ in 0..4 {
        assert_eq!(c.login("lanshan", "guess-guess-1").status, 401);
    }
    // Four after a success: not yet locked.
    assert_eq!(Client::new(&s1).login("lanshan", "Ls-county-1").status, 200);
    for _ in 0..5 {
        assert_eq!(c.login("lanshan", "guess-guess-1").status, 401);
    }
    let a = Client::new(&s1).login("lanshan", "Ls-county-1");
    assert_eq!(a.status, 429, "{}", a.text());
    assert!(a.json()["error"].as_str().unwrap().contains("15 分钟"), "{}", a.text());
    for _ in 0..5 {
        assert_eq!(c.login("lanshan", "guess-guess-1").status, 429);
    }
    drop(s1);
    assert_eq!(Client::new(&at("2026-11-03 10:14")).login("lanshan", "Ls-county-1").status, 429);
    assert_eq!(Client::new(&at("2026-11-03 10:16")).login("lanshan", "Ls-county-1").status, 200);
    // The refusals while locked are in the log once a minute: at 10:00 and at 10:14.
    let failed = audit_json(&data, &["--action", "login_failed"]);
    let locked = failed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["description"].as_str().unwrap().contains("已锁定"))
        .count();
    assert_eq!(locked, 2, "{failed:#}");

    // A policy file: 12 characters; three failures lock.
    std::fs::write(data.join("security.toml"), "[password]\nmin_chars = 12\n[login]\nmax_failures = 3\n").unwrap();
    let out = with_password(&data, &["user", "add", "short", "--region", "371302", "--role", "reporter"], "Eleven-ch-1");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("至少 12 个字符"));
    let s2 = at("2026-11-03 11:00");
    let mut c = Client::new(&s2);
    for _ in 0..3 {
        assert_eq!(c.login("linyi", "guess-guess-1").status, 401);
    }
    assert_eq!(c.login("linyi", "Ly-city-4").status, 429);
    // A broken policy file stops the portal from starting, with the file and line named.
    std::fs::write(data.join("security.toml"), "[password]\nmin_chars = 12\nmax_tries = 3\n").unwrap();
    let run = yuebao(&["serve", "--data", s(&data), "--listen", "127.0.0.1:0"]);
    assert!(run.code == 2 && run.stderr.contains("security.toml 第 3 行"), "{}", run.stderr);
}

/// `--must-change` on the command line; the new roles in `user list`; an unknown role refused.
#[test]
fn the_command_line_sets_must_change_and_lists_roles() {
    let d = tmp();
    let data = d.path().join("data");
    let out = with_password(
        &data,
        &["user", "add", "ly-sec", "--region", "临沂市", "--role", "secadmin", "--must-change"],
        "Secure-ly-1",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("首次登录须修改密码"));
    let list = yuebao(&["user", "list", "--data", s(&data)]);
    ok(&list);
    assert!(list.stdout.contains("ly-sec\tsecadmin") && list.stdout.contains("待改密码"), "{}", list.stdout);
    let server = Server::start(&data, &["--now", ADMIN_NOW]);
    let mut c = Client::new(&server);
    assert_eq!(c.login("ly-sec", "Secure-ly-1").json()["user"]["must_change_password"], true);
    assert_eq!(c.get("/users").header("location"), Some("/password"));
    let bad_role = yuebao(&[
        "user",
        "add",
        "x",
        "--region",
        "371302",
        "--role",
        "root",
        "--password-stdin",
        "--data",
        s(&data),
    ]);
    assert!(bad_role.stderr.contains("secadmin（安全管理）"), "{}", bad_role.stderr);
}

/// `yuebao backup` while the portal runs: a consistent copy in one file, which `verify` accepts
/// and which holds what was handed in; the backup is itself audited; an existing file is never
/// overwritten.
#[test]
fn a_backup_taken_while_the_portal_runs_verifies_and_holds_the_month() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let server = Server::start(&data, &["--now", ADMIN_NOW]);
    let mut county = Client::new(&server);
    county.login("lanshan", "Ls-county-1");
    let f = lanshan(&d.path().join("f"), "2026-10", &lanshan_rows());
    assert_eq!(county.upload(&f, &[]).status, 200);
    let copy = d.path().join("backup").join("yuebao-2026-11-03.sqlite3");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    let run = yuebao(&["backup", "--data", s(&data), "-o", s(&copy), "--now", ADMIN_NOW]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("已备份到"), "{}", run.stdout);
    // The portal carries on after the backup.
    assert_eq!(county.get("/api/status?period=2026-10").status, 200);
    let v = yuebao(&["verify", "--data", s(&copy)]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("完好"), "{}", v.stdout);
    let doc = status(&copy, "2026-10", "371302", ADMIN_NOW);
    assert_eq!(crate::support::county(&doc, "371302")["state"], "on_time", "{doc:#}");
    let last = audit_json(&copy, &[]);
    assert_eq!(actions(&last).last().map(String::as_str), Some("backup"));
    let again = yuebao(&["backup", "--data", s(&data), "-o", s(&copy)]);
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("已存在"), "{}", again.stderr);
}
