//! The form description (`schemas/forms/*.toml`): columns, header tree, 栏目关系, notes, period rule.

use super::SchemaError;
use super::relation::{Rule, parse_relations};
use serde::Deserialize;
use std::collections::HashSet;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub no: usize,
    pub name: String,
    /// A column number or a group id; draws the header tree only.
    #[serde(default)]
    pub parent: Option<ParentRef>,
    /// Heading drawn over this column's sub-columns.
    #[serde(default)]
    pub band: Option<String>,
    /// For `yuebao sample`: the range of this column's share of its parent column, or for a
    /// column with no parent the range of a township's count.
    #[serde(default)]
    pub sample: Option<[f64; 2]>,
    /// This column's own month-over-month threshold, instead of `cross_period.max_change`.
    #[serde(default)]
    pub max_change: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum ParentRef {
    Column(usize),
    Group(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub parent: Option<ParentRef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FooterField {
    /// What the reader looks for in the sheet (`填表人`).
    pub key: String,
    /// What the writer prints (`填表人签章：`).
    pub label: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodRule {
    pub kind: String,
    pub due_day: u32,
    pub due_month_offset: u32,
    pub roll: String,
    pub timezone_offset_hours: i32,
}

/// Checks against earlier months (`[cross_period]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossPeriod {
    /// The column that must equal the region's baseline (the 2015 count).
    pub baseline_column: Option<usize>,
    /// A 合计 moving by more than this share from last month is a warning.
    pub max_change: f64,
    /// Changes smaller than this many persons are never warned about.
    pub min_change: i64,
}

impl Default for CrossPeriod {
    fn default() -> Self {
        CrossPeriod {
            baseline_column: None,
            max_change: f64::INFINITY,
            min_change: i64::MAX,
        }
    }
}

/// The annual report's settings (`[annual]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Annual {
    /// Columns charted month by month.
    #[serde(default)]
    pub trend_columns: Vec<usize>,
    /// The annual chain: cities send the year's report to the province by this day of the
    /// report year (`MM-DD`) …
    #[serde(default = "default_city_due")]
    pub city_due: String,
    /// … and the province to the ministry by this one.
    #[serde(default = "default_province_due")]
    pub province_due: String,
    /// Both come before December's sheets are due, so the package sent then covers January to
    /// this month; the final version with December follows once December is due.
    #[serde(default = "default_package_through")]
    pub package_through: u32,
}

fn default_city_due() -> String {
    "12-10".into()
}

fn default_province_due() -> String {
    "12-15".into()
}

fn default_package_through() -> u32 {
    11
}

impl Default for Annual {
    fn default() -> Self {
        Annual {
            trend_columns: Vec::new(),
            city_due: default_city_due(),
            province_due: default_province_due(),
            package_through: default_package_through(),
        }
    }
}

impl Annual {
    /// A `MM-DD` setting as a date of `year`.
    pub fn date(text: &str, year: i32) -> Option<chrono::NaiveDate> {
        let (m, d) = text.split_once('-')?;
        chrono::NaiveDate::from_ymd_opt(year, m.trim().parse().ok()?, d.trim().parse().ok()?)
    }
}

/// Heading of the row-label column at each level: a county sheet lists townships, a city sheet
/// counties, a province sheet cities.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowLabels {
    pub county: String,
    pub city: String,
    pub province: String,
    /// The nation's sheet (the ministry's), one row per province.
    #[serde(default = "default_nation_label")]
    pub nation: String,
}

fn default_nation_label() -> String {
    "省（区、市）".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormFile {
    id: String,
    name: String,
    title: String,
    unit_line: String,
    unit: String,
    total_label: String,
    row_labels: RowLabels,
    relations: String,
    notes_title: String,
    notes: Vec<String>,
    footer: Vec<FooterField>,
    period: PeriodRule,
    #[serde(default)]
    cross_period: CrossPeriod,
    #[serde(default)]
    annual: Annual,
    #[serde(default)]
    groups: Vec<Group>,
    columns: Vec<Column>,
}

/// A loaded, checked form.
#[derive(Debug, Clone)]
pub struct Form {
    pub id: String,
    pub name: String,
    pub title: String,
    pub unit_line: String,
    pub unit: String,
    pub total_label: String,
    pub row_labels: RowLabels,
    /// The 栏目关系 line exactly as printed.
    pub relations_text: String,
    pub rules: Vec<Rule>,
    pub notes_title: String,
    pub notes: Vec<String>,
    pub footer: Vec<FooterField>,
    pub period: PeriodRule,
    pub cross_period: CrossPeriod,
    pub annual: Annual,
    pub groups: Vec<Group>,
    pub columns: Vec<Column>,
}

impl Form {
    pub fn parse(source: &str, text: &str) -> Result<Form, SchemaError> {
        let f: FormFile = super::parse_toml(source, text)?;
        let bad = super::invalid(source);
        for (i, c) in f.columns.iter().enumerate() {
            if c.no != i + 1 {
                return Err(bad(format!("栏目应按 1、2、3… 连续编号，第 {} 个栏目的编号却是 {}", i + 1, c.no)));
            }
        }
        if f.columns.is_empty() {
            return Err(bad("没有定义任何栏目".into()));
        }
        let group_ids: HashSet<&str> = f.groups.iter().map(|g| g.id.as_str()).collect();
        let check_parent = |who: String, p: &Option<ParentRef>| match p {
            Some(ParentRef::Column(n)) if *n == 0 || *n > f.columns.len() => Err(bad(format!("{who} 的上级栏目 ({n}) 不存在"))),
            Some(ParentRef::Group(g)) if !group_ids.contains(g.as_str()) => Err(bad(format!("{who} 的上级分组“{g}”不存在"))),
            _ => Ok(()),
        };
        for c in &f.columns {
            check_parent(format!("第 ({}) 栏", c.no), &c.parent)?;
            if c.parent == Some(ParentRef::Column(c.no)) {
                return Err(bad(format!("第 ({}) 栏不能是自己的上级", c.no)));
            }
        }
        for c in &f.columns {
            if let Some([lo, hi]) = c.sample
                && !(0.0 <= lo && lo <= hi && (c.parent.is_none() || hi <= 1.0))
            {
                return Err(bad(format!(
                    "第 ({}) 栏的 sample = [{lo}, {hi}] 无效：应为 0 ≤ 下限 ≤ 上限，有上级栏目时上限不超过 1",
                    c.no
                )));
            }
        }
        let cp = &f.cross_period;
        if let Some(n) = cp.baseline_column.filter(|n| *n == 0 || *n > f.columns.len()) {
            return Err(bad(format!("cross_period.baseline_column = {n}：没有这一栏")));
        }
        let threshold_ok = |x: f64| x > 0.0 && !x.is_nan();
        if !threshold_ok(cp.max_change) || cp.min_change < 0 {
            return Err(bad("cross_period.max_change 应大于 0（0.2 即 20%），min_change 不能为负".into()));
        }
        if let Some(c) = f.columns.iter().find(|c| c.max_change.is_some_and(|x| !threshold_ok(x))) {
            return Err(bad(format!("第 ({}) 栏的 max_change 应大于 0（0.2 即 20%）", c.no)));
        }
        if let Some(n) = f.annual.trend_columns.iter().find(|n| **n == 0 || **n > f.columns.len()) {
            return Err(bad(format!("annual.trend_columns 中的 {n}：没有这一栏")));
        }
        for (key, v) in [("city_due", &f.annual.city_due), ("province_due", &f.annual.province_due)] {
            if Annual::date(v, 2024).is_none() {
                return Err(bad(format!("annual.{key} = \"{v}\"：应为 月-日，如 \"12-10\"")));
            }
        }
        if !(1..=12).contains(&f.annual.package_through) {
            return Err(bad(format!("annual.package_through = {}：应为 1–12 月", f.annual.package_through)));
        }
        for g in &f.groups {
            check_parent(format!("分组“{}”", g.name), &g.parent)?;
        }
        if f.period.kind != "month" || f.period.roll != "next-working-day" || !(1..=28).contains(&f.period.due_day) {
            return Err(bad("period 目前只支持 kind = \"month\"、roll = \"next-working-day\"，due_day 为 1–28".into()));
        }
        let rules = parse_relations(&f.relations, f.columns.len()).map_err(|e| SchemaError::Relation {
            file: source.to_string(),
            pos: e.pos,
            message: e.message,
            text: f.relations.clone(),
        })?;
        let form = Form {
            id: f.id,
            name: f.name,
            title: f.title,
            unit_line: f.unit_line,
            unit: f.unit,
            total_label: f.total_label,
            row_labels: f.row_labels,
            relations_text: f.relations,
            rules,
            notes_title: f.notes_title,
            notes: f.notes,
            footer: f.footer,
            period: f.period,
            cross_period: f.cross_period,
            annual: f.annual,
            groups: f.groups,
            columns: f.columns,
        };
        form.check_tree().map_err(bad)?;
        Ok(form)
    }

    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// The month-over-month threshold of column `no` (1-based).
    pub fn max_change(&self, no: usize) -> f64 {
        self.columns
            .get(no.wrapping_sub(1))
            .and_then(|c| c.max_change)
            .unwrap_or(self.cross_period.max_change)
    }

    pub fn column_name(&self, no: usize) -> &str {
        self.columns.get(no.wrapping_sub(1)).map_or("", |c| c.name.as_str())
    }

    pub fn title_for(&self, region_name: &str) -> String {
        self.title.replace("{region}", region_name)
    }

    /// Ancestors of a column in the header tree, outermost first. Fails on cycles.
    pub fn header_path(&self, no: usize) -> Result<Vec<HeaderNode>, String> {
        let mut path = Vec::new();
        let mut cur = self.columns[no - 1].parent.clone();
        while let Some(p) = cur {
            if path.len() > self.columns.len() + self.groups.len() {
                return Err(format!("第 ({no}) 栏的表头上级关系成环"));
            }
            match p {
                ParentRef::Column(n) => {
                    path.push(HeaderNode::Column(n));
                    cur = self.columns[n - 1].parent.clone();
                }
                ParentRef::Group(g) => {
                    let grp = self.groups.iter().find(|x| x.id == g).expect("checked at load");
                    path.push(HeaderNode::Group(grp.id.clone()));
                    cur = grp.parent.clone();
                }
            }
        }
        path.reverse();
        Ok(path)
    }

    fn check_tree(&self) -> Result<(), String> {
        for c in &self.columns {
            self.header_path(c.no)?;
        }
        for band in self.bands() {
            let under = self.descendants(&band.node);
            if under.is_empty() {
                return Err(format!("“{}”没有下级栏目，不能画表头横栏", band.text));
            }
            if under.len() != band.last - band.first + 1 {
                return Err(format!("“{}”的下级栏目应连续排列，表头才能画成一个合并单元格", band.text));
            }
        }
        Ok(())
    }

    /// Columns below a header node (the node's own column excluded), ascending.
    pub fn descendants(&self, node: &HeaderNode) -> Vec<usize> {
        self.columns
            .iter()
            .filter(|c| self.header_path(c.no).map(|p| p.contains(node)).unwrap_or(false))
            .map(|c| c.no)
            .collect()
    }

    /// First and last column covered by a node: its own column and all below it.
    pub fn span(&self, node: &HeaderNode) -> (usize, usize) {
        let mut under = self.descendants(node);
        if let HeaderNode::Column(n) = node {
            under.push(*n);
        }
        (under.iter().copied().min().unwrap_or(0), under.iter().copied().max().unwrap_or(0))
    }

    /// The merged headings over groups of sub-columns, with the header row (level) each sits on.
    pub fn bands(&self) -> Vec<Band> {
        let mut nodes: Vec<(HeaderNode, String)> = self
            .columns
            .iter()
            .filter_map(|c| c.band.clone().map(|b| (HeaderNode::Column(c.no), b)))
            .collect();
        nodes.extend(self.groups.iter().map(|g| (HeaderNode::Group(g.id.clone()), g.name.clone())));
        nodes
            .into_iter()
            .map(|(node, text)| {
                let under = self.descendants(&node);
                let level = match &node {
                    HeaderNode::Column(n) => self.level(*n),
                    HeaderNode::Group(_) => under.first().map_or(0, |&c| self.level(c).saturating_sub(1)),
                };
                Band {
                    first: under.first().copied().unwrap_or(0),
                    last: under.last().copied().unwrap_or(0),
                    level,
                    text,
                    node,
                }
            })
            .collect()
    }

    /// The header row a column's own heading starts on: one below each banded ancestor.
    pub fn level(&self, no: usize) -> usize {
        let path = self.header_path(no).unwrap_or_default();
        path.iter()
            .filter(|n| match n {
                HeaderNode::Column(c) => self.columns[c - 1].band.is_some(),
                HeaderNode::Group(_) => true,
            })
            .count()
    }

    /// Rows the header tree needs.
    pub fn header_depth(&self) -> usize {
        self.columns.iter().map(|c| self.level(c.no) + 1).max().unwrap_or(1)
    }

    pub fn node_name(&self, node: &HeaderNode) -> String {
        match node {
            HeaderNode::Column(n) => self.column_name(*n).to_string(),
            HeaderNode::Group(g) => self.groups.iter().find(|x| &x.id == g).map(|x| x.name.clone()).unwrap_or_default(),
        }
    }
}

/// A merged heading over the columns `first..=last`, on header row `level`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Band {
    pub node: HeaderNode,
    pub text: String,
    pub first: usize,
    pub last: usize,
    pub level: usize,
}

/// A node of the header tree: a column that has sub-columns, or a pure group heading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderNode {
    Column(usize),
    Group(String),
}
