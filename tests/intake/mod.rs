//! Files as counties really send them: the region written anywhere in the header, files that
//! are not what their extension says, HTML and Unicode-text exports, xlsb, and hostile files
//! that must each be rejected with their own plain-Chinese reason while the batch goes on.

use crate::support::*;
use calamine::{Data, Reader, open_workbook_auto};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Validates everything in `paths` in one batch and returns the JSON report of each file.
fn batch(paths: &[&Path], extra: &[&str]) -> (i32, Vec<serde_json::Value>) {
    let mut args = vec!["validate", "--format", "json"];
    args.extend(paths.iter().map(|p| s(p)));
    args.extend_from_slice(extra);
    let run = yuebao(&args);
    assert!(run.code == 0 || run.code == 1, "tool failed ({}): {}", run.code, run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {}", run.stdout));
    (run.code, doc["files"].as_array().unwrap().clone())
}

/// The one error of a rejected file: (code, reason, message).
fn rejection(f: &serde_json::Value) -> (String, String, String) {
    assert_eq!(f["status"], "rejected", "{f:#}");
    let e = f["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["severity"] == "error")
        .unwrap_or_else(|| panic!("no error: {f:#}"));
    (
        e["code"].as_str().unwrap().into(),
        e["values"]["reason"].as_str().unwrap_or("").into(),
        e["message"].as_str().unwrap().into(),
    )
}

/// ASCII words a message may use: names of formats and products, flags, units. Anything else
/// (`error`, `invalid`, `signature` …) is library English leaking to a user.
const ALLOWED_ASCII: &[&str] = &[
    "Excel",
    "WPS",
    "xlsx",
    "xlsm",
    "xlsb",
    "xls",
    "ods",
    "csv",
    "CSV",
    "tsv",
    "txt",
    "HTML",
    "PDF",
    "PNG",
    "JPEG",
    "GIF",
    "TIFF",
    "WebP",
    "BMP",
    "RAR",
    "Zip",
    "gzip",
    "Word",
    "PowerPoint",
    "Office",
    "OpenDocument",
    "OFD",
    "XML",
    "FIFO",
    "dev",
    "zero",
    "UTF",
    "GBK",
    "GB",
    "max",
    "file",
    "read",
    "entry",
    "inflated",
    "cells",
    "seconds",
    "memory",
    "mb",
    "MB",
    "region",
    "period",
    "Unicode",
    "Sheet",
];

fn assert_plain_chinese(msg: &str) {
    assert!(msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "not Chinese: {msg}");
    let words: Vec<&str> = msg
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 3 && !ALLOWED_ASCII.contains(w))
        .collect();
    assert!(words.is_empty(), "library English {words:?} in: {msg}");
}

/// A zip archive of `entries`.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Rewrites every uncompressed-size field of a zip to `size`: a bomb that lies about itself.
fn lie_about_sizes(mut z: Vec<u8>, size: u32) -> Vec<u8> {
    let mut i = 0;
    while i + 30 < z.len() {
        if z[i..i + 4] == *b"PK\x03\x04" {
            z[i + 22..i + 26].copy_from_slice(&size.to_le_bytes());
        } else if z[i..i + 4] == *b"PK\x01\x02" {
            z[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
        }
        i += 1;
    }
    z
}

// ---------------------------------------------------------------- the region in the header

/// The printed form's title names the city; the unit cell is what counties overwrite.
const CITY_TITLE: &str = "临沂市建档立卡农村贫困人口就业与社会保障统计表";

/// (title, unit cell, file name, expected region (None: E003), a further code expected).
type Case = (&'static str, Option<&'static str>, &'static str, Option<&'static str>, Option<&'static str>);

#[test]
fn header_region_spellings() {
    let d = tmp();
    // (title, unit cell, file name, expected region or None for E003, expected extra code)
    let cases: &[Case] = &[
        (CITY_TITLE, Some("兰山区"), "10月报表.xlsx", Some("371302"), None),
        (CITY_TITLE, Some("临沂市兰山区"), "10月报表.xlsx", Some("371302"), None),
        (CITY_TITLE, Some("兰山区（盖章）"), "10月报表.xlsx", Some("371302"), None),
        (CITY_TITLE, Some("371302"), "10月报表.xlsx", Some("371302"), None),
        (
            CITY_TITLE,
            Some("山东省临沂市兰山区人力资源和社会保障局"),
            "10月报表.xlsx",
            Some("371302"),
            None,
        ),
        (CITY_TITLE, Some("兰山区人社局"), "10月报表.xlsx", Some("371302"), None),
        (CITY_TITLE, Some("371302兰山区"), "10月报表.xlsx", Some("371302"), None),
        (CITY_TITLE, Some("兰 山 区"), "10月报表.xlsx", Some("371302"), None),
        (CITY_TITLE, Some("兰山区（３７１３０２）"), "10月报表.xlsx", Some("371302"), None),
        (CITY_TITLE, Some("填报单位（盖章）：　兰山区"), "10月报表.xlsx", Some("371302"), None),
        (CITY_TITLE, Some("罗庄县(区)"), "10月报表.xlsx", Some("371311"), None),
        (CITY_TITLE, Some("河东县（区）"), "10月报表.xlsx", Some("371312"), None),
        // The title itself names the county.
        (
            "兰山区建档立卡农村贫困人口就业与社会保障统计表",
            Some("_____县(区)"),
            "10月报表.xlsx",
            Some("371302"),
            None,
        ),
        (
            "兰山区2026年10月建档立卡农村贫困人口就业与社会保障统计表",
            None,
            "10月报表.xlsx",
            Some("371302"),
            None,
        ),
        // The city of the printed title never overrides a county from the file name …
        (CITY_TITLE, Some("_____县(区)"), "371302-兰山区-2026-10.xlsx", Some("371302"), Some("I001")),
        // … even from another city, with a warning.
        (CITY_TITLE, Some("_____县(区)"), "历下区10月.xlsx", Some("370102"), Some("W002")),
        // Alone, it does not make a sheet of townships the city's sheet.
        (CITY_TITLE, Some("_____县(区)"), "10月报表.xlsx", None, None),
        (CITY_TITLE, Some("临沂市人力资源和社会保障局"), "10月报表.xlsx", None, None),
        // A shared name lists its candidates; a city elsewhere in the header decides it.
        (CITY_TITLE, Some("市中区"), "10月报表.xlsx", None, None),
        (
            "济南市建档立卡农村贫困人口就业与社会保障统计表",
            Some("市中区"),
            "10月报表.xlsx",
            Some("370103"),
            None,
        ),
        // A county in the sheet wins over its city in the file name, silently.
        (CITY_TITLE, Some("填报单位：兰山区"), "临沂市10月.xlsx", Some("371302"), None),
        // Two counties in the header at the same rank cannot both be right.
        (CITY_TITLE, Some("兰山区、罗庄区"), "10月报表.xlsx", None, None),
    ];
    let mut paths = Vec::new();
    for (i, (title, unit, name, _, _)) in cases.iter().enumerate() {
        let fx = Fixture {
            title: Some(title.to_string()),
            unit_line: unit.map(str::to_string),
            ..Fixture::default()
        };
        let dir = d.path().join(format!("{i:02}"));
        std::fs::create_dir(&dir).unwrap();
        paths.push(fx.save(&dir, name));
    }
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let (_, files) = batch(&refs, &[]);
    for ((title, unit, name, want, extra), f) in cases.iter().zip(&files) {
        let case = format!("{title} / {unit:?} / {name}: {f:#}");
        let cs: Vec<String> = codes(f).into_iter().map(|(c, _)| c).collect();
        match want {
            Some(code) => {
                assert_eq!(f["region"].as_str(), Some(*code), "{case}");
                assert!(!cs.iter().any(|c| c == "E003"), "{case}");
                match extra {
                    Some(x) => assert!(cs.iter().any(|c| c == x), "{case}"),
                    None => assert!(!cs.iter().any(|c| c == "W002"), "{case}"),
                }
            }
            None => {
                assert_eq!(f["status"], "rejected", "{case}");
                assert!(cs.iter().any(|c| c == "E003"), "{case}");
            }
        }
    }
    // The messages say what was found.
    let msg = |i: usize| files[i]["findings"][0]["message"].as_str().unwrap().to_string();
    let shared = files
        .iter()
        .position(|f| codes(f).iter().any(|(c, _)| c == "E003") && msg_of(f).contains("市中区"))
        .unwrap();
    assert!(msg(shared).contains("370103") && msg(shared).contains("370402"), "{}", msg(shared));
    let city_only = &files[16];
    assert!(
        msg_of(city_only).contains("临沂市") && msg_of(city_only).contains("县"),
        "{}",
        msg_of(city_only)
    );
}

fn msg_of(f: &serde_json::Value) -> String {
    f["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["message"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_title_naming_the_city_stands_for_a_sheet_of_its_counties() {
    let d = tmp();
    let counties = ["兰山区", "罗庄区", "河东区", "沂南县"];
    let mut fx = Fixture {
        title: Some(CITY_TITLE.into()),
        unit_line: None,
        ..Fixture::default()
    };
    for (row, name) in fx.rows.iter_mut().zip(counties) {
        row.0 = name.into();
    }
    let (code, f) = validate_json(&fx.save(d.path(), "10月汇总.xlsx"), &[]);
    assert_eq!((code, f["region"].as_str()), (0, Some("371300")), "{f:#}");
}

#[test]
fn without_the_column_numbers_only_e002_is_said() {
    let d = tmp();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write(0, 0, "10月份就业情况说明").unwrap();
    ws.write(1, 0, "本月无变化。").unwrap();
    let p = d.path().join("说明.xlsx");
    wb.save(&p).unwrap();
    let (code, f) = validate_json(&p, &[]);
    assert_eq!(code, 1);
    assert_eq!(codes(&f).into_iter().map(|(c, _)| c).collect::<Vec<_>>(), ["E002"], "{f:#}");
}

#[test]
fn region_from_the_flag_reads_with_a_space() {
    let d = tmp();
    let fx = Fixture {
        title: Some(CITY_TITLE.into()),
        unit_line: Some("填报单位：火星区".into()),
        ..Fixture::default()
    };
    let (_, f) = validate_json(&fx.save(d.path(), "报表.xlsx"), &["--region", "371302"]);
    assert_eq!(f["region"], "371302");
    assert!(msg_of(&f).contains("按命令行参数 --region 确定为兰山区（371302）"), "{}", msg_of(&f));
}

// ---------------------------------------------------------------- formats read alike

/// The cells of the first sheet of an xlsx as (row, col) → text, and its merges.
type Merge = (u32, u32, u32, u32);

fn cells_of(xlsx: &Path) -> (Vec<Vec<String>>, Vec<Merge>) {
    let mut wb = open_workbook_auto(xlsx).unwrap();
    let name = wb.sheet_names()[0].clone();
    let range = wb.worksheet_range(&name).unwrap();
    let merges = match &mut wb {
        calamine::Sheets::Xlsx(x) => x
            .merge_cells_by_sheet_name(&name)
            .unwrap_or_default()
            .into_iter()
            .map(|d| (d.start.0, d.start.1, d.end.0, d.end.1))
            .collect(),
        _ => Vec::new(),
    };
    let (h, w) = range.get_size();
    let (r0, c0) = range.start().unwrap();
    let mut grid = vec![vec![String::new(); w + c0 as usize]; h + r0 as usize];
    for (r, c, v) in range.used_cells() {
        grid[r + r0 as usize][c + c0 as usize] = match v {
            Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
            Data::Int(i) => i.to_string(),
            Data::Empty => String::new(),
            other => other.to_string(),
        };
    }
    (grid, merges)
}

fn escape(t: &str) -> String {
    t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The sheet as a web system would export it: one table, merges as colspan/rowspan.
fn as_html(grid: &[Vec<String>], merges: &[Merge], charset: &str) -> String {
    let mut covered = BTreeSet::new();
    for &(r1, c1, r2, c2) in merges {
        for r in r1..=r2 {
            for c in c1..=c2 {
                if (r, c) != (r1, c1) {
                    covered.insert((r, c));
                }
            }
        }
    }
    let mut out = format!(
        "<html>\n<head><meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\"><title>导出</title></head>\n<body>\n<table border=1>\n"
    );
    for (r, row) in grid.iter().enumerate() {
        out.push_str("<tr>");
        for (c, t) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u32);
            if covered.contains(&(r, c)) {
                continue;
            }
            match merges.iter().find(|m| (m.0, m.1) == (r, c)) {
                Some(m) => out.push_str(&format!("<td rowspan=\"{}\" colspan=\"{}\">{}</td>", m.2 - m.0 + 1, m.3 - m.1 + 1, escape(t))),
                None => out.push_str(&format!("<td>{}</td>", escape(t))),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut b = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        b.extend_from_slice(&u.to_le_bytes());
    }
    b
}

fn as_tsv(grid: &[Vec<String>]) -> String {
    grid.iter()
        .map(|row| {
            row.iter()
                .map(|t| {
                    if t.contains(['\t', '"', '\n']) {
                        format!("\"{}\"", t.replace('"', "\"\""))
                    } else {
                        t.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Findings as (code, cell), without the note that the format differs from the extension.
fn findings_set(f: &serde_json::Value) -> BTreeSet<(String, String)> {
    codes(f).into_iter().filter(|(c, _)| c != "I003").collect()
}

#[test]
fn html_and_unicode_text_exports_give_the_findings_of_the_xlsx() {
    let d = tmp();
    let mut fx = Fixture {
        merged_header: true,
        ..Fixture::default()
    };
    fx.set(0, 5, V::from(-3)); // E101
    fx.set(1, 3, V::from(good_row(1)[1] + 20)); // E201
    fx.set(2, 9, V::T("无".into())); // E104
    fx.set(3, 12, V::Blank); // I101
    let xlsx = fx.save(d.path(), "兰山区.xlsx");
    let (grid, merges) = cells_of(&xlsx);
    assert!(!merges.is_empty(), "the fixture has a merged header");

    let html = as_html(&grid, &merges, "gbk");
    let (gbk, _, _) = encoding_rs::GBK.encode(&html);
    std::fs::write(d.path().join("兰山区-网页导出.xls"), &gbk).unwrap();
    std::fs::write(d.path().join("兰山区-网页.htm"), html.replace("charset=gbk", "charset=utf-8")).unwrap();
    std::fs::write(d.path().join("兰山区-网页导出2.xlsx"), html.replace("charset=gbk", "charset=utf-8")).unwrap();
    let tsv = as_tsv(&grid);
    std::fs::write(d.path().join("兰山区-Unicode文本.txt"), utf16le_with_bom(&tsv)).unwrap();
    std::fs::write(d.path().join("兰山区-文本另存.xls"), utf16le_with_bom(&tsv)).unwrap();
    let (gb, _, _) = encoding_rs::GB18030.encode(&tsv);
    std::fs::write(d.path().join("兰山区-文本.tsv"), &gb).unwrap();

    let (code, files) = batch(&[d.path()], &[]);
    assert_eq!(code, 1);
    let by_name = |n: &str| {
        files
            .iter()
            .find(|f| f["file"].as_str().unwrap().ends_with(n))
            .unwrap_or_else(|| panic!("{n} not listed"))
    };
    let want = findings_set(by_name("兰山区.xlsx"));
    for code in ["E101", "E201", "E104", "I101"] {
        assert!(want.iter().any(|(c, _)| c == code), "fixture lacks {code}: {want:?}");
    }
    for (name, format, mismatch) in [
        ("兰山区-网页导出.xls", "html", true),
        ("兰山区-网页.htm", "html", false),
        ("兰山区-网页导出2.xlsx", "html", true),
        ("兰山区-Unicode文本.txt", "tsv", false),
        ("兰山区-文本另存.xls", "tsv", true),
        ("兰山区-文本.tsv", "tsv", false),
    ] {
        let f = by_name(name);
        assert_eq!(f["format"], format, "{name}");
        assert_eq!(findings_set(f), want, "{name}: same cells, same codes as the xlsx");
        assert_eq!(f["region"], "371302", "{name}");
        let notes: Vec<String> = codes(f).into_iter().filter(|(c, _)| c == "I003").map(|(c, _)| c).collect();
        assert_eq!(!notes.is_empty(), mismatch, "{name}: I003 only when the extension is wrong");
    }
    let note = by_name("兰山区-网页导出.xls")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "I003")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(note.contains(".xls") && note.contains("网页"), "{note}");
}

#[test]
fn xlsb_reads_like_xlsx() {
    // Made by scripts/make-xlsb.py from the 沂南县 sample with its planted errors.
    let (_, xlsx) = validate_json(&root().join("sample-data/371321-沂南县-2026-10.xlsx"), &[]);
    let (code, xlsb) = validate_json(&root().join("tests/fixtures/371321-沂南县-2026-10.xlsb"), &[]);
    assert_eq!(code, 1);
    assert_eq!(xlsb["format"], "xlsb");
    let want = findings_set(&xlsx);
    assert!(want.iter().any(|(c, _)| c.starts_with('E')), "{want:?}");
    assert_eq!(findings_set(&xlsb), want);
}

#[test]
fn an_xlsx_renamed_xls_is_read_as_xlsx() {
    let d = tmp();
    let p = Fixture::default().save(d.path(), "兰山区.xlsx");
    std::fs::rename(&p, d.path().join("兰山区.xls")).unwrap();
    let (code, f) = validate_json(&d.path().join("兰山区.xls"), &[]);
    assert_eq!(code, 0, "{f:#}");
    assert_eq!(f["format"], "xlsx");
    assert!(has(&f, "I003", ""));
}

// ---------------------------------------------------------------- files that cannot be read

/// Every kind of file that must be rejected, each with its own reason, in one batch with a
/// good file; also a FIFO, a link to /dev/zero, a dangling link and a directory named like a
/// workbook. The batch finishes (exit 1, not 2) and lists every entry.
#[test]
fn hostile_batch_is_listed_file_by_file_with_plain_reasons() {
    let d = tmp();
    let dir = d.path().join("收件箱");
    std::fs::create_dir(&dir).unwrap();
    let good = Fixture::default().save(&dir, "00-兰山区.xlsx");
    let good_bytes = std::fs::read(&good).unwrap();
    let put = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();

    put("01-空文件.xlsx", b"");
    put("02-打印件.xlsx", b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n");
    put("03-截图.xls", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0");
    put("04-照片.xlsx", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1]);
    put("05-压缩包.xlsx", &zip_of(&[("兰山区.xlsx", &good_bytes), ("说明.txt", "见附件".as_bytes())]));
    put(
        "06-Word文档.xlsx",
        &zip_of(&[("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")]),
    );
    put("07-下载中断.xlsx", &good_bytes[..good_bytes.len() / 2]);
    let xls = std::fs::read(root().join("sample-data/371312-河东区-2026-10.xls")).unwrap();
    let mut damaged_xls = xls[..512].to_vec();
    damaged_xls.resize(xls.len(), 0xFF);
    put("08-损坏.xls", &damaged_xls);
    put(
        "09-损坏.ods",
        &zip_of(&[
            ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
            ("content.xml", b"<office:document-content><table:table"),
        ]),
    );
    std::fs::copy(root().join("tests/fixtures/encrypted-password.xlsx"), dir.join("10-加密.xlsx")).unwrap();
    std::fs::copy(root().join("tests/fixtures/encrypted-password.xls"), dir.join("11-加密.xls")).unwrap();
    put("12-大文件.csv", &vec![b'1'; 3 << 20]);
    put("13-未知.xlsx", &[0u8, 159, 146, 150, 0, 1, 2, 3, 250, 251]);
    put(
        "14-XML表格.xls",
        b"<?xml version=\"1.0\"?>\n<Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\"></Workbook>",
    );
    // A zip bomb: one part inflating to 24 MB (over the test's 8 MB entry limit), honest
    // sizes; and the same lying about its sizes, which inflating it finds out.
    let zeros = vec![b'0'; 24 << 20];
    let bomb = zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/workbook.xml", b"<workbook/>"),
        ("xl/worksheets/sheet1.xml", &zeros),
    ]);
    put("15-炸弹.xlsx", &bomb);
    put("16-说谎炸弹.xlsx", &lie_about_sizes(bomb.clone(), 1000));
    std::fs::create_dir(dir.join("17-文件夹.xlsx")).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/dev/zero", dir.join("18-设备链接.xlsx")).unwrap();
        std::os::unix::fs::symlink(dir.join("不存在.xlsx"), dir.join("19-断链.xlsx")).unwrap();
        let st = std::process::Command::new("mkfifo").arg(dir.join("20-管道.csv")).status().unwrap();
        assert!(st.success());
        std::os::unix::fs::symlink(&good, dir.join("21-好文件的链接.xlsx")).unwrap();
    }
    put("扫描件.pdf", b"%PDF-1.4 not listed: no spreadsheet extension");

    let run = yuebao(&["validate", s(&dir), "--format", "json", "--max-file-mb", "2", "--max-entry-mb", "8"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("扫描件.pdf"), "skipped files are named: {}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let files = doc["files"].as_array().unwrap();
    let listed: Vec<String> = files
        .iter()
        .map(|f| Path::new(f["file"].as_str().unwrap()).file_name().unwrap().to_string_lossy().to_string())
        .collect();
    let expect: &[(&str, &str, &str, &str)] = &[
        ("01-空文件.xlsx", "E006", "empty", "空文件"),
        ("02-打印件.xlsx", "E010", "not_spreadsheet:pdf", "PDF"),
        ("03-截图.xls", "E010", "not_spreadsheet:image", "图片"),
        ("04-照片.xlsx", "E010", "not_spreadsheet:image", "JPEG"),
        ("05-压缩包.xlsx", "E010", "not_spreadsheet:zip", "解压"),
        ("06-Word文档.xlsx", "E010", "not_spreadsheet:word", "Word"),
        ("07-下载中断.xlsx", "E011", "truncated", "不完整"),
        ("08-损坏.xls", "E011", "damaged", "已损坏"),
        ("09-损坏.ods", "E011", "damaged", "已损坏"),
        ("10-加密.xlsx", "E009", "encrypted", "密码"),
        ("11-加密.xls", "E009", "encrypted", "密码"),
        ("12-大文件.csv", "E007", "limit:file_size", "2 MB"),
        ("13-未知.xlsx", "E010", "not_spreadsheet:unknown", "无法识别"),
        ("14-XML表格.xls", "E010", "not_spreadsheet:excel2003_xml", "另存为 xlsx"),
        ("15-炸弹.xlsx", "E007", "limit:entry_inflated", "8 MB"),
        ("16-说谎炸弹.xlsx", "E011", "damaged", "已损坏"),
        ("17-文件夹.xlsx", "E008", "not_regular:directory", "文件夹"),
        ("18-设备链接.xlsx", "E008", "not_regular:device", "设备"),
        ("19-断链.xlsx", "E008", "dangling_link", "链接"),
        ("20-管道.csv", "E008", "not_regular:fifo", "管道"),
    ];
    for (name, code, reason, words) in expect {
        let f = files
            .iter()
            .zip(&listed)
            .find(|(_, l)| l == name)
            .map(|(f, _)| f)
            .unwrap_or_else(|| panic!("{name} not listed: {listed:?}"));
        let (c, r, m) = rejection(f);
        assert_eq!((c.as_str(), r.as_str()), (*code, *reason), "{name}: {m}");
        assert!(m.contains(words), "{name}: {m}");
        assert_plain_chinese(&m);
        assert!(f["file"].as_str().unwrap().starts_with(s(&dir)), "the path as given");
    }
    // The good file and the link to it are accepted; every other message is plain too.
    for name in ["00-兰山区.xlsx", "21-好文件的链接.xlsx"] {
        let f = files.iter().zip(&listed).find(|(_, l)| l.as_str() == name).map(|(f, _)| f).unwrap();
        assert_eq!(f["status"], "accepted", "{f:#}");
    }
    assert_eq!(files.len(), expect.len() + 2, "{listed:?}");
    for f in files {
        for x in f["findings"].as_array().unwrap() {
            assert_plain_chinese(x["message"].as_str().unwrap());
        }
    }
    // Library wording is kept for maintainers, apart from the message.
    let truncated = files.iter().zip(&listed).find(|(_, l)| l.as_str() == "07-下载中断.xlsx").unwrap().0;
    assert!(truncated["findings"][0]["detail"].as_str().is_some_and(|d| !d.is_empty()), "{truncated:#}");
}

#[test]
fn too_many_cells_and_a_too_long_cell_are_over_limits() {
    let d = tmp();
    let p = Fixture::default().save(d.path(), "兰山区.xlsx");
    let (code, f) = validate_json(&p, &["--max-cells", "50"]);
    assert_eq!(code, 1);
    let (c, r, m) = rejection(&f);
    assert_eq!((c.as_str(), r.as_str()), ("E007", "limit:cells"), "{m}");
    assert!(m.contains("50"), "{m}");
    let long = format!("兰山区,{}\n", "长".repeat(40_000));
    std::fs::write(d.path().join("长.csv"), long).unwrap();
    let (_, f) = validate_json(&d.path().join("长.csv"), &[]);
    assert_eq!(rejection(&f).1, "limit:cell_text");
}

#[test]
fn a_reader_that_asks_for_too_much_memory_costs_only_its_file() {
    // calamine asks for ~33 GB on this damaged .xls; the reading process's memory limit stops it.
    let d = tmp();
    std::fs::copy(root().join("tests/fixtures/corrupt-huge-dimension.xls"), d.path().join("1-坏.xls")).unwrap();
    std::fs::copy(root().join("sample-data/371312-河东区-2026-10.xls"), d.path().join("2-河东区.xls")).unwrap();
    let (code, files) = batch(&[d.path()], &[]);
    assert_eq!(code, 1);
    let (c, _, m) = rejection(&files[0]);
    assert!(["E007", "E011", "E001"].contains(&c.as_str()), "{c}: {m}");
    assert_plain_chinese(&m);
    assert_eq!(files[1]["status"], "accepted");
}

/// What counties really produce must still be accepted: a value in the last cell, a dimension
/// that claims the whole sheet, 150,000 stray cells, 300 sheets, a label of 32,767 characters.
#[test]
fn big_but_honest_workbooks_are_accepted() {
    let d = tmp();
    let mut fx = Fixture {
        extra_cells: vec![(1_048_575, 16_383, "x".into())],
        ..Fixture::default()
    };
    fx.rows[0].0 = format!("兰山街道{}", "长".repeat(32_767 - 4));
    let far = fx.save(d.path(), "1-远处与长名称.xlsx");

    // The same workbook claiming the whole sheet as its dimension.
    rewrite_parts(&far, &d.path().join("2-整表范围.xlsx"), |name, xml| {
        if name != "xl/worksheets/sheet1.xml" {
            return xml.to_string();
        }
        let start = xml.find("<dimension ref=\"").unwrap() + 16;
        let end = start + xml[start..].find('"').unwrap();
        format!("{}A1:XFD1048576{}", &xml[..start], &xml[end..])
    });

    // 150,000 stray cells right of and below the form (a pasted column, a forgotten range).
    let many = Fixture {
        extra_cells: (0..150_000u32).map(|i| (200 + i / 50, (i % 50) as u16 + 30, "·".to_string())).collect(),
        ..Fixture::default()
    };
    many.save(d.path(), "3-零散单元格.xlsx");

    let sheets = Fixture {
        sheets_before: (1..300).map(|i| format!("附表{i}")).collect(),
        ..Fixture::default()
    };
    sheets.save(d.path(), "4-三百张表.xlsx");

    let (code, files) = batch(&[d.path()], &[]);
    assert_eq!(files.len(), 4);
    for f in &files {
        assert_eq!(f["status"], "accepted", "{}", msg_of(f));
        assert!(!codes(f).iter().any(|(c, _)| c.starts_with('E')), "{f:#}");
    }
    assert_eq!(code, 0);
}

/// Inputs that coverage-guided fuzzing (`make fuzz`) found to panic calamine or make it ask for
/// gigabytes: each costs only itself, rejected with a plain reason (E001 for a reader that
/// broke down, E007 for one over the memory limit), and the batch goes on to a good file.
#[test]
fn fuzz_findings_cost_only_their_own_file() {
    let d = tmp();
    let dir = root().join("tests/fixtures/fuzz");
    let good = Fixture::default().save(d.path(), "兰山区.xlsx");
    let (code, files) = batch(&[&dir, &good], &[]);
    assert_eq!(code, 1);
    let found = std::fs::read_dir(&dir).unwrap().count();
    assert!(found >= 10, "{found}");
    assert_eq!(files.len(), found + 1);
    for f in &files[..found] {
        let (c, _, m) = rejection(f);
        assert!(c == "E001" || c == "E007", "{}: {c} {m}", f["file"]);
        assert_plain_chinese(&m);
    }
    assert_eq!(files[found]["status"], "accepted");
}

/// The readers are a pool of processes that each read many files: one that crashes (aborts) or
/// hangs in the middle of a parallel batch costs exactly the file it held. The test build makes
/// a reader abort or loop for the files named in `YUEBAO_TEST_READER_CRASH` / `_HANG`.
#[test]
fn a_reader_that_crashes_or_hangs_in_a_parallel_batch_costs_exactly_one_file() {
    let d = tmp();
    let dir = d.path().join("month");
    let run = yuebao(&["sample", "--period", "2026-10", "--region", "371300", "-o", dir.to_str().unwrap(), "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 12);
    // Files 5 and 9 of 12: each reader has served others by then.
    let (crash, hang) = (names[4].clone(), names[8].clone());
    let run = yuebao_env(
        d.path(),
        &["validate", "month", "--format", "json", "--max-seconds", "1", "-q"],
        &[("YUEBAO_TEST_READER_CRASH", &crash), ("YUEBAO_TEST_READER_HANG", &hang)],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let files = doc["files"].as_array().unwrap();
    // Every file in its place, in the order given.
    let shown: Vec<String> = files
        .iter()
        .map(|f| f["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(shown, names);
    for (name, f) in names.iter().zip(files) {
        let first = &f["findings"][0];
        if *name == crash {
            assert_eq!((f["status"].as_str(), first["code"].as_str()), (Some("rejected"), Some("E001")), "{f:#}");
            assert_eq!(first["values"]["reason"], "crashed");
            assert_plain_chinese(first["message"].as_str().unwrap());
        } else if *name == hang {
            assert_eq!((f["status"].as_str(), first["code"].as_str()), (Some("rejected"), Some("E007")), "{f:#}");
            assert_eq!(first["values"]["reason"], "limit:time");
        } else {
            assert_eq!(f["status"], "accepted", "{name}: {f:#}");
        }
    }
    // The readers of that batch are gone with it: none left behind in this test's name.
    let left = std::process::Command::new("pgrep").args(["-f", "yuebao-reader"]).output();
    if let Ok(out) = left {
        let pids = String::from_utf8_lossy(&out.stdout);
        for pid in pids.split_whitespace() {
            let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            assert!(!String::from_utf8_lossy(&env).contains(&hang), "reader {pid} of this batch is still running");
        }
    }
}
