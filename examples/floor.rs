//! The benchmark's floor (`scripts/bench.sh`): the least any tool must do for a month of county
//! workbooks, with the same libraries yuebao uses and no checks at all.
//!
//! `floor read DIR…` reads every cell of every sheet of every workbook with calamine.
//! `floor rollup OUT DIR…` does that, takes each file's last row of figures (its 合计) and
//! writes one workbook per city and one per province with rust_xlsxwriter, and one for the
//! nation when the files span several provinces: a row per county (or city, or province) with
//! its name and 21 figures, and a 合计 row — the data cells of yuebao's rollup, without the
//! form's header tree, notes and formats. A county's city is its code's first four digits, its
//! province the first two; the code is the first six digits of its file name, as `yuebao sample`
//! names them. (A municipality's districts or a province's directly administered counties make
//! a stand-in city here, so the floor writes a few more workbooks than yuebao does.)
//!
//! Files are read on every core (rayon), as yuebao reads them; `FLOOR_THREADS=1` for one.

use calamine::{Data, DataType, Reader, open_workbook_auto};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn files(dirs: &[String]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in dirs {
        let p = Path::new(d);
        if p.is_dir() {
            let mut here: Vec<PathBuf> = std::fs::read_dir(p)
                .expect("read dir")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "xlsx"))
                .collect();
            here.sort();
            out.extend(here);
        } else {
            out.push(p.to_path_buf());
        }
    }
    out
}

/// Every cell of every sheet read; the last row that holds 21 numbers, if any.
fn read(path: &Path) -> (usize, Option<Vec<f64>>) {
    let mut wb = open_workbook_auto(path).expect("open workbook");
    let mut cells = 0;
    let mut last = None;
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).expect("read sheet");
        for row in range.rows() {
            cells += row.iter().filter(|c| !matches!(c, Data::Empty)).count();
            let nums: Vec<f64> = row.iter().filter_map(|c| c.as_f64()).collect();
            if nums.len() >= 21 {
                last = Some(nums[nums.len() - 21..].to_vec());
            }
        }
    }
    (cells, last)
}

/// A table: a name and its 21 figures per row.
type Rows = Vec<(String, Vec<f64>)>;

fn write(path: &Path, rows: &Rows) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let mut total = [0.0; 21];
    for (r, (name, v)) in rows.iter().enumerate() {
        ws.write(r as u32, 0, name.as_str()).expect("write");
        for (c, x) in v.iter().enumerate() {
            ws.write(r as u32, c as u16 + 1, *x).expect("write");
            total[c] += x;
        }
    }
    let r = rows.len() as u32;
    ws.write(r, 0, "合计").expect("write");
    for (c, x) in total.iter().enumerate() {
        ws.write(r, c as u16 + 1, *x).expect("write");
    }
    wb.save(path).expect("save");
}

fn main() {
    if let Ok(n) = std::env::var("FLOOR_THREADS").unwrap_or_default().parse::<usize>() {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global().expect("threads");
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("read") => {
            let read: Vec<(usize, Option<Vec<f64>>)> = files(&args[1..]).par_iter().map(|p| read(p)).collect();
            println!("{} files, {} cells", read.len(), read.iter().map(|r| r.0).sum::<usize>());
        }
        Some("rollup") if args.len() > 2 => {
            let out = PathBuf::from(&args[1]);
            std::fs::create_dir_all(&out).expect("output dir");
            let inputs = files(&args[2..]);
            let read: Vec<(String, Option<Vec<f64>>)> = inputs
                .par_iter()
                .map(|p| {
                    let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                    (name.chars().take(6).collect(), read(p).1)
                })
                .collect();
            let mut cities: BTreeMap<String, Rows> = BTreeMap::new();
            for (code, total) in read {
                if let Some(t) = total {
                    cities.entry(code.chars().take(4).collect()).or_default().push((code, t));
                }
            }
            let sum = |rows: &Rows| -> Vec<f64> { (0..21).map(|k| rows.iter().map(|r| r.1[k]).sum()).collect() };
            let mut provinces: BTreeMap<String, Rows> = BTreeMap::new();
            for (city, rows) in &cities {
                provinces.entry(city[..2].to_string()).or_default().push((format!("{city}00"), sum(rows)));
            }
            let nation: Rows = provinces.iter().map(|(p, rows)| (format!("{p}0000"), sum(rows))).collect();
            let several = provinces.len() > 1;
            let mut books: Vec<(PathBuf, Rows)> = cities.into_iter().map(|(c, rows)| (out.join(format!("{c}00.xlsx")), rows)).collect();
            books.extend(provinces.into_iter().map(|(p, rows)| (out.join(format!("{p}0000.xlsx")), rows)));
            if several {
                books.push((out.join("nation.xlsx"), nation));
            }
            books.par_iter().for_each(|(p, rows)| write(p, rows));
            println!("{} workbooks", books.len());
        }
        _ => {
            eprintln!("usage: floor read DIR… | floor rollup OUT DIR…");
            std::process::exit(2);
        }
    }
}
