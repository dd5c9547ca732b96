//! The reviewer's side through the command line: 审核退回 with a reason, 审核通过 which locks
//! the month, 解锁, 代报, and the same for a city's own sheet; what `status`, `history` and a
//! rollup from the store then say. Every command runs at a fixed `--now`.

use crate::store::{header, row_where, sheet};
use crate::support::*;
use crate::workbooks::{first_sheet, row_labelled, values_of};
use serde_json::Value;
use std::path::Path;

/// `yuebao review KIND --region R --period P … --now NOW`.
fn review(data: &Path, kind: &str, region: &str, period: &str, extra: &[&str], now: &str) -> Run {
    let mut args = vec!["review", kind, "--data", s(data), "--region", region, "--period", period, "--now", now];
    args.extend_from_slice(extra);
    yuebao(&args)
}

fn run_at(now: &str, args: &[&str]) -> Run {
    let mut v: Vec<&str> = args.to_vec();
    v.extend(["--now", now]);
    yuebao(&v)
}

fn submit_at(data: &Path, file: &Path, now: &str, extra: &[&str]) -> (i32, Vec<Value>) {
    let mut e = vec!["--now", now];
    e.extend_from_slice(extra);
    submit(data, &[file], &e)
}

/// 兰山区 hands in twice (both accepted, on time); the city returns the second version after the
/// due date (2026-11-05). The region stops counting, no older version takes its place, and a
/// resubmission of the very same bytes is accepted on its own findings and counts again,
/// still on time by its first accepted version.
#[test]
fn a_return_holds_until_a_newer_version_is_accepted() {
    let d = tmp();
    let data = d.path().join("data");
    // Version 2 corrects one count of version 1 (column (1), the baseline, stays the same).
    let first = lanshan_rows();
    let mut rows = lanshan_rows();
    rows[0].1[8] += 1;
    let v1 = lanshan(&d.path().join("v1"), "2026-10", &first);
    let v2 = lanshan(&d.path().join("v2"), "2026-10", &rows);
    let (code, out) = submit_at(&data, &v1, "2026-11-02 09:00", &[]);
    assert_eq!((code, out[0]["status"].as_str()), (0, Some("accepted")), "{out:#?}");
    let (code, out) = submit_at(&data, &v2, "2026-11-03 09:00", &[]);
    assert_eq!(code, 0, "{out:#?}");

    let reason = "第(5)栏转移就业人数与台账不符，请核实";
    let run = review(
        &data,
        "return",
        "兰山区",
        "2026-10",
        &["--reason", reason, "--by", "临沂市 李四"],
        "2026-11-07 10:00",
    );
    ok(&run);
    assert!(run.stdout.contains("兰山区（371302） 2026年10月 第 2 版已退回"), "{}", run.stdout);

    let st = status(&data, "2026-10", "371300", "2026-11-07 12:00");
    let ls = county(&st, "371302");
    assert_eq!(ls["state"], "rejected");
    assert_eq!(ls["label"], "审核退回");
    assert_eq!(ls["review"]["action"], "returned");
    assert_eq!(ls["review"]["by"], "临沂市 李四");
    assert_eq!(ls["review"]["at"], "2026-11-07 10:00");
    assert_eq!(ls["review"]["reason"], reason);
    assert!(ls["reasons"][0].as_str().unwrap().contains(reason), "{ls:#}");
    assert!(ls["effective"].is_null(), "a returned version is not effective: {ls:#}");
    assert!(st["chase"].as_array().unwrap().iter().any(|c| c["code"] == "371302"));
    // The other counties carry no review.
    assert!(county(&st, "371311")["review"].is_null());
    let text = yuebao(&[
        "status",
        "--data",
        s(&data),
        "--period",
        "2026-10",
        "--region",
        "371300",
        "--as-of",
        "2026-11-07 12:00",
    ]);
    assert!(text.stdout.contains("审核退回") && text.stdout.contains(reason), "{}", text.stdout);

    // history lists the event with who, when and why.
    let hist = yuebao(&["history", "--data", s(&data), "--region", "371302", "--period", "2026-10"]);
    assert!(
        hist.stdout.contains("2026-11-07 10:00 审核退回第 2 版（临沂市 李四）：") && hist.stdout.contains(reason),
        "{}",
        hist.stdout
    );
    let h = json(&["history", "--data", s(&data), "--region", "371302", "--period", "2026-10"]);
    assert_eq!(h[1]["reviews"][0]["action"], "returned");
    assert_eq!(h[1]["effective"], false);

    // The rollup leaves the row blank as 兰山区（退回）, and 报送情况 gives the reason; version 1
    // does not stand in.
    let out = d.path().join("汇总");
    let run = run_at(
        "2026-11-07 12:00",
        &["rollup", "--period", "2026-10", "--region", "371300", "--data", s(&data), "-o", s(&out)],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let book = out.join("371300-临沂市-2026-10.xlsx");
    let (_, r) = first_sheet(&book);
    assert!(row_labelled(&r, "兰山区（退回）").is_some());
    assert_eq!(values_of(&r, "兰山区（退回）"), vec![None; 21]);
    let st_sheet = sheet(&book, "报送情况");
    let head = header(&st_sheet, 3);
    let col = |h: &str| head.iter().position(|x| x == h).unwrap_or_else(|| panic!("no column {h} in {head:?}"));
    let row = row_where(&st_sheet, 2, "兰山区");
    assert_eq!(row[col("状态")], "审核退回");
    assert!(row[col("说明")].contains(reason), "{row:?}");
    // The rollup workbook is itself valid input: its 退回 row reads as 0.
    let (code, f) = validate_json(&book, &[]);
    assert_eq!(code, 0, "{f:#}");

    // The same bytes again: judged on their own findings, accepted, and the return is over.
    let (code, out2) = submit_at(&data, &v2, "2026-11-08 09:00", &[]);
    assert_eq!((code, out2[0]["status"].as_str(), out2[0]["version"].as_i64()), (0, Some("accepted"), Some(3)));
    let st = status(&data, "2026-10", "371300", "2026-11-08 12:00");
    let ls = county(&st, "371302");
    assert_eq!(
        (ls["state"].as_str(), ls["label"].as_str()),
        (Some("on_time"), Some("按时")),
        "the first accepted version decides: {ls:#}"
    );
    assert!(ls["review"].is_null());
    assert_eq!(ls["effective"]["version"], 3);
    let out = d.path().join("汇总2");
    ok(&run_at(
        "2026-11-08 12:00",
        &["rollup", "--period", "2026-10", "--region", "371300", "--data", s(&data), "-o", s(&out)],
    )
    .with_code_at_most(1));
    let (_, r) = first_sheet(&out.join("371300-临沂市-2026-10.xlsx"));
    let want: Vec<Option<i64>> = (0..21).map(|k| Some(rows.iter().map(|(_, v)| v[k]).sum())).collect();
    assert_eq!(values_of(&r, "兰山区"), want);
}

#[test]
fn a_return_needs_a_reason_and_something_to_return() {
    let d = tmp();
    let data = d.path().join("data");
    let f = lanshan(d.path(), "2026-10", &lanshan_rows());
    let (code, _) = submit_at(&data, &f, "2026-11-02 09:00", &[]);
    assert_eq!(code, 0);
    let run = review(&data, "return", "371302", "2026-10", &["--reason", "  "], "2026-11-06 10:00");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("退回必须写明原因"), "{}", run.stderr);
    let run = review(&data, "return", "371311", "2026-10", &["--reason", "缺签章"], "2026-11-06 10:00");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("罗庄区") && run.stderr.contains("没有已接收的报表可退回"), "{}", run.stderr);
    let h = json(&["history", "--data", s(&data), "--region", "371302", "--period", "2026-10"]);
    assert!(h[0]["reviews"].as_array().unwrap().is_empty());
}

/// 审核通过 locks the month: a later submit is refused (exit 1) naming who approved it and when,
/// until 解锁 with a reason.
#[test]
fn an_approval_locks_the_month_until_unlocked() {
    let d = tmp();
    let data = d.path().join("data");
    let f = lanshan(d.path(), "2026-10", &lanshan_rows());
    assert_eq!(submit_at(&data, &f, "2026-11-02 09:00", &[]).0, 0);
    ok(&review(&data, "approve", "兰山区", "2026-10", &["--by", "临沂市 李四"], "2026-11-06 09:30"));
    let st = status(&data, "2026-10", "371300", "2026-11-06 12:00");
    let ls = county(&st, "371302");
    assert_eq!((ls["state"].as_str(), ls["review"]["action"].as_str()), (Some("on_time"), Some("approved")));
    assert_eq!(ls["review"]["by"], "临沂市 李四");

    let run = run_at("2026-11-07 09:00", &["submit", "--data", s(&data), s(&f)]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("已于 2026-11-06 09:30 由临沂市 李四审核通过") && run.stderr.contains("未提交"),
        "{}",
        run.stderr
    );
    assert_eq!(history(&data, "371302", "2026-10").len(), 1, "nothing stored");
    let run = review(&data, "approve", "兰山区", "2026-10", &[], "2026-11-07 09:00");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("已审核通过"), "{}", run.stderr);

    let run = review(&data, "unlock", "兰山区", "2026-10", &["--reason", ""], "2026-11-07 10:00");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("解锁必须写明原因"), "{}", run.stderr);
    ok(&review(
        &data,
        "unlock",
        "兰山区",
        "2026-10",
        &["--reason", "县区申请更正第(9)栏", "--by", "李四"],
        "2026-11-07 10:00",
    ));
    assert!(county(&status(&data, "2026-10", "371300", "2026-11-07 12:00"), "371302")["review"].is_null());
    let (code, out) = submit_at(&data, &f, "2026-11-07 11:00", &[]);
    assert_eq!((code, out[0]["version"].as_i64()), (0, Some(2)));
    let run = review(&data, "unlock", "兰山区", "2026-10", &["--reason", "再次"], "2026-11-07 12:00");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("未审核通过"), "{}", run.stderr);
    // History keeps every event.
    let hist = yuebao(&["history", "--data", s(&data), "--region", "371302", "--period", "2026-10"]);
    for what in ["审核通过第 1 版（临沂市 李四）", "解锁第 1 版（李四）：县区申请更正第(9)栏"] {
        assert!(hist.stdout.contains(what), "{what}\n{}", hist.stdout);
    }
}

/// 代报: the city enters a county's paper sheet; the upload records who entered it and for whom,
/// and a sheet of another region is refused.
#[test]
fn on_behalf_of_records_who_entered_it_and_for_whom() {
    let d = tmp();
    let data = d.path().join("data");
    let f = lanshan(d.path(), "2026-10", &lanshan_rows());
    let (code, out) = submit_at(&data, &f, "2026-11-02 09:00", &["--on-behalf-of", "兰山区", "--by", "临沂市 王五"]);
    assert_eq!(code, 0, "{out:#?}");
    assert_eq!((out[0]["on_behalf_of"].as_str(), out[0]["by"].as_str()), (Some("371302"), Some("临沂市 王五")));
    let h = history(&data, "371302", "2026-10");
    assert_eq!(
        (h[0]["on_behalf_of"].as_str(), h[0]["submitted_by"].as_str()),
        (Some("371302"), Some("临沂市 王五"))
    );
    let text = yuebao(&["history", "--data", s(&data), "--region", "371302", "--period", "2026-10"]);
    assert!(text.stdout.contains("代报：代371302录入"), "{}", text.stdout);

    let run = run_at("2026-11-02 10:00", &["submit", "--data", s(&data), s(&f), "--on-behalf-of", "罗庄区"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("代报的地区是罗庄区（371311），但表内填报单位是兰山区（371302）"),
        "{}",
        run.stderr
    );
    assert!(history(&data, "371311", "2026-10").is_empty());
}

/// The same actions on a city's own sheet, which the province receives.
#[test]
fn a_city_sheet_is_returned_and_approved_the_same_way() {
    let d = tmp();
    let data = d.path().join("data");
    lanshan(&d.path().join("in"), "2026-10", &lanshan_rows());
    let city = d.path().join("市");
    let run = yuebao(&["rollup", "--period", "2026-10", "--region", "371300", s(&d.path().join("in")), "-o", s(&city)]);
    assert!(run.code <= 1, "{}", run.stderr);
    let sheet_file = city.join("371300-临沂市-2026-10.xlsx");
    let (code, out) = submit_at(&data, &sheet_file, "2026-12-03 09:00", &["--note", "临沂市汇总"]);
    assert_eq!((code, out[0]["region"].as_str()), (0, Some("371300")), "{out:#?}");
    ok(&review(
        &data,
        "return",
        "临沂市",
        "2026-10",
        &["--reason", "兰陵县未纳入", "--by", "省厅 赵六"],
        "2026-12-04 09:00",
    ));
    let st = json(&[
        "status",
        "--data",
        s(&data),
        "--period",
        "2026-10",
        "--level",
        "city",
        "--as-of",
        "2026-12-04 12:00",
    ]);
    let ly = county(&st, "371300");
    assert_eq!(
        (ly["state"].as_str(), ly["review"]["reason"].as_str()),
        (Some("rejected"), Some("兰陵县未纳入"))
    );
    let out = d.path().join("省");
    let run = run_at("2026-12-04 12:00", &["rollup", "--period", "2026-10", "--data", s(&data), "-o", s(&out)]);
    assert!(run.code <= 1, "{}", run.stderr);
    let (_, r) = first_sheet(&out.join("370000-山东省-2026-10.xlsx"));
    assert!(row_labelled(&r, "临沂市（退回）").is_some());
    let (code, _) = submit_at(&data, &sheet_file, "2026-12-05 09:00", &["--note", "已补兰陵县"]);
    assert_eq!(code, 0);
    ok(&review(&data, "approve", "371300", "2026-10", &["--by", "省厅 赵六"], "2026-12-06 09:00"));
    let st = json(&[
        "status",
        "--data",
        s(&data),
        "--period",
        "2026-10",
        "--level",
        "city",
        "--as-of",
        "2026-12-06 12:00",
    ]);
    assert_eq!(county(&st, "371300")["review"]["action"], "approved");
}

/// What the city reads, at each step of one cycle: the submit lines, the review lines, the
/// status board and the history, at fixed times. Digests and temporary paths are masked.
#[test]
fn the_review_cycle_reads_like_this() {
    let d = tmp();
    let data = d.path().join("data");
    let f = lanshan(d.path(), "2026-10", &lanshan_rows());
    let mask = |t: &str| {
        let mut out = String::new();
        for line in t.lines() {
            let line = line.replace(s(d.path()), "<tmp>");
            let line = match line.find("SHA-256 ") {
                Some(i) => format!("{}SHA-256 <sha256>", &line[..i]),
                None => line,
            };
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    };
    let mut transcript = String::new();
    let mut step = |title: &str, run: Run| {
        transcript.push_str(&format!("$ {title}  (exit {})\n{}{}\n", run.code, mask(&run.stdout), mask(&run.stderr)));
    };
    step(
        "submit",
        run_at("2026-11-03 09:00", &["submit", "--data", s(&data), s(&f), "--by", "兰山区 张三"]),
    );
    step(
        "review return",
        review(
            &data,
            "return",
            "兰山区",
            "2026-10",
            &["--reason", "第(5)栏与台账不符", "--by", "临沂市 李四"],
            "2026-11-06 10:00",
        ),
    );
    step(
        "submit again",
        run_at("2026-11-06 15:00", &["submit", "--data", s(&data), s(&f), "--by", "兰山区 张三"]),
    );
    step(
        "review approve",
        review(&data, "approve", "兰山区", "2026-10", &["--by", "临沂市 李四"], "2026-11-07 09:00"),
    );
    step("submit after approval", run_at("2026-11-07 10:00", &["submit", "--data", s(&data), s(&f)]));
    step(
        "status",
        yuebao(&[
            "status",
            "--data",
            s(&data),
            "--period",
            "2026-10",
            "--region",
            "371300",
            "--as-of",
            "2026-11-07 12:00",
        ]),
    );
    step("history", yuebao(&["history", "--data", s(&data), "--region", "兰山区", "--period", "2026-10"]));
    insta::assert_snapshot!(transcript);
}
