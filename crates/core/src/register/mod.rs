//! The register behind the sheet (附件2, 精准识别卡): one card per person, as a county keeps it.
//! The card's fields and the rules that count the form's columns from it are data
//! (`schemas/forms/*.register.toml`); this module reads that file, reads a county's register
//! workbook into cards with its findings (`read`), and checks 身份证号 (`idcard`).

pub mod idcard;
pub mod read;
pub mod rule;
pub mod sample;
pub mod state;

pub use read::{Card, Sheet as RegisterSheet, read_register};
pub use rule::Rule;

use crate::schema::SchemaError;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Text,
    Id,
    Phone,
    Date,
    Choice,
    Multi,
    Yesno,
}

/// One field of the card.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub key: String,
    pub kind: Kind,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub personal: bool,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub extra: bool,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub fallback: Option<String>,
    #[serde(default)]
    pub keywords: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub implies: BTreeMap<String, String>,
    #[serde(default)]
    pub exclusive: Vec<Vec<String>>,
}

impl Field {
    /// The option's bit in the field's set of chosen options.
    pub fn bit(&self, option: &str) -> Option<u32> {
        self.options.iter().position(|o| o == option).map(|i| 1 << i)
    }

    /// The headings that name this field: its key and aliases, compared without spaces and
    /// with half-width brackets.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.key.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// Working age of one sex: completed years, from `from` up to the day before `to`.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeBand {
    pub from: u32,
    pub to: u32,
}

#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingAge {
    pub male: AgeBand,
    pub female: AgeBand,
}

/// How one column of the form is counted.
#[derive(Debug, Clone)]
pub struct Derivation {
    pub column: usize,
    /// The rule as written in the schema, for the README and messages.
    pub text: String,
    /// What the column counts, in a sentence (外出务工).
    pub says: String,
    /// None for a column the county fills in by hand.
    pub rule: Option<Rule>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDerive {
    column: usize,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    says: Option<String>,
    #[serde(default)]
    hand: bool,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegister {
    form: String,
    name: String,
    baseline_date: String,
    working_age: WorkingAge,
    fields: Vec<Field>,
    derive: Vec<RawDerive>,
}

/// The register's schema: the card's fields and the column rules.
#[derive(Debug, Clone)]
pub struct Register {
    pub form: String,
    pub name: String,
    pub baseline_date: NaiveDate,
    pub working_age: WorkingAge,
    pub fields: Vec<Field>,
    /// One per column of the form, in column order.
    pub derive: Vec<Derivation>,
    /// Each field's index by its key.
    by_key: std::collections::HashMap<String, usize>,
}

/// The fields the program itself relies on, by their keys in the schema.
pub mod keys {
    pub const NAME: &str = "姓名";
    pub const SEX: &str = "性别";
    pub const ID: &str = "身份证号码";
    pub const PHONE: &str = "联系电话";
    pub const COUNTY: &str = "县（区）";
    pub const TOWNSHIP: &str = "街道（乡镇）";
    pub const CARDED: &str = "建卡时间";
    pub const REMOVED: &str = "脱贫销号时间";
    pub const RETURNED: &str = "返贫挂号时间";
    pub const CHANGED: &str = "变动时间";
    pub const CATEGORY: &str = "人员类别";
    pub const HEALTH: &str = "健康状况";
    pub const WORK: &str = "就业情况";
}

impl Register {
    pub fn parse(source: &str, text: &str, width: usize) -> Result<Register, SchemaError> {
        let bad = crate::schema::invalid(source);
        let raw: RawRegister = crate::schema::parse_toml(source, text)?;
        let baseline_date = NaiveDate::parse_from_str(&raw.baseline_date, "%Y-%m-%d")
            .map_err(|_| bad(format!("baseline_date “{}” 不是日期（写作 2015-12-31）", raw.baseline_date)))?;
        let mut seen = std::collections::HashSet::new();
        for f in &raw.fields {
            if !seen.insert(f.key.as_str()) {
                return Err(bad(format!("字段“{}”重复", f.key)));
            }
            let has_options = matches!(f.kind, Kind::Choice | Kind::Multi);
            if has_options == f.options.is_empty() {
                return Err(bad(format!("字段“{}”：只有 choice 和 multi 字段列出 options", f.key)));
            }
            if f.options.len() > 32 {
                return Err(bad(format!("字段“{}”的选项多于 32 个", f.key)));
            }
            let named = f
                .keywords
                .keys()
                .chain(f.implies.keys())
                .chain(f.implies.values())
                .chain(f.fallback.iter())
                .chain(f.exclusive.iter().flatten());
            for o in named {
                if f.bit(o).is_none() {
                    return Err(bad(format!("字段“{}”没有选项“{o}”", f.key)));
                }
            }
        }
        for key in [keys::ID, keys::TOWNSHIP, keys::CARDED] {
            if !raw.fields.iter().any(|f| f.key == key) {
                return Err(bad(format!("台账缺少字段“{key}”")));
            }
        }
        let mut derive: Vec<Derivation> = Vec::new();
        for d in raw.derive {
            if d.column != derive.len() + 1 {
                return Err(bad(format!("derive 应按栏次逐栏列出，第 {} 条是第 {} 栏", derive.len() + 1, d.column)));
            }
            let (text, rule) = match (d.rule, d.hand) {
                (Some(t), false) => {
                    let r = rule::parse(&t, &raw.fields, d.column).map_err(|m| bad(format!("第{}栏的规则“{t}”：{m}", d.column)))?;
                    (t, Some(r))
                }
                (None, true) => ("手工填报".to_string(), None),
                _ => return Err(bad(format!("第{}栏须写 rule 或 hand = true（二者之一）", d.column))),
            };
            derive.push(Derivation {
                column: d.column,
                text,
                says: d.says.unwrap_or_default(),
                rule,
            });
        }
        if derive.len() != width {
            return Err(bad(format!("derive 列出 {} 栏，报表有 {width} 栏", derive.len())));
        }
        let by_key = raw.fields.iter().enumerate().map(|(i, f)| (f.key.clone(), i)).collect();
        Ok(Register {
            by_key,
            form: raw.form,
            name: raw.name,
            baseline_date,
            working_age: raw.working_age,
            fields: raw.fields,
            derive,
        })
    }

    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Finds the fields by their keys again after the list was changed (tests change schemas).
    #[cfg(test)]
    pub(crate) fn reindex(&mut self) {
        self.by_key = self.fields.iter().enumerate().map(|(i, f)| (f.key.clone(), i)).collect();
    }

    pub fn index(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }

    /// The fields counting reads: the township, the dates of the card's life and every field a
    /// column's rule looks at (the rest of a stored card need not be read to count it).
    pub fn counted_fields(&self) -> Vec<bool> {
        let mut wanted = vec![false; self.fields.len()];
        for k in [keys::TOWNSHIP, keys::CARDED, keys::REMOVED, keys::RETURNED] {
            if let Some(i) = self.index(k) {
                wanted[i] = true;
            }
        }
        for atom in self.atoms() {
            if let Rule::Has { field, .. } | Rule::Yes { field } = atom {
                wanted[field] = true;
            }
        }
        wanted
    }

    /// The options and yes/no fields the column rules look at, each once, in the rules' order.
    pub fn atoms(&self) -> Vec<Rule> {
        let mut atoms = Vec::new();
        for rule in self.derive.iter().filter_map(|d| d.rule.as_ref()) {
            rule.atoms(&mut atoms);
        }
        atoms
    }

    /// The columns the county fills in by hand.
    pub fn hand_columns(&self) -> Vec<usize> {
        self.derive.iter().filter(|d| d.rule.is_none()).map(|d| d.column).collect()
    }
}

/// The columns of a relation `(a) ≥ (b)` (or `(b) ≤ (a)`, strict or not) between two columns the
/// register derives, as `(a, b)`: the cards behind its breaking are those counted in (b) and
/// not in (a). None for other shapes of relation, whose cards cannot be named.
pub fn relation_columns(reg: &Register, relation: &crate::schema::relation::Rule) -> Option<(usize, usize)> {
    use crate::schema::relation::Op;
    let (big, small) = match relation.op {
        Op::Ge | Op::Gt => (&relation.lhs, &relation.rhs),
        Op::Le | Op::Lt => (&relation.rhs, &relation.lhs),
        Op::Eq => return None,
    };
    let (a, b) = (big.single_column()?, small.single_column()?);
    (reg.derive[a - 1].rule.is_some() && reg.derive[b - 1].rule.is_some()).then_some((a, b))
}

/// The cards behind a broken relation `(a) ≥ (b)` in one township: counted in (b) but not in
/// (a) on `day` (for other shapes of relation, none can be named; see [`relation_columns`]).
pub fn breaking<'c>(reg: &Register, relation: &crate::schema::relation::Rule, cards: &'c [Card], township: &str, day: NaiveDate) -> Vec<&'c Card> {
    let Some((a, b)) = relation_columns(reg, relation) else {
        return Vec::new();
    };
    let (Some(ra), Some(rb)) = (reg.derive[a - 1].rule.as_ref(), reg.derive[b - 1].rule.as_ref()) else {
        return Vec::new();
    };
    let town = reg.index(keys::TOWNSHIP).expect("the register has 街道（乡镇）");
    let at = rule::At { register: reg, day };
    cards
        .iter()
        .filter(|c| c.text(town) == township && at.counts(rb, c) && !at.counts(ra, c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_register_parses_and_rules_name_real_fields() {
        let s = crate::schema::Schemas::embedded().unwrap();
        let r = s.register().expect("the form has a register");
        assert_eq!(r.derive.len(), 21);
        assert_eq!(r.hand_columns(), vec![21]);
        assert_eq!(r.baseline_date, NaiveDate::from_ymd_opt(2015, 12, 31).unwrap());
        assert!(r.field(keys::ID).unwrap().personal);
    }

    #[test]
    fn a_rule_with_an_unknown_option_is_refused_with_the_column() {
        let text = include_str!("../../../../schemas/forms/jdlk-jyshbz.register.toml").replace("就业情况：外出务工（县外）\"", "就业情况：出国\"");
        let e = Register::parse("x.register.toml", &text, 21).unwrap_err().to_string();
        assert!(e.contains("第5栏") && e.contains("出国"), "{e}");
    }
}
