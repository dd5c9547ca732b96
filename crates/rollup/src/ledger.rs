//! The sheet derived from the register (附件2): every card of a county at a period's end, counted
//! per township by the schema's column rules, with polars. A card is one row of a frame whose
//! columns are what the rules look at (dates as yyyymmdd numbers, so that "completed years of
//! age" is a comparison of two numbers); each rule becomes a boolean expression, and a group-by
//! sums them.

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;
use yuebao_core::period::Period;
use yuebao_core::register::rule::{Rule, birth_month};
use yuebao_core::register::{Card, Register, keys};

/// A township's derived counts; `None` for a column filled in by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedRow {
    pub township: String,
    pub values: Vec<Option<i64>>,
}

fn ymd(d: NaiveDate) -> i32 {
    d.year() * 10000 + d.month() as i32 * 100 + d.day() as i32
}

/// The last day of the period.
pub fn period_end(period: Period) -> NaiveDate {
    period.next().first_day().pred_opt().expect("a month has a last day")
}

fn atom_name(k: usize) -> String {
    format!("a{k}")
}

struct Compiler<'a> {
    reg: &'a Register,
    atoms: Vec<Rule>,
    end: i32,
}

impl Compiler<'_> {
    fn expr(&self, rule: &Rule) -> Expr {
        let end = lit(self.end);
        match rule {
            Rule::InRegister => {
                let gone = col("removed").lt_eq(end.clone());
                let back = col("returned").lt_eq(end.clone()).and(col("returned").gt_eq(col("removed")));
                col("carded").lt_eq(end).and(gone.and(back.not()).not())
            }
            Rule::Baseline => col("carded").lt_eq(lit(ymd(self.reg.baseline_date))),
            Rule::WorkingAge => {
                // Completed years ≥ a ⇔ born on or before the same day a years earlier.
                let band = |b: yuebao_core::register::AgeBand| {
                    col("birth")
                        .lt_eq(lit(self.end - b.from as i32 * 10000))
                        .and(col("birth").gt(lit(self.end - b.to as i32 * 10000)))
                };
                let w = self.reg.working_age;
                col("known").and(col("male").and(band(w.male)).or(col("male").not().and(band(w.female))))
            }
            Rule::Has { .. } | Rule::Yes { .. } => {
                let k = self.atoms.iter().position(|a| a == rule).expect("every atom has a column");
                col(atom_name(k))
            }
            Rule::Column(n) => match &self.reg.derive[n - 1].rule {
                Some(r) => self.expr(r),
                None => lit(false),
            },
            Rule::And(v) => v.iter().map(|r| self.expr(r)).reduce(|a, b| a.and(b)).unwrap_or(lit(true)),
            Rule::Or(v) => v.iter().map(|r| self.expr(r)).reduce(|a, b| a.or(b)).unwrap_or(lit(false)),
            Rule::Not(r) => self.expr(r).not(),
        }
    }
}

/// What the rules look at of each card, column by column: the township (by its place in
/// [`Tally::towns`], first seen first), the dates and birth as yyyymmdd, sex, and one boolean per
/// option or yes/no field a rule looks at. Counting a province means millions of cards: each is
/// pushed here as read, and no card is kept.
pub struct Tally {
    atoms: Vec<Rule>,
    town_field: usize,
    dates: [Option<usize>; 3],
    towns: Vec<String>,
    town_of: std::collections::HashMap<String, u32>,
    town: Vec<u32>,
    carded: Vec<i32>,
    removed: Vec<i32>,
    returned: Vec<i32>,
    birth: Vec<i32>,
    male: Vec<bool>,
    known: Vec<bool>,
    flags: Vec<Vec<bool>>,
}

impl Tally {
    /// An empty tally of `reg`'s cards.
    pub fn new(reg: &Register) -> Tally {
        let atoms = reg.atoms();
        Tally {
            flags: vec![Vec::new(); atoms.len()],
            atoms,
            town_field: reg.index(keys::TOWNSHIP).expect("the register has 街道（乡镇）"),
            dates: [reg.index(keys::CARDED), reg.index(keys::REMOVED), reg.index(keys::RETURNED)],
            towns: Vec::new(),
            town_of: std::collections::HashMap::new(),
            town: Vec::new(),
            carded: Vec::new(),
            removed: Vec::new(),
            returned: Vec::new(),
            birth: Vec::new(),
            male: Vec::new(),
            known: Vec::new(),
        }
    }

    /// The tally of `cards`.
    pub fn of(reg: &Register, cards: &[Card]) -> Tally {
        let mut t = Tally::new(reg);
        cards.iter().for_each(|c| t.push(c));
        t
    }

    /// Adds one card.
    pub fn push(&mut self, card: &Card) {
        let name = card.text(self.town_field);
        let town = match self.town_of.get(name) {
            Some(&k) => k,
            None => {
                let k = self.towns.len() as u32;
                self.towns.push(name.to_string());
                self.town_of.insert(name.to_string(), k);
                k
            }
        };
        self.town.push(town);
        let date = |i: Option<usize>| i.and_then(|i| card.date(i)).map(ymd).unwrap_or(i32::MAX);
        self.carded.push(date(self.dates[0]));
        self.removed.push(date(self.dates[1]));
        self.returned.push(date(self.dates[2]));
        self.birth.push(card.birth.map(|b| ymd(birth_month(b))).unwrap_or(0));
        self.male.push(card.male.unwrap_or(false));
        self.known.push(card.birth.is_some());
        for (a, v) in self.atoms.iter().zip(&mut self.flags) {
            v.push(match a {
                Rule::Has { field, bit } => card.set(*field) & bit != 0,
                Rule::Yes { field } => card.yes(*field),
                _ => unreachable!("atoms are options and yes/no fields"),
            });
        }
    }

    /// How many cards.
    pub fn len(&self) -> usize {
        self.town.len()
    }

    pub fn is_empty(&self) -> bool {
        self.town.is_empty()
    }

    /// The townships of the cards, in the order first seen.
    pub fn towns(&self) -> &[String] {
        &self.towns
    }

    fn frame(&self) -> PolarsResult<DataFrame> {
        let mut cols = vec![
            Column::new("town".into(), &self.town),
            Column::new("carded".into(), &self.carded),
            Column::new("removed".into(), &self.removed),
            Column::new("returned".into(), &self.returned),
            Column::new("birth".into(), &self.birth),
            Column::new("male".into(), &self.male),
            Column::new("known".into(), &self.known),
        ];
        for (k, v) in self.flags.iter().enumerate() {
            cols.push(Column::new(atom_name(k).into(), v));
        }
        DataFrame::new(self.len(), cols)
    }

    fn compiler<'r>(&self, reg: &'r Register, period: Period) -> Compiler<'r> {
        Compiler {
            reg,
            atoms: self.atoms.clone(),
            end: ymd(period_end(period)),
        }
    }

    /// How many cards of `township` are counted in column `small` and not in column `big` at the
    /// end of `period`: those behind a broken relation (a) ≥ (b) (see
    /// [`yuebao_core::register::breaking`], which names them from the cards).
    pub fn breaking(&self, reg: &Register, big: usize, small: usize, township: &str, period: Period) -> PolarsResult<usize> {
        let (Some(&town), Some(ra), Some(rb)) = (
            self.town_of.get(township),
            reg.derive[big - 1].rule.as_ref(),
            reg.derive[small - 1].rule.as_ref(),
        ) else {
            return Ok(0);
        };
        let c = self.compiler(reg, period);
        let hit = col("town").eq(lit(town)).and(c.expr(rb)).and(c.expr(ra).not());
        let n = self.frame()?.lazy().select([hit.cast(DataType::Int64).sum().alias("n")]).collect()?;
        Ok(n.column("n")?.i64()?.get(0).unwrap_or(0) as usize)
    }
}

/// Counts the tallied cards at the end of `period`, one row per township: first those of
/// `order` (the county's sheet's rows, where known; a township without cards gets zeros), then
/// any other in the order the register first names them.
pub fn count(reg: &Register, tally: &Tally, period: Period, order: &[String]) -> PolarsResult<Vec<DerivedRow>> {
    let c = tally.compiler(reg, period);
    let counted: Vec<Expr> = reg
        .derive
        .iter()
        .filter_map(|d| d.rule.as_ref().map(|r| c.expr(r).cast(DataType::Int64).sum().alias(format!("c{}", d.column))))
        .collect();
    let sums = tally.frame()?.lazy().group_by([col("town")]).agg(counted).collect()?;
    let towns = sums.column("town")?.u32()?.clone();
    let mut by_town = std::collections::HashMap::new();
    for i in 0..sums.height() {
        let values = reg
            .derive
            .iter()
            .map(|d| match d.rule {
                Some(_) => Ok(Some(sums.column(&format!("c{}", d.column))?.i64()?.get(i).unwrap_or(0))),
                None => Ok(None),
            })
            .collect::<PolarsResult<Vec<_>>>()?;
        if let Some(t) = towns.get(i).and_then(|t| tally.towns.get(t as usize)) {
            by_town.insert(t.as_str(), values);
        }
    }
    let mut names: Vec<&str> = order.iter().map(String::as_str).collect();
    let listed: std::collections::HashSet<&str> = names.iter().copied().collect();
    names.extend(tally.towns.iter().map(String::as_str).filter(|t| !listed.contains(t)));
    let zeros: Vec<Option<i64>> = reg.derive.iter().map(|d| d.rule.as_ref().map(|_| 0)).collect();
    Ok(names
        .into_iter()
        .map(|t| DerivedRow {
            values: by_town.get(t).cloned().unwrap_or_else(|| zeros.clone()),
            township: t.to_string(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use yuebao_core::register::rule::At;
    use yuebao_core::schema::Schemas;

    /// The cards of the first `towns` townships of 兰山区's sample sheet for `period`.
    fn sample_cards(schemas: &Schemas, period: Period, towns: usize) -> Vec<Card> {
        let county = schemas.regions.get("371302").unwrap();
        let sheet = yuebao_core::sample::county_sheet(schemas.form(), 7, county, period);
        yuebao_core::register::sample::register_for(schemas.register().unwrap(), 7, county, "临沂市", period, &sheet.rows[..towns]).unwrap()
    }

    /// The polars counts and the card-by-card evaluation of the same rules agree on a sample
    /// county's register, in its month and in months around it.
    #[test]
    fn polars_and_the_card_by_card_rules_agree() {
        let (schemas, period) = (Schemas::embedded().unwrap(), Period::new(2026, 10).unwrap());
        let reg = schemas.register().unwrap();
        let mut cards = sample_cards(&schemas, period, 2);
        // Some left and some came back, so 在册 differs from 摸底.
        let removed = reg.index(keys::REMOVED).unwrap();
        let returned = reg.index(keys::RETURNED).unwrap();
        for (i, card) in cards.iter_mut().enumerate().take(60) {
            card.values[removed] = yuebao_core::register::read::Value::Date(NaiveDate::from_ymd_opt(2026, 9, 1 + (i % 28) as u32).unwrap());
            if i % 3 == 0 {
                card.values[returned] = yuebao_core::register::read::Value::Date(NaiveDate::from_ymd_opt(2026, 10, 2).unwrap());
            }
        }
        for p in [Period::new(2026, 8).unwrap(), period, Period::new(2027, 3).unwrap()] {
            let rows = count(reg, &Tally::of(reg, &cards), p, &[]).unwrap();
            let at = At {
                register: reg,
                day: period_end(p),
            };
            for row in &rows {
                for d in &reg.derive {
                    let Some(rule) = &d.rule else { continue };
                    let by_hand = cards
                        .iter()
                        .filter(|c| c.text(reg.index(keys::TOWNSHIP).unwrap()) == row.township && at.counts(rule, c))
                        .count() as i64;
                    assert_eq!(row.values[d.column - 1], Some(by_hand), "{} 第{}栏 {p}", row.township, d.column);
                }
            }
        }
    }

    /// The persons the tally counts behind a relation are the cards the card-by-card reading
    /// names, township by township.
    #[test]
    fn the_tally_counts_the_cards_behind_a_relation_as_the_cards_name_them() {
        let (schemas, period) = (Schemas::embedded().unwrap(), Period::new(2026, 10).unwrap());
        let reg = schemas.register().unwrap();
        let mut cards = sample_cards(&schemas, period, 3);
        // Carded after the 摸底 date: in (2) but not in (1).
        let carded = reg.index(keys::CARDED).unwrap();
        for card in cards.iter_mut().step_by(7) {
            card.values[carded] = yuebao_core::register::read::Value::Date(NaiveDate::from_ymd_opt(2020, 3, 1).unwrap());
        }
        let tally = Tally::of(reg, &cards);
        let mut named = 0;
        for rule in &schemas.form().rules {
            let Some((a, b)) = yuebao_core::register::relation_columns(reg, rule) else {
                continue;
            };
            for town in tally.towns() {
                let cards_say = yuebao_core::register::breaking(reg, rule, &cards, town, period_end(period)).len();
                assert_eq!(tally.breaking(reg, a, b, town, period).unwrap(), cards_say, "{town} ({a}) ≥ ({b})");
                named += cards_say;
            }
        }
        assert!(named > 0, "some cards are behind a relation");
        assert_eq!(tally.breaking(reg, 1, 2, "没有这个乡镇", period).unwrap(), 0);
    }
}
