//! The portal in a real browser: headless Chromium driven through chromedriver (Debian's
//! `chromium` and `chromium-driver`). A county and a city, each in its own browser session, run
//! October end to end: the county uploads a sheet with an error and sees the red cell with its
//! message, uploads one with only a warning and submits it with a 说明; the city returns it with
//! a reason; the county sees the reason and hands in again; the city approves and downloads the
//! rollup. Then a city and the province take a month up the chain: 上报, 退回, 上报 again,
//! 审核通过, the province rollup. Screenshots of every step go to `target/screenshots/`.
//!
//! Without a browser the test says so and passes, except under CI (`CI=true`), where a missing
//! browser is a failure: `.ci/run` installs it.

use super::{Server, accounts, add_user};
use crate::support::*;
use fantoccini::{Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const NOW: &str = "2026-11-03 10:00";

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/lib/chromium")])
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// chromedriver and the browser, or why not.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let driver = find_program(&["chromedriver"]);
    let chrome = find_program(&["chromium", "chromium-browser", "google-chrome"]);
    match (driver, chrome) {
        (Some(d), Some(c)) => Some((d, c)),
        // Any CI setting (`true`, `1`, `yes`) makes a missing browser a failure, not a skip.
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty()) => {
            panic!("CI 上必须能运行浏览器测试：找不到 chromium 或 chromedriver（.ci/run 应已安装 chromium 与 chromium-driver）")
        }
        _ => {
            eprintln!("跳过浏览器测试：找不到 chromium 或 chromedriver（apt-get install chromium chromium-driver）");
            None
        }
    }
}

/// A running chromedriver; stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The driver and the browsers it started are one process group: a test that panics
        // before closing its sessions leaves no browser behind.
        // SAFETY: kill(2) on the process group this driver leads; no memory is touched.
        unsafe {
            libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn start(program: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        use std::os::unix::process::CommandExt;
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Stopped by Drop, also when it never answers.
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        for _ in 0..100 {
            if agent.get(format!("{}/status", driver.url)).call().is_ok() {
                return driver;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("chromedriver did not start");
    }

    /// A fresh browser profile: its own cookies, like a person at their own desk.
    async fn session(&self, chrome: &Path) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chrome,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000", "--lang=zh-CN"],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a browser session")
    }
}

/// The portal on `data` as of [`NOW`], its address, and a chromedriver to drive browsers at it.
fn portal_and_driver(data: &Path, driver_program: &Path) -> (Server, String, Driver) {
    let server = Server::start(data, &["--now", NOW]);
    let base = server.url.clone();
    (server, base, Driver::start(driver_program))
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"), PathBuf::from);
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The whole page as a PNG under `target/screenshots/`.
async fn shot(c: &Client, name: &str) {
    c.set_window_size(1400, 1000).await.unwrap();
    let h = c.execute("return document.documentElement.scrollHeight", vec![]).await.unwrap();
    let h = h.as_u64().unwrap_or(1000).clamp(600, 8000) as u32;
    c.set_window_size(1400, h + 140).await.unwrap();
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

/// The element `css` once the page has it; else the page is kept as `failed.png` and its text
/// is in the panic.
async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    match c.wait().at_most(Duration::from_secs(30)).for_element(Locator::Css(css)).await {
        Ok(e) => e,
        Err(e) => {
            let url = c.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            let text = match c.find(Locator::Css("body")).await {
                Ok(b) => b.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            shot(c, "failed").await;
            panic!("no {css} on {url} ({e}):\n{text}");
        }
    }
}

async fn text_of(c: &Client, css: &str) -> String {
    text_with(c, css, "").await
}

/// The text of `css` once it contains `want`: a page that is still being replaced by the next
/// one (its elements going stale, or the old text still showing) is read again.
async fn text_with(c: &Client, css: &str, want: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(t) = wait_for(c, css).await.text().await {
            if t.contains(want) {
                return t;
            }
            last = t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css} never showed “{want}”; last text:\n{last}");
}

async fn sign_in(c: &Client, base: &str, user: &str, password: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    wait_for(c, "input[name=username]").await.send_keys(user).await.unwrap();
    c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(password).await.unwrap();
    c.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for(c, "header .who").await;
}

/// Picks `file` in the page's upload form (and a 说明 when given) and submits it; waits for the
/// result page.
async fn upload(c: &Client, file: &Path, note: Option<&str>) -> String {
    wait_for(c, "form.upload input[type=file]")
        .await
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    // Past the due date the form asks why.
    if let Ok(late) = c.find(Locator::Css("form.upload textarea[name=late_reason]")).await {
        late.send_keys("补报上月报表").await.unwrap();
    }
    if let Some(n) = note {
        c.find(Locator::Css("form.upload details summary")).await.unwrap().click().await.unwrap();
        c.find(Locator::Css("form.upload textarea[name=note]"))
            .await
            .unwrap()
            .send_keys(n)
            .await
            .unwrap();
    }
    c.find(Locator::Css("form.upload button[type=submit]")).await.unwrap().click().await.unwrap();
    text_of(c, "section.verdict").await
}

#[test]
fn a_county_and_a_city_run_october_in_their_browsers() {
    let Some((driver_program, chrome)) = browser() else { return };
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let (_server, base, driver) = portal_and_driver(&data, &driver_program);

    // The files: September clean; October with an error (第(3)栏 above 第(2)栏 in 银雀山街道),
    // and October with a jump in 第(9)栏 that only a 说明 gets accepted.
    let sep = lanshan(&d.path().join("sep"), "2026-09", &lanshan_rows());
    let mut rows = lanshan_rows();
    rows[1].1[2] = rows[1].1[1] + 50;
    let bad_value = rows[1].1[2].to_string();
    let bad = lanshan(&d.path().join("bad"), "2026-10", &rows);
    let mut jump = lanshan_rows();
    for r in &mut jump {
        r.1[8] = r.1[8] * 3 / 2 + 40;
    }
    let warned = lanshan(&d.path().join("warned"), "2026-10", &jump);

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let county = driver.session(&chrome).await;
        let city = driver.session(&chrome).await;

        sign_in(&county, &base, "lanshan", "Ls-county-1").await;
        let h1 = text_of(&county, "h1").await;
        assert!(h1.contains("兰山区") && h1.contains("2026年10月"), "{h1}");
        assert!(text_of(&county, "section.deadline").await.contains("还有 3 个工作日"));
        shot(&county, "01-county-page").await;

        county.goto(&format!("{base}/county?period=2026-09")).await.unwrap();
        assert!(upload(&county, &sep, None).await.contains("已接收"));

        // An error: the red cell carries its message.
        county.goto(&format!("{base}/county")).await.unwrap();
        let verdict = upload(&county, &bad, None).await;
        assert!(verdict.contains("未接收") && verdict.contains("1 处错误"), "{verdict}");
        let cell = wait_for(&county, "table.sheet td.err").await;
        let said = cell.text().await.unwrap();
        assert!(said.contains(&bad_value) && said.contains("E201") && said.contains("大于"), "{said}");
        assert!(cell.is_displayed().await.unwrap());
        let fill = cell.css_value("background-color").await.unwrap();
        assert!(
            fill.starts_with("rgb(255, 199, 206") || fill.starts_with("rgba(255, 199, 206"),
            "red fill: {fill}"
        );
        let msg = cell.find(Locator::Css(".msg")).await.unwrap();
        assert!(msg.is_displayed().await.unwrap(), "the message is shown on the cell, not only on hover");
        shot(&county, "02-county-result-with-error").await;

        // Only a warning: held until the 说明 is given on the result page.
        county.goto(&format!("{base}/county")).await.unwrap();
        let verdict = upload(&county, &warned, None).await;
        assert!(verdict.contains("待说明"), "{verdict}");
        assert!(wait_for(&county, "table.sheet td.warn").await.text().await.unwrap().contains("W"));
        shot(&county, "03-county-result-with-warning").await;
        wait_for(&county, "section.explain textarea[name=note]")
            .await
            .send_keys("10月集中举办技能培训班")
            .await
            .unwrap();
        county
            .find(Locator::Css("section.explain button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let verdict = text_with(&county, "section.verdict", "已接收").await;
        assert!(verdict.contains("10月集中举办技能培训班"), "{verdict}");

        // The city: its board, the county's drill-down, 退回 with a reason.
        sign_in(&city, &base, "linyi", "Ly-city-4").await;
        let board = text_of(&city, "table.board").await;
        assert!(board.contains("兰山区") && board.contains("按时，待审核"), "{board}");
        shot(&city, "04-city-board").await;
        city.find(Locator::LinkText("兰山区")).await.unwrap().click().await.unwrap();
        let compare = text_of(&city, "section.compare").await;
        assert!(compare.contains("第 2 版 → 第 3 版"), "{compare}");
        wait_for(&city, "form textarea[name=reason]")
            .await
            .send_keys("第(5)栏与扶贫台账不符，请核实")
            .await
            .unwrap();
        city.find(Locator::Css("button.danger")).await.unwrap().click().await.unwrap();
        assert!(text_of(&city, "p.flash").await.contains("已退回"));
        shot(&city, "05-city-drill-down-returned").await;

        // The county sees why, and hands in again with its 说明.
        county.goto(&format!("{base}/county?period=2026-10")).await.unwrap();
        let standing = text_of(&county, "section.standing").await;
        assert!(standing.contains("审核退回") && standing.contains("第(5)栏与扶贫台账不符"), "{standing}");
        shot(&county, "06-county-sees-the-return").await;
        let verdict = upload(&county, &warned, Some("已与台账核对，培训班集中在10月")).await;
        assert!(verdict.contains("已接收"), "{verdict}");

        // The city approves (confirming the lock) and downloads the rollup.
        city.goto(&format!("{base}/city/371302?period=2026-10")).await.unwrap();
        wait_for(&city, "form[data-confirm] button").await.click().await.unwrap();
        city.accept_alert().await.unwrap();
        assert!(text_of(&city, "p.flash").await.contains("已审核通过"));
        city.goto(&format!("{base}/city?period=2026-10")).await.unwrap();
        let href = wait_for(&city, "a[href^='/rollup']").await.attr("href").await.unwrap().unwrap();
        let bytes = fetch_bytes(&city, href).await;
        let path = d.path().join("rollup.xlsx");
        std::fs::write(&path, bytes).unwrap();
        let (_, r) = crate::workbooks::first_sheet(&path);
        let want: Vec<Option<i64>> = (0..21).map(|k| Some(jump.iter().map(|(_, v)| v[k]).sum())).collect();
        assert_eq!(crate::workbooks::values_of(&r, "兰山区"), want);
        shot(&city, "07-city-board-approved").await;

        county.goto(&format!("{base}/county?period=2026-10")).await.unwrap();
        assert!(text_of(&county, "main").await.contains("已审核通过并锁定"));

        // 罗庄区 sends its sheet by e-mail: the board says so, beside 兰山区's portal uploads,
        // and so does 罗庄区's history.
        let sheet = std::fs::read(county_file(&d.path().join("mail"), "371311", "罗庄区", "2026-10", &luozhuang_rows())).unwrap();
        let eml = crate::mail::eml_with_sheet(
            &d.path().join("mail"),
            "luozhuang@county.example",
            "罗庄区.xlsx",
            &sheet,
            "Mon, 2 Nov 2026 08:30:00 +0800",
        );
        ok(&yuebao(&["inbox", s(&eml), "--data", s(&data), "--now", NOW]).with_code_at_most(1));
        city.goto(&format!("{base}/city?period=2026-10")).await.unwrap();
        let board = text_with(&city, "table.list tbody", "罗庄区").await;
        let line = |name: &str| board.lines().find(|l| l.contains(name)).unwrap_or_default().to_string();
        assert!(line("罗庄区").contains("邮件 luozhuang@county.example"), "{board}");
        assert!(line("兰山区").contains("门户"), "{board}");
        shot(&city, "08-city-board-mail").await;
        city.goto(&format!("{base}/city/371311?period=2026-10")).await.unwrap();
        let versions = text_of(&city, "table.versions").await;
        assert!(
            versions.contains("邮件 luozhuang@county.example") && versions.contains("2026-11-02 08:30"),
            "{versions}"
        );
        county.close().await.unwrap();
        city.close().await.unwrap();
    });
    assert_eq!(history(&data, "371302", "2026-10").len(), 4);
}

/// The bytes behind a download link, fetched by the page itself (with its session cookie).
async fn fetch_bytes(c: &Client, href: String) -> Vec<u8> {
    let fetched = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => {
               let s = ''; new Uint8Array(b).forEach(x => s += String.fromCharCode(x)); done(btoa(s));
             });",
            vec![serde_json::Value::String(href)],
        )
        .await
        .unwrap();
    base64_decode(fetched.as_str().unwrap())
}

/// The second scenario: 临沂市's counties are in; the city reports its rollup, the province
/// returns it with a reason, the city reports again, the province approves and downloads the
/// province rollup. Screenshots of the province board and the year view.
#[test]
fn a_city_and_the_province_take_october_up_the_chain_in_their_browsers() {
    let Some((driver_program, chrome)) = browser() else { return };
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let files = d.path().join("linyi");
    ok(&yuebao(&["sample", "--period", "2026-10", "--region", "371300", "-o", s(&files), "-q"]));
    let run = yuebao(&["submit", "--data", s(&data), "--now", NOW, "--received-at", "2026-11-02 09:00", s(&files)]);
    assert!(run.code <= 1, "{}", run.stderr);
    let (_server, base, driver) = portal_and_driver(&data, &driver_program);

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let city = driver.session(&chrome).await;
        let province = driver.session(&chrome).await;

        // The city reports its rollup from its board.
        sign_in(&city, &base, "linyi", "Ly-city-4").await;
        city.goto(&format!("{base}/city?period=2026-10")).await.unwrap();
        assert!(text_of(&city, "section.report").await.contains("本月尚未上报"));
        wait_for(&city, "form[action='/report'] button[type=submit]").await.click().await.unwrap();
        assert!(text_of(&city, "p.flash").await.contains("已上报汇总表"));
        shot(&city, "08-city-reported").await;

        // The province: its board of cities, then 临沂市's sheet, returned with a reason.
        sign_in(&province, &base, "shandong", "Sd-prov-5").await;
        province.goto(&format!("{base}/city?period=2026-10&region=370000")).await.unwrap();
        let board = text_of(&province, "table.board").await;
        assert!(
            board.contains("临沂市") && board.contains("按时，待审核") && board.contains("12 / 12"),
            "{board}"
        );
        shot(&province, "09-province-board").await;
        // Copying a 催报 reminder goes into the audit log.
        province.find(Locator::Css("button[data-remind]")).await.unwrap().click().await.unwrap();
        assert!(text_with(&province, "button[data-remind]", "已复制").await.contains("已复制"));
        province.find(Locator::LinkText("临沂市")).await.unwrap().click().await.unwrap();
        wait_for(&province, "form textarea[name=reason]")
            .await
            .send_keys("请补充兰山区的说明后重新上报")
            .await
            .unwrap();
        province.find(Locator::Css("button.danger")).await.unwrap().click().await.unwrap();
        assert!(text_of(&province, "p.flash").await.contains("已退回"));

        // The city sees why and reports again.
        city.goto(&format!("{base}/city?period=2026-10")).await.unwrap();
        let card = text_with(&city, "section.report", "省厅退回").await;
        assert!(card.contains("请补充兰山区的说明后重新上报"), "{card}");
        wait_for(&city, "form[action='/report'] button[type=submit]").await.click().await.unwrap();
        assert!(text_of(&city, "p.flash").await.contains("已上报汇总表"));

        // The province approves and downloads the province rollup.
        province.goto(&format!("{base}/city/371300?period=2026-10")).await.unwrap();
        wait_for(&province, "form[data-confirm] button").await.click().await.unwrap();
        province.accept_alert().await.unwrap();
        assert!(text_of(&province, "p.flash").await.contains("已审核通过"));
        province.goto(&format!("{base}/city?period=2026-10&region=370000")).await.unwrap();
        let board = text_with(&province, "table.board", "已审核通过").await;
        assert!(board.contains("临沂市"), "{board}");
        let href = wait_for(&province, "a[href^='/rollup']").await.attr("href").await.unwrap().unwrap();
        let path = d.path().join("province.xlsx");
        std::fs::write(&path, fetch_bytes(&province, href).await).unwrap();
        let (_, r) = crate::workbooks::first_sheet(&path);
        assert!(crate::workbooks::values_of(&r, "临沂市").iter().all(Option::is_some));
        shot(&province, "10-province-board-approved").await;

        province.goto(&format!("{base}/year?region=370000&year=2026")).await.unwrap();
        assert!(text_of(&province, "table.year").await.contains("临沂市"));
        shot(&province, "11-province-year").await;
        province.goto(&format!("{base}/annual?region=370000&year=2026")).await.unwrap();
        assert!(text_of(&province, "section.readiness").await.contains("年报完整性检查"));
        shot(&province, "12-province-annual").await;
        province.goto(&format!("{base}/audit")).await.unwrap();
        let log = text_of(&province, "table.audit").await;
        assert!(log.contains("上报") && log.contains("请补充兰山区的说明后重新上报"), "{log}");
        assert!(log.contains("催报") && log.contains("济南市"), "{log}");
        shot(&province, "13-audit-log").await;
        city.close().await.unwrap();
        province.close().await.unwrap();
    });
    let log = json(&["audit", "--data", s(&data), "--action", "report"]);
    assert_eq!(log["entries"].as_array().unwrap().len(), 2);
}

/// The workbooks counties keep: a year's workbook with a sheet per month, uploaded on
/// October's page, is read for October; a sheet with 小计 rows is accepted and its subtotal rows
/// are shown as such; a wrong 小计 is red at its cell.
#[test]
fn a_county_uploads_its_year_workbook_and_a_sheet_with_subtotals() {
    let Some((driver_program, chrome)) = browser() else { return };
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    let (_server, base, driver) = portal_and_driver(&data, &driver_program);
    // No month in the file name: only the page says October.
    let year = year_book(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], true).save(d.path(), "兰山区2026年月报.xlsx");
    // The 小计 sheets are 罗庄区's: its own baseline of column (1).
    let luozhuang = || Fixture {
        unit_line: Some("填报单位：罗庄区（371311）".into()),
        ..with_subtotals()
    };
    let subtotals = luozhuang().save(d.path(), "罗庄区小计.xlsx");
    let mut wrong = luozhuang();
    wrong.set(4, 5, V::from(1));
    let wrong_cell = wrong.placed().a1(4, 5);
    let wrong = wrong.save(d.path(), "罗庄区小计有误.xlsx");

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let county = driver.session(&chrome).await;
        sign_in(&county, &base, "luozhuang", "Lz-county-2").await;
        county.goto(&format!("{base}/county?period=2026-10")).await.unwrap();
        let verdict = upload(&county, &subtotals, None).await;
        assert!(verdict.contains("已接收"), "{verdict}");
        // Two subtotal rows, each drawn in its own fill across the table's columns.
        let marked = county.find_all(Locator::Css("table.sheet td.sub")).await.unwrap();
        assert!(marked.len() >= 2 * 22, "{} cells marked", marked.len());
        let texts: Vec<String> = texts_of(&marked).await;
        assert!(texts.iter().any(|t| t == "街道小计") && texts.iter().any(|t| t == "乡镇小计"), "{texts:?}");
        assert!(text_of(&county, "p.legend").await.contains("小计行"));
        shot(&county, "14-county-subtotals").await;

        county.goto(&format!("{base}/county?period=2026-10")).await.unwrap();
        let verdict = upload(&county, &wrong, None).await;
        assert!(verdict.contains("未接收"), "{verdict}");
        let cell = wait_for(&county, &format!("table.sheet td.err[data-cell='{wrong_cell}']")).await;
        let said = cell.text().await.unwrap();
        assert!(said.contains("E205") && said.contains("兰山街道") && said.contains("柳青街道"), "{said}");

        county.close().await.unwrap();

        let county = driver.session(&chrome).await;
        sign_in(&county, &base, "lanshan", "Ls-county-1").await;
        county.goto(&format!("{base}/county?period=2026-10")).await.unwrap();
        let verdict = upload(&county, &year, None).await;
        assert!(verdict.contains("已接收"), "{verdict}");
        assert!(text_of(&county, "h1").await.contains("2026年10月"));
        let findings = text_of(&county, "table.findings").await;
        assert!(findings.contains("I005") && findings.contains("审核的是工作表“10月”"), "{findings}");
        let heading = county
            .find(Locator::XPath("//h2[contains(., '表格（工作表')]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(heading, "表格（工作表“10月”）");
        shot(&county, "15-county-year-workbook").await;
        county.close().await.unwrap();
    });
    // The year workbook counts for October, with October's figures: the first township's
    // column (1) carries +10.
    assert_eq!(history(&data, "371302", "2026-10").len(), 1);
    assert!(history(&data, "371302", "2026-09").is_empty());
    assert_eq!(history(&data, "371311", "2026-10").len(), 2);
    let row = rollup_row_from_store(&data, &d.path().join("r"), "2026-10", "371300", "371302");
    assert_eq!(row["values"][0], default_sums()[0] + 10, "{row:#}");
}

/// The city's 系统管理员 keeps the address book that tells whose sheet a mail is: an address
/// entered in the form on the accounts page is listed there, and `contacts list` has it.
#[test]
fn an_admin_keeps_the_address_book_in_the_browser() {
    let Some((driver_program, chrome)) = browser() else { return };
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    add_user(&data, "ly-admin", "临沂市", "admin", "Admin-ly-1");
    let (_server, base, driver) = portal_and_driver(&data, &driver_program);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let admin = driver.session(&chrome).await;
        sign_in(&admin, &base, "ly-admin", "Admin-ly-1").await;
        admin.goto(&format!("{base}/users")).await.unwrap();
        let form = wait_for(&admin, "section.contacts form").await;
        form.find(Locator::XPath(".//select[@name='region']/option[contains(., '罗庄区')]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        form.find(Locator::Css("input[name=name]")).await.unwrap().send_keys("李强").await.unwrap();
        form.find(Locator::Css("input[name=email]"))
            .await
            .unwrap()
            .send_keys("LuoZhuang@County.Example")
            .await
            .unwrap();
        form.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
        let list = text_with(&admin, "table.contacts", "罗庄区").await;
        let row = list.lines().find(|l| l.contains("罗庄区")).unwrap_or_default();
        assert!(row.contains("李强") && row.contains("luozhuang@county.example"), "{list}");
        assert!(text_of(&admin, "section.contacts h2").await.contains("通讯录（1）"));
        shot(&admin, "16-admin-contacts").await;
        admin.close().await.unwrap();
    });
    let listed = yuebao(&["contacts", "list", "--data", s(&data)]);
    ok(&listed);
    assert!(
        listed.stdout.contains("luozhuang@county.example") && listed.stdout.contains("罗庄区"),
        "{}",
        listed.stdout
    );
}

async fn texts_of(cells: &[fantoccini::elements::Element]) -> Vec<String> {
    let mut out = Vec::new();
    for c in cells {
        out.push(c.text().await.unwrap_or_default());
    }
    out
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = text.bytes().filter(|c| *c != b'=').collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let v: Vec<u32> = chunk.iter().map(|c| u32::from(value(*c))).collect();
        let n = v.iter().enumerate().fold(0u32, |n, (i, x)| n | (x << (18 - 6 * i)));
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// 海南省's own portal (`serve --province 460000`): 五指山市, a county-level city under the
/// province directly, uploads its sheet on its county page; the province's board lists it
/// among the units it oversees itself, and the province's reviewer approves it there.
#[test]
fn a_unit_under_the_province_directly_is_reviewed_by_the_province_in_the_browser() {
    let Some((driver_program, chrome)) = browser() else { return };
    let d = tmp();
    let data = d.path().join("data");
    let hainan = [("YUEBAO_PROVINCE", "460000")];
    super::add_user_env(&data, "wuzhishan", "五指山市", "reporter", "Wz-county-7", &hainan);
    super::add_user_env(&data, "hainan", "460000", "reviewer", "Hn-prov-8", &hainan);
    let files = d.path().join("s");
    ok(&yuebao_env(
        d.path(),
        &["sample", "--period", "2026-10", "--region", "469001", "-o", s(&files), "-q"],
        &hainan,
    ));
    let file = std::fs::read_dir(&files).unwrap().next().unwrap().unwrap().path();
    let server = Server::start(&data, &["--now", NOW, "--province", "460000"]);
    let base = server.url.clone();
    let driver = Driver::start(&driver_program);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let unit = driver.session(&chrome).await;
        sign_in(&unit, &base, "wuzhishan", "Wz-county-7").await;
        let verdict = upload(&unit, &file, None).await;
        assert!(verdict.contains("已接收"), "{verdict}");

        let province = driver.session(&chrome).await;
        sign_in(&province, &base, "hainan", "Hn-prov-8").await;
        province.goto(&format!("{base}/city?period=2026-10&region=460000")).await.unwrap();
        let direct = text_of(&province, "table.direct").await;
        assert!(
            direct.contains("五指山市") && direct.contains("按时，待审核") && direct.contains("琼海市"),
            "{direct}"
        );
        let cities = text_of(&province, "table.province").await;
        assert!(cities.contains("海口市") && !cities.contains("五指山市"), "{cities}");
        shot(&province, "20-hainan-board").await;
        province.goto(&format!("{base}/city/469001?period=2026-10")).await.unwrap();
        wait_for(&province, "form[data-confirm] button").await.click().await.unwrap();
        province.accept_alert().await.unwrap();
        assert!(text_of(&province, "p.flash").await.contains("已审核通过"));
        province.goto(&format!("{base}/city?period=2026-10&region=460000")).await.unwrap();
        let direct = text_with(&province, "table.direct", "已审核通过").await;
        assert!(direct.contains("五指山市"), "{direct}");
        // The 催报 hint and the year view say who hands in to 海南省: cities and units alike.
        assert!(text_of(&province, "section.chase").await.contains("发给各市和省直管县（市、区）"));
        province.goto(&format!("{base}/year?region=460000&year=2026")).await.unwrap();
        assert_eq!(text_of(&province, "h1").await, "海南省 · 2026年各市和省直管县（市、区）上报情况");
        assert_eq!(text_of(&province, "table.year th").await, "市、县（市、区）");
        assert!(text_of(&province, "table.year").await.contains("五指山市"));
        // The unit's locked month names its reviewer: the province.
        unit.goto(&format!("{base}/county?period=2026-10")).await.unwrap();
        assert!(text_of(&unit, "p.note").await.contains("请联系海南省审核人解锁"));
        unit.close().await.unwrap();
        province.close().await.unwrap();
    });
}

/// The ministry's portal (`serve --province 000000`): 海南省's reviewer hands in the province
/// sheet its own installation made, from the province's board; the ministry sees 海南省 among
/// the 31 provinces on its board, approves it, and chases the rest.
#[test]
fn a_province_hands_its_sheet_to_the_ministry_in_the_browser() {
    let Some((driver_program, chrome)) = browser() else { return };
    let d = tmp();
    let data = d.path().join("data");
    let ministry = [("YUEBAO_PROVINCE", "000000")];
    super::add_user_env(&data, "hainan", "460000", "reviewer", "Hn-prov-8", &ministry);
    super::add_user_env(&data, "buzhang", "000000", "reviewer", "Bu-ministry-9", &ministry);
    // 海南省's own installation makes its sheet.
    let hainan = [("YUEBAO_PROVINCE", "460000")];
    ok(&yuebao_env(d.path(), &["sample", "--period", "2026-10", "-o", "s", "-q"], &hainan));
    ok(&yuebao_env(d.path(), &["rollup", "--period", "2026-10", "s", "-o", "r", "-q"], &hainan));
    let sheet = d.path().join("r/460000-海南省-2026-10.xlsx");
    assert!(sheet.is_file());
    let server = Server::start(&data, &["--now", NOW, "--province", "000000"]);
    let base = server.url.clone();
    let driver = Driver::start(&driver_program);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let province = driver.session(&chrome).await;
        sign_in(&province, &base, "hainan", "Hn-prov-8").await;
        province.goto(&format!("{base}/city?period=2026-10")).await.unwrap();
        assert!(text_of(&province, "section.report h2").await.contains("上报部"));
        wait_for(&province, "details.own-sheet summary").await.click().await.unwrap();
        let verdict = upload(&province, &sheet, None).await;
        assert!(verdict.contains("已接收"), "{verdict}");
        shot(&province, "21-province-to-ministry").await;

        let staff = driver.session(&chrome).await;
        sign_in(&staff, &base, "buzhang", "Bu-ministry-9").await;
        staff.goto(&format!("{base}/city?period=2026-10&region=000000")).await.unwrap();
        let board = text_of(&staff, "table.province").await;
        assert!(
            board.contains("海南省") && board.contains("按时，待审核") && board.contains("河北省"),
            "{board}"
        );
        assert!(text_of(&staff, "h1").await.contains("各省上报情况"));
        shot(&staff, "22-ministry-board").await;
        staff.goto(&format!("{base}/city/460000?period=2026-10")).await.unwrap();
        wait_for(&staff, "form[data-confirm] button").await.click().await.unwrap();
        staff.accept_alert().await.unwrap();
        assert!(text_of(&staff, "p.flash").await.contains("已审核通过"));
        staff.goto(&format!("{base}/city?period=2026-10&region=000000")).await.unwrap();
        let board = text_with(&staff, "table.province", "已审核通过").await;
        assert!(board.contains("海南省"), "{board}");
        // The ministry's year view: a row per province.
        staff.goto(&format!("{base}/year?region=000000&year=2026")).await.unwrap();
        assert_eq!(text_of(&staff, "h1").await, "全国 · 2026年各省（区、市）上报情况");
        assert_eq!(text_of(&staff, "table.year th").await, "省（区、市）");
        let year = text_of(&staff, "table.year").await;
        assert!(year.contains("海南省") && year.contains("新疆维吾尔自治区"), "{year}");
        let row = staff.find(Locator::Css("table.year td[title^='海南省 2026年10月']")).await.unwrap();
        assert_eq!(row.text().await.unwrap(), "已审");
        assert!(staff.source().await.unwrap().contains("点击省名看该省各市的全年情况"));
        shot(&staff, "24-ministry-year").await;
        province.close().await.unwrap();
        staff.close().await.unwrap();
    });
}

/// 济南市's year 2019 in the browser: 莱芜区's January is the sheet 莱城区 handed in under its
/// old code (莱芜市 was merged into 济南市 that year), and the page names the change.
#[test]
fn a_city_s_year_across_a_change_of_divisions_in_the_browser() {
    let Some((driver_program, chrome)) = browser() else { return };
    let d = tmp();
    let data = d.path().join("data");
    let now = "2020-01-20 10:00";
    add_user(&data, "jinan", "济南市", "reviewer", "Jn-city-6");
    ok(&yuebao_in(
        d.path(),
        &["sample", "--region", "371200", "--period", "2019-01", "-o", "jan", "-q"],
    ));
    let run = yuebao_in(
        d.path(),
        &[
            "submit",
            "--data",
            "data",
            "jan/371202-莱城区-2019-01.xlsx",
            "--received-at",
            "2019-02-01 10:00",
            "--now",
            now,
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let server = Server::start(&data, &["--now", now]);
    let base = server.url.clone();
    let driver = Driver::start(&driver_program);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let city = driver.session(&chrome).await;
        sign_in(&city, &base, "jinan", "Jn-city-6").await;
        city.goto(&format!("{base}/year?year=2019")).await.unwrap();
        let cells = city.find_all(Locator::Css("table.year td[title^='莱芜区 2019年1月']")).await.unwrap();
        assert_eq!(cells.len(), 1);
        assert_eq!(cells[0].text().await.unwrap(), "按时");
        let gangcheng = city.find(Locator::Css("table.year td[title^='钢城区 2019年1月']")).await.unwrap();
        assert_eq!(gangcheng.text().await.unwrap(), "未报");
        let changes = text_of(&city, "section.changes").await;
        assert!(
            changes.contains("2018年12月以来的区划变更") && changes.contains("莱城区（371202）") && changes.contains("莱芜区（370116）"),
            "{changes}"
        );
        shot(&city, "23-city-year-across-a-change").await;
        // The cell opens 莱芜区's January: the upload 莱城区 handed in.
        cells[0].find(Locator::Css("a")).await.unwrap().click().await.unwrap();
        let versions = text_of(&city, "table.versions").await;
        assert!(versions.contains("第 1 版 已接收 2019-02-01 10:00"), "{versions}");
        assert!(text_of(&city, "section.standing").await.contains("按时"));
        // Shown, not acted on: its reviews and lock are 莱城区's.
        assert!(city.find(Locator::Css("form[data-confirm]")).await.is_err());
        city.close().await.unwrap();
    });
}

/// The register in the browser: a county account granted the sight of the cards imports its
/// register, sees the month counted from it and its persons masked, opens one card in full,
/// hands in the month's sheet and sees it agree with the register; the city sees 台账一致 on
/// its board and no person anywhere; a city reviewer granted it lists the county's persons,
/// masked, and opens one card in full.
#[test]
fn a_county_keeps_its_register_in_the_browser() {
    let Some((driver_program, chrome)) = browser() else { return };
    let d = tmp();
    let data = d.path().join("data");
    accounts(&data);
    ok(&yuebao(&["user", "grant", "lanshan", "--data", s(&data), "--now", NOW]));
    add_user(&data, "linyi-hz", "临沂市", "reviewer", "Ly-grant-9x");
    ok(&yuebao(&["user", "grant", "linyi-hz", "--data", s(&data), "--now", NOW]));
    let (sheet, register) = sample_register(d.path(), "371302", "兰山区", "2026-10");
    // No key yet: the portal makes it in the user's configuration directory at the first import.
    let home = d.path().join("home");
    let server = Server::start_env(&data, &["--now", NOW], &[("XDG_CONFIG_HOME", s(&home))]);
    let base = server.url.clone();
    let driver = Driver::start(&driver_program);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let county = driver.session(&chrome).await;
        sign_in(&county, &base, "lanshan", "Ls-county-1").await;
        county.find(Locator::LinkText("台账")).await.unwrap().click().await.unwrap();
        wait_for(&county, "input[type=file][name=file]")
            .await
            .send_keys(&register.display().to_string())
            .await
            .unwrap();
        county
            .find(Locator::XPath("//button[contains(., '导入并审核')]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let flash = text_with(&county, "p.flash", "已导入台账").await;
        assert!(flash.contains("新建卡"), "{flash}");
        assert!(home.join("yuebao").join("personal.key").is_file(), "the key made on first use");
        let derived = text_of(&county, "table.derived").await;
        let first_town = table_first_label(&sheet);
        assert!(derived.contains(&first_town), "{derived}");
        masked_then_in_full(&county, "31-county-register").await;
        shot(&county, "32-county-card-in-full").await;

        // The county starts its month from the sheet the register gives: downloaded from the
        // page's link, column (21) typed in as the county's own sheet has it, handed in.
        county.goto(&format!("{base}/ledger?period=2026-10")).await.unwrap();
        let href = wait_for(&county, "a[href^='/ledger/sheet']").await.attr("href").await.unwrap().unwrap();
        let derived = fetch_bytes(&county, href).await;
        let started = d.path().join("由台账开始.xlsx");
        std::fs::write(&started, &derived).unwrap();
        let finished = with_column_21(&started, &sheet, &d.path().join("填好").join("371302-兰山区-2026-10.xlsx"));
        county.goto(&format!("{base}/county?period=2026-10")).await.unwrap();
        let verdict = upload(&county, &finished, None).await;
        assert!(verdict.contains("已接收"), "{verdict}");

        let city = driver.session(&chrome).await;
        sign_in(&city, &base, "linyi", "Ly-city-4").await;
        city.goto(&format!("{base}/city?period=2026-10")).await.unwrap();
        let board = text_with(&city, "table.board", "台账一致").await;
        assert!(board.contains("兰山区"), "{board}");
        shot(&city, "33-city-board-register").await;
        city.find(Locator::LinkText("台账")).await.unwrap().click().await.unwrap();
        let page = text_of(&city, "main").await;
        assert!(
            page.contains("没有重复人员") && !page.contains("371302********") && !page.contains("列出人员"),
            "{page}"
        );

        let granted = driver.session(&chrome).await;
        sign_in(&granted, &base, "linyi-hz", "Ly-grant-9x").await;
        granted.find(Locator::LinkText("台账")).await.unwrap().click().await.unwrap();
        wait_for(&granted, "select[name=county]").await;
        granted
            .find(Locator::XPath("//button[contains(., '列出人员')]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        masked_then_in_full(&granted, "34-city-granted-register").await;
        county.close().await.unwrap();
        city.close().await.unwrap();
        granted.close().await.unwrap();
    });
}

/// On a page listing 兰山区's persons: they are masked (the page shot as `name`), and the first
/// one's card opens in full.
async fn masked_then_in_full(c: &Client, name: &str) {
    let people = text_of(c, "table.people").await;
    assert!(people.contains("371302********"), "masked: {people}");
    shot(c, name).await;
    c.find(Locator::XPath("//button[contains(., '查看完整信息')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let card = text_of(c, "table.card").await;
    assert!(card.contains("身份证号码 371302") && !card.contains("********"), "{card}");
}

/// A county workbook like `started` (a sheet from the register, column (21) blank) with column
/// (21) of each township as `filled` has it, written to `out` as a county would save it.
fn with_column_21(started: &Path, filled: &Path, out: &Path) -> PathBuf {
    use calamine::{Data, Reader};
    let read = |p: &Path| -> Vec<(String, Vec<i64>)> {
        let mut wb = calamine::open_workbook_auto(p).unwrap();
        let name = wb.sheet_names()[0].clone();
        let range = wb.worksheet_range(&name).unwrap();
        range
            .rows()
            .filter_map(|r| {
                let label = r.get(1).map(|c| c.to_string()).unwrap_or_default();
                let first = match r.get(2) {
                    Some(Data::Float(f)) => Some(*f as i64),
                    Some(Data::Int(i)) => Some(*i),
                    _ => None,
                }?;
                let values = (0..21)
                    .map(|k| match r.get(2 + k) {
                        Some(Data::Float(f)) => *f as i64,
                        Some(Data::Int(i)) => *i,
                        _ => 0,
                    })
                    .collect::<Vec<_>>();
                (!["", "甲", "乙", "合计"].contains(&label.as_str()) && first >= 0).then_some((label, values))
            })
            .collect()
    };
    let mut rows = read(started);
    let own = read(filled);
    for (label, v) in &mut rows {
        let theirs = own.iter().find(|(l, _)| l == label).expect("the same townships");
        v[20] = theirs.1[20];
    }
    let typed: Vec<(&str, Vec<i64>)> = rows.iter().map(|(l, v)| (l.as_str(), v.clone())).collect();
    lanshan(out.parent().unwrap(), "2026-10", &typed)
}

/// The first township of a county workbook.
fn table_first_label(path: &Path) -> String {
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(path).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    let mut after_numbers = false;
    for row in range.rows() {
        let label = row.get(1).map(|c| c.to_string()).unwrap_or_default();
        if after_numbers && !label.is_empty() {
            return label;
        }
        after_numbers |= label == "乙" || label == "甲";
    }
    panic!("no township in {}", path.display());
}
