//! Synthetic registers: persons who never existed, made so that the county's register counted by
//! the schema's rules gives back exactly its sample sheet of the month (`yuebao sample
//! --register`). Names come from a short list, 身份证号码 carry the county's code, a birth date
//! that fits the person's role and a valid check character, but sequence codes 900–999 only, and
//! phone numbers start 170 0000 (a virtual-operator block left unassigned in the samples' world).

use super::idcard;
use super::read::{Card, Value};
use super::{Kind, Register, keys};
use crate::period::Period;
use crate::schema::Region;
use chrono::{Datelike, NaiveDate};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use std::collections::HashSet;
use std::path::Path;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗", "宋", "郑", "谢", "韩", "唐",
];
const GIVEN: &[&str] = &[
    "建国", "秀英", "桂兰", "玉珍", "志强", "春华", "德胜", "凤英", "海燕", "立新", "金花", "文明", "淑芬", "国庆", "红梅", "永刚", "晓东", "翠平", "保山",
    "玉梅", "长青", "素云", "广才", "兰芝", "庆丰",
];
const VILLAGES: &[&str] = &["东", "西", "南", "北", "前", "后", "大", "小", "上", "下"];

/// Where a township's persons go wrong, if its counts cannot come from one register.
fn feasible(counts: &[i64]) -> Result<(), String> {
    let c = |n: usize| counts[n - 1];
    let checks = [
        (c(3) + c(4) <= c(2), "第(3)栏与第(4)栏之和大于第(2)栏"),
        (c(5) + c(6) + c(8) + c(14) <= c(3), "第(5)(6)(8)(14)栏之和大于第(3)栏（一人只有一种就业方式）"),
        (c(7) >= c(8) && c(13) >= c(14) && c(10) >= c(11).max(c(12)), "子栏大于母栏"),
        (
            c(15) >= c(16).max(c(17)) && c(3) >= c(7).max(c(9)).max(c(10)).max(c(13)).max(c(15)),
            "子栏大于母栏",
        ),
        (c(1) >= c(18).max(c(19)).max(c(20)) && c(1) >= c(2), "第(1)栏小于其下各栏"),
    ];
    match checks.iter().find(|(ok, _)| !ok) {
        Some((_, why)) => Err(why.to_string()),
        None => Ok(()),
    }
}

/// A register's cards for one township whose counts at the end of `period` are `counts`.
struct Builder<'a> {
    reg: &'a Register,
    rng: ChaCha8Rng,
    county: &'a Region,
    city: String,
    end: NaiveDate,
    used: HashSet<(NaiveDate, u32)>,
}

impl Builder<'_> {
    fn ix(&self, key: &str) -> usize {
        self.reg.index(key).expect("the schema has the fields the program relies on")
    }

    fn set(&self, card: &mut Card, key: &str, options: &[&str]) {
        let i = self.ix(key);
        let f = &self.reg.fields[i];
        let bits = options.iter().map(|o| f.bit(o).expect("an option of the schema")).fold(0, |a, b| a | b);
        card.values[i] = Value::Set(bits);
    }

    fn add(&self, card: &mut Card, key: &str, option: &str) {
        let i = self.ix(key);
        let bit = self.reg.fields[i].bit(option).expect("an option of the schema");
        card.values[i] = Value::Set(card.set(i) | bit);
    }

    fn yes(&self, card: &mut Card, key: &str) {
        let i = self.ix(key);
        card.values[i] = Value::Yes(true);
    }

    fn text(&self, card: &mut Card, key: &str, text: String) {
        if let Some(i) = self.reg.index(key) {
            card.values[i] = Value::Text(text);
        }
    }

    /// A person of the given age band at the period's end (`working` or not).
    fn person(&mut self, township: &str, working: bool) -> Card {
        let male = self.rng.random_bool(0.5);
        let band = if male { self.reg.working_age.male } else { self.reg.working_age.female };
        // Ages kept a year clear of the bounds, so a month either side counts alike.
        let age = if working {
            self.rng.random_range(band.from + 1..band.to - 1)
        } else if self.rng.random_bool(0.4) {
            self.rng.random_range(1..band.from - 1)
        } else {
            self.rng.random_range(band.to + 1..=88)
        };
        let (birth, seq) = loop {
            let year = self.end.year() - age as i32 - 1;
            let day = NaiveDate::from_ymd_opt(year, 1, 1).expect("a day") + chrono::Days::new(self.rng.random_range(0..365));
            let seq = 900 + self.rng.random_range(0..50u32) * 2 + u32::from(male);
            if self.used.insert((day, seq)) {
                break (day, seq);
            }
        };
        let id = idcard::complete(&format!("{}{}{seq:03}", self.county.code, birth.format("%Y%m%d")));
        let mut card = Card {
            row: 0,
            values: vec![Value::Empty; self.reg.fields.len()],
            birth: Some(birth),
            male: Some(male),
        };
        let name = format!(
            "{}{}",
            SURNAMES[self.rng.random_range(0..SURNAMES.len())],
            GIVEN[self.rng.random_range(0..GIVEN.len())]
        );
        self.text(&mut card, keys::NAME, name);
        self.set(&mut card, keys::SEX, &[if male { "男" } else { "女" }]);
        self.text(&mut card, keys::ID, id);
        let phone = format!("1700000{:04}", self.rng.random_range(0..10_000));
        self.text(&mut card, keys::PHONE, phone);
        let card_no = format!("FP{}{:06}", self.county.code, self.rng.random_range(0..1_000_000));
        self.text(&mut card, "扶贫卡编号", card_no);
        self.text(&mut card, "市", self.city.clone());
        self.text(&mut card, keys::COUNTY, self.county.name.clone());
        self.text(&mut card, keys::TOWNSHIP, township.to_string());
        let village = format!(
            "{}{}村",
            township.chars().take(2).collect::<String>(),
            VILLAGES[self.rng.random_range(0..VILLAGES.len())]
        );
        self.text(&mut card, "社区（村）", village);
        let carded = NaiveDate::from_ymd_opt(2015, 1, 1).expect("a day") + chrono::Days::new(self.rng.random_range(0..365));
        let i = self.ix(keys::CARDED);
        card.values[i] = Value::Date(carded);
        let edu = ["初中及以下", "初中及以下", "初中及以下", "高中", "大中专、技校、职校毕业生"][self.rng.random_range(0..5)];
        self.set(&mut card, "文化程度", &[edu]);
        let skill = ["无", "无", "无", "初级工", "中级工"][self.rng.random_range(0..5)];
        self.set(&mut card, "技能水平", &[skill]);
        let causes = ["因病", "因残", "缺技术", "缺劳力", "缺资金", "因学"];
        let cause = causes[self.rng.random_range(0..causes.len())];
        self.set(&mut card, "主要致贫原因", &[cause]);
        self.set(&mut card, "就业情况", &["无就业意愿"]);
        self.set(&mut card, "培训情况", &["无培训意愿"]);
        let health = ["健康", "一般"][self.rng.random_range(0..2)];
        self.set(&mut card, "健康状况", &[health]);
        self.set(
            &mut card,
            keys::CATEGORY,
            &[if working {
                "劳动年龄内有劳动能力人口"
            } else {
                "非劳动年龄人口"
            }],
        );
        card
    }

    /// `n` of `pool`'s indices, at random.
    fn pick(&mut self, pool: &[usize], n: i64) -> Vec<usize> {
        let mut v = pool.to_vec();
        v.shuffle(&mut self.rng);
        v.truncate(n.max(0) as usize);
        v
    }

    fn township(&mut self, township: &str, counts: &[i64]) -> Result<Vec<Card>, String> {
        feasible(counts).map_err(|why| format!("{township}：{why}，无法由台账得出"))?;
        let c = |n: usize| counts[n - 1];
        let mut cards: Vec<Card> = Vec::with_capacity(c(1) as usize);
        for i in 0..c(1) {
            let p = self.person(township, i < c(2));
            cards.push(p);
        }
        let working: Vec<usize> = (0..c(2) as usize).collect();
        let able: Vec<usize> = working[..c(3) as usize].to_vec();
        // (4): neither will nor ability; the rest of (2) has one of the two.
        for &i in &working[c(3) as usize..(c(3) + c(4)) as usize] {
            self.set(&mut cards[i], keys::CATEGORY, &["劳动年龄内无劳动能力人口"]);
            self.set(&mut cards[i], keys::HEALTH, &[["丧失劳动能力", "有重病"][i % 2]]);
        }
        for &i in &able {
            self.set(&mut cards[i], keys::WORK, &["有就业意愿"]);
        }
        // One way of working each: (5), (6), (8), (14) from disjoint persons of (3).
        let mut order = able.clone();
        order.shuffle(&mut self.rng);
        let mut at = 0;
        let mut ways: Vec<Vec<usize>> = Vec::new();
        for (col, way) in [(5, "外出务工（县外）"), (6, "就地就近就业（县内）"), (8, "公益性岗位"), (14, "自主创业")] {
            let n = c(col) as usize;
            let these = order[at..at + n].to_vec();
            for &i in &these {
                self.add(&mut cards[i], keys::WORK, way);
            }
            ways.push(these);
            at += n;
        }
        let rest: Vec<usize> = order[at..].to_vec();
        // (7) ⊇ (8): the placed, and others who qualify.
        for i in self.pick(&rest, c(7) - c(8)) {
            self.yes(&mut cards[i], "符合公益性岗位安置条件");
        }
        // (13) ⊇ (14): the self-employed, and others who wish to be.
        let not_own: Vec<usize> = able.iter().copied().filter(|i| !ways[3].contains(i)).collect();
        for i in self.pick(&not_own, c(13) - c(14)) {
            self.yes(&mut cards[i], "有创业愿望");
        }
        for i in self.pick(&able, c(9)) {
            self.yes(&mut cards[i], "已接受培训");
        }
        let training = self.pick(&able, c(10));
        for &i in &training {
            self.set(&mut cards[i], "培训情况", &["有培训意愿"]);
        }
        for i in self.pick(&training, c(11)) {
            self.add(&mut cards[i], "培训项目", "就业技能培训");
        }
        for i in self.pick(&training, c(12)) {
            self.add(&mut cards[i], "培训项目", "创业培训");
        }
        let loans = self.pick(&able, c(15));
        for &i in &loans {
            self.yes(&mut cards[i], "有小额担保贷款需求");
        }
        for i in self.pick(&loans, c(16)) {
            self.yes(&mut cards[i], "已获得小额担保贷款");
        }
        for i in self.pick(&loans, c(17)) {
            self.yes(&mut cards[i], "已享受贷款贴息");
        }
        let everyone: Vec<usize> = (0..cards.len()).collect();
        for (col, kind) in [
            (18, "居民基本养老保险"),
            (19, "居民基本医疗保险"),
            (20, "职工基本养老、基本医疗、失业、工伤、生育保险"),
        ] {
            for i in self.pick(&everyone, c(col)) {
                self.add(&mut cards[i], "社保状况", kind);
            }
        }
        let si = self.ix("社保状况");
        for card in &mut cards {
            let f = &self.reg.fields[si];
            let option = if card.set(si) == 0 { "未参保" } else { "已参保" };
            card.values[si] = Value::Set(card.set(si) | f.bit(option).expect("an option"));
        }
        cards.shuffle(&mut self.rng);
        Ok(cards)
    }
}

/// The cards of `county`'s synthetic register whose counts at the end of `period` are `rows`
/// (each township's name and its 21 counts); the message names a township whose counts no
/// register can give.
pub fn register_for(reg: &Register, seed: u64, county: &Region, city: &str, period: Period, rows: &[(String, Vec<i64>)]) -> Result<Vec<Card>, String> {
    let end = period.next().first_day().pred_opt().expect("a day");
    let code: u64 = county.code.parse().unwrap_or(0);
    let mut b = Builder {
        reg,
        rng: ChaCha8Rng::seed_from_u64(seed ^ code.rotate_left(17) ^ 0x5EED_CA4D),
        county,
        city: city.to_string(),
        end,
        used: HashSet::new(),
    };
    let mut all = Vec::new();
    for (name, counts) in rows {
        all.extend(b.township(name, counts)?);
    }
    Ok(all)
}

/// Writes cards as a register workbook: one heading row with every field of the schema, one
/// row per person; options as their texts, dates as dates.
pub fn write_register(reg: &Register, title: &str, cards: &[Card], path: &Path) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("台账")?;
    let head = Format::new().set_bold().set_border(rust_xlsxwriter::FormatBorder::Thin).set_text_wrap();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let title_fmt = Format::new().set_bold().set_font_size(14);
    ws.write_string_with_format(0, 0, title, &title_fmt)?;
    for (c, f) in reg.fields.iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(1, c, &f.key, &head)?;
        let width = match f.kind {
            Kind::Id => 21.0,
            Kind::Multi | Kind::Choice => 16.0,
            Kind::Date => 11.0,
            _ => 10.0,
        };
        ws.set_column_width(c, width)?;
    }
    ws.set_freeze_panes(2, 2)?;
    for (r, card) in cards.iter().enumerate() {
        let row = r as u32 + 2;
        for (c, (f, v)) in reg.fields.iter().zip(&card.values).enumerate() {
            let c = c as u16;
            match v {
                Value::Empty => {}
                Value::Text(t) => {
                    ws.write_string(row, c, t)?;
                }
                Value::Date(d) => {
                    let dt = rust_xlsxwriter::ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
                    ws.write_datetime_with_format(row, c, &dt, &date)?;
                }
                Value::Set(bits) => {
                    let chosen: Vec<&str> = f
                        .options
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| bits & (1 << i) != 0)
                        .map(|(_, o)| o.as_str())
                        .collect();
                    ws.write_string(row, c, chosen.join("、"))?;
                }
                Value::Yes(true) => {
                    ws.write_string(row, c, "是")?;
                }
                Value::Yes(false) => {
                    ws.write_string(row, c, "否")?;
                }
            }
        }
    }
    wb.save(path)
}
