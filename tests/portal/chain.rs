//! County → city → province through the portal: the city's 上报 of its rollup, the province's
//! board of cities, out-of-date reports after a county changes, the province's 退回 / 审核通过
//! of the city's sheet (and only of that: county sheets are read-only for it), the province
//! rollup, and the year view.

use super::*;

const CHAIN_NOW: &str = "2026-11-03 10:00";

fn page(a: Answer) -> String {
    assert_eq!(a.status, 200, "{}", a.text());
    a.text()
}

fn sign_in(server: &Server, user: &str, password: &str) -> Client {
    let mut c = Client::new(server);
    let a = c.login(user, password);
    assert_eq!(a.status, 200, "{user}: {}", a.text());
    c
}

/// The twelve counties of 临沂市 handed in for 2026-10 on time.
fn linyi_october(d: &Path, data: &Path) {
    let files = d.join("linyi-2026-10");
    ok(&yuebao(&["sample", "--period", "2026-10", "--region", "371300", "-o", s(&files), "-q"]));
    let run = yuebao(&["submit", "--data", s(data), "--now", CHAIN_NOW, "--received-at", "2026-11-02 09:00", s(&files)]);
    assert!(run.code <= 1, "{}", run.stderr);
}

#[test]
fn a_city_reports_its_rollup_and_the_province_returns_and_approves_it() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    linyi_october(d.path(), &data);
    let server = Server::start(&data, &["--now", CHAIN_NOW]);
    let city = sign_in(&server, "linyi", "Ly-city-4");
    let province = sign_in(&server, "shandong", "Sd-prov-5");
    let lanshan_c = sign_in(&server, "lanshan", "Ls-county-1");

    // Before: the province sees 临沂市 not reported, its counties all in.
    let board = page(province.get("/city?period=2026-10&region=370000"));
    assert!(
        board.contains("各市上报情况") && board.contains("临沂市") && board.contains("12 / 12"),
        "{board}"
    );
    assert!(board.contains("青岛市") && board.contains("0 / 10"), "{board}");
    let board = page(city.get("/city?period=2026-10"));
    assert!(board.contains("本月尚未上报") && board.contains("上报汇总表"), "{board}");

    // 上报 from the city's board (the page form).
    let a = city.post_form("/report", &[("region", "371300"), ("period", "2026-10")]);
    assert_eq!(a.status, 303, "{}", a.text());
    assert!(a.header("location").unwrap().contains("done=report"), "{:?}", a.header("location"));
    let board = page(city.get("/city?period=2026-10&done=report"));
    assert!(
        board.contains("已上报汇总表") && board.contains("上报第 1 版") && !board.contains("已过期"),
        "{board}"
    );
    let board = page(province.get("/city?period=2026-10&region=370000"));
    assert!(board.contains("按时，待审核"), "{board}");
    // The reported sheet is the city's sheet in the store, on time.
    let st = status(&data, "2026-10", "370000", CHAIN_NOW);
    let cities = city_status(&data, "2026-10", "370000", CHAIN_NOW);
    let linyi = county(&cities, "371300");
    assert_eq!(linyi["state"], "on_time", "{linyi:#}");
    assert!(county(&st, "371302")["state"] == "on_time");

    // A county changes after the report (the city returns it): the report is out of date.
    let a = city.post_json(
        "/api/review/return",
        &serde_json::json!({"region": "371302", "period": "2026-10", "reason": "第(5)栏请核实"}),
    );
    assert_eq!(a.status, 200, "{}", a.text());
    let board = page(city.get("/city?period=2026-10"));
    assert!(board.contains("已上报的汇总表已过期") && board.contains("重新上报"), "{board}");
    assert!(page(province.get("/city?period=2026-10&region=370000")).contains("待重新上报"));
    // The API reports again: 11 of 12 count now.
    let a = city.post_json("/api/report", &serde_json::json!({"region": "371300", "period": "2026-10"}));
    assert_eq!(a.status, 200, "{}", a.text());
    let v = a.json();
    assert_eq!((v["counted"].as_i64(), v["expected"].as_i64()), (Some(11), Some(12)), "{v:#}");
    assert_eq!(v["submission"]["version"], 2);
    assert!(!page(city.get("/city?period=2026-10")).contains("已过期"));

    // The province returns the city's sheet with a reason; the city sees it.
    let a = province.post_form(
        "/review",
        &[
            ("region", "371300"),
            ("period", "2026-10"),
            ("action", "return"),
            ("reason", "兰山区尚未重报，请补齐后再报"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.text());
    let board = page(city.get("/city?period=2026-10"));
    assert!(board.contains("省厅退回：兰山区尚未重报，请补齐后再报"), "{board}");
    // The county sends its sheet again; the city reports again: 12 of 12.
    let again = d.path().join("linyi-2026-10").join("371302-兰山区-2026-10.xlsx");
    assert_eq!(lanshan_c.upload(&again, &[]).json()["submission"]["status"], "accepted");
    let a = city.post_json("/api/report", &serde_json::json!({"region": "371300", "period": "2026-10"}));
    assert_eq!((a.status, a.json()["counted"].as_i64()), (200, Some(12)), "{}", a.text());

    // The province approves: the city's month is locked, its report form gone.
    let a = province.post_json("/api/review/approve", &serde_json::json!({"region": "371300", "period": "2026-10"}));
    assert_eq!(a.status, 200, "{}", a.text());
    let board = page(city.get("/city?period=2026-10"));
    assert!(board.contains("省厅已审核通过") && !board.contains("action=\"/report\""), "{board}");
    let a = city.post_json("/api/report", &serde_json::json!({"region": "371300", "period": "2026-10"}));
    assert_eq!(a.status, 409, "{}", a.text());

    // County sheets are the city's to review: the province reads them but cannot act.
    let a = province.post_json("/api/review/approve", &serde_json::json!({"region": "371311", "period": "2026-10"}));
    assert_eq!(a.status, 403, "{}", a.text());
    let drill = page(province.get("/city/371311?period=2026-10"));
    assert!(
        drill.contains("由临沂市审核；此处只读") && !drill.contains("action=\"/review\"") && !drill.contains("代报"),
        "{drill}"
    );
    // Nor may a county report a city, nor a city report another.
    assert_eq!(
        lanshan_c
            .post_json("/api/report", &serde_json::json!({"region": "371300", "period": "2026-10"}))
            .status,
        403
    );
    assert_eq!(
        city.post_json("/api/report", &serde_json::json!({"region": "370200", "period": "2026-10"}))
            .status,
        403
    );
    let a = city.post_json("/api/report", &serde_json::json!({"region": "371302", "period": "2026-10"}));
    assert!(a.status == 400 && a.json()["error"].as_str().unwrap().contains("不是市"), "{}", a.text());

    // The province rollup: 临沂市's line is the city's total.
    let a = province.get("/rollup?period=2026-10&region=370000");
    assert_eq!(a.status, 200);
    let pf = d.path().join("省.xlsx");
    std::fs::write(&pf, &a.body).unwrap();
    let cf = d.path().join("市.xlsx");
    std::fs::write(&cf, &city.get("/rollup?period=2026-10&region=371300").body).unwrap();
    let (_, p) = crate::workbooks::first_sheet(&pf);
    let (_, c) = crate::workbooks::first_sheet(&cf);
    let total = crate::workbooks::values_of(&c, "合计");
    assert!(total.iter().all(Option::is_some), "{total:?}");
    assert_eq!(crate::workbooks::values_of(&p, "临沂市"), total);

    // The audit log has each 上报.
    let log = json(&["audit", "--data", s(&data), "--action", "report"]);
    assert_eq!(log["entries"].as_array().unwrap().len(), 3, "{log:#}");
}

#[test]
fn the_year_view_colours_each_month() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    linyi_october(d.path(), &data);
    let server = Server::start(&data, &["--now", CHAIN_NOW]);
    let city = sign_in(&server, "linyi", "Ly-city-4");
    let province = sign_in(&server, "shandong", "Sd-prov-5");
    city.post_json("/api/report", &serde_json::json!({"region": "371300", "period": "2026-10"}));

    let grid = page(province.get("/year?region=370000&year=2026"));
    assert!(grid.contains("各市上报情况") && grid.contains("临沂市") && grid.contains("青岛市"), "{grid}");
    // 临沂市: October on time; September overdue; November and December not yet due.
    let row = &grid[grid.find("临沂市</a>").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("cell ok") && row.contains("cell overdue") && row.contains("cell future"), "{row}");
    let counties = page(city.get("/year?year=2026"));
    assert!(
        counties.contains("各县区报送情况") && counties.contains("兰山区") && counties.contains("按时"),
        "{counties}"
    );
    // A county account cannot see the province's year.
    let lanshan_c = sign_in(&server, "lanshan", "Ls-county-1");
    assert_eq!(lanshan_c.get("/year?region=370000&year=2026").status, 403);
}

/// `yuebao report`: the same 上报 from the command line, through the same workflow: taken on
/// time, reported again after the due date (still on time: the first accepted one counts), and
/// a county is refused.
#[test]
fn a_city_reports_from_the_command_line() {
    let d = tmp();
    let data = d.path().join("data");
    linyi_october(d.path(), &data);
    let report = |extra: &[&str], now: &str| {
        let mut args = vec![
            "report",
            "--data",
            s(&data),
            "--region",
            "临沂市",
            "--period",
            "2026-10",
            "--by",
            "临沂市 李四",
            "--now",
            now,
        ];
        args.extend_from_slice(extra);
        yuebao(&args)
    };
    let first = report(&[], CHAIN_NOW);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    assert!(first.stdout.contains("第 1 版：已接收，按时（实报 12 / 应报 12 个县区）"), "{}", first.stdout);
    let again = report(&["--note", "签章栏已核实"], "2026-11-07 10:00");
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(
        again.stdout.contains("第 2 版：已接收，按时（以首次接收 2026-11-03 10:00 计）"),
        "{}",
        again.stdout
    );
    let doc = city_status(&data, "2026-10", "370000", "2026-11-08 10:00");
    let linyi = county(&doc, "371300");
    assert_eq!(linyi["standing"], serde_json::json!({"kind": "accepted", "timeliness": "on_time"}), "{linyi:#}");
    assert_eq!(linyi["versions"], 2);
    assert_eq!(linyi["latest"]["by"], "临沂市 李四");
    let county_level = yuebao(&["report", "--data", s(&data), "--region", "兰山区", "--period", "2026-10"]);
    assert_eq!(county_level.code, 1);
    assert!(county_level.stderr.contains("不是市"), "{}", county_level.stderr);
}
