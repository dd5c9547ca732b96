//! Deciding what a rollup is made of: which handed-in files count, which are rejected,
//! duplicated or out of scope, which regions are missing; then the city and province tables.
//! Pure data: the workbooks are written by `workbook::rollup`.

use super::{Contribution, roll_up};
use crate::finding::{Finding, Reason, Severity};
use crate::period::Period;
use crate::schema::regions::Level;
use crate::schema::{Region, Schemas};
use crate::validate::{FileCheck, Status};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What became of one region or one handed-in file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// Counted in the rollup.
    Accepted,
    /// Has errors, or is for another period.
    Rejected,
    /// From the store: only warnings, no 说明 yet (待说明); not counted.
    Pending,
    /// From the store: 审核退回 by the reviewer; not counted until a newer version is accepted.
    Returned,
    /// One of several files for the same region; none of them is counted.
    Duplicate,
    /// A city sheet for a city whose county sheets were also handed in: the counties win.
    Superseded,
    /// A region outside the rollup's scope, or a province sheet.
    Ignored,
    /// No file for this region.
    Missing,
}

impl EntryStatus {
    pub fn label(self) -> &'static str {
        match self {
            EntryStatus::Accepted => "已采用",
            EntryStatus::Rejected => "退回",
            EntryStatus::Pending => "待说明",
            EntryStatus::Returned => "审核退回",
            EntryStatus::Duplicate => "重复报送",
            EntryStatus::Superseded => "未采用",
            EntryStatus::Ignored => "不在汇总范围",
            EntryStatus::Missing => "未报",
        }
    }
}

/// One line of the 报送情况 sheet.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub code: Option<String>,
    pub name: String,
    /// The city a county belongs to; None for cities and unknown regions.
    pub city: Option<String>,
    pub status: EntryStatus,
    pub file: Option<String>,
    pub sha256: Option<String>,
    pub errors: usize,
    pub warnings: usize,
    /// Why it was not counted, or what to know about it (the first errors of a rejected file).
    pub reasons: Vec<Reason>,
    /// Index of the file's report in the rollup's input.
    #[serde(skip)]
    pub report: Option<usize>,
    /// From the store: when the counted upload arrived, 按时 / 迟报 N 天 / 未报…, and its 说明.
    pub received: Option<String>,
    pub timeliness: Option<String>,
    pub note: Option<String>,
}

/// A row of a rollup table: a region and its 合计, or None when it has no accepted sheet.
#[derive(Debug, Clone, Serialize)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub values: Option<Vec<i64>>,
    /// 审核退回: the row is blank and labelled `（退回）` rather than `（未报）`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub returned: bool,
}

/// One rollup table: a city (rows are counties) or the province (rows are cities).
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub rows: Vec<RegionRow>,
    pub total: Vec<i64>,
    /// 应报 / 实报 as printed on the unit line.
    pub coverage: String,
}

/// Everything a rollup produced.
#[derive(Debug, Clone, Serialize)]
pub struct Rollup {
    pub period: Period,
    pub scope: String,
    pub entries: Vec<Entry>,
    /// City tables, in code order, then the province table when the scope is the province.
    pub tables: Vec<Table>,
    /// Relations that fail on a table's 合计 (e.g. a rule with a constant that sums break).
    pub total_problems: Vec<String>,
    pub counties_expected: usize,
    pub counties_reported: usize,
    /// Made from the store rather than from files: the 报送情况 sheet shows timeliness.
    pub from_store: bool,
}

/// How many findings of each severity the first lines of a rejected file's reasons show.
const REASONS_SHOWN: usize = 5;

/// One handed-in sheet a rollup may use: its validation report, the digest of its bytes, and
/// what the store knows about it when it came from there.
#[derive(Debug, Clone)]
pub struct Input {
    pub report: FileCheck,
    pub sha256: Option<String>,
    pub stored: Option<Stored>,
}

/// What the store knows about an upload beyond its report.
#[derive(Debug, Clone, Default)]
pub struct Stored {
    /// Only warnings and no 说明 yet (待说明).
    pub pending: bool,
    /// The warnings a held upload waits to have explained.
    pub unexplained: Vec<Finding>,
    /// 审核退回: the reviewer's sentence (who, when, why).
    pub returned: Option<String>,
    pub received: String,
    pub note: Option<String>,
}

/// What a rollup knows besides its inputs: from the store, each region's timeliness label.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub timeliness: BTreeMap<String, String>,
    pub from_store: bool,
}

/// Builds the rollup of `inputs` (already validated) for `period` over `scope` (the province or
/// one city), in named steps: classify each input, set aside duplicates, choose for each city
/// its county sheets or its own sheet, add the regions with nothing, sum the tables with polars,
/// and check the relations on their totals.
pub fn plan(schemas: &Schemas, scope: &Region, period: Period, inputs: &[Input], ctx: &Context) -> Result<Rollup, polars::error::PolarsError> {
    if scope.level == Level::Nation {
        return plan_nation(schemas, scope, period, inputs, ctx);
    }
    let all: Vec<usize> = (0..inputs.len()).collect();
    plan_of(schemas, scope, period, inputs, &all, ctx)
}

/// [`plan`] for a province or a city over the inputs `picked` (indices into `inputs`).
fn plan_of(schemas: &Schemas, scope: &Region, period: Period, inputs: &[Input], picked: &[usize], ctx: &Context) -> Result<Rollup, polars::error::PolarsError> {
    let width = schemas.form().width();
    let mut entries: Vec<Entry> = picked.iter().map(|&i| classify(schemas, scope, period, i, &inputs[i])).collect();
    set_aside_duplicates(&mut entries);
    let cities: Vec<&Region> = match scope.level {
        Level::Province => schemas.regions.children(&scope.code),
        _ => vec![scope],
    };
    let chosen = choose_sources(schemas, &cities, &mut entries, inputs);
    let totals = roll_up(&chosen.counties, &chosen.cities, width)?;
    add_missing(schemas, &cities, &chosen.counted, &mut entries);
    for e in &mut entries {
        e.timeliness = e.code.as_deref().and_then(|c| ctx.timeliness.get(c)).cloned();
    }
    // Reading order: by region code (unknown regions last), files in the order given.
    entries.sort_by(|a, b| {
        let key = |e: &Entry| {
            (
                e.code.is_none(),
                e.city.clone().or(e.code.clone()).unwrap_or_default(),
                e.code.clone().unwrap_or_default(),
            )
        };
        key(a).cmp(&key(b))
    });
    let counties_expected = cities.iter().map(|c| units_of(schemas, c).len()).sum();
    let counties_reported = chosen.counted.len();
    let tables = tables(schemas, scope, &cities, &entries, &chosen, &totals, counties_expected, counties_reported);
    let counts = (counties_expected, counties_reported);
    Ok(finish(schemas, scope, period, entries, tables, counts, ctx))
}

/// The rollup of its entries and tables, with the relations checked on every table's 合计;
/// `counts` are the counties expected and reported.
fn finish(schemas: &Schemas, scope: &Region, period: Period, entries: Vec<Entry>, tables: Vec<Table>, counts: (usize, usize), ctx: &Context) -> Rollup {
    Rollup {
        period,
        scope: scope.code.clone(),
        entries,
        total_problems: check_totals(schemas, &tables),
        tables,
        counties_expected: counts.0,
        counties_reported: counts.1,
        from_store: ctx.from_store,
    }
}

/// The nation's rollup (the ministry's installation): each province rolled up from its counties
/// (its city and province tables), or, where none of its counties' sheets counts, taken from the
/// province's own sheet (上报 to the ministry); then the nation's table, one row per province.
fn plan_nation(schemas: &Schemas, scope: &Region, period: Period, inputs: &[Input], ctx: &Context) -> Result<Rollup, polars::error::PolarsError> {
    let width = schemas.form().width();
    let provinces = schemas.regions.children(&scope.code);
    // The province a region lies in: up its parents to the one under the nation.
    let province_of = |r: &Region| {
        let mut at = r;
        while let Some(up) = at.parent.as_deref().and_then(|c| schemas.regions.get(c)).filter(|up| up.parent.is_some()) {
            at = up;
        }
        provinces.iter().position(|p| p.code == at.code)
    };
    // Each input to the province it is about: its counties' and cities' sheets, and its own.
    let mut below: Vec<Vec<usize>> = vec![Vec::new(); provinces.len()];
    let mut own: Vec<Vec<usize>> = vec![Vec::new(); provinces.len()];
    let mut rest = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let region = input.report.region.as_deref().and_then(|c| schemas.regions.get(c));
        match region.and_then(|r| province_of(r).map(|p| (r, p))) {
            Some((r, p)) if r.code == provinces[p].code => own[p].push(i),
            Some((_, p)) => below[p].push(i),
            None => rest.push(i),
        }
    }
    let mut entries: Vec<Entry> = rest.iter().map(|&i| classify(schemas, scope, period, i, &inputs[i])).collect();
    let mut tables = Vec::new();
    let mut rows = Vec::new();
    let mut contributions = Vec::new();
    let (mut expected, mut reported) = (0, 0);
    for (p, province) in provinces.iter().enumerate() {
        let sub = plan_of(schemas, province, period, inputs, &below[p], ctx)?;
        let mut sheets: Vec<Entry> = own[p].iter().map(|&i| classify(schemas, scope, period, i, &inputs[i])).collect();
        set_aside_duplicates(&mut sheets);
        let whole = sheets.iter().position(|e| e.status == EntryStatus::Accepted);
        expected += sub.counties_expected;
        let top = sub.tables.iter().find(|t| t.code == province.code).map(|t| t.total.clone());
        let values = if sub.counties_reported > 0 {
            if let Some(w) = whole {
                sheets[w].status = EntryStatus::Superseded;
                sheets[w]
                    .reasons
                    .push(Reason::Text(format!("同时收到{}的县区报表，按县区报表汇总", province.name)));
            }
            reported += sub.counties_reported;
            tables.extend(sub.tables);
            entries.extend(sub.entries);
            top
        } else {
            // The province's own sheet stands for its counties, which are not listed one by one.
            entries.extend(sub.entries.into_iter().filter(|e| e.status != EntryStatus::Missing || whole.is_none()));
            whole
                .and_then(|w| sheets[w].report)
                .and_then(|i| inputs[i].report.sheet.as_ref())
                .map(|sh| sh.total.values.clone())
        };
        if let Some(v) = &values {
            contributions.push(Contribution {
                code: province.code.clone(),
                city: province.code.clone(),
                values: v.clone(),
            });
        }
        let returned = sheets.iter().any(|e| e.status == EntryStatus::Returned);
        entries.extend(sheets);
        rows.push(RegionRow {
            code: province.code.clone(),
            name: province.name.clone(),
            values,
            returned,
        });
    }
    for e in &mut entries {
        e.timeliness = e.code.as_deref().and_then(|c| ctx.timeliness.get(c)).cloned();
    }
    let totals = roll_up(&[], &contributions, width)?;
    let counted = rows.iter().filter(|r| r.values.is_some()).count();
    tables.push(Table {
        code: scope.code.clone(),
        name: scope.name.clone(),
        level: Level::Nation,
        total: totals.province.clone(),
        coverage: format!("应报 {} / 实报 {counted}（县区：应报 {expected} / 实报 {reported}）", rows.len()),
        rows,
    });
    Ok(finish(schemas, scope, period, entries, tables, (expected, reported), ctx))
}

/// What one input is to this rollup: out of scope, rejected (errors, another period, 审核退回),
/// held (待说明), or a candidate to count.
fn classify(schemas: &Schemas, scope: &Region, period: Period, i: usize, input: &Input) -> Entry {
    let rep = &input.report;
    let region = rep.region.as_deref().and_then(|c| schemas.regions.get(c));
    let mut e = Entry {
        code: region.map(|r| r.code.clone()),
        name: region.map(|r| r.name.clone()).unwrap_or_else(|| "地区不明".into()),
        city: region.filter(|r| schemas.regions.is_leaf(r)).and_then(|r| r.parent.clone()),
        status: EntryStatus::Accepted,
        file: Some(rep.file.clone()),
        sha256: input.sha256.clone(),
        errors: rep.summary.errors,
        warnings: rep.summary.warnings,
        reasons: Vec::new(),
        report: Some(i),
        received: input.stored.as_ref().map(|s| s.received.clone()),
        timeliness: None,
        note: input.stored.as_ref().and_then(|s| s.note.clone()),
    };
    let stored = input.stored.as_ref();
    // Out of scope first: a file for another region is not this rollup's to reject.
    if let Some(r) = region.filter(|r| r.parent.is_none() || r.code == scope.code) {
        e.status = EntryStatus::Ignored;
        e.reasons.push(Reason::Text(format!("这是{}本级的汇总表，汇总时只用下级报表", r.name)));
    } else if let Some(r) = region.filter(|r| !schemas.regions.within(r, &scope.code)) {
        e.status = EntryStatus::Ignored;
        e.reasons.push(Reason::Text(format!("{}不在{}范围内", schemas.regions.display(r), scope.name)));
    } else if let Some(why) = stored.and_then(|s| s.returned.clone()) {
        e.status = EntryStatus::Returned;
        e.reasons.push(Reason::Text(why));
    } else if stored.is_some_and(|s| s.pending) {
        e.status = EntryStatus::Pending;
        let unexplained = &stored.map(|s| s.unexplained.clone()).unwrap_or_default();
        e.reasons
            .push(Reason::Text(format!("有 {} 处警告，尚未附说明，待县区核实后附说明重新提交", unexplained.len())));
        e.reasons.extend(unexplained.iter().take(3).cloned().map(Reason::Finding));
    } else if rep.status == Status::Rejected {
        e.status = EntryStatus::Rejected;
        e.reasons = rep
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .take(REASONS_SHOWN)
            .cloned()
            .map(Reason::Finding)
            .collect();
        if rep.summary.errors > REASONS_SHOWN {
            e.reasons.push(Reason::Text(format!(
                "……另有 {} 处，共 {} 处错误",
                rep.summary.errors - REASONS_SHOWN,
                rep.summary.errors
            )));
        }
    } else if rep.period != Some(period) {
        e.status = EntryStatus::Rejected;
        let p = rep.period.map(|p| p.label()).unwrap_or_else(|| "不明".into());
        e.reasons.push(Reason::Text(format!("报告期为 {p}，不是本次汇总的 {}", period.label())));
    }
    e
}

/// Several files for one region: none of them counts.
fn set_aside_duplicates(entries: &mut [Entry]) {
    let mut candidates: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        if e.status == EntryStatus::Accepted
            && let Some(c) = &e.code
        {
            candidates.entry(c.clone()).or_default().push(i);
        }
    }
    for idx in candidates.values().filter(|v| v.len() > 1) {
        let files: Vec<String> = idx.iter().filter_map(|&i| entries[i].file.clone()).collect();
        for &i in idx {
            entries[i].status = EntryStatus::Duplicate;
            entries[i].reasons.push(Reason::Text(format!(
                "同一地区收到 {} 份报表（{}），请只保留一份后重新汇总",
                files.len(),
                files.join("、")
            )));
        }
    }
}

/// What each city contributes: its counties' sheets, or when it has none its own sheet.
struct Chosen {
    counties: Vec<Contribution>,
    cities: Vec<Contribution>,
    /// Counties whose figures are in the rollup (from their own sheet or a city sheet's row).
    counted: BTreeSet<String>,
}

fn choose_sources(schemas: &Schemas, cities: &[&Region], entries: &mut [Entry], inputs: &[Input]) -> Chosen {
    let accepted = |code: &str, entries: &[Entry]| {
        entries
            .iter()
            .position(|e| e.code.as_deref() == Some(code) && e.status == EntryStatus::Accepted)
    };
    let sheet_of = |e: &Entry| e.report.and_then(|r| inputs[r].report.sheet.as_ref());
    let mut chosen = Chosen {
        counties: Vec::new(),
        cities: Vec::new(),
        counted: BTreeSet::new(),
    };
    for city in cities {
        let counties = units_of(schemas, city);
        let from_counties: Vec<(usize, &Region)> = counties.iter().filter_map(|c| accepted(&c.code, entries).map(|i| (i, *c))).collect();
        // A unit under the province directly is its own only county: it has no city sheet.
        let whole = if schemas.regions.is_leaf(city) { None } else { accepted(&city.code, entries) };
        if let Some(w) = whole
            && !from_counties.is_empty()
        {
            entries[w].status = EntryStatus::Superseded;
            entries[w]
                .reasons
                .push(Reason::Text(format!("同时收到{}的县区报表，按县区报表汇总", city.name)));
        }
        if from_counties.is_empty() {
            if let Some(w) = whole
                && let Some(sheet) = sheet_of(&entries[w])
            {
                chosen.cities.push(Contribution {
                    code: city.code.clone(),
                    city: city.code.clone(),
                    values: sheet.total.values.clone(),
                });
                // The counties the city sheet has figures for: rows named for them and not
                // marked 未报.
                let labels: BTreeSet<String> = sheet.rows.iter().map(|row| crate::text::squeeze(&row.label)).collect();
                chosen
                    .counted
                    .extend(counties.iter().filter(|c| labels.contains(&c.name)).map(|c| c.code.clone()));
            }
        } else {
            for (i, c) in from_counties {
                if let Some(sheet) = sheet_of(&entries[i]) {
                    chosen.counties.push(Contribution {
                        code: c.code.clone(),
                        city: city.code.clone(),
                        values: sheet.total.values.clone(),
                    });
                    chosen.counted.insert(c.code.clone());
                }
            }
        }
    }
    chosen
}

/// The units whose township sheets make up `city`'s figures: its counties, or itself where it
/// fills the township sheet (a county-level unit under the province, a city without counties).
fn units_of<'a>(schemas: &'a Schemas, city: &'a Region) -> Vec<&'a Region> {
    if schemas.regions.is_leaf(city) {
        vec![city]
    } else {
        schemas.regions.children(&city.code)
    }
}

/// Regions with nothing handed in at all.
fn add_missing(schemas: &Schemas, cities: &[&Region], counted: &BTreeSet<String>, entries: &mut Vec<Entry>) {
    for city in cities {
        for county in units_of(schemas, city) {
            let has_entry = entries.iter().any(|e| e.code.as_deref() == Some(county.code.as_str()));
            if !counted.contains(&county.code) && !has_entry {
                entries.push(Entry {
                    code: Some(county.code.clone()),
                    name: county.name.clone(),
                    city: county.parent.clone(),
                    status: EntryStatus::Missing,
                    file: None,
                    sha256: None,
                    errors: 0,
                    warnings: 0,
                    reasons: Vec::new(),
                    report: None,
                    received: None,
                    timeliness: None,
                    note: None,
                });
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn tables(
    schemas: &Schemas,
    scope: &Region,
    cities: &[&Region],
    entries: &[Entry],
    chosen: &Chosen,
    totals: &super::Totals,
    counties_expected: usize,
    counties_reported: usize,
) -> Vec<Table> {
    let width = schemas.form().width();
    let mut tables = Vec::new();
    let has_county_file = |city: &Region| entries.iter().any(|e| e.city.as_deref() == Some(city.code.as_str()) && e.file.is_some());
    let returned = |code: &str| entries.iter().any(|e| e.code.as_deref() == Some(code) && e.status == EntryStatus::Returned);
    for city in cities {
        if schemas.regions.is_leaf(city) || (scope.level == Level::Province && !has_county_file(city)) {
            continue;
        }
        let counties = schemas.regions.children(&city.code);
        let rows: Vec<RegionRow> = counties
            .iter()
            .map(|c| RegionRow {
                code: c.code.clone(),
                name: c.name.clone(),
                values: chosen.counties.iter().find(|x| x.code == c.code).map(|x| x.values.clone()),
                returned: returned(&c.code),
            })
            .collect();
        let reported = rows.iter().filter(|r| r.values.is_some()).count();
        tables.push(Table {
            code: city.code.clone(),
            name: city.name.clone(),
            level: Level::City,
            total: totals.cities.get(&city.code).cloned().unwrap_or_else(|| vec![0; width]),
            coverage: format!("应报 {} / 实报 {reported}（未报 {}）", rows.len(), rows.len() - reported),
            rows,
        });
    }
    if scope.level == Level::Province {
        let rows: Vec<RegionRow> = cities
            .iter()
            .map(|c| RegionRow {
                code: c.code.clone(),
                name: c.name.clone(),
                values: totals.cities.get(&c.code).cloned(),
                returned: returned(&c.code),
            })
            .collect();
        let reported = rows.iter().filter(|r| r.values.is_some()).count();
        tables.push(Table {
            code: scope.code.clone(),
            name: scope.name.clone(),
            level: Level::Province,
            total: totals.province.clone(),
            coverage: format!(
                "应报 {} / 实报 {reported}（县区：应报 {counties_expected} / 实报 {counties_reported}）",
                rows.len()
            ),
            rows,
        });
    }
    tables
}

/// Relations that fail on a table's 合计 (a rule the sums themselves can break).
fn check_totals(schemas: &Schemas, tables: &[Table]) -> Vec<String> {
    let form = schemas.form();
    let mut out = Vec::new();
    for t in tables {
        for rule in &form.rules {
            if let Some((l, r)) = rule.check(&t.total) {
                out.push(format!("{}合计：{}", t.name, rule.violation(l, r)));
            }
        }
    }
    out
}
