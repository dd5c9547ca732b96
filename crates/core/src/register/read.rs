//! A county's register as counties keep it: one row per person, columns found by their headings
//! (one heading row, or two where a field's options stand under it as checkbox columns), every
//! row checked with stable codes and Chinese messages naming the cell.

use super::idcard::{self, IdError};
use super::{Field, Kind, Register, keys};
use crate::finding::{Code, Finding};
use crate::ingest::{Book, Cell, Grid, Value as CellValue};
use crate::schema::Region;
use crate::text::halfwidth;
use chrono::NaiveDate;
use std::borrow::Cow;
use std::collections::HashMap;

/// A field's value on one card.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Date(NaiveDate),
    /// The chosen options of a choice or multi field, as bits.
    Set(u32),
    Yes(bool),
}

/// One person's card as read.
#[derive(Debug, Clone, Default)]
pub struct Card {
    /// 0-based row of the sheet.
    pub row: u32,
    /// One value per field of the register, in the schema's order.
    pub values: Vec<Value>,
    /// From a valid 身份证号码.
    pub birth: Option<NaiveDate>,
    pub male: Option<bool>,
}

impl Card {
    pub fn text(&self, i: usize) -> &str {
        match &self.values[i] {
            Value::Text(s) => s,
            _ => "",
        }
    }

    pub fn date(&self, i: usize) -> Option<NaiveDate> {
        match self.values[i] {
            Value::Date(d) => Some(d),
            _ => None,
        }
    }

    pub fn set(&self, i: usize) -> u32 {
        match self.values[i] {
            Value::Set(s) => s,
            _ => 0,
        }
    }

    pub fn yes(&self, i: usize) -> bool {
        matches!(self.values[i], Value::Yes(true))
    }
}

/// Where a field was found: a column of its own, or one column per option.
#[derive(Debug, Clone)]
enum Place {
    Column(u32),
    Options(Vec<(u32, u32)>),
}

/// A register sheet as read.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub sheet: String,
    pub cards: Vec<Card>,
    pub findings: Vec<Finding>,
}

impl Sheet {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == crate::finding::Severity::Error)
    }
}

/// What the reader checks against.
pub struct Expect<'a> {
    /// The county the register belongs to.
    pub county: &'a Region,
    /// Its townships, where known (from its sheets); None leaves the township unchecked.
    pub townships: Option<&'a [String]>,
    /// The day the register is read: birth dates after it are wrong, and 人员类别 is compared
    /// with the age on it.
    pub today: NaiveDate,
}

/// Text compared without spaces, with half-width brackets and digits.
pub fn norm(s: &str) -> String {
    s.chars().map(halfwidth).filter(|c| !c.is_whitespace() && *c != '\u{3000}').collect()
}

/// [`norm`], borrowed when the text is already so (as most cells are).
fn norm_cow(s: &str) -> Cow<'_, str> {
    if s.chars().all(|c| halfwidth(c) == c && !c.is_whitespace()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(norm(s))
    }
}

/// The option's text before its bracket: `外出务工（县外）` → `外出务工`.
fn short(option: &str) -> Option<String> {
    let n = norm(option);
    let s: String = n.split('(').next().unwrap_or("").to_string();
    (s != n && s.chars().count() >= 2).then_some(s)
}

const YES: &[&str] = &["✓", "√", "✔", "☑", "■", "是", "1", "Y", "YES", "有", "TRUE", "○", "●"];
const NO: &[&str] = &["否", "0", "×", "✗", "✘", "□", "☐", "N", "NO", "无", "FALSE", "-", "/"];

fn yes_no(text: &str) -> Option<bool> {
    let n = norm_cow(text);
    let t = if n.chars().any(char::is_lowercase) { Cow::Owned(n.to_uppercase()) } else { n };
    if t.is_empty() || NO.contains(&&*t) {
        Some(false)
    } else if YES.contains(&&*t) {
        Some(true)
    } else {
        None
    }
}

/// Reads the register in `book` (the first sheet that has its headings).
pub fn read_register(book: &Book, file: &str, reg: &Register, expect: &Expect<'_>) -> Sheet {
    for grid in &book.sheets {
        if let Some((data_from, places)) = headings(grid, reg) {
            return read_sheet(grid, file, reg, expect, data_from, places);
        }
    }
    let needed: Vec<&str> = reg.fields.iter().filter(|f| f.required).map(|f| f.key.as_str()).collect();
    Sheet {
        sheet: book.sheets.first().map(|g| g.name.clone()).unwrap_or_default(),
        cards: Vec::new(),
        findings: vec![Finding::new(
            Code::RegisterNoHeadings,
            file,
            format!("没有找到台账的表头：表头行须有 {} 等栏目（每人一行）", needed.join("、")),
        )],
    }
}

/// Finds the heading rows: the row naming the most fields (at least the 身份证号码 and two
/// others among the first 30 rows), and under it, where present, a row of options.
fn headings(grid: &Grid, reg: &Register) -> Option<(u32, Vec<Option<Place>>)> {
    let names: HashMap<String, usize> = reg.fields.iter().enumerate().flat_map(|(i, f)| f.names().map(move |n| (norm(n), i))).collect();
    let id = reg.index(keys::ID)?;
    let mut best: Option<(u32, usize)> = None;
    for r in grid.rows().take_while(|r| *r < 30) {
        let hits: Vec<usize> = grid.row(r).filter_map(|(_, c)| names.get(&norm(&c.text())).copied()).collect();
        if hits.contains(&id) && hits.len() >= 3 && best.is_none_or(|(_, n)| hits.len() > n) {
            best = Some((r, hits.len()));
        }
    }
    let (top, _) = best?;
    let below = top + 1;
    // A second heading row leaves the cell under 身份证号码 empty (the heading spans both rows);
    // under a single heading row that cell is the first person's number.
    let id_col = grid.row(top).find(|(_, c)| names.get(&norm(&c.text())) == Some(&id)).map(|(col, _)| col);
    let may_have_second = id_col.is_some_and(|c| grid.get(below, c).is_none_or(Cell::is_blank));
    let mut places: Vec<Option<Place>> = vec![None; reg.fields.len()];
    // The field each column of the top row names, carried right over a merged heading's span.
    let mut current: Option<usize> = None;
    let mut two_rows = false;
    let last = grid.last_col();
    for col in 0..=last {
        let upper = grid.get(top, col).map(Cell::text).unwrap_or_default();
        let lower = if may_have_second {
            grid.get(below, col).map(Cell::text).unwrap_or_default()
        } else {
            String::new()
        };
        if !upper.is_empty() {
            current = names.get(&norm(&upper)).copied();
        }
        // A field named in the lower row (户籍地址 over 市 / 县（区） / …).
        if let Some(&i) = names.get(&norm(&lower))
            && places[i].is_none()
        {
            places[i] = Some(Place::Column(col));
            two_rows = true;
            continue;
        }
        if let Some(i) = current {
            let f = &reg.fields[i];
            if matches!(f.kind, Kind::Choice | Kind::Multi)
                && !lower.is_empty()
                && let Some(bit) = option_bit(f, &lower)
            {
                two_rows = true;
                match &mut places[i] {
                    Some(Place::Options(v)) => v.push((col, bit)),
                    _ => places[i] = Some(Place::Options(vec![(col, bit)])),
                }
                continue;
            }
            if !upper.is_empty() && places[i].is_none() {
                places[i] = Some(Place::Column(col));
            }
        }
    }
    Some((if two_rows { below + 1 } else { below }, places))
}

/// The option a checkbox column's heading names.
fn option_bit(f: &Field, heading: &str) -> Option<u32> {
    let h = norm(heading);
    f.options.iter().position(|o| norm(o) == h || short(o).is_some_and(|s| s == h)).map(|i| 1 << i)
}

/// A field's options prepared once for reading many cells: normalised, longest first, with
/// their texts before the bracket.
struct Matcher {
    full: Vec<(u32, String)>,
    short: Vec<(u32, String)>,
    /// No option holds a separator, so a cell listing whole options (`已参保、居民基本养老保险`)
    /// can be read token by token.
    by_token: bool,
}

/// What separates the options written in one cell.
const SEPARATORS: [char; 8] = ['、', ',', '，', ';', '；', '/', '|', '+'];

impl Matcher {
    fn of(f: &Field) -> Matcher {
        let mut full: Vec<(u32, String)> = f.options.iter().enumerate().map(|(i, o)| (1 << i, norm(o))).collect();
        full.sort_by_key(|(_, o)| std::cmp::Reverse(o.chars().count()));
        let short = f.options.iter().enumerate().filter_map(|(i, o)| short(o).map(|s| (1 << i, s))).collect();
        let by_token = !full.iter().any(|(_, o)| o.contains(SEPARATORS));
        Matcher { full, short, by_token }
    }
}

/// The options written in one cell of a field's own column, or the text that is none of them.
fn options_in(f: &Field, m: &Matcher, text: &str) -> Result<u32, String> {
    let normed = norm_cow(text);
    // The usual cell is exactly one option.
    if let Some((bit, _)) = m.full.iter().find(|(_, o)| *o == normed) {
        return Ok(*bit);
    }
    // Whole options, each between separators: the bits of each.
    if m.by_token {
        let mut set = 0u32;
        let whole = normed
            .split(SEPARATORS)
            .filter(|t| !t.is_empty())
            .all(|t| match m.full.iter().find(|(_, o)| o == t) {
                Some((bit, _)) => {
                    set |= bit;
                    true
                }
                None => false,
            });
        if whole {
            return Ok(set);
        }
    }
    let mut rest = normed.into_owned();
    let mut set = 0u32;
    for (bit, o) in m.full.iter().chain(&m.short) {
        if rest.contains(o.as_str()) {
            set |= bit;
            rest = rest.replace(o.as_str(), "、");
        }
    }
    for token in rest.split(SEPARATORS).filter(|t| !t.is_empty()) {
        if let Some((o, _)) = f.keywords.iter().find(|(_, ks)| ks.iter().any(|k| token.contains(k.as_str()))) {
            set |= f.bit(o).unwrap_or(0);
        } else if let Some(o) = &f.fallback {
            set |= f.bit(o).unwrap_or(0);
        } else {
            return Err(token.to_string());
        }
    }
    Ok(set)
}

/// A date as counties write it: an Excel date, 2015-10-08, 2015/10/8, 2015.10.8, 2015年10月8日,
/// 20151008.
pub fn parse_date(v: &CellValue) -> Option<NaiveDate> {
    match v {
        CellValue::Number(n) if n.fract() == 0.0 && (19_000_101.0..=29_991_231.0).contains(n) => {
            let n = *n as i64;
            NaiveDate::from_ymd_opt((n / 10000) as i32, (n / 100 % 100) as u32, (n % 100) as u32)
        }
        // An Excel serial day (1900 date system) that lost its date format.
        CellValue::Number(n) if (1.0..=2_958_465.0).contains(n) => {
            NaiveDate::from_ymd_opt(1899, 12, 30).and_then(|d| d.checked_add_days(chrono::Days::new(n.trunc() as u64)))
        }
        CellValue::Date(s) => date_text(s),
        CellValue::Text(s) => date_text(s),
        _ => None,
    }
}

fn date_text(s: &str) -> Option<NaiveDate> {
    let t = norm(s);
    let digits: Vec<u32> = t
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .take(3)
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    match digits.as_slice() {
        [ymd] if (19_000_101..=29_991_231).contains(ymd) => NaiveDate::from_ymd_opt((ymd / 10000) as i32, ymd / 100 % 100, ymd % 100),
        [y, m, d] if *y >= 1900 => NaiveDate::from_ymd_opt(*y as i32, *m, *d),
        _ => None,
    }
}

fn is_phone(text: &str) -> bool {
    let d: String = norm(text).chars().filter(|c| *c != '-').collect();
    d.chars().all(|c| c.is_ascii_digit())
        && ((d.len() == 11 && d.starts_with('1')) || ((10..=12).contains(&d.len()) && d.starts_with('0')) || (7..=8).contains(&d.len()))
}

fn read_sheet(grid: &Grid, file: &str, reg: &Register, expect: &Expect<'_>, data_from: u32, places: Vec<Option<Place>>) -> Sheet {
    let sheet = grid.name.clone();
    let mut findings = Vec::new();
    let at = |code: Code, pos: (u32, u32), msg: String| Finding::new(code, file, msg).at(&sheet, pos);
    for (i, f) in reg.fields.iter().enumerate() {
        if f.required && places[i].is_none() {
            findings.push(
                Finding::new(Code::RegisterNoHeadings, file, format!("台账缺少“{}”栏（必填）", f.key))
                    .in_sheet(&sheet)
                    .value("字段", f.key.clone()),
            );
        }
    }
    if !findings.is_empty() {
        return Sheet {
            sheet,
            cards: Vec::new(),
            findings,
        };
    }
    let ix = |k: &str| reg.index(k).expect("the schema has the fields the program relies on");
    let (id_ix, town_ix, county_ix, sex_ix) = (ix(keys::ID), ix(keys::TOWNSHIP), reg.index(keys::COUNTY), reg.index(keys::SEX));
    let townships: Option<Vec<String>> = expect.townships.map(|t| t.iter().map(|s| norm(s)).collect());
    let county_names = county_names(expect.county);
    let matchers: Vec<Matcher> = reg.fields.iter().map(Matcher::of).collect();
    let mut cards = Vec::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    // Each row's cells by column, filled once per row.
    let width = places
        .iter()
        .flatten()
        .flat_map(|p| match p {
            Place::Column(c) => vec![*c],
            Place::Options(v) => v.iter().map(|(c, _)| *c).collect(),
        })
        .max()
        .map_or(0, |c| c as usize + 1);
    let mut by_col: Vec<Option<&Cell>> = vec![None; width];
    for (row, in_row) in grid.rows_from(data_from) {
        by_col.fill(None);
        for (col, c) in in_row {
            if let Some(slot) = by_col.get_mut(col as usize) {
                *slot = Some(c);
            }
        }
        let by_col = &by_col;
        let cell = |col: u32| by_col.get(col as usize).copied().flatten();
        let blank = places.iter().flatten().all(|p| match p {
            Place::Column(c) => cell(*c).is_none_or(Cell::is_blank),
            Place::Options(v) => v.iter().all(|(c, _)| cell(*c).is_none_or(Cell::is_blank)),
        });
        if blank {
            continue;
        }
        let mut values = Vec::with_capacity(reg.fields.len());
        // Fields whose cell was written but could not be read (said once, not again as missing).
        let mut bad = vec![false; reg.fields.len()];
        for (i, f) in reg.fields.iter().enumerate() {
            let v = match &places[i] {
                None => Value::Empty,
                Some(Place::Options(cols)) => {
                    let mut set = 0;
                    for (c, bit) in cols {
                        let text = cell(*c).map(Cell::text_ref).unwrap_or_default();
                        match yes_no(&text) {
                            Some(true) => set |= bit,
                            Some(false) => {}
                            None => {
                                findings.push(
                                    at(
                                        Code::RegisterNotAllowed,
                                        (row, *c),
                                        format!("“{}”栏的勾选格应写 ✓、√、是 或 1（不选则留空），而不是“{text}”", f.key),
                                    )
                                    .value("字段", f.key.clone()),
                                );
                            }
                        }
                    }
                    Value::Set(set)
                }
                Some(Place::Column(c)) => {
                    let pos = (row, *c);
                    let raw = cell(*c);
                    let text = raw.map(Cell::text_ref).unwrap_or_default();
                    if text.is_empty() {
                        Value::Empty
                    } else {
                        match f.kind {
                            Kind::Text | Kind::Phone => Value::Text(text.trim().to_string()),
                            Kind::Id => Value::Text(idcard::clean(&text)),
                            Kind::Date => match raw.and_then(|c| parse_date(&c.value)) {
                                Some(d) => Value::Date(d),
                                None => {
                                    findings.push(at(
                                        Code::RegisterBadDate,
                                        pos,
                                        format!("“{}”不是可识别的日期：“{text}”（写作 2015-10-08）", f.key),
                                    ));
                                    bad[i] = true;
                                    Value::Empty
                                }
                            },
                            Kind::Yesno => match yes_no(&text) {
                                Some(b) => Value::Yes(b),
                                None => {
                                    findings.push(at(
                                        Code::RegisterNotAllowed,
                                        pos,
                                        format!("“{}”应写 是 或 否（✓、√、1 也可），而不是“{text}”", f.key),
                                    ));
                                    bad[i] = true;
                                    Value::Empty
                                }
                            },
                            Kind::Choice | Kind::Multi => match options_in(f, &matchers[i], &text) {
                                Ok(set) => Value::Set(set),
                                Err(token) => {
                                    findings.push(at(
                                        Code::RegisterNotAllowed,
                                        pos,
                                        format!("“{}”不能填“{token}”：可选 {}", f.key, f.options.join("、")),
                                    ));
                                    bad[i] = true;
                                    Value::Empty
                                }
                            },
                        }
                    }
                }
            };
            values.push(v);
        }
        let place = |i: usize| match &places[i] {
            Some(Place::Column(c)) => *c,
            Some(Place::Options(v)) => v.first().map(|(c, _)| *c).unwrap_or(0),
            None => 0,
        };
        let mut card = Card {
            row,
            values,
            birth: None,
            male: None,
        };
        // Choices: one for a choice field, none of an exclusive group together, implied options added.
        for (i, f) in reg.fields.iter().enumerate() {
            let Value::Set(mut set) = card.values[i] else { continue };
            for (o, implied) in &f.implies {
                if set & f.bit(o).unwrap_or(0) != 0 {
                    set |= f.bit(implied).unwrap_or(0);
                }
            }
            card.values[i] = Value::Set(set);
            let chosen = |g: &[String]| g.iter().filter(|o| set & f.bit(o).unwrap_or(0) != 0).cloned().collect::<Vec<_>>();
            let clash = if f.kind == Kind::Choice && set.count_ones() > 1 {
                Some(chosen(&f.options))
            } else {
                f.exclusive.iter().map(|g| chosen(g)).find(|c| c.len() > 1)
            };
            if let Some(c) = clash {
                findings.push(at(
                    Code::RegisterExclusive,
                    (row, place(i)),
                    format!("“{}”不能同时选择 {}", f.key, c.join(" 和 ")),
                ));
            }
        }
        for (i, f) in reg.fields.iter().enumerate() {
            if f.required && matches!(card.values[i], Value::Empty) && !bad[i] {
                findings.push(at(Code::RegisterMissing, (row, place(i)), format!("“{}”未填写（必填）", f.key)));
            }
        }
        let id = card.text(id_ix).to_string();
        if !id.is_empty() {
            let pos = (row, place(id_ix));
            match idcard::check(&id, expect.today) {
                Ok(info) => {
                    card.birth = Some(info.birth);
                    card.male = Some(info.male);
                    if let Some(first) = seen.get(&id) {
                        findings.push(at(
                            Code::RegisterDuplicate,
                            pos,
                            format!("身份证号码 {} 与第 {} 行重复：一人只能有一张卡", idcard::mask(&id), first + 1),
                        ));
                    } else {
                        seen.insert(id.clone(), row);
                    }
                }
                Err(e) => {
                    let shown = if matches!(e, IdError::Shape) { id.clone() } else { idcard::mask(&id) };
                    findings.push(at(Code::RegisterBadId, pos, format!("{}：{shown}", e.message())));
                }
            }
        }
        if let (Some(s), Some(male)) = (sex_ix, card.male)
            && let Value::Set(set) = card.values[s]
            && set != 0
        {
            let f = &reg.fields[s];
            let written_male = set & f.bit("男").unwrap_or(0) != 0;
            if written_male != male {
                findings.push(at(
                    Code::RegisterSexMismatch,
                    (row, place(s)),
                    format!(
                        "性别写作“{}”，身份证号码第 17 位表示{}",
                        if written_male { "男" } else { "女" },
                        if male { "男（奇数）" } else { "女（偶数）" }
                    ),
                ));
            }
        }
        if let Some(c) = county_ix {
            let written = norm_cow(card.text(c));
            if !written.is_empty() && !county_names.iter().any(|n| *n == written) {
                findings.push(at(
                    Code::RegisterOtherCounty,
                    (row, place(c)),
                    format!("户籍县（区）写作“{}”，本台账属于{}", card.text(c), expect.county.name),
                ));
            }
        }
        if let Some(towns) = &townships {
            let t = norm_cow(card.text(town_ix));
            if !t.is_empty() && !towns.iter().any(|n| *n == t) {
                findings.push(at(
                    Code::RegisterUnknownTownship,
                    (row, place(town_ix)),
                    format!(
                        "“{}”不是{}的乡镇（街道）：报表中的乡镇有 {}",
                        card.text(town_ix),
                        expect.county.name,
                        towns.join("、")
                    ),
                ));
            }
        }
        if let Some(p) = reg.index(keys::PHONE) {
            let phone = card.text(p);
            if !phone.is_empty() && !is_phone(phone) {
                findings.push(at(
                    Code::RegisterPhone,
                    (row, place(p)),
                    "联系电话不像电话号码：应为 11 位手机号或带区号的固定电话".to_string(),
                ));
            }
        }
        contradictions(reg, &card, expect.today, |i, msg| {
            findings.push(at(Code::RegisterContradiction, (row, place(i)), msg))
        });
        cards.push(card);
    }
    if cards.is_empty() {
        findings.push(Finding::new(Code::RegisterNoHeadings, file, "台账表头下没有任何人员".to_string()).in_sheet(&sheet));
    }
    Sheet { sheet, cards, findings }
}

/// The county's names as a 户籍 column may write them: 兰山区, 兰山, 371302.
fn county_names(county: &Region) -> Vec<String> {
    let mut v = vec![norm(&county.name), county.code.clone()];
    let n = norm(&county.name);
    for suffix in ["自治县", "县", "区", "市", "旗"] {
        if let Some(s) = n.strip_suffix(suffix)
            && s.chars().count() >= 2
        {
            v.push(s.to_string());
        }
    }
    v
}

/// Answers that contradict each other on one card (warnings: the card is still counted, by the
/// rules, as written).
fn contradictions(reg: &Register, card: &Card, today: NaiveDate, mut say: impl FnMut(usize, String)) {
    let (Some(h), Some(w), Some(c)) = (reg.index(keys::HEALTH), reg.index(keys::WORK), reg.index(keys::CATEGORY)) else {
        return;
    };
    let (hf, wf, cf) = (&reg.fields[h], &reg.fields[w], &reg.fields[c]);
    let has = |f: &Field, i: usize, o: &str| card.set(i) & f.bit(o).unwrap_or(0) != 0;
    let ways = ["就地就近就业（县内）", "外出务工（县外）", "自主创业", "公益性岗位"];
    let working: Vec<&str> = ways.iter().copied().filter(|o| has(wf, w, o)).collect();
    let unable = has(hf, h, "丧失劳动能力") || has(cf, c, "劳动年龄内无劳动能力人口");
    if unable && !working.is_empty() {
        say(
            w,
            format!(
                "{}，就业情况却是{}：此人不计入第(3)栏及其下各栏",
                if has(hf, h, "丧失劳动能力") {
                    "健康状况为丧失劳动能力"
                } else {
                    "人员类别为劳动年龄内无劳动能力"
                },
                working.join("、")
            ),
        );
    }
    if let (Some(birth), Some(male)) = (card.birth, card.male) {
        let band = if male { reg.working_age.male } else { reg.working_age.female };
        let age = idcard::age_on(birth, today);
        let of_age = age >= band.from as i32 && age < band.to as i32;
        let says_of_age = has(cf, c, "劳动年龄内有劳动能力人口") || has(cf, c, "劳动年龄内无劳动能力人口");
        let says_not = has(cf, c, "非劳动年龄人口");
        if (of_age && says_not) || (!of_age && says_of_age) {
            say(
                c,
                format!(
                    "按身份证号码今年 {age} 周岁，{}，人员类别却是{}：第(2)栏按身份证号码计算年龄",
                    if of_age { "在劳动年龄内" } else { "不在劳动年龄内" },
                    cf.options.iter().find(|o| has(cf, c, o)).map(String::as_str).unwrap_or("")
                ),
            );
        }
    }
}
