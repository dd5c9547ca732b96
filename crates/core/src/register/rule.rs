//! The rules that count a column from the register, as written in the schema:
//! `第3栏 且 (符合公益性岗位安置条件 或 就业情况：公益性岗位)`.

use super::{Field, Kind};

/// A rule over one card at one day (the period's end).
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// 在册: carded by the day and not 脱贫销号 then (unless 返贫挂号 since).
    InRegister,
    /// 摸底: carded on or before the baseline date.
    Baseline,
    /// 劳动年龄: of working age on the day.
    WorkingAge,
    /// 字段：选项 — the field (by index) holds the option (its bit).
    Has {
        field: usize,
        bit: u32,
    },
    /// A yes/no field (by index) says yes.
    Yes {
        field: usize,
    },
    /// 第N栏: counted in that column.
    Column(usize),
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Not(Box<Rule>),
}

impl Rule {
    /// Every (field, bit) and yes/no field the rule looks at, `Column` references not followed.
    pub fn atoms(&self, out: &mut Vec<Rule>) {
        match self {
            Rule::Has { .. } | Rule::Yes { .. } if !out.contains(self) => out.push(self.clone()),
            Rule::And(v) | Rule::Or(v) => v.iter().for_each(|r| r.atoms(out)),
            Rule::Not(r) => r.atoms(out),
            _ => {}
        }
    }
}

/// The register's state of one card at one day: what the rules need besides the card.
pub struct At<'a> {
    pub register: &'a super::Register,
    pub day: chrono::NaiveDate,
}

impl At<'_> {
    /// Whether the card is in the register on the day: carded by then, and not 脱贫销号 on or
    /// before it unless 返贫挂号 since.
    pub fn in_register(&self, card: &super::Card) -> bool {
        let date = |key: &str| self.register.index(key).and_then(|i| card.date(i));
        let carded = date(super::keys::CARDED).is_some_and(|d| d <= self.day);
        let removed = date(super::keys::REMOVED).filter(|d| *d <= self.day);
        let back = date(super::keys::RETURNED).filter(|d| *d <= self.day);
        carded && removed.is_none_or(|r| back.is_some_and(|b| b >= r))
    }

    pub fn working_age(&self, card: &super::Card) -> bool {
        let (Some(birth), Some(male)) = (card.birth, card.male) else { return false };
        let band = if male {
            self.register.working_age.male
        } else {
            self.register.working_age.female
        };
        let age = super::idcard::age_on(birth_month(birth), self.day);
        age >= band.from as i32 && age < band.to as i32
    }

    /// Whether `rule` counts the card on the day.
    pub fn counts(&self, rule: &Rule, card: &super::Card) -> bool {
        match rule {
            Rule::InRegister => self.in_register(card),
            Rule::Baseline => self
                .register
                .index(super::keys::CARDED)
                .and_then(|i| card.date(i))
                .is_some_and(|d| d <= self.register.baseline_date),
            Rule::WorkingAge => self.working_age(card),
            Rule::Has { field, bit } => card.set(*field) & bit != 0,
            Rule::Yes { field } => card.yes(*field),
            Rule::Column(n) => self.register.derive[n - 1].rule.as_ref().is_some_and(|r| self.counts(r, card)),
            Rule::And(v) => v.iter().all(|r| self.counts(r, card)),
            Rule::Or(v) => v.iter().any(|r| self.counts(r, card)),
            Rule::Not(r) => !self.counts(r, card),
        }
    }
}

/// Ages are counted at a month's end by the birth month alone (a birthday in the month counts,
/// 29 February in a February of 28 days too): the store keeps no more of the birth date.
pub fn birth_month(birth: chrono::NaiveDate) -> chrono::NaiveDate {
    use chrono::Datelike;
    birth.with_day(1).expect("every month has a first day")
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    Word(String),
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Token>| {
        if !word.is_empty() {
            out.push(match word.as_str() {
                "且" => Token::And,
                "或" => Token::Or,
                "不" => Token::Not,
                _ => Token::Word(std::mem::take(word)),
            });
            word.clear();
        }
    };
    for c in text.chars() {
        match c {
            '(' | '（' if word.is_empty() || !word.contains('：') => {
                flush(&mut word, &mut out);
                out.push(Token::Open);
            }
            ')' | '）' if !open_inside(&word) => {
                flush(&mut word, &mut out);
                out.push(Token::Close);
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Whether a word such as `就业情况：外出务工（县外` has a bracket of its own still open, so the
/// next `）` belongs to the option's text, not to the rule.
fn open_inside(word: &str) -> bool {
    let opens = word.chars().filter(|c| matches!(c, '(' | '（')).count();
    let closes = word.chars().filter(|c| matches!(c, ')' | '）')).count();
    opens > closes
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    fields: &'a [Field],
    column: usize,
}

/// Parses the rule of `column` over `fields`; the message says what is wrong, in Chinese.
pub fn parse(text: &str, fields: &[Field], column: usize) -> Result<Rule, String> {
    let mut p = Parser {
        tokens: tokens(text),
        at: 0,
        fields,
        column,
    };
    if p.tokens.is_empty() {
        return Err("规则为空".into());
    }
    let r = p.or()?;
    if p.at != p.tokens.len() {
        return Err(format!("第 {} 个词之后多出内容", p.at));
    }
    Ok(r)
}

impl Parser<'_> {
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Result<Rule, String> {
        let mut v = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 { v.pop().expect("one") } else { Rule::Or(v) })
    }

    fn and(&mut self) -> Result<Rule, String> {
        let mut v = vec![self.unary()?];
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            v.push(self.unary()?);
        }
        Ok(if v.len() == 1 { v.pop().expect("one") } else { Rule::And(v) })
    }

    fn unary(&mut self) -> Result<Rule, String> {
        match self.next() {
            Some(Token::Not) => Ok(Rule::Not(Box::new(self.unary()?))),
            Some(Token::Open) => {
                let r = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(r),
                    _ => Err("括号没有闭合".into()),
                }
            }
            Some(Token::Word(w)) => self.atom(&w),
            Some(t) => Err(format!("此处不应是“{}”", show(&t))),
            None => Err("规则不完整".into()),
        }
    }

    fn atom(&self, w: &str) -> Result<Rule, String> {
        match w {
            "在册" => return Ok(Rule::InRegister),
            "摸底" => return Ok(Rule::Baseline),
            "劳动年龄" => return Ok(Rule::WorkingAge),
            _ => {}
        }
        if let Some(n) = w.strip_prefix('第').and_then(|s| s.strip_suffix('栏')) {
            let n: usize = n.parse().map_err(|_| format!("“{w}”不是栏次"))?;
            if n == 0 || n >= self.column {
                return Err(format!("“{w}”：只能引用在前的栏"));
            }
            return Ok(Rule::Column(n));
        }
        let (name, option) = match w.split_once(['：', ':']) {
            Some((a, b)) => (a, Some(b)),
            None => (w, None),
        };
        let (i, f) = self
            .fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.key == name)
            .ok_or_else(|| format!("没有字段“{name}”"))?;
        match (f.kind, option) {
            (Kind::Yesno, None) => Ok(Rule::Yes { field: i }),
            (Kind::Choice | Kind::Multi, Some(o)) => f
                .bit(o)
                .map(|bit| Rule::Has { field: i, bit })
                .ok_or_else(|| format!("字段“{name}”没有选项“{o}”")),
            (Kind::Choice | Kind::Multi, None) => Err(format!("“{name}”须写作 {name}：选项")),
            _ => Err(format!("字段“{name}”不是选项或是否字段，不能用于规则")),
        }
    }
}

fn show(t: &Token) -> String {
    match t {
        Token::Open => "(".into(),
        Token::Close => ")".into(),
        Token::And => "且".into(),
        Token::Or => "或".into(),
        Token::Not => "不".into(),
        Token::Word(w) => w.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<Field> {
        let text = include_str!("../../../../schemas/forms/jdlk-jyshbz.register.toml");
        crate::register::Register::parse("t", text, 21).unwrap().fields
    }

    #[test]
    fn brackets_inside_an_option_are_the_option_s() {
        let f = fields();
        let r = parse("第3栏 且 (符合公益性岗位安置条件 或 就业情况：外出务工（县外）)", &f, 7).unwrap();
        let Rule::And(v) = r else { panic!("{r:?}") };
        assert_eq!(v[0], Rule::Column(3));
        let Rule::Or(w) = &v[1] else { panic!("{v:?}") };
        assert!(matches!(w[1], Rule::Has { .. }));
    }

    #[test]
    fn mistakes_are_named() {
        let f = fields();
        assert!(parse("第5栏", &f, 3).unwrap_err().contains("在前"));
        assert!(parse("在册 且 (劳动年龄", &f, 3).unwrap_err().contains("括号"));
        assert!(parse("就业情况", &f, 3).unwrap_err().contains("选项"));
        assert!(parse("无此字段：是", &f, 3).unwrap_err().contains("没有字段"));
        assert!(parse("在册 劳动年龄", &f, 3).unwrap_err().contains("多出"));
    }
}
