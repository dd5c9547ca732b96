//! The portal's pages over HTTP, as a browser without JavaScript uses them: the login form,
//! the county page and the result of an upload, the 说明, the city's board, drill-down,
//! comparison and review forms, and the downloads. Each page answer is looked at as HTML.

use super::{Answer, Client, Server, accounts};
use crate::support::*;
use calamine::Reader;
use std::path::Path;

const NOW: &str = "2026-11-03 10:00";

/// Signs in through the login form, as a person does.
fn sign_in(server: &Server, user: &str, password: &str) -> Client {
    let mut c = Client::new(server);
    let a = c.post_form("/login", &[("username", user), ("password", password)]);
    assert_eq!((a.status, a.header("location")), (303, Some("/")), "{}", a.text());
    c.keep_cookie(&a);
    c
}

/// The page of a 200 answer.
fn page(a: Answer) -> String {
    assert_eq!(a.status, 200, "{}", a.text());
    assert!(a.header("content-type").unwrap().starts_with("text/html"), "{:?}", a.header("content-type"));
    a.text()
}

/// The text of the first grid cell marked `class` (`err` or `warn`), up to its end.
fn marked_cell<'a>(html: &'a str, class: &str) -> &'a str {
    let at = html
        .find(&format!("<td class=\"{class}\""))
        .unwrap_or_else(|| panic!("no {class} cell in the grid"));
    let end = html[at..].find("</td>").unwrap() + at;
    &html[at..end]
}

/// The number after `prefix` in `html` (an upload's id in a link).
fn id_after(html: &str, prefix: &str) -> i64 {
    let at = html.find(prefix).unwrap_or_else(|| panic!("no {prefix}")) + prefix.len();
    html[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
}

fn sheet_names(bytes: &[u8], dir: &Path, name: &str) -> Vec<String> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    calamine::open_workbook_auto(&path).unwrap().sheet_names()
}

#[test]
fn the_county_page_the_result_page_and_the_explanation() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let server = Server::start(&data, &["--now", NOW]);
    let anonymous = Client::new(&server);
    assert_eq!(anonymous.get("/").header("location"), Some("/login"));
    assert!(page(anonymous.get("/login")).contains("name=\"password\""));
    // A wrong password is said on the form, in Chinese.
    let a = anonymous.post_form("/login", &[("username", "lanshan"), ("password", "wrong-wrong")]);
    assert_eq!(a.status, 401);
    assert!(a.text().contains("用户名或密码不正确"));

    let county = sign_in(&server, "lanshan", "Ls-county-1");
    assert_eq!(county.get("/").header("location"), Some("/county"));
    let home = page(county.get("/county"));
    // 2026-11-03 (Tuesday): October is due on Thursday 11-05, three working days counted today.
    for want in [
        "兰山区 · 2026年10月报表",
        "2026-11-05",
        "还有 3 个工作日",
        "未报，未到截止日",
        "action=\"/upload\"",
    ] {
        assert!(home.contains(want), "county page lacks {want}");
    }
    assert!(!home.contains("name=\"late_reason\""), "no 迟报原因 before the due date");

    // The blank template of the month.
    let a = county.get("/template?period=2026-10");
    assert_eq!(a.status, 200);
    assert!(a.header("content-disposition").unwrap().contains("371302"));
    assert_eq!(sheet_names(&a.body, d.path(), "t.xlsx"), ["2026年10月"]);

    // With an error: the result page at once, the cell red with its message on it.
    let mut rows = lanshan_rows();
    rows[1].1[2] = rows[1].1[1] + 50;
    let bad = lanshan(&d.path().join("bad"), "2026-10", &rows);
    let html = page(county.upload_to("/upload", &bad, &[("period", "2026-10")]));
    assert!(html.contains("未接收：发现 1 处错误"), "{html}");
    let cell = marked_cell(&html, "err");
    assert!(cell.contains("E201") && cell.contains(&rows[1].1[2].to_string()), "{cell}");
    assert!(cell.contains("class=\"msg\""), "the message is written in the cell: {cell}");
    // The annotated copy: the workbook as handed in plus the 审核结果 sheet.
    let id = id_after(&html, "/submissions/");
    let a = county.get(&format!("/submissions/{id}/annotated"));
    assert_eq!(a.status, 200);
    assert!(sheet_names(&a.body, d.path(), "a.xlsx").contains(&"审核结果".to_string()));
    // The stored version draws the same page later.
    assert!(marked_cell(&page(county.get(&format!("/submissions/{id}"))), "err").contains("E201"));

    // Only warnings: held (待说明), and the page offers the 说明 box.
    let sep = lanshan(&d.path().join("sep"), "2026-09", &lanshan_rows());
    assert!(page(county.upload_to("/upload", &sep, &[])).contains("已接收"));
    let mut jump = lanshan_rows();
    for r in &mut jump {
        r.1[8] = r.1[8] * 3 / 2 + 40;
    }
    let oct = lanshan(&d.path().join("oct"), "2026-10", &jump);
    let html = page(county.upload_to("/upload", &oct, &[("period", "2026-10")]));
    assert!(html.contains("待说明") && marked_cell(&html, "warn").contains("W"), "{html}");
    let pending = id_after(&html, "/submissions/");
    let explain = format!("/submissions/{pending}/explain");
    assert!(html.contains(&format!("action=\"{explain}\"")));
    let a = county.post_form(&explain, &[("note", "")]);
    assert_eq!(a.status, 422, "an empty 说明 is refused");
    let a = county.post_form(&explain, &[("note", "10月集中举办技能培训")]);
    assert_eq!(a.status, 303, "{}", a.text());
    let html = page(county.get(a.header("location").unwrap()));
    assert!(html.contains("已接收") && html.contains("10月集中举办技能培训"), "{html}");

    // The county page lists every version with its outcome.
    let home = page(county.get("/county?period=2026-10"));
    for want in ["第 3 版", "第 2 版", "第 1 版", "说明：10月集中举办技能培训", "按时"] {
        assert!(home.contains(want), "county page lacks {want}");
    }
}

#[test]
fn the_city_board_drill_down_comparison_and_review() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let server = Server::start(&data, &["--now", NOW]);
    let county = sign_in(&server, "lanshan", "Ls-county-1");
    let mut rows = lanshan_rows();
    let (good, bad) = (rows[1].1[2], rows[1].1[1] + 50);
    rows[1].1[2] = bad;
    let bad_file = lanshan(&d.path().join("bad"), "2026-10", &rows);
    let good_file = lanshan(&d.path().join("good"), "2026-10", &lanshan_rows());
    page(county.upload_to("/upload", &bad_file, &[]));
    page(county.upload_to("/upload", &good_file, &[]));

    let city = sign_in(&server, "linyi", "Ly-city-4");
    assert_eq!(city.get("/").header("location"), Some("/city"));
    let board = page(city.get("/city?period=2026-10"));
    // What waits for the city comes first: 兰山区 to review, then the counties still owing.
    let (lanshan_at, luozhuang_at) = (board.find(">兰山区<").unwrap(), board.find(">罗庄区<").unwrap());
    assert!(lanshan_at < luozhuang_at);
    assert!(board.contains("按时，待审核"));
    assert!(board.contains("【催报】罗庄区：2026年10月《建档立卡农村贫困人口就业与社会保障统计表》应于2026年11月5日前报送"));
    assert!(!board.contains("【催报】兰山区"));
    // The command line works on the same store while the portal serves it.
    let lz = county_file(&d.path().join("cli"), "371311", "罗庄区", "2026-10", &lanshan_rows());
    let (code, _) = submit(&data, &[&lz], &["--now", NOW, "--by", "罗庄区 王五"]);
    assert_eq!(code, 0);
    let board = page(city.get("/city?period=2026-10"));
    assert!(!board.contains("【催报】罗庄区") && board.matches("按时，待审核").count() == 2, "{board}");

    // The drill-down compares the latest two versions: the corrected cell old → new and the
    // finding it fixed.
    let drill = page(city.get("/city/371302?period=2026-10"));
    assert!(drill.contains("第 1 版 → 第 2 版"), "{drill}");
    let row = &drill[drill.find("<td>银雀山街道</td>").expect("the changed row")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("第(3)栏") && row.contains(&bad.to_string()) && row.contains(&good.to_string()),
        "{row}"
    );
    let found = &drill[drill.find("已改正的问题").unwrap()..];
    assert!(
        drill.contains("已改正的问题（1）") && drill.contains("新出现的问题（0）"),
        "{}",
        &found[..found.len().min(1500)]
    );

    // 退回 needs a reason; with one, the county sees it.
    let a = city.post_form("/review", &[("region", "371302"), ("period", "2026-10"), ("action", "return"), ("reason", " ")]);
    assert_eq!(a.status, 422);
    assert!(a.text().contains("必须写明原因"));
    let a = city.post_form(
        "/review",
        &[
            ("region", "371302"),
            ("period", "2026-10"),
            ("action", "return"),
            ("reason", "第(5)栏与台账不符"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.text());
    assert!(page(city.get(a.header("location").unwrap())).contains("已退回"));
    let home = page(county.get("/county?period=2026-10"));
    assert!(home.contains("审核退回") && home.contains("第(5)栏与台账不符"), "{home}");

    // Resubmitted, approved: the month is locked and the county page says so.
    assert!(page(county.upload_to("/upload", &good_file, &[])).contains("已接收"));
    let a = city.post_form("/review", &[("region", "371302"), ("period", "2026-10"), ("action", "approve")]);
    assert_eq!(a.status, 303, "{}", a.text());
    let home = page(county.get("/county?period=2026-10"));
    assert!(home.contains("已审核通过并锁定") && !home.contains("action=\"/upload\""));
    let a = county.upload_to("/upload", &good_file, &[]);
    assert_eq!(a.status, 409);
    assert!(a.text().contains("审核通过"));
    assert_eq!(history(&data, "371302", "2026-10").len(), 3);
    // 解锁 with a reason opens it again.
    let a = city.post_form(
        "/review",
        &[("region", "371302"), ("period", "2026-10"), ("action", "unlock"), ("reason", "补录")],
    );
    assert_eq!(a.status, 303);
    assert!(page(county.get("/county?period=2026-10")).contains("action=\"/upload\""));

    // The rollup download, read back.
    let a = city.get("/rollup?period=2026-10&region=371300");
    assert_eq!(a.status, 200);
    let path = d.path().join("汇总.xlsx");
    std::fs::write(&path, &a.body).unwrap();
    let (_, r) = crate::workbooks::first_sheet(&path);
    let want: Vec<Option<i64>> = (0..21).map(|k| Some(lanshan_rows().iter().map(|(_, v)| v[k]).sum())).collect();
    assert_eq!(crate::workbooks::values_of(&r, "兰山区"), want);
    assert!(calamine::open_workbook_auto(&path).unwrap().sheet_names().contains(&"报送情况".to_string()));

    // After the due date the form asks for a 迟报原因, which the city sees on its board.
    let late = Server::start(&data, &["--now", "2026-11-09 10:00"]);
    let hedong = sign_in(&late, "hedong", "Hd-county-3");
    let home = page(hedong.get("/county?period=2026-10"));
    assert!(home.contains("已过截止日期") && home.contains("name=\"late_reason\""), "{home}");
    let f = county_file(d.path(), "371312", "河东区", "2026-10", &lanshan_rows());
    page(hedong.upload_to("/upload", &f, &[("period", "2026-10"), ("late_reason", "乡镇数据核实延误")]));
    let city = sign_in(&late, "linyi", "Ly-city-4");
    let board = page(city.get("/city?period=2026-10"));
    assert!(board.contains("迟报原因：乡镇数据核实延误") && board.contains("迟报 4 天"), "{board}");
}

/// Pages keep to the account's region like the API: another county's drill-down, result page,
/// annotated copy and original; the city's rollup; review forms; no session; another site.
#[test]
fn pages_keep_to_the_account_s_region() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let server = Server::start(&data, &["--now", NOW]);
    let luozhuang = sign_in(&server, "luozhuang", "Lz-county-2");
    let lz_file = county_file(d.path(), "371311", "罗庄区", "2026-10", &luozhuang_rows());
    let lz_id = id_after(&page(luozhuang.upload_to("/upload", &lz_file, &[])), "/submissions/");
    let lz_total = luozhuang_rows().iter().map(|(_, v)| v[0]).sum::<i64>().to_string();
    // The strings searched for below are really there, for the one who may see them.
    let own = luozhuang.get(&format!("/submissions/{lz_id}")).text();
    assert!(own.contains("罗庄街道") && own.contains(&lz_total), "{own}");

    let anonymous = Client::new(&server);
    for path in ["/county", "/city", &format!("/submissions/{lz_id}"), "/rollup?period=2026-10&region=371300"] {
        let a = anonymous.get(path);
        assert_eq!((a.status, a.header("location")), (303, Some("/login")), "{path}");
    }
    let a = anonymous.post_form("/review", &[("region", "371311"), ("period", "2026-10"), ("action", "approve")]);
    assert_eq!(a.status, 303, "no session: to the login form, nothing done");

    let lanshan_c = sign_in(&server, "lanshan", "Ls-county-1");
    assert_eq!(lanshan_c.get("/city").header("location"), Some("/county?period=2026-10"));
    // The drill-down is the reviewer's: a reporter is sent to its own page.
    assert_eq!(lanshan_c.get("/city/371311?period=2026-10").header("location"), Some("/county?period=2026-10"));
    let cases = [
        ("another county's result page", lanshan_c.get(&format!("/submissions/{lz_id}"))),
        ("another county's annotated copy", lanshan_c.get(&format!("/submissions/{lz_id}/annotated"))),
        ("another county's original", lanshan_c.get(&format!("/submissions/{lz_id}/original"))),
        ("the city's board", lanshan_c.get("/city?period=2026-10&region=371300")),
        ("the city's rollup", lanshan_c.get("/rollup?period=2026-10&region=371300")),
        (
            "a reporter's review",
            lanshan_c.post_form("/review", &[("region", "371311"), ("period", "2026-10"), ("action", "approve")]),
        ),
        (
            "another county's 说明",
            lanshan_c.post_form(&format!("/submissions/{lz_id}/explain"), &[("note", "x")]),
        ),
        ("another county's upload", lanshan_c.upload_to("/upload", &lz_file, &[])),
    ];
    for (what, a) in &cases {
        assert_eq!(a.status, 403, "{what}: {}", a.text());
        let body = a.text();
        for leak in [lz_total.as_str(), "罗庄街道", "371311-罗庄区-2026-10.xlsx"] {
            assert!(!body.contains(leak), "{what} leaks {leak}");
        }
    }
    assert_eq!(history(&data, "371311", "2026-10").len(), 1, "nothing stored by the refused requests");
    // 代报 is for a region below one's own; a county cannot mark its own upload as one.
    let own = lanshan(d.path(), "2026-10", &lanshan_rows());
    let a = lanshan_c.upload_to("/upload", &own, &[("on_behalf_of", "371302")]);
    assert_eq!(a.status, 422);
    assert!(a.text().contains("本地区的报表请直接上传"));
    assert!(history(&data, "371302", "2026-10").is_empty());

    // Another site's form cannot act, even with the cookie.
    let city = sign_in(&server, "linyi", "Ly-city-4");
    let a = {
        let mut c = Client::new(&server);
        c.cookie = city.cookie.clone();
        c.post_json_from(
            "/api/review/approve",
            &serde_json::json!({"region": "371311", "period": "2026-10"}),
            Some("http://evil.example"),
        )
    };
    assert_eq!(a.status, 403);
    assert!(county(&status(&data, "2026-10", "371300", NOW), "371311")["review"].is_null());

    // The province picks a city first.
    let province = sign_in(&server, "shandong", "Sd-prov-5");
    let list = page(province.get("/city?period=2026-10"));
    assert!(list.contains("/city?period=2026-10&amp;region=371300"), "{list}");
}

/// Another site's page cannot act with a signed-in user's cookie, whatever it posts: a form, a
/// file upload or JSON. The site's own pages can; without `Origin` the `Referer` decides, and a
/// browser's `Sec-Fetch-Site: cross-site` is refused even with this site's Origin.
#[test]
fn cross_site_forms_and_uploads_are_refused() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let server = Server::start(&data, &["--now", NOW]);
    let county = sign_in(&server, "lanshan", "Ls-county-1");
    let here = county.base.clone();
    let file = lanshan(&d.path().join("f"), "2026-10", &lanshan_rows());
    let boundary = "----cross-site-test";
    let mut multipart = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"period\"\r\n\r\n2026-10\r\n").into_bytes();
    multipart.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"兰山区.xlsx\"\r\nContent-Type: application/octet-stream\r\n\r\n")
            .into_bytes(),
    );
    multipart.extend(std::fs::read(&file).unwrap());
    multipart.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let upload_type = format!("multipart/form-data; boundary={boundary}");
    let form = "current=Ls-county-1&password=Ls-county-9&confirm=Ls-county-9".as_bytes();
    let form_type = "application/x-www-form-urlencoded";
    let evil = "http://evil.example";
    let evil_page = "http://evil.example/page";
    let here_page = format!("{here}/county");
    let port: u16 = here.rsplit(':').next().unwrap().parse().unwrap();
    let other_port = format!("http://127.0.0.1:{}", port.wrapping_add(1));
    let https = here.replace("http://", "https://");
    let refused: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("another site's Origin", vec![("Origin", evil)]),
        ("another site's Referer, no Origin", vec![("Referer", evil_page)]),
        ("neither Origin nor Referer", vec![]),
        ("a browser saying cross-site", vec![("Origin", here.as_str()), ("Sec-Fetch-Site", "cross-site")]),
        (
            "a browser saying same-site (another subdomain)",
            vec![("Origin", here.as_str()), ("Sec-Fetch-Site", "same-site")],
        ),
        // The Host header is the sender's to write: naming another site in both proves nothing.
        ("another site's Origin with a Host to match", vec![("Origin", evil), ("Host", "evil.example")]),
        ("the right host on another port", vec![("Origin", other_port.as_str())]),
        ("the right host and port over https", vec![("Origin", https.as_str())]),
    ];
    for (what, headers) in &refused {
        let up = county.post_raw("/upload", &upload_type, &multipart, headers);
        assert_eq!(up.status, 403, "upload, {what}: {}", up.text());
        assert!(up.text().contains("无法确认请求来自本站页面"), "{what}: {}", up.text());
        let pw = county.post_raw("/password", form_type, form, headers);
        assert_eq!(pw.status, 403, "password form, {what}: {}", pw.text());
        // A person gets a page in Chinese, a script its JSON.
        for page in [&up, &pw] {
            assert!(
                page.header("content-type").is_some_and(|t| t.starts_with("text/html")),
                "{what}: {:?}",
                page.header("content-type")
            );
            assert!(page.text().contains("<h1>操作未完成</h1>"), "{what}: {}", page.text());
        }
        let api = county.post_raw("/api/uploads", &upload_type, &multipart, headers);
        assert_eq!(api.status, 403, "API upload, {what}: {}", api.text());
        assert!(api.json()["error"].as_str().unwrap().contains("无法确认请求来自本站页面"));
    }
    assert!(history(&data, "371302", "2026-10").is_empty(), "nothing stored by the refused posts");
    // The site's own page: by Origin, or by Referer when a browser sends no Origin.
    let a = county.post_raw(
        "/upload",
        &upload_type,
        &multipart,
        &[("Origin", here.as_str()), ("Sec-Fetch-Site", "same-origin")],
    );
    assert_eq!(a.status, 200, "{}", a.text());
    let b = county.post_raw("/upload", &upload_type, &multipart, &[("Referer", here_page.as_str())]);
    assert_eq!(b.status, 200, "{}", b.text());
    // localhost is the same loopback site as 127.0.0.1 when the portal listens there.
    let c = county.post_raw("/upload", &upload_type, &multipart, &[("Origin", &format!("http://localhost:{port}"))]);
    assert_eq!(c.status, 200, "{}", c.text());
    assert_eq!(history(&data, "371302", "2026-10").len(), 3);

    // Login CSRF: a login that does not come from the site's own page is refused.
    let mut anyone = Client::new(&server);
    let body = serde_json::json!({"username": "lanshan", "password": "Ls-county-1"});
    for origin in [None, Some(evil)] {
        let a = anyone.post_json_from("/api/login", &body, origin);
        assert_eq!(a.status, 403, "{origin:?}: {}", a.text());
        assert!(a.header("set-cookie").is_none());
        let f = anyone.post_raw(
            "/login",
            form_type,
            b"username=lanshan&password=Ls-county-1",
            &origin.map(|o| vec![("Origin", o)]).unwrap_or_default(),
        );
        assert_eq!(f.status, 403, "login form, {origin:?}: {}", f.text());
        assert!(f.header("set-cookie").is_none());
    }
    assert_eq!(anyone.login("lanshan", "Ls-county-1").status, 200);
    // A listing level that is neither counties nor cities is a mistake, not counties.
    let a = county.get("/api/status?period=2026-10&level=xyz");
    assert_eq!(a.status, 400, "{}", a.text());
    assert!(a.json()["error"].as_str().unwrap().contains("xyz"));
}

/// `--public-url` names the site as its users reach it (behind a proxy, or by a name): only
/// pages of that origin may change anything, the listen address no longer; a portal listening
/// on every interface must be told it, and says so.
#[test]
fn the_site_s_own_origin_is_its_public_url() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let public = "https://yuebao.example.gov.cn";
    let server = Server::start(&data, &["--now", NOW, "--public-url", public]);
    let mut c = Client::new(&server);
    let body = serde_json::json!({"username": "lanshan", "password": "Ls-county-1"});
    let a = c.post_json_from("/api/login", &body, Some(&server.url));
    assert_eq!(a.status, 403, "the listen address is not the site's origin now: {}", a.text());
    let a = c.post_json_from("/api/login", &body, Some(&format!("{public}/")));
    assert_eq!(a.status, 200, "{}", a.text());
    c.keep_cookie(&a);
    let f = lanshan(&d.path().join("f"), "2026-10", &lanshan_rows());
    assert_eq!(c.upload(&f, &[]).status, 403, "the test client's Origin is the listen address");

    let run = yuebao_env(d.path(), &["serve", "--data", s(&data), "--listen", "0.0.0.0:0", "--now", NOW], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--public-url"), "{}", run.stderr);
}

/// The 说明 form is offered where the workflow lets the viewer give it: on a 待说明 version, to
/// the county and to its city (which may enter it 代报), and no longer once the month is
/// approved (locked).
#[test]
fn the_explain_form_is_offered_only_while_a_note_can_be_given() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let server = Server::start(&data, &["--now", NOW]);
    let county = sign_in(&server, "lanshan", "Ls-county-1");
    let city = sign_in(&server, "linyi", "Ly-city-4");
    let sep = lanshan(&d.path().join("sep"), "2026-09", &lanshan_rows());
    assert_eq!(county.upload(&sep, &[]).json()["submission"]["status"], "accepted");
    let mut jump = lanshan_rows();
    for r in &mut jump {
        r.1[8] = r.1[8] * 3 / 2 + 40;
    }
    let held = county.upload(&lanshan(&d.path().join("oct"), "2026-10", &jump), &[]).json();
    assert_eq!(
        (held["submission"]["status"].as_str(), held["submission"]["explainable"].as_bool()),
        (Some("pending"), Some(true))
    );
    let id = held["submission"]["id"].as_i64().unwrap();
    let form = format!("action=\"/submissions/{id}/explain\"");
    for who in [&county, &city] {
        let page = who.get(&format!("/submissions/{id}"));
        assert!(page.text().contains(&form), "{}", page.text());
    }
    // A corrected sheet is accepted and approved: the month is locked, the held one stays held.
    let fixed = county.upload(&lanshan(&d.path().join("fixed"), "2026-10", &lanshan_rows()), &[]).json();
    assert_eq!(fixed["submission"]["explainable"], false);
    let a = city.post_json("/api/review/approve", &serde_json::json!({"region": "371302", "period": "2026-10"}));
    assert_eq!(a.status, 200, "{}", a.text());
    for who in [&county, &city] {
        let page = who.get(&format!("/submissions/{id}"));
        assert_eq!(page.status, 200);
        assert!(!page.text().contains(&form), "{}", page.text());
    }
}
