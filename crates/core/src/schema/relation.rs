//! The 栏目关系 line: parsed from the text printed on the form into rules the validator checks.
//!
//! Grammar (after an optional `栏目关系：` label):
//! `rules := rule (sep rule)* [。]`, `rule := expr op expr`, `expr := term (('+'|'-') term)*`,
//! `term := '(' n ')' | integer`, `op := ≥ ≤ = > < >= <=` (and ≧ ≦ ＝ ＞ ＜),
//! `sep := ； ; ， ,`. Brackets, digits and operators may be full-width.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Ge,
    Le,
    Eq,
    Gt,
    Lt,
}

impl Op {
    pub fn holds(self, l: i64, r: i64) -> bool {
        match self {
            Op::Ge => l >= r,
            Op::Le => l <= r,
            Op::Eq => l == r,
            Op::Gt => l > r,
            Op::Lt => l < r,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Op::Ge => "≥",
            Op::Le => "≤",
            Op::Eq => "=",
            Op::Gt => ">",
            Op::Lt => "<",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A column number, 1-based as printed.
    Col(usize),
    Const(i64),
}

/// A signed sum of terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr(pub Vec<(i64, Term)>);

impl Expr {
    pub fn eval(&self, values: &[i64]) -> i64 {
        self.0
            .iter()
            .map(|(sign, t)| {
                sign * match t {
                    Term::Col(n) => values.get(n - 1).copied().unwrap_or(0),
                    Term::Const(c) => *c,
                }
            })
            .sum()
    }

    /// The single column this side consists of, if it is just `(n)`.
    pub fn single_column(&self) -> Option<usize> {
        match self.0.as_slice() {
            [(1, Term::Col(n))] => Some(*n),
            _ => None,
        }
    }

    pub fn columns(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().filter_map(|(_, t)| match t {
            Term::Col(n) => Some(*n),
            Term::Const(_) => None,
        })
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (sign, t)) in self.0.iter().enumerate() {
            match (i, *sign < 0) {
                (0, true) => write!(f, "-")?,
                (0, false) => {}
                (_, true) => write!(f, " - ")?,
                (_, false) => write!(f, " + ")?,
            }
            match t {
                Term::Col(n) => write!(f, "({n})")?,
                Term::Const(c) => write!(f, "{c}")?,
            }
        }
        Ok(())
    }
}

/// One printed relation, e.g. `(2) ≥ (3)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub lhs: Expr,
    pub op: Op,
    pub rhs: Expr,
}

impl Rule {
    /// Evaluates both sides; `None` when the rule holds.
    pub fn check(&self, values: &[i64]) -> Option<(i64, i64)> {
        let (l, r) = (self.lhs.eval(values), self.rhs.eval(values));
        (!self.op.holds(l, r)).then_some((l, r))
    }

    /// The column whose cell is flagged when the rule fails: the part that is "too big"
    /// (`(2) ≥ (3)` failing points at (3), the subset that exceeds its whole).
    pub fn blamed_column(&self) -> Option<usize> {
        let (first, second) = match self.op {
            Op::Ge | Op::Gt | Op::Eq => (&self.rhs, &self.lhs),
            Op::Le | Op::Lt => (&self.lhs, &self.rhs),
        };
        first.columns().next().or_else(|| second.columns().next())
    }

    pub fn columns(&self) -> Vec<usize> {
        self.lhs.columns().chain(self.rhs.columns()).collect()
    }

    /// The sentence for a failure with sides `l` and `r` (from [`Rule::check`]), the one wording
    /// every table uses: `第(3)栏 120 大于 第(2)栏 100，违反 (2) ≥ (3)`.
    pub fn violation(&self, l: i64, r: i64) -> String {
        match (self.lhs.single_column(), self.rhs.single_column(), self.op) {
            (Some(a), Some(b), Op::Ge) => format!("第({b})栏 {r} 大于 第({a})栏 {l}，违反 {self}"),
            (Some(a), Some(b), Op::Le) => format!("第({a})栏 {l} 大于 第({b})栏 {r}，违反 {self}"),
            _ => format!("{} = {l}，{} = {r}，违反 {self}", self.lhs, self.rhs),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.lhs, self.op.symbol(), self.rhs)
    }
}

/// Where and why the relation text could not be read. `pos` counts characters from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub pos: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Col(usize),
    Num(i64),
    Plus,
    Minus,
    Op(Op),
    Sep,
    End,
}

fn tokenize(text: &str) -> Result<Vec<(usize, Tok)>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    // An optional label such as `栏目关系：` before the first rule.
    let body_start = chars
        .iter()
        .position(|c| *c == '：' || *c == ':')
        .filter(|&i| !chars[..i].iter().any(|c| "(（0123456789０１２３４５６７８９".contains(*c)))
        .map_or(0, |i| i + 1);
    let norm: Vec<char> = chars.iter().map(|c| crate::text::halfwidth(*c)).collect();
    let mut toks = Vec::new();
    let mut i = body_start;
    let err = |pos: usize, message: String| ParseError { pos: pos + 1, message };
    while i < norm.len() {
        let c = norm[i];
        let start = i;
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                i += 1;
                while i < norm.len() && norm[i] == ' ' {
                    i += 1;
                }
                let ds = i;
                while i < norm.len() && norm[i].is_ascii_digit() {
                    i += 1;
                }
                if ds == i {
                    return Err(err(i.min(norm.len()), "括号内应为栏目编号".into()));
                }
                let n: usize = norm[ds..i].iter().collect::<String>().parse().map_err(|_| err(ds, "栏目编号过大".into()))?;
                while i < norm.len() && norm[i] == ' ' {
                    i += 1;
                }
                if i >= norm.len() || norm[i] != ')' {
                    return Err(err(i.min(norm.len()), "缺少右括号".into()));
                }
                i += 1;
                toks.push((start, Tok::Col(n)));
                continue;
            }
            d if d.is_ascii_digit() => {
                while i < norm.len() && norm[i].is_ascii_digit() {
                    i += 1;
                }
                let n: i64 = norm[start..i].iter().collect::<String>().parse().map_err(|_| err(start, "数字过大".into()))?;
                toks.push((start, Tok::Num(n)));
                continue;
            }
            '+' => toks.push((start, Tok::Plus)),
            '-' | '−' => toks.push((start, Tok::Minus)),
            '≥' | '≧' => toks.push((start, Tok::Op(Op::Ge))),
            '≤' | '≦' => toks.push((start, Tok::Op(Op::Le))),
            '=' => toks.push((start, Tok::Op(Op::Eq))),
            '>' | '<' => {
                let eq = norm.get(i + 1) == Some(&'=');
                let op = match (c, eq) {
                    ('>', true) => Op::Ge,
                    ('>', false) => Op::Gt,
                    ('<', true) => Op::Le,
                    _ => Op::Lt,
                };
                if eq {
                    i += 1;
                }
                toks.push((start, Tok::Op(op)));
            }
            ';' | ',' | '；' | '，' | '、' => toks.push((start, Tok::Sep)),
            '。' | '.' => toks.push((start, Tok::End)),
            other => return Err(err(start, format!("无法识别的字符“{other}”"))),
        }
        i += 1;
    }
    Ok(toks)
}

/// Parses the relation line into rules, checking column numbers against `columns` (1..=columns).
pub fn parse_relations(text: &str, columns: usize) -> Result<Vec<Rule>, ParseError> {
    let toks = tokenize(text)?;
    let end_pos = text.chars().count() + 1;
    let mut rules = Vec::new();
    let mut i = 0;
    let pos_at = |i: usize| toks.get(i).map_or(end_pos, |(p, _)| p + 1);

    let parse_expr = |i: &mut usize| -> Result<Expr, ParseError> {
        let mut terms = Vec::new();
        let mut sign = 1;
        loop {
            match toks.get(*i).map(|t| &t.1) {
                Some(Tok::Col(n)) => {
                    if *n == 0 || *n > columns {
                        return Err(ParseError {
                            pos: pos_at(*i),
                            message: format!("栏目编号 ({n}) 超出范围，本表只有 1–{columns} 栏"),
                        });
                    }
                    terms.push((sign, Term::Col(*n)));
                }
                Some(Tok::Num(v)) => terms.push((sign, Term::Const(*v))),
                _ => {
                    return Err(ParseError {
                        pos: pos_at(*i),
                        message: "此处应为栏目编号如 (3) 或整数".into(),
                    });
                }
            }
            *i += 1;
            match toks.get(*i).map(|t| &t.1) {
                Some(Tok::Plus) => sign = 1,
                Some(Tok::Minus) => sign = -1,
                _ => return Ok(Expr(terms)),
            }
            *i += 1;
        }
    };

    loop {
        // Tolerate empty segments such as a trailing separator before 。.
        while matches!(toks.get(i).map(|t| &t.1), Some(Tok::Sep)) {
            i += 1;
        }
        match toks.get(i).map(|t| &t.1) {
            None => break,
            Some(Tok::End) => {
                if i + 1 < toks.len() {
                    return Err(ParseError {
                        pos: pos_at(i + 1),
                        message: "句号之后不应再有内容".into(),
                    });
                }
                break;
            }
            _ => {}
        }
        let lhs = parse_expr(&mut i)?;
        let op = match toks.get(i).map(|t| &t.1) {
            Some(Tok::Op(op)) => *op,
            _ => {
                return Err(ParseError {
                    pos: pos_at(i),
                    message: "此处应为比较符号 ≥ ≤ = > <".into(),
                });
            }
        };
        i += 1;
        let rhs = parse_expr(&mut i)?;
        rules.push(Rule { lhs, op, rhs });
        match toks.get(i).map(|t| &t.1) {
            None | Some(Tok::Sep) | Some(Tok::End) => {}
            _ => {
                return Err(ParseError {
                    pos: pos_at(i),
                    message: "关系之间应以“；”分隔".into(),
                });
            }
        }
    }
    if rules.is_empty() {
        return Err(ParseError {
            pos: 1,
            message: "没有找到任何栏目关系".into(),
        });
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRINTED: &str = "栏目关系：(1) ≥ (2)；(2) ≥ (3)；(2) ≥ (4)；(7) ≥ (8)；(10) ≥ (11)；(10) ≥ (12)；(13) ≥ (14)；(15) ≥ (16)；(15) ≥ (17)。";

    #[test]
    fn parses_the_printed_line_into_nine_rules() {
        let rules = parse_relations(PRINTED, 21).unwrap();
        let shown: Vec<String> = rules.iter().map(|r| r.to_string()).collect();
        assert_eq!(
            shown,
            [
                "(1) ≥ (2)",
                "(2) ≥ (3)",
                "(2) ≥ (4)",
                "(7) ≥ (8)",
                "(10) ≥ (11)",
                "(10) ≥ (12)",
                "(13) ≥ (14)",
                "(15) ≥ (16)",
                "(15) ≥ (17)"
            ]
        );
        assert_eq!(rules[1].blamed_column(), Some(3));
    }

    #[test]
    fn accepts_full_width_ascii_operators_sums_and_constants() {
        let rules = parse_relations("（２）＞＝（３）+(4) - 1; (5)<=(6),(7)=(8)+(9)；(10) > 0；(11) < (12)；(13) ≦ (14)", 21).unwrap();
        assert_eq!(rules.len(), 6);
        assert_eq!(rules[0].to_string(), "(2) ≥ (3) + (4) - 1");
        assert_eq!(rules[1].op, Op::Le);
        assert_eq!(rules[2].to_string(), "(7) = (8) + (9)");
        assert_eq!(rules[3].op, Op::Gt);
        assert_eq!(rules[4].op, Op::Lt);
        assert_eq!(rules[5].op, Op::Le);
        assert_eq!(rules[4].blamed_column(), Some(11));
    }

    #[test]
    fn evaluates_sides() {
        let rules = parse_relations("(2) ≥ (3) + (4)", 4).unwrap();
        assert_eq!(rules[0].check(&[0, 10, 6, 4]), None);
        assert_eq!(rules[0].check(&[0, 10, 6, 5]), Some((10, 11)));
    }

    #[test]
    fn malformed_rules_give_the_position() {
        let e = parse_relations("(1) ≥ (2)；(2) ≥", 21).unwrap_err();
        assert_eq!(e.pos, 16, "{e:?}");
        let e = parse_relations("(1) ≥ (22)", 21).unwrap_err();
        assert_eq!(e.pos, 7);
        assert!(e.message.contains("超出范围"));
        let e = parse_relations("(1) ≥ (2", 21).unwrap_err();
        assert!(e.message.contains("右括号"));
        let e = parse_relations("(1) ≈ (2)", 21).unwrap_err();
        assert_eq!(e.pos, 5);
        let e = parse_relations("(1) (2)", 21).unwrap_err();
        assert_eq!(e.pos, 5);
        assert!(parse_relations("栏目关系：", 21).is_err());
    }
}
