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

/// The frame of the cards: township, the dates and birth as yyyymmdd, sex, and one boolean per
/// option or yes/no field a rule looks at.
fn frame(reg: &Register, cards: &[Card], atoms: &[Rule]) -> PolarsResult<DataFrame> {
    let town = reg.index(keys::TOWNSHIP).expect("the register has 街道（乡镇）");
    let date = |key: &str, none: i32| -> Vec<i32> {
        let i = reg.index(key);
        cards.iter().map(|c| i.and_then(|i| c.date(i)).map(ymd).unwrap_or(none)).collect()
    };
    let mut cols = vec![
        Column::new("town".into(), cards.iter().map(|c| c.text(town)).collect::<Vec<_>>()),
        Column::new("carded".into(), date(keys::CARDED, i32::MAX)),
        Column::new("removed".into(), date(keys::REMOVED, i32::MAX)),
        Column::new("returned".into(), date(keys::RETURNED, i32::MAX)),
        Column::new(
            "birth".into(),
            cards.iter().map(|c| c.birth.map(|b| ymd(birth_month(b))).unwrap_or(0)).collect::<Vec<_>>(),
        ),
        Column::new("male".into(), cards.iter().map(|c| c.male.unwrap_or(false)).collect::<Vec<_>>()),
        Column::new("known".into(), cards.iter().map(|c| c.birth.is_some()).collect::<Vec<_>>()),
    ];
    for (k, a) in atoms.iter().enumerate() {
        let v: Vec<bool> = match a {
            Rule::Has { field, bit } => cards.iter().map(|c| c.set(*field) & bit != 0).collect(),
            Rule::Yes { field } => cards.iter().map(|c| c.yes(*field)).collect(),
            _ => unreachable!("atoms are options and yes/no fields"),
        };
        cols.push(Column::new(atom_name(k).into(), v));
    }
    DataFrame::new(cards.len(), cols)
}

/// Counts `cards` at the end of `period`, one row per township: first those of `order` (the
/// county's sheet's rows, where known; a township without cards gets zeros), then any other in
/// the order the register first names them.
pub fn derive(reg: &Register, cards: &[Card], period: Period, order: &[String]) -> PolarsResult<Vec<DerivedRow>> {
    let mut atoms = Vec::new();
    for d in &reg.derive {
        if let Some(r) = &d.rule {
            r.atoms(&mut atoms);
        }
    }
    let c = Compiler {
        reg,
        atoms,
        end: ymd(period_end(period)),
    };
    let counted: Vec<Expr> = reg
        .derive
        .iter()
        .filter_map(|d| d.rule.as_ref().map(|r| c.expr(r).cast(DataType::Int64).sum().alias(format!("c{}", d.column))))
        .collect();
    let sums = frame(reg, cards, &c.atoms)?.lazy().group_by([col("town")]).agg(counted).collect()?;
    let towns = sums.column("town")?.str()?.clone();
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
        by_town.insert(towns.get(i).unwrap_or_default().to_string(), values);
    }
    let town = reg.index(keys::TOWNSHIP).expect("the register has 街道（乡镇）");
    let mut names: Vec<String> = order.to_vec();
    for card in cards {
        let t = card.text(town);
        if !names.iter().any(|n| n == t) {
            names.push(t.to_string());
        }
    }
    let zeros: Vec<Option<i64>> = reg.derive.iter().map(|d| d.rule.as_ref().map(|_| 0)).collect();
    Ok(names
        .into_iter()
        .map(|t| DerivedRow {
            values: by_town.get(&t).cloned().unwrap_or_else(|| zeros.clone()),
            township: t,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use yuebao_core::register::rule::At;
    use yuebao_core::schema::Schemas;

    /// The polars counts and the card-by-card evaluation of the same rules agree on a sample
    /// county's register, in its month and in months around it.
    #[test]
    fn polars_and_the_card_by_card_rules_agree() {
        let schemas = Schemas::embedded().unwrap();
        let reg = schemas.register().unwrap();
        let county = schemas.regions.get("371302").unwrap();
        let period = Period::new(2026, 10).unwrap();
        let sheet = yuebao_core::sample::county_sheet(schemas.form(), 7, county, period);
        let mut cards = yuebao_core::register::sample::register_for(reg, 7, county, "临沂市", period, &sheet.rows[..2]).unwrap();
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
            let rows = derive(reg, &cards, p, &[]).unwrap();
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
}
