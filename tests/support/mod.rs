//! Test support: run the real binary, and build county workbooks the way counties lay them out
//! (offsets, one or two label columns, text column numbers, merged headers, extra sheets).

#![allow(dead_code)]

use rust_xlsxwriter::{Format, Formula, Workbook};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The "now" of commands whose test gives none: after every month the tests use.
pub const TEST_NOW: &str = "2030-01-01 00:00";

pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn ok(run: &Run) {
    assert_eq!(run.code, 0, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The run, with exit code 1 (findings, not a failure) counted as success for `ok`.
    pub fn with_code_at_most(mut self, max: i32) -> Run {
        assert!(self.code <= max, "exit {}:\n{}\n{}", self.code, self.stdout, self.stderr);
        self.code = 0;
        self
    }
}

/// Runs `yuebao ARGS` in `dir`.
pub fn yuebao_in(dir: &Path, args: &[&str]) -> Run {
    yuebao_env(dir, args, &[])
}

/// Runs `yuebao ARGS` in `dir` with these environment variables set.
pub fn yuebao_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_yuebao"))
        .args(args)
        .current_dir(dir)
        .env_remove("YUEBAO_SCHEMAS")
        .env_remove("YUEBAO_DATA")
        .env_remove("YUEBAO_PROVINCE")
        .envs(env.iter().copied())
        .output()
        .expect("run yuebao");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// Runs `yuebao ARGS` in `dir` with `input` on its standard input and these environment
/// variables set (the mail servers' passwords are taken from nowhere else).
pub fn yuebao_stdin(dir: &Path, args: &[&str], input: &str, env: &[(&str, &str)]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_yuebao"))
        .args(args)
        .current_dir(dir)
        .env_remove("YUEBAO_DATA")
        .env_remove("YUEBAO_PROVINCE")
        .env_remove("YUEBAO_IMAP_PASSWORD")
        .env_remove("YUEBAO_SMTP_PASSWORD")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run yuebao");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into(),
            stderr: String::from_utf8_lossy(&out.stderr).into(),
        }
    }
}

pub fn yuebao(args: &[&str]) -> Run {
    yuebao_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// Validates one file and returns the parsed JSON report for it, with the exit code.
pub fn validate_json(path: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let p = path.to_str().unwrap();
    let mut args = vec!["validate", p, "--format", "json"];
    args.extend_from_slice(extra);
    let run = yuebao(&args);
    assert!(run.code == 0 || run.code == 1, "tool failed: {}\n{}", run.code, run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", run.stdout));
    (run.code, doc["files"][0].clone())
}

/// (code, cell) of every finding in a file report.
pub fn codes(file: &serde_json::Value) -> Vec<(String, String)> {
    file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_string(), f["cell"].as_str().unwrap_or("").to_string()))
        .collect()
}

pub fn has(file: &serde_json::Value, code: &str, cell: &str) -> bool {
    codes(file).iter().any(|(c, a)| c == code && a == cell)
}

/// A cell as a county might have typed it.
#[derive(Clone, Debug)]
pub enum V {
    N(f64),
    T(String),
    Blank,
    /// A formula and its cached result; `None` leaves no cached value (as some generators do).
    F(String, Option<String>),
}

impl From<i64> for V {
    fn from(v: i64) -> V {
        V::N(v as f64)
    }
}

/// Plausible counts for one township that satisfy all nine relations.
pub fn good_row(seed: i64) -> Vec<i64> {
    let c1 = 1000 + 37 * seed;
    let c2 = c1 * 6 / 10;
    let c3 = c2 * 7 / 10;
    let c4 = c2 - c3;
    let c7 = c3 / 10;
    let c10 = c3 / 5;
    let c13 = c3 / 12;
    let c15 = c3 / 20;
    vec![
        c1,
        c2,
        c3,
        c4,
        c3 * 35 / 100,
        c3 / 5,
        c7,
        c7 * 8 / 10,
        c3 * 3 / 10,
        c10,
        c10 * 6 / 10,
        c10 * 3 / 10,
        c13,
        c13 / 2,
        c15,
        c15 / 2,
        c15 / 3,
        c1 * 88 / 100,
        c1 * 97 / 100,
        c1 * 3 / 100,
        seed % 3,
    ]
}

/// Column sums of the default fixture's four townships.
pub fn default_sums() -> Vec<i64> {
    (0..21).map(|k| (0..4).map(|i| good_row(i)[k]).sum()).collect()
}

/// How the 合计 row is written.
#[derive(Clone, Debug)]
pub enum Total {
    /// The column sums of the data rows as plain numbers.
    Sum,
    /// These cells.
    Cells(Vec<V>),
    /// No 合计 row.
    None,
}

/// A county sheet, built cell by cell.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub sheet: String,
    /// Top-left cell of the title, 0-based.
    pub origin: (u32, u16),
    pub title: Option<String>,
    pub unit_line: Option<String>,
    pub period_line: Option<String>,
    /// Two label columns (序号, 乡镇) or one.
    pub two_label_cols: bool,
    pub numbers_as_text: bool,
    pub merged_header: bool,
    pub rows: Vec<(String, Vec<V>)>,
    pub total: Total,
    pub total_label: String,
    pub footer: Option<[&'static str; 4]>,
    pub sheets_before: Vec<String>,
    pub sheets_after: Vec<Fixture>,
    /// Further text cells anywhere on the sheet (row, col, text).
    pub extra_cells: Vec<(u32, u16, String)>,
}

impl Default for Fixture {
    fn default() -> Fixture {
        Fixture {
            sheet: "Sheet1".into(),
            origin: (0, 0),
            // The printed form's title names the city; counties rarely change it.
            title: Some("临沂市建档立卡农村贫困人口就业与社会保障统计表".into()),
            unit_line: Some("填报单位：兰山区（371302）".into()),
            period_line: Some("报告期：2026年10月".into()),
            two_label_cols: true,
            numbers_as_text: false,
            merged_header: false,
            rows: ["兰山街道", "银雀山街道", "白沙埠镇", "枣园镇"]
                .iter()
                .enumerate()
                .map(|(i, n)| (n.to_string(), good_row(i as i64).into_iter().map(V::from).collect()))
                .collect(),
            total: Total::Sum,
            total_label: "合  计".into(),
            footer: Some(["王建国", "李娜", "0539-8123456", "2026年11月3日"]),
            sheets_before: Vec::new(),
            sheets_after: Vec::new(),
            extra_cells: Vec::new(),
        }
    }
}

/// Where a fixture puts things, 0-based: the data row `i`, column `no` (1-based form column).
pub struct Placed {
    pub first_data_row: u32,
    pub first_col: u16,
}

impl Placed {
    pub fn a1(&self, data_row: u32, no: u16) -> String {
        let col = self.first_col + no - 1;
        let mut n = col as u32 + 1;
        let mut letters = Vec::new();
        while n > 0 {
            letters.push((b'A' + ((n - 1) % 26) as u8) as char);
            n = (n - 1) / 26;
        }
        format!("{}{}", letters.iter().rev().collect::<String>(), self.first_data_row + data_row + 1)
    }
}

impl Fixture {
    pub fn set(&mut self, row: usize, no: usize, v: V) -> &mut Fixture {
        self.rows[row].1[no - 1] = v;
        self
    }

    pub fn placed(&self) -> Placed {
        let (r0, c0) = self.origin;
        let header_rows =
            1 + self.title.is_some() as u32 + (self.unit_line.is_some() || self.period_line.is_some()) as u32 + if self.merged_header { 2 } else { 1 };
        Placed {
            first_data_row: r0 + header_rows,
            first_col: c0 + if self.two_label_cols { 2 } else { 1 },
        }
    }

    fn sums(&self) -> Vec<f64> {
        (0..21)
            .map(|k| {
                self.rows
                    .iter()
                    .map(|(_, v)| match &v[k] {
                        V::N(n) => *n,
                        V::T(t) => t
                            .chars()
                            .map(|c| {
                                if ('０'..='９').contains(&c) {
                                    char::from_u32(c as u32 - 0xFEE0).unwrap()
                                } else {
                                    c
                                }
                            })
                            .filter(|c| c.is_ascii_digit())
                            .collect::<String>()
                            .parse()
                            .unwrap_or(0.0),
                        _ => 0.0,
                    })
                    .sum()
            })
            .collect()
    }

    fn write_sheet(&self, wb: &mut Workbook) {
        let ws = wb.add_worksheet();
        ws.set_name(&self.sheet).unwrap();
        let (mut r, c0) = self.origin;
        let label_col = c0 + if self.two_label_cols { 1 } else { 0 };
        let first = self.placed().first_col;
        if let Some(t) = &self.title {
            ws.write(r, c0, t).unwrap();
            r += 1;
        }
        if self.unit_line.is_some() || self.period_line.is_some() {
            if let Some(u) = &self.unit_line {
                ws.write(r, c0, u).unwrap();
            }
            if let Some(p) = &self.period_line {
                ws.write(r, first + 8, p).unwrap();
            }
            ws.write(r, first + 19, "单位：人、万元").unwrap();
            r += 1;
        }
        let names = [
            "建档立卡农村贫困人口总数",
            "期末劳动年龄人口数",
            "期末有就业愿望和劳动能力的人数",
            "无就业愿望和能力的人数",
            "转移就业人数",
            "就近就地就业人数",
            "符合公益性岗位安置条件的人数",
            "其中：已安置公益性岗位的人数",
            "已接受培训的人数",
            "有就业创业培训需求的人数",
            "其中：有就业技能培训需求的人数",
            "其中：有创业培训需求的人数",
            "有创业愿望的人数",
            "其中：已实现创业的人数",
            "有小额担保贷款需求的人数",
            "其中：已获得小额担保贷款的人数",
            "其中：已享受贷款贴息的人数",
            "期末参加居民基本养老保险人数",
            "期末参加居民基本医疗保险人数",
            "期末参加企业职工社会保险人数",
            "期末招募扶贫相关岗位“三支一扶”人数",
        ];
        if self.merged_header {
            let f = Format::new();
            ws.merge_range(r, label_col, r + 1, label_col, "乡镇（街道）", &f).unwrap();
            ws.merge_range(r, first, r + 1, first, names[0], &f).unwrap();
            ws.merge_range(r, first + 1, r, first + 19, "其中", &f).unwrap();
            ws.merge_range(r, first + 20, r + 1, first + 20, names[20], &f).unwrap();
            for k in 1..20u16 {
                ws.write(r + 1, first + k, names[k as usize]).unwrap();
            }
            r += 2;
        } else {
            ws.write(r, label_col, "乡镇（街道）").unwrap();
            for (k, n) in names.iter().enumerate() {
                ws.write(r, first + k as u16, *n).unwrap();
            }
            r += 1;
        }
        ws.write(r, label_col, "甲").unwrap();
        for k in 0..21u16 {
            if self.numbers_as_text {
                ws.write(r, first + k, format!("（{}）", k + 1)).unwrap();
            } else {
                ws.write(r, first + k, k + 1).unwrap();
            }
        }
        r += 1;
        let write_cells = |ws: &mut rust_xlsxwriter::Worksheet, r: u32, cells: &[V]| {
            for (k, v) in cells.iter().enumerate() {
                let c = first + k as u16;
                match v {
                    V::N(n) => {
                        ws.write(r, c, *n).unwrap();
                    }
                    V::T(t) => {
                        ws.write_string(r, c, t).unwrap();
                    }
                    V::Blank => {}
                    V::F(f, res) => {
                        ws.write_formula(r, c, Formula::new(f).set_result(res.clone().unwrap_or_else(|| NO_VALUE.to_string())))
                            .unwrap();
                    }
                }
            }
        };
        for (i, (label, cells)) in self.rows.iter().enumerate() {
            if self.two_label_cols {
                ws.write(r, c0, (i + 1) as u32).unwrap();
            }
            if !label.is_empty() {
                ws.write(r, label_col, label).unwrap();
            }
            write_cells(ws, r, cells);
            r += 1;
        }
        match &self.total {
            Total::Sum => {
                ws.write(r, c0, &self.total_label).unwrap();
                let sums: Vec<V> = self.sums().into_iter().map(V::N).collect();
                write_cells(ws, r, &sums);
                r += 1;
            }
            Total::Cells(cells) => {
                ws.write(r, c0, &self.total_label).unwrap();
                write_cells(ws, r, cells);
                r += 1;
            }
            Total::None => {}
        }
        if let Some(f) = self.footer {
            r += 1;
            ws.write(r, c0, format!("单位负责人签章：{}", f[0])).unwrap();
            ws.write(r, first + 5, format!("填表人签章：{}", f[1])).unwrap();
            ws.write(r, first + 10, "联系电话：").unwrap();
            if !f[2].is_empty() {
                ws.write(r, first + 11, f[2]).unwrap();
            }
            ws.write(r, first + 15, format!("填报日期：{}", if f[3].is_empty() { "   年  月  日" } else { f[3] }))
                .unwrap();
            r += 2;
            ws.write(
                r,
                c0,
                "栏目关系：(1) ≥ (2)；(2) ≥ (3)；(2) ≥ (4)；(7) ≥ (8)；(10) ≥ (11)；(10) ≥ (12)；(13) ≥ (14)；(15) ≥ (16)；(15) ≥ (17)。",
            )
            .unwrap();
        }
        for (er, ec, text) in &self.extra_cells {
            ws.write(*er, *ec, text).unwrap();
        }
    }

    /// Writes the workbook to `dir/name` and returns its path.
    pub fn save(&self, dir: &Path, name: &str) -> PathBuf {
        let mut wb = Workbook::new();
        for s in &self.sheets_before {
            let ws = wb.add_worksheet();
            ws.set_name(s).unwrap();
            ws.write(0, 0, "本表数据经分管领导审核。").unwrap();
        }
        self.write_sheet(&mut wb);
        for other in &self.sheets_after {
            other.write_sheet(&mut wb);
        }
        let path = dir.join(name);
        wb.save(&path).unwrap();
        if self.rows.iter().flat_map(|(_, v)| v).any(|v| matches!(v, V::F(_, None))) {
            strip_empty_cached_values(&path);
        }
        path
    }
}

/// A cached result that [`strip_empty_cached_values`] removes.
const NO_VALUE: &str = "__NO_CACHED_VALUE__";

/// Removes the cached value of formulas written with [`NO_VALUE`], leaving formulas with no cached value, as files written by
/// some generators (and never recalculated) have them.
fn strip_empty_cached_values(path: &Path) {
    rewrite_parts(path, path, |name, xml| {
        if name.starts_with("xl/worksheets/") {
            // Drop the marker value and the string type of the cells that carry it.
            xml.replace(&format!("<v>{NO_VALUE}</v>"), "").replace(" t=\"str\"><f>", "><f>")
        } else {
            xml.to_string()
        }
    });
}

/// Copies the xlsx at `from` to `to` with its text parts passed through `edit(part name, text)`
/// (binary parts unchanged): the way tests make files other programs write.
pub fn rewrite_parts(from: &Path, to: &Path, edit: impl Fn(&str, &str) -> String) {
    use std::io::{Read, Write};
    let bytes = std::fs::read(from).unwrap();
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if let Ok(text) = std::str::from_utf8(&data) {
            data = edit(&name, text).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&data).unwrap();
    }
    std::fs::write(to, out.finish().unwrap().into_inner()).unwrap();
}

// ------------------------------------------------------------- layouts counties keep

/// A county's sheet for one month, named `sheet`, its 报告期 line as given; `bump` adds to
/// column (1) of the first township (and the 合计), so each month's figures differ.
pub fn month_sheet(sheet: &str, period_line: Option<&str>, bump: i64) -> Fixture {
    let mut fx = Fixture {
        sheet: sheet.into(),
        period_line: period_line.map(str::to_string),
        ..Fixture::default()
    };
    let mut first = good_row(0);
    first[0] += bump;
    fx.rows[0].1 = first.into_iter().map(V::from).collect();
    fx
}

/// A year's workbook: one sheet per month `months` of 2026, in that order.
pub fn year_book(months: &[u32], with_period_lines: bool) -> Fixture {
    let sheet = |m: u32| {
        let line = format!("报告期：2026年{m}月");
        month_sheet(&format!("{m}月"), with_period_lines.then_some(line.as_str()), i64::from(m))
    };
    let mut first = sheet(months[0]);
    first.sheets_after = months[1..].iter().map(|&m| sheet(m)).collect();
    first
}

/// 8 townships with a 街道小计 after the first four and a 乡镇小计 after the rest.
pub fn with_subtotals() -> Fixture {
    let names = ["兰山街道", "银雀山街道", "金雀山街道", "柳青街道", "白沙埠镇", "枣园镇", "半程镇", "汪沟镇"];
    let rows: Vec<(String, Vec<i64>)> = names.iter().enumerate().map(|(i, n)| (n.to_string(), good_row(i as i64))).collect();
    let sum = |rs: &[(String, Vec<i64>)]| -> Vec<i64> { (0..21).map(|k| rs.iter().map(|r| r.1[k]).sum()).collect() };
    let (streets, towns) = rows.split_at(4);
    let mut laid: Vec<(String, Vec<V>)> = Vec::new();
    let v = |xs: &[i64]| xs.iter().copied().map(V::from).collect::<Vec<_>>();
    for (n, r) in streets {
        laid.push((n.clone(), v(r)));
    }
    laid.push(("街道小计".into(), v(&sum(streets))));
    for (n, r) in towns {
        laid.push((n.clone(), v(r)));
    }
    laid.push(("乡镇小计".into(), v(&sum(towns))));
    Fixture {
        rows: laid,
        total: Total::Cells(v(&sum(&rows))),
        ..Fixture::default()
    }
}

// ------------------------------------------------------------- the store through the binary

/// A county sheet for `period` with these township rows, as the county would name the file.
pub fn county_file(dir: &Path, code: &str, name: &str, period: &str, rows: &[(&str, Vec<i64>)]) -> PathBuf {
    let p: Vec<&str> = period.split('-').collect();
    let fx = Fixture {
        title: Some(format!("{name}建档立卡农村贫困人口就业与社会保障统计表")),
        unit_line: Some(format!("填报单位：{name}（{code}）")),
        period_line: Some(format!("报告期：{}年{}月", p[0], p[1].trim_start_matches('0'))),
        rows: rows.iter().map(|(l, v)| (l.to_string(), v.iter().copied().map(V::from).collect())).collect(),
        ..Fixture::default()
    };
    std::fs::create_dir_all(dir).unwrap();
    fx.save(dir, &format!("{code}-{name}-{period}.xlsx"))
}

/// 兰山区's four townships, the same every month unless a test changes them.
pub fn lanshan_rows() -> Vec<(&'static str, Vec<i64>)> {
    ["兰山街道", "银雀山街道", "白沙埠镇", "枣园镇"]
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, good_row(i as i64)))
        .collect()
}

/// 罗庄区's townships, with figures of their own: what must never show in another county's answers.
pub fn luozhuang_rows() -> Vec<(&'static str, Vec<i64>)> {
    ["罗庄街道", "傅庄街道", "盛庄街道", "高都街道"]
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, good_row(20 + i as i64)))
        .collect()
}

pub fn lanshan(dir: &Path, period: &str, rows: &[(&str, Vec<i64>)]) -> PathBuf {
    county_file(dir, "371302", "兰山区", period, rows)
}

/// `yuebao submit --format json --data DATA FILES… EXTRA…`: exit code and the outcomes.
pub fn submit(data: &Path, files: &[&Path], extra: &[&str]) -> (i32, Vec<Value>) {
    let mut args = vec!["submit", "--format", "json", "--data", s(data)];
    args.extend(files.iter().map(|f| s(f)));
    args.extend_from_slice(extra);
    // The clock is passed in, so that no test depends on the day it runs (a received-at in
    // November 2026 must not be "in the future" on a machine whose clock says otherwise).
    if !extra.contains(&"--now") {
        args.extend(["--now", TEST_NOW]);
    }
    let run = yuebao(&args);
    assert!(run.code == 0 || run.code == 1, "submit failed ({}): {}\n{}", run.code, run.stdout, run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", run.stdout));
    (run.code, v.as_array().unwrap().clone())
}

/// `county`'s row (code, name, values) in the rollup of `city` for `period` made from the store
/// in `data`, as `rollup --format json` writes it under `work`.
pub fn rollup_row_from_store(data: &Path, work: &Path, period: &str, city: &str, county: &str) -> Value {
    let run = yuebao(&[
        "rollup",
        "--data",
        s(data),
        "--period",
        period,
        "--region",
        city,
        "-o",
        s(work),
        "--format",
        "json",
        "-q",
    ]);
    assert!(run.code <= 1, "{}", run.stderr);
    let file = work.join(format!("数据/汇总-{city}-{period}.json"));
    let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    doc["rollup"]["tables"][0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == county)
        .cloned()
        .unwrap_or_else(|| panic!("{county} not in {doc:#}"))
}

pub fn json(args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    let run = yuebao(&args);
    ok(&run);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", run.stdout))
}

/// The standing of the cities' own sheets under `region` (`status --level city`).
pub fn city_status(data: &Path, period: &str, region: &str, as_of: &str) -> Value {
    json(&[
        "status",
        "--data",
        s(data),
        "--period",
        period,
        "--region",
        region,
        "--level",
        "city",
        "--as-of",
        as_of,
    ])
}

pub fn status(data: &Path, period: &str, region: &str, as_of: &str) -> Value {
    json(&["status", "--data", s(data), "--period", period, "--region", region, "--as-of", as_of])
}

pub fn county<'a>(status: &'a Value, code: &str) -> &'a Value {
    status["regions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == code)
        .unwrap_or_else(|| panic!("{code} not in {status:#}"))
}

pub fn history(data: &Path, region: &str, period: &str) -> Vec<Value> {
    json(&["history", "--data", s(data), "--region", region, "--period", period])
        .as_array()
        .unwrap()
        .clone()
}

/// `yuebao sample --register` for one county's month: its sheet and its synthetic register.
pub fn sample_register(dir: &Path, code: &str, name: &str, period: &str) -> (PathBuf, PathBuf) {
    let out = dir.join("样例");
    ok(&yuebao_in(
        dir,
        &["sample", "--period", period, "--region", code, "-o", s(&out), "--register", "-q"],
    ));
    (
        out.join(format!("{code}-{name}-{period}.xlsx")),
        out.join("台账").join(format!("{code}-{name}-台账.xlsx")),
    )
}
