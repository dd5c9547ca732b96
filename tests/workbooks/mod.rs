//! The workbooks yuebao writes: `template`, `sample` and `rollup`, read back with calamine.

use crate::support::*;
use calamine::{Data, DataType, Range, Reader, Xlsx, open_workbook};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub(crate) use crate::support::{ok, s, tmp};

/// The first sheet of a workbook, and its name.
pub(crate) fn first_sheet(path: &Path) -> (String, Range<Data>) {
    let mut x: Xlsx<_> = open_workbook(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = x.sheet_names()[0].clone();
    let r = x.worksheet_range(&name).unwrap();
    (name, r)
}

pub(crate) fn text(r: &Range<Data>, row: u32, col: u32) -> String {
    r.get_value((row, col)).map(|v| v.to_string()).unwrap_or_default()
}

/// The row (absolute) labelled `label` in column B (or A, where 合计 spans both).
pub(crate) fn row_labelled(r: &Range<Data>, label: &str) -> Option<u32> {
    let (h, _) = r.end().unwrap();
    let want = label.replace(' ', "");
    (0..=h).find(|&row| (0..2).any(|c| text(r, row, c).replace(' ', "") == want))
}

/// The 21 numbers of the row labelled `label` (columns C…W); blanks read as None.
pub(crate) fn values_of(r: &Range<Data>, label: &str) -> Vec<Option<i64>> {
    let row = row_labelled(r, label).unwrap_or_else(|| panic!("no row {label}"));
    (2..23).map(|c| r.get_value((row, c)).and_then(|v| v.as_f64()).map(|f| f as i64)).collect()
}

pub(crate) fn total_of(path: &Path) -> Vec<i64> {
    let (_, r) = first_sheet(path);
    values_of(&r, "合计").into_iter().map(|v| v.expect("合计 filled")).collect()
}

pub(crate) fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}

/// Counties of a region as `yuebao regions --format tsv` lists them: (code, name).
pub(crate) fn counties(code: &str) -> Vec<(String, String)> {
    let run = yuebao(&["regions", code, "--format", "tsv"]);
    ok(&run);
    run.stdout
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f.get(2) == Some(&"county"))
        .map(|f| (f[0].to_string(), f[1].to_string()))
        .collect()
}

/// The text of one part of an xlsx package.
pub(crate) fn zip_part(path: &Path, part: &str) -> String {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = String::new();
    z.by_name(part).unwrap().read_to_string(&mut out).unwrap();
    out
}

/// Fills a template the way a statistician does in Excel: types township names and counts into
/// the blank rows, and the 合计 formulas show their new results. Edits the sheet XML in place.
fn fill_template(template: &Path, out: &Path, rows: &[(&str, Vec<i64>)], first_data_row: u32, total_row: u32) {
    let mut z = zip::ZipArchive::new(std::fs::File::open(template).unwrap()).unwrap();
    let mut w = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    for i in 0..z.len() {
        let mut f = z.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut body = Vec::new();
        f.read_to_end(&mut body).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let mut xml = String::from_utf8(body).unwrap();
            for (i, (label, values)) in rows.iter().enumerate() {
                let r = first_data_row + i as u32 + 1;
                xml = set_cell(&xml, &format!("B{r}"), &format!(r#" t="inlineStr"><is><t>{label}</t></is></c>"#));
                for (k, v) in values.iter().enumerate() {
                    xml = set_cell(&xml, &format!("{}{r}", col(k)), &format!("><v>{v}</v></c>"));
                }
            }
            for k in 0..21 {
                let sum: i64 = rows.iter().map(|(_, v)| v[k]).sum();
                let cell = format!(r#"<c r="{}{}""#, col(k), total_row + 1);
                let at = xml.find(&cell).unwrap_or_else(|| panic!("no {cell}"));
                let v0 = at + xml[at..].find("<v>").unwrap() + 3;
                let v1 = v0 + xml[v0..].find("</v>").unwrap();
                xml.replace_range(v0..v1, &sum.to_string());
            }
            body = xml.into_bytes();
        }
        w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(&body).unwrap();
    }
    w.finish().unwrap();
}

fn col(k: usize) -> String {
    ((b'C' + k as u8) as char).to_string()
}

/// Replaces the empty cell `<c r="REF" s="N"/>` with one holding `rest` (which closes it).
fn set_cell(xml: &str, cell_ref: &str, rest: &str) -> String {
    let open = format!(r#"<c r="{cell_ref}""#);
    let at = xml.find(&open).unwrap_or_else(|| panic!("template has no cell {cell_ref}"));
    let end = at + xml[at..].find("/>").unwrap();
    format!("{}{}{}", &xml[..end], rest, &xml[end + 2..])
}

#[test]
fn county_template_round_trip_fill_in_and_it_is_accepted() {
    let d = tmp();
    let t = d.path().join("t.xlsx");
    let run = yuebao(&["template", "--region", "兰山区", "--period", "2026-10", "-o", s(&t), "--rows", "5"]);
    ok(&run);
    assert!(run.stdout.contains("兰山区（371302）"), "{}", run.stdout);

    let (name, r) = first_sheet(&t);
    assert_eq!(name, "2026年10月");
    assert_eq!(text(&r, 0, 0), "兰山区建档立卡农村贫困人口就业与社会保障统计表");
    assert_eq!(text(&r, 1, 0), "填报单位：兰山区（371302）");
    let line: Vec<String> = (0..23).map(|c| text(&r, 1, c)).filter(|t| !t.is_empty()).collect();
    assert!(line.contains(&"报告期：2026年10月".to_string()), "{line:?}");
    assert!(line.contains(&"单位：人、万元".to_string()), "{line:?}");

    // The blank template: 合计 holds SUM formulas over the five rows, with cached zeros.
    let total_row = row_labelled(&r, "合计").unwrap();
    let first_data_row = total_row - 5;
    assert_eq!(values_of(&r, "合计"), vec![Some(0); 21]);
    let mut x: Xlsx<_> = open_workbook(&t).unwrap();
    let f = x.worksheet_formula("2026年10月").unwrap();
    assert_eq!(
        f.get_value((total_row, 2)).map(String::as_str),
        Some(format!("SUM(C{}:C{})", first_data_row + 1, total_row).as_str())
    );

    // Every input cell carries whole-number ≥ 0 data validation.
    let xml = zip_part(&t, "xl/worksheets/sheet1.xml");
    let dv = xml
        .find("<dataValidation ")
        .map(|i| &xml[i..i + xml[i..].find('>').unwrap()])
        .expect("a data validation");
    assert!(dv.contains(r#"type="whole""#) && dv.contains(r#"operator="greaterThanOrEqual""#), "{dv}");
    assert!(dv.contains(&format!(r#"sqref="C{}:W{}""#, first_data_row + 1, total_row)), "{dv}");
    assert!(xml.contains("<formula1>0</formula1>"));

    // Handed in untouched, it is refused as an empty form; its numbered blank rows are not
    // read as unnamed townships.
    let (code, rep) = validate_json(&t, &[]);
    assert_eq!(code, 1, "{rep:#}");
    assert!(has(&rep, "E204", &format!("A{}", total_row + 1)), "{rep:#}");
    assert!(!codes(&rep).iter().any(|(c, _)| c == "I101" || c == "W203"), "{rep:#}");

    // Filled in, it is accepted without a single finding except the unsigned footer.
    let filled = d.path().join("371302-兰山区-2026-10.xlsx");
    let rows = [("兰山街道", good_row(1)), ("白沙埠镇", good_row(2)), ("枣园镇", good_row(3))];
    fill_template(&t, &filled, &rows, first_data_row, total_row);
    let (code, rep) = validate_json(&filled, &[]);
    assert_eq!(code, 0, "{rep:#}");
    let found: Vec<String> = codes(&rep).into_iter().map(|(c, _)| c).collect();
    assert!(found.iter().all(|c| c == "W301"), "only the four unsigned footer fields: {rep:#}");
    let (_, r) = first_sheet(&filled);
    let want: Vec<Option<i64>> = (0..21).map(|k| Some(rows.iter().map(|(_, v)| v[k]).sum())).collect();
    assert_eq!(values_of(&r, "合计"), want);
}

#[test]
fn city_and_province_templates_list_the_regions_below() {
    let d = tmp();
    let run = yuebao_in(d.path(), &["template", "--region", "371300", "--period", "2026-10"]);
    ok(&run);
    let (_, r) = first_sheet(&d.path().join("371300-临沂市-2026-10.xlsx"));
    for (_, name) in counties("371300") {
        assert!(row_labelled(&r, &name).is_some(), "{name} missing from the 临沂市 template");
    }
    assert_eq!(text(&r, 2, 1), "县（市、区）");

    let p = d.path().join("out/省.xlsx");
    ok(&yuebao(&["template", "--region", "370000", "--period", "2026-12", "-o", s(&p)]));
    let (_, r) = first_sheet(&p);
    assert!(row_labelled(&r, "济南市").is_some() && row_labelled(&r, "菏泽市").is_some());
    assert_eq!(text(&r, 2, 1), "市");

    let bad = yuebao(&["template", "--region", "不存在县", "--period", "2026-10"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("不是已知的地区"), "{}", bad.stderr);
}

#[test]
fn sample_writes_one_valid_file_per_county_named_by_code_name_and_period() {
    let d = tmp();
    let out = d.path().join("s");
    ok(&yuebao(&["sample", "--period", "2026-10", "-o", s(&out)]));
    let want: Vec<String> = counties("370000").iter().map(|(c, n)| format!("{c}-{n}-2026-10.xlsx")).collect();
    assert_eq!(want.len(), 136);
    let mut got: Vec<String> = files_in(&out, "xlsx")
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    got.sort();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got, want_sorted);

    let run = yuebao(&["validate", s(&out), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", &run.stdout[..run.stdout.len().min(3000)]);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["summary"]["accepted"], 136);
    for f in doc["files"].as_array().unwrap() {
        assert_eq!(f["summary"]["warnings"], 0, "{f:#}");
        assert_eq!(f["summary"]["infos"], 0, "{f:#}");
    }
}

#[test]
fn sample_is_deterministic_and_months_are_consistent() {
    let d = tmp();
    let (a, b, c) = (d.path().join("a"), d.path().join("b"), d.path().join("c"));
    ok(&yuebao(&["sample", "--period", "2026-10", "--region", "371300", "-o", s(&a), "--seed", "9"]));
    ok(&yuebao(&["sample", "--period", "2026-10", "--region", "371300", "-o", s(&b), "--seed", "9"]));
    ok(&yuebao(&["sample", "--period", "2026-11", "--region", "371300", "-o", s(&c), "--seed", "9"]));
    let a_files = files_in(&a, "xlsx");
    assert_eq!(a_files.len(), 12);
    for fa in &a_files {
        let name = fa.file_name().unwrap().to_string_lossy().to_string();
        let (_, ra) = first_sheet(fa);
        let (_, rb) = first_sheet(&b.join(&name));
        assert_eq!(ra, rb, "{name}: the same seed gives the same sheet");
        let (_, rc) = first_sheet(&c.join(name.replace("2026-10", "2026-11")));
        let (ta, tc) = (values_of(&ra, "合计"), values_of(&rc, "合计"));
        assert_eq!(ta[0], tc[0], "{name}: column (1) is the same every month");
        assert_ne!(ta, tc, "{name}: the months differ");
        for k in 1..21 {
            let (x, y) = (ta[k].unwrap() as f64, tc[k].unwrap() as f64);
            assert!((x - y).abs() <= 5.0 + 0.08 * x.max(y), "{name} ({}) {x} → {y}", k + 1);
        }
    }
}

/// The planted errors manifest: (file, cell, code).
pub(crate) fn manifest(dir: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(dir.join("说明/植入错误.tsv")).unwrap();
    text.trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[2].to_string(), f[3].to_string())
        })
        .collect()
}

#[test]
fn sample_with_errors_plants_exactly_what_its_manifest_lists() {
    let d = tmp();
    let out = d.path().join("s");
    ok(&yuebao(&["sample", "--period", "2026-10", "-o", s(&out), "--with-errors"]));
    let mut planted = manifest(&out);
    assert_eq!(planted.len(), 14, "{planted:?}");
    let kinds: std::collections::BTreeSet<&str> = planted.iter().map(|(_, _, c)| c.as_str()).collect();
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["E101", "E102", "E104", "E201", "E202"]);

    let run = yuebao(&["validate", s(&out), "--format", "json"]);
    assert_eq!(run.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let mut found = Vec::new();
    for f in doc["files"].as_array().unwrap() {
        let file = Path::new(f["file"].as_str().unwrap()).file_name().unwrap().to_string_lossy().to_string();
        for (code, cell) in codes(f) {
            found.push((file.clone(), cell, code));
        }
    }
    found.sort();
    planted.sort();
    assert_eq!(found, planted, "validate finds the planted errors and nothing else");
}

/// Sample counties into `dir`, drop some files, and return the paths left.
fn sample_province(dir: &Path, with_errors: bool) {
    let mut args = vec!["sample", "--period", "2026-10", "-o", s(dir)];
    if with_errors {
        args.push("--with-errors");
    }
    ok(&yuebao(&args));
}

#[test]
fn province_rollup_totals_unreported_rows_and_status_sheet() {
    let d = tmp();
    let input = d.path().join("in");
    sample_province(&input, true);
    // 日照市 (371100) sends nothing; 临沂市 is missing 沂水县.
    for p in files_in(&input, "xlsx") {
        let n = p.file_name().unwrap().to_string_lossy().to_string();
        if n.starts_with("3711") || n.starts_with("371323-") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let rejected: Vec<String> = manifest(&input).into_iter().map(|(f, _, _)| f).collect();
    let out = d.path().join("out");
    let run = yuebao(&["rollup", "--period", "2026-10", s(&input), "-o", s(&out)]);
    assert_eq!(run.code, 1, "rejected files make the exit code 1:\n{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("日照市：全部 4 个县区未报"), "{}", run.stdout);
    assert!(run.stdout.contains("沂水县"), "{}", run.stdout);
    for f in &rejected {
        assert!(run.stdout.contains(f.as_str()), "rejected {f} listed:\n{}", run.stdout);
    }

    // Province 合计 = the sum of every accepted county's 合计, column by column.
    let mut want = vec![0i64; 21];
    let mut accepted = 0;
    for p in files_in(&input, "xlsx") {
        let n = p.file_name().unwrap().to_string_lossy().to_string();
        if rejected.contains(&n) {
            continue;
        }
        accepted += 1;
        for (w, v) in want.iter_mut().zip(total_of(&p)) {
            *w += v;
        }
    }
    let province = out.join("370000-山东省-2026-10.xlsx");
    assert_eq!(total_of(&province), want);
    let (_, r) = first_sheet(&province);
    assert_eq!(values_of(&r, "日照市（未报）"), vec![None; 21]);
    let unit_line: String = (0..23).map(|c| text(&r, 1, c)).collect();
    assert!(unit_line.contains("应报 16 / 实报 15"), "{unit_line}");
    assert!(unit_line.contains(&format!("县区：应报 136 / 实报 {accepted}")), "{unit_line}");

    // The city workbook: its counties in code order, 沂水县 marked 未报, 合计 = the city row.
    let linyi = out.join("371300-临沂市-2026-10.xlsx");
    let (_, c) = first_sheet(&linyi);
    let names: Vec<String> = counties("371300").into_iter().map(|(_, n)| n).collect();
    let first = row_labelled(&c, &names[0]).unwrap();
    for (i, n) in names.iter().enumerate() {
        let label = text(&c, first + i as u32, 1);
        assert!(label == *n || label == format!("{n}（未报）"), "row {i}: {label} for {n}");
    }
    assert_eq!(values_of(&c, "沂水县（未报）"), vec![None; 21]);
    let city_total: Vec<Option<i64>> = total_of(&linyi).into_iter().map(Some).collect();
    assert_eq!(values_of(&r, "临沂市"), city_total);
    assert!(!out.join("371100-日照市-2026-10.xlsx").exists(), "no workbook for a city that sent nothing");

    // The city workbooks, 未报 rows and all, roll up to the same province table and counts.
    let cities = d.path().join("cities");
    std::fs::create_dir(&cities).unwrap();
    for p in files_in(&out, "xlsx").into_iter().filter(|p| !p.ends_with("370000-山东省-2026-10.xlsx")) {
        std::fs::copy(&p, cities.join(p.file_name().unwrap())).unwrap();
    }
    let again = d.path().join("again");
    ok(&yuebao(&["rollup", "--period", "2026-10", s(&cities), "-o", s(&again)]));
    let (_, r2) = first_sheet(&again.join("370000-山东省-2026-10.xlsx"));
    assert_eq!(values_of(&r2, "合计"), values_of(&r, "合计"));
    assert_eq!((0..23).map(|c| text(&r2, 1, c)).collect::<String>(), unit_line);

    // 报送情况: a line per county with status, file, digest and error count.
    let mut x: Xlsx<_> = open_workbook(&linyi).unwrap();
    let st = x.worksheet_range("报送情况").unwrap();
    let (h, _) = st.end().unwrap();
    let lines: Vec<Vec<String>> = (4..=h).map(|row| (0..10).map(|c| text(&st, row, c)).collect()).collect();
    assert_eq!(lines.len(), 12, "{lines:?}");
    let yishui = lines.iter().find(|l| l[2] == "沂水县").unwrap();
    assert_eq!(yishui[4], "未报");
    let lanshan = lines.iter().find(|l| l[2] == "兰山区").unwrap();
    let bytes = std::fs::read(input.join("371302-兰山区-2026-10.xlsx")).unwrap();
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        (lanshan[4].as_str(), lanshan[6].as_str(), lanshan[7].as_str()),
        ("已采用", digest.as_str(), "0")
    );
    let planted_in_linyi: Vec<&String> = rejected.iter().filter(|f| f.starts_with("3713")).collect();
    for f in planted_in_linyi {
        let l = lines.iter().find(|l| l[5].ends_with(f.as_str())).unwrap();
        assert_eq!(l[4], "退回");
        assert_ne!(l[7], "0");
        assert!(!l[9].is_empty(), "the reasons are listed");
    }
    // A rejected file gets an annotated copy to send back.
    for f in &rejected {
        let stem = f.trim_end_matches(".xlsx");
        assert!(out.join("退回").join(format!("{stem}-审核.xlsx")).exists(), "{stem}");
    }
}

#[test]
fn rollup_workbooks_are_valid_input_and_city_rollups_give_the_same_province() {
    let d = tmp();
    let input = d.path().join("in");
    sample_province(&input, false);
    let out = d.path().join("out");
    ok(&yuebao(&["rollup", "--period", "2026-10", s(&input), "-o", s(&out), "--format", "json"]));

    // Every workbook the rollup wrote passes validation.
    let run = yuebao(&["validate", s(&out), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["summary"]["accepted"], 17);

    // Rolling up the 16 city workbooks gives the same province table.
    let cities_only = d.path().join("cities");
    std::fs::create_dir(&cities_only).unwrap();
    for p in files_in(&out, "xlsx") {
        if !p.file_name().unwrap().to_string_lossy().starts_with("370000") {
            std::fs::copy(&p, cities_only.join(p.file_name().unwrap())).unwrap();
        }
    }
    let again = d.path().join("again");
    ok(&yuebao(&["rollup", "--period", "2026-10", s(&cities_only), "-o", s(&again)]));
    let (_, a) = first_sheet(&out.join("370000-山东省-2026-10.xlsx"));
    let (_, b) = first_sheet(&again.join("370000-山东省-2026-10.xlsx"));
    for (_, city) in yuebao_cities() {
        assert_eq!(values_of(&a, &city), values_of(&b, &city), "{city}");
    }
    assert_eq!(values_of(&a, "合计"), values_of(&b, "合计"));

    // The JSON carries the same province 合计 as the workbook.
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("数据/汇总-370000-2026-10.json")).unwrap()).unwrap();
    let tables = json["rollup"]["tables"].as_array().unwrap();
    let prov = tables.iter().find(|t| t["code"] == "370000").unwrap();
    let from_json: Vec<Option<i64>> = prov["total"].as_array().unwrap().iter().map(|v| v.as_i64()).collect();
    assert_eq!(from_json, values_of(&a, "合计"));
}

fn yuebao_cities() -> Vec<(String, String)> {
    let run = yuebao(&["regions", "370000", "--format", "tsv"]);
    run.stdout
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f.get(2) == Some(&"city"))
        .map(|f| (f[0].to_string(), f[1].to_string()))
        .collect()
}

#[test]
fn city_rollup_header_merges_csv_and_duplicates() {
    let d = tmp();
    let input = d.path().join("in");
    ok(&yuebao(&["sample", "--period", "2026-10", "--region", "371300", "-o", s(&input)]));
    // 兰山区 handed in twice: neither copy counts until one is withdrawn.
    std::fs::copy(input.join("371302-兰山区-2026-10.xlsx"), input.join("兰山区 更正.xlsx")).unwrap();
    let out = d.path().join("out");
    let run = yuebao(&[
        "rollup",
        "--period",
        "2026-10",
        "--region",
        "临沂市",
        s(&input),
        "-o",
        s(&out),
        "--format",
        "csv",
    ]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("重复报送"), "{}", run.stdout);
    assert!(!out.join("370000-山东省-2026-10.xlsx").exists(), "a city rollup writes no province workbook");
    let book = out.join("371300-临沂市-2026-10.xlsx");
    let (name, r) = first_sheet(&book);
    assert_eq!(values_of(&r, "兰山区（未报）"), vec![None; 21]);
    let unit_line: String = (0..23).map(|c| text(&r, 1, c)).collect();
    assert!(unit_line.contains("应报 12 / 实报 11（未报 1）"), "{unit_line}");
    // Read back, the 未报 row is one note, not 21 blank cells.
    let (code, rep) = validate_json(&book, &[]);
    assert_eq!(code, 0, "{rep:#}");
    let found = codes(&rep);
    assert!(found.iter().any(|(c, _)| c == "I102"), "{rep:#}");
    assert!(!found.iter().any(|(c, _)| c == "I101"), "{rep:#}");

    let mut x: Xlsx<_> = open_workbook(&book).unwrap();
    let merges = x.merge_cells_by_sheet_name(&name).unwrap();
    let spans: Vec<((u32, u32), (u32, u32))> = merges.iter().map(|m| (m.start, m.end)).collect();
    let numbers_row = (0..12).find(|&row| text(&r, row, 2) == "1" && text(&r, row, 22) == "21").unwrap();
    for want in [
        ((0, 0), (0, 22)),              // title across the table
        ((2, 0), (numbers_row - 1, 0)), // 序号
        ((2, 1), (numbers_row - 1, 1)), // 县（市、区）
        ((2, 2), (numbers_row - 1, 2)), // (1) the full header depth
        ((2, 3), (2, 21)),              // 其中 over (2)…(20)
        ((3, 19), (3, 20)),             // 期末参加居民社会保险人数 over (18)(19)
    ] {
        assert!(spans.contains(&want), "missing merge {want:?} in {spans:?}");
    }

    // The CSV stacks the table: 12 counties and the 合计, with the form's column names.
    let csv = std::fs::read_to_string(out.join("数据/汇总-371300-2026-10.csv")).unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("汇总表代码,汇总表名称,地区代码,地区名称,状态,(1)建档立卡农村贫困人口总数"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 1 + 12 + 1);
    assert!(lines.iter().any(|l| l.starts_with("371300,临沂市,371302,兰山区,未报,")));
    let total: Vec<i64> = lines.last().unwrap().split(',').skip(5).map(|v| v.parse().unwrap()).collect();
    assert_eq!(total, total_of(&book));
}

#[test]
fn rules_are_checked_on_the_rollup_totals() {
    // A rule each county keeps but a sum can break: (21) ≤ 40.
    let d = tmp();
    let schemas = d.path().join("schemas");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas"), &schemas);
    let form = schemas.join("forms/jdlk-jyshbz.toml");
    let text = std::fs::read_to_string(&form).unwrap().replace("(15) ≥ (17)。", "(15) ≥ (17)；(21) ≤ 40。");
    std::fs::write(&form, text).unwrap();
    let input = d.path().join("in");
    let sch = s(&schemas);
    ok(&yuebao(&[
        "--schemas",
        sch,
        "sample",
        "--period",
        "2026-10",
        "--region",
        "371300",
        "-o",
        s(&input),
    ]));
    ok(&yuebao(&["--schemas", sch, "validate", s(&input)]));
    let out = d.path().join("out");
    let run = yuebao(&[
        "--schemas",
        sch,
        "rollup",
        "--period",
        "2026-10",
        "--region",
        "371300",
        s(&input),
        "-o",
        s(&out),
    ]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("汇总数违反栏目关系：临沂市合计"), "{}", run.stdout);
    assert!(run.stdout.contains("(21) ≤ 40"), "{}", run.stdout);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn rollup_rejects_other_periods_and_ignores_regions_out_of_scope() {
    let d = tmp();
    let input = d.path().join("in");
    ok(&yuebao(&["sample", "--period", "2026-10", "--region", "371300", "-o", s(&input)]));
    ok(&yuebao(&["sample", "--period", "2026-09", "--region", "371300", "-o", s(&input)]));
    ok(&yuebao(&["sample", "--period", "2026-10", "--region", "370100", "-o", s(&input)]));
    let out = d.path().join("out");
    let run = yuebao(&["rollup", "--period", "2026-10", "--region", "371300", s(&input), "-o", s(&out)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("报告期为 2026年9月，不是本次汇总的 2026年10月"), "{}", run.stdout);
    assert!(run.stdout.contains("不在临沂市范围内"), "{}", run.stdout);
    let expect: BTreeMap<&str, usize> = [("采用", 12), ("退回", 12)].into_iter().collect();
    for (what, n) in expect {
        assert!(run.stdout.contains(&format!("{what} {n}")), "{what} {n}: {}", run.stdout);
    }
    let bad = yuebao(&["rollup", "--period", "2026-10", "--region", "371302", s(&input), "-o", s(&out)]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("是县区"), "{}", bad.stderr);
}

#[test]
fn a_damaged_file_in_a_rollup_is_rejected_and_the_rest_still_rolls_up() {
    let d = tmp();
    let input = d.path().join("in");
    ok(&yuebao(&["sample", "--period", "2026-10", "--region", "371300", "-o", s(&input)]));
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corrupt-sheet-xml.xlsx");
    std::fs::copy(fixture, input.join("收到的附件.xlsx")).unwrap();
    let out = d.path().join("out");
    let run = yuebao(&["rollup", "--period", "2026-10", "--region", "371300", s(&input), "-o", s(&out)]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("[退回]") && run.stdout.contains("收到的附件.xlsx（地区不明）"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("E001"), "{}", run.stdout);
    let (_, r) = first_sheet(&out.join("371300-临沂市-2026-10.xlsx"));
    let unit_line: String = (0..23).map(|c| text(&r, 1, c)).collect();
    assert!(unit_line.contains("应报 12 / 实报 12（未报 0）"), "{unit_line}");
    let mut x: Xlsx<_> = open_workbook(out.join("371300-临沂市-2026-10.xlsx")).unwrap();
    let st = x.worksheet_range("报送情况").unwrap();
    let (h, _) = st.end().unwrap();
    let last: Vec<String> = (0..10).map(|c| text(&st, h, c)).collect();
    assert_eq!(
        (last[2].as_str(), last[4].as_str(), last[5].as_str()),
        ("地区不明", "退回", "收到的附件.xlsx"),
        "{last:?}"
    );
}

#[test]
fn county_sheets_win_over_a_city_sheet_handed_in_alongside() {
    let d = tmp();
    let input = d.path().join("in");
    ok(&yuebao(&["sample", "--period", "2026-10", "--region", "371300", "-o", s(&input)]));
    let first = d.path().join("first");
    ok(&yuebao(&["rollup", "--period", "2026-10", s(&input), "-o", s(&first)]));
    // The city's own rollup lands among its counties' files, as when a run writes into its input.
    std::fs::copy(first.join("371300-临沂市-2026-10.xlsx"), input.join("371300-临沂市-2026-10.xlsx")).unwrap();
    let second = d.path().join("second");
    let run = yuebao(&["rollup", "--period", "2026-10", s(&input), "-o", s(&second)]);
    ok(&run);
    assert!(run.stdout.contains("[未采用]") && run.stdout.contains("按县区报表汇总"), "{}", run.stdout);
    assert!(run.stdout.contains("实报 12，"), "each county counted once: {}", run.stdout);
    assert_eq!(
        total_of(&first.join("370000-山东省-2026-10.xlsx")),
        total_of(&second.join("370000-山东省-2026-10.xlsx"))
    );
}

#[test]
fn the_demo_month_rolls_up_from_xlsx_xls_and_csv_alike() {
    let d = tmp();
    let out = d.path().join("out");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data");
    let run = yuebao(&["rollup", "--period", "2026-10", s(&demo), "-o", s(&out)]);
    assert_eq!(run.code, 1, "沂南县 is rejected: {}", run.stdout);
    assert!(
        run.stdout
            .contains("临沂市：沂南县（退回）、郯城县、沂水县、兰陵县、平邑县、莒南县、蒙阴县、临沭县"),
        "{}",
        run.stdout
    );
    let (_, r) = first_sheet(&out.join("371300-临沂市-2026-10.xlsx"));
    // 费县 files only a 合计 row, in a GBK CSV: its row is that 合计.
    let bytes = std::fs::read(demo.join("371325-费县-2026-10.csv")).unwrap();
    let (csv, _, _) = encoding_rs::GB18030.decode(&bytes);
    let total_line = csv.lines().find(|l| l.starts_with("合计")).unwrap();
    let feixian: Vec<Option<i64>> = total_line.split(',').skip(1).map(|v| Some(v.parse().unwrap())).collect();
    assert_eq!(values_of(&r, "费县"), feixian);
    // 河东区 comes from the .xls; 兰山区 and 罗庄区 from xlsx: each county's row is the 合计 its
    // own file states, read here straight from the file.
    for (name, file) in [
        ("兰山区", "371302-兰山区-2026-10.xlsx"),
        ("罗庄区", "371311-罗庄区-2026-10.xlsx"),
        ("河东区", "371312-河东区-2026-10.xls"),
    ] {
        let stated: Vec<Option<i64>> = stated_total(&demo.join(file)).into_iter().map(Some).collect();
        assert_eq!(values_of(&r, name), stated, "{name}");
    }
    assert_eq!(values_of(&r, "沂南县（未报）"), vec![None; 21]);
    let sum: Vec<i64> = (0..21)
        .map(|k| {
            ["371302-兰山区-2026-10.xlsx", "371311-罗庄区-2026-10.xlsx", "371312-河东区-2026-10.xls"]
                .iter()
                .map(|f| stated_total(&demo.join(f))[k])
                .sum::<i64>()
                + feixian[k].unwrap()
        })
        .collect();
    assert_eq!(total_of(&out.join("371300-临沂市-2026-10.xlsx")), sum);
    assert_eq!(total_of(&out.join("370000-山东省-2026-10.xlsx")), sum);
    // No two counties of the demo month share their 合计 in columns 1–20: a reader would take
    // that for copied data (罗庄区 and 河东区 once did).
    let totals: Vec<Vec<Option<i64>>> = ["兰山区", "罗庄区", "河东区", "费县"].iter().map(|n| values_of(&r, n)[..20].to_vec()).collect();
    for i in 0..totals.len() {
        for j in i + 1..totals.len() {
            assert_ne!(totals[i], totals[j], "counties {i} and {j} share their totals");
        }
    }
}

/// The 合计 a county workbook states: the row labelled 合计, read under the column-number row
/// (a number typed as text counts as that number).
fn stated_total(path: &Path) -> Vec<i64> {
    let mut wb = calamine::open_workbook_auto(path).unwrap();
    for name in wb.sheet_names() {
        let r = wb.worksheet_range(&name).unwrap();
        let (h, w) = r.get_size();
        let cell = |row: usize, col: usize| -> String {
            r.get((row, col))
                .map(|d| d.to_string())
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect()
        };
        let Some((hr, c1)) = (0..h).find_map(|row| (0..w).find(|&c| cell(row, c) == "1" && cell(row, c + 1) == "2").map(|c| (row, c))) else {
            continue;
        };
        let total = (hr + 1..h).find(|&row| (0..c1).any(|c| cell(row, c) == "合计")).expect("a 合计 row");
        return (0..21).map(|k| cell(total, c1 + k).parse::<f64>().unwrap_or(0.0) as i64).collect();
    }
    panic!("no form in {}", path.display());
}

/// The form prints on one sheet of paper: fitted one page wide and one tall, its print area
/// running through the 备注. (A 30-row county template used to spill its notes onto page 2.)
#[test]
fn templates_print_on_one_page() {
    let d = tmp();
    for (region, name) in [("兰山区", "county"), ("371300", "city"), ("370000", "province")] {
        let t = d.path().join(format!("{name}.xlsx"));
        ok(&yuebao(&["template", "--region", region, "--period", "2026-10", "-o", s(&t)]));
        let sheet = zip_part(&t, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains(r#"<pageSetUpPr fitToPage="1"/>"#), "{name}: not fitted to pages");
        let setup = &sheet[sheet.find("<pageSetup ").unwrap()..];
        let setup = &setup[..setup.find("/>").unwrap()];
        // fitToWidth and fitToHeight default to 1; 0 would mean "as many pages as needed".
        assert!(!setup.contains(r#"fitToHeight="0""#) && !setup.contains(r#"fitToWidth="0""#), "{name}: {setup}");
        assert!(setup.contains(r#"paperSize="8""#) && setup.contains("landscape"), "{name}: {setup}");
        let wb = zip_part(&t, "xl/workbook.xml");
        let area = wb.split("_xlnm.Print_Area").nth(1).unwrap_or_else(|| panic!("{name}: no print area"));
        let area = &area[area.find('>').unwrap() + 1..area.find("</definedName>").unwrap()];
        // Through the last 备注 line: the last row written on the sheet.
        let (_, r) = first_sheet(&t);
        let last = r.end().unwrap().0 + 1;
        assert!(area.ends_with(&format!("$W${last}")), "{name}: print area {area}, sheet ends at row {last}");
    }
}
