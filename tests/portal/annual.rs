//! December's annual reports from the portal: the readiness check names every county-month
//! that is missing, returned or unreviewed; the package (January–November, for 12-10 / 12-15)
//! and the final version (with December, after 01-05) are told apart; the city downloads its
//! own workbook, the province its own and each city's; `annual --through`.

use super::*;

const DECEMBER: &str = "2026-12-08 10:00";

/// 临沂市's counties from January to November 2026, each on the 2nd of the next month; 兰山区's
/// March never sent; 罗庄区's June returned; 河东区 approved every month.
fn linyi_year(d: &Path, data: &Path) {
    for m in 1..=11 {
        let p = format!("2026-{m:02}");
        let dir = d.join(&p);
        ok(&yuebao(&["sample", "--period", &p, "--region", "371300", "-o", s(&dir), "-q"]));
        if m == 3 {
            std::fs::remove_file(dir.join("371302-兰山区-2026-03.xlsx")).unwrap();
        }
        let next = if m == 12 { "2027-01".to_string() } else { format!("2026-{:02}", m + 1) };
        let at = format!("{next}-02 09:00");
        let run = yuebao(&["submit", "--data", s(data), "--now", DECEMBER, "--received-at", &at, s(&dir)]);
        assert!(run.code <= 1, "{}", run.stderr);
        ok(&yuebao(&[
            "review",
            "approve",
            "--data",
            s(data),
            "--region",
            "371312",
            "--period",
            &p,
            "--now",
            DECEMBER,
        ]));
    }
    ok(&yuebao(&[
        "review",
        "return",
        "--data",
        s(data),
        "--region",
        "371311",
        "--period",
        "2026-06",
        "--reason",
        "请核实",
        "--now",
        DECEMBER,
    ]));
}

fn sheet_names(bytes: &[u8], path: &Path) -> Vec<String> {
    use calamine::Reader;
    std::fs::write(path, bytes).unwrap();
    calamine::open_workbook_auto(path).unwrap().sheet_names()
}

#[test]
fn the_readiness_check_and_the_two_versions_of_the_annual_report() {
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    linyi_year(d.path(), &data);
    let server = Server::start(&data, &["--now", DECEMBER]);
    let mut city = Client::new(&server);
    city.login("linyi", "Ly-city-4");

    let page = city.get("/annual?year=2026");
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    // Which version is which: the package is the one to make on 12-08.
    assert!(
        html.contains("报送版（1–11月）") && html.contains("12月10日前报省") && html.contains("12月15日前报部"),
        "{html}"
    );
    assert!(html.contains("终版（1–12月）") && html.contains("2027-01-05"), "{html}");
    assert!(html.contains("年报完整性检查（1–11月）") && html.contains("已检查 132 个月报"), "{html}");
    // 1 missing + 1 returned + 119 accepted but unreviewed (河东区's 11 are approved).
    assert!(html.contains("有 <strong>121</strong> 处未就绪"), "{html}");
    assert!(
        html.contains("逾期未报 <strong>1</strong>") && html.contains("审核退回 <strong>1</strong>") && html.contains("待审核 <strong>119</strong>"),
        "{html}"
    );
    assert!(html.contains("/city/371302?period=2026-03"), "a link to the missing month");

    // The current version by default: January–November, its year-end sheet November's.
    let a = city.get("/annual/download?year=2026");
    assert_eq!(a.status, 200, "{}", a.text());
    assert!(
        a.header("content-disposition").unwrap().contains("%EF%BC%881-11%E6%9C%88%EF%BC%89"),
        "{:?}",
        a.header("content-disposition")
    );
    let names = sheet_names(&a.body, &d.path().join("package.xlsx"));
    assert_eq!(names.first().map(String::as_str), Some("2026年11月"), "{names:?}");
    assert!(names.contains(&"比上年末".to_string()) && names.contains(&"报送记录".to_string()), "{names:?}");
    let (_, nov) = crate::workbooks::first_sheet(&d.path().join("package.xlsx"));
    assert!(crate::workbooks::values_of(&nov, "河东区").iter().all(Option::is_some));
    // The final version on request.
    let a = city.get("/annual/download?year=2026&last=12");
    let names = sheet_names(&a.body, &d.path().join("final.xlsx"));
    assert_eq!(names.first().map(String::as_str), Some("2026年12月"), "{names:?}");
    assert!(names.contains(&"同比".to_string()));

    // The province: its cities' own sheets are checked too, and it downloads any city's book.
    let mut province = Client::new(&server);
    province.login("shandong", "Sd-prov-5");
    let html = province.get("/annual?region=370000&year=2026").text();
    assert!(html.contains("市报表：逾期未报") && html.contains("临沂市"), "{html}");
    let a = province.get("/annual/download?region=370000&of=371300&year=2026");
    assert_eq!(a.status, 200, "{}", a.text());
    let a = province.get("/annual/download?region=370000&year=2026");
    assert!(
        a.header("content-disposition").unwrap().contains("370000"),
        "{:?}",
        a.header("content-disposition")
    );

    // Out of scope: another city's book, the province's page, a county account.
    assert_eq!(city.get("/annual?region=370000&year=2026").status, 403);
    assert_eq!(city.get("/annual/download?region=370000&of=370200&year=2026").status, 403);
    assert_eq!(city.get("/annual/download?region=371300&of=370200&year=2026").status, 403);
    let mut county = Client::new(&server);
    county.login("lanshan", "Ls-county-1");
    // A county has no annual report of its own, and is not shown the city's.
    let a = county.get("/annual?year=2026");
    assert_eq!(a.status, 400, "{}", a.text());
    assert!(
        a.text().contains("是县区，县区报表不需要再汇总") && !a.text().contains("临沂市"),
        "{}",
        a.text()
    );

    // Each download is in the audit log.
    let log = json(&["audit", "--data", s(&data), "--action", "download"]);
    assert!(log["entries"].as_array().unwrap().len() >= 4, "{log:#}");
}

#[test]
fn annual_through_a_month_on_the_command_line() {
    let d = tmp();
    let data = d.path().join("data");
    linyi_year(d.path(), &data);
    // `annual` for 临沂市's 2026 into OUT, with EXTRA arguments.
    let annual = |out: &str, extra: &[&str]| {
        let dir = d.path().join(out);
        let mut args = vec!["annual", "--year", "2026", "--region", "371300", "--data", s(&data), "-o", s(&dir)];
        args.extend_from_slice(extra);
        (yuebao(&args), dir)
    };
    let (run, out) = annual("out", &["--through", "2026-11", "--now", DECEMBER]);
    ok(&run);
    assert!(
        run.stdout.contains("报送版（1–11月）") && run.stdout.contains("11 月县区应报 12，实报 12"),
        "{}",
        run.stdout
    );
    let file = out.join("371300-临沂市-2026年报（1-11月）.xlsx");
    assert!(file.is_file(), "{}", run.stdout);
    // Without --through on 12-08 the package is made; a month of another year is refused.
    let (run, _) = annual("o2", &["--now", DECEMBER]);
    ok(&run);
    assert!(run.stdout.contains("报送版"), "{}", run.stdout);
    let (run, _) = annual("o4", &["--through", "2025-11"]);
    assert!(run.code == 2 && run.stderr.contains("不在 --year 2026 年内"), "{}", run.stderr);
    // After December is due the final version is the default.
    let (run, _) = annual("o3", &["--now", "2027-01-06 09:00"]);
    ok(&run);
    assert!(
        run.stdout.contains("终版（1–12月）") && run.stdout.contains("12 月县区应报 12，实报 0"),
        "{}",
        run.stdout
    );
}
