//! The register behind the sheet (附件2): `yuebao ledger check` finds every planted mistake at its
//! cell, `yuebao ledger sheet` derives a county's month from it, and a sample county's register
//! gives back exactly its sample sheet.

use crate::support::*;
use calamine::{Data, Reader, open_workbook_auto};
use rust_xlsxwriter::{Format, Workbook};
use std::path::{Path, PathBuf};

/// Every row of the first sheet as text (numbers without a fraction as integers).
fn rows_of(path: &Path) -> Vec<Vec<String>> {
    let mut wb = open_workbook_auto(path).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    let (r0, c0) = range.start().unwrap();
    let mut out = vec![vec![]; r0 as usize];
    for row in range.rows() {
        let mut v = vec![String::new(); c0 as usize];
        v.extend(row.iter().map(|d| match d {
            Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
            Data::Int(i) => i.to_string(),
            Data::Empty => String::new(),
            other => other.to_string(),
        }));
        out.push(v);
    }
    out
}

/// The townships of a form workbook: each one's label and its 21 cells (no number row, no 合计).
fn table(path: &Path) -> Vec<(String, Vec<String>)> {
    rows_of(path)
        .into_iter()
        .filter(|r| r.len() > 22 && !["", "甲", "乙", "合计"].contains(&r[1].as_str()) && r[2].parse::<i64>().is_ok())
        .map(|r| (r[1].clone(), r[2..23].to_vec()))
        .collect()
}

#[test]
fn a_sample_county_s_register_gives_back_exactly_its_sample_sheet() {
    let dir = tmp();
    let (sheet, register) = sample_register(dir.path(), "371302", "兰山区", "2026-10");
    assert!(register.is_file());

    let check = yuebao_in(dir.path(), &["ledger", "check", s(&register), "--region", "371302"]);
    ok(&check);
    assert!(check.stdout.contains("错误 0 处，警告 0 处"), "{}", check.stdout);

    // No full 身份证号 or phone of the register is printed by a check.
    let derived = dir.path().join("由台账.xlsx");
    let run = yuebao_in(
        dir.path(),
        &[
            "ledger",
            "sheet",
            s(&register),
            "--region",
            "371302",
            "--period",
            "2026-10",
            "-o",
            s(&derived),
            "--hand",
            s(&sheet),
        ],
    );
    ok(&run);
    assert!(run.stdout.contains("第(21)栏台账不能提供，取自"), "{}", run.stdout);
    let want = table(&sheet);
    let got = table(&derived);
    assert!(want.len() >= 6, "{want:?}");
    assert_eq!(got, want, "the derived sheet is the sample sheet, township by township");

    // Without --hand, column (21) is left for the county to fill in, and the rest still agree.
    let bare = dir.path().join("留空.xlsx");
    ok(&yuebao_in(
        dir.path(),
        &["ledger", "sheet", s(&register), "--region", "371302", "--period", "2026-10", "-o", s(&bare)],
    ));
    for ((a, va), (b, vb)) in table(&bare).iter().zip(&want) {
        assert_eq!(a, b);
        assert_eq!(&va[..20], &vb[..20], "{a}");
        assert_eq!(va[20], "", "{a}: column (21) left blank");
    }
    // The derived sheet is a sheet like any other: it passes validate.
    let (code, report) = validate_json(&bare, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["status"], "accepted", "{report}");
}

/// A register with two heading rows: 户籍地址 over its four parts, and 就业情况 and 社保状况 as
/// one checkbox column per option. Each row is (cells by heading, what it plants).
struct Register {
    headings: Vec<(&'static str, Option<&'static str>)>,
    rows: Vec<Vec<String>>,
}

const TOP: &[(&str, Option<&str>)] = &[
    ("姓名", None),
    ("性别", None),
    ("身份证号码", None),
    ("联系电话", None),
    ("户籍地址", Some("县（区）")),
    ("", Some("街道（乡镇）")),
    ("健康状况", None),
    ("人员类别", None),
    ("就业情况", Some("无就业意愿")),
    ("", Some("有就业意愿")),
    ("", Some("外出务工")),
    ("", Some("就地就近就业（县内）")),
    ("", Some("公益性岗位")),
    ("社保状况", Some("居民基本养老保险")),
    ("", Some("居民基本医疗保险")),
    ("建卡时间", None),
    ("脱贫销号时间", None),
];

/// A valid 身份证号 of 兰山区 for a birth date and sequence.
fn id(birth: &str, seq: u32) -> String {
    let first = format!("371302{birth}{seq:03}");
    let w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first.bytes().zip(w).map(|(b, w)| u32::from(b - b'0') * w).sum();
    format!("{first}{}", ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize])
}

impl Register {
    fn new() -> Register {
        Register {
            headings: TOP.to_vec(),
            rows: Vec::new(),
        }
    }

    /// A clean working-age man of 岸堤镇 who works away from home, with both insurances.
    fn good(seq: u32) -> Vec<String> {
        [
            "张三",
            "男",
            &id("19800101", seq * 2 + 1),
            "13912345678",
            "兰山区",
            "岸堤镇",
            "健康",
            "劳动年龄内有劳动能力人口",
            "",
            "√",
            "√",
            "",
            "",
            "√",
            "√",
            "2015-06-01",
            "",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn write(&self, path: &Path) {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "兰山区建档立卡贫困人口基础台账").unwrap();
        let bold = Format::new().set_bold();
        let mut group_start = 0u16;
        for (c, (top, sub)) in self.headings.iter().enumerate() {
            let c = c as u16;
            match sub {
                None => {
                    ws.merge_range(1, c, 2, c, top, &bold).unwrap();
                }
                Some(sub) => {
                    if !top.is_empty() {
                        group_start = c;
                        ws.write_string_with_format(1, c, *top, &bold).unwrap();
                    }
                    let _ = group_start;
                    ws.write_string_with_format(2, c, *sub, &bold).unwrap();
                }
            }
        }
        for (r, row) in self.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32 + 3, c as u16, v).unwrap();
                }
            }
        }
        wb.save(path).unwrap();
    }
}

fn check_json(dir: &Path, file: &Path, extra: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let mut args = vec!["ledger", "check", s(file), "--region", "371302", "--format", "json"];
    args.extend_from_slice(extra);
    let run = yuebao_in(dir, &args);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{}\n{}", run.stdout, run.stderr));
    (run.code, v.as_array().unwrap().clone())
}

#[test]
fn a_register_with_planted_errors_gets_every_planted_finding_at_its_cell() {
    let dir = tmp();
    let mut reg = Register::new();
    // Row 4 (the first person) is clean; each later row plants one mistake.
    reg.rows.push(Register::good(1));
    let mut plant = |f: &dyn Fn(&mut Vec<String>)| {
        let mut row = Register::good(reg.rows.len() as u32 + 1);
        f(&mut row);
        reg.rows.push(row);
    };
    plant(&|r| {
        r[2] = {
            let mut s = r[2].clone();
            let last = if s.ends_with('0') { '1' } else { '0' };
            s.pop();
            s.push(last);
            s
        }
    }); // 5: check character
    plant(&|r| r[2] = id("19801301", 5)); // 6: no 13th month
    plant(&|r| r[1] = "女".into()); // 7: sex against the odd sequence
    plant(&|r| r[4] = "罗庄区".into()); // 8: another county
    plant(&|r| r[6] = "很好".into()); // 9: not an allowed 健康状况
    plant(&|r| r[0] = String::new()); // 10: 姓名 missing
    plant(&|r| r[2] = id("19800101", 3)); // 11: the same person as row 5's number? no: as row 4's sequence 3
    plant(&|r| r[15] = "去年春天".into()); // 12: no date
    plant(&|r| r[8] = "√".into()); // 13: 无就业意愿 and 有就业意愿 together
    plant(&|r| r[6] = "丧失劳动能力".into()); // 14: unable, yet working away
    plant(&|r| r[3] = "12345".into()); // 15: no phone number
    plant(&|r| r[2] = id("19500101", 7)); // 16: 76 years old, yet 劳动年龄内
    plant(&|r| r[10] = "有".into()); // 17: 有 is a yes; clean
    plant(&|r| r[11] = "可能".into()); // 18: not a checkbox mark
    let file = dir.path().join("兰山区台账.xlsx");
    reg.write(&file);

    let (code, findings) = check_json(dir.path(), &file, &[]);
    assert_eq!(code, 1);
    let got: Vec<(String, String)> = findings
        .iter()
        .map(|f| (f["cell"].as_str().unwrap_or("").to_string(), f["code"].as_str().unwrap().to_string()))
        .collect();
    let want = [
        ("C5", "E502"),
        ("C6", "E502"),
        ("B7", "E503"),
        ("E8", "E504"),
        ("G9", "E506"),
        ("A10", "E507"),
        ("C11", "E508"),
        ("P12", "E509"),
        ("I13", "E510"),
        ("I14", "W501"),
        ("D15", "W502"),
        ("H16", "W501"),
        ("L18", "E506"),
    ];
    for (cell, code) in want {
        assert!(got.contains(&(cell.to_string(), code.to_string())), "{code} at {cell} missing from {got:?}");
    }
    assert_eq!(got.len(), want.len(), "nothing else: {got:?}");
    // Messages are Chinese, name the file and sheet, and never print a whole valid number.
    let text = serde_json::to_string(&findings).unwrap();
    assert!(!text.contains(&id("19800101", 3)), "a full 身份证号 in the findings");
    let dup = findings.iter().find(|f| f["code"] == "E508").unwrap();
    assert!(dup["message"].as_str().unwrap().contains("与第 4 行重复"), "{dup}");
    assert!(
        findings
            .iter()
            .all(|f| f["file"].as_str().unwrap().ends_with("兰山区台账.xlsx") && f["sheet"].is_string())
    );

    // The sheet is not derived from a register with errors.
    let run = yuebao_in(dir.path(), &["ledger", "sheet", s(&file), "--region", "371302", "--period", "2026-10"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("台账有错误，未生成报表"), "{}", run.stderr);
}

#[test]
fn townships_are_checked_against_the_county_s_own_sheet() {
    let dir = tmp();
    let sheet = lanshan(dir.path(), "2026-10", &lanshan_rows());
    let townships: Vec<&str> = lanshan_rows().iter().map(|(n, _)| *n).collect();
    let mut reg = Register::new();
    let mut a = Register::good(1);
    a[5] = townships[0].to_string();
    let mut b = Register::good(2);
    b[5] = "不存在镇".into();
    reg.rows = vec![a, b];
    let file = dir.path().join("台账.xlsx");
    reg.write(&file);
    let run = yuebao_in(
        dir.path(),
        &["ledger", "sheet", s(&file), "--region", "371302", "--period", "2026-10", "--hand", s(&sheet)],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("F5: E505") && run.stdout.contains("“不存在镇”不是兰山区的乡镇（街道）"),
        "{}",
        run.stdout
    );
}

/// Writes a one-row-heading register of `cards`: (township, birth, seq, 建卡时间, 销号, 返贫).
fn dated(path: &Path, cards: &[(&str, &str, u32, &str, &str, &str)]) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let head = [
        "姓名",
        "身份证号码",
        "街道（乡镇）",
        "人员类别",
        "就业情况",
        "建卡时间",
        "脱贫销号时间",
        "返贫挂号时间",
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (town, birth, seq, carded, removed, back)) in cards.iter().enumerate() {
        let row = [
            "李四".to_string(),
            id(birth, *seq),
            town.to_string(),
            "劳动年龄内有劳动能力人口".into(),
            "外出务工（县外）".into(),
            carded.to_string(),
            removed.to_string(),
            back.to_string(),
        ];
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, v).unwrap();
            }
        }
    }
    wb.save(path).unwrap();
}

fn derive(dir: &Path, file: &Path, period: &str) -> (Run, Vec<(String, Vec<String>)>) {
    let out: PathBuf = dir.join(format!("{period}.xlsx"));
    let run = yuebao_in(dir, &["ledger", "sheet", s(file), "--region", "371302", "--period", period, "-o", s(&out)]);
    let t = if out.is_file() { table(&out) } else { Vec::new() };
    (run, t)
}

#[test]
fn any_month_is_counted_from_the_register_at_its_end() {
    let dir = tmp();
    let file = dir.path().join("台账.xlsx");
    dated(
        &file,
        &[
            // Carded in 2015, left 2026-09-15, came back 2026-11-03.
            ("岸堤镇", "19800101", 1, "2015-03-01", "2026-09-15", "2026-11-03"),
            // Turns 16 on 2026-10-31: of working age at October's end, not at September's.
            ("岸堤镇", "20101031", 3, "2015-03-01", "", ""),
            // Carded in 2016: not in the 摸底数 (1), but in the register.
            ("岸堤镇", "19900505", 5, "2016-02-01", "", ""),
        ],
    );
    let col = |t: &Vec<(String, Vec<String>)>, n: usize| t[0].1[n - 1].clone();
    let (run, aug) = derive(dir.path(), &file, "2026-08");
    // (1) = 2 carded by 2015 < (2) = 2 working age (the 2016 card and the first one): holds.
    assert_eq!(
        (col(&aug, 1), col(&aug, 2), col(&aug, 5)),
        ("2".into(), "2".into(), "2".into()),
        "{}",
        run.stdout
    );
    let (_, sep) = derive(dir.path(), &file, "2026-09");
    assert_eq!((col(&sep, 2), col(&sep, 5)), ("1".into(), "1".into()), "gone on 09-15");
    let (run, oct) = derive(dir.path(), &file, "2026-10");
    assert_eq!(col(&oct, 2), "2", "the boy of 16 counts");
    assert_eq!(run.code, 0, "{}", run.stdout);
    let (run, nov) = derive(dir.path(), &file, "2026-11");
    // Back on 11-03: three of working age, but only two were carded by 2015: (1) ≥ (2) broken,
    // and the person behind it is named, masked.
    assert_eq!((col(&nov, 1), col(&nov, 2)), ("2".into(), "3".into()));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("违反") && run.stdout.contains("台账本身如此"), "{}", run.stdout);
    let masked = format!("第 4 行 371302********{}", &id("19900505", 5)[14..]);
    assert!(run.stdout.contains(&masked), "{masked} in {}", run.stdout);
    assert!(!run.stdout.contains(&id("19900505", 5)));
}

/// Runs `yuebao` in `dir` with a configuration directory of its own (where the personal-data key
/// is made on first use), at `now`.
fn keyed(dir: &Path, now: &str, args: &[&str]) -> Run {
    let config = dir.join("config");
    let mut all = args.to_vec();
    all.extend(["--now", now]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_yuebao"))
        .args(&all)
        .current_dir(dir)
        .env_remove("YUEBAO_KEY_FILE")
        .env_remove("YUEBAO_DATA")
        .env("XDG_CONFIG_HOME", &config)
        .output()
        .unwrap();
    Run::from(out)
}

/// `ledger import FILE --region 兰山区 --data DATA` at `now`, with a key of the test's own.
fn import_at(dir: &Path, now: &str, file: &Path, data: &Path) -> Run {
    keyed(dir, now, &["ledger", "import", s(file), "--region", "371302", "--data", s(data)])
}

/// A store in `dir` with 兰山区's register of three persons carded in 2015, imported on
/// 2026-10-20; returns the data directory.
fn three_carded_in_2015(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    let v1 = dir.join("台账1.xlsx");
    dated(
        &v1,
        &[
            ("岸堤镇", "19800101", 1, "2015-03-01", "", ""),
            ("岸堤镇", "19810101", 3, "2015-03-01", "", ""),
            ("岸堤镇", "19820101", 5, "2015-03-01", "", ""),
        ],
    );
    let run = import_at(dir, "2026-10-20 09:00", &v1, &data);
    ok(&run);
    assert!(run.stdout.contains("3 人；新建卡 3"), "{}", run.stdout);
    data
}

/// The first township's row of 兰山区's sheet for `period`, counted from the store's register.
fn first_row_from_store(dir: &Path, data: &Path, period: &str) -> Vec<String> {
    let out = dir.join(format!("{period}.xlsx"));
    keyed(
        dir,
        "2026-12-01 09:00",
        &["ledger", "sheet", "--region", "371302", "--period", period, "--data", s(data), "-o", s(&out)],
    )
    .with_code_at_most(1);
    table(&out)[0].1.clone()
}

/// Every byte of the data directory (the database and its write-ahead log).
fn data_bytes(data: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(data).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            all.extend(std::fs::read(&p).unwrap());
        }
    }
    all
}

/// The needles found in `hay`, in one pass.
fn found_in(hay: &[u8], needles: &[String]) -> Vec<String> {
    let ac = aho_corasick::AhoCorasick::new(needles).unwrap();
    let mut hits: Vec<String> = ac.find_iter(hay).map(|m| needles[m.pattern().as_usize()].clone()).collect();
    hits.dedup();
    hits
}

#[test]
fn an_imported_register_gives_back_its_sheet_and_the_store_holds_no_number() {
    let dir = tmp();
    let (sheet, register) = sample_register(dir.path(), "371302", "兰山区", "2026-10");
    let data = dir.path().join("data");
    // The county's sheet of the month is in the store: its townships and column (21) count.
    let (code, _) = submit(&data, &[&sheet], &[]);
    assert_eq!(code, 0);

    let run = import_at(dir.path(), "2026-11-03 09:00", &register, &data);
    ok(&run);
    let key = dir.path().join("config").join("yuebao").join("personal.key");
    assert!(
        key.is_file() && run.stderr.contains("已生成个人信息密钥") && run.stderr.contains("备份"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("新建卡 14"), "{}", run.stdout);

    let derived = dir.path().join("由库.xlsx");
    let run = keyed(
        dir.path(),
        "2026-11-03 09:00",
        &[
            "ledger",
            "sheet",
            "--region",
            "371302",
            "--period",
            "2026-10",
            "--data",
            s(&data),
            "-o",
            s(&derived),
        ],
    );
    ok(&run);
    assert!(run.stdout.contains("取自 数据库中兰山区（371302）2026年10月的报表"), "{}", run.stdout);
    assert_eq!(table(&derived), table(&sheet), "the store's register gives back the sample sheet");

    // No 身份证号, phone number or name of the register is in any byte of the data directory.
    let rows = rows_of(&register);
    let head = &rows[1];
    let col = |h: &str| head.iter().position(|x| x == h).unwrap();
    let bytes = data_bytes(&data);
    let needles: Vec<String> = rows
        .iter()
        .skip(2)
        .flat_map(|p| ["身份证号码", "联系电话"].map(|h| p[col(h)].clone()))
        .collect();
    assert!(needles.len() > 20_000, "every person's number and phone");
    assert_eq!(found_in(&bytes, &needles), Vec::<String>::new(), "numbers found in the store");
    // Names are sealed too (a name of two characters may occur by chance in other text; the
    // full names of three characters may not).
    let names: Vec<String> = rows.iter().skip(2).map(|p| p[col("姓名")].clone()).filter(|n| n.chars().count() == 3).collect();
    assert_eq!(found_in(&bytes, &names), Vec::<String>::new(), "names found in the store");
    // Counting needs no key: without it the sheet is the same.
    std::fs::remove_file(&key).unwrap();
    let again = dir.path().join("无密钥.xlsx");
    ok(&yuebao_in(
        dir.path(),
        &[
            "ledger",
            "sheet",
            "--region",
            "371302",
            "--period",
            "2026-10",
            "--data",
            s(&data),
            "-o",
            s(&again),
        ],
    ));
    assert_eq!(table(&again), table(&sheet));
    // Another key is refused, not used.
    let run = import_at(dir.path(), "2026-11-04 09:00", &register, &data);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("个人信息密钥与数据库中台账所用的不同"), "{}", run.stderr);
    // A key inside the data directory is refused.
    let inside = data.join("personal.key");
    let run = yuebao_in(
        dir.path(),
        &[
            "ledger",
            "import",
            s(&register),
            "--region",
            "371302",
            "--data",
            s(&data),
            "--key-file",
            s(&inside),
        ],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("在数据目录") && run.stderr.contains("之内"), "{}", run.stderr);

    // The import and every person's event are bound into the audit chain.
    ok(&yuebao_in(dir.path(), &["verify", "--data", s(&data)]));
    let db = rusqlite::Connection::open(data.join("yuebao.sqlite3")).unwrap();
    db.execute("UPDATE register_events SET kind = '变动' WHERE id = 7", []).unwrap();
    drop(db);
    let run = yuebao_in(dir.path(), &["verify", "--data", s(&data)]);
    assert_ne!(run.code, 0);
    assert!(
        run.stdout.contains("台账导入") || run.stderr.contains("台账导入"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn a_re_import_records_its_differences_as_dated_events_and_a_past_month_stays_as_it_was() {
    let dir = tmp();
    let data = three_carded_in_2015(dir.path());
    let sheet = |period: &str| first_row_from_store(dir.path(), &data, period);
    let october = sheet("2026-10");
    assert_eq!((october[1].as_str(), october[4].as_str()), ("3", "3"));

    // November: the second person is gone from the file (脱贫销号 on the day of the import), a
    // fourth was carded on 11-10 (not in the 摸底数).
    let v2 = dir.path().join("台账2.xlsx");
    dated(
        &v2,
        &[
            ("岸堤镇", "19800101", 1, "2015-03-01", "", ""),
            ("岸堤镇", "19820101", 5, "2015-03-01", "", ""),
            ("岸堤镇", "19830101", 7, "2026-11-10", "", ""),
        ],
    );
    let run = import_at(dir.path(), "2026-11-20 09:00", &v2, &data);
    ok(&run);
    assert!(run.stdout.contains("新建卡 1") && run.stdout.contains("脱贫销号 1"), "{}", run.stdout);
    let run = import_at(dir.path(), "2026-11-21 09:00", &v2, &data);
    assert!(
        run.stdout.contains("新建卡 0，变动 0，返贫挂号 0，脱贫销号 0"),
        "the same register again changes nothing: {}",
        run.stdout
    );

    assert_eq!(sheet("2026-10"), october, "October is derived again exactly");
    let november = sheet("2026-11");
    // (1) the 2015 cards, all three, one since gone; (2) three in the register.
    assert_eq!((november[0].as_str(), november[1].as_str()), ("3", "3"));

    // The person who left comes back: 返贫挂号, and November still says what it said.
    let v3 = dir.path().join("台账3.xlsx");
    dated(
        &v3,
        &[
            ("岸堤镇", "19800101", 1, "2015-03-01", "", ""),
            ("岸堤镇", "19810101", 3, "2015-03-01", "2026-11-20", "2026-12-02"),
            ("岸堤镇", "19820101", 5, "2015-03-01", "", ""),
            ("岸堤镇", "19830101", 7, "2026-11-10", "", ""),
        ],
    );
    let run = import_at(dir.path(), "2026-12-03 09:00", &v3, &data);
    assert!(run.stdout.contains("返贫挂号 1"), "{}", run.stdout);
    assert_eq!(sheet("2026-11"), november);
    assert_eq!(sheet("2026-12")[1], "4");
}

/// The personal-data key is lost: an import with another key is refused and says what to do;
/// with `--new-key` the county is recorded anew from that day. The months before are counted as
/// they were, the months after from the file, and the next import under the new key finds no
/// one gone.
#[test]
fn a_lost_key_is_replaced_and_the_months_before_stay_as_they_were() {
    let dir = tmp();
    let data = three_carded_in_2015(dir.path());
    let sheet = |period: &str| first_row_from_store(dir.path(), &data, period);
    let october = sheet("2026-10");
    assert_eq!((october[0].as_str(), october[1].as_str()), ("3", "3"));

    // The key is lost; the next import makes a new one, which is refused with the way out.
    std::fs::remove_file(dir.path().join("config").join("yuebao").join("personal.key")).unwrap();
    let v2 = dir.path().join("台账2.xlsx");
    dated(
        &v2,
        &[
            ("岸堤镇", "19800101", 1, "2015-03-01", "", ""),
            ("岸堤镇", "19810101", 3, "2015-03-01", "", ""),
            ("岸堤镇", "19820101", 5, "2015-03-01", "", ""),
            ("岸堤镇", "19830101", 7, "2026-11-10", "", ""),
        ],
    );
    let run = import_at(dir.path(), "2026-11-20 09:00", &v2, &data);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("--new-key"), "{}", run.stderr);
    let run = keyed(
        dir.path(),
        "2026-11-20 09:00",
        &["ledger", "import", s(&v2), "--region", "371302", "--data", s(&data), "--new-key"],
    );
    ok(&run);
    assert!(
        run.stdout.contains("新建卡 4") && run.stdout.contains("此前库中的 3 人自今天起封存"),
        "{}",
        run.stdout
    );

    assert_eq!(sheet("2026-10"), october, "October is derived again exactly");
    let november = sheet("2026-11");
    // (1) the three 2015 cards (the closed ones not counted twice); (2) four in the register.
    assert_eq!((november[0].as_str(), november[1].as_str()), ("3", "4"));
    let run = keyed(
        dir.path(),
        "2026-11-21 09:00",
        &["ledger", "import", s(&v2), "--region", "371302", "--data", s(&data)],
    );
    assert!(
        run.stdout.contains("新建卡 0，变动 0，返贫挂号 0，脱贫销号 0"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    // Every event of both imports is bound into the audit chain.
    ok(&yuebao_in(dir.path(), &["verify", "--data", s(&data)]));
    let log = yuebao_in(dir.path(), &["audit", "--data", s(&data)]);
    assert!(log.stdout.contains("此前的 3 人封存"), "{}", log.stdout);
}

#[test]
fn a_register_with_errors_is_not_imported() {
    let dir = tmp();
    let data = dir.path().join("data");
    let mut reg = Register::new();
    reg.rows.push(Register::good(1));
    let mut bad = Register::good(2);
    bad[1] = "女".into();
    reg.rows.push(bad);
    let file = dir.path().join("台账.xlsx");
    reg.write(&file);
    let run = import_at(dir.path(), "2026-11-03 09:00", &file, &data);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("B5: E503") && run.stderr.contains("未导入"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    let run = yuebao_in(
        dir.path(),
        &["ledger", "sheet", "--region", "371302", "--period", "2026-10", "--data", s(&data)],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("数据库中没有兰山区（371302）的台账"), "{}", run.stderr);
}

#[test]
fn a_sheet_that_disagrees_with_its_register_is_flagged_cell_by_cell() {
    let dir = tmp();
    let (sheet, register) = sample_register(dir.path(), "371302", "兰山区", "2026-10");
    let data = dir.path().join("data");
    ok(&import_at(dir.path(), "2026-11-02 09:00", &register, &data));

    // The sample sheet is what the register gives: accepted, and the board says 台账一致.
    let (code, outs) = submit(&data, &[&sheet], &["--now", "2026-11-03 10:00"]);
    assert_eq!((code, outs[0]["status"].as_str()), (0, Some("accepted")), "{outs:?}");
    let st = status(&data, "2026-10", "371300", "2026-11-03 11:00");
    assert_eq!(county(&st, "371302")["effective"]["register_diffs"], 0, "{st:#}");

    // Two cells typed over: each is a warning at its cell, and the sheet waits for a 说明.
    let mut rows: Vec<(String, Vec<i64>)> = table(&sheet)
        .into_iter()
        .map(|(l, v)| (l, v.iter().map(|x| x.parse().unwrap()).collect()))
        .collect();
    rows[1].1[4] -= 2;
    rows[2].1[17] += 5;
    let (town1, want5, got5) = (rows[1].0.clone(), rows[1].1[4], rows[1].1[4] + 2);
    let typed: Vec<(&str, Vec<i64>)> = rows.iter().map(|(l, v)| (l.as_str(), v.clone())).collect();
    let edited = lanshan(&dir.path().join("改"), "2026-10", &typed);
    let (code, outs) = submit(&data, &[&edited], &["--now", "2026-11-04 10:00"]);
    assert_eq!((code, outs[0]["status"].as_str()), (1, Some("pending")), "{outs:?}");
    let w503: Vec<&serde_json::Value> = outs[0]["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "W503").collect();
    assert_eq!(w503.len(), 2, "{w503:?}");
    let msg = format!("第(5)栏 报表 {want5} 人，台账外出务工 {got5} 人");
    let five = w503.iter().find(|f| f["column"] == 5).unwrap();
    assert_eq!(five["message"], msg.as_str());
    assert_eq!(five["row_label"], town1.as_str());
    assert!(five["cell"].as_str().unwrap().starts_with('G'), "column (5) is G in the fixture: {five}");
    // With a 说明 it counts, and the board says how many cells differ.
    let (code, _) = submit(
        &data,
        &[&edited],
        &["--now", "2026-11-04 10:05", "--note", "台账 11 月 2 日后有两人返乡，报表已按实际填写"],
    );
    assert_eq!(code, 0);
    let st = status(&data, "2026-10", "371300", "2026-11-04 11:00");
    assert_eq!(county(&st, "371302")["effective"]["register_diffs"], 2, "{st:#}");
    // A county without a register is not compared.
    let (_, outs) = submit(
        &data,
        &[&county_file(&dir.path().join("罗庄"), "371311", "罗庄区", "2026-10", &luozhuang_rows())],
        &["--now", "2026-11-04 10:00"],
    );
    assert!(outs[0]["findings"].as_array().unwrap().iter().all(|f| f["code"] != "W503"));
}

/// After a lost key, two counties re-keyed with the new one still share one person: counted
/// once, not again under the digests of the states the re-keying closed.
#[test]
fn re_keyed_counties_share_a_person_once() {
    let dir = tmp();
    let data = dir.path().join("data");
    let a = dir.path().join("兰山.xlsx");
    dated(&a, &[("岸堤镇", "19800101", 1, "2015-03-01", "", "")]);
    let b = dir.path().join("罗庄.xlsx");
    dated(&b, &[("盛庄街道", "19800101", 1, "2015-03-01", "", "")]);
    let import = |now: &str, extra: &[&str]| {
        for (f, code) in [(&a, "371302"), (&b, "371311")] {
            let mut args = vec!["ledger", "import", s(f), "--region", code, "--data", s(&data)];
            args.extend(extra);
            ok(&keyed(dir.path(), now, &args));
        }
    };
    import("2026-11-02 09:00", &[]);
    std::fs::remove_file(dir.path().join("config").join("yuebao").join("personal.key")).unwrap();
    import("2026-11-20 09:00", &["--new-key"]);
    let run = yuebao_in(dir.path(), &["ledger", "duplicates", "--region", "371300", "--data", s(&data)]);
    ok(&run);
    assert!(run.stdout.contains("兰山区（371302） 与 罗庄区（371311）：重复 1 人"), "{}", run.stdout);
}

#[test]
fn one_person_in_two_registers_is_counted_for_the_city_without_being_named() {
    let dir = tmp();
    let data = dir.path().join("data");
    let a = dir.path().join("兰山.xlsx");
    dated(
        &a,
        &[("岸堤镇", "19800101", 1, "2015-03-01", "", ""), ("岸堤镇", "19810101", 3, "2015-03-01", "", "")],
    );
    let b = dir.path().join("罗庄.xlsx");
    dated(
        &b,
        &[
            ("盛庄街道", "19800101", 1, "2015-03-01", "", ""),
            ("盛庄街道", "19900101", 9, "2015-03-01", "", ""),
        ],
    );
    for (f, code) in [(&a, "371302"), (&b, "371311")] {
        ok(&keyed(
            dir.path(),
            "2026-11-02 09:00",
            &["ledger", "import", s(f), "--region", code, "--data", s(&data)],
        ));
    }
    let run = yuebao_in(dir.path(), &["ledger", "duplicates", "--region", "371300", "--data", s(&data)]);
    ok(&run);
    assert!(run.stdout.contains("兰山区（371302） 与 罗庄区（371311）：重复 1 人"), "{}", run.stdout);
    assert!(!run.stdout.contains("19800101"), "no person is named");
    // A county is not told.
    let run = yuebao_in(dir.path(), &["ledger", "duplicates", "--region", "371302", "--data", s(&data)]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("只给市、省查看"), "{}", run.stderr);
    // Once 罗庄区's register no longer lists the person, there is none.
    dated(&b, &[("盛庄街道", "19900101", 9, "2015-03-01", "", "")]);
    ok(&keyed(
        dir.path(),
        "2026-11-10 09:00",
        &["ledger", "import", s(&b), "--region", "371311", "--data", s(&data)],
    ));
    let run = yuebao_in(dir.path(), &["ledger", "duplicates", "--data", s(&data)]);
    assert!(run.stdout.contains("没有重复人员"), "{}", run.stdout);
}

#[test]
fn a_directory_of_registers_is_imported_and_a_city_s_counties_are_counted_at_once() {
    let dir = tmp();
    let out = dir.path().join("样例");
    ok(&yuebao_in(
        dir.path(),
        &["sample", "--period", "2026-10", "--region", "371300", "-o", s(&out), "--register", "-q"],
    ));
    // Two counties' registers in a folder of their own, named as `sample` names them.
    let regs = dir.path().join("两县");
    std::fs::create_dir_all(&regs).unwrap();
    for f in ["371302-兰山区-台账.xlsx", "371311-罗庄区-台账.xlsx"] {
        std::fs::copy(out.join("台账").join(f), regs.join(f)).unwrap();
    }
    let data = dir.path().join("data");
    let run = keyed(dir.path(), "2026-11-02 09:00", &["ledger", "import", s(&regs), "--data", s(&data)]);
    ok(&run);
    assert!(run.stdout.contains("共 2 个文件：导入 2 个"), "{}", run.stdout);
    let sheets = dir.path().join("各县");
    let run = keyed(
        dir.path(),
        "2026-11-03 09:00",
        &[
            "ledger",
            "sheet",
            "--region",
            "临沂市",
            "--period",
            "2026-10",
            "--data",
            s(&data),
            "-o",
            s(&sheets),
        ],
    );
    ok(&run);
    assert!(run.stdout.contains("临沂市（371300）下 2 个县区"), "{}", run.stdout);
    for f in ["371302-兰山区-2026-10.xlsx", "371311-罗庄区-2026-10.xlsx"] {
        // Without the county's sheet in the store, the townships come in the register's order.
        let (mut got, mut want) = (table(&sheets.join(f)), table(&out.join(f)));
        got.sort();
        want.sort();
        assert_eq!(got.len(), want.len());
        for ((a, va), (b, vb)) in got.iter().zip(&want) {
            assert_eq!((a, &va[..20]), (b, &vb[..20]), "{f}");
        }
    }
    // A file whose name names no county is refused before anything is stored.
    std::fs::copy(out.join("台账").join("371302-兰山区-台账.xlsx"), regs.join("台账.xlsx")).unwrap();
    let run = keyed(dir.path(), "2026-11-04 09:00", &["ledger", "import", s(&regs), "--data", s(&data)]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("文件名中没有县区的代码或名称"), "{}", run.stderr);
}
