//! Workbooks as counties keep them: one sheet per month, 小计 rows between the townships,
//! periods in Chinese numerals, hidden rows and columns.

use crate::support::*;

#[test]
fn the_sheet_of_the_month_asked_for_is_checked() {
    let d = tmp();
    // September first, October second: the old rule took September.
    let mut book = month_sheet("2026年9月", Some("报告期：2026年9月"), 9);
    let mut october = month_sheet("2026年10月", Some("报告期：2026年10月"), 10);
    // October alone breaks (2) ≥ (3) on its second township, so its findings show it was read.
    october.set(1, 3, V::from(good_row(1)[1] + 5));
    book.sheets_after = vec![october.clone()];
    let p = book.save(d.path(), "兰山区.xlsx");
    let (code, f) = validate_json(&p, &["--period", "2026-10"]);
    assert_eq!(code, 1, "{f:#}");
    assert_eq!(f["period"], "2026-10");
    let cell = october.placed().a1(1, 3);
    assert!(
        f["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["code"] == "E201" && x["sheet"] == "2026年10月" && x["cell"] == cell),
        "{f:#}"
    );
    let chosen = f["findings"].as_array().unwrap().iter().find(|x| x["code"] == "I005").expect("I005");
    let msg = chosen["message"].as_str().unwrap();
    assert!(msg.contains("“2026年10月”") && msg.contains("“2026年9月”（2026年9月）"), "{msg}");
    assert!(!codes(&f).iter().any(|(c, _)| c == "W003" || c == "W001"), "{f:#}");

    // The file name asks for September: the September sheet, clean.
    let p = book.save(d.path(), "兰山区2026年9月.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!((code, f["period"].as_str()), (0, Some("2026-09")), "{f:#}");
    assert!(!codes(&f).iter().any(|(c, _)| c.starts_with('W')), "{f:#}");
}

#[test]
fn month_only_sheet_names_take_the_year_from_the_file_name() {
    let d = tmp();
    let p = year_book(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], false).save(d.path(), "兰山区-2026-10.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!((code, f["period"].as_str()), (0, Some("2026-10")), "{f:#}");
    let i005 = f["findings"].as_array().unwrap().iter().find(|x| x["code"] == "I005").expect("I005");
    assert_eq!(i005["sheet"], "10月");
    assert!(i005["message"].as_str().unwrap().contains("“9月”（2026年9月）"), "{i005:#}");
}

#[test]
fn without_a_month_asked_for_the_latest_is_checked() {
    let d = tmp();
    // Sheets out of order: the latest month wins, not the last sheet.
    let p = year_book(&[8, 10, 9], true).save(d.path(), "兰山区.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!((code, f["period"].as_str()), (0, Some("2026-10")), "{f:#}");
    let i005 = f["findings"].as_array().unwrap().iter().find(|x| x["code"] == "I005").expect("I005");
    assert!(i005["message"].as_str().unwrap().contains("最近的月份"), "{i005:#}");
}

#[test]
fn a_month_the_workbook_does_not_hold_is_an_error_naming_the_months_it_holds() {
    let d = tmp();
    let p = year_book(&[8, 9], true).save(d.path(), "兰山区.xlsx");
    let (code, f) = validate_json(&p, &["--period", "2026-10"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&f), vec![("E012".to_string(), String::new())], "{f:#}");
    let msg = f["findings"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("2026年10月") && msg.contains("“8月”（2026年8月）") && msg.contains("“9月”（2026年9月）"),
        "{msg}"
    );
    assert!(msg.contains("命令行参数 --period"), "{msg}");
}

#[test]
fn two_sheets_of_the_same_month_still_warn() {
    let d = tmp();
    let mut book = year_book(&[9, 10], true);
    book.sheets_after.push(month_sheet("10月(2)", Some("报告期：2026年10月"), 3));
    let (_, f) = validate_json(&book.save(d.path(), "兰山区.xlsx"), &["--period", "2026-10"]);
    let w = f["findings"].as_array().unwrap().iter().find(|x| x["code"] == "W001").expect("W001");
    assert_eq!(w["sheet"], "10月(2)");
    assert!(codes(&f).iter().any(|(c, _)| c == "I005"), "{f:#}");
}

#[test]
fn the_year_workbook_is_stored_as_the_month_asked_for() {
    let d = tmp();
    let p = year_book(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], true).save(d.path(), "兰山区.xlsx");
    let data = d.path().join("data");
    let (code, out) = submit(&data, &[&p], &["--period", "2026-10", "-q"]);
    assert_eq!(code, 0, "{out:#?}");
    assert_eq!(out[0]["period"], "2026-10");
    let h = history(&data, "371302", "2026-10");
    assert_eq!(h.len(), 1, "{h:#?}");
    // October's figures: column (1) of the first township carries +10, so 兰山区's row of the
    // city's rollup from the store does too.
    let row = rollup_row_from_store(&data, &d.path().join("r"), "2026-10", "371300", "371302");
    assert_eq!(row["values"][0], default_sums()[0] + 10, "{row:#}");
}

#[test]
fn subtotal_rows_are_checked_against_their_group_and_left_out_of_the_total() {
    let d = tmp();
    let fx = with_subtotals();
    let (code, f) = validate_json(&fx.save(d.path(), "兰山区.xlsx"), &[]);
    assert_eq!(code, 0, "{f:#}");
    assert!(!codes(&f).iter().any(|(c, _)| c == "E202" || c == "W202"), "{f:#}");
    let i006 = f["findings"].as_array().unwrap().iter().find(|x| x["code"] == "I006").expect("I006");
    let first = fx.placed().first_data_row;
    assert_eq!(i006["values"]["rows"], serde_json::json!([first + 5, first + 10]), "{i006:#}");

    // A wrong 街道小计 is flagged at its own cell, naming its group and the gap.
    let mut bad = with_subtotals();
    bad.set(4, 5, V::from(good_row(0)[4] + good_row(1)[4] + good_row(2)[4] + good_row(3)[4] + 7));
    let (code, f) = validate_json(&bad.save(d.path(), "兰山区.xlsx"), &[]);
    assert_eq!(code, 1);
    let cell = bad.placed().a1(4, 5);
    let e = f["findings"].as_array().unwrap().iter().find(|x| x["code"] == "E205").expect("E205");
    assert_eq!(e["cell"], cell.as_str(), "{e:#}");
    let msg = e["message"].as_str().unwrap();
    assert!(msg.contains("“兰山街道”至“柳青街道”，4 行") && msg.contains("小计多 7"), "{msg}");
    // The 合计 still agrees with the townships: no E202.
    assert!(!codes(&f).iter().any(|(c, _)| c == "E202"), "{f:#}");

    // The annotated copy: the wrong cell red, the subtotal rows in their own fill.
    let p = d.path().join("兰山区.xlsx");
    let out = d.path().join("审核");
    assert_eq!(yuebao(&["validate", s(&p), "--annotate", s(&out), "-q"]).code, 1);
    let copy = out.join("兰山区-审核.xlsx");
    assert_eq!(super::fill_of(&copy, &cell).as_deref(), Some("FFFFC7CE"));
    assert_eq!(super::fill_of(&copy, &bad.placed().a1(4, 0)).as_deref(), Some("FFE8F0FB"));
    assert_eq!(super::fill_of(&copy, &bad.placed().a1(9, 7)).as_deref(), Some("FFE8F0FB"));
    assert_eq!(super::fill_of(&copy, &bad.placed().a1(3, 7)), None);
}

#[test]
fn subtotals_above_their_groups_and_a_part_under_the_total() {
    let d = tmp();
    // 小计 rows opening their groups, and 其中：城区 under the 合计.
    let mut fx = with_subtotals();
    let street = fx.rows.remove(4);
    fx.rows.insert(0, street);
    let town = fx.rows.remove(9);
    fx.rows.insert(5, town);
    let (code, f) = validate_json(&fx.save(d.path(), "兰山区.xlsx"), &[]);
    assert_eq!(code, 0, "{f:#}");

    let mut part = with_subtotals();
    part.footer = None;
    let placed = part.placed();
    let total_row = placed.first_data_row + part.rows.len() as u32;
    let p = part.save(d.path(), "兰山区.xlsx");
    // 其中：城区 written under the 合计 with column (1) larger than the whole.
    rewrite_parts(&p, &p, |name, xml| {
        if !name.starts_with("xl/worksheets/") {
            return xml.to_string();
        }
        let r = total_row + 2;
        let cells: String = std::iter::once(format!(r#"<c r="B{r}" t="inlineStr"><is><t>其中：城区</t></is></c>"#))
            .chain((0..21u32).map(|k| {
                let v = if k == 0 { 10_000_000 } else { 1 };
                format!(r#"<c r="{}{r}"><v>{v}</v></c>"#, col(placed.first_col as u32 + k))
            }))
            .collect();
        xml.replace("</sheetData>", &format!(r#"<row r="{r}">{cells}</row></sheetData>"#))
    });
    let (code, f) = validate_json(&p, &[]);
    assert_eq!(code, 1, "{f:#}");
    let e = f["findings"].as_array().unwrap().iter().find(|x| x["code"] == "E205").expect("E205");
    assert!(e["message"].as_str().unwrap().contains("大于合计"), "{e:#}");
    assert_eq!(e["cell"], format!("{}{}", col(placed.first_col as u32), total_row + 2));
}

fn col(c: u32) -> String {
    let mut n = c + 1;
    let mut s = Vec::new();
    while n > 0 {
        s.push((b'A' + ((n - 1) % 26) as u8) as char);
        n = (n - 1) / 26;
    }
    s.iter().rev().collect()
}

#[test]
fn chinese_numeral_periods_are_read() {
    let d = tmp();
    for line in ["报告期：二〇二六年十月", "报告期：二零二六年十月份"] {
        let fx = Fixture {
            period_line: Some(line.into()),
            ..Fixture::default()
        };
        let (code, f) = validate_json(&fx.save(d.path(), "兰山区.xlsx"), &[]);
        assert_eq!((code, f["period"].as_str()), (0, Some("2026-10")), "{line}: {f:#}");
        assert_eq!(codes(&f), vec![], "{line}: {f:#}");
    }
}

#[test]
fn figures_in_hidden_rows_and_columns_are_pointed_out() {
    let d = tmp();
    let fx = Fixture::default();
    let placed = fx.placed();
    let p = fx.save(d.path(), "兰山区.xlsx");
    let hidden_row = placed.first_data_row + 2; // 白沙埠镇, 0-based
    let hidden_col = placed.first_col as u32 + 8; // column (9)
    rewrite_parts(&p, &p, |name, xml| {
        if !name.starts_with("xl/worksheets/") {
            return xml.to_string();
        }
        let n = hidden_col + 1;
        xml.replace(
            &format!("<row r=\"{}\" ", hidden_row + 1),
            &format!("<row r=\"{}\" hidden=\"1\" ", hidden_row + 1),
        )
        .replace(
            "<sheetData>",
            &format!(r#"<cols><col min="{n}" max="{n}" width="0" hidden="1"/></cols><sheetData>"#),
        )
    });
    let (code, f) = validate_json(&p, &[]);
    assert_eq!(code, 0, "still counted, still accepted: {f:#}");
    let notes: Vec<&serde_json::Value> = f["findings"].as_array().unwrap().iter().filter(|x| x["code"] == "I007").collect();
    assert_eq!(notes.len(), 2, "{f:#}");
    let row_note = notes.iter().find(|x| x["message"].as_str().unwrap().contains("隐藏行")).expect("row");
    assert!(row_note["message"].as_str().unwrap().contains("“白沙埠镇”"), "{row_note:#}");
    assert_eq!(row_note["values"]["cells"].as_array().unwrap().len(), 21);
    let col_note = notes.iter().find(|x| x["message"].as_str().unwrap().contains("隐藏列")).expect("col");
    assert_eq!(col_note["column"], 9);
    // Four townships and the 合计 hold figures in column (9).
    assert_eq!(col_note["values"]["cells"].as_array().unwrap().len(), 5, "{col_note:#}");

    // Without hidden rows nothing is said.
    let (_, f) = validate_json(&Fixture::default().save(d.path(), "兰山区2.xlsx"), &[]);
    assert!(!codes(&f).iter().any(|(c, _)| c == "I007"));
}

#[test]
fn quiet_submit_prints_only_what_needs_attention() {
    let d = tmp();
    let data = d.path().join("data");
    let good = lanshan(&d.path().join("in"), "2026-10", &lanshan_rows());
    let mut bad_rows = lanshan_rows();
    bad_rows[1].1[2] = bad_rows[1].1[1] + 1;
    let bad = county_file(&d.path().join("in2"), "371311", "罗庄区", "2026-10", &bad_rows);
    let run = yuebao(&["submit", "-q", "--data", s(&data), s(&good), s(&bad), "--now", TEST_NOW]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("兰山区（371302）"), "a clean file is not listed under -q:\n{}", run.stdout);
    assert!(run.stdout.contains("罗庄区（371311）") && run.stdout.contains("E201"), "{}", run.stdout);
    assert!(run.stdout.contains("共提交 2 个文件：已接收 1"), "{}", run.stdout);
    let loud = yuebao(&["submit", "--data", s(&data), s(&good), "--now", TEST_NOW]);
    assert!(loud.stdout.contains("兰山区（371302）"), "{}", loud.stdout);
}
