//! Synthetic but realistic county workbooks for demos, training and load tests: township names
//! and counts that obey the 栏目关系, the same column (1) every month, small month-over-month
//! changes, and on request a documented set of planted errors.
//!
//! Everything is a pure function of (seed, county code, period), so a county's file for a month
//! is the same whichever other counties or months are generated alongside it.

use crate::period::Period;
use crate::schema::form::ParentRef;
use crate::schema::{Form, Region, Schemas};
use crate::text::a1;
use crate::workbook::form::{FormDoc, FormRow, write_form};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_xlsxwriter::{Workbook, XlsxError};
use serde::Serialize;
use std::f64::consts::TAU;
use std::path::Path;

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 2016;

/// One county's sheet for one month.
#[derive(Debug, Clone)]
pub struct CountySheet {
    pub rows: Vec<(String, Vec<i64>)>,
    /// 单位负责人, 填表人, 联系电话, 填报日期.
    pub footer: Vec<String>,
}

/// A deliberate mistake put into a sample file, and the finding `validate` must give for it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Planted {
    pub file: String,
    pub sheet: String,
    pub cell: String,
    pub code: &'static str,
    pub what: String,
}

/// The kinds of planted error, in the order they are handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlantKind {
    /// A township's (3) made larger than its (2): E201.
    RuleBroken,
    /// A 合计 cell typed over its SUM with a wrong figure: E202.
    TotalMismatch,
    /// A negative count: E101.
    Negative,
    /// Words in a count cell: E104.
    Words,
    /// A fraction: E102.
    Fraction,
    /// Column (9) up 35% in every township: W401 against last month.
    Jump,
    /// The last township merged into the one before it: W402 against last month.
    Merged,
}

impl PlantKind {
    pub const ALL: [PlantKind; 5] = [
        PlantKind::RuleBroken,
        PlantKind::TotalMismatch,
        PlantKind::Negative,
        PlantKind::Words,
        PlantKind::Fraction,
    ];
}

impl PlantKind {
    /// The planted warnings, in the order they are handed out.
    pub const WARNINGS: [PlantKind; 2] = [PlantKind::Jump, PlantKind::Merged];
}

/// What a planted error types into its cell.
#[derive(Clone, Copy)]
enum Put {
    Number(f64),
    Text(&'static str),
}

/// Which counties get a planted error with `--with-errors`: every `PLANT_EVERY`-th county in
/// code order, starting with the `PLANT_OFFSET`-th; the kinds take turns.
pub const PLANT_EVERY: usize = 10;
pub const PLANT_OFFSET: usize = 3;

/// The planted error for the county at `index` (0-based, code order) among those generated.
pub fn plant_for(index: usize) -> Option<PlantKind> {
    (index % PLANT_EVERY == PLANT_OFFSET).then(|| PlantKind::ALL[(index / PLANT_EVERY) % PlantKind::ALL.len()])
}

/// Which counties get a planted warning with `--with-warnings`: every `PLANT_EVERY`-th county
/// starting with the `WARN_OFFSET`-th, never one that has a planted error.
pub const WARN_OFFSET: usize = 6;

/// The planted warning for the county at `index`, if any.
pub fn warning_for(index: usize) -> Option<PlantKind> {
    (index % PLANT_EVERY == WARN_OFFSET).then(|| PlantKind::WARNINGS[(index / PLANT_EVERY) % PlantKind::WARNINGS.len()])
}

fn rng_for(seed: u64, parts: &[u64]) -> ChaCha8Rng {
    // FNV-1a over the seed and the parts: a stable mix, independent of std's hasher. The seed
    // is hashed like a part: XORed into the start state it aliased with the first part's low
    // byte (seeds 0x1311 and 0x1312 gave the same townships in another order).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in std::iter::once(&seed).chain(parts) {
        for b in p.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    ChaCha8Rng::seed_from_u64(h)
}

fn code_number(code: &str) -> u64 {
    code.parse()
        .unwrap_or_else(|_| code.bytes().fold(0u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b))))
}

const STEMS: &[&str] = &[
    "东城", "西关", "南湖", "北园", "龙泉", "石桥", "柳林", "杨集", "李庄", "王村", "高峰", "青山", "白马", "大店", "新河", "马头", "朱陈", "汤庄", "双山",
    "官庄", "河阳", "岭南", "古城", "凤凰", "金山", "玉泉", "沙河", "桃园", "永安", "太平", "兴隆", "安乐", "三里", "五里", "梁山", "孟庄", "临河", "界牌",
    "张集", "刘家", "孙庄", "花园", "草埠", "铁山", "蒲湾", "尚庄", "苗家", "黄岭", "田村", "郭里", "崔庄", "明山", "泉头", "辛店", "红旗", "新城", "旧寨",
    "长城", "宝山", "桑园", "城关", "店子", "芦山", "大王", "牛山", "松林", "石门", "板桥", "文昌", "清河", "杏山", "邵庄", "韩村", "董家", "柏林", "宁阳",
];

fn township_names(rng: &mut ChaCha8Rng, county: &Region) -> Vec<String> {
    let n = rng.random_range(6..=18usize);
    let streets = if county.name.ends_with('区') {
        rng.random_range(3..=6usize)
    } else {
        rng.random_range(1..=2usize)
    };
    let mut stems: Vec<&str> = STEMS.to_vec();
    let (chosen, _) = stems.partial_shuffle(rng, n);
    let chosen: Vec<&str> = chosen.to_vec();
    chosen
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let suffix = if i < streets {
                "街道"
            } else if rng.random_range(0..7u32) == 0 {
                "乡"
            } else {
                "镇"
            };
            format!("{s}{suffix}")
        })
        .collect()
}

/// The column a column's count is a share of: the nearest column above it in the header tree.
fn parent_column(form: &Form, no: usize) -> Option<usize> {
    let mut cur = form.columns[no - 1].parent.clone();
    while let Some(p) = cur {
        match p {
            ParentRef::Column(n) => return Some(n),
            ParentRef::Group(g) => cur = form.groups.iter().find(|x| x.id == g).and_then(|x| x.parent.clone()),
        }
    }
    None
}

/// Months since 2016-01, the first period of the form.
/// The month the schema's `sample` share ranges describe; other months drift from it.
const REFERENCE_MONTH: Period = Period { year: 2026, month: 10 };

fn month_index(p: Period) -> f64 {
    f64::from((p.year - 2016) * 12 + p.month as i32 - 1)
}

/// One township's counts for `period`. Column shares come from the schema's `sample` ranges;
/// each drifts on a yearly cycle of a few per cent, so consecutive months differ a little, and
/// on a slow trend, so the same month of two years differs too.
/// Root columns (no parent) draw a fixed count, so column (1) never changes.
fn township_values(form: &Form, rng: &mut ChaCha8Rng, period: Period) -> Vec<i64> {
    let width = form.width();
    let t = month_index(period);
    let mut order: Vec<usize> = (1..=width).collect();
    order.sort_by_key(|&no| form.header_path(no).map(|p| p.len()).unwrap_or(0));
    // Draw every column's parameters first so that they do not depend on the period.
    let params: Vec<(f64, f64, f64)> = (1..=width)
        .map(|no| {
            let [lo, hi] = form.columns[no - 1]
                .sample
                .unwrap_or(if parent_column(form, no).is_some() { [0.05, 0.3] } else { [0.0, 50.0] });
            (rng.random_range(lo..=hi), rng.random_range(0.0..TAU), hi)
        })
        .collect();
    let mut v = vec![0i64; width];
    for no in order {
        let (base, phase, hi) = params[no - 1];
        v[no - 1] = match parent_column(form, no) {
            Some(p) => {
                // A slow trend of up to ±3% a year, so that one December differs from the last;
                // it is zero at the reference month, which keeps the committed demo month as it is.
                let years = (t - month_index(REFERENCE_MONTH)) / 12.0;
                let trend = 1.0 + 0.03 * (phase * 3.7).sin() * years;
                let share = (base * trend * (1.0 + 0.03 * (TAU * t / 12.0 + phase).sin())).clamp(0.0, hi.min(1.0));
                (v[p - 1] as f64 * share).round() as i64
            }
            None => base.round() as i64,
        };
    }
    enforce_rules(form, &mut v);
    v
}

/// Pulls a value down to its bound wherever a rule of the form `(a) ≥ (b)` would fail, so a
/// schema whose rules go beyond the header tree still gets clean samples.
fn enforce_rules(form: &Form, v: &mut [i64]) {
    use crate::schema::relation::Op;
    for _ in 0..form.rules.len() + 1 {
        let mut changed = false;
        for rule in &form.rules {
            if rule.check(v).is_none() {
                continue;
            }
            match (rule.lhs.single_column(), rule.rhs.single_column(), rule.op) {
                (Some(a), Some(b), Op::Ge | Op::Gt) => v[b - 1] = (v[a - 1] - i64::from(rule.op == Op::Gt)).max(0),
                (Some(a), Some(b), Op::Le | Op::Lt) => v[a - 1] = (v[b - 1] - i64::from(rule.op == Op::Lt)).max(0),
                (Some(a), Some(b), Op::Eq) => v[b - 1] = v[a - 1],
                _ => continue,
            }
            changed = true;
        }
        if !changed {
            break;
        }
    }
}

/// One township's counts for `period`, keyed by anything stable (its position, say): the same
/// key and seed give the same column (1) every month.
pub fn township(form: &Form, seed: u64, key: u64, period: Period) -> Vec<i64> {
    township_values(form, &mut rng_for(seed, &[key]), period)
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗",
];
const GIVEN: &[&str] = &[
    "建国", "丽", "伟", "娜", "强", "敏", "静", "磊", "洋", "艳", "军", "杰", "涛", "明", "超", "霞", "平", "刚", "华", "玲",
];

fn person(rng: &mut ChaCha8Rng) -> String {
    format!("{}{}", SURNAMES[rng.random_range(0..SURNAMES.len())], GIVEN[rng.random_range(0..GIVEN.len())])
}

/// The sheet county `county` would file for `period`.
pub fn county_sheet(form: &Form, seed: u64, county: &Region, period: Period) -> CountySheet {
    let code = code_number(&county.code);
    let mut names_rng = rng_for(seed, &[code, 0]);
    let names = township_names(&mut names_rng, county);
    let rows = names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let mut rng = rng_for(seed, &[code, 1, i as u64]);
            let values = township_values(form, &mut rng, period);
            (name, values)
        })
        .collect();
    let mut people = rng_for(seed, &[code, 2]);
    let head = person(&mut people);
    let clerk = person(&mut people);
    let phone = format!("1{}{:09}", [3, 5, 8][people.random_range(0..3usize)], people.random_range(0..1_000_000_000u64));
    let mut day_rng = rng_for(seed, &[code, 3, month_index(period) as u64]);
    let next = period.next();
    let filed = format!("{}年{}月{}日", next.year, next.month, day_rng.random_range(1..=4u32));
    CountySheet {
        rows,
        footer: vec![head, clerk, phone, filed],
    }
}

/// Writes county `county`'s workbook for `period` to `path`, with the planted error `plant` if
/// any, and returns what was planted.
pub fn write_county(
    schemas: &Schemas,
    seed: u64,
    county: &Region,
    period: Period,
    plant: Option<PlantKind>,
    path: &Path,
) -> Result<Option<Planted>, XlsxError> {
    let form = schemas.form();
    let mut sheet = county_sheet(form, seed, county, period);
    let mut rng = rng_for(seed, &[code_number(&county.code), 4, month_index(period) as u64]);
    let target = rng.random_range(0..sheet.rows.len());
    // (3) made larger than (2) goes into the values, so the 合计's cached sum stays consistent
    // and the only finding is the broken rule.
    if plant == Some(PlantKind::RuleBroken) {
        let v = &mut sheet.rows[target].1;
        v[2] = v[1] + rng.random_range(3..40);
    }
    // The warnings change the figures themselves, keeping every rule and column (1)'s total.
    let mut merged = None;
    match plant {
        Some(PlantKind::Jump) => {
            for (_, v) in &mut sheet.rows {
                v[8] = ((v[8] as f64 * 1.35).round() as i64).min(v[2]);
            }
        }
        Some(PlantKind::Merged) if sheet.rows.len() > 1 => {
            let (gone, values) = sheet.rows.pop().expect("more than one row");
            let into = sheet.rows.last_mut().expect("at least one row left");
            for (a, b) in into.1.iter_mut().zip(values) {
                *a += b;
            }
            merged = Some((gone, into.0.clone()));
        }
        _ => {}
    }
    let target = target.min(sheet.rows.len() - 1);
    let mut doc = FormDoc::for_region(schemas, county, period);
    doc.rows = sheet.rows.iter().map(|(n, v)| FormRow::filled(n.clone(), v)).collect();
    doc.footer = sheet.footer.clone();
    doc.input_validation = true;
    let mut wb = Workbook::new();
    let sheet_name = period.label();
    let ws = wb.add_worksheet().set_name(&sheet_name)?;
    let layout = write_form(ws, form, &doc)?;
    let cell_of = |row: u32, no: usize| (row, layout.first_value_col + no as u16 - 1);
    let township_row = layout.first_data_row + target as u32;
    let planted = plant.map(|kind| {
        let (name, values) = &sheet.rows[target];
        let sum5: i64 = sheet.rows.iter().map(|(_, v)| v[4]).sum();
        match kind {
            PlantKind::RuleBroken => (
                cell_of(township_row, 3),
                "E201",
                format!("{name}第(3)栏 {} 大于第(2)栏 {}", values[2], values[1]),
                None,
            ),
            PlantKind::TotalMismatch => (
                cell_of(layout.total_row.unwrap_or(township_row), 5),
                "E202",
                format!("合计第(5)栏填为 {}，各行之和为 {sum5}", sum5 + 37),
                Some(Put::Number((sum5 + 37) as f64)),
            ),
            PlantKind::Negative => (cell_of(township_row, 20), "E101", format!("{name}第(20)栏填为 -3"), Some(Put::Number(-3.0))),
            PlantKind::Words => (cell_of(township_row, 6), "E104", format!("{name}第(6)栏填为“不详”"), Some(Put::Text("不详"))),
            PlantKind::Fraction => (cell_of(township_row, 9), "E102", format!("{name}第(9)栏填为 12.5"), Some(Put::Number(12.5))),
            PlantKind::Jump => (
                cell_of(layout.total_row.unwrap_or(township_row), 9),
                "W401",
                "各乡镇第(9)栏比正常多 35%（与上月比较时提示）".to_string(),
                None,
            ),
            PlantKind::Merged => {
                let (gone, into) = merged.clone().unwrap_or_default();
                (
                    cell_of(layout.total_row.unwrap_or(township_row), 0),
                    "W402",
                    format!("“{gone}”并入“{into}”，本月少一行（与上月比较时提示）"),
                    None,
                )
            }
        }
    });
    // Typed over what the writer put there, as a person would.
    if let Some(&((r, c), _, _, Some(put))) = planted.as_ref() {
        match put {
            Put::Number(n) => ws.write_number(r, c, n)?,
            Put::Text(t) => ws.write_string(r, c, t)?,
        };
    }
    wb.save(path)?;
    Ok(planted.map(|((r, c), code, what, _)| Planted {
        file: path.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default(),
        sheet: sheet_name.clone(),
        cell: a1(r, u32::from(c)),
        code,
        what,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schemas;

    fn schemas() -> Schemas {
        Schemas::embedded().unwrap()
    }

    /// Seeds once XORed into the hash's start state and aliased with a key's low byte: seeds
    /// 0x1311 and 0x1312 gave the same eight townships in another order.
    #[test]
    fn nearby_seeds_give_different_townships() {
        let s = schemas();
        let p = Period::new(2026, 10).unwrap();
        let set = |seed: u64| {
            let mut rows: Vec<Vec<i64>> = (0..8).map(|k| township(s.form(), seed, k, p)).collect();
            rows.sort();
            rows
        };
        assert_ne!(set(0x1311), set(0x1312));
        assert_eq!(set(0x1311), set(0x1311));
    }

    #[test]
    fn rows_obey_every_rule_in_every_month() {
        let s = schemas();
        let form = s.form();
        for county in s.regions.all().iter().filter(|r| r.level == crate::schema::regions::Level::County).take(40) {
            for m in 1..=12 {
                let sheet = county_sheet(form, 7, county, Period::new(2025, m).unwrap());
                for (name, v) in &sheet.rows {
                    for rule in &form.rules {
                        assert!(rule.check(v).is_none(), "{} {name} {m}月 违反 {rule}: {v:?}", county.name);
                    }
                    assert!(v.iter().all(|x| *x >= 0));
                }
            }
        }
    }

    #[test]
    fn column_one_is_fixed_and_months_move_a_little() {
        let s = schemas();
        let form = s.form();
        let county = s.regions.get("371302").unwrap();
        let a = county_sheet(form, 1, county, Period::new(2026, 9).unwrap());
        let b = county_sheet(form, 1, county, Period::new(2026, 10).unwrap());
        assert_eq!(a.rows.len(), b.rows.len());
        for ((na, va), (nb, vb)) in a.rows.iter().zip(&b.rows) {
            assert_eq!(na, nb);
            assert_eq!(va[0], vb[0], "第(1)栏逐月不变");
            for k in 1..va.len() {
                let (x, y) = (va[k] as f64, vb[k] as f64);
                assert!((x - y).abs() <= 2.0 + 0.08 * x.max(y), "第({})栏 {x} → {y} 变化过大", k + 1);
            }
        }
        assert_ne!(a.rows, b.rows, "相邻两月不应完全相同");
    }

    #[test]
    fn the_same_month_a_year_apart_differs_by_a_trend() {
        let s = schemas();
        let form = s.form();
        let county = s.regions.get("371302").unwrap();
        let total = |y: i32| -> Vec<i64> {
            let sheet = county_sheet(form, 1, county, Period::new(y, 12).unwrap());
            (0..form.width()).map(|k| sheet.rows.iter().map(|(_, v)| v[k]).sum()).collect()
        };
        let (a, b) = (total(2024), total(2025));
        assert_eq!(a[0], b[0], "第(1)栏不变");
        let moved = (1..a.len()).filter(|&k| a[k] != b[k]).count();
        assert!(moved >= form.width() / 2, "同比应有变化：{a:?} → {b:?}");
        for k in 1..a.len() {
            let (x, y) = (a[k] as f64, b[k] as f64);
            assert!((x - y).abs() <= 5.0 + 0.08 * x.max(y), "第({})栏 {x} → {y} 一年变化过大", k + 1);
        }
    }

    #[test]
    fn same_seed_same_sheet_other_seed_other_sheet() {
        let s = schemas();
        let form = s.form();
        let county = s.regions.get("371321").unwrap();
        let p = Period::new(2026, 10).unwrap();
        assert_eq!(county_sheet(form, 5, county, p).rows, county_sheet(form, 5, county, p).rows);
        assert_ne!(county_sheet(form, 5, county, p).rows, county_sheet(form, 6, county, p).rows);
    }

    #[test]
    fn plants_cycle_through_kinds() {
        let planted: Vec<PlantKind> = (0..60).filter_map(plant_for).collect();
        assert_eq!(planted.len(), 6);
        assert_eq!(planted[..5], PlantKind::ALL);
        assert_eq!(planted[5], PlantKind::RuleBroken);
    }
}
