//! Validation through the binary: county workbooks built the way counties lay them out, and
//! what `yuebao validate` says about them (text, JSON, exit code, annotated workbooks).

use crate::support::*;

mod layouts;

const RULES: [(usize, usize); 9] = [(1, 2), (2, 3), (2, 4), (7, 8), (10, 11), (10, 12), (13, 14), (15, 16), (15, 17)];

#[test]
fn well_formed_sheet_is_accepted_without_findings() {
    let d = tmp();
    let p = Fixture::default().save(d.path(), "well_formed.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!(code, 0);
    assert_eq!(f["status"], "accepted");
    assert_eq!(f["region"], "371302");
    assert_eq!(f["period"], "2026-10");
    assert_eq!(codes(&f), vec![], "{f:#}");
}

#[test]
fn each_printed_relation_is_checked_on_data_rows() {
    let d = tmp();
    for (a, b) in RULES {
        let mut fx = Fixture::default();
        let big = good_row(1)[a - 1] + 5;
        fx.set(1, b, V::from(big));
        // Keep everything else consistent so the relation is the only error.
        if b == 2 {
            fx.set(1, 3, V::from(good_row(1)[2]));
        }
        let p = fx.save(d.path(), &format!("rule_{a}_ge_{b}_broken.xlsx"));
        let (code, f) = validate_json(&p, &[]);
        let cell = fx.placed().a1(1, b as u16);
        let e201: Vec<_> = f["findings"].as_array().unwrap().iter().filter(|x| x["code"] == "E201").collect();
        assert_eq!(code, 1, "({a}) ≥ ({b}): {f:#}");
        assert!(!e201.is_empty(), "({a}) ≥ ({b}) not reported: {f:#}");
        let hit = e201
            .iter()
            .find(|x| x["cell"] == cell.as_str())
            .unwrap_or_else(|| panic!("({a}) ≥ ({b}) not at {cell}: {f:#}"));
        assert_eq!(hit["row_label"], "银雀山街道");
        assert_eq!(hit["column"], b);
        assert_eq!(hit["values"]["rule"], format!("({a}) ≥ ({b})"));
        let msg = hit["message"].as_str().unwrap();
        assert!(msg.contains(&format!("第({b})栏 {big} 大于 第({a})栏")), "{msg}");
        assert!(msg.contains(&format!("违反 ({a}) ≥ ({b})")), "{msg}");
    }
}

#[test]
fn relations_are_checked_on_the_total_row_too() {
    let d = tmp();
    let mut fx = Fixture::default();
    let mut total: Vec<V> = default_sums().into_iter().map(V::from).collect();
    // 合计 (8) exceeds 合计 (7): also a 合计 mismatch.
    total[7] = V::from(default_sums()[6] + 1);
    fx.total = Total::Cells(total);
    let p = fx.save(d.path(), "total_breaks_rule.xlsx");
    let (_, f) = validate_json(&p, &[]);
    let cell = fx.placed().a1(4, 8);
    assert!(has(&f, "E201", &cell), "{f:#}");
    assert!(has(&f, "E202", &cell), "{f:#}");
}

#[test]
fn total_mismatch_names_sum_and_gap_on_the_total_cell() {
    let d = tmp();
    let mut fx = Fixture::default();
    let mut total: Vec<V> = default_sums().into_iter().map(V::from).collect();
    let s1 = default_sums()[0];
    total[0] = V::from(s1 + 100);
    fx.total = Total::Cells(total);
    let p = fx.save(d.path(), "total_mismatch.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!(code, 1);
    let cell = fx.placed().a1(4, 1);
    let e = f["findings"].as_array().unwrap().iter().find(|x| x["code"] == "E202").expect("E202");
    assert_eq!(e["cell"], cell.as_str());
    assert_eq!(e["row_label"], "合计");
    assert_eq!(e["values"]["sum"], s1);
    assert_eq!(e["values"]["gap"], 100);
    assert!(e["message"].as_str().unwrap().contains(&format!("各行之和为 {s1}，合计多 100")));
}

#[test]
fn missing_total_row_is_a_warning_and_the_sum_is_used() {
    let d = tmp();
    let fx = Fixture {
        total: Total::None,
        ..Fixture::default()
    };
    let p = fx.save(d.path(), "no_total_row.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!(code, 0);
    assert_eq!(codes(&f).iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(), ["W201"]);
    let sums = f["findings"][0]["values"]["sum"].as_array().unwrap().clone();
    assert_eq!(sums[0], default_sums()[0]);
}

#[test]
fn total_only_sheet_is_accepted() {
    let d = tmp();
    let total: Vec<V> = good_row(3).into_iter().map(V::from).collect();
    let fx = Fixture {
        rows: vec![],
        total: Total::Cells(total),
        ..Fixture::default()
    };
    let p = fx.save(d.path(), "total_only.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!((code, codes(&f)), (0, vec![]), "{f:#}");
}

#[test]
fn text_numbers_full_width_and_thousands_are_read_with_warnings() {
    let d = tmp();
    let mut fx = Fixture::default();
    let v = good_row(0);
    fx.set(0, 1, V::T(v[0].to_string()));
    let fw: String = v[1].to_string().chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
    fx.set(0, 2, V::T(fw));
    fx.set(0, 18, V::T(format!("{},{:03}", v[17] / 1000, v[17] % 1000)));
    let p = fx.save(d.path(), "text_numbers.xlsx");
    let (code, f) = validate_json(&p, &[]);
    let pl = fx.placed();
    assert_eq!(code, 0, "{f:#}");
    assert_eq!(
        codes(&f),
        vec![("W101".into(), pl.a1(0, 1)), ("W102".into(), pl.a1(0, 2)), ("W103".into(), pl.a1(0, 18))],
        "values must be read exactly, or the 合计 check would fail: {f:#}"
    );
    assert_eq!(f["findings"][2]["values"]["read"], v[17]);
}

#[test]
fn blank_cells_count_as_zero_with_an_info() {
    let d = tmp();
    let mut fx = Fixture::default();
    fx.set(2, 21, V::Blank).set(3, 21, V::T("  ".into()));
    let p = fx.save(d.path(), "blank_cells.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!(code, 0);
    let pl = fx.placed();
    assert_eq!(codes(&f), vec![("I101".into(), pl.a1(2, 21)), ("I101".into(), pl.a1(3, 21))]);
    assert_eq!(f["findings"][0]["severity"], "info");
}

#[test]
fn bad_values_are_errors_naming_cell_and_content() {
    let d = tmp();
    let mut fx = Fixture::default();
    fx.set(0, 5, V::N(-3.0))
        .set(0, 6, V::N(12.5))
        .set(1, 9, V::T("十二".into()))
        .set(2, 13, V::F("E5/0".into(), Some("#DIV/0!".into())))
        .set(3, 14, V::F("SUM(A1:A2)".into(), None));
    let p = fx.save(d.path(), "bad_values.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!(code, 1);
    assert_eq!(f["status"], "rejected");
    let pl = fx.placed();
    for (c, cell, text) in [
        ("E101", pl.a1(0, 5), "-3"),
        ("E102", pl.a1(0, 6), "12.5"),
        ("E104", pl.a1(1, 9), "十二"),
        ("E105", pl.a1(2, 13), "#DIV/0!"),
        ("E103", pl.a1(3, 14), "SUM(A1:A2)"),
    ] {
        let x = f["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["code"] == c)
            .unwrap_or_else(|| panic!("{c} missing: {f:#}"));
        assert_eq!(x["cell"], cell.as_str(), "{c}");
        assert!(x["message"].as_str().unwrap().contains(text), "{c}: {}", x["message"]);
    }
    // A cell that cannot be read does not also produce relation or 合计 noise.
    assert!(!codes(&f).iter().any(|(c, _)| c == "E202" || c == "E201"), "{f:#}");
}

#[test]
fn offset_table_with_one_label_column_and_text_column_numbers() {
    let d = tmp();
    let mut fx = Fixture {
        origin: (4, 3),
        two_label_cols: false,
        numbers_as_text: true,
        ..Fixture::default()
    };
    fx.set(2, 4, V::from(good_row(2)[1] + 1));
    let p = fx.save(d.path(), "offset_table.xlsx");
    let (_, f) = validate_json(&p, &[]);
    let cell = fx.placed().a1(2, 4);
    assert!(cell.starts_with('H'), "(4) sits in column H when the table starts at D: {cell}");
    assert!(has(&f, "E201", &cell), "{f:#}");
    assert_eq!(f["findings"][0]["row_label"], "白沙埠镇");
}

#[test]
fn merged_header_cells_are_read_through() {
    let d = tmp();
    let fx = Fixture {
        merged_header: true,
        ..Fixture::default()
    };
    let p = fx.save(d.path(), "merged_header.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!((code, codes(&f)), (0, vec![]));
}

#[test]
fn extra_sheets_are_skipped_and_a_second_form_sheet_is_flagged() {
    let d = tmp();
    let mut second = Fixture {
        sheet: "9月".into(),
        ..Fixture::default()
    };
    second.set(0, 3, V::from(999_999));
    let fx = Fixture {
        sheet: "10月".into(),
        sheets_before: vec!["填报说明".into()],
        sheets_after: vec![second],
        ..Fixture::default()
    };
    let p = fx.save(d.path(), "extra_sheets.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!(code, 0, "the first form sheet is clean: {f:#}");
    let w = &f["findings"][0];
    assert_eq!(w["code"], "W001");
    assert_eq!(w["sheet"], "9月");
}

#[test]
fn sheet_without_column_numbers_says_which_form_was_expected() {
    let d = tmp();
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().write(0, 0, "2026年10月城镇新增就业统计表").unwrap();
    let p = d.path().join("wrong_form.xlsx");
    wb.save(&p).unwrap();
    let (code, f) = validate_json(&p, &[]);
    assert_eq!(code, 1);
    assert_eq!(f["findings"][0]["code"], "E002");
    let m = f["findings"][0]["message"].as_str().unwrap();
    assert!(
        m.contains("建档立卡农村贫困人口就业与社会保障统计表") && m.contains("21 栏") && m.contains("Sheet1"),
        "{m}"
    );
}

#[test]
fn duplicate_township_and_duplicate_total() {
    let d = tmp();
    let mut fx = Fixture::default();
    fx.rows[3].0 = "兰山街道".into();
    let mut both = fx.clone();
    fx.total = Total::Sum;
    let p = fx.save(d.path(), "duplicate_label.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!(code, 0);
    let pl = fx.placed();
    let label_cell = format!("B{}", pl.first_data_row + 4);
    assert_eq!(codes(&f), vec![("W202".into(), label_cell)]);

    // A second 合计 row among the data.
    both.rows.insert(2, ("合计".into(), good_row(9).into_iter().map(V::from).collect()));
    let p = both.save(d.path(), "duplicate_total.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!(code, 1);
    assert!(codes(&f).iter().any(|(c, _)| c == "E203"), "{f:#}");
}

#[test]
fn missing_signatures_are_warnings() {
    let d = tmp();
    let fx = Fixture {
        footer: Some(["王建国", "", "", ""]),
        ..Fixture::default()
    };
    let p = fx.save(d.path(), "footer_blank.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!(code, 0);
    let fields: Vec<String> = f["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["values"]["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["填表人", "联系电话", "填报日期"]);

    let fx = Fixture {
        footer: None,
        ..Fixture::default()
    };
    let p = fx.save(d.path(), "footer_absent.xlsx");
    let (_, f) = validate_json(&p, &[]);
    assert_eq!(codes(&f).iter().filter(|(c, _)| c == "W301").count(), 4);
}

#[test]
fn region_is_found_in_sheet_then_file_name_then_flag() {
    let d = tmp();
    // The printed `____县(区)` line filled in by hand, a city-qualified name, a bare code.
    for (i, (line, want)) in [("罗庄县(区)", "371311"), ("填报单位：临沂市河东区", "371312"), ("填报单位：371327", "371327")]
        .into_iter()
        .enumerate()
    {
        let fx = Fixture {
            unit_line: Some(line.into()),
            ..Fixture::default()
        };
        let (_, f) = validate_json(&fx.save(d.path(), &format!("line{i}.xlsx")), &[]);
        assert_eq!(f["region"], want, "{line}");
    }

    let fx = Fixture {
        unit_line: None,
        ..Fixture::default()
    };
    let (code, f) = validate_json(&fx.save(d.path(), "371321-沂南县-2026-10.xlsx"), &[]);
    assert_eq!((code, f["region"].as_str()), (0, Some("371321")));
    assert_eq!(codes(&f)[0].0, "I001");

    let (code, f) = validate_json(&fx.save(d.path(), "c.xlsx"), &["--region", "371325"]);
    assert_eq!((code, f["region"].as_str()), (0, Some("371325")));

    let (code, f) = validate_json(&fx.save(d.path(), "d.xlsx"), &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&f)[0].0, "E003");

    let fx = Fixture {
        unit_line: Some("填报单位：火星区".into()),
        ..Fixture::default()
    };
    let (code, f) = validate_json(&fx.save(d.path(), "e.xlsx"), &[]);
    assert_eq!(code, 1);
    assert!(f["findings"][0]["message"].as_str().unwrap().contains("火星区"));

    let fx = Fixture {
        unit_line: Some("填报单位：市中区".into()),
        ..Fixture::default()
    };
    let (code, f) = validate_json(&fx.save(d.path(), "f.xlsx"), &[]);
    assert_eq!(code, 1, "市中区 exists in 济南 and 枣庄: {f:#}");
    let m = f["findings"][0]["message"].as_str().unwrap();
    assert!(m.contains("370103") && m.contains("370402"), "{m}");

    // The sheet wins over a file name that disagrees, with a warning.
    let fx = Fixture::default();
    let (code, f) = validate_json(&fx.save(d.path(), "371311-罗庄区-2026-10.xlsx"), &[]);
    assert_eq!((code, f["region"].as_str()), (0, Some("371302")));
    assert_eq!(codes(&f)[0].0, "W002");
}

#[test]
fn period_is_found_in_sheet_then_file_name_then_flag() {
    let d = tmp();
    let fx = Fixture {
        period_line: None,
        ..Fixture::default()
    };
    let (_, f) = validate_json(&fx.save(d.path(), "兰山区2026年9月.xlsx"), &[]);
    assert_eq!(f["period"], "2026-09");
    let (_, f) = validate_json(&fx.save(d.path(), "兰山区.xlsx"), &["--period", "2026-08"]);
    assert_eq!(f["period"], "2026-08");
    let (code, f) = validate_json(&fx.save(d.path(), "兰山区.xlsx"), &[]);
    assert_eq!((code, codes(&f)[0].0.as_str()), (1, "E004"));
    let fx = Fixture {
        period_line: Some("报告期：2026-07".into()),
        ..Fixture::default()
    };
    let (_, f) = validate_json(&fx.save(d.path(), "兰山区.xlsx"), &[]);
    assert_eq!(f["period"], "2026-07");
}

#[test]
fn csv_in_utf8_and_gbk() {
    let d = tmp();
    let header: String = (1..=21).map(|k| format!(",{k}")).collect();
    let row = |label: &str, v: &[i64]| format!("{label},{}\n", v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(","));
    let a = good_row(1);
    let b = good_row(2);
    let total: Vec<i64> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
    let mut text = format!("填报单位：费县,,,报告期：2026年10月\n甲{header}\n");
    text += &row("费城街道", &a);
    text += &row("上冶镇", &b);
    text += &row("合计", &total);
    text += "单位负责人签章：周涛,填表人签章：吴敏,联系电话：0539-5012345,填报日期：2026年11月4日\n";
    std::fs::write(d.path().join("utf8.csv"), format!("\u{feff}{text}")).unwrap();
    let (code, f) = validate_json(&d.path().join("utf8.csv"), &[]);
    assert_eq!((code, f["region"].as_str(), codes(&f)), (0, Some("371325"), vec![]), "{f:#}");

    let bad = text.replace("上冶镇,", "上冶镇,-");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&bad);
    std::fs::write(d.path().join("gbk.csv"), gbk).unwrap();
    let (code, f) = validate_json(&d.path().join("gbk.csv"), &[]);
    assert_eq!(code, 1);
    assert!(has(&f, "E101", "B4"), "{f:#}");
    assert_eq!(f["findings"][0]["row_label"], "上冶镇", "GBK text decoded");
}

#[test]
fn xls_and_ods_read_like_xlsx() {
    // sample-data has 河东区 as .xls; tests/fixtures has 沂南县 (planted errors) as .ods,
    // both saved by LibreOffice (scripts/make-sample-data.sh, tests/fixtures/README.md).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, f) = validate_json(&root.join("sample-data/371312-河东区-2026-10.xls"), &[]);
    assert_eq!((code, f["region"].as_str()), (0, Some("371312")), "{f:#}");
    let (_, xlsx) = validate_json(&root.join("sample-data/371321-沂南县-2026-10.xlsx"), &[]);
    let (code, ods) = validate_json(&root.join("tests/fixtures/371321-沂南县-2026-10.ods"), &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&ods), codes(&xlsx), "same findings from .ods and .xlsx");
}

#[test]
fn text_output_is_one_line_per_finding_with_a_summary() {
    let d = tmp();
    let mut fx = Fixture::default();
    fx.set(1, 3, V::from(good_row(1)[1] + 20));
    let p = fx.save(d.path(), "兰山区.xlsx");
    let run = yuebao_in(d.path(), &["validate", "兰山区.xlsx"]);
    assert_eq!(run.code, 1);
    let cell = fx.placed().a1(1, 3);
    let want = format!(
        "兰山区.xlsx:Sheet1!{cell}: E201 银雀山街道：第(3)栏 {} 大于 第(2)栏 {}，违反 (2) ≥ (3)",
        good_row(1)[1] + 20,
        good_row(1)[1]
    );
    assert!(run.stdout.lines().any(|l| l == want), "want {want}\n got {}", run.stdout);
    assert!(
        run.stdout.contains("== 兰山区.xlsx：兰山区（371302） 2026年10月，退回。错误 1 处"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("共审核 1 个文件：通过 0 个，退回 1 个。"));
    drop(p);
}

#[test]
fn exit_codes() {
    let d = tmp();
    let good = Fixture::default().save(d.path(), "good.xlsx");
    assert_eq!(yuebao(&["validate", good.to_str().unwrap()]).code, 0);
    let missing = d.path().join("missing.xlsx");
    let run = yuebao(&["validate", missing.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 1, "a missing file is a finding, not a crash");
    assert!(run.stdout.contains("E001"));
    // Text named .xlsx is read as the text it is, and is not the form.
    std::fs::write(d.path().join("junk.xlsx"), b"not a workbook").unwrap();
    let run = yuebao(&["validate", d.path().join("junk.xlsx").to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("I003") && run.stdout.contains("E002") && run.stdout.contains("junk.xlsx"),
        "{}",
        run.stdout
    );
    let run = yuebao(&["validate", good.to_str().unwrap(), "--schemas", d.path().join("nope").to_str().unwrap()]);
    assert_eq!(run.code, 2, "tool failure");
    assert!(run.stderr.contains("错误"), "{}", run.stderr);
    let run = yuebao(&["validate", good.to_str().unwrap(), "--period", "2026-13"]);
    assert_eq!(run.code, 2);
}

#[test]
fn batch_of_a_directory_goes_on_past_bad_files() {
    let d = tmp();
    Fixture::default().save(d.path(), "1-good.xlsx");
    std::fs::write(d.path().join("2-junk.xlsx"), b"PK garbage").unwrap();
    Fixture::default().save(d.path(), "3-good.xlsx");
    std::fs::write(d.path().join("~$1-good.xlsx"), b"lock").unwrap();
    let run = yuebao(&["validate", d.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let statuses: Vec<&str> = doc["files"].as_array().unwrap().iter().map(|f| f["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["accepted", "rejected", "accepted"]);
    assert_eq!(doc["summary"]["accepted"], 2);
}

#[test]
fn json_has_the_documented_shape() {
    let d = tmp();
    let mut fx = Fixture::default();
    fx.set(0, 8, V::from(good_row(0)[6] + 2));
    let p = fx.save(d.path(), "json_shape.xlsx");
    let (_, f) = validate_json(&p, &[]);
    for key in ["file", "region", "period", "status", "findings"] {
        assert!(f.get(key).is_some(), "missing {key}");
    }
    let x = &f["findings"][0];
    for key in ["code", "severity", "sheet", "cell", "row_label", "column", "column_name", "values", "message"] {
        assert!(x.get(key).is_some(), "finding lacks {key}: {x:#}");
    }
    assert_eq!(x["severity"], "error");
    assert_eq!(x["column_name"], "其中：已安置公益性岗位的人数");
    assert_eq!(x["values"]["left"], good_row(0)[6]);
    assert_eq!(x["values"]["right"], good_row(0)[6] + 2);
}

/// The solid fill colour (ARGB) of a cell on the first sheet of an xlsx, from its style index,
/// the cellXfs entry and the fills table.
fn fill_of(path: &std::path::Path, cell: &str) -> Option<String> {
    let sheet = zip_text(path, "xl/worksheets/sheet1.xml");
    let at = sheet.find(&format!("<c r=\"{cell}\""))?;
    let tag = &sheet[at..at + sheet[at..].find('>')?];
    let attr = |t: &str, name: &str| -> Option<String> {
        let i = t.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(t[i..i + t[i..].find('"')?].to_string())
    };
    let style: usize = attr(tag, "s")?.parse().ok()?;
    let styles = zip_text(path, "xl/styles.xml");
    let xfs = &styles[styles.find("<cellXfs")?..styles.find("</cellXfs>")?];
    let xf = xfs.split("<xf ").nth(style + 1)?;
    let fill: usize = attr(&format!(" {xf}"), "fillId")?.parse().ok()?;
    let fills = &styles[styles.find("<fills")?..styles.find("</fills>")?];
    let f = fills.split("<fill>").nth(fill + 1)?;
    let i = f.find("fgColor rgb=\"")? + "fgColor rgb=\"".len();
    Some(f[i..i + 8].to_string())
}

fn zip_text(path: &std::path::Path, name_prefix: &str) -> String {
    use std::io::Read;
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut all = String::new();
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        if f.name().unwrap().starts_with(name_prefix) {
            f.read_to_string(&mut all).unwrap();
        }
    }
    all
}

#[test]
fn annotate_writes_marked_copy_with_results_sheet() {
    use calamine::{Data, Reader, open_workbook_auto};
    let d = tmp();
    let mut fx = Fixture::default();
    fx.set(1, 3, V::from(good_row(1)[1] + 20)).set(2, 5, V::T("１２".into()));
    let p = fx.save(d.path(), "兰山区.xlsx");
    let original = std::fs::read(&p).unwrap();
    let out = d.path().join("审核");
    let run = yuebao(&["validate", p.to_str().unwrap(), "--annotate", out.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert_eq!(std::fs::read(&p).unwrap(), original, "原文件不会被改动: the input is byte for byte the same");
    let copy = out.join("兰山区-审核.xlsx");
    assert!(run.stdout.contains("兰山区-审核.xlsx"), "{}", run.stdout);

    let mut wb = open_workbook_auto(&copy).unwrap();
    assert_eq!(wb.sheet_names(), ["Sheet1", "审核结果"]);
    // Values survive the copy.
    let sheet = wb.worksheet_range("Sheet1").unwrap();
    let pl = fx.placed();
    let v = sheet.get_value((pl.first_data_row + 1, pl.first_col as u32 + 2)).unwrap();
    assert_eq!(v, &Data::Float((good_row(1)[1] + 20) as f64));
    // Results sheet lists every finding.
    let res = wb.worksheet_range("审核结果").unwrap();
    let rows: Vec<Vec<String>> = res.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let listed: Vec<(String, String)> = rows.iter().skip(4).map(|r| (r[1].clone(), r[4].clone())).collect();
    assert_eq!(listed, vec![("E201".to_string(), pl.a1(1, 3)), ("W102".to_string(), pl.a1(2, 5))]);
    assert!(rows[1][0].contains("退回"));
    // The failing cells carry notes with the messages, and red/yellow fills exist.
    let notes = zip_text(&copy, "xl/comments");
    assert!(
        notes.contains(&format!("ref=\"{}\"", pl.a1(1, 3))) && notes.contains("违反 (2) ≥ (3)"),
        "{notes}"
    );
    assert!(notes.contains(&format!("ref=\"{}\"", pl.a1(2, 5))));
    // The fills sit on the flagged cells themselves: red on the error, yellow on the warning,
    // none on a cell without findings.
    assert_eq!(fill_of(&copy, &pl.a1(1, 3)).as_deref(), Some("FFFFC7CE"));
    assert_eq!(fill_of(&copy, &pl.a1(2, 5)).as_deref(), Some("FFFFEB9C"));
    assert_eq!(fill_of(&copy, &pl.a1(0, 1)), None);

    // Never overwrite the input.
    let run = yuebao(&["validate", copy.to_str().unwrap(), "--annotate", out.to_str().unwrap()]);
    assert_ne!(run.code, 2, "annotating an annotated copy writes a new name: {}", run.stderr);
}

#[test]
fn regions_tsv_lists_region_and_everything_below() {
    let run = yuebao(&["regions", "371300", "--format", "tsv"]);
    assert_eq!(run.code, 0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 13);
    assert_eq!(lines[0], "371300\t临沂市\tcity\t370000");
    assert_eq!(lines[1], "371302\t兰山区\tcounty\t371300");
    assert_eq!(lines[12], "371329\t临沭县\tcounty\t371300");
    let all = yuebao(&["regions", "--format", "tsv"]);
    let lines: Vec<&str> = all.stdout.lines().collect();
    assert_eq!(lines.len(), 1 + 16 + 136);
    assert_eq!(lines[0], "370000\t山东省\tprovince\t");
    assert_eq!(lines.iter().filter(|l| l.contains("\tcounty\t")).count(), 136);
    assert!(lines.contains(&"370116\t莱芜区\tcounty\t370100"));
    assert_eq!(yuebao(&["regions", "999999"]).code, 2);
}

/// The whole country from the national list: 全国 first, then each province with its cities and
/// counties; a municipality's districts and a province's directly administered county-level
/// units under the province; Shandong's part the same as the installation's own list.
#[test]
fn regions_of_the_nation_beyond_the_installation() {
    let run = yuebao(&["regions", "000000", "--format", "tsv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0], "000000\t全国\tnation\t");
    assert_eq!(lines[1], "110000\t北京市\tprovince\t000000");
    assert_eq!(lines[2], "110101\t东城区\tcounty\t110000");
    assert_eq!(lines.iter().filter(|l| l.ends_with("\tprovince\t000000")).count(), 31);
    assert_eq!(lines.iter().filter(|l| l.contains("\tcity\t")).count(), 333);
    assert!(lines.contains(&"429004\t仙桃市\tcounty\t420000"));
    assert!(lines.contains(&"441900\t东莞市\tcity\t440000"));
    // Shandong as the installation lists it (its province line names the nation as parent here).
    let ours = yuebao(&["regions", "370000", "--format", "tsv"]).stdout;
    let start = lines.iter().position(|l| l.starts_with("370000\t")).unwrap();
    let shandong: Vec<&str> = lines[start..start + 153].to_vec();
    let mut expected: Vec<String> = ours.lines().map(str::to_string).collect();
    expected[0].push_str("000000");
    assert_eq!(shandong, expected);
    // Another province by its code or name: 河南省's 17 cities and 157 counties.
    let henan = yuebao(&["regions", "河南省", "--format", "tsv"]);
    assert_eq!(henan.stdout.lines().count(), 1 + 17 + 157, "{}", henan.stderr);
    // A past month: 莱芜市 with its two districts in October 2018, gone by October 2020.
    let laiwu = yuebao(&["regions", "371200", "--as-of", "2018-10", "--format", "tsv"]);
    assert_eq!(
        laiwu.stdout.lines().collect::<Vec<_>>(),
        [
            "371200\t莱芜市\tcity\t370000",
            "371202\t莱城区\tcounty\t371200",
            "371203\t钢城区\tcounty\t371200"
        ],
        "{}",
        laiwu.stderr
    );
    let gone = yuebao(&["regions", "371200", "--as-of", "2020-10"]);
    assert_eq!(gone.code, 2);
    assert!(gone.stderr.contains("2020年10月时没有地区“371200”"), "{}", gone.stderr);
    // Asked today, a division no longer in force says what became of it.
    let gone = yuebao(&["regions", "371202"]);
    assert_eq!(gone.code, 2);
    assert!(
        gone.stderr.contains("371202 莱城区 已不是现行区划（有效至 2019年10月）")
            && gone.stderr.contains("莱芜区（370116）")
            && gone.stderr.contains("--as-of 2019-10"),
        "{}",
        gone.stderr
    );
    // Read only its first lines (`| head`): it stops quietly, as a program that got SIGPIPE.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_yuebao"))
        .args(["regions", "000000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(first, "000000 全国\n");
    assert_eq!(out.status.code(), Some(141));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    // A name in several provinces is not guessed.
    let run = yuebao(&["regions", "朝阳区"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("110105 朝阳区（北京市）") && run.stderr.contains("220104 朝阳区（长春市）"),
        "{}",
        run.stderr
    );
}

#[test]
fn deadline_prints_the_due_date_first() {
    for (p, want) in [
        ("2024-09", "2024-10-08"),
        ("2025-09", "2025-10-09"),
        ("2023-09", "2023-10-07"),
        ("2026-10", "2026-11-05"),
        ("2016-01", "2016-02-05"),
    ] {
        let run = yuebao(&["deadline", "--period", p]);
        assert_eq!(run.code, 0);
        assert_eq!(run.stdout.split_whitespace().next(), Some(want), "{p}: {}", run.stdout);
    }
}

#[test]
fn an_edited_schema_changes_the_rules_without_code() {
    let d = tmp();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let sch = d.path().join("schemas");
    for sub in ["forms", "regions", "calendar"] {
        std::fs::create_dir_all(sch.join(sub)).unwrap();
        for e in std::fs::read_dir(root.join(sub)).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), sch.join(sub).join(e.file_name())).unwrap();
        }
    }
    let form_path = sch.join("forms/jdlk-jyshbz.toml");
    let form = std::fs::read_to_string(&form_path).unwrap();
    // A new relation and a renamed column.
    let edited = form
        .replace("(15) ≥ (17)。", "(15) ≥ (17)；(20) ≤ (5) + (6)。")
        .replace("name = \"转移就业人数\"", "name = \"外出务工人数\"");
    std::fs::write(&form_path, &edited).unwrap();
    let mut fx = Fixture::default();
    fx.set(0, 20, V::from(good_row(0)[4] + good_row(0)[5] + 1)).set(1, 5, V::T("x".into()));
    let p = fx.save(d.path(), "schema_edit.xlsx");
    let (_, f) = validate_json(&p, &["--schemas", sch.to_str().unwrap()]);
    let e = f["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "E201")
        .expect("new relation enforced");
    assert_eq!(e["values"]["rule"], "(20) ≤ (5) + (6)");
    assert!(f["findings"].as_array().unwrap().iter().any(|x| x["column_name"] == "外出务工人数"));

    std::fs::write(&form_path, form.replace("(13) ≥ (14)", "(13) ≥ (44)")).unwrap();
    let run = yuebao(&["validate", p.to_str().unwrap(), "--schemas", sch.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("jdlk-jyshbz.toml") && run.stderr.contains("第 77 个字符") && run.stderr.contains("(44)"),
        "{}",
        run.stderr
    );
}

#[test]
fn sample_month_findings() {
    let run = yuebao(&["validate", "sample-data/"]);
    assert_eq!(run.code, 1, "沂南县 carries planted errors");
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn xlsm_is_read_like_xlsx() {
    let d = tmp();
    let mut fx = Fixture::default();
    fx.set(0, 12, V::from(good_row(0)[9] + 1));
    let p = fx.save(d.path(), "兰山区.xlsm");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!(code, 1);
    assert!(has(&f, "E201", &fx.placed().a1(0, 12)), "{f:#}");
}

#[test]
fn total_row_placed_first_and_notes_after_it() {
    let d = tmp();
    let mut fx = Fixture {
        total: Total::None,
        unit_line: Some("填报单位（盖章）：兰陵县".into()),
        ..Fixture::default()
    };
    fx.rows.insert(0, ("合计".into(), default_sums().into_iter().map(V::from).collect()));
    fx.rows.push(("以上数据已经分管领导审核".into(), vec![V::Blank; 21]));
    let p = fx.save(d.path(), "total_first.xlsx");
    let (code, f) = validate_json(&p, &[]);
    assert_eq!((code, f["region"].as_str()), (0, Some("371324")));
    assert_eq!(codes(&f), vec![], "{f:#}");
}

#[test]
fn verbose_lists_each_info() {
    let d = tmp();
    let mut fx = Fixture::default();
    fx.set(0, 21, V::Blank).set(1, 21, V::Blank);
    let p = fx.save(d.path(), "blank.xlsx");
    let grouped = yuebao(&["validate", p.to_str().unwrap()]);
    assert_eq!(grouped.stdout.matches("I101").count(), 1, "{}", grouped.stdout);
    assert!(grouped.stdout.contains("共 2 处"));
    let each = yuebao(&["validate", p.to_str().unwrap(), "-v"]);
    assert_eq!(each.stdout.matches("I101").count(), 2, "{}", each.stdout);
}

/// Validates a damaged fixture next to a good file in one batch: the batch must finish, reject
/// the damaged file with `code` and accept the good one. Returns the damaged file's message.
fn damaged_file_costs_only_itself(fixture: &str, good: &std::path::Path, code: &str) -> String {
    let d = tmp();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ext = fixture.rsplit('.').next().unwrap();
    std::fs::copy(root.join("tests/fixtures").join(fixture), d.path().join(format!("1-damaged.{ext}"))).unwrap();
    std::fs::copy(good, d.path().join(format!("2-{}", good.file_name().unwrap().to_string_lossy()))).unwrap();
    let run = yuebao(&["validate", d.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["files"][0]["status"], "rejected");
    assert_eq!(doc["files"][0]["findings"][0]["code"], code, "{:#}", doc["files"][0]);
    assert_eq!(doc["files"][1]["status"], "accepted");
    doc["files"][0]["findings"][0]["message"].as_str().unwrap().to_string()
}

#[test]
fn a_file_that_crashes_the_reader_is_rejected_and_the_batch_goes_on() {
    let d = tmp();
    damaged_file_costs_only_itself("corrupt-sheet-xml.xlsx", &Fixture::default().save(d.path(), "good.xlsx"), "E001");
}

#[test]
fn a_stray_value_far_away_does_not_blow_up_memory() {
    let d = tmp();
    // One extra value in the last cell Excel allows: a dense read would need ~17 billion cells.
    let fx = Fixture {
        extra_cells: vec![(1_048_575, 16_383, "x".into())],
        ..Fixture::default()
    };
    let (code, f) = validate_json(&fx.save(d.path(), "far_cell.xlsx"), &[]);
    assert_eq!((code, codes(&f)), (0, vec![]), "{f:#}");
}

#[test]
fn an_xls_that_kills_the_reader_costs_only_that_file() {
    let good = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/371312-河东区-2026-10.xls");
    let msg = damaged_file_costs_only_itself("corrupt-huge-dimension.xls", &good, "E007");
    assert!(msg.contains("另存为 xlsx"), "{msg}");
}

#[test]
fn accepted_values_come_through_unchanged() {
    // The library path the later stages (store, rollup) use: every accepted number is the one
    // in the file, text and full-width forms included, and blanks are zeros.
    let d = tmp();
    let mut fx = Fixture::default();
    fx.set(0, 1, V::T(good_row(0)[0].to_string()))
        .set(
            1,
            2,
            V::T(good_row(1)[1].to_string().chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect()),
        )
        .set(3, 21, V::Blank);
    let p = fx.save(d.path(), "values.xlsx");
    let schemas = yuebao::schema::Schemas::embedded().unwrap();
    let rep = yuebao::validate::validate_file(&p, "values.xlsx", &schemas, &yuebao::validate::Hints::default());
    assert_eq!(rep.status, yuebao::validate::Status::Accepted, "{:#?}", rep.findings);
    let sheet = rep.sheet.expect("accepted sheet");
    assert_eq!(sheet.region, "371302");
    assert_eq!(sheet.period.to_string(), "2026-10");
    let labels: Vec<&str> = sheet.rows.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["兰山街道", "银雀山街道", "白沙埠镇", "枣园镇"]);
    for (i, row) in sheet.rows.iter().enumerate() {
        let mut want = good_row(i as i64);
        if i == 3 {
            want[20] = 0;
        }
        assert_eq!(row.values, want, "row {i}");
    }
    assert!(sheet.total_given);
    let mut total = default_sums();
    total[20] -= good_row(3)[20];
    assert_eq!(sheet.total.values, total);
}

#[test]
fn a_remark_column_right_of_the_form_does_not_end_the_table() {
    let d = tmp();
    let mut fx = Fixture::default();
    let right = fx.placed().first_col + 21;
    let first = fx.placed().first_data_row;
    fx.extra_cells = vec![(first, right, "注：本月新增 3 人".into())];
    fx.set(2, 3, V::from(good_row(2)[1] + 1));
    let (code, f) = validate_json(&fx.save(d.path(), "remark_column.xlsx"), &[]);
    assert_eq!(code, 1);
    assert!(has(&f, "E201", &fx.placed().a1(2, 3)), "rows after the remark are still read: {f:#}");
    assert!(!codes(&f).iter().any(|(c, _)| c == "W201"), "the 合计 row is still found: {f:#}");
}

#[test]
fn the_form_writer_draws_the_header_tree_and_its_output_is_accepted() {
    use calamine::{Data, DataType, Reader, Xlsx, open_workbook};
    let d = tmp();
    let schemas = yuebao::schema::Schemas::embedded().unwrap();
    let form = schemas.form();
    let region = schemas.regions.get("371302").unwrap();
    let mut doc = yuebao::workbook::form::FormDoc::for_region(&schemas, region, "2026-10".parse().unwrap());
    doc.rows = (0..3)
        .map(|i| yuebao::workbook::form::FormRow::filled(format!("第{i}镇"), &good_row(i)))
        .collect();
    doc.footer = vec!["王建国".into(), "李娜".into(), "0539-8123456".into(), "2026年11月3日".into()];
    let mut wb = rust_xlsxwriter::Workbook::new();
    let layout = yuebao::workbook::form::write_form(wb.add_worksheet(), form, &doc).unwrap();
    let path = d.path().join("written.xlsx");
    wb.save(&path).unwrap();

    let (code, f) = validate_json(&path, &[]);
    assert_eq!((code, codes(&f)), (0, vec![]), "{f:#}");

    let mut x: Xlsx<_> = open_workbook(&path).unwrap();
    let r = x.worksheet_range("Sheet1").unwrap();
    assert_eq!(
        r.get_value((0, 0)),
        Some(&Data::String("兰山区建档立卡农村贫困人口就业与社会保障统计表".into()))
    );
    let numbers: Vec<f64> = (0..21)
        .map(|k| r.get_value((layout.numbers_row, 2 + k)).and_then(|v| v.as_f64()).unwrap())
        .collect();
    assert_eq!(numbers, (1..=21).map(f64::from).collect::<Vec<_>>());
    let merges = x.merge_cells_by_sheet_name("Sheet1").unwrap();
    let spans: Vec<((u32, u32), (u32, u32))> = merges.iter().map(|m| (m.start, m.end)).collect();
    let h0 = layout.numbers_row - form.header_depth() as u32;
    // 其中 over (2)…(20); 期末参加居民社会保险人数 over (18)–(19); (1) and (21) run the full depth.
    for want in [
        ((h0, 3), (h0, 21)),
        ((h0 + 1, 19), (h0 + 1, 20)),
        ((h0, 2), (layout.numbers_row - 1, 2)),
        ((h0, 22), (layout.numbers_row - 1, 22)),
    ] {
        assert!(spans.contains(&want), "missing merge {want:?} in {spans:?}");
    }
    assert_eq!(r.get_value((h0 + 1, 19)), Some(&Data::String("期末参加居民社会保险人数".into())));
}

/// Codes no other test produced: E005 (no rows under the column numbers), W003 (the file name
/// names another month), I002 (the month taken from the file name) and W203 (figures on a row
/// without a name).
#[test]
fn rare_codes_each_have_a_producer() {
    let d = tmp();
    let no_rows = Fixture {
        rows: Vec::new(),
        total: Total::None,
        footer: None,
        ..Fixture::default()
    };
    let (code, f) = validate_json(&no_rows.save(d.path(), "兰山区.xlsx"), &[]);
    assert_eq!(code, 1);
    assert!(codes(&f).iter().any(|(c, _)| c == "E005"), "{f:#}");

    let (code, f) = validate_json(&Fixture::default().save(d.path(), "兰山区2026年9月.xlsx"), &[]);
    assert_eq!((code, f["period"].as_str()), (0, Some("2026-10")));
    assert!(codes(&f).iter().any(|(c, _)| c == "W003"), "{f:#}");

    let no_period = Fixture {
        period_line: None,
        ..Fixture::default()
    };
    let (_, f) = validate_json(&no_period.save(d.path(), "兰山区2026年9月.xlsx"), &[]);
    assert_eq!(f["period"], "2026-09");
    assert!(codes(&f).iter().any(|(c, _)| c == "I002"), "{f:#}");

    // One label column (no 序号 beside it), left empty on one row.
    let mut unlabelled = Fixture {
        two_label_cols: false,
        ..Fixture::default()
    };
    unlabelled.rows[2].0 = String::new();
    let (_, f) = validate_json(&unlabelled.save(d.path(), "兰山区.xlsx"), &[]);
    let pl = unlabelled.placed();
    let label_cell = pl.a1(2, 0);
    assert!(has(&f, "W203", &label_cell), "{label_cell} {f:#}");
}

/// More than 500 findings of one kind: the first 500 are listed, the rest counted (I004), and
/// the counts still add up.
#[test]
fn findings_beyond_500_of_one_kind_are_counted_not_listed() {
    let d = tmp();
    let rows: Vec<(String, Vec<V>)> = (0..520)
        .map(|i| {
            let mut v: Vec<V> = good_row(i % 7).into_iter().map(V::from).collect();
            v[20] = V::Blank;
            (format!("第{i}村"), v)
        })
        .collect();
    let fx = Fixture { rows, ..Fixture::default() };
    let (code, f) = validate_json(&fx.save(d.path(), "兰山区.xlsx"), &[]);
    assert_eq!(code, 0, "blank cells are infos");
    assert_eq!(f["unlisted"]["I101"], 20, "{}", f["unlisted"]);
    let listed = f["findings"].as_array().unwrap().iter().filter(|x| x["code"] == "I101").count();
    assert_eq!(listed, 500);
    let i004 = f["findings"].as_array().unwrap().iter().find(|x| x["code"] == "I004").expect("I004");
    assert!(i004["message"].as_str().unwrap().contains("I101 共 20 处"), "{i004:#}");
    assert_eq!(f["summary"]["infos"].as_u64().unwrap(), 520 + 1, "{}", f["summary"]);
}

/// An installation for 北京市, set by `--province` or `YUEBAO_PROVINCE`: its 16 districts
/// report to the municipality directly. `sample`, `validate`, `template`, `rollup` (one table, a
/// row per district, the 合计 the sum of theirs), `submit` and `status` work as they do for
/// Shandong; the data directory is then 北京市's, and a run for Shandong is refused. A province
/// that does not exist is named in Chinese with the ones that do.
#[test]
fn an_installation_for_beijing() {
    let d = tmp();
    let env = [("YUEBAO_PROVINCE", "110000")];
    let run = yuebao_env(d.path(), &["sample", "--period", "2026-10", "-o", "s", "-q"], &env);
    ok(&run);
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(d.path().join("s")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 16, "{}", run.stdout);
    ok(&yuebao_env(d.path(), &["validate", "s", "-q"], &env));
    // The same files are no Shandong county's.
    let shandong = yuebao_in(d.path(), &["validate", "s", "-q"]);
    assert_eq!(shandong.code, 1, "{}", shandong.stdout);
    // The municipality's blank form lists its districts under the county heading.
    ok(&yuebao_in(
        d.path(),
        &["--province", "北京", "template", "--region", "110000", "--period", "2026-10", "-o", "t.xlsx"],
    ));
    let (_, range) = crate::workbooks::first_sheet(&d.path().join("t.xlsx"));
    let text: Vec<String> = range.cells().map(|(_, _, c)| c.to_string()).collect();
    assert!(text.iter().any(|t| t == "县（市、区）") && text.iter().any(|t| t == "东城区") && text.iter().any(|t| t == "延庆区"));
    // The rollup: one workbook, a row per district.
    let run = yuebao_in(
        d.path(),
        &["--province", "110000", "rollup", "--period", "2026-10", "s", "-o", "r", "--format", "json"],
    );
    ok(&run);
    let written = std::fs::read_to_string(d.path().join("r/数据/汇总-110000-2026-10.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&written).unwrap();
    let tables = v["rollup"]["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 1, "{}", run.stdout);
    let rows = tables[0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 16);
    let beijing = yuebao::schema::Schemas::embedded_for(Some("110000")).unwrap();
    let mut sum = vec![0i64; 21];
    for f in &files {
        let rep = yuebao::validate::validate_file(f, "x", &beijing, &yuebao::validate::Hints::default());
        let sheet = rep.sheet.expect("read");
        let row = rows.iter().find(|r| r["code"] == sheet.region.as_str()).unwrap();
        assert_eq!(row["values"], serde_json::json!(sheet.total.values));
        for (i, x) in sheet.total.values.iter().enumerate() {
            sum[i] += x;
        }
    }
    let total: Vec<i64> = tables[0]["total"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect();
    assert_eq!(total, sum);
    assert!(sum[0] > 0);
    // Into a store, and the month's standing.
    let data = d.path().join("data");
    let mut args = vec!["submit", "--data", s(&data), "--now", "2026-11-03 09:00", "-q"];
    args.extend(files.iter().map(|f| s(f)));
    ok(&yuebao_env(d.path(), &args, &env));
    let run = yuebao_env(
        d.path(),
        &[
            "status",
            "--data",
            s(&data),
            "--period",
            "2026-10",
            "--as-of",
            "2026-11-03 10:00",
            "--format",
            "json",
        ],
        &env,
    );
    ok(&run);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let regions = v["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 16, "{}", run.stdout);
    assert!(regions.iter().all(|r| r["state"] == "on_time"), "{}", run.stdout);
    // The annual chain as 北京市 takes part in it: its districts report to it, it to the ministry.
    let run = yuebao_env(
        d.path(),
        &["status", "--data", s(&data), "--annual", "2026", "--as-of", "2026-12-03 10:00"],
        &env,
    );
    ok(&run);
    assert!(
        run.stdout.contains("各县（市、区） → 北京市：12月10日前（还有 7 天；本级收）"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("北京市 → 部：12月15日前（还有 12 天；本级报）"), "{}", run.stdout);
    let gaps = annual_gaps(d.path(), &data, "2026-12-03 10:00", &env);
    assert!(gaps.contains(&("2026-10".into(), "110101".into(), "unreviewed".into())), "{gaps:?}");
    assert!(gaps.contains(&("2026-09".into(), "110101".into(), "missing".into())), "{gaps:?}");
    // The data directory is 北京市's now.
    let run = yuebao_in(d.path(), &["status", "--data", s(&data), "--period", "2026-10"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("属于 110000 的安装") && run.stderr.contains("--province 110000"),
        "{}",
        run.stderr
    );
    let run = yuebao_in(d.path(), &["--province", "990000", "regions"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("“990000”不是一个省级行政区划"), "{}", run.stderr);
}

/// The ministry's installation (`--province 000000`) on the sample sheets of 北京市 (a
/// municipality), 海南省 (county-level units under the province, a city without counties) and
/// 河南省 (济源市 under the province): every file is accepted; the rollup writes the nation's
/// workbook (one row per province, headed 省（区、市）), each province's and each city's; the
/// nation's 合计 is the sum of every county's sheet.
#[test]
fn the_ministry_rolls_up_counties_of_several_provinces() {
    let d = tmp();
    for p in ["110000", "460000", "410000"] {
        ok(&yuebao_in(
            d.path(),
            &["--province", "000000", "sample", "--period", "2026-10", "--region", p, "-o", "s", "-q"],
        ));
    }
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(d.path().join("s")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 16 + 27 + 157);
    ok(&yuebao_in(d.path(), &["--province", "000000", "validate", "s", "-q"]));
    let run = yuebao_in(
        d.path(),
        &["--province", "全国", "rollup", "--period", "2026-10", "s", "-o", "r", "--format", "json"],
    );
    ok(&run);
    assert!(run.stdout.contains("县区应报 2854，实报 200"), "{}", run.stdout);
    let written = std::fs::read_to_string(d.path().join("r/数据/汇总-000000-2026-10.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&written).unwrap();
    let tables = v["rollup"]["tables"].as_array().unwrap();
    let nation = tables.iter().find(|t| t["code"] == "000000").unwrap();
    assert_eq!(nation["rows"].as_array().unwrap().len(), 31);
    // 北京市 and 海南省 and 河南省, and the 17 + 3 cities with counties of 河南省 and 海南省.
    assert_eq!(tables.len(), 1 + 3 + 17 + 3, "{:?}", tables.iter().map(|t| &t["name"]).collect::<Vec<_>>());
    let ministry = yuebao::schema::Schemas::embedded_for(Some("000000")).unwrap();
    let mut sum = vec![0i64; 21];
    for f in &files {
        let rep = yuebao::validate::validate_file(f, "x", &ministry, &yuebao::validate::Hints::default());
        for (i, x) in rep.sheet.expect("read").total.values.iter().enumerate() {
            sum[i] += x;
        }
    }
    let total: Vec<i64> = nation["total"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect();
    assert_eq!(total, sum);
    let (_, range) = crate::workbooks::first_sheet(&d.path().join("r/000000-全国-2026-10.xlsx"));
    let text: Vec<String> = range.cells().map(|(_, _, c)| c.to_string()).collect();
    assert!(text.iter().any(|t| t == "省（区、市）") && text.iter().any(|t| t == "海南省") && text.iter().any(|t| t.starts_with("山东省")));
    // 海南省's sheet handed to the ministry's store; the ministry's annual chain is its last step.
    let data = d.path().join("data");
    let env = [("YUEBAO_PROVINCE", "000000")];
    ok(&yuebao_env(
        d.path(),
        &["submit", "--data", s(&data), "--now", "2026-11-03 09:00", "-q", "r/460000-海南省-2026-10.xlsx"],
        &env,
    ));
    let run = yuebao_env(
        d.path(),
        &["status", "--data", s(&data), "--annual", "2026", "--as-of", "2026-12-16 10:00"],
        &env,
    );
    ok(&run);
    assert!(run.stdout.contains("各省（区、市） → 部：12月15日前（已过 1 天；本级收）"), "{}", run.stdout);
    let gaps = annual_gaps(d.path(), &data, "2026-12-16 10:00", &env);
    assert!(gaps.contains(&("2026-10".into(), "460000".into(), "unreviewed".into())), "{gaps:?}");
    assert!(gaps.contains(&("2026-10".into(), "110000".into(), "missing".into())), "{gaps:?}");
    assert_eq!(gaps.len(), 31 * 11, "the ministry answers for the provinces' sheets, not their counties'");
}

/// `status --annual 2026 --format json`'s gaps as (period, code, kind).
fn annual_gaps(dir: &std::path::Path, data: &std::path::Path, as_of: &str, env: &[(&str, &str)]) -> Vec<(String, String, String)> {
    let run = yuebao_env(
        dir,
        &["status", "--data", s(data), "--annual", "2026", "--as-of", as_of, "--format", "json"],
        env,
    );
    ok(&run);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    v["readiness"]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["period"].as_str().unwrap().to_string(),
                g["code"].as_str().unwrap().to_string(),
                g["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A sheet is checked against the divisions of its own month: 莱芜市's 莱城区 (371202) in
/// October 2018 is a county of 山东省, and was merged into 济南市 in 2019, so its sheet for
/// October 2026 names no county; 济南市's 莱芜区 (370116), created in November 2018, is not
/// the region of a sheet for October 2018. Every check is otherwise the same.
#[test]
fn a_sheet_is_checked_against_the_divisions_of_its_month() {
    let d = tmp();
    let old = county_file(d.path(), "371202", "莱城区", "2018-10", &lanshan_rows());
    let (code, rep) = validate_json(&old, &[]);
    assert_eq!(
        (code, rep["region"].as_str(), rep["region_name"].as_str()),
        (0, Some("371202"), Some("莱城区")),
        "{rep}"
    );
    let text = yuebao(&["validate", s(&old)]);
    assert!(text.stdout.contains("莱城区（371202） 2018年10月，通过"), "{}", text.stdout);
    let now = county_file(d.path(), "371202", "莱城区", "2026-10", &lanshan_rows());
    let (code, rep) = validate_json(&now, &[]);
    assert_eq!(code, 1);
    assert!(codes(&rep).iter().any(|(c, _)| c == "E003"), "{rep}");
    let early = county_file(d.path(), "370116", "莱芜区", "2018-10", &lanshan_rows());
    let (code, rep) = validate_json(&early, &[]);
    // Its code names no region of the month, so its name does not decide either (the short
    // name 莱芜 would read it as 莱芜市's sheet).
    assert_eq!((code, rep["region"].as_str()), (1, None), "{rep}");
    let said = |rep: &serde_json::Value| {
        rep["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "E003")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert!(said(&rep).contains("中的代码 370116 不是该月山东省的区划代码"), "{rep}");
    // A gone code in a month of today's divisions says what became of it.
    let (_, rep) = validate_json(&now, &[]);
    assert!(said(&rep).contains("371202 莱城区已不是现行区划：撤销莱城区，设立济南市莱芜区"), "{rep}");
    let later = county_file(d.path(), "370116", "莱芜区", "2019-10", &lanshan_rows());
    assert_eq!(validate_json(&later, &[]).0, 0);
}
