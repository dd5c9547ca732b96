//! The store through the commands a city bureau uses: `submit`, `history`, `status`,
//! `baseline`, `rollup` with no inputs, `annual` and `verify`; and what happens when a submit is
//! killed or two run at once.

use crate::support::*;
use crate::workbooks::{files_in, first_sheet, ok, row_labelled, s, text, tmp, total_of, values_of, zip_part};
use calamine::{Data, Range, Reader, Xlsx, open_workbook};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn codes_of(outcome: &Value) -> Vec<String> {
    outcome["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

/// A named sheet of a workbook.
pub(crate) fn sheet(path: &Path, name: &str) -> Range<Data> {
    let mut x: Xlsx<_> = open_workbook(path).unwrap();
    x.worksheet_range(name).unwrap_or_else(|e| panic!("{}: no sheet {name}: {e}", path.display()))
}

fn sheet_names(path: &Path) -> Vec<String> {
    let x: Xlsx<_> = open_workbook(path).unwrap();
    x.sheet_names().to_vec()
}

/// The row of a table whose column `col` reads `key`, as text per column.
pub(crate) fn row_where(r: &Range<Data>, col: u32, key: &str) -> Vec<String> {
    let (h, w) = r.end().unwrap();
    let row = (0..=h).find(|&i| text(r, i, col) == key).unwrap_or_else(|| panic!("no row with {key}"));
    (0..=w).map(|c| text(r, row, c)).collect()
}

pub(crate) fn header(r: &Range<Data>, row: u32) -> Vec<String> {
    let (_, w) = r.end().unwrap();
    (0..=w).map(|c| text(r, row, c)).collect()
}

#[test]
fn every_upload_is_kept_and_the_latest_accepted_one_counts() {
    let d = tmp();
    let data = d.path().join("库"); // created on first use
    let v1 = lanshan(&d.path().join("v1"), "2026-10", &lanshan_rows());
    let (code, out) = submit(&data, &[&v1], &["--by", "兰山区 张三", "--received-at", "2026-11-03 10:00"]);
    assert_eq!(code, 0, "{out:#?}");
    assert_eq!((out[0]["status"].as_str(), out[0]["version"].as_i64()), (Some("accepted"), Some(1)));
    assert_eq!(out[0]["timeliness"], "按时");
    assert!(data.join("yuebao.sqlite3").is_file());

    // A corrected file, later: a second version that supersedes the first.
    let mut rows = lanshan_rows();
    rows[0].1[20] += 1;
    let v2 = lanshan(&d.path().join("v2"), "2026-10", &rows);
    let (code, out) = submit(&data, &[&v2], &["--by", "兰山区 李四", "--received-at", "2026-11-06 09:00"]);
    assert_eq!(code, 0);
    assert_eq!(out[0]["version"], 2);
    assert!(
        out[0]["timeliness"].as_str().unwrap().starts_with("按时"),
        "timeliness is the first accepted upload's: {out:#?}"
    );

    let h = history(&data, "371302", "2026-10");
    let by: Vec<(&str, bool)> = h
        .iter()
        .map(|x| (x["submitted_by"].as_str().unwrap(), x["effective"].as_bool().unwrap()))
        .collect();
    assert_eq!(by, [("兰山区 张三", false), ("兰山区 李四", true)]);
    assert_eq!(h[0]["received_at"], "2026-11-03T10:00:00+08:00");

    // The original bytes of every version come back.
    let back = d.path().join("取回");
    ok(&yuebao(&[
        "history",
        "--data",
        s(&data),
        "--region",
        "兰山区",
        "--period",
        "2026-10",
        "--save",
        s(&back),
    ]));
    let saved = files_in(&back, "xlsx");
    assert_eq!(saved.len(), 2);
    assert_eq!(std::fs::read(&saved[0]).unwrap(), std::fs::read(&v1).unwrap());
    assert_eq!(std::fs::read(&saved[1]).unwrap(), std::fs::read(&v2).unwrap());

    let st = status(&data, "2026-10", "371300", "2026-11-20 12:00");
    let ls = county(&st, "371302");
    assert_eq!((ls["state"].as_str(), ls["versions"].as_i64()), (Some("on_time"), Some(2)));
    assert_eq!(ls["effective"]["version"], 2);
    assert_eq!(ls["first_accepted"], "2026-11-03 10:00");

    // The rollup from the store counts version 2.
    let out = d.path().join("汇总");
    let run = yuebao(&["rollup", "--period", "2026-10", "--region", "371300", "--data", s(&data), "-o", s(&out)]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let (_, r) = first_sheet(&out.join("371300-临沂市-2026-10.xlsx"));
    let want: Vec<Option<i64>> = (0..21).map(|k| Some(rows.iter().map(|(_, v)| v[k]).sum())).collect();
    assert_eq!(values_of(&r, "兰山区"), want);

    let run = yuebao(&["verify", "--data", s(&data)]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("2 份报送"), "{}", run.stdout);

    // An e-mail that arrived before both, recorded only now: the first by arrival, but not the
    // effective one, which is the latest to arrive.
    let (_, out) = submit(&data, &[&v1], &["--received-at", "2026-11-01 08:00"]);
    assert_eq!((out[0]["version"].as_i64(), out[0]["timeliness"].as_str()), (Some(3), Some("按时")));
    let st = status(&data, "2026-10", "371300", "2026-11-20 12:00");
    assert_eq!(county(&st, "371302")["first_accepted"], "2026-11-01 08:00");
    assert_eq!(county(&st, "371302")["effective"]["version"], 2);

    // Everything comes out again, with a list saying what each file is.
    let exp = d.path().join("导出");
    ok(&yuebao(&["export", "--data", s(&data), "-o", s(&exp)]));
    let list = std::fs::read_to_string(exp.join("清单.csv")).unwrap();
    let rows: Vec<Vec<String>> = list
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(rows.iter().map(|r| r[6].as_str()).collect::<Vec<_>>(), ["", "是", ""], "{list}");
    for (r, original) in rows.iter().zip([&v1, &v2, &v1]) {
        assert_eq!(std::fs::read(exp.join(&r[14])).unwrap(), std::fs::read(original).unwrap(), "{}", r[14]);
    }
    assert!(rows[0][14].starts_with("2026-10/371302-兰山区/第1版-"), "{}", rows[0][14]);
    let again = yuebao(&["export", "--data", s(&data), "-o", s(&exp)]);
    assert_eq!(again.code, 2, "an export never overwrites");
    // Taking originals out is recorded: each one `history --save` took, and the export once.
    let log = json(&["audit", "--data", s(&data), "--action", "download"]);
    let texts: Vec<&str> = log["entries"].as_array().unwrap().iter().map(|e| e["description"].as_str().unwrap()).collect();
    assert_eq!(texts.iter().filter(|t| t.starts_with("下载第")).count(), 2, "{texts:?}");
    assert_eq!(texts.iter().filter(|t| t.starts_with("导出全部 3 份")).count(), 1, "{texts:?}");
}

#[test]
fn timeliness_follows_the_due_date_moved_past_holidays() {
    let d = tmp();
    let data = d.path().join("data");
    let rows = lanshan_rows();
    let f = |code: &str, name: &str, period: &str| county_file(&d.path().join(period), code, name, period, &rows);
    let at = |file: &Path, when: &str| submit(&data, &[file], &["--received-at", when]);
    // 2024-09 is due 2024-10-08, the first working day after the 国庆 holiday.
    at(&f("371302", "兰山区", "2024-09"), "2024-10-08 23:59");
    submit(
        &data,
        &[&f("371311", "罗庄区", "2024-09")],
        &["--received-at", "2024-10-09 00:00", "--late-reason", "节后乡镇数据核实延误"],
    );
    at(&f("371312", "河东区", "2024-09"), "2024-10-05 11:00");
    let mut bad = rows.clone();
    bad[1].1[4] = -5;
    let (code, _) = at(&county_file(&d.path().join("bad"), "371321", "沂南县", "2024-09", &bad), "2024-10-07 09:00");
    assert_eq!(code, 1);
    // 2023-09 is due Saturday 2023-10-07, a 调休 working day.
    at(&f("371302", "兰山区", "2023-09"), "2023-10-07 18:00");
    at(&f("371311", "罗庄区", "2023-09"), "2023-10-08 09:00");

    let st = status(&data, "2024-09", "临沂市", "2024-10-10 12:00");
    assert_eq!(st["regions"].as_array().unwrap().len(), 12);
    let state = |code: &str| county(&st, code)["label"].as_str().unwrap().to_string();
    assert_eq!(county(&st, "371302")["due"], "2024-10-08");
    assert_eq!(state("371302"), "按时");
    assert_eq!(state("371311"), "迟报 1 天");
    assert_eq!(county(&st, "371311")["late_reason"], "节后乡镇数据核实延误");
    assert!(
        yuebao(&["history", "--data", s(&data), "--region", "371311", "--period", "2024-09"])
            .stdout
            .contains("迟报原因：节后乡镇数据核实延误")
    );
    assert_eq!(state("371312"), "按时");
    assert_eq!(state("371321"), "退回");
    assert_eq!(state("371322"), "未报，已逾期 2 天");
    let chase: Vec<&str> = st["chase"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(chase.len(), 9, "沂南县 rejected and eight with nothing: {chase:?}");
    assert!(chase.contains(&"沂南县") && !chase.contains(&"罗庄区"));

    let st = status(&data, "2023-09", "371300", "2023-10-20 12:00");
    assert_eq!(county(&st, "371302")["due"], "2023-10-07");
    assert_eq!(county(&st, "371302")["label"], "按时");
    assert_eq!(county(&st, "371311")["label"], "迟报 1 天");

    // Before the due date a county with nothing is not yet overdue. The text ends with 催报.
    let run = yuebao(&[
        "status",
        "--data",
        s(&data),
        "--period",
        "2024-09",
        "--region",
        "371300",
        "--as-of",
        "2024-10-08 09:00",
    ]);
    ok(&run);
    assert!(run.stdout.contains("截止日 2024-10-08"), "{}", run.stdout);
    assert!(run.stdout.contains("郯城县（未报，未到截止日）"), "{}", run.stdout);
    let tail = &run.stdout[run.stdout.find("催报").unwrap()..];
    assert!(tail.contains("沂南县（退回）"), "{}", run.stdout);
}

#[test]
fn column_1_must_equal_the_baseline() {
    let d = tmp();
    let data = d.path().join("data");
    let (_, out) = submit(&data, &[&lanshan(&d.path().join("09"), "2026-09", &lanshan_rows())], &[]);
    assert_eq!(codes_of(&out[0]), ["I401"], "the first accepted sheet sets the baseline: {out:#?}");
    let base: i64 = (0..4).map(|i| good_row(i)[0]).sum();

    let mut rows = lanshan_rows();
    rows[2].1[0] += 5;
    let oct = lanshan(&d.path().join("10"), "2026-10", &rows);
    let (code, out) = submit(&data, &[&oct], &[]);
    assert_eq!(code, 1);
    assert_eq!(out[0]["status"], "rejected");
    let f = &out[0]["findings"][0];
    assert_eq!((f["code"].as_str(), f["column"].as_i64()), (Some("E401"), Some(1)));
    let (_, r) = first_sheet(&oct);
    let total_row = row_labelled(&r, "合计").unwrap();
    assert_eq!(f["cell"].as_str().unwrap(), format!("C{}", total_row + 1));
    let msg = f["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!("基线 {base}")) && msg.contains("2026年9月报表第 1 版") && msg.contains("+5"),
        "{msg}"
    );

    // A bad baseline file is refused whole, naming its lines.
    let bad = d.path().join("坏基线.csv");
    std::fs::write(&bad, "地区,2015年底贫困人口总数\n兰山区,4000\n不存在县,12\n罗庄区,十二\n").unwrap();
    let run = yuebao(&["baseline", "import", s(&bad), "--data", s(&data)]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("第 3 行") && run.stderr.contains("第 4 行") && run.stderr.contains("未导入"),
        "{}",
        run.stderr
    );
    let run = yuebao(&["baseline", "list", "--region", "371300", "--data", s(&data)]);
    assert!(
        run.stdout.contains(&base.to_string()) && run.stdout.contains("2026年9月报表第 1 版"),
        "{}",
        run.stdout
    );

    // The city corrects the baseline from its file; the October sheet is then accepted.
    let good = d.path().join("基线.csv");
    std::fs::write(&good, format!("地区代码,2015年底贫困人口总数\n371302,{}\n", base + 5)).unwrap();
    let run = yuebao(&["baseline", "import", s(&good), "--data", s(&data), "--by", "市局"]);
    ok(&run);
    // September was accepted under the old baseline: it stays, and the city is told.
    assert!(
        run.stdout.contains(&format!("兰山区 2026年9月：第(1)栏 {base}，新基线 {}", base + 5)),
        "{}",
        run.stdout
    );
    let run = yuebao(&["baseline", "list", "--region", "兰山区", "--data", s(&data)]);
    assert!(
        run.stdout.contains(&(base + 5).to_string()) && run.stdout.contains("基线文件 基线.csv"),
        "{}",
        run.stdout
    );
    let (code, out) = submit(&data, &[&oct], &[]);
    assert_eq!(code, 0, "{out:#?}");
}

#[test]
fn large_changes_and_vanished_townships_wait_for_a_note() {
    let d = tmp();
    let data = d.path().join("data");
    submit(&data, &[&lanshan(&d.path().join("09"), "2026-09", &lanshan_rows())], &[]);
    // October: (5) up half everywhere, and 枣园镇 merged into 白沙埠镇 (column (1) unchanged).
    let mut rows = lanshan_rows();
    for r in &mut rows {
        r.1[4] = r.1[4] * 3 / 2;
    }
    let (_, zao) = rows.pop().unwrap();
    for (a, b) in rows[2].1.iter_mut().zip(zao) {
        *a += b;
    }
    let oct = lanshan(&d.path().join("10"), "2026-10", &rows);
    let (code, out) = submit(&data, &[&oct], &["--received-at", "2026-11-04 10:00"]);
    assert_eq!(code, 1, "held, not accepted");
    assert_eq!(out[0]["status"], "pending");
    let found = codes_of(&out[0]);
    assert_eq!(found, ["W401", "W402"], "{out:#?}");
    let w = &out[0]["findings"][0];
    assert_eq!(w["column"], 5);
    assert!(w["message"].as_str().unwrap().contains("+49.8%"), "{w:#}");
    assert!(out[0]["findings"][1]["message"].as_str().unwrap().contains("枣园镇"));

    let st = status(&data, "2026-10", "371300", "2026-11-10 12:00");
    assert_eq!(county(&st, "371302")["label"], "待说明");
    assert!(county(&st, "371302")["reasons"][0].as_str().unwrap().starts_with("W401"));
    let chase: Vec<&str> = st["chase"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert!(chase.contains(&"待说明"));

    // Held uploads are not counted: the store's rollup lists it as 待说明.
    let out1 = d.path().join("r1");
    let run = yuebao(&["rollup", "--period", "2026-10", "--region", "371300", "--data", s(&data), "-o", s(&out1)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let held = &run.stdout[run.stdout.find("[待说明]").unwrap_or_else(|| panic!("{}", run.stdout))..];
    assert!(
        held.contains("W401") && held.contains("W402"),
        "the city sees what needs explaining: {}",
        run.stdout
    );
    let book = out1.join("371300-临沂市-2026-10.xlsx");
    let (_, r) = first_sheet(&book);
    assert!(row_labelled(&r, "兰山区（未报）").is_some());

    // The same file with a 说明 is accepted, as received with the held one: on time.
    let note = "10月新开发公益性岗位，转移就业增加；枣园镇并入白沙埠镇";
    let (code, out) = submit(&data, &[&oct], &["--note", note]);
    assert_eq!(code, 0, "{out:#?}");
    assert_eq!((out[0]["explains"].as_i64(), out[0]["timeliness"].as_str()), (Some(1), Some("按时")));
    let st = status(&data, "2026-10", "371300", "2026-11-30 12:00");
    assert_eq!(
        (county(&st, "371302")["label"].as_str(), county(&st, "371302")["note"].as_str()),
        (Some("按时"), Some(note))
    );

    let out2 = d.path().join("r2");
    let run = yuebao(&["rollup", "--period", "2026-10", "--region", "371300", "--data", s(&data), "-o", s(&out2)]);
    assert_eq!(run.code, 0, "missing counties are chased, not errors: {}", run.stdout);
    let st_sheet = sheet(&out2.join("371300-临沂市-2026-10.xlsx"), "报送情况");
    let head = header(&st_sheet, 3);
    let row = row_where(&st_sheet, 2, "兰山区");
    let col = |h: &str| head.iter().position(|x| x == h).unwrap_or_else(|| panic!("no column {h} in {head:?}"));
    assert_eq!(row[col("状态")], "已采用");
    assert_eq!(row[col("及时性")], "按时");
    assert_eq!(row[col("接收时间")], "2026-11-04 10:00");
    assert_eq!(row[col("报送说明")], note);
    assert!(row_where(&st_sheet, 2, "罗庄区")[col("及时性")].starts_with("未报"));
}

#[test]
fn the_stores_rollup_equals_the_files_rollup() {
    let d = tmp();
    let input = d.path().join("in");
    ok(&yuebao(&[
        "sample",
        "--period",
        "2026-10",
        "--region",
        "371300",
        "-o",
        s(&input),
        "--with-errors",
    ]));
    let data = d.path().join("data");
    let files = files_in(&input, "xlsx");
    let (code, out) = submit(
        &data,
        &files.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
        &["--received-at", "2026-11-05 17:00"],
    );
    assert_eq!(code, 1, "沂南县 carries a planted error");
    assert_eq!(out.iter().filter(|o| o["status"] == "accepted").count(), 11);

    let (a, b) = (d.path().join("a"), d.path().join("b"));
    let ra = yuebao(&["rollup", "--period", "2026-10", "--region", "371300", s(&input), "-o", s(&a)]);
    let rb = yuebao(&["rollup", "--period", "2026-10", "--region", "371300", "--data", s(&data), "-o", s(&b)]);
    assert_eq!((ra.code, rb.code), (1, 1), "{}\n{}", ra.stdout, rb.stdout);
    let name = "371300-临沂市-2026-10.xlsx";
    assert_eq!(total_of(&a.join(name)), total_of(&b.join(name)));
    let (_, r) = first_sheet(&b.join(name));
    assert!(row_labelled(&r, "沂南县（未报）").is_some());
    // Only the store knows arrival times.
    assert!(!header(&sheet(&a.join(name), "报送情况"), 3).contains(&"及时性".to_string()));
    let sb = sheet(&b.join(name), "报送情况");
    let head = header(&sb, 3);
    let t = head.iter().position(|h| h == "及时性").unwrap();
    assert_eq!(row_where(&sb, 2, "兰山区")[t], "按时");
    assert_eq!(row_where(&sb, 2, "沂南县")[head.iter().position(|h| h == "状态").unwrap()], "退回");
    // The store's rollup is valid input like any other.
    ok(&yuebao(&["validate", s(&b.join(name))]));
}

/// Samples 2024-12 and every month of 2025 for 临沂市 and submits them: on the 3rd of the next
/// month, except March (all late, on 04-20) and 兰山区's July (never sent).
fn a_year_in_the_store(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    let months: Vec<String> = std::iter::once("2024-12".to_string()).chain((1..=12).map(|m| format!("2025-{m:02}"))).collect();
    for p in &months {
        let out = dir.join(p);
        ok(&yuebao(&["sample", "--period", p, "--region", "371300", "-o", s(&out)]));
        if p == "2025-07" {
            std::fs::remove_file(out.join("371302-兰山区-2025-07.xlsx")).unwrap();
        }
        let (y, m): (i32, u32) = (p[..4].parse().unwrap(), p[5..].parse().unwrap());
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let when = if p == "2025-03" {
            "2025-04-20 10:00".to_string()
        } else {
            format!("{ny}-{nm:02}-03 10:00")
        };
        let files = files_in(&out, "xlsx");
        let (code, _) = submit(&data, &files.iter().map(PathBuf::as_path).collect::<Vec<_>>(), &["--received-at", &when]);
        assert_eq!(code, 0, "{p}");
    }
    data
}

/// Column `k` (0-based) summed over the 合计 of every sample file of a month.
fn month_sum(dir: &Path, period: &str, k: usize) -> i64 {
    files_in(&dir.join(period), "xlsx").iter().map(|f| total_of(f)[k]).sum()
}

#[test]
fn the_annual_report_has_december_series_charts_yoy_and_the_record() {
    let d = tmp();
    let data = a_year_in_the_store(d.path());
    let out = d.path().join("年报");
    let run = yuebao(&[
        "annual",
        "--year",
        "2025",
        "--region",
        "371300",
        "--data",
        s(&data),
        "-o",
        s(&out),
        "--now",
        TEST_NOW,
    ]);
    ok(&run);
    let book = out.join("371300-临沂市-2025年报.xlsx");
    assert_eq!(sheet_names(&book), ["2025年12月", "逐月数据", "全年走势", "同比", "报送记录"]);

    // December, in the form: 合计 is the sum of the December county sheets, and it validates.
    let (_, dec) = first_sheet(&book);
    let dec_total: Vec<i64> = values_of(&dec, "合计").into_iter().map(Option::unwrap).collect();
    assert_eq!(dec_total, (0..21).map(|k| month_sum(d.path(), "2025-12", k)).collect::<Vec<_>>());
    ok(&yuebao(&["validate", s(&book)]));

    // Every month of every county and the city, 兰山区's July missing.
    let series = sheet(&book, "逐月数据");
    let (h, _) = series.end().unwrap();
    assert_eq!(h - 2, 13 * 12, "13 regions × 12 months after the header");
    let (rows, _) = series.end().unwrap();
    let july = (3..=rows).find(|&r| text(&series, r, 1) == "兰山区" && text(&series, r, 2) == "7月").unwrap();
    assert_eq!(text(&series, july, 3), "未报");

    // The city's monthly 合计 and one chart per trend column, drawn from that table.
    let trend = sheet(&book, "全年走势");
    let march = (0..15).find(|&r| text(&trend, r, 0) == "3月").unwrap();
    assert_eq!(text(&trend, march, 5), month_sum(d.path(), "2025-03", 4).to_string());
    let chart = zip_part(&book, "xl/charts/chart1.xml");
    assert!(
        chart.contains("全年走势") && chart.contains("$D$4:$D$15"),
        "(3) is the first trend column: {chart}"
    );
    assert!(zip_part(&book, "xl/charts/chart6.xml").contains("$S$4:$S$15"), "(18) is the sixth");

    // Year over year against December 2024: the city first, column by column.
    let yoy = sheet(&book, "同比");
    let r5 = (3..30).find(|&r| text(&yoy, r, 1).starts_with("(5)")).unwrap();
    let (prev, cur) = (month_sum(d.path(), "2024-12", 4), month_sum(d.path(), "2025-12", 4));
    assert_ne!(prev, cur, "the sample trend makes one December differ from the last");
    assert_eq!(text(&yoy, r5, 0), "临沂市合计");
    assert_eq!(
        [text(&yoy, r5, 2), text(&yoy, r5, 3), text(&yoy, r5, 4)],
        [prev.to_string(), cur.to_string(), (cur - prev).to_string()]
    );

    // The reporting record: March late everywhere, 兰山区's July missing.
    let rec = sheet(&book, "报送记录");
    let ls = row_where(&rec, 0, "371302");
    assert!(ls[3 + 2].starts_with('迟'), "{ls:?}");
    assert_eq!(ls[3 + 6], "未报");
    assert_eq!(&ls[15..18], ["10", "1", "1"]);
    assert_eq!(&row_where(&rec, 0, "371311")[15..18], ["11", "1", "0"]);

    // For the province: its own workbook and one per city.
    let all = d.path().join("省");
    ok(&yuebao(&["annual", "--year", "2025", "--data", s(&data), "-o", s(&all), "--now", TEST_NOW]));
    assert_eq!(files_in(&all, "xlsx").len(), 17);
    let rec = sheet(&all.join("370000-山东省-2025年报.xlsx"), "报送记录");
    assert_eq!(rec.end().unwrap().0 - 2, 136);
    // Taking the store's figures away is recorded, as a download from the portal is.
    let run = yuebao(&["audit", "--data", s(&data), "--action", "download", "--format", "json"]);
    ok(&run);
    let entries: Value = serde_json::from_str(&run.stdout).unwrap();
    let said: Vec<&str> = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["description"].as_str().unwrap())
        .collect();
    assert!(said.iter().any(|d| d.starts_with("导出山东省2025 年年报（1–12月）到 ")), "{said:?}");
}

/// Starts `yuebao submit`; with `stall`, the child holds inside its first transaction for that
/// many milliseconds and writes the signal file when it gets there (builds with `test-hooks`).
fn spawn_submit(data: &Path, files: &Path, stall: Option<(u64, &Path)>, by: &str) -> std::process::Child {
    let mut c = Command::new(env!("CARGO_BIN_EXE_yuebao"));
    c.args(["submit", "--data", s(data), "--by", by, s(files)])
        .env_remove("YUEBAO_DATA")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some((ms, signal)) = stall {
        c.env("YUEBAO_TEST_STALL_MS", ms.to_string()).env("YUEBAO_TEST_STALL_SIGNAL", signal);
    }
    c.spawn().unwrap()
}

/// (version, status) of every upload of a county and period, in order.
fn versions(data: &Path, region: &str, period: &str) -> Vec<(i64, String)> {
    history(data, region, period)
        .iter()
        .map(|h| (h["version"].as_i64().unwrap(), h["status"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn a_killed_submit_leaves_every_earlier_submission_intact() {
    let d = tmp();
    let data = d.path().join("data");
    for p in ["2026-09", "2026-10"] {
        ok(&yuebao(&["sample", "--period", p, "--region", "371300", "-o", s(&d.path().join(p))]));
    }
    let sept = d.path().join("2026-09");
    let (code, _) = submit(&data, &files_in(&sept, "xlsx").iter().map(PathBuf::as_path).collect::<Vec<_>>(), &[]);
    assert_eq!(code, 0);
    let before = history(&data, "371302", "2026-09");

    // Killed inside its first transaction, between writing the bytes and the row naming them:
    // the child says when it is there (only builds with the `test-hooks` feature can).
    let oct = d.path().join("2026-10");
    if cfg!(feature = "test-hooks") {
        let signal = d.path().join("in-transaction");
        let mut child = spawn_submit(&data, &oct, Some((30_000, &signal)), "stalled");
        let start = std::time::Instant::now();
        while !signal.exists() {
            assert!(start.elapsed() < Duration::from_secs(60), "the submit never reached its transaction");
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let run = yuebao(&["verify", "--data", s(&data)]);
        assert_eq!(run.code, 0, "{}", run.stdout);
        assert!(run.stdout.contains("12 份报送"), "the half-done upload left nothing: {}", run.stdout);
    }

    // Killed at whatever moment, again and again.
    for ms in [20, 80, 160, 250, 400, 600, 900] {
        let mut child = spawn_submit(&data, &oct, None, "killed");
        std::thread::sleep(Duration::from_millis(ms));
        child.kill().unwrap();
        child.wait().unwrap();
        let run = yuebao(&["verify", "--data", s(&data)]);
        assert_eq!(run.code, 0, "after a kill at {ms} ms: {}", run.stdout);
        assert_eq!(history(&data, "371302", "2026-09").len(), before.len());
        for c in ["371302", "371329"] {
            let v = versions(&data, c, "2026-10");
            assert!(v.iter().enumerate().all(|(i, (n, st))| *n == i as i64 + 1 && st == "accepted"), "{c}: {v:?}");
        }
    }
    let after = history(&data, "371302", "2026-09");
    assert_eq!(
        before
            .iter()
            .map(|h| (&h["id"], &h["sha256"], &h["received_at"], &h["status"]))
            .collect::<Vec<_>>(),
        after
            .iter()
            .map(|h| (&h["id"], &h["sha256"], &h["received_at"], &h["status"]))
            .collect::<Vec<_>>()
    );
    // And the store still takes a whole batch afterwards.
    let (code, out) = submit(&data, &files_in(&oct, "xlsx").iter().map(PathBuf::as_path).collect::<Vec<_>>(), &[]);
    assert_eq!((code, out.len()), (0, 12));
}

#[test]
fn two_submits_at_once_for_the_same_county_both_land() {
    let d = tmp();
    let file = lanshan(&d.path().join("f"), "2026-10", &lanshan_rows());
    // From a store that does not exist yet, so the two also race to create it; a few rounds,
    // as a race is a matter of luck.
    for round in 0..4 {
        let data = d.path().join(format!("data{round}"));
        // Each holds its transaction a moment (with `test-hooks`), so the other must wait.
        let (sa, sb) = (d.path().join(format!("a{round}")), d.path().join(format!("b{round}")));
        let a = spawn_submit(&data, &file, Some((300, &sa)), "甲");
        let b = spawn_submit(&data, &file, Some((300, &sb)), "乙");
        for mut c in [a, b] {
            assert!(c.wait().unwrap().success(), "round {round}");
        }
        let h = history(&data, "371302", "2026-10");
        let mut got: Vec<(i64, String)> = h
            .iter()
            .map(|x| (x["version"].as_i64().unwrap(), x["submitted_by"].as_str().unwrap().to_string()))
            .collect();
        got.sort();
        assert_eq!(got.iter().map(|(v, _)| *v).collect::<Vec<_>>(), [1, 2]);
        let mut by: Vec<&str> = got.iter().map(|(_, b)| b.as_str()).collect();
        by.sort();
        assert_eq!(by, ["乙", "甲"]);
    }
}

#[test]
fn the_data_directory_comes_from_the_flag_the_environment_or_the_current_directory() {
    let d = tmp();
    let file = lanshan(d.path(), "2026-10", &lanshan_rows());
    let run = |env: Option<&Path>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_yuebao"));
        c.args(["submit", s(&file)]).current_dir(d.path()).env_remove("YUEBAO_DATA");
        if let Some(e) = env {
            c.env("YUEBAO_DATA", e);
        }
        assert!(c.output().unwrap().status.success());
    };
    run(None);
    assert!(d.path().join("yuebao-data/yuebao.sqlite3").is_file());
    let env_dir = d.path().join("env-data");
    run(Some(&env_dir));
    assert!(env_dir.join("yuebao.sqlite3").is_file());
    assert_eq!(history(&env_dir, "371302", "2026-10").len(), 1);
    assert_eq!(history(&d.path().join("yuebao-data"), "371302", "2026-10").len(), 1);
}

#[test]
fn bad_times_and_scopes_are_refused_in_chinese() {
    let d = tmp();
    let data = d.path().join("data");
    let file = lanshan(d.path(), "2026-10", &lanshan_rows());
    let run = yuebao(&["submit", "--data", s(&data), s(&file), "--received-at", "上周三"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--received-at") && run.stderr.contains("北京时间"), "{}", run.stderr);
    let run = yuebao(&["submit", "--data", s(&data), s(&file), "--received-at", "2999-01-01 10:00"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("晚于现在"), "{}", run.stderr);
    // A file that is not there costs only itself.
    let gone = d.path().join("371311-罗庄区-2026-10.xlsx");
    let data2 = d.path().join("data2");
    let run = yuebao(&["submit", "--data", s(&data2), s(&gone), s(&file)]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("文件不存在") && run.stderr.contains("371311-罗庄区-2026-10.xlsx"),
        "{}",
        run.stderr
    );
    assert_eq!(history(&data2, "371302", "2026-10").len(), 1);
    let run = yuebao(&[
        "annual",
        "--year",
        "2025",
        "--region",
        "371302",
        "--data",
        s(&data),
        "-o",
        s(d.path()),
        "--now",
        TEST_NOW,
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("县区"), "{}", run.stderr);
    // Nothing was stored by the refused commands, and reading commands do not create a store.
    for args in [
        vec!["verify"],
        vec!["status", "--period", "2026-10"],
        vec!["history", "--region", "兰山区", "--period", "2026-10"],
    ] {
        let mut args = args;
        args.extend(["--data", s(&data)]);
        let run = yuebao(&args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains("没有数据库") && run.stderr.contains("--data"), "{}", run.stderr);
    }
    assert!(!data.exists());
}

#[test]
fn city_sheets_go_into_the_provinces_store_without_county_history_checks() {
    let d = tmp();
    let prov = d.path().join("省库");
    let mut city_books = Vec::new();
    for (p, keep) in [("2026-09", 3), ("2026-10", 12)] {
        let input = d.path().join(p);
        ok(&yuebao(&["sample", "--period", p, "--region", "371300", "-o", s(&input)]));
        // September: only three counties had reported when the city sent its sheet.
        for f in files_in(&input, "xlsx").into_iter().skip(keep) {
            std::fs::remove_file(f).unwrap();
        }
        let out = d.path().join(format!("市{p}"));
        ok(&yuebao(&["rollup", "--period", p, "--region", "371300", s(&input), "-o", s(&out)]));
        city_books.push(out.join(format!("371300-临沂市-{p}.xlsx")));
    }
    // Column (1) and every total grow with coverage: no baseline or month-over-month finding.
    for (book, when) in city_books.iter().zip(["2026-10-08 10:00", "2026-11-06 09:00"]) {
        let (code, out) = submit(&prov, &[book], &["--by", "临沂市局", "--received-at", when]);
        assert_eq!(code, 0, "{out:#?}");
        assert!(
            codes_of(&out[0]).iter().all(|c| !c.starts_with("E4") && !c.starts_with("W4") && c != "I401"),
            "{out:#?}"
        );
    }
    assert_eq!(history(&prov, "371300", "2026-10").len(), 1);

    // The province follows its cities: one line per city, the same due date.
    let st = json(&[
        "status",
        "--data",
        s(&prov),
        "--period",
        "2026-10",
        "--level",
        "city",
        "--as-of",
        "2026-11-10 12:00",
    ]);
    assert_eq!(st["regions"].as_array().unwrap().len(), 16);
    assert_eq!(county(&st, "371300")["label"], "迟报 1 天");
    assert_eq!(county(&st, "370100")["label"], "未报，已逾期 5 天");
    assert_eq!(st["chase"].as_array().unwrap().len(), 15);
    // And its rollup from the store shows the city sheet's timeliness.
    let out = d.path().join("省汇总");
    ok(&yuebao(&["rollup", "--period", "2026-10", "--data", s(&prov), "-o", s(&out)]));
    let sheet_ = sheet(&out.join("370000-山东省-2026-10.xlsx"), "报送情况");
    let head = header(&sheet_, 3);
    let t = head.iter().position(|h| h == "及时性").unwrap();
    assert_eq!(row_where(&sheet_, 2, "临沂市")[t], "迟报 1 天");
}

/// `verify` fails, naming what is wrong, for each kind of damage it checks: an upload whose
/// original is missing, an original whose bytes changed, and bytes no upload refers to (what a
/// submit stopped half-way outside a transaction would leave).
#[test]
fn verify_finds_each_kind_of_damage() {
    let d = tmp();
    let f = lanshan(d.path(), "2026-10", &lanshan_rows());
    let damage: [(&str, &str); 3] = [
        ("DELETE FROM blobs", "原始文件缺失"),
        ("UPDATE blobs SET bytes = CAST(x'00' || bytes AS BLOB)", "与 SHA-256 不符"),
        ("INSERT INTO blobs (sha256, bytes, size) VALUES ('0000', x'00', 1)", "没有对应的报送记录"),
    ];
    for (i, (sql, says)) in damage.iter().enumerate() {
        let data = d.path().join(format!("data{i}"));
        assert_eq!(submit(&data, &[&f], &[]).0, 0);
        ok(&yuebao(&["verify", "--data", s(&data)]));
        // The program never changes a stored row; a person or another tool might.
        let conn = rusqlite::Connection::open(data.join("yuebao.sqlite3")).unwrap();
        // As the sqlite3 tool would: foreign keys are not enforced there by default.
        conn.execute_batch(&format!("PRAGMA foreign_keys = OFF; {sql}")).unwrap();
        drop(conn);
        let run = yuebao(&["verify", "--data", s(&data)]);
        assert_eq!(run.code, 1, "{sql}: {}", run.stdout);
        assert!(run.stdout.contains(says), "{sql}: {}", run.stdout);
    }
}

/// A time the program cannot read is named with its flag, in Chinese, and nothing is done.
#[test]
fn a_bad_time_names_its_flag() {
    let d = tmp();
    let data = d.path().join("data");
    let f = lanshan(d.path(), "2026-10", &lanshan_rows());
    let run = yuebao(&["submit", "--data", s(&data), "--received-at", "昨天下午", s(&f)]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--received-at") && run.stderr.contains("昨天下午") && run.stderr.contains("2026-11-04 16:30"),
        "{}",
        run.stderr
    );
    let run = yuebao(&["status", "--data", s(&data), "--period", "2026-10", "--region", "371300", "--as-of", "下周"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--as-of") && run.stderr.contains("下周"), "{}", run.stderr);
}

/// A year across a change of divisions (莱芜市's districts went to 济南市 in 2019): the
/// sheets 莱城区 and 钢城区 handed in under their old codes count as 莱芜区's and 钢城区's of
/// today, in the month's standing, in the 同比 of the city and of the province (济南市's
/// December 2018 includes them), and the sheets say so in a note.
#[test]
fn a_year_across_a_change_of_divisions_is_compared_in_today_s_divisions() {
    let d = tmp();
    let data = d.path().join("data");
    let now = "2020-01-20 10:00";
    let sample = |region: &str, period: &str| -> Vec<PathBuf> {
        let out = d.path().join(format!("{region}-{period}"));
        ok(&yuebao(&["sample", "--region", region, "--period", period, "-o", s(&out), "-q"]));
        files_in(&out, "xlsx")
    };
    // December 2018: 济南市's counties of the time, and 莱芜市's two (sampled for the month:
    // 莱芜市 is a city of 山东省 then). The districts 济南市 got in the same window are left out:
    // one place hands in one sheet.
    let laiwu = sample("371200", "2018-12");
    let names: Vec<String> = laiwu.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["371202-莱城区-2018-12.xlsx", "371203-钢城区-2018-12.xlsx"]);
    let mut dec18: Vec<PathBuf> = sample("370100", "2018-12")
        .into_iter()
        .filter(|f| !f.to_string_lossy().contains("37011"))
        .collect();
    dec18.extend(laiwu.iter().cloned());
    let (code, out) = submit(
        &data,
        &dec18.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
        &["--received-at", "2019-01-03 10:00", "--now", now],
    );
    assert_eq!(code, 0, "{out:#?}");
    assert!(
        out.iter()
            .any(|o| o["region"] == "371202" && o["region_name"] == "莱城区" && o["status"] == "accepted"),
        "{out:#?}"
    );
    // January 2019 from 莱城区 alone; December 2019 from 济南市's counties of today.
    let jan = sample("371200", "2019-01");
    let lc_jan: Vec<&Path> = jan.iter().filter(|f| f.to_string_lossy().contains("371202")).map(PathBuf::as_path).collect();
    assert_eq!(submit(&data, &lc_jan, &["--received-at", "2019-02-01 10:00", "--now", now]).0, 0);
    let dec19 = sample("370100", "2019-12");
    assert_eq!(
        submit(
            &data,
            &dec19.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
            &["--received-at", "2020-01-03 10:00", "--now", now]
        )
        .0,
        0
    );

    // January's standing: 莱芜区 handed in (as 莱城区), 钢城区 did not.
    let st = status(&data, "2019-01", "370100", now);
    assert_eq!(county(&st, "370116")["state"], "on_time", "{st:#}");
    assert_eq!(county(&st, "370117")["state"], "missing", "{st:#}");

    // The city's 同比: 莱芜区's December 2018 is 莱城区's sheet; the city's is every sheet.
    let out = d.path().join("年报");
    ok(&yuebao(&["annual", "--year", "2019", "--data", s(&data), "-o", s(&out), "--now", now]));
    let col5 = |files: &[PathBuf], pick: &dyn Fn(&Path) -> bool| -> i64 { files.iter().filter(|f| pick(f)).map(|f| total_of(f)[4]).sum() };
    let yoy = sheet(&out.join("370100-济南市-2019年报.xlsx"), "同比");
    let line = |name: &str| {
        let (h, _) = yoy.end().unwrap();
        let r = (0..=h)
            .find(|&r| text(&yoy, r, 0) == name && text(&yoy, r, 1).starts_with("(5)"))
            .unwrap_or_else(|| panic!("no (5) of {name}"));
        (text(&yoy, r, 2), text(&yoy, r, 3))
    };
    let lc = col5(&laiwu, &|f| f.to_string_lossy().contains("371202"));
    let lw19 = col5(&dec19, &|f| f.to_string_lossy().contains("370116"));
    assert_eq!(line("莱芜区"), (lc.to_string(), lw19.to_string()));
    let all18 = col5(&dec18, &|_| true);
    assert_eq!(line("济南市合计"), (all18.to_string(), col5(&dec19, &|_| true).to_string()));
    let (h, _) = yoy.end().unwrap();
    let notes: Vec<String> = (0..=h)
        .map(|r| text(&yoy, r, 0))
        .filter(|t| t.contains("371202") || t.contains("371200"))
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("莱城区（371202）") && n.contains("莱芜区（370116）")),
        "{notes:?}"
    );
    assert!(text(&yoy, 1, 0).contains("按今天的区划比较"));
    // The province's: 济南市's December 2018 holds 莱芜市's districts.
    let yoy = sheet(&out.join("370000-山东省-2019年报.xlsx"), "同比");
    let (h, _) = yoy.end().unwrap();
    let r = (0..=h).find(|&r| text(&yoy, r, 0) == "济南市" && text(&yoy, r, 1).starts_with("(5)")).unwrap();
    assert_eq!(text(&yoy, r, 2), all18.to_string());
    assert!((0..=h).any(|r| text(&yoy, r, 0).contains("莱芜市（371200）")));
    // A city without changes says nothing of them.
    let yoy = sheet(&out.join("371300-临沂市-2019年报.xlsx"), "同比");
    assert!(!text(&yoy, 1, 0).contains("区划"));
}
